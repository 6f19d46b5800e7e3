// Wat-als: run a base and a variant scenario, then see the weekly KPIs with 10-90% bands side by
// side and the end figures of the variant against the base.

import { allows, api, follow } from "./api.js";
import { legend, lineBands } from "./charts.js";
import { el, errorText, nf, setStatus, startPage } from "./shell.js";

const STRATEGIES = {
  optimise: { name: "Optimalisatie (engine)", color: "#0b5cad" },
  fifo: { name: "Volgorde van koppeling (FIFO)", color: "#b35900" },
  lookahead: { name: "Vooruitkijkend, met bewaking van lang wachten", color: "#1a7f37" },
};
// Groups of households in the fairness figures, in the order the table shows them.
const GROUPS = [
  ["all", "all", "Alle huishoudens"],
  ["household_size", "1", "1 persoon"],
  ["household_size", "2-3", "2-3 personen"],
  ["household_size", "4-5", "4-5 personen"],
  ["household_size", "6+", "6 of meer personen"],
  ["single_expecting_family", "yes", "Alleenstaand, gezin op komst"],
  ["vulnerability", "yes", "Met een kwetsbaarheid"],
  ["vulnerability", "no", "Zonder kwetsbaarheid"],
  ["documents_incomplete", "yes", "Documenten onvolledig bij koppeling"],
  ["gender", "F", "Hoofdaanvrager vrouw"],
  ["gender", "M", "Hoofdaanvrager man"],
  ["koppeling", "before_start", "Gekoppeld voor de start"],
  ["koppeling", "within_horizon", "Gekoppeld tijdens de periode"],
];
const KPIS = {
  persons_housed_cum: ["Personen gehuisvest (opgeteld)", 1],
  taakstelling_remaining: ["Taakstelling nog open (personen)", 1],
  pool_households: ["Huishoudens wachtend", 1],
  pool_persons: ["Personen wachtend", 1],
  wait_median_weeks: ["Wachttijd, mediaan (weken)", 1],
  wait_p90_weeks: ["Wachttijd, 90e percentiel (weken)", 1],
  offered_within_deadline_share: ["Aanbod binnen 10 weken (%)", 100],
  movers_waiting: ["Doorstromers wachtend", 1],
  moves_cum: ["Verhuizingen (opgeteld)", 1],
  temporary_occupancy: ["Bezetting tijdelijke plekken (%)", 100],
  units_on_offer: ["Woningen op aanbod", 1],
};
const FIGURES = {
  persons_housed_total: ["Personen gehuisvest", 1],
  taakstelling_remaining_end: ["Taakstelling nog open", 1],
  pool_households_end: ["Huishoudens wachtend", 1],
  wait_median_weeks_end: ["Wachttijd, mediaan (weken)", 1],
  wait_p90_weeks_end: ["Wachttijd, 90e percentiel (weken)", 1],
  offered_within_deadline_share_end: ["Aanbod binnen 10 weken (%)", 100],
  moves_per_household_end: ["Verhuizingen per huishouden", 1],
  temporary_occupancy_mean: ["Bezetting tijdelijke plekken (%)", 100],
  declines_total: ["Afwijzingen", 1],
  objective: ["Doelwaarde (personen × weken eerder)", 1],
};

const state = { presets: [], base: null, variant: null, comparison: null, comparisonError: null };
const status = () => document.getElementById("status");

function bandText(b, scale) {
  if (!b || b.mean === null || b.mean === undefined) return "–";
  return `${nf.format(b.mean * scale)} [${nf.format(b.p10 * scale)} – ${nf.format(b.p90 * scale)}]`;
}

function shortDate(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString("nl-NL", { day: "numeric", month: "short", timeZone: "UTC" });
}

function fillPresets() {
  const options = () => state.presets.map((p, i) => el("option", { value: i, text: p.label }));
  const base = document.getElementById("base-preset");
  const variant = document.getElementById("variant-preset");
  base.replaceChildren(...options());
  variant.replaceChildren(...options());
  variant.value = state.presets.length > 1 ? "1" : "0";
  const show = () => {
    document.getElementById("base-json").value = JSON.stringify(state.presets[base.value].scenario, null, 2);
    document.getElementById("variant-json").value = JSON.stringify(state.presets[variant.value].scenario, null, 2);
  };
  base.addEventListener("change", show);
  variant.addEventListener("change", show);
  show();
}

