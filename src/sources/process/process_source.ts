/**
 * Reads `/proc` each collection: finds the processes whose name or command
 * line matches, and sums their figures. CPU utilization is the CPU time used
 * since the previous collection over the wall time (100% = one core); on the
 * first collection, each process's average since it started.
 * @module
 */
import {
  type Accumulator,
  type Clock,
  CollectError,
  type CommonSourceConfig,
  errorMessage,
  type Platform,
  type SampleInput,
  type Source,
  type SourceDeps,
} from "../../core/mod.ts";
import type { ProcessFields, ProcessGroup } from "./process_kind.ts";

/** Kernel clock ticks per second (`USER_HZ`): 100 on every mainstream Linux build. */
const CLK_TCK = 100;
const PAGE = 1024;

/** What one process contributes. */
interface ProcInfo {
  pid: number;
  /** utime + stime, ticks. */
  ticks: number;
  /** Start time after boot, ticks. */
  start: number;
  threads: number;
  rss?: number;
  vsize?: number;
  voluntary?: number;
  involuntary?: number;
  readBytes?: number;
  writeBytes?: number;
  fds?: number;
  /** Groups that could not be read for this process (permission). */
  denied: Set<ProcessGroup>;
}

/** A running `process` source. */
export class ProcessSource implements Source {
  readonly type = "process";
  readonly name: string;
  #groups: ProcessGroup[];
  #patterns: RegExp[];
  #root: string;
  #platform: Platform;
  #clock: Clock;
  #prev?: { at: number; ticks: Map<number, number> };
  #matched = 0;
  #denied: Partial<Record<ProcessGroup, number>> = {};

  constructor(config: ProcessFields & CommonSourceConfig, deps: SourceDeps) {
    this.name = config.name;
    this.#groups = [...new Set(config.collect)];
    this.#patterns = config.patterns.map((p) => new RegExp(p, "i"));
    this.#root = config.proc_root.replace(/\/+$/, "") || "/";
    this.#platform = deps.platform;
    this.#clock = deps.clock;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.#prev = undefined;
    return Promise.resolve();
  }

