/**
 * What the plugin host needs from the runtime: how to re-execute this very
 * program (under `deno run`, from a URL, or as a compiled binary), Workers
 * restricted by Deno permissions, and the process's stdin/stdout.
 * @module
 */
import process from "node:process";

/** How to start this program again. */
export interface SelfExec {
  runtime: "deno" | "bun";
  /** The runtime executable, or the compiled binary. */
  execPath: string;
  /** The entry module (`file:` or `https:` URL, or a path on Bun); absent in a compiled binary. */
  mainModule?: string;
  compiled: boolean;
  /** True when this runtime enforces Worker permissions (Deno). */
  enforcesPermissions: boolean;
}

interface BunLike {
  main: string;
}

/** Describes the running program for a re-execution. */
export function selfExec(): SelfExec {
  if ("Bun" in globalThis) {
    const main = (globalThis as unknown as { Bun: BunLike }).Bun.main;
    const compiled = main.startsWith("/$bunfs/") || main.includes("~BUN");
    return {
      runtime: "bun",
      execPath: process.execPath,
      mainModule: compiled ? undefined : main,
      compiled,
      enforcesPermissions: false,
    };
  }
  const compiled = Boolean((Deno.build as { standalone?: boolean }).standalone);
  return {
    runtime: "deno",
    execPath: Deno.execPath(),
    mainModule: compiled ? undefined : Deno.mainModule,
    compiled,
    enforcesPermissions: true,
  };
}

/** Deno's per-Worker permission object (`true`, `false` or an allow-list per kind). */
export type WorkerPermissions = Record<string, boolean | string[]>;

/**
 * Starts a module Worker. On Deno it is restricted to `permissions` (keys
 * left out are denied); on Bun the restriction cannot be applied, so callers
 * must only pass trusted code there.
 */
export function createWorker(url: string, name: string, permissions: WorkerPermissions): Worker {
  if ("Bun" in globalThis) return new Worker(url, { type: "module", name });
  return new Worker(url, {
    type: "module",
    name,
    deno: { permissions: { ffi: false, import: false, ...permissions } },
  } as WorkerOptions);
}

/** The process's stdin as a stream and a writer for stdout, for the host protocol. */
export function processStdio(): {
  stdin: ReadableStream<Uint8Array>;
  writeStdout(text: string): Promise<void>;
} {
  const stdin = new ReadableStream<Uint8Array>({
    start(controller) {
      process.stdin.on(
        "data",
        (c: Uint8Array | string) =>
          controller.enqueue(
            typeof c === "string" ? new TextEncoder().encode(c) : new Uint8Array(c),
          ),
      );
      process.stdin.on("end", () => controller.close());
      process.stdin.on("error", () => controller.close());
    },
  });
  return {
    stdin,
    writeStdout: (text) =>
      new Promise((resolve) => {
        if (!process.stdout.write(text)) process.stdout.once("drain", () => resolve());
        else resolve();
      }),
  };
}
