/**
 * The plugin host: the child process side. Sextant re-executes itself with
 * `__sextant-plugin-host`; this module then reads one `init` line on stdin,
 * runs the plugin in a Worker restricted to the granted permissions, and
 * relays `collect` requests. Every protocol line it prints starts with the
 * nonce from `init`, so that a plugin writing to stdout cannot forge one.
 * After the nonce comes a JSON object (`{"op": ...}`), or for a collection's
 * samples `result <id> <JSON array>`.
 *
 * Keep this module's imports free of npm packages: a host started from a
 * URL has no import map and may not download anything.
 * @module
 */
import { createWorker, processStdio, type WorkerPermissions } from "../runtime/mod.ts";
import { LineSplitter } from "./line_reader.ts";
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
  /** Only import the entry and check its default export (`sextant plugins check`). */
  check?: boolean;
}

/** Requests after `init`. */
export type HostRequest = { op: "collect"; id: number } | { op: "ping"; id: number } | {
  op: "close";
};

/** Runs the host until stdin closes or `close` arrives; resolves with the exit code. */
export function hostMain(): Promise<number> {
  const io = processStdio();
  let prefix = " ";
  let worker: Worker | undefined;
  // One synchronous write per line: no promise and no queue per message.
  const send = (msg: Record<string, unknown>) =>
    io.writeStdout(`${prefix}${JSON.stringify(msg)}\n`);
  // A result is `<nonce> result <id> <JSON of the samples>`: the JSON text the Worker encoded goes
  // out as it is, last on its line, and the parent hands it to the sample parser (one parse, which
  // also rejects text that is not JSON). Code in the Worker can post anything, so only an integer
  // id and text without a newline (which would end the line early) pass.
  const sendResult = (id: unknown, json: unknown) => {
    if (!Number.isSafeInteger(id)) return;
    if (typeof json !== "string" || json.includes("\n")) {
      return send({ op: "result", id, error: "the plugin's Worker sent a malformed result" });
    }
    io.writeStdout(`${prefix}result ${id} ${json}\n`);
  };
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));

  const onWorker = (m: FromWorker) => {
    switch (m.type) {
      case "result":
        return sendResult(m.id, m.json);
      case "ready":
        return send({ op: "ready" });
      case "error":
        if (m.phase === "init") return send({ op: "failed", message: m.message });
        return send({ op: "result", id: m.id, error: m.message });
      case "log":
        return send({ op: "log", level: m.level, text: m.text });
      case "closed":
        return finish(0);
    }
  };

  const onLine = (line: string) => {
    let msg: HostInit | HostRequest;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg.op === "collect") return worker?.postMessage({ type: "collect", id: msg.id });
    if (msg.op === "ping") return send({ op: "pong", id: msg.id });
    if (msg.op === "close") {
      if (worker) worker.postMessage({ type: "close" });
      else finish(0);
      return;
    }
    if (msg.op !== "init") return;
    prefix = `${msg.nonce} `;
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "application/javascript" }));
    try {
      worker = createWorker(url, `plugin:${msg.name}`, msg.permissions);
    } catch (err) {
      send({ op: "failed", message: `cannot start the worker: ${(err as Error).message}` });
      return finish(1);
    }
    worker.onmessage = (e: MessageEvent<FromWorker>) => onWorker(e.data);
    worker.onerror = (e: ErrorEvent) => {
      // Without preventDefault an uncaught error in the worker would end this process silently.
      e.preventDefault();
      send({ op: "crashed", message: String(e.message ?? "uncaught error").slice(0, 2000) });
      finish(3);
    };
    worker.postMessage({
      type: "init",
      entry: msg.entry,
      name: msg.name,
      options: msg.options,
      check: msg.check === true,
    });
  };

  const split = new LineSplitter({ maxLine: 1 << 20, onOverflow: () => finish(2), onLine });
  io.readStdin((chunk) => split.push(chunk), () => {
    split.end();
    finish(0);
  });
  return done;
}