async function fillEarlier(selectBase, selectVariant) {
  const runs = (await api.get("/v1/scenarios?limit=100")).items;
  const names = { queued: "wacht", running: "bezig", done: "klaar", failed: "mislukt" };
  const options = () => runs.map((r) => el("option", { value: r.id, text: `#${r.id} ${r.name} (${names[r.status] || r.status}, ${r.replicates} herhalingen, ${r.horizon_weeks} weken)` }));
  const base = document.getElementById("base-run");
  const variant = document.getElementById("variant-run");
  base.replaceChildren(...options());
  variant.replaceChildren(...options());
  if (selectBase) base.value = String(selectBase);
  else if (runs.length > 1) base.value = String(runs[1].id);
  if (selectVariant) variant.value = String(selectVariant);
}

function renderCharts() {
  const kpi = document.getElementById("kpi").value;
  const [label, scale] = KPIS[kpi];
  const seriesOf = (run) =>
    Object.keys(run.result.weekly).map((s) => {
      const w = run.result.weekly[s][kpi];
      const scaled = (xs) => xs.map((v) => (v === null ? null : v * scale));
      return { name: STRATEGIES[s]?.name || s, key: s, color: STRATEGIES[s]?.color, mean: scaled(w.mean), p10: scaled(w.p10), p90: scaled(w.p90) };
    });
  const runs = [state.base, state.variant];
  const all = runs.map(seriesOf);
  const extent = all.flat().flatMap((s) => [...s.mean, ...s.p10, ...s.p90]);
  const format = (v) => nf.format(v);
  ["base", "variant"].forEach((which, k) => {
    const run = runs[k];
    const chart = lineBands({ title: `${label}: ${run.name}`, labels: run.result.dates.map(shortDate), series: all[k], format, extent });
    chart.dataset.chart = `scenario-${which}`;
    document.getElementById(`chart-${which}`).replaceChildren(chart);
    document.getElementById(`${which}-caption`).textContent = `${which === "base" ? "Basis" : "Variant"}: ${run.name} (run ${run.id}, ${run.replicates} herhalingen)`;
  });
  document.getElementById("legend").replaceChildren(legend(all[0]));
}

function renderComparison() {
  const body = document.querySelector("#comparison tbody");
  if (state.comparisonError) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: 4, text: state.comparisonError })));
    return;
  }
  const strategy = document.getElementById("strategy").value;
  const figures = state.comparison.comparison.strategies[strategy] || {};
  body.replaceChildren(
    ...Object.entries(FIGURES).map(([key, [label, scale]]) => {
      const f = figures[key];
      return el(
        "tr",
        { "data-figure": key },
        el("th", { scope: "row", text: label }),
        el("td", { class: "num", text: bandText(f?.base, scale) }),
        el("td", { class: "num", text: bandText(f?.variant, scale) }),
        el("td", { class: "num", text: bandText(f?.difference, scale) }),
      );
    }),
  );
}

// Who waits: per group, the 90th percentile of weeks to a first offer for each way of working,
// and its difference with FIFO on the same herhalingen (a group too small in a herhaling has no figure there).
function renderFairness() {
  const run = state.variant;
  const fairness = run.result.fairness;
  const table = document.getElementById("fairness");
  if (!fairness) {
    table.querySelector("tbody").replaceChildren(el("tr", {}, el("td", { text: "Deze berekening heeft geen cijfers per groep." })));
    return;
  }
  const strategies = Object.keys(run.result.weekly);
  const others = strategies.filter((s) => s !== "fifo" && strategies.includes("fifo"));
  table.querySelector("thead").replaceChildren(
    el(
      "tr",
      {},
      el("th", { scope: "col", text: "Groep" }),
      el("th", { scope: "col", class: "num", text: "Huishoudens" }),
      ...strategies.map((s) => el("th", { scope: "col", class: "num", text: STRATEGIES[s]?.name || s })),
      ...others.map((s) => el("th", { scope: "col", class: "num", text: `${STRATEGIES[s]?.name || s} min FIFO` })),
    ),
  );
  const replicates = (b) => (b && b.replicates !== undefined && b.replicates < run.replicates ? ` (${b.replicates} van ${run.replicates})` : "");
  table.querySelector("tbody").replaceChildren(
    ...GROUPS.filter(([grouping, group]) => fairness.groupings[grouping]?.[group]).map(([grouping, group, label]) => {
      const entry = fairness.groupings[grouping][group];
      const cell = (b) => el("td", { class: "num", text: `${bandText(b, 1)}${replicates(b)}` });
      return el(
        "tr",
        { "data-group": `${grouping}:${group}` },
        el("th", { scope: "row", text: label }),
        el("td", { class: "num", text: bandText(entry.households, 1) }),
        ...strategies.map((s) => cell(entry[s]?.wait_p90_weeks)),
        ...others.map((s) => cell(entry[`${s}_minus_fifo`]?.wait_p90_weeks)),
      );
    }),
  );
  document.getElementById("fairness-caption").textContent = `Variant: ${run.name} (run ${run.id}, ${run.replicates} herhalingen)`;
}

