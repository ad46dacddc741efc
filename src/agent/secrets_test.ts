import { assertEquals } from "../../tests/assert.ts";
import { Redactor, type SourceKind } from "../core/mod.ts";
import { builtinSourceKinds } from "../sources/mod.ts";
import { buildDocumentSchema } from "./schema.ts";
import { registerSecrets } from "./secrets.ts";

const kinds = builtinSourceKinds as readonly SourceKind[];

function redactorFor(connectionStrings: string[]): Redactor {
  const doc = buildDocumentSchema(kinds).parse({
    custom_metrics: {
      sources: connectionStrings.map((cs, i) => ({
        name: `db${i}`,
        type: "database",
        connection_string: cs,
        queries: [{ name: "n", sql: "SELECT 1" }],
      })),
    },
  });
  const r = new Redactor();
  registerSecrets(doc, kinds, r);
  return r;
}

Deno.test("registerSecrets keeps SQLite paths readable and masks only passwords", () => {
  const r = redactorFor([
    "sqlite:data/app.db",
    "sqlite:///var/lib/app/metrics.db",
    "postgresql://app:Pg-Secret-42@db:5432/prod",
  ]);
  assertEquals(
    r.redact("opened sqlite:data/app.db and sqlite:///var/lib/app/metrics.db"),
    "opened sqlite:data/app.db and sqlite:///var/lib/app/metrics.db",
  );
  assertEquals(r.redact("auth failed: Pg-Secret-42"), "auth failed: ***");
});

Deno.test("registerSecrets masks a password carried in a SQLite string's options", () => {
  const r = redactorFor(["sqlite:app.db?password=Lite-Secret-7"]);
  assertEquals(r.redact("key Lite-Secret-7 rejected"), "key *** rejected");
  assertEquals(r.redact("opened sqlite:app.db"), "opened sqlite:app.db");
});
