/**
 * A small parser of Prometheus text format 0.0.4 for assertions: families
 * with HELP and TYPE, samples with unescaped labels. Strict: throws on any
 * line it does not understand, on duplicate series (empty labels count as
 * absent, as in Prometheus) and on samples outside their family.
 * @module
 */

/** One sample line. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed exposition. */
export interface PromText {
  help: Map<string, string>;
  types: Map<string, string>;
  samples: PromSample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE = new RegExp(`^(${NAME})(\\{.*\\})? (\\S+)$`);

function parseValue(s: string): number {
  if (s === "+Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  if (s === "NaN") return NaN;
  const v = Number(s);
  if (Number.isNaN(v)) throw new Error(`bad value ${JSON.stringify(s)}`);
  return v;
}

function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 1;
  while (i < text.length - 1) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(text.slice(i));
    if (!m) throw new Error(`bad labels ${JSON.stringify(text)}`);
    i += m[0].length;
    let v = "";
    for (;;) {
      const c = text[i++];
      if (c === undefined) throw new Error(`unterminated label value in ${JSON.stringify(text)}`);
      if (c === '"') break;
      if (c === "\\") {
        const e = text[i++];
        if (e === "n") v += "\n";
        else if (e === "\\" || e === '"') v += e;
        else throw new Error(`bad escape \\${e} in ${JSON.stringify(text)}`);
      } else v += c;
    }
    if (m[1] in out) throw new Error(`duplicate label ${m[1]}`);
    out[m[1]] = v;
    if (text[i] === ",") i++;
  }
  return out;
}

function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && types.get(base) === "histogram") return base;
  }
  return undefined;
}

/** Parses `body`. */
export function parsePromText(body: string): PromText {
  const help = new Map<string, string>();
  const types = new Map<string, string>();
  const samples: PromSample[] = [];
  const seen = new Set<string>();
  for (const line of body.split("\n")) {
    if (line === "") continue;
    let m = /^# HELP (\S+) (.*)$/.exec(line);
    if (m) {
      help.set(m[1], m[2].replace(/\\n/g, "\n").replace(/\\\\/g, "\\"));
      continue;
    }
    m = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (m) {
      if (types.has(m[1])) throw new Error(`second TYPE for ${m[1]}`);
      types.set(m[1], m[2]);
      continue;
    }
    m = SAMPLE.exec(line);
    if (!m) throw new Error(`cannot parse line ${JSON.stringify(line)}`);
    if (!familyOf(m[1], types)) throw new Error(`sample ${m[1]} has no TYPE`);
    const labels = m[2] ? parseLabels(m[2]) : {};
    // Prometheus treats an empty label as an absent one: {a="1",b=""} is {a="1"}.
    const key = `${m[1]}${
      JSON.stringify(Object.entries(labels).filter(([, v]) => v !== "").sort())
    }`;
    if (seen.has(key)) throw new Error(`duplicate series ${key}`);
    seen.add(key);
    samples.push({ name: m[1], labels, value: parseValue(m[3]) });
  }
  return { help, types, samples };
}

/** The samples named `name` (optionally only those whose labels include `labels`). */
export function find(
  text: PromText,
  name: string,
  labels: Record<string, string> = {},
): PromSample[] {
  return text.samples.filter((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
}
