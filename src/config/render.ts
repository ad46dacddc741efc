/**
 * The effective configuration as TOML text, for `sextant config print
 * --resolved`, with every secret masked.
 * @module
 */
import { stringify } from "smol-toml";
import { redactCredentials, REDACTED, Redactor } from "../core/mod.ts";
import { isTable, setOwn } from "./path.ts";
import { isSecretKey } from "./secrets.ts";

/**
 * Renders a merged document as TOML. Values of secret-looking keys
 * (`password`, `token`, `api_key`, `Authorization` in `headers`...) become
 * `***`, as do URL passwords (`postgresql://user:***@host/db`), userinfos
 * without a password (`https://***@host`) and every value
 * the redactor knows. The input is not modified.
 *
 * @example Printing a config
 * ```ts
 * renderConfig({ db: { url: "postgresql://app:hunter2@db/prod", password: "hunter2" } });
 * // [db]
 * // url = "postgresql://app:***@db/prod"
 * // password = "***"
 * ```
 */
export function renderConfig(raw: Record<string, unknown>, redactor?: Redactor): string {
  return stringify(redactValue(raw, redactor ?? new Redactor(), false, undefined));
}

function redactValue(
  value: unknown,
  redactor: Redactor,
  secret: boolean,
  key: string | undefined,
): unknown {
  if (typeof value === "string") {
    return secret ? REDACTED : redactCredentials(redactor.redact(value));
  }
  if (typeof value === "number" || typeof value === "bigint") return secret ? REDACTED : value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, redactor, secret, key));
  if (isTable(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      setOwn(out, k, redactValue(v, redactor, secret || isSecretKey(k, key), k));
    }
    return out;
  }
  return value;
}
