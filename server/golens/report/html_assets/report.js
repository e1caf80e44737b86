// golens trace report: draws the flame graphs, the goroutine timeline and the findings table
// from the JSON in #golens-data. No network, no libraries. Styles are set through the CSSOM only
// (el.style.x = …), which the page's content security policy allows without 'unsafe-inline'.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("golens-data").textContent);
  const vscode = typeof acquireVsCodeApi === "function" ? acquireVsCodeApi() : null;
  const ROW = 18;
  const SVGNS = "http://www.w3.org/2000/svg";

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function fmtNs(ns) {
    if (ns >= 10e9) return (ns / 1e9).toFixed(0) + " s";
    if (ns >= 1e9) return (ns / 1e9).toFixed(1) + " s";
    if (ns >= 10e6) return (ns / 1e6).toFixed(0) + " ms";
    if (ns >= 1e6) return (ns / 1e6).toFixed(1) + " ms";
    if (ns >= 1e3) return (ns / 1e3).toFixed(0) + " µs";
    return Math.round(ns) + " ns";
  }
  const exact = (ns) => Math.round(ns).toLocaleString("en-US") + " ns";
  const pct = (part, whole) => (whole ? (100 * part / whole).toFixed(1) : "0.0") + "%";

  // A link to a workspace line: a message to the editor inside the VS Code webview, else a
  // vscode:// or file:// URL depending on how the report was written.
  function lineLink(abs, line, text) {
    if (!abs) return el("span", { class: "loc" }, text);
    const a = el("a", { class: "loc" }, text);
    // encodeURI leaves "?" and "#" alone; in a file name they would start a query or a fragment.
    const uriPath = encodeURI(abs).replace(/[?#]/g, encodeURIComponent);
    a.href = data.links === "vscode" ? "vscode://file" + uriPath + ":" + line : "file://" + uriPath;
    a.dataset.path = abs;
    a.dataset.line = String(line);
    a.addEventListener("click", (ev) => {
      if (vscode) { ev.preventDefault(); reveal(abs, line); }
    });
    return a;
  }
  function reveal(abs, line) {
    if (vscode && abs) vscode.postMessage({ type: "reveal", path: abs, line: line });
  }

  // --- header ---------------------------------------------------------------------------------
  const s = data.summary;
  document.getElementById("meta").textContent =
    `${data.trace} — ${data.format}, ${data.durationText}` +
    (data.wallStart ? `, captured ${data.wallStart.replace("T", " ").slice(0, 19)} UTC` : "") +
    ` · goroutines: ${s.goroutines} seen, ${s.created} created, ${s.ended} ended, ${s.alive} alive at the end` +
    (s.truncated ? " · the trace was cut short" : "");
  if (data.empty) {
    const p = document.getElementById("nothing");
    p.hidden = false;
    p.textContent = "Nothing to show: the trace recorded no goroutines (it stopped before anything ran, or holds no complete generation).";
  }

  // --- flame graphs ----------------------------------------------------------------------------
  // Nodes: {name, file, line, v, o, c, kids, parent} or, in a diff, {…, v: after, b: before}.
  function inflate(raw, parent, diff) {
    const n = diff
      ? { name: raw[0], file: raw[1], line: raw[2], v: raw[3], b: raw[4], kids: null, parent: parent }
      : { name: raw[0], file: raw[1], line: raw[2], v: raw[3], o: raw[4], c: raw[5], kids: null, parent: parent };
    n.kids = raw[diff ? 5 : 6].map((k) => inflate(k, n, diff));
    return n;
  }
  const nameOf = (n) => (n.name < 0 ? "all" : data.names[n.name]);
  const fileOf = (n) => (n.file < 0 ? null : data.files[n.file]);
  const width = (n, diff) => (diff ? Math.max(n.v, n.b) : n.v);

  function hue(name) {
    let h = 0;
    for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
    return h;
  }
  function colour(n, diff) {
    if (n.name < 0) return "#9aa4b1";
    if (diff) {
      const d = n.v - n.b, m = Math.max(n.v, n.b) || 1, t = Math.min(1, Math.abs(d) / m);
      const light = 92 - Math.round(t * 42);
      return d > 0 ? `hsl(2, 75%, ${light}%)` : d < 0 ? `hsl(215, 75%, ${light}%)` : "hsl(0, 0%, 88%)";
    }
    const f = fileOf(n), mine = f && f[1], h = hue(nameOf(n));
    return mine ? `hsl(${200 + (h % 30)}, 65%, ${62 + (h % 12)}%)` : `hsl(${20 + (h % 30)}, 80%, ${60 + (h % 12)}%)`;
  }

  function describe(n, root, diff) {
    const f = fileOf(n);
    const where = f ? ` — ${f[0]}:${n.line}` : "";
    if (diff) {
      const d = n.v - n.b;
      return `${nameOf(n)}${where}: ${fmtNs(n.v)} now, ${fmtNs(n.b)} in the baseline (${d >= 0 ? "+" : "−"}${fmtNs(Math.abs(d))}; ${exact(n.v)} vs ${exact(n.b)})`;
    }
    let text = `${nameOf(n)}${where}: ${fmtNs(n.v)} (${exact(n.v)}, ${pct(n.v, root.v)} of this view) in ${n.c.toLocaleString("en-US")} intervals`;
    if (n.o) text += `; ${fmtNs(n.o)} of it in waits still going at trace end`;
    return text;
  }

  function FlameView(container, details, diff) {
    this.container = container;
    this.details = details;
    // What was clicked stays here (with its link) while hovering writes to `details`.
    this.selected = el("div", { class: "details selected" });
    details.after(this.selected);
    this.diff = diff;
    this.root = null;
    this.focus = null;
  }
  FlameView.prototype.show = function (root) {
    this.root = root;
    this.focus = root;
    this.draw();
  };
  FlameView.prototype.zoom = function (n) {
    this.focus = n;
    this.draw();
  };
  FlameView.prototype.draw = function () {
    const c = this.container, diff = this.diff, root = this.root;
    c.textContent = "";
    const W = c.clientWidth || 1000;
    const chain = [];
    for (let a = this.focus.parent; a; a = a.parent) chain.unshift(a);
    let depth = 0, maxDepth = 0;
    const bar = (n, x, w, d, ancestor) => {
      const b = el("div", { class: "bar" + (ancestor ? " ancestor" : "") + (n === this.focus ? " focus" : "") });
      b.style.left = x + "px";
      b.style.top = d * ROW + "px";
      b.style.width = Math.max(w - 1, 1) + "px";
      b.style.background = colour(n, diff);
      b.title = describe(n, root, diff);
      b.dataset.ns = String(n.v);
      b.dataset.func = nameOf(n);
      if (diff) b.dataset.before = String(n.b);
      const f = fileOf(n);
      if (f) { b.dataset.file = f[0]; b.dataset.line = String(n.line); }
      if (w > 28) b.textContent = nameOf(n) + (f ? " :" + n.line : "");
      b.addEventListener("mouseenter", () => { this.details.textContent = describe(n, root, diff); });
      b.addEventListener("click", () => {
        this.zoom(n);
        this.select(n);
        if (f && f[1]) reveal(f[1], n.line);
      });
      c.appendChild(b);
      if (d > maxDepth) maxDepth = d;
    };
    for (const a of chain) bar(a, 0, W, depth++, true);
    const layout = (n, x, w, d) => {
      if (w < 0.5) return;
      bar(n, x, w, d, false);
      const total = n.kids.reduce((t, k) => t + width(k, diff), 0);
      // In a diff a child can be wider than its parent (it grew while a sibling shrank): squeeze.
      const scale = w / Math.max(width(n, diff), total, 1);
      let cx = x;
      for (const k of n.kids) {
        const kw = width(k, diff) * scale;
        layout(k, cx, kw, d + 1);
        cx += kw;
      }
    };
    layout(this.focus, 0, W, depth);
    c.style.height = (maxDepth + 1) * ROW + "px";
  };
  FlameView.prototype.select = function (n) {
    const f = fileOf(n);
    this.selected.textContent = "zoomed into " + nameOf(n) + " ";
    if (f && f[1]) this.selected.appendChild(lineLink(f[1], n.line, "open " + f[0] + ":" + n.line));
  };

  if (data.flames.length) {
    document.getElementById("flame-section").hidden = false;
    const view = new FlameView(document.getElementById("flame"), document.getElementById("flame-details"), false);
    const tabs = document.getElementById("flame-tabs");
    const trees = {};
    const select = (id) => {
      for (const t of tabs.children) t.setAttribute("aria-selected", t.dataset.view === id ? "true" : "false");
      trees[id] = trees[id] || inflate(data.flames.find((f) => f.id === id).tree, null, false);
      view.show(trees[id]);
      view.selected.textContent = "";
      document.getElementById("flame-details").textContent = describe(trees[id], trees[id], false);
    };
    for (const f of data.flames) {
      const t = el("button", { type: "button", role: "tab", class: "tab " + f.kind }, `${f.label} · ${fmtNs(f.tree[3])}`);
      t.dataset.view = f.id;
      t.dataset.ns = String(f.tree[3]);
      t.addEventListener("click", () => select(f.id));
      tabs.appendChild(t);
    }
    document.getElementById("flame-reset").addEventListener("click", () => { view.zoom(view.root); view.select(view.root); });
    select(data.flames[0].id);
    window.addEventListener("resize", () => view.draw());
  }

  if (data.diff) {
    document.getElementById("diff-section").hidden = false;
    const root = inflate(data.diff.tree, null, true);
    document.getElementById("diff-hint").textContent =
      `Blocked time by function, all reasons: ${fmtNs(root.v)} now against ${fmtNs(root.b)} in ${data.diff.baseline}. ` +
      "Width is the larger of the two; red grew, blue shrank. Click to zoom.";
    const dv = new FlameView(document.getElementById("diff"), document.getElementById("diff-details"), true);
    dv.show(root);
    window.addEventListener("resize", () => dv.draw());
  }

  // --- timeline --------------------------------------------------------------------------------
  const STATES = ["running", "runnable", "syscall", "blocked"];
  if (data.groups.length) {
    document.getElementById("timeline-section").hidden = false;
    const box = document.getElementById("timeline");
    const details = document.getElementById("timeline-details");
    const n = data.groups[0].states.running.length;
    const axis = el("div", { class: "tl-row tl-axis" });
    axis.appendChild(el("div", { class: "tl-label" }, ""));
    const ticks = el("div", { class: "tl-ticks" });
    for (let i = 0; i <= 4; i++) {
      const t = el("span", {}, fmtNs((data.durationNs * i) / 4));
      t.style.left = (i * 25) + "%";
      ticks.appendChild(t);
    }
    axis.appendChild(ticks);
    box.appendChild(axis);
    for (const g of data.groups) {
      const row = el("div", { class: "tl-row" + (g.leaked ? " leaked" : "") });
      row.dataset.label = g.label;
      const label = el("div", { class: "tl-label" });
      if (g.leaked) label.appendChild(el("span", { class: "badge" }, "leaked"));
      label.appendChild(g.path ? lineLink(g.path, g.line, g.label) : el("span", { class: "loc" }, g.label));
      label.appendChild(el("div", { class: "tl-counts" },
        `${g.goroutines} goroutines · ${g.ended} ended · ${g.alive} alive at end` + (g.blockedAtEnd ? ` (${g.blockedAtEnd} blocked)` : "")));
      if (g.func && g.path) label.title = g.func;
      row.appendChild(label);
      let peak = 0;
      for (let i = 0; i < n; i++) peak = Math.max(peak, STATES.reduce((t, st) => t + g.states[st][i], 0));
      const svg = document.createElementNS(SVGNS, "svg");
      svg.setAttribute("viewBox", `0 0 ${n} 100`);
      svg.setAttribute("preserveAspectRatio", "none");
      svg.setAttribute("class", "tl-plot");
      const base = new Array(n).fill(0);
      for (const st of STATES) {
        const vals = g.states[st];
        let top = "", bottom = "";
        for (let i = 0; i < n; i++) {
          const y0 = 100 - (base[i] / (peak || 1)) * 100;
          const y1 = 100 - ((base[i] + vals[i]) / (peak || 1)) * 100;
          top += `${i === 0 ? "M" : "L"}${i},${y1.toFixed(2)}L${i + 1},${y1.toFixed(2)}`;
          bottom = `L${i + 1},${y0.toFixed(2)}L${i},${y0.toFixed(2)}` + bottom;
          base[i] += vals[i];
        }
        const path = document.createElementNS(SVGNS, "path");
        path.setAttribute("d", top + bottom + "Z");
        path.setAttribute("class", "st " + st);
        svg.appendChild(path);
      }
      svg.addEventListener("mousemove", (ev) => {
        const r = svg.getBoundingClientRect();
        const i = Math.min(n - 1, Math.max(0, Math.floor(((ev.clientX - r.left) / r.width) * n)));
        const at = fmtNs(i * data.bucketNs) + "–" + fmtNs((i + 1) * data.bucketNs);
        details.textContent = `${g.label} at ${at}: ` +
          STATES.map((st) => `${g.states[st][i].toFixed(2)} ${st}`).join(", ") + " (average goroutines)";
      });
      const plot = el("div", { class: "tl-plotbox" });
      plot.appendChild(svg);
      plot.appendChild(el("span", { class: "tl-peak" }, "peak " + peak.toFixed(peak < 10 ? 1 : 0)));
      row.appendChild(plot);
      box.appendChild(row);
    }
  }

  // --- findings table --------------------------------------------------------------------------
  const SEVERITY = { error: 0, warning: 1, information: 2, hint: 3 };
  if (data.findings.length) {
    document.getElementById("findings-section").hidden = false;
    const table = document.getElementById("findings");
    const body = table.tBodies[0];
    const rows = data.findings.map((f) => {
      const tr = el("tr", { class: "sev-" + f.severity });
      tr.appendChild(el("td", { class: "rule" }, f.rule));
      tr.appendChild(el("td", {}, f.severity));
      const td = el("td");
      td.appendChild(lineLink(f.abs, f.line, `${f.path}:${f.line}`));
      tr.appendChild(td);
      tr.appendChild(el("td", { class: "num" }, f.goroutines === null ? "" : String(f.goroutines)));
      const time = el("td", { class: "num" }, f.totalNs ? fmtNs(f.totalNs) : "");
      if (f.totalNs) time.title = exact(f.totalNs);
      time.dataset.ns = String(f.totalNs);
      tr.appendChild(time);
      tr.appendChild(el("td", { class: "msg" }, f.message));
      tr.addEventListener("click", (ev) => { if (vscode && ev.target.tagName !== "A") reveal(f.abs, f.line); });
      return { f: f, tr: tr };
    });
    const compare = (key, type) => (a, b) => {
      const x = a.f[key], y = b.f[key];
      if (type === "number") return (y === null ? -1 : y) - (x === null ? -1 : x);
      if (type === "severity") return SEVERITY[x] - SEVERITY[y];
      if (type === "location") return a.f.path.localeCompare(b.f.path) || a.f.line - b.f.line;
      return String(x).localeCompare(String(y));
    };
    let sorted = null;
    const sortBy = (th) => {
      const key = th.dataset.key, type = th.dataset.type;
      const desc = sorted === key;
      rows.sort(compare(key, type));
      if (desc) rows.reverse();
      sorted = desc ? null : key;
      for (const h of table.tHead.rows[0].cells) h.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", desc ? "descending" : "ascending");
      body.textContent = "";
      for (const r of rows) body.appendChild(r.tr);
    };
    for (const th of table.tHead.rows[0].cells) th.addEventListener("click", () => sortBy(th));
    for (const r of rows) body.appendChild(r.tr);
  }

  if (vscode) {
    // The editor asks to show a line's frame ("Show in report" on a trace finding).
    window.addEventListener("message", (ev) => {
      const m = ev.data;
      if (!m || m.type !== "focus") return;
      const target = [...document.querySelectorAll("#findings a.loc, #timeline a.loc")]
        .find((a) => a.dataset.path === m.path && a.dataset.line === String(m.line));
      if (target) {
        target.scrollIntoView({ block: "center" });
        const row = target.closest("tr, .tl-row");
        if (row) { row.classList.add("flash"); setTimeout(() => row.classList.remove("flash"), 1500); }
      }
    });
  }
})();
