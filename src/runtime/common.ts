/**
 * The parts of the platform both runtimes implement through their Node
 * compatibility layer: processes, files, host facts.
 * @module
 */
import { spawn as nodeSpawn } from "node:child_process";
import { type FSWatcher, readFileSync, watch as nodeWatch } from "node:fs";
import { readdir, readFile, realpath, stat as nodeStat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import os from "node:os";
import process from "node:process";
import type { Readable, Writable } from "node:stream";
import type {
  ChildProcess,
  DirEntry,
  ExitStatus,
  FileInfo,
  Platform,
  SpawnOptions,
} from "../core/mod.ts";

type Common = Pick<
  Platform,
  | "readTextFile"
  | "readFile"
  | "writeTextFile"
  | "stat"
  | "realPath"
  | "readDir"
  | "watch"
  | "spawn"
  | "hostname"
  | "memoryUsage"
  | "cpuUsage"
  | "systemMemory"
  | "loadavg"
  | "uptime"
  | "cpuTimes"
  | "cwd"
  | "envAll"
  | "env"
>;

/** Implementations shared by the Deno and Bun adapters. */
export const common: Common = {
  readTextFile: (path) => readFile(path, "utf8"),
  readFile: async (path) => new Uint8Array(await readFile(path)),
  writeTextFile: (path, text) => writeFile(path, text, "utf8"),
  stat: async (path): Promise<FileInfo | null> => {
    try {
      const s = await nodeStat(path);
      return {
        isFile: s.isFile(),
        isDirectory: s.isDirectory(),
        size: s.size,
        mtimeMs: s.mtimeMs,
        mode: s.mode & 0o7777,
      };
    } catch (err) {
      if (
        (err as { code?: string }).code === "ENOENT" ||
        (err as { code?: string }).code === "ENOTDIR"
      ) return null;
      throw err;
    }
  },
  realPath: async (path) => {
    try {
      return await realpath(path);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "ENOENT" || code === "ENOTDIR" || code === "ELOOP") return null;
      throw err;
    }
  },
  readDir: async (path): Promise<DirEntry[]> => {
    const entries = await readdir(path, { withFileTypes: true });
    return entries
      .map((e) => ({
        name: e.name,
        isFile: e.isFile(),
        isDirectory: e.isDirectory(),
        isSymlink: e.isSymbolicLink(),
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  },
  watch: (paths, onChange, options) => {
    const watchers: FSWatcher[] = [];
    const recursive = options?.recursive ?? false;
    for (const path of paths) {
      try {
        const w = nodeWatch(path, { persistent: false, recursive }, (_event, file) => {
          onChange(file ? join(path, String(file)) : path);
        });
        w.on("error", () => {/* the path went away; a later reload re-watches */});
        watchers.push(w);
      } catch { /* missing path: nothing to watch */ }
    }
    return () => {
      for (const w of watchers.splice(0)) w.close();
    };
  },
  spawn,
  hostname: () => os.hostname(),
  memoryUsage: () => {
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
  },
  cpuUsage: () => process.cpuUsage(),
  systemMemory: () => {
    const total = os.totalmem();
    const free = os.freemem();
    let available = free;
    try {
      const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"));
      if (m) available = Number(m[1]) * 1024;
    } catch { /* not Linux: fall back to free */ }
    return { total, free, available };
  },
  loadavg: () => os.loadavg() as [number, number, number],
  uptime: () => os.uptime(),
  cpuTimes: () => os.cpus().map((c) => c.times),
  cwd: () => process.cwd(),
  envAll: () => ({ ...process.env }) as Record<string, string>,
  env: (name) => process.env[name],
};

function toWebReadable(stream: Readable | null): ReadableStream<Uint8Array> {
  if (!stream) return new ReadableStream({ start: (c) => c.close() });
  let done = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      stream.on("data", (chunk: Uint8Array | string) => {
        if (done) return;
        controller.enqueue(
          typeof chunk === "string" ? new TextEncoder().encode(chunk) : new Uint8Array(chunk),
        );
        if ((controller.desiredSize ?? 1) <= 0) stream.pause();
      });
      const finish = () => {
        if (done) return;
        done = true;
        controller.close();
      };
      stream.on("end", finish);
      stream.on("close", finish);
      stream.on("error", finish);
    },
    pull() {
      stream.resume();
    },
    cancel() {
      done = true;
      stream.destroy();
    },
  }, { highWaterMark: 16 });
}

function toWebWritable(stream: Writable | null): WritableStream<Uint8Array> | null {
  if (!stream) return null;
  stream.on("error", () => {/* EPIPE after the child died surfaces through write() */});
  return new WritableStream<Uint8Array>({
    write: (chunk) =>
      new Promise((resolve, reject) => {
        stream.write(chunk, (err) => (err ? reject(err) : resolve()));
      }),
    close: () => new Promise((resolve) => stream.end(resolve)),
    abort: () => {
      stream.destroy();
    },
  });
}

function spawn(argv: string[], options: SpawnOptions = {}): ChildProcess {
  const group = options.newProcessGroup ?? true;
  const child = nodeSpawn(argv[0], argv.slice(1), {
    cwd: options.cwd,
    env: options.env,
    detached: group,
    stdio: [options.stdin === "pipe" ? "pipe" : "ignore", "pipe", "pipe"],
  });
  let exitedFlag = false;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once("error", (err: Error & { code?: string }) => {
      exitedFlag = true;
      const reason = err.code === "ENOENT"
        ? `executable not found: ${JSON.stringify(argv[0])}`
        : err.code === "EACCES"
        ? `permission denied: ${JSON.stringify(argv[0])}`
        : err.message;
      resolve({ code: null, signal: null, error: reason });
    });
    child.once("exit", (code, signal) => {
      exitedFlag = true;
      resolve({ code, signal });
    });
  });
  return {
    pid: child.pid,
    stdout: toWebReadable(child.stdout),
    stderr: toWebReadable(child.stderr),
    stdin: toWebWritable(child.stdin),
    exited,
    kill(signal = "SIGTERM") {
      if (child.pid === undefined) return;
      try {
        // The group may outlive its leader (orphaned grandchildren), so signal it even after exit.
        if (group) process.kill(-child.pid, signal);
        else if (!exitedFlag) child.kill(signal);
      } catch { /* already gone */ }
    },
  };
}
