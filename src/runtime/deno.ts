/** The Deno adapter of {@linkcode Platform}. @module */
import { ConnectError } from "../core/mod.ts";
import type { Platform } from "../core/mod.ts";
import { common } from "./common.ts";

/** Builds the Deno platform. */
export function denoPlatform(): Platform {
  return {
    ...common,
    name: "deno",
    version: Deno.version.deno,
    pid: Deno.pid,
    args: () => [...Deno.args],
    execPath: () => Deno.execPath(),
    isCompiled: () => Boolean((Deno.build as { standalone?: boolean }).standalone),
    exit: (code) => Deno.exit(code),
    serve: ({ hostname, port, handler }) => {
      let server: Deno.HttpServer<Deno.NetAddr>;
      try {
        server = Deno.serve({
          hostname,
          port,
          onListen: () => {},
          handler: (req, info) => handler(req, { remoteAddr: info.remoteAddr.hostname }),
        });
      } catch (err) {
        const endpoint = `${hostname}:${port}`;
        const why = err instanceof Deno.errors.AddrInUse
          ? "address already in use"
          : (err as Error).message;
        return Promise.reject(
          new ConnectError(endpoint, `Cannot listen on ${endpoint}: ${why}`, { cause: err }),
        );
      }
      let closing: Promise<void> | undefined;
      return Promise.resolve({
        hostname: server.addr.hostname,
        port: server.addr.port,
        close: () => (closing ??= server.shutdown()),
      });
    },
    onSignal: (signal, fn) => {
      Deno.addSignalListener(signal, fn);
      return () => Deno.removeSignalListener(signal, fn);
    },
  };
}
