import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { redactCredentials, REDACTED, Redactor } from "./redact.ts";

const PW = "S3cr3t-Pa55";

Deno.test("redactCredentials masks URL passwords and key=value secrets", () => {
  assertEquals(
    redactCredentials(`postgresql://app:${PW}@db:5432/prod`),
    "postgresql://app:***@db:5432/prod",
  );
  assertEquals(
    redactCredentials(`Server=db;User Id=sa;Password=${PW};`),
    "Server=db;User Id=sa;Password=***;",
  );
  assertEquals(redactCredentials(`GET /x?token=${PW}&a=1`), "GET /x?token=***&a=1");
  assertEquals(redactCredentials(`authorization: Bearer ${PW}`), "authorization: ***");
  assertEquals(redactCredentials("http://host/path"), "http://host/path");
});

Deno.test("Redactor removes registered secrets, encoded forms included", () => {
  const r = new Redactor();
  r.add(PW);
  r.add("ab"); // too short to register
  r.add("p@ss word!");
  const out = r.redact(`failed with ${PW} and p%40ss%20word! and ab`);
  assertEquals(out.includes(PW), false);
  assertEquals(out.includes("p%40ss%20word!"), false);
  assertStringIncludes(out, REDACTED);
  assertStringIncludes(out, "and ab");
});

Deno.test("Redactor learns passwords from connection strings", () => {
  const r = new Redactor();
  r.addFromConnectionString(`mysql://root:${encodeURIComponent("p@" + PW)}@localhost/x`);
  r.addFromConnectionString(`Server=tcp:db;Password=${PW}x;Encrypt=true`);
  assertEquals(r.redact(`oops p@${PW} and ${PW}x`).includes(PW), false);
});

Deno.test("redactCredentials covers a raw '@' inside a URL password", () => {
  assertEquals(redactCredentials("mysql://u:p@ss@host:3306/db"), "mysql://u:***@host:3306/db");
  const r = new Redactor();
  r.addFromConnectionString("postgresql://u:p@ss-w0rd@host/db");
  assertEquals(r.redact("auth failed for p@ss-w0rd"), "auth failed for ***");
});

Deno.test("redactCredentials masks a URL userinfo without a password whole", () => {
  const token = "ghp_SuperSecretToken42";
  assertEquals(
    redactCredentials(`GET "http://${token}@127.0.0.1:1/health" failed`),
    `GET "http://***@127.0.0.1:1/health" failed`,
  );
  assertEquals(redactCredentials(`https://${token}@example.com`), "https://***@example.com");
  // With a password, the user name stays readable.
  assertEquals(redactCredentials(`https://bob:${PW}@example.com/`), "https://bob:***@example.com/");
  assertEquals(redactCredentials(`https://:${PW}@example.com/`), "https://:***@example.com/");
  // Not userinfo: an '@' after the path, in the query, or an empty userinfo.
  for (const text of ["http://host/a@b", "http://host?mail=a@b.example", "http://@host/"]) {
    assertEquals(redactCredentials(text), text);
  }
  const r = new Redactor();
  assertEquals(r.redact(`cannot reach https://${token}@h/x`), "cannot reach https://***@h/x");
});

Deno.test("Redactor learns a URL password that holds '/' and masks it everywhere", () => {
  const r = new Redactor();
  const cs = "postgresql://u:Zq9/SECRETpw@127.0.0.1:5432/x";
  r.addFromConnectionString(cs);
  assertEquals(r.redact("password Zq9/SECRETpw rejected"), "password *** rejected");
  // The raw '/' makes the URL unparsable (the port would be "Zq9"), so it goes whole.
  assertEquals(r.redact(`cannot connect to ${cs}`), "cannot connect to ***");
});

Deno.test("Redactor masks a connection string that does not parse as a URL whole", () => {
  const r = new Redactor();
  const cs = "postgresql://u:Zq9/SECRETpw@[bad/x";
  r.addFromConnectionString(cs);
  const out = r.redact(`Invalid URL: '${cs}'`);
  assertEquals(out, "Invalid URL: '***'");
});

Deno.test("Redactor masks quoted ADO password values that hold ';' or doubled quotes", () => {
  const r = new Redactor();
  r.addFromConnectionString(`Server=db;User Id=sa;Password="Zq9;SECRETpw";Encrypt=true`);
  r.addFromConnectionString(`Server=db;Pwd='It''s;Hidden'`);
  assertEquals(
    r.redact(`Server=db;User Id=sa;Password="Zq9;SECRETpw";Encrypt=true`),
    "Server=db;User Id=sa;Password=***;Encrypt=true",
  );
  assertEquals(r.redact("login failed: Zq9;SECRETpw"), "login failed: ***");
  assertEquals(r.redact("login failed: It's;Hidden"), "login failed: ***");
});
