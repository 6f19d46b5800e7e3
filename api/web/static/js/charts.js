// Hand-written SVG charts: lines with 10-90% bands, grouped or stacked bars, a deadline line.
// Each chart is an <svg role="img"> with a title and a text description for screen readers.

const NS = "http://www.w3.org/2000/svg";
export const COLORS = ["#0b5cad", "#b35900", "#1a7f37", "#8250df", "#b42318", "#0a7d8c", "#6e7781", "#bf8700"];

let counter = 0;

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function niceStep(span, ticks) {
  const raw = span / Math.max(ticks, 1);
  const power = Math.pow(10, Math.floor(Math.log10(raw || 1)));
  const unit = [1, 2, 2.5, 5, 10].find((m) => m * power >= raw) || 10;
  return unit * power;
}

function scaleY(values, forceZero = true) {
  const finite = values.filter((v) => v !== null && v !== undefined && Number.isFinite(v));
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
  if (forceZero) lo = Math.min(lo, 0);
  if (hi === lo) hi = lo + 1;
  const integers = finite.every((v) => Number.isInteger(v));
  const step = integers ? Math.max(1, niceStep(hi - lo, 5)) : niceStep(hi - lo, 5);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const ticks = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(Number(v.toFixed(10)));
  return { lo, hi, ticks };
}

function frame(title, description, width, height) {
  const id = `chart-${++counter}`;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-labelledby": `${id}-t ${id}-d` });
  root.append(svg("title", { id: `${id}-t` }, title), svg("desc", { id: `${id}-d` }, description));
  return root;
}

function yAxis(root, box, y, format) {
  const grid = svg("g", { class: "grid" });
  const axis = svg("g", { class: "axis" });
  for (const tick of y.ticks) {
    const py = box.top + box.height * (1 - (tick - y.lo) / (y.hi - y.lo));
    grid.append(svg("line", { x1: box.left, x2: box.left + box.width, y1: py, y2: py }));
    axis.append(svg("text", { x: box.left - 8, y: py + 5, "text-anchor": "end", "font-size": 17 }, format(tick)));
  }
  axis.append(svg("line", { x1: box.left, x2: box.left, y1: box.top, y2: box.top + box.height }));
  axis.append(svg("line", { x1: box.left, x2: box.left + box.width, y1: box.top + box.height, y2: box.top + box.height }));
  root.append(grid, axis);
}

/**
 * Lines (means) with shaded 10-90% bands over weeks.
 * series: [{name, color, mean: [], p10: [], p90: [], dashed}], labels: x labels (dates).
 */
export function lineBands({ title, labels, series, format = (v) => String(v), yLabel = "", width = 640, height = 340, extent = [] }) {
  const box = { left: 80, top: 20, width: width - 110, height: height - 80 };
  const all = [...extent, ...series.flatMap((s) => [...s.mean, ...(s.p10 || []), ...(s.p90 || [])])];
  const y = scaleY(all);
  const n = labels.length;
  const px = (i) => box.left + (n <= 1 ? box.width / 2 : (box.width * i) / (n - 1));
  const py = (v) => box.top + box.height * (1 - (v - y.lo) / (y.hi - y.lo));
  const last = (s) => s.mean[s.mean.length - 1];
  const description = series.map((s) => `${s.name}: aan het eind ${format(last(s) ?? 0)}` + (s.p10 ? ` (10-90%: ${format(s.p10[s.p10.length - 1] ?? 0)} tot ${format(s.p90[s.p90.length - 1] ?? 0)})` : "")).join("; ");
  const root = frame(title, description, width, height);
  yAxis(root, box, y, format);
  const step = Math.max(1, Math.ceil(n / 6));
  const xAxis = svg("g", { class: "axis" });
  for (let i = 0; i < n; i += step) xAxis.append(svg("text", { x: px(i), y: box.top + box.height + 22, "text-anchor": "middle", "font-size": 16 }, labels[i]));
  if (yLabel) xAxis.append(svg("text", { x: 14, y: box.top + box.height / 2, transform: `rotate(-90 14 ${box.top + box.height / 2})`, "text-anchor": "middle", "font-size": 17 }, yLabel));
  root.append(xAxis);
  series.forEach((s, k) => {
    const color = s.color || COLORS[k % COLORS.length];
    if (s.p10 && s.p90) {
      const upper = s.p90.map((v, i) => (v === null ? null : `${px(i)},${py(v)}`)).filter(Boolean);
      const lower = s.p10.map((v, i) => (v === null ? null : `${px(i)},${py(v)}`)).filter(Boolean).reverse();
      if (upper.length) root.append(svg("polygon", { class: "band", points: [...upper, ...lower].join(" "), fill: color, "fill-opacity": 0.18, stroke: "none" }));
    }
    const points = s.mean.map((v, i) => (v === null ? null : `${px(i)},${py(v)}`)).filter(Boolean);
    root.append(svg("polyline", { class: "line", points: points.join(" "), fill: "none", stroke: color, "stroke-width": 3, "stroke-dasharray": s.dashed ? "8 5" : "none" }));
  });
  return root;
}

