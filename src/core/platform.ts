/**
 * What Sextant needs from its runtime, defined once. `src/runtime/` holds one
 * small adapter per runtime; everything else receives a `Platform`.
 * @module
 */

/** A request handler in web-standard form. */
export type Handler = (req: Request, info: { remoteAddr: string }) => Response | Promise<Response>;

/** Options of {@linkcode Platform.serve}. */
export interface ServeOptions {
  hostname: string;
  /** 0 picks a free port. */
  port: number;
  handler: Handler;
}

/** A listening HTTP server. */
export interface HttpServer {
  readonly hostname: string;
  readonly port: number;
  /** Stops listening and closes open connections. Safe to call twice. */
  close(): Promise<void>;
}

/** Options of {@linkcode Platform.spawn}. */
export interface SpawnOptions {
  cwd?: string;
  /** The complete environment of the child (nothing is inherited when given). */
  env?: Record<string, string>;
  /** @default {"ignore"} */
  stdin?: "pipe" | "ignore";
  /** Start the child as the leader of a new process group, so that its whole tree can be signalled. @default {true} */
  newProcessGroup?: boolean;
}

/** How a child ended. `error` is set when it could not be started at all. */
export interface ExitStatus {
  code: number | null;
  signal: string | null;
  error?: string;
}

/** A running child process. */
export interface ChildProcess {
  readonly pid: number | undefined;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  /** Present when spawned with `stdin: "pipe"`. */
  readonly stdin: WritableStream<Uint8Array> | null;
  readonly exited: Promise<ExitStatus>;
  /** Signals the child's process group (or the child alone when it has none). Never throws. */
  kill(signal?: "SIGTERM" | "SIGKILL" | "SIGINT" | "SIGHUP"): void;
}

/** File metadata, or what `stat` returns. */
export interface FileInfo {
  isFile: boolean;
  isDirectory: boolean;
  size: number;
  mtimeMs: number;
  /** Permission bits (`0o755`), where the runtime reports them. */
  mode?: number;
}

/** A directory entry. */
export interface DirEntry {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
}

/** Signals the collector reacts to. */
export type ProcessSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

/** The runtime boundary. */
export interface Platform {
  readonly name: "deno" | "bun";
  readonly version: string;
  readonly pid: number;
  /** Command-line arguments after the script (or binary). */
  args(): string[];
  env(name: string): string | undefined;
  envAll(): Record<string, string>;
  cwd(): string;
  /** The running executable (the runtime, or the compiled binary). */
  execPath(): string;
  /** True inside a single-binary build. */
  isCompiled(): boolean;
  exit(code: number): never;
  readTextFile(path: string): Promise<string>;
  readFile(path: string): Promise<Uint8Array>;
  writeTextFile(path: string, text: string): Promise<void>;
  /** `null` when the path does not exist. */
  stat(path: string): Promise<FileInfo | null>;
  /** The canonical path (symlinks followed, `..` resolved); `null` when it does not exist. */
  realPath(path: string): Promise<string | null>;
  /** Entries of a directory, sorted by name; rejects when it cannot be read. */
  readDir(path: string): Promise<DirEntry[]>;
  /**
   * Watches files or directories (a directory: its direct entries, or with
   * `recursive` everything below it) and calls `onChange` with the path that
   * changed. Paths that do not exist are ignored. Events are not debounced.
   * Returns the function that stops watching.
   */
  watch(
    paths: string[],
    onChange: (path: string) => void,
    options?: { recursive?: boolean },
  ): () => void;
  /** Starts an HTTP server; rejects with a `ConnectError` when the address is taken. */
  serve(options: ServeOptions): Promise<HttpServer>;
  spawn(argv: string[], options?: SpawnOptions): ChildProcess;
  /** Subscribes to a signal; returns the unsubscribe function. */
  onSignal(signal: ProcessSignal, fn: () => void): () => void;
  hostname(): string;
  /** Bytes. */
  memoryUsage(): { rss: number; heapUsed: number; heapTotal: number; external: number };
  /** Process CPU time in microseconds. */
  cpuUsage(): { user: number; system: number };
  /** Bytes; `available` is what the kernel reports as MemAvailable. */
  systemMemory(): { total: number; free: number; available: number };
  loadavg(): [number, number, number];
  /** Host uptime in seconds. */
  uptime(): number;
  /** Per-CPU cumulative times in milliseconds. */
  cpuTimes(): { user: number; nice: number; sys: number; idle: number; irq: number }[];
}
