/**
 * The plugin host: the child process side. Sextant re-executes itself with
 * `__sextant-plugin-host`; this module then reads one `init` line on stdin,
 * runs the plugin in a Worker restricted to the granted permissions, and
 * relays `collect` requests. Every protocol line it prints starts with the
 * nonce from `init`, so that a plugin writing to stdout cannot forge one.
 *
 * Keep this module's imports free of npm packages: a host started from a
 * URL has no import map and may not download anything.
 * @module
 */
import { createWorker, processStdio, type WorkerPermissions } from "../runtime/mod.ts";
import { readLines } from "./line_reader.ts";
import type { FromWorker } from "./worker_source.ts";
import { WORKER_SOURCE } from "./worker_source.ts";

/** The hidden first argument that starts the host. */
export const PLUGIN_HOST_ARG = "__sextant-plugin-host";

/** The first line the parent sends. */
export interface HostInit {
  op: "init";
  nonce: string;
  name: string;
  /** `file:` URL of the plugin's entry. */
  entry: string;
  options: Record<string, unknown>;
  permissions: WorkerPermissions;
}

/** Requests after `init`. */
export type HostRequest = { op: "collect"; id: number } | { op: "ping"; id: number } | {
  op: "close";
};

/** Runs the host until stdin closes or `close` arrives; resolves with the exit code. */
export function hostMain(): Promise<number> {
  const io = processStdio();
  let nonce = "";
  let worker: Worker | undefined;
  const send = (msg: Record<string, unknown>) =>
    io.writeStdout(`${nonce} ${JSON.stringify(msg)}\n`);
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));

  const onWorker = (m: FromWorker) => {
    switch (m.type) {
      case "ready":
        return void send({ op: "ready" });
      case "result":
        return void send({ op: "result", id: m.id, samples: m.samples });
      case "error":
        if (m.phase === "init") return void send({ op: "failed", message: m.message });
        return void send({ op: "result", id: m.id, error: m.message });
      case "log":
        return void send({ op: "log", level: m.level, text: m.text });
      case "closed":
        return finish(0);
    }
  };

  readLines(io.stdin, {
    maxLine: 1 << 20,
    onOverflow: () => finish(2),
    onEnd: () => finish(0),
    onLine(line) {
      let msg: HostInit | HostRequest;
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      if (msg.op === "init") {
        nonce = msg.nonce;
        const url = URL.createObjectURL(
          new Blob([WORKER_SOURCE], { type: "application/javascript" }),
        );
        try {
          worker = createWorker(url, `plugin:${msg.name}`, msg.permissions);
        } catch (err) {
          void send({
            op: "failed",
            message: `cannot start the worker: ${(err as Error).message}`,
          });
          return finish(1);
        }
        worker.onmessage = (e: MessageEvent<FromWorker>) => onWorker(e.data);
        worker.onerror = (e: ErrorEvent) => {
          // Without preventDefault an uncaught error in the worker would end this process silently.
          e.preventDefault();
          void send({
            op: "crashed",
            message: String(e.message ?? "uncaught error").slice(0, 2000),
          })
            .then(() => finish(3));
        };
        worker.postMessage({
          type: "init",
          entry: msg.entry,
          name: msg.name,
          options: msg.options,
        });
      } else if (msg.op === "ping") void send({ op: "pong", id: msg.id });
      else if (msg.op === "collect") worker?.postMessage({ type: "collect", id: msg.id });
      else if (msg.op === "close") {
        if (worker) worker.postMessage({ type: "close" });
        else finish(0);
      }
    },
  });
  return done;
}
