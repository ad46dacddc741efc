/**
 * What the plugin host needs from the runtime: how to re-execute this very
 * program (under `deno run`, from a URL, or as a compiled binary), Workers
 * restricted by Deno permissions, and the process's stdin/stdout.
 * @module
 */
import { readFileSync } from "node:fs";
import { Socket } from "node:net";
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
  /**
   * True when an `npm:` or remote import in this process could make the
   * runtime download code: false in a compiled binary, or when the runtime was
   * started with `--cached-only` (Deno) or `--no-install` (Bun).
   */
  mayDownload: boolean;
}

/** The runtime's own flags (before the script), from /proc/self/cmdline; [] where unreadable. */
export function runtimeFlags(scriptArgs: readonly string[]): string[] {
  try {
    const all = readFileSync("/proc/self/cmdline", "utf8").split("\0");
    if (all.at(-1) === "") all.pop();
    return all.slice(1, all.length - scriptArgs.length);
  } catch {
    return [];
  }
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
      mayDownload: !compiled && !runtimeFlags(process.argv.slice(2)).includes("--no-install"),
    };
  }
  const compiled = Boolean((Deno.build as { standalone?: boolean }).standalone);
  return {
    runtime: "deno",
    execPath: Deno.execPath(),
    mainModule: compiled ? undefined : Deno.mainModule,
    compiled,
    enforcesPermissions: true,
    mayDownload: !compiled && !runtimeFlags(Deno.args).includes("--cached-only"),
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

/** The process's stdin and stdout, for the host protocol. */
export interface HostStdio {
  /**
   * Starts reading stdin: `onChunk` for each chunk (the bytes are only valid
   * during the call), then `onEnd` once when stdin ends or fails.
   */
  readStdin(onChunk: (chunk: Uint8Array) => void, onEnd: () => void): void;
  /**
   * Writes all of `text` to stdout before returning. On Deno this is a
   * blocking write (no promise, no hop to another thread per line); a parent
   * that stops reading stalls the host, which its heartbeat then catches.
   * Errors (the parent is gone) are ignored: stdin ends next.
   */
  writeStdout(text: string): void;
}

/**
 * The host's stdio with as few layers as the runtime allows: on Deno, a
 * stdin pipe read as a socket (or `Deno.stdin.read` when stdin is not a
 * pipe) and `Deno.stdout.writeSync`; on Bun, the `node:process` streams.
 */
export function processStdio(): HostStdio {
  if ("Bun" in globalThis) {
    return {
      readStdin(onChunk, onEnd) {
        let ended = false;
        const end = () => {
          if (!ended) (ended = true, onEnd());
        };
        process.stdin.on(
          "data",
          (c: Uint8Array | string) => onChunk(typeof c === "string" ? encoder.encode(c) : c),
        );
        process.stdin.on("end", end);
        process.stdin.on("error", end);
      },
      writeStdout(text) {
        process.stdout.write(text);
      },
    };
  }
  return {
    readStdin(onChunk, onEnd) {
      let ended = false;
      const end = () => {
        if (!ended) (ended = true, onEnd());
      };
      // A pipe read as a socket is polled by the event loop. `Deno.stdin.read` and `process.stdin`
      // cost about twice as much per message (an echo child: 36 µs against 70-73 µs here).
      let pipe: Socket | undefined;
      try {
        pipe = new Socket({ fd: 0, readable: true, writable: false });
      } catch { /* not a pipe (a file, a terminal): read it the plain way */ }
      if (pipe) {
        pipe.on("data", onChunk);
        pipe.on("end", end);
        pipe.on("close", end);
        pipe.on("error", end);
        return;
      }
      const buf = new Uint8Array(64 * 1024);
      (async () => {
        try {
          for (;;) {
            const n = await Deno.stdin.read(buf);
            if (n === null) break;
            onChunk(buf.subarray(0, n));
          }
        } catch { /* a failing stdin ends like a closed one */ }
        end();
      })();
    },
    writeStdout(text) {
      const bytes = encoder.encode(text);
      try {
        for (let off = 0; off < bytes.length;) off += Deno.stdout.writeSync(bytes.subarray(off));
      } catch { /* the parent is gone; stdin ends next */ }
    },
  };
}

const encoder = new TextEncoder();
