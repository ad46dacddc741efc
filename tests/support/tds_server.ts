/**
 * A protocol-level TDS (SQL Server) test server that the real `mssql` /
 * tedious client talks to over TCP: PRELOGIN (no TLS), LOGIN7 with a
 * password check, SQL batches and RPC requests (`sp_executesql` with typed
 * parameters), results as COLMETADATA/ROW/DONE, ERROR tokens, and ATTENTION
 * (cancel). It runs no SQL: a handler answers each request.
 *
 * @example Answering every query with one number
 * ```ts
 * const server = await startTdsServer(() => ({ columns: [{ name: "n", type: "int" }], rows: [[42]] }));
 * // connect with sqlserver://sa:pw@127.0.0.1:${server.port}/db?encrypt=false
 * await server.close();
 * ```
 * @module
 */

/** Column types the server can send. */
export type TdsType = "int" | "bigint" | "float" | "nvarchar" | "decimal" | "bit";

/** A result column. */
export interface TdsColumn {
  name: string;
  type: TdsType;
  /** decimal only. @default {18} */
  precision?: number;
  /** decimal only. @default {0} */
  scale?: number;
}

/** What a handler answers. */
export type TdsAnswer =
  | { columns: TdsColumn[]; rows: unknown[][] }
  | { error: { number: number; message: string; state?: number; class?: number } }
  /** Never answers (until the client cancels with an ATTENTION). */
  | { hang: true }
  /** Closes the connection without answering. */
  | { drop: true };

/** A request as the server decoded it. */
export interface TdsRequest {
  kind: "batch" | "rpc";
  sql: string;
  /** RPC parameters by name (without `@`), decoded to JS values. */
  params: Record<string, unknown>;
  /** The login of the session that sent it. */
  login: TdsLogin;
}

/** What a client sent in LOGIN7. */
export interface TdsLogin {
  user: string;
  password: string;
  database: string;
  appName: string;
  /** LOGIN7 TypeFlags bit 5 (ApplicationIntent=ReadOnly). */
  readOnlyIntent: boolean;
}

/** A running test server. */
export interface TdsServer {
  readonly port: number;
  /** Every request received (SET batches sent by the client at login excluded). */
  readonly requests: TdsRequest[];
  readonly logins: TdsLogin[];
  /** Connections currently open. */
  readonly openConnections: number;
  /** ATTENTION messages received. */
  readonly attentions: number;
  close(): Promise<void>;
}

const PKT = { BATCH: 0x01, RPC: 0x03, REPLY: 0x04, ATTENTION: 0x06, LOGIN7: 0x10, PRELOGIN: 0x12 };
const DONE_MORE = 0x01, DONE_ERROR = 0x02, DONE_COUNT = 0x10, DONE_ATTN = 0x20;
const COLLATION = [0x09, 0x04, 0xd0, 0x00, 0x34];

