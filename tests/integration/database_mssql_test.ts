/**
 * The database source against SQL Server's wire protocol: the real `mssql`
 * (tedious) client talks TDS over TCP to the protocol-level test server in
 * tests/support/tds_server.ts (no SQL Server can be installed here).
 */
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
  waitFor,
} from "../assert.ts";
import { CollectError, ConnectError, TimeoutError } from "../../src/core/mod.ts";
import { databaseKind } from "../../src/sources/database/mod.ts";
import { configFor, RecordingAccumulator, testDeps } from "../support/source_harness.ts";
import { startTdsServer, type TdsAnswer, type TdsRequest } from "../support/tds_server.ts";

const PASSWORD = "Mssql-Secret-8x!Q";

async function withServer(
  handler: (req: TdsRequest) => TdsAnswer | Promise<TdsAnswer>,
  fn: (url: string, server: Awaited<ReturnType<typeof startTdsServer>>) => Promise<void>,
): Promise<void> {
  const server = await startTdsServer(handler, { password: PASSWORD });
  try {
    await fn(
      `sqlserver://metrics:${
        encodeURIComponent(PASSWORD)
      }@127.0.0.1:${server.port}/erp?encrypt=false`,
      server,
    );
  } finally {
    await server.close();
  }
}

function source(
  url: string,
  queries: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
) {
  const deps = testDeps();
  const src = databaseKind.create(
    configFor(databaseKind, { connection_string: url, queries, ...extra }),
    deps,
  );
  return { src, deps };
}

const answers = (req: TdsRequest): TdsAnswer => {
  if (req.sql.includes("invoices")) {
    return {
      columns: [
        { name: "status", type: "nvarchar" },
        { name: "n", type: "int" },
        { name: "amount", type: "decimal", precision: 20, scale: 2 },
        { name: "big", type: "bigint" },
      ],
      rows: [["open", 3, "1234.50", 9007199254740993n], ["late", 1, "-7.25", null]],
    };
  }
  if (req.sql.includes("missing")) {
    return { error: { number: 208, message: "Invalid object name 'missing'." } };
  }
  return { columns: [{ name: "", type: "float" }], rows: [[2.5]] };
};

Deno.test("database source on SQL Server binds typed RPC params and maps rows", async () => {
  await withServer(answers, async (url, server) => {
    const { src, deps } = source(url, [
      {
        name: "invoices",
        sql:
          "SELECT status, n, amount, big FROM invoices WHERE due < $1 AND region = $2 AND kind = $3 AND status <> '$1'",
        params: ["1h_ago", "EU", 7],
        label_columns: ["status"],
        value_columns: ["n", "amount", "big"],
      },
      { name: "native", sql: "SELECT 2.5 WHERE @p1 = 1", params: [1] },
      { name: "missing", sql: "SELECT COUNT(*) FROM missing" },
    ]);
    const acc = new RecordingAccumulator();
    const t0 = Date.now();
    try {
      await src.start(AbortSignal.timeout(5000));
      await src.collect(acc, AbortSignal.timeout(5000));
    } finally {
      await src.stop();
    }
    assertEquals(acc.samples.filter((s) => s.name.startsWith("invoices")), [
      { name: "invoices.n", value: 3, attributes: { status: "open" } },
      { name: "invoices.amount", value: 1234.5, attributes: { status: "open" } },
      { name: "invoices.big", value: 9007199254740992, attributes: { status: "open" } },
      { name: "invoices.n", value: 1, attributes: { status: "late" } },
      { name: "invoices.amount", value: -7.25, attributes: { status: "late" } },
    ]);
    assertEquals(acc.value("native"), 2.5);
    assertEquals(acc.errors.map((e) => (e.err as Error).message), [
      `database source "test": query "missing": Invalid object name 'missing'. (EREQUEST)`,
    ]);
    assertInstanceOf(acc.errors[0].err, CollectError);
    const inv = server.requests.find((r) => r.sql.includes("invoices"))!;
    assertEquals(inv.kind, "rpc");
    assertEquals(
      inv.sql,
      "SELECT status, n, amount, big FROM invoices WHERE due < @p1 AND region = @p2 AND kind = @p3 AND status <> '$1'",
    );
    assertEquals([inv.params.p2, inv.params.p3], ["EU", 7]);
    const due = (inv.params.p1 as Date).getTime();
    assert(Math.abs(due - (t0 - 3_600_000)) < 5000, `p1 is an hour ago: ${inv.params.p1}`);
    // The login: the password checked by the server, read-only intent, the app name.
    assertEquals(server.logins[0].user, "metrics");
    assertEquals(server.logins[0].database, "erp");
    assertEquals(server.logins[0].readOnlyIntent, true);
    assertEquals(server.logins[0].appName, "sextant");
    assert(deps.logs.some((l) => l.includes("precision lost") && l.includes('"column":"big"')));
  });
});

