/**
 * Which config keys hold secrets, so their values are neither printed by
 * `config print` nor quoted in error messages, and how credentials inside
 * printed text are masked.
 * @module
 */

const SECRET_KEY =
  /passw(or)?d|^pwd$|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|authorization|credential/i;
// Short or common words count only as a whole part of the name (`REDIS_PASS`, not `compass`).
const SECRET_PART =
  /(^|[_.-])(pwd|pass|passwd|password|passphrase|secret|token|api[-_]?key|private[-_]?key|credentials?)([_.-]|$)/i;
const SECRET_HEADER = /^(cookie|set-cookie|proxy-authorization|x-api-key|x-auth[-_a-z]*)$/i;

/**
 * Whether the value of `key` is a secret. `parent` is the enclosing table's
 * key: inside `headers` tables a few more names count (cookies, `X-Auth-*`).
 * Names are also split at camelCase humps (`redisPass`).
 *
 * @example Secret keys
 * ```ts
 * isSecretKey("db_password"); // true
 * isSecretKey("MYSQL_PWD"); // true
 * isSecretKey("Cookie", "headers"); // true
 * isSecretKey("interval"); // false
 * isSecretKey("passenger"); // false
 * ```
 */
export function isSecretKey(key: string, parent?: string): boolean {
  return SECRET_KEY.test(key) ||
    SECRET_PART.test(key.replace(/([a-z0-9])(?=[A-Z])/g, "$1_")) ||
    (parent === "headers" && SECRET_HEADER.test(key));
}
