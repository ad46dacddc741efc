/**
 * The status page of `GET /` on the admin port: one self-contained HTML
 * document (no CDN, no external file) that polls `/status` and draws every
 * source's state, breaker, last error and small charts of its recent
 * collection times and values. It holds no data itself, so it needs no
 * token; with one configured, open it as `/#token=<token>`: the fragment
 * never leaves the browser, and the page sends it as a bearer header.
 * @module
 */

/** The page. `refreshMs` is how often it polls `/status`. */
export function statusPage(refreshMs = 2000): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sextant status</title>
<style>
  :root { color-scheme: light dark; --ok:#2e7d32; --warn:#b26a00; --bad:#c62828; --mute:#777; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
  .meta { color: var(--mute); margin-bottom: 1rem; }
  table { border-collapse: collapse; width: 100%; margin-bottom: 1.2rem; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #8884; vertical-align: top; }
  th { font-weight: 600; }
  .state { font-weight: 600; }
  .ok, .closed { color: var(--ok); } .partial, .half_open, .stale { color: var(--warn); }
  .failed, .open, .none { color: var(--bad); } .pending, .stopped { color: var(--mute); }
  .err { font-family: ui-monospace, monospace; font-size: 12px; max-width: 28rem; overflow-wrap: anywhere; }
  svg { display: block; } polyline { fill: none; stroke-width: 1.5; }
  .dur polyline { stroke: #1565c0; } .val polyline { stroke: #6a1b9a; }
  ul.hints { margin: 0 0 1rem 1.2rem; padding: 0; } ul.hints li { color: var(--warn); }
  #error { color: var(--bad); }
</style>
</head>
<body>
<h1>Sextant <span id="version"></span></h1>
<div class="meta"><span id="meta">loading…</span> <span id="error"></span></div>
<ul class="hints" id="hints"></ul>
<table id="sources">
  <thead><tr><th>source</th><th>state</th><th>breaker</th><th>serving</th><th>runs / failures</th>
  <th>collection time (ms)</th><th>values</th><th>last error</th></tr></thead>
  <tbody></tbody>
</table>
<table id="exporters">
  <thead><tr><th>exporter</th><th>exports / failures</th><th>retry queue</th><th>dropped points</th><th>last error</th></tr></thead>
  <tbody></tbody>
</table>
<script>
"use strict";
const REFRESH = ${Math.max(250, Math.floor(refreshMs))};
const token = new URLSearchParams(location.hash.slice(1)).get("token");
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const k of kids) e.append(k instanceof Node ? k : String(k));
  return e;
};
function spark(values, cls) {
  const w = 120, h = 28;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("width", w); svg.setAttribute("height", h); svg.setAttribute("class", cls);
  if (!values || values.length === 0) return svg;
  const min = Math.min(...values), max = Math.max(...values), span = max - min || 1;
  const pts = values.map((v, i) => {
    const x = values.length === 1 ? w / 2 : (i / (values.length - 1)) * (w - 2) + 1;
    return x.toFixed(1) + "," + (h - 2 - ((v - min) / span) * (h - 4)).toFixed(1);
  });
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", pts.join(" "));
  svg.append(line);
  const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
  title.textContent = "last " + values.at(-1) + " (min " + min + ", max " + max + ")";
  svg.append(title);
  return svg;
}
function render(s) {
  document.getElementById("version").textContent = s.version;
  const p = s.process;
  document.getElementById("meta").textContent = "up " + s.uptime_s + " s · " + s.runtime.name + " " +
    s.runtime.version + " · event loop lag p99 " + p.event_loop_lag_ms.p99 + " ms · memory " +
    (p.memory.bytes / 1048576).toFixed(1) + " MiB (" + p.memory.level + ") · series " + s.series.live +
    " · updated " + new Date().toLocaleTimeString();
  const hints = document.getElementById("hints");
  const all = [...s.hints, ...s.bottlenecks.flatMap((b) => b.hints.map((h) => b.source + ": " + h))];
  hints.replaceChildren(...all.map((h) => el("li", {}, h)));
  const body = document.querySelector("#sources tbody");
  body.replaceChildren(...s.sources.map((src) => {
    const br = src.breaker;
    const err = src.last_errors[0];
    const vals = el("td", {});
    for (const v of src.recent_values ?? []) {
      vals.append(el("div", {}, v.name), spark(v.values, "val"));
    }
    return el("tr", { "data-source": src.name },
      el("td", {}, el("b", {}, src.name), el("div", { class: "meta" }, src.type + " every " + src.interval_ms + " ms")),
      el("td", { class: "state " + src.state }, src.state),
      el("td", { class: "breaker " + (br ? br.state : "") }, br ? br.state.replace("_", "-") + (br.trips ? " (" + br.trips + " trips)" : "") : "off"),
      el("td", { class: (src.serving ?? "").split(":")[0] }, src.serving ?? ""),
      el("td", {}, src.collections + " / " + src.failures + (src.skipped_open ? " · " + src.skipped_open + " skipped" : "")),
      el("td", {}, spark(src.recent_durations_ms, "dur"), el("span", { class: "meta" }, src.last_duration_ms ?? "")),
      vals,
      el("td", { class: "err" }, err ? (err.item ? err.item + ": " : "") + err.message : ""));
  }));
  const ex = document.querySelector("#exporters tbody");
  ex.replaceChildren(...s.exporters.map((e) => el("tr", {},
    el("td", {}, e.name + " (" + e.type + ")"),
    el("td", {}, e.exports + " / " + e.failures),
    el("td", {}, e.queue ? e.queue.size + " / " + e.queue.capacity : "–"),
    el("td", {}, e.queue ? e.queue.dropped_points : "–"),
    el("td", { class: "err" }, e.lastError ?? ""))));
}
async function poll() {
  try {
    const r = await fetch("status", { headers: token ? { authorization: "Bearer " + token } : {}, cache: "no-store" });
    if (!r.ok) throw new Error("GET /status: HTTP " + r.status + (r.status === 401 ? " (open this page as /#token=…)" : ""));
    render(await r.json());
    document.getElementById("error").textContent = "";
  } catch (e) {
    document.getElementById("error").textContent = String(e.message ?? e);
  } finally {
    setTimeout(poll, REFRESH);
  }
}
poll();
</script>
</body>
</html>
`;
}