async function show(baseId, variantId) {
  setStatus(status(), "Resultaten laden…");
  try {
    [state.base, state.variant] = await Promise.all([api.get(`/v1/scenarios/${baseId}`), api.get(`/v1/scenarios/${variantId}`)]);
    for (const run of [state.base, state.variant]) {
      if (run.status !== "done") {
        setStatus(status(), `Scenario-run ${run.id} heeft nog geen resultaat (${run.status}).${run.error ? ` ${run.error}` : ""}`, "error");
        return;
      }
    }
    state.comparison = null;
    state.comparisonError = null;
    try {
      state.comparison = await api.get(`/v1/scenarios/compare?base=${baseId}&variant=${variantId}`);
    } catch (error) {
      state.comparisonError = errorText(error);
    }
    const strategies = Object.keys(state.variant.result.weekly);
    document.getElementById("strategy").replaceChildren(...strategies.map((s) => el("option", { value: s, text: STRATEGIES[s]?.name || s })));
    document.getElementById("results").hidden = false;
    renderCharts();
    renderComparison();
    renderFairness();
    setStatus(status(), `Basis run ${baseId} en variant run ${variantId} getoond${state.comparison && !state.comparison.paired ? " (andere seed: verschillen niet gepaard)" : ""}.`, "ok");
    document.body.dataset.shown = `${baseId}-${variantId}`;
  } catch (error) {
    setStatus(status(), errorText(error), "error");
  }
}

async function runScenarios(event) {
  event.preventDefault();
  let base;
  let variant;
  try {
    base = JSON.parse(document.getElementById("base-json").value);
    variant = JSON.parse(document.getElementById("variant-json").value);
  } catch (_) {
    setStatus(status(), "Een van de scenario's is geen geldige JSON.", "error");
    return;
  }
  const horizon = Number(document.getElementById("horizon").value);
  const replicates = Number(document.getElementById("replicates").value);
  if (horizon) {
    base.horizon_weeks = horizon;
    variant.horizon_weeks = horizon;
  }
  const button = document.getElementById("run-scenario");
  const bar = document.getElementById("scenario-progress");
  button.disabled = true;
  try {
    // The variant first: an edited scenario is the likelier one to be refused, and then nothing runs.
    const variantRun = await api.post("/v1/scenarios", { scenario: variant, replicates });
    const baseRun = await api.post("/v1/scenarios", { scenario: base, replicates });
    const started = [baseRun, variantRun];
    bar.hidden = false;
    const progress = [0, 0];
    const done = await Promise.all(
      started.map((run, k) =>
        follow(`/v1/scenarios/${run.id}`, (job) => {
          progress[k] = job.progress;
          bar.value = (progress[0] + progress[1]) / 2;
          setStatus(status(), `Doorrekenen: ${Math.round(bar.value * 100)}%`);
        }, 700),
      ),
    );
    bar.hidden = true;
    const failed = done.find((run) => run.status === "failed");
    if (failed) {
      setStatus(status(), `Scenario ${failed.name} is mislukt: ${failed.error || ""}`, "error");
      return;
    }
    await fillEarlier(started[0].id, started[1].id);
    await show(started[0].id, started[1].id);
  } catch (error) {
    bar.hidden = true;
    setStatus(status(), errorText(error), "error");
  } finally {
    button.disabled = false;
  }
}

startPage(async (me) => {
  document.getElementById("kpi").replaceChildren(...Object.entries(KPIS).map(([key, [label]]) => el("option", { value: key, text: label })));
  document.getElementById("kpi").addEventListener("change", renderCharts);
  document.getElementById("strategy").addEventListener("change", renderComparison);
  document.getElementById("compare-form").addEventListener("submit", (event) => {
    event.preventDefault();
    show(document.getElementById("base-run").value, document.getElementById("variant-run").value);
  });
  try {
    if (allows(me.role, "officer")) {
      state.presets = (await (await fetch("/static/scenarios.json")).json()).presets;
      fillPresets();
      document.getElementById("scenario-form").addEventListener("submit", runScenarios);
    }
    await fillEarlier();
    setStatus(status(), "Klaar.", "ok");
    document.body.dataset.loaded = "true";
  } catch (error) {
    setStatus(status(), errorText(error), "error");
  }
});
