/**
 * A loopback TCP proxy that tests control, to put faults between a client
 * and a real server: refuse connections (server down), drop the open ones
 * (server restart, idle cut by a firewall), drop a connection as soon as it
 * sends a request (failure mid-query), and delay traffic.
 *
 * @example A database that goes down and comes back
 * ```ts
 * const proxy = await startTcpProxy({ hostname: "127.0.0.1", port: 5432 });
 * // connect the client to 127.0.0.1:${proxy.port}
 * proxy.refuse(); // new connections fail with ECONNREFUSED, open ones are cut
 * await proxy.accept(); // the "server" is back on the same port
 * await proxy.close();
 * ```
 * @module
 */

/** A running proxy. */
export interface TcpProxy {
  /** The loopback port clients connect to; it stays the same across refuse/accept. */
  readonly port: number;
  /** Connections accepted since the start. */
  readonly accepted: number;
  /** Connections open now. */
  readonly open: number;
  /** Stops listening (clients get ECONNREFUSED) and cuts every open connection. */
  refuse(): void;
  /** Listens again on the same port. */
  accept(): Promise<void>;
  /** Cuts every open connection (both sides see a reset or close). */
  dropAll(): void;
  /** Cuts the next `n` connections that send data to the server, before it is forwarded. */
  dropOnNextRequest(n?: number): void;
  /** Delays every chunk, in both directions, by `ms` (0 to stop). */
  setDelay(ms: number): void;
  /** Stops the proxy and cuts everything. Safe to call twice. */
  close(): Promise<void>;
}

interface Pair {
  client: Deno.Conn;
  server: Deno.Conn;
}

/** Starts a proxy on a free loopback port, forwarding to `target`. */
export function startTcpProxy(
  target: { hostname: string; port: number },
): Promise<TcpProxy> {
  let listener: Deno.Listener | undefined = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const pairs = new Set<Pair>();
  let accepted = 0;
  let delayMs = 0;
  let dropNext = 0;
  let closed = false;

  const cut = (p: Pair) => {
    pairs.delete(p);
    for (const c of [p.client, p.server]) {
      try {
        c.close();
      } catch { /* closed already */ }
    }
  };

  const pump = async (from: Deno.Conn, to: Deno.Conn, p: Pair, upstream: boolean) => {
    const buf = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null) break;
        if (upstream && dropNext > 0) {
          dropNext--;
          break;
        }
        const chunk = buf.slice(0, n);
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        let at = 0;
        while (at < chunk.length) at += await to.write(chunk.subarray(at));
      }
    } catch { /* either side went away */ }
    cut(p);
  };

  const serve = async (l: Deno.Listener) => {
    try {
      for await (const client of l) {
        accepted++;
        let server: Deno.Conn;
        try {
          server = await Deno.connect(target);
        } catch {
          client.close();
          continue;
        }
        const p = { client, server };
        pairs.add(p);
        pump(client, server, p, true);
        pump(server, client, p, false);
      }
    } catch { /* listener closed */ }
  };
  serve(listener);

  const proxy: TcpProxy = {
    port,
    get accepted() {
      return accepted;
    },
    get open() {
      return pairs.size;
    },
    refuse() {
      listener?.close();
      listener = undefined;
      proxy.dropAll();
    },
    accept() {
      if (!listener && !closed) {
        listener = Deno.listen({ hostname: "127.0.0.1", port });
        serve(listener);
      }
      return Promise.resolve();
    },
    dropAll() {
      for (const p of [...pairs]) cut(p);
    },
    dropOnNextRequest(n = 1) {
      dropNext = n;
    },
    setDelay(ms: number) {
      delayMs = ms;
    },
    close() {
      closed = true;
      proxy.refuse();
      return Promise.resolve();
    },
  };
  return Promise.resolve(proxy);
}