/** Byte writer. */
class Out {
  #parts: number[] = [];
  u8(v: number) {
    this.#parts.push(v & 0xff);
    return this;
  }
  u16(v: number) {
    return this.u8(v).u8(v >> 8);
  }
  u32(v: number) {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  u64(v: bigint) {
    for (let i = 0n; i < 8n; i++) this.u8(Number((v >> (8n * i)) & 0xffn));
    return this;
  }
  bytes(b: ArrayLike<number>) {
    for (let i = 0; i < b.length; i++) this.#parts.push(b[i]);
    return this;
  }
  ucs2(s: string) {
    for (let i = 0; i < s.length; i++) this.u16(s.charCodeAt(i));
    return this;
  }
  bvarchar(s: string) {
    return this.u8(s.length).ucs2(s);
  }
  usvarchar(s: string) {
    return this.u16(s.length).ucs2(s);
  }
  get length() {
    return this.#parts.length;
  }
  toBytes() {
    return new Uint8Array(this.#parts);
  }
}

/** Byte reader over one message. */
class In {
  at = 0;
  constructor(readonly b: Uint8Array) {}
  #dv = () => new DataView(this.b.buffer, this.b.byteOffset, this.b.byteLength);
  u8() {
    return this.b[this.at++];
  }
  u16() {
    const v = this.#dv().getUint16(this.at, true);
    this.at += 2;
    return v;
  }
  u32() {
    const v = this.#dv().getUint32(this.at, true);
    this.at += 4;
    return v;
  }
  i32() {
    const v = this.#dv().getInt32(this.at, true);
    this.at += 4;
    return v;
  }
  u64() {
    const v = this.#dv().getBigUint64(this.at, true);
    this.at += 8;
    return v;
  }
  f64() {
    const v = this.#dv().getFloat64(this.at, true);
    this.at += 8;
    return v;
  }
  take(n: number) {
    const v = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
  ucs2(chars: number) {
    return ucs2(this.take(chars * 2));
  }
}

function ucs2(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode(b[i] | (b[i + 1] << 8));
  return s;
}

function typeInfo(o: Out, c: TdsColumn): void {
  switch (c.type) {
    case "int":
      o.u8(0x26).u8(4);
      break;
    case "bigint":
      o.u8(0x26).u8(8);
      break;
    case "float":
      o.u8(0x6d).u8(8);
      break;
    case "bit":
      o.u8(0x68).u8(1);
      break;
    case "nvarchar":
      o.u8(0xe7).u16(8000).bytes(COLLATION);
      break;
    case "decimal":
      o.u8(0x6a).u8(17).u8(c.precision ?? 18).u8(c.scale ?? 0);
      break;
  }
}

function value(o: Out, c: TdsColumn, v: unknown): void {
  if (v === null || v === undefined) {
    if (c.type === "nvarchar") o.u16(0xffff);
    else o.u8(0);
    return;
  }
  switch (c.type) {
    case "int":
      o.u8(4).u32(Number(v) >>> 0);
      break;
    case "bigint":
      o.u8(8).u64(BigInt.asUintN(64, BigInt(v as number)));
      break;
    case "float": {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, Number(v), true);
      o.u8(8).bytes(b);
      break;
    }
    case "bit":
      o.u8(1).u8(v ? 1 : 0);
      break;
    case "nvarchar": {
      const s = String(v);
      o.u16(s.length * 2).ucs2(s);
      break;
    }
    case "decimal": {
      // The value as decimal text scaled to an integer: "12.50" with scale 2 -> 1250.
      const scale = c.scale ?? 0;
      const [ip, fp = ""] = String(v).replace(/^-/, "").split(".");
      const mag = BigInt(ip + fp.padEnd(scale, "0").slice(0, scale));
      o.u8(17).u8(String(v).startsWith("-") ? 0 : 1);
      for (let i = 0n; i < 16n; i++) o.u8(Number((mag >> (8n * i)) & 0xffn));
      break;
    }
  }
}

function done(o: Out, token: number, status: number, curCmd: number, count: number): void {
  o.u8(token).u16(status).u16(curCmd).u64(BigInt(count));
}

function encodeAnswer(answer: TdsAnswer, rpc: boolean): Uint8Array {
  const o = new Out();
  if ("error" in answer) {
    const e = answer.error;
    const body = new Out().u32(e.number >>> 0).u8(e.state ?? 1).u8(e.class ?? 16)
      .usvarchar(e.message).bvarchar("tds-test").bvarchar("").u32(1);
    o.u8(0xaa).u16(body.length).bytes(body.toBytes());
    if (rpc) {
      done(o, 0xff, DONE_ERROR | DONE_MORE, 0xc1, 0);
      o.u8(0x79).u32(0);
      done(o, 0xfe, DONE_ERROR, 0xe0, 0);
    } else done(o, 0xfd, DONE_ERROR, 0xc1, 0);
    return o.toBytes();
  }
  if (!("columns" in answer)) return o.toBytes();
  o.u8(0x81).u16(answer.columns.length);
  for (const c of answer.columns) {
    o.u32(0).u16(0x0001);
    typeInfo(o, c);
    o.bvarchar(c.name);
  }
  for (const row of answer.rows) {
    o.u8(0xd1);
    answer.columns.forEach((c, i) => value(o, c, row[i]));
  }
  if (rpc) {
    done(o, 0xff, DONE_COUNT | DONE_MORE, 0xc1, answer.rows.length);
    o.u8(0x79).u32(0);
    done(o, 0xfe, 0, 0xe0, 0);
  } else done(o, 0xfd, DONE_COUNT, 0xc1, answer.rows.length);
  return o.toBytes();
}

/** Frames a reply into TDS packets. */
function packets(type: number, payload: Uint8Array, size = 4096): Uint8Array {
  const chunks: Uint8Array[] = [];
  let id = 1;
  for (let at = 0; at < payload.length || at === 0; at += size - 8) {
    const body = payload.subarray(at, at + size - 8);
    const last = at + size - 8 >= payload.length;
    const p = new Uint8Array(8 + body.length);
    p[0] = type;
    p[1] = last ? 0x01 : 0x00;
    new DataView(p.buffer).setUint16(2, p.length, false);
    p[6] = id++ & 0xff;
    p.set(body, 8);
    chunks.push(p);
    if (last) break;
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function parseLogin(b: Uint8Array): TdsLogin {
  const r = new In(b);
  const field = (off: number) => {
    r.at = off;
    const at = r.u16();
    const len = r.u16();
    return b.subarray(at, at + len * 2);
  };
  const pw = field(44).map((x) => {
    const y = x ^ 0xa5;
    return ((y & 0x0f) << 4) | (y >> 4);
  });
  return {
    user: ucs2(field(40)),
    password: ucs2(pw),
    appName: ucs2(field(48)),
    database: ucs2(field(68)),
    readOnlyIntent: (b[26] & 0x20) !== 0,
  };
}

/** Skips ALL_HEADERS at the start of a batch or RPC payload. */
function skipHeaders(r: In): void {
  const total = r.u32();
  r.at += total - 4;
}

function readParamValue(r: In): unknown {
  const type = r.u8();
  switch (type) {
    case 0x26: { // INTN
      r.u8();
      const len = r.u8();
      if (len === 0) return null;
      const d = r.take(len);
      const dv = new DataView(d.buffer, d.byteOffset, len);
      return len === 8
        ? dv.getBigInt64(0, true)
        : len === 4
        ? dv.getInt32(0, true)
        : len === 2
        ? dv.getInt16(0, true)
        : d[0];
    }
    case 0x6d: { // FLTN
      r.u8();
      const len = r.u8();
      if (len === 0) return null;
      const d = r.take(len);
      const dv = new DataView(d.buffer, d.byteOffset, len);
      return len === 8 ? dv.getFloat64(0, true) : dv.getFloat32(0, true);
    }
    case 0x68: { // BITN
      r.u8();
      const len = r.u8();
      return len === 0 ? null : r.u8() !== 0;
    }
    case 0x6f: { // DATETIMN: days since 1900-01-01 and 1/300 s ticks
      r.u8();
      const len = r.u8();
      if (len === 0) return null;
      const days = r.i32();
      const ticks = r.u32();
      return new Date(Date.UTC(1900, 0, 1) + days * 86_400_000 + Math.round(ticks * 10 / 3));
    }
    case 0xe7:
    case 0xa7: { // NVARCHAR / VARCHAR
      const max = r.u16();
      r.take(5);
      const wide = type === 0xe7;
      const decode = (b: Uint8Array) => wide ? ucs2(b) : new TextDecoder().decode(b);
      if (max !== 0xffff) {
        const len = r.u16();
        return len === 0xffff ? null : decode(r.take(len));
      }
      const total = r.u64();
      if (total === 0xffffffffffffffffn) return null;
      const parts: number[] = [];
      for (let n = r.u32(); n !== 0; n = r.u32()) parts.push(...r.take(n));
      return decode(new Uint8Array(parts));
    }
    default:
      throw new Error(`tds test server: parameter type 0x${type.toString(16)} not supported`);
  }
}

function parseRpc(b: Uint8Array): { sql: string; params: Record<string, unknown> } {
  const r = new In(b);
  skipHeaders(r);
  const nameLen = r.u16();
  if (nameLen === 0xffff) r.u16();
  else r.ucs2(nameLen);
  r.u16();
  const params: Record<string, unknown> = {};
  const list: unknown[] = [];
  while (r.at < b.length) {
    const name = r.ucs2(r.u8()).replace(/^@/, "");
    r.u8();
    const v = readParamValue(r);
    list.push(v);
    if (name) params[name] = v;
  }
  // sp_executesql: @statement, @params, then the values.
  const sql = String(list[0] ?? "");
  delete params.statement;
  delete params.params;
  return { sql, params };
}

/**
 * Starts the server on a free loopback port. Logins must use `password`
 * (when given), or get error 18456 like a real server.
 */
export function startTdsServer(
  handler: (req: TdsRequest) => TdsAnswer | Promise<TdsAnswer>,
  opts: { password?: string } = {},
): Promise<TdsServer> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: TdsRequest[] = [];
  const logins: TdsLogin[] = [];
  const conns = new Set<Deno.Conn>();
  let attentions = 0;
  const serve = async (conn: Deno.Conn) => {
    conns.add(conn);
    let buf = new Uint8Array(0);
    let message: number[] = [];
    let login: TdsLogin | undefined;
    /** The request in flight: cancelled by an ATTENTION. */
    let pending: { cancelled: boolean } | undefined;
    let writing = Promise.resolve();
    // Replies go out whole and in order, even when requests are answered concurrently.
    const write = (type: number, payload: Uint8Array): Promise<void> => {
      const all = packets(type, payload);
      writing = writing.then(async () => {
        let at = 0;
        while (at < all.length) at += await conn.write(all.subarray(at));
      }).catch(() => {/* the client went away */});
      return writing;
    };
    const onMessage = async (type: number, body: Uint8Array) => {
      if (type === PKT.PRELOGIN) {
        // VERSION and ENCRYPTION (NOT_SUP: no TLS), then the terminator.
        const o = new Out();
        o.u8(0x00).u8(0).u8(11).u8(0).u8(6);
        o.u8(0x01).u8(0).u8(17).u8(0).u8(1);
        o.u8(0xff);
        o.bytes([16, 0, 0x07, 0xd0, 0, 0]).u8(2);
        await write(PKT.REPLY, o.toBytes());
        return;
      }
      if (type === PKT.LOGIN7) {
        login = parseLogin(body);
        logins.push(login);
        const o = new Out();
        if (opts.password !== undefined && login.password !== opts.password) {
          const e = new Out().u32(18456).u8(1).u8(14)
            .usvarchar(`Login failed for user '${login.user}'.`).bvarchar("tds-test").bvarchar("")
            .u32(1);
          o.u8(0xaa).u16(e.length).bytes(e.toBytes());
          done(o, 0xfd, DONE_ERROR, 0, 0);
          await write(PKT.REPLY, o.toBytes());
          return;
        }
        const env = new Out().u8(1).bvarchar(login.database || "master").bvarchar("master");
        o.u8(0xe3).u16(env.length).bytes(env.toBytes());
        const ack = new Out().u8(1).bytes([0x74, 0, 0, 0x04]).bvarchar("Microsoft SQL Server")
          .bytes([16, 0, 0x07, 0xd0]);
        o.u8(0xad).u16(ack.length).bytes(ack.toBytes());
        done(o, 0xfd, 0, 0, 0);
        await write(PKT.REPLY, o.toBytes());
        return;
      }
      if (type === PKT.ATTENTION) {
        attentions++;
        if (pending) pending.cancelled = true;
        pending = undefined;
        const o = new Out();
        done(o, 0xfd, DONE_ATTN, 0, 0);
        await write(PKT.REPLY, o.toBytes());
        return;
      }
      if (type !== PKT.BATCH && type !== PKT.RPC) return;
      let req: TdsRequest;
      if (type === PKT.BATCH) {
        const r = new In(body);
        skipHeaders(r);
        req = { kind: "batch", sql: ucs2(body.subarray(r.at)), params: {}, login: login! };
        // The client's own session setup at login.
        if (/^\s*set\s/i.test(req.sql)) {
          const o = new Out();
          done(o, 0xfd, 0, 0, 0);
          await write(PKT.REPLY, o.toBytes());
          return;
        }
      } else {
        req = { kind: "rpc", ...parseRpc(body), login: login! };
      }
      requests.push(req);
      const mine = { cancelled: false };
      pending = mine;
      let answer: TdsAnswer;
      try {
        answer = await handler(req);
      } catch (err) {
        answer = { error: { number: 50000, message: String(err) } };
      }
      if ("hang" in answer || mine.cancelled) return;
      pending = undefined;
      if ("drop" in answer) {
        conn.close();
        return;
      }
      await write(PKT.REPLY, encodeAnswer(answer, type === PKT.RPC));
    };
    const chunk = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await conn.read(chunk);
        if (n === null) break;
        const next = new Uint8Array(buf.length + n);
        next.set(buf);
        next.set(chunk.subarray(0, n), buf.length);
        buf = next;
        while (buf.length >= 8) {
          const len = (buf[2] << 8) | buf[3];
          if (buf.length < len) break;
          const type = buf[0];
          const eom = (buf[1] & 0x01) !== 0;
          message.push(...buf.subarray(8, len));
          buf = buf.slice(len);
          if (eom) {
            const body = new Uint8Array(message);
            message = [];
            // Not awaited: an ATTENTION must be read while a request hangs.
            onMessage(type, body);
          }
        }
      }
    } catch { /* reset by the client */ }
    conns.delete(conn);
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) serve(conn);
    } catch { /* closed */ }
  })();
  const port = (listener.addr as Deno.NetAddr).port;
  return Promise.resolve({
    port,
    requests,
    logins,
    get openConnections() {
      return conns.size;
    },
    get attentions() {
      return attentions;
    },
    async close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await accepting;
    },
  });
}
