/**
 * The derived-metric expression language: numbers, metric names, `+ - * / %`,
 * unary minus, comparisons (`< <= > >= == !=`, giving 1 or 0), parentheses
 * and `min`, `max`, `abs`, `clamp`. A small recursive-descent parser and a
 * tree walker: no `eval`, no `Function`, nothing reachable but the inputs.
 * @module
 */

/** A parsed expression. */
export type Expr =
  | { kind: "num"; value: number }
  | { kind: "ref"; name: string; pos: number }
  | { kind: "neg"; arg: Expr }
  | { kind: "bin"; op: BinOp; left: Expr; right: Expr; pos: number }
  | { kind: "call"; fn: FnName; args: Expr[]; pos: number };

type BinOp = "+" | "-" | "*" | "/" | "%" | "<" | "<=" | ">" | ">=" | "==" | "!=";

const FUNCTIONS = {
  min: { min: 1, max: Infinity },
  max: { min: 1, max: Infinity },
  abs: { min: 1, max: 1 },
  clamp: { min: 3, max: 3 },
} as const;
type FnName = keyof typeof FUNCTIONS;

/** A syntax error; `column` is 1-based in the expression text. */
export class ExpressionSyntaxError extends Error {
  override name = "ExpressionSyntaxError";
  readonly column: number;
  constructor(message: string, column: number) {
    super(`at column ${column}: ${message}`);
    this.column = column;
  }
}

/** An evaluation failure (division by zero, a missing input, a non-finite result). */
export class ExpressionEvalError extends Error {
  override name = "ExpressionEvalError";
}

interface Token {
  t: "num" | "id" | "op" | "end";
  v: string;
  pos: number;
}

const OPS = ["<=", ">=", "==", "!=", "+", "-", "*", "/", "%", "<", ">", "(", ")", ","];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    const num = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: "num", v: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*/.exec(src.slice(i));
    if (id) {
      out.push({ t: "id", v: id[0], pos: i });
      i += id[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExpressionSyntaxError(`unexpected character ${JSON.stringify(c)}`, i + 1);
    out.push({ t: "op", v: op, pos: i });
    i += op.length;
  }
  out.push({ t: "end", v: "", pos: src.length });
  return out;
}

const LEVELS: BinOp[][] = [["<", "<=", ">", ">=", "==", "!="], ["+", "-"], ["*", "/", "%"]];

/**
 * Deepest expression tree accepted (parentheses, calls, signs and chained
 * operators each add a level): parsing and evaluation recurse, so a deeper
 * tree is a syntax error rather than a stack overflow.
 */
export const MAX_EXPRESSION_DEPTH = 200;

/**
 * Parses an expression.
 *
 * @example Parsing an error rate
 * ```ts
 * const e = parseExpression("100 * api.errors / api.requests");
 * references(e); // ["api.errors", "api.requests"]
 * ```
 * @throws {ExpressionSyntaxError} with the column of the problem
 */
