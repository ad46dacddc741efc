/** The Bun adapter of {@linkcode Platform}. @module */
import process from "node:process";
import { ConnectError } from "../core/mod.ts";
import type { Platform } from "../core/mod.ts";
import { common } from "./common.ts";

interface BunServer {
  port: number;
  hostname: string;
  stop(closeActive?: boolean): Promise<void> | void;
  requestIP(req: Request): { address: string } | null;
}
interface BunGlobal {
  version: string;
  main: string;
  serve(opts: {
    hostname: string;
    port: number;
    fetch: (req: Request, server: BunServer) => Response | Promise<Response>;
  }): BunServer;
}
declare const Bun: BunGlobal;

/** Builds the Bun platform. */
export function bunPlatform(): Platform {
  const compiled = Bun.main.startsWith("/$bunfs/") || Bun.main.includes("~BUN");
  return {
    ...common,
    name: "bun",
    version: Bun.version,
    pid: process.pid,
    args: () => process.argv.slice(2),
    execPath: () => process.execPath,
    isCompiled: () => compiled,
    exit: (code) => process.exit(code),
    serve: ({ hostname, port, handler }) => {
      let server: BunServer;
      try {
        server = Bun.serve({
          hostname,
          port,
          fetch: (req, srv) => handler(req, { remoteAddr: srv.requestIP(req)?.address ?? "" }),
        });
      } catch (err) {
        const endpoint = `${hostname}:${port}`;
        const code = (err as { code?: string }).code;
        const why = code === "EADDRINUSE" || /in use/i.test(String(err))
          ? "address already in use"
          : String(err);
        return Promise.reject(
          new ConnectError(endpoint, `Cannot listen on ${endpoint}: ${why}`, { cause: err }),
        );
      }
      let closing: Promise<void> | undefined;
      return Promise.resolve({
        hostname: server.hostname,
        port: server.port,
        close: () => (closing ??= Promise.resolve(server.stop(true))),
      });
    },
    onSignal: (signal, fn) => {
      process.on(signal, fn);
      return () => void process.off(signal, fn);
    },
  };
}