/**
 * Bars per category: grouped (side by side) or stacked.
 * series: [{name, color, values: []}]; vline: {at: position in categories (may be fractional), label}.
 */
export function bars({ title, categories, series, stacked = false, vline = null, format = (v) => String(v), width = 640, height = 340, rotate = false }) {
  const box = { left: 70, top: 24, width: width - 90, height: height - (rotate ? 130 : 80) };
  const totals = categories.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] || 0), 0));
  const y = scaleY(stacked ? totals : series.flatMap((s) => s.values));
  const description = categories.map((c, i) => `${c}: ` + series.map((s) => `${s.name} ${format(s.values[i] || 0)}`).join(", ")).join("; ");
  const root = frame(title, description, width, height);
  yAxis(root, box, y, format);
  const slot = box.width / Math.max(categories.length, 1);
  const inner = Math.min(slot * 0.8, 60 * series.length);
  const py = (v) => box.top + box.height * (1 - (v - y.lo) / (y.hi - y.lo));
  const xAxis = svg("g", { class: "axis" });
  const labelEvery = Math.max(1, Math.ceil(categories.length / (rotate ? 20 : 10)));
  categories.forEach((category, i) => {
    const x0 = box.left + slot * i + (slot - inner) / 2;
    let base = 0;
    series.forEach((s, k) => {
      const value = s.values[i] || 0;
      const color = s.color || COLORS[k % COLORS.length];
      const x = stacked ? x0 : x0 + (inner / series.length) * k;
      const w = stacked ? inner : inner / series.length;
      const top = py(base + value);
      const h = py(base) - top;
      if (value > 0) {
        const rect = svg("rect", { class: "bar", x, y: top, width: Math.max(w - 1, 1), height: Math.max(h, 0), fill: color });
        rect.append(svg("title", {}, `${category}, ${s.name}: ${format(value)}`));
        root.append(rect);
      }
      if (stacked) base += value;
    });
    if (i % labelEvery === 0) {
      const cx = box.left + slot * (i + 0.5);
      const cy = box.top + box.height + 20;
      const attrs = rotate ? { x: cx, y: cy, "text-anchor": "end", "font-size": 16, transform: `rotate(-40 ${cx} ${cy})` } : { x: cx, y: cy, "text-anchor": "middle", "font-size": 16 };
      xAxis.append(svg("text", attrs, category));
    }
  });
  root.append(xAxis);
  if (vline) {
    const x = box.left + slot * vline.at;
    root.append(svg("line", { class: "deadline", x1: x, x2: x, y1: box.top - 6, y2: box.top + box.height }));
    root.append(svg("text", { x: x + 6, y: box.top + 12, "font-size": 17, "font-weight": 700, fill: "#b42318" }, vline.label));
  }
  return root;
}

/** A legend as HTML: coloured squares with the series names. */
export function legend(series) {
  const list = document.createElement("ul");
  list.className = "legend";
  list.setAttribute("aria-hidden", "true");
  list.style.listStyle = "none";
  list.style.padding = "0";
  series.forEach((s, k) => {
    const item = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = `swatch sw-${s.key || k % COLORS.length}`;
    item.append(swatch, document.createTextNode(s.name + (s.dashed ? " (gestreept)" : "")));
    list.append(item);
  });
  return list;
}
