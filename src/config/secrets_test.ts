import { redactCredentials } from "../core/mod.ts";
import { isSecretKey } from "./secrets.ts";
import { assertEquals } from "./testdata/assert.ts";

Deno.test("isSecretKey recognises short secret words as whole parts of a name", () => {
  for (
    const k of [
      "MYSQL_PWD",
      "REDIS_PASS",
      "pass",
      "smtp.pass",
      "ldap-pwd",
      "db_passwd",
      "passphrase",
      "SSH_PASSPHRASE",
      "private_key",
      "privatekey",
      "credentials",
      "aws_credential_file",
      "client_secret",
      "GITHUB_TOKEN",
      "redisPass",
      "mysqlPwd",
    ]
  ) {
    assertEquals(isSecretKey(k), true, k);
  }
  for (
    const k of [
      "passenger",
      "compass",
      "bypass",
      "passive",
      "passthrough",
      "surpass_limit",
      "Passengers",
      "pwdx",
      "spwd",
      "compassHeading",
    ]
  ) {
    assertEquals(isSecretKey(k), false, k);
  }
});

Deno.test("redactCredentials masks URL passwords and userinfos without a password", () => {
  const cases: [string, string][] = [
    ["ftp://monitor:Hunter2@example.com/", "ftp://monitor:***@example.com/"],
    ["https://ghp_Tok3n@example.com/x", "https://***@example.com/x"],
    [
      "see https://ghp_Tok3n@h/ and postgresql://u:p@ss@db/x",
      "see https://***@h/ and postgresql://u:***@db/x",
    ],
    ["Server=h;Password=Hunter2;", "Server=h;Password=***;"],
    [
      "http://host/a@b http://host?mail=a@b.example http://@host/",
      "http://host/a@b http://host?mail=a@b.example http://@host/",
    ],
  ];
  for (const [text, expected] of cases) {
    assertEquals(redactCredentials(text), expected, text);
    assertEquals(redactCredentials(expected), expected, expected);
  }
});
