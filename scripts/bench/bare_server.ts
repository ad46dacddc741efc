/** Baseline for the startup benchmark: the smallest HTTP server on the same runtime. */
const port = Number((globalThis as { process?: { argv: string[] } }).process?.argv.at(-1));
const handler = () => new Response("ok\n");
// deno-lint-ignore no-explicit-any
const g = globalThis as any;
if (g.Bun) g.Bun.serve({ hostname: "127.0.0.1", port, fetch: handler });
else g.Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, handler);
