/**
 * Header checks shared by the `http` kind's schema and its source (which
 * re-checks, so that a config that skipped the schema cannot crash a
 * collection). Not part of the public API.
 * @module
 */

/** An RFC 7230 token: what a header name may be. */
export const HEADER_NAME: RegExp = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Why a header value cannot be sent, or `undefined` when it can. `fetch`
 * takes a ByteString: tab, printable ASCII and Latin-1 (`\x80`-`\xff`); a
 * value with other characters throws when the request is built.
 */
export function headerValueProblem(value: string): string | undefined {
  if (/[\r\n\0]/.test(value)) return "a header value may not contain line breaks";
  if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(value)) {
    return "expected a header value of printable ASCII/Latin-1 characters (percent-encode others)";
  }
  return undefined;
}
