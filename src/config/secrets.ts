/**
 * Which config keys hold secrets, so their values are neither printed by
 * `config print` nor quoted in error messages.
 * @module
 */

const SECRET_KEY =
  /passw(or)?d|^pwd$|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|authorization|credential/i;
const SECRET_HEADER = /^(cookie|set-cookie|proxy-authorization|x-api-key|x-auth[-_a-z]*)$/i;

/**
 * Whether the value of `key` is a secret. `parent` is the enclosing table's
 * key: inside `headers` tables a few more names count (cookies, `X-Auth-*`).
 *
 * @example Secret keys
 * ```ts
 * isSecretKey("db_password"); // true
 * isSecretKey("Cookie", "headers"); // true
 * isSecretKey("interval"); // false
 * ```
 */
export function isSecretKey(key: string, parent?: string): boolean {
  return SECRET_KEY.test(key) || (parent === "headers" && SECRET_HEADER.test(key));
}
