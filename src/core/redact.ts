/**
 * Credential redaction. Every log line, error message and printed config
 * passes through a {@linkcode Redactor} so that passwords never leave Sextant.
 * @module
 */

/** What a redacted secret is replaced with. */
export const REDACTED = "***";

// `scheme://user:pass@` or `scheme://user@`. The password part is greedy up to the last '@'
// of the authority, so a raw '@' inside a password is covered too.
const URL_USERINFO = /([a-z][a-z0-9+.\-]*:\/\/)([^\s/?#@:]*)(?::([^\s/]*))?@/gi;
const KV_SECRET =
  /\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|authorization)(\s*[=:]\s*)("[^"]*"|'[^']*'|Bearer\s+[^\s;,&"]+|Basic\s+[^\s;,&"]+|[^\s;,&"]+)/gi;

/**
 * Masks the password of a URL's userinfo (`scheme://user:pass@host` →
 * `scheme://user:***@host`), a whole userinfo that has no password (a token
 * such as `https://ghp_xxx@host` → `https://***@host`), and the value of
 * `password=`/`token=`-style pairs (ADO strings, query strings).
 *
 * @example Redacting a connection string
 * ```ts
 * redactCredentials("postgresql://app:hunter2@db/prod");
 * // "postgresql://app:***@db/prod"
 * redactCredentials("https://ghp_token@example.com/x");
 * // "https://***@example.com/x"
 * ```
 */
export function redactCredentials(text: string): string {
  return text
    .replace(URL_USERINFO, (m, scheme: string, user: string, pass: string | undefined) => {
      if (pass !== undefined) return `${scheme}${user}:${REDACTED}@`;
      return user === "" ? m : `${scheme}${REDACTED}@`;
    })
    .replace(KV_SECRET, (_m, key, sep) => `${key}${sep}${REDACTED}`);
}

/** Holds the secret values seen so far and removes them from text. */
export class Redactor {
  #secrets = new Set<string>();
  #sorted: string[] = [];

  /** Registers a value that must never be printed. Values under 4 characters are ignored (too many false hits). */
  add(secret: string | undefined): void {
    if (!secret || secret.length < 4 || this.#secrets.has(secret)) return;
    this.#secrets.add(secret);
    // URL-encoded forms appear in connection strings.
    const enc = encodeURIComponent(secret);
    if (enc !== secret) this.#secrets.add(enc);
    this.#sorted = [...this.#secrets].sort((a, b) => b.length - a.length);
  }

  /**
   * Registers the password found in a URL or connection string, if any. A
   * URL password may hold a raw `/` (it runs to the last `@`); a quoted ADO
   * value may hold `;`. A URL that does not parse is registered whole, since
   * where its password ends cannot be known.
   */
  addFromConnectionString(cs: string): void {
    const url = /^[a-z][a-z0-9+.\-]*:\/\//i.test(cs);
    if (url && !URL.canParse(cs)) this.add(cs);
    const m = url ? /^[a-z][a-z0-9+.\-]*:\/\/[^\s/@:]*:(\S*)@/i.exec(cs) : null;
    if (m?.[1]) {
      this.add(m[1]);
      try {
        this.add(decodeURIComponent(m[1]));
      } catch { /* not URL-encoded */ }
    }
    const kvs = cs.matchAll(/\b(?:password|pwd)\s*=\s*("(?:[^"]|"")*"|'(?:[^']|'')*'|[^;]+)/gi);
    for (const kv of kvs) {
      const v = kv[1].trim();
      const q = v[0];
      if ((q === '"' || q === "'") && v.length > 1 && v.endsWith(q)) {
        this.add(v);
        this.add(v.slice(1, -1).split(q + q).join(q));
      } else this.add(v);
    }
  }

  /** Text with known secrets and credential patterns masked. */
  redact(text: string): string {
    let out = text;
    for (const s of this.#sorted) {
      if (out.includes(s)) out = out.split(s).join(REDACTED);
    }
    return redactCredentials(out);
  }
}