Deno.test("database source on SQL Server refuses writes before they reach the server", async () => {
  await withServer(answers, async (url, server) => {
    const { src } = source(url, [
      { name: "wipe", sql: "DELETE FROM invoices" },
      { name: "copy", sql: "SELECT * INTO backup FROM invoices" },
      { name: "proc", sql: "EXEC sp_who" },
      { name: "ok", sql: "SELECT 2.5" },
    ]);
    const acc = new RecordingAccumulator();
    try {
      await src.start(AbortSignal.timeout(5000));
      await src.collect(acc, AbortSignal.timeout(5000));
    } finally {
      await src.stop();
    }
    assertEquals(acc.value("ok"), 2.5);
    assertEquals(acc.errors.map((e) => e.item).sort(), ["copy", "proc", "wipe"]);
    assert(acc.errors.every((e) => (e.err as Error).message.includes(": refused: ")));
    assertEquals(server.requests.map((r) => r.sql), ["SELECT 2.5"]);
  });
});

Deno.test("database source on SQL Server reports a failed login without the password", async () => {
  await withServer(answers, async (url) => {
    const wrong = url.replace(encodeURIComponent(PASSWORD), "Wrong-Secret-99");
    const { src, deps } = source(wrong, [{ name: "n", sql: "SELECT 1" }]);
    const err = await assertRejects(
      () => src.start(AbortSignal.timeout(5000)),
      ConnectError,
      "Login failed for user 'metrics'.",
    );
    await src.stop();
    assertStringIncludes((err as Error).message, `cannot connect to sqlserver://127.0.0.1:`);
    const text = `${(err as Error).message} ${JSON.stringify(src.details!())} ${
      deps.logs.join("\n")
    }`;
    assert(!text.includes("Wrong-Secret-99"), text);
  });
  // The ADO form: its Password= value is registered too.
  await withServer(answers, async (_url, server) => {
    const ado =
      `Server=127.0.0.1,${server.port};Database=erp;User Id=metrics;Password=Ado-Secret-77;Encrypt=false`;
    const { src, deps } = source(ado, [{ name: "n", sql: "SELECT 1" }]);
    const err = await assertRejects(
      () => src.start(AbortSignal.timeout(5000)),
      ConnectError,
      "Login failed",
    );
    await src.stop();
    assertEquals(deps.redactor.redact("x Ado-Secret-77"), "x ***");
    assert(!(err as Error).message.includes("Ado-Secret-77"));
  });
});

Deno.test("database source on SQL Server cancels a query past its timeout and replaces the session", async () => {
  let hang = true;
  await withServer(
    (req) => (req.sql.includes("slow") && hang ? { hang: true } : answers(req)),
    async (url, server) => {
      const { src } = source(url, [{ name: "slow", sql: "SELECT 2.5 -- slow", timeout: "300ms" }], {
        pool: { size: 1 },
      });
      try {
        await src.start(AbortSignal.timeout(5000));
        const acc = new RecordingAccumulator();
        await src.collect(acc, AbortSignal.timeout(5000));
        assertInstanceOf(acc.errors[0].err, TimeoutError);
        assertEquals(
          (acc.errors[0].err as Error).message,
          'database source "test": query "slow" timed out after 300 ms',
        );
        await waitFor(() => server.attentions >= 1, "the client's ATTENTION", 5000);
        hang = false;
        const acc2 = new RecordingAccumulator();
        await src.collect(acc2, AbortSignal.timeout(5000));
        assertEquals(acc2.errors, []);
        assertEquals(acc2.value("slow"), 2.5);
        const pool = src.details!().pool as {
          connections_replaced: number;
          connections_opened: number;
        };
        assertEquals(pool.connections_replaced, 1);
        assertEquals(pool.connections_opened, 2);
      } finally {
        await src.stop();
      }
    },
  );
});

Deno.test("tds test server drops a connection when told to, and the source reports it per query", async () => {
  await withServer(
    (req) => (req.sql.includes("drop") ? { drop: true } : answers(req)),
    async (url) => {
      const { src } = source(url, [{ name: "gone", sql: "SELECT 1 -- drop" }, {
        name: "ok",
        sql: "SELECT 2.5",
      }], { pool: { size: 1 }, max_concurrency: 1 });
      try {
        await src.start(AbortSignal.timeout(5000));
        const acc = new RecordingAccumulator();
        await src.collect(acc, AbortSignal.timeout(5000));
        assertEquals(acc.value("ok"), 2.5);
        assertEquals(acc.errors.map((e) => e.item), ["gone"]);
      } finally {
        await src.stop();
      }
    },
  );
});