export function parseExpression(src: string): Expr {
  const toks = tokenize(src);
  let k = 0;
  const peek = () => toks[k];
  const describe = (t: Token) => (t.t === "end" ? "the end" : JSON.stringify(t.v));
  /** Depth of each node built (leaves: 1). */
  const depths = new WeakMap<Expr, number>();
  /** Open parentheses, calls and signs around the token being read. */
  let nesting = 0;
  const tooDeep = (pos: number) =>
    new ExpressionSyntaxError(
      `nested deeper than ${MAX_EXPRESSION_DEPTH} levels; split the expression into rules`,
      pos + 1,
    );
  const made = (e: Expr, pos: number, ...children: Expr[]): Expr => {
    const d = 1 + Math.max(0, ...children.map((c) => depths.get(c) ?? 1));
    if (d > MAX_EXPRESSION_DEPTH) throw tooDeep(pos);
    depths.set(e, d);
    return e;
  };
  const enter = (pos: number) => {
    if (++nesting > MAX_EXPRESSION_DEPTH) throw tooDeep(pos);
  };
  const expect = (v: string) => {
    const t = peek();
    if (t.t !== "op" || t.v !== v) {
      throw new ExpressionSyntaxError(`expected "${v}", found ${describe(t)}`, t.pos + 1);
    }
    k++;
  };

  function level(n: number): Expr {
    if (n === LEVELS.length) return unary();
    let left = level(n + 1);
    for (;;) {
      const t = peek();
      if (t.t !== "op" || !(LEVELS[n] as string[]).includes(t.v)) return left;
      k++;
      // Comparisons do not chain: `a < b < c` is almost always a mistake.
      const right = level(n + 1);
      left = made(
        { kind: "bin", op: t.v as BinOp, left, right, pos: t.pos + 1 },
        t.pos,
        left,
        right,
      );
      if (n === 0) {
        const next = peek();
        if (next.t === "op" && (LEVELS[0] as string[]).includes(next.v)) {
          throw new ExpressionSyntaxError(
            "comparisons cannot be chained; use parentheses",
            next.pos + 1,
          );
        }
        return left;
      }
    }
  }

  function unary(): Expr {
    const t = peek();
    if (t.t === "op" && (t.v === "-" || t.v === "+")) {
      k++;
      enter(t.pos);
      const arg = unary();
      nesting--;
      return t.v === "-" ? made({ kind: "neg", arg }, t.pos, arg) : arg;
    }
    return primary();
  }

  function primary(): Expr {
    const t = peek();
    if (t.t === "num") {
      k++;
      return { kind: "num", value: Number(t.v) };
    }
    if (t.t === "op" && t.v === "(") {
      k++;
      enter(t.pos);
      const e = level(0);
      expect(")");
      nesting--;
      return e;
    }
    if (t.t === "id") {
      k++;
      const next = peek();
      if (next.t === "op" && next.v === "(") {
        if (!Object.hasOwn(FUNCTIONS, t.v)) {
          throw new ExpressionSyntaxError(
            `unknown function ${JSON.stringify(t.v)} (expected one of ${
              Object.keys(FUNCTIONS).join(", ")
            })`,
            t.pos + 1,
          );
        }
        k++;
        enter(t.pos);
        const fn = t.v as FnName;
        const args: Expr[] = [];
        if (!(peek().t === "op" && peek().v === ")")) {
          args.push(level(0));
          while (peek().t === "op" && peek().v === ",") {
            k++;
            args.push(level(0));
          }
        }
        expect(")");
        nesting--;
        const { min, max } = FUNCTIONS[fn];
        if (args.length < min || args.length > max) {
          const want = min === max ? `${min}` : `at least ${min}`;
          throw new ExpressionSyntaxError(
            `${fn}() takes ${want} argument(s), found ${args.length}`,
            t.pos + 1,
          );
        }
        return made({ kind: "call", fn, args, pos: t.pos + 1 }, t.pos, ...args);
      }
      return { kind: "ref", name: t.v, pos: t.pos + 1 };
    }
    throw new ExpressionSyntaxError(
      `expected a number, a metric name or "(", found ${describe(t)}`,
      t.pos + 1,
    );
  }

  const e = level(0);
  const rest = peek();
  if (rest.t !== "end") {
    throw new ExpressionSyntaxError(`unexpected ${describe(rest)}`, rest.pos + 1);
  }
  return e;
}

/** Metric names an expression reads, in order of first use. */
export function references(e: Expr): string[] {
  const out = new Set<string>();
  const walk = (x: Expr): void => {
    if (x.kind === "ref") out.add(x.name);
    else if (x.kind === "neg") walk(x.arg);
    else if (x.kind === "bin") (walk(x.left), walk(x.right));
    else if (x.kind === "call") x.args.forEach(walk);
  };
  walk(e);
  return [...out];
}

/**
 * Evaluates `e` with `input(name)` giving each metric's value.
 *
 * @throws {ExpressionEvalError} on division (or `%`) by zero, a missing
 * input, or a result that is not a finite number
 */
export function evaluate(e: Expr, input: (name: string) => number | undefined): number {
  const v = ev(e, input);
  if (!Number.isFinite(v)) throw new ExpressionEvalError(`the result is ${v}, not a finite number`);
  return v;
}

function ev(e: Expr, input: (name: string) => number | undefined): number {
  switch (e.kind) {
    case "num":
      return e.value;
    case "ref": {
      const v = input(e.name);
      if (v === undefined) throw new ExpressionEvalError(`missing input ${JSON.stringify(e.name)}`);
      return v;
    }
    case "neg":
      return -ev(e.arg, input);
    case "call":
      return call(e.fn, e.args.map((x) => ev(x, input)));
    case "bin": {
      const b = e;
      const l = ev(b.left, input);
      const r = ev(b.right, input);
      switch (b.op) {
        case "+":
          return l + r;
        case "-":
          return l - r;
        case "*":
          return l * r;
        case "/":
        case "%":
          if (r === 0) {
            throw new ExpressionEvalError(`division by zero at column ${b.pos}`);
          }
          return b.op === "/" ? l / r : l % r;
        case "<":
          return l < r ? 1 : 0;
        case "<=":
          return l <= r ? 1 : 0;
        case ">":
          return l > r ? 1 : 0;
        case ">=":
          return l >= r ? 1 : 0;
        case "==":
          return l === r ? 1 : 0;
        case "!=":
          return l !== r ? 1 : 0;
      }
    }
  }
}

function call(fn: FnName, a: number[]): number {
  switch (fn) {
    case "min":
      return Math.min(...a);
    case "max":
      return Math.max(...a);
    case "abs":
      return Math.abs(a[0]);
    case "clamp":
      return Math.min(Math.max(a[0], a[1]), a[2]);
  }
}