  details(): Record<string, unknown> {
    return { matched: this.#matched, permission_denied: this.#denied };
  }

  async collect(acc: Accumulator, signal: AbortSignal): Promise<void> {
    let entries;
    try {
      entries = await this.#platform.readDir(this.#root);
    } catch (err) {
      acc.addError(
        new CollectError(
          this.name,
          `process source ${JSON.stringify(this.name)}: cannot list ${this.#root} ` +
            `(the process source needs Linux /proc): ${errorMessage(err)}`,
          { cause: err },
        ),
      );
      return;
    }
    const self = String(this.#platform.pid);
    const procs: ProcInfo[] = [];
    for (const e of entries) {
      if (signal.aborted) return;
      if (!/^\d+$/.test(e.name) || e.name === self) continue;
      const info = await this.#read(Number(e.name));
      if (info) procs.push(info);
    }
    const now = this.#clock.monotonic();
    const uptime = await this.#uptime();
    this.#matched = procs.length;
    acc.add({ name: "processes", value: procs.length, type: "gauge", unit: "{process}" });
    this.#denied = {};
    for (const group of this.#groups) {
      const denied = procs.filter((p) => p.denied.has(group)).length;
      if (denied > 0) this.#denied[group] = denied;
      const readable = procs.filter((p) => !p.denied.has(group));
      if (procs.length > 0 && readable.length === 0) {
        acc.addError(
          new CollectError(
            this.name,
            `process source ${JSON.stringify(this.name)}: cannot read ${group} of ` +
              `${denied} matching process(es): permission denied (run as their user or root)`,
            { query: group },
          ),
          group,
        );
        continue;
      }
      if (readable.length === 0) continue;
      for (const s of this.#samples(group, readable, now, uptime)) acc.add(s);
    }
    this.#prev = { at: now, ticks: new Map(procs.map((p) => [p.pid, p.ticks])) };
  }

  #samples(group: ProcessGroup, procs: ProcInfo[], now: number, uptime?: number): SampleInput[] {
    const sum = (f: (p: ProcInfo) => number | undefined) =>
      procs.reduce((total, p) => total + (f(p) ?? 0), 0);
    switch (group) {
      case "cpu": {
        const prev = this.#prev;
        let used = 0; // seconds of CPU
        let wall = 0; // seconds
        if (prev && now > prev.at) {
          wall = (now - prev.at) / 1000;
          for (const p of procs) {
            const before = prev.ticks.get(p.pid);
            // A process that started since the last collection used all its ticks in the window.
            used += (before === undefined ? p.ticks : Math.max(0, p.ticks - before)) / CLK_TCK;
          }
          return [{ name: "cpu.utilization", value: round(100 * used / wall), unit: "%" }];
        }
        if (uptime === undefined) return [];
        // First collection: each process's average since it started.
        let value = 0;
        for (const p of procs) {
          const lived = uptime - p.start / CLK_TCK;
          if (lived > 0) value += 100 * (p.ticks / CLK_TCK) / lived;
        }
        return [{ name: "cpu.utilization", value: round(value), unit: "%" }];
      }
      case "memory":
        return [
          { name: "memory.rss", value: sum((p) => p.rss), type: "gauge", unit: "By" },
          { name: "memory.virtual", value: sum((p) => p.vsize), type: "gauge", unit: "By" },
        ];
      case "threads":
        return [{ name: "threads", value: sum((p) => p.threads), type: "gauge", unit: "{thread}" }];
      case "fds":
        return [{ name: "open_fds", value: sum((p) => p.fds), type: "gauge", unit: "{fd}" }];
      case "io":
        return [
          { name: "disk.read_bytes", value: sum((p) => p.readBytes), type: "counter", unit: "By" },
          {
            name: "disk.write_bytes",
            value: sum((p) => p.writeBytes),
            type: "counter",
            unit: "By",
          },
        ];
      case "context_switches":
        return [
          {
            name: "context_switches",
            value: sum((p) => p.voluntary),
            type: "counter",
            attributes: { kind: "voluntary" },
          },
          {
            name: "context_switches",
            value: sum((p) => p.involuntary),
            type: "counter",
            attributes: { kind: "involuntary" },
          },
        ];
    }
  }

  async #uptime(): Promise<number | undefined> {
    try {
      const text = await this.#platform.readTextFile(`${this.#root}/uptime`);
      const v = Number(text.split(/\s+/)[0]);
      return Number.isFinite(v) ? v : undefined;
    } catch {
      return undefined;
    }
  }

  /** One process, when it matches; undefined when it does not or has gone. */
  async #read(pid: number): Promise<ProcInfo | undefined> {
    const dir = `${this.#root}/${pid}`;
    const p = this.#platform;
    let comm: string;
    let stat: string;
    let cmdline = "";
    try {
      comm = (await p.readTextFile(`${dir}/comm`)).replace(/\n$/, "");
      if (!this.#patterns.some((re) => re.test(comm))) {
        cmdline = (await p.readTextFile(`${dir}/cmdline`)).replaceAll("\0", " ").trim();
        if (!cmdline || !this.#patterns.some((re) => re.test(cmdline))) return undefined;
      }
      stat = await p.readTextFile(`${dir}/stat`);
    } catch {
      return undefined; // exited while we looked
    }
    // The name in parentheses may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const f = (n: number) => Number(fields[n - 3]); // man proc: field n (1-based)
    const info: ProcInfo = {
      pid,
      ticks: f(14) + f(15),
      start: f(22),
      threads: f(20),
      vsize: f(23),
      rss: f(24) * 4 * PAGE,
      denied: new Set(),
    };
    const want = new Set(this.#groups);
    if (want.has("memory") || want.has("context_switches")) {
      try {
        const status = await p.readTextFile(`${dir}/status`);
        const kb = (key: string) => {
          const m = new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status);
          return m ? Number(m[1]) : undefined;
        };
        const rss = kb("VmRSS");
        if (rss !== undefined) info.rss = rss * PAGE;
        info.voluntary = kb("voluntary_ctxt_switches");
        info.involuntary = kb("nonvoluntary_ctxt_switches");
      } catch { /* stat's figures stand */ }
    }
    if (want.has("io")) {
      try {
        const io = await p.readTextFile(`${dir}/io`);
        info.readBytes = Number(/^read_bytes:\s+(\d+)/m.exec(io)?.[1] ?? 0);
        info.writeBytes = Number(/^write_bytes:\s+(\d+)/m.exec(io)?.[1] ?? 0);
      } catch (err) {
        if (denied(err)) info.denied.add("io");
      }
    }
    if (want.has("fds")) {
      try {
        info.fds = (await p.readDir(`${dir}/fd`)).length;
      } catch (err) {
        if (denied(err)) info.denied.add("fds");
      }
    }
    return info;
  }
}

function denied(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? (err as { name?: string }).name;
  return code === "EACCES" || code === "EPERM" || code === "PermissionDenied";
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
