// The dashboard page: fetches snapshot.json for the chosen range and
// draws it; refreshes itself. No external requests, no libraries.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  let timer = null, renders = 0;

  function el(tag, attrs, text) {
    const e = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fmtMs(v) {
    if (v >= 1000) return (v / 1000).toFixed(2) + " s";
    if (v >= 10) return v.toFixed(0) + " ms";
    if (v >= 1) return v.toFixed(2) + " ms";
    return (v * 1000).toFixed(0) + " µs";
  }
  function fmtBytes(b) { return (b / (1 << 20)).toFixed(1) + " MB"; }
  function fmtTime(s) { return new Date(s).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }); }

  // line draws one or more series of values as polylines in svg, with a
  // tooltip (<title>) on every point.
  function line(svg, points, lines) {
    svg.replaceChildren();
    const W = 600, H = 140, pad = 8;
    let maxV = 0;
    for (const l of lines) for (const p of points) maxV = Math.max(maxV, l.get(p));
    if (maxV === 0) maxV = 1;
    const x = (i) => points.length < 2 ? W / 2 : pad + i * (W - 2 * pad) / (points.length - 1);
    const y = (v) => H - pad - v * (H - 2 * pad) / maxV;
    svg.appendChild(el("svg:text", { x: W - pad, y: 14, "text-anchor": "end", fill: "#a3a6aa", "font-size": 11 }, lines[0].fmt(maxV)));
    for (const l of lines) {
      const pts = points.map((p, i) => x(i).toFixed(1) + "," + y(l.get(p)).toFixed(1)).join(" ");
      svg.appendChild(el("svg:polyline", { points: pts, fill: "none", stroke: l.color, "stroke-width": 2, "vector-effect": "non-scaling-stroke" }));
      points.forEach((p, i) => {
        const c = el("svg:circle", { cx: x(i), cy: y(l.get(p)), r: 2.5, fill: l.color });
        c.appendChild(el("svg:title", {}, fmtTime(p.time) + " — " + l.name + ": " + l.fmt(l.get(p))));
        svg.appendChild(c);
      });
    }
  }

  function panel(p) {
    const d = el("div", { class: "panel border-" + p.severity, "data-kind": p.kind, "data-name": p.name });
    d.appendChild(el("div", { class: "kind" }, p.kind));
    d.appendChild(el("h3", {}, p.name));
    const dl = el("dl");
    const row = (k, v, cls) => { dl.appendChild(el("dt", {}, k)); dl.appendChild(el("dd", { class: cls }, v)); };
    row("count", String(p.count), "count");
    row("errors", String(p.errors) + (p.count ? " (" + p.errorRate.toFixed(2) + "%)" : ""), "errors sev-" + p.severity);
    row("p50", fmtMs(p.p50Ms), "p50");
    row("p95", fmtMs(p.p95Ms), "p95");
    row("memory", fmtBytes(p.memoryBytes), "mem");
    d.appendChild(dl);
    // The duration distribution, one bar per histogram bucket.
    const hist = p.histogram || [];
    const top = Math.max(1, ...hist.map((b) => b.count));
    const bars = el("div", { class: "bars", title: "duration distribution" });
    for (const b of hist) {
      const bar = el("span", {});
      bar.style.height = Math.max(4, Math.round(100 * b.count / top)) + "%";
      bar.title = b.count + " under " + fmtMs(b.upToMs);
      bars.appendChild(bar);
    }
    d.appendChild(bars);
    return d;
  }

  function eventRow(e) {
    const tr = el("tr", { class: e.kind });
    let detail = "";
    if (e.requestId) detail = "request " + e.requestId;
    if (e.kind === "rate_limited") detail = e.count + " answers 429 within a minute";
    if (e.kind === "dead_lettered") detail = "message " + (e.messageId || "?") + " after " + e.count + " deliveries";
    if (e.kind === "late_schedule" && e.delayNs) detail = "late by " + fmtMs(e.delayNs / 1e6);
    tr.appendChild(el("td", {}, fmtTime(e.time)));
    tr.appendChild(el("td", {}, e.kind.replace("_", " ")));
    tr.appendChild(el("td", { class: "mono" }, e.source));
    tr.appendChild(el("td", {}, e.status ? String(e.status) : ""));
    tr.appendChild(el("td", { class: "mono request-id" }, detail));
    return tr;
  }

  function render(s) {
    document.title = s.app + " — dashboard";
    $("app-name").textContent = s.app;
    $("invocations").textContent = String(s.totals.count);
    const er = $("error-rate");
    er.textContent = s.totals.errorRate.toFixed(2) + "% errors";
    er.className = "big sev-" + s.totals.severity;
    $("error-count").textContent = String(s.totals.errors);
    $("latency-avg").textContent = fmtMs(s.totals.avgMs);
    $("latency-p95").textContent = fmtMs(s.totals.p95Ms);
    const count = (p) => p.count;
    line($("chart-invocations"), s.chart, [{ name: "invocations", color: "#5865f2", get: count, fmt: (v) => String(Math.round(v)) }]);
    const sevColor = { ok: "#3ba55d", warning: "#faa81a", critical: "#ed4245" }[s.totals.severity];
    line($("chart-errors"), s.chart, [{ name: "error rate", color: sevColor, get: (p) => p.errorRate, fmt: (v) => v.toFixed(1) + "%" }]);
    line($("chart-latency"), s.chart, [
      { name: "p95", color: "#eb459e", get: (p) => p.p95Ms, fmt: fmtMs },
      { name: "average", color: "#5865f2", get: (p) => p.avgMs, fmt: fmtMs },
    ]);
    $("panels").replaceChildren(...(s.panels || []).map(panel));
    const alerts = (s.alerts || []).map((a) => el("li", { class: a.severity }, a.severity.toUpperCase() + " · " + a.message));
    if (alerts.length === 0) alerts.push(el("li", { class: "none" }, "No alerts in this range."));
    $("alerts").replaceChildren(...alerts);
    $("events").tBodies[0].replaceChildren(...(s.events || []).map(eventRow));
    $("updated").textContent = "updated " + fmtTime(s.now) + " · every " + Math.round(s.refreshMs / 1000) + " s";
    renders++;
    document.documentElement.setAttribute("data-rendered", String(renders));
    document.documentElement.setAttribute("data-window", s.window);
  }

  async function refresh() {
    clearTimeout(timer);
    const w = $("window").value;
    let next = 15000;
    try {
      const r = await fetch("snapshot.json?window=" + encodeURIComponent(w), { cache: "no-store" });
      if (!r.ok) throw new Error("snapshot.json answered " + r.status);
      const s = await r.json();
      render(s);
      next = s.refreshMs;
    } catch (e) {
      $("updated").textContent = "error: " + e.message;
    }
    timer = setTimeout(refresh, next);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const m = /window=(15m|1h|24h)/.exec(location.hash);
    if (m) $("window").value = m[1];
    $("window").addEventListener("change", () => { location.hash = "window=" + $("window").value; refresh(); });
    refresh();
  });
})();
