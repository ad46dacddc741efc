/**
 * A loopback OTLP/HTTP metrics receiver for tests: decodes protobuf bodies
 * with protobufjs and `otlp_metrics.proto`, JSON bodies with JSON.parse, and
 * can answer 503, hang, or refuse connections (stop listening) and come
 * back on the same port, to exercise failures and recovery.
 * @module
 */
import protobuf from "protobufjs";

const root = protobuf.parse(
  await Deno.readTextFile(new URL("./otlp_metrics.proto", import.meta.url)),
).root;
const RequestType = root.lookupType("opentelemetry.proto.ExportMetricsServiceRequest");
const ResponseType = root.lookupType("opentelemetry.proto.ExportMetricsServiceResponse");

/** A data point, normalised from either encoding. */
export interface ReceivedPoint {
  attributes: Record<string, string>;
  value?: number;
  count?: number;
  sum?: number;
  bucketCounts?: number[];
  bounds?: number[];
  startTimeUnixNano: number;
  timeUnixNano: number;
}

/** A metric, normalised from either encoding. */
export interface ReceivedMetric {
  name: string;
  unit: string;
  description: string;
  kind: "gauge" | "sum" | "histogram";
  monotonic?: boolean;
  /** 1 delta, 2 cumulative. */
  temporality?: number;
  points: ReceivedPoint[];
}

/** One export request. */
export interface ReceivedExport {
  contentType: string;
  headers: Headers;
  resource: Record<string, string>;
  metrics: ReceivedMetric[];
}

/** How the receiver answers. */
export type ReceiverMode = "ok" | "503" | "hang";

type Obj = Record<string, unknown>;

function anyValue(v: Obj | undefined): string {
  if (!v) return "";
  for (const k of ["stringValue", "intValue", "doubleValue", "boolValue"]) {
    if (v[k] !== undefined && v[k] !== null) return String(v[k]);
  }
  return JSON.stringify(v);
}

function kvs(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of (list as Obj[] | undefined) ?? []) {
    out[kv.key as string] = anyValue(kv.value as Obj);
  }
  return out;
}

const num = (v: unknown) => (v === undefined || v === null ? undefined : Number(v));

function point(dp: Obj): ReceivedPoint {
  return {
    attributes: kvs(dp.attributes),
    value: num(dp.asDouble) ?? num(dp.asInt),
    count: num(dp.count),
    sum: num(dp.sum),
    bucketCounts: (dp.bucketCounts as unknown[] | undefined)?.map(Number),
    bounds: (dp.explicitBounds as unknown[] | undefined)?.map(Number),
    startTimeUnixNano: Number(dp.startTimeUnixNano),
    timeUnixNano: Number(dp.timeUnixNano),
  };
}

/** Normalises a decoded request (protobufjs `toObject` and OTLP/JSON share camelCase names). */
export function normalise(req: Obj, contentType: string, headers: Headers): ReceivedExport {
  const rms = (req.resourceMetrics as Obj[] | undefined) ?? [];
  const resource: Record<string, string> = {};
  const metrics: ReceivedMetric[] = [];
  for (const rm of rms) {
    Object.assign(resource, kvs((rm.resource as Obj | undefined)?.attributes));
    for (const sm of (rm.scopeMetrics as Obj[] | undefined) ?? []) {
      for (const m of (sm.metrics as Obj[] | undefined) ?? []) {
        const base = {
          name: m.name as string,
          unit: (m.unit as string) ?? "",
          description: (m.description as string) ?? "",
        };
        if (m.gauge) {
          metrics.push({
            ...base,
            kind: "gauge",
            points: ((m.gauge as Obj).dataPoints as Obj[]).map(point),
          });
        } else if (m.sum) {
          const s = m.sum as Obj;
          metrics.push({
            ...base,
            kind: "sum",
            monotonic: Boolean(s.isMonotonic),
            temporality: Number(s.aggregationTemporality),
            points: (s.dataPoints as Obj[]).map(point),
          });
        } else if (m.histogram) {
          const h = m.histogram as Obj;
          metrics.push({
            ...base,
            kind: "histogram",
            temporality: Number(h.aggregationTemporality),
            points: (h.dataPoints as Obj[]).map(point),
          });
        }
      }
    }
  }
  return { contentType, headers, resource, metrics };
}

/** A running receiver. */
export interface OtlpReceiver {
  url: string;
  mode: ReceiverMode;
  /** Requests decoded so far. */
  received: ReceivedExport[];
  /** Requests seen at all (also those answered 503 or left hanging). */
  hits: number;
  /** Stops listening: connections are refused until `recover()`. */
  refuse(): Promise<void>;
  /** Listens again on the same port, answering normally (mode "ok"). */
  recover(): void;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1, port 0. */
export function startOtlpReceiver(mode: ReceiverMode = "ok"): OtlpReceiver {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const state: OtlpReceiver = {
    url: "",
    mode,
    received: [],
    hits: 0,
    refuse: async () => {
      const s = server;
      server = undefined;
      await s?.shutdown();
    },
    recover: () => {
      state.mode = "ok";
      server ??= listen(port);
    },
    close: async () => {
      release();
      await server?.shutdown();
      server = undefined;
    },
  };
  const listen = (p: number) =>
    Deno.serve({ hostname: "127.0.0.1", port: p, onListen: () => {} }, handler);
  const handler = async (req: Request): Promise<Response> => {
    state.hits++;
    const body = new Uint8Array(await req.arrayBuffer());
    if (state.mode === "hang") {
      await released;
      return new Response(null, { status: 200 });
    }
    if (state.mode === "503") return new Response("busy", { status: 503 });
    const contentType = req.headers.get("content-type") ?? "";
    let decoded: Obj;
    if (contentType.startsWith("application/x-protobuf")) {
      decoded = RequestType.toObject(RequestType.decode(body), {
        longs: Number,
        enums: Number,
        defaults: false,
      }) as Obj;
    } else if (contentType.startsWith("application/json")) {
      decoded = JSON.parse(new TextDecoder().decode(body));
    } else {
      return new Response(`unsupported content type ${contentType}`, { status: 415 });
    }
    state.received.push(normalise(decoded, contentType, req.headers));
    if (contentType.startsWith("application/json")) {
      return new Response("{}", { headers: { "content-type": "application/json" } });
    }
    const answer = new Uint8Array(ResponseType.encode(ResponseType.create({})).finish());
    return new Response(answer, { headers: { "content-type": "application/x-protobuf" } });
  };
  let server: Deno.HttpServer<Deno.NetAddr> | undefined = listen(0);
  const port = server.addr.port;
  state.url = `http://127.0.0.1:${port}/v1/metrics`;
  return state;
}

/** The last export that carried a metric named `name`, and that metric. */
export function lastMetric(r: OtlpReceiver, name: string): ReceivedMetric | undefined {
  for (let i = r.received.length - 1; i >= 0; i--) {
    const m = r.received[i].metrics.find((x) => x.name === name);
    if (m) return m;
  }
  return undefined;
}
