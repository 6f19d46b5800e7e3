// Wat-als: run a base and a variant scenario, then see the weekly KPIs with 10-90% bands side by
// side and the end figures of the variant against the base. While they run, the bands are those
// of the herhalingen done so far (they narrow as more come), the page says how precise the
// paired difference already is, and "Stoppen" cancels both runs.

import { allows, api, follow } from "./api.js";
import { legend, lineBands } from "./charts.js";
import { el, errorText, formatDate, nf, nf0, setStatus, startPage } from "./shell.js";
import { labelCells } from "./table-tools.js";

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
  ["household_type", "single_woman", "Alleengaande vrouwen"],
  ["household_type", "single_parent", "Eenoudergezinnen"],
  ["ex_amv", "yes", "Ex-AMV-jongeren"],
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
// Per end figure: its label, its scale, and the words of one sentence about the difference
// (what is counted, and whether more is better for the households).
const FIGURES = {
  persons_housed_total: ["Personen gehuisvest", 1, { unit: "personen", what: "gehuisvest", better: "more" }],
  taakstelling_remaining_end: ["Taakstelling nog open (personen)", 1, { unit: "personen", what: "van de taakstelling nog open", better: "less" }],
  pool_households_end: ["Huishoudens wachtend", 1, { unit: "huishoudens", what: "nog wachtend", better: "less" }],
  wait_median_weeks_end: ["Wachttijd, mediaan (weken)", 1, { unit: "weken", what: "mediane wachttijd", better: "less" }],
  wait_p90_weeks_end: ["Wachttijd van de 10% langst wachtenden (weken)", 1, { unit: "weken", what: "wachttijd voor de 10% die het langst wacht", better: "less" }],
  offered_within_deadline_share_end: ["Aanbod binnen 10 weken (%)", 100, { unit: "procentpunt", what: "aanbod binnen 10 weken", better: "more" }],
  moves_per_household_end: ["Verhuizingen per huishouden", 1, { unit: "verhuizingen per huishouden", what: "", better: "less" }],
  temporary_occupancy_mean: ["Bezetting tijdelijke plekken (%)", 100, { unit: "procentpunt", what: "bezetting van tijdelijke plekken", better: "more" }],
  declines_total: ["Afwijzingen", 1, { unit: "afwijzingen", what: "", better: "less" }],
  objective: ["Persoonsweken in een woning (binnen de horizon)", 1, { unit: "persoonsweken", what: "in een woning: meer mensen gehuisvest, of eerder", better: "more" }],
};

const STAGES = { queued: "wacht op zijn beurt", running: "wordt doorgerekend", simulating: "wordt doorgerekend", summarising: "wordt samengevat", done: "klaar", failed: "mislukt", cancelled: "gestopt" };

const state = { presets: [], base: null, variant: null, comparison: null, comparisonError: null, busy: [], pipeline: [] };
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
  restoreForm();
}

// The form as it was sent last, kept for this tab, so a reload does not reset it.
const FORM_KEY = "wbb-wat-als-form";
const FORM_FIELDS = ["base-preset", "variant-preset", "horizon", "replicates", "base-json", "variant-json"];

function keepForm() {
  sessionStorage.setItem(FORM_KEY, JSON.stringify(Object.fromEntries(FORM_FIELDS.map((id) => [id, document.getElementById(id).value]))));
}

function restoreForm() {
  let kept = null;
  try {
    kept = JSON.parse(sessionStorage.getItem(FORM_KEY) || "null");
  } catch (_) {
    kept = null;
  }
  if (!kept) return;
  for (const id of FORM_FIELDS) if (typeof kept[id] === "string") document.getElementById(id).value = kept[id];
}

/** The COA's pipeline stored in the service, offered as the koppelingen of the weeks it covers. */
async function loadPipeline() {
  let items = [];
  try {
    items = (await api.get("/v1/pipeline")).items;
  } catch (_) {
    items = [];
  }
  state.pipeline = items;
  if (!items.length) return;
  const households = items.reduce((n, i) => n + i.households, 0);
  const last = items.map((i) => i.expected_date).sort().at(-1);
  document.getElementById("pipeline-note").textContent = ` ${nf.format(households)} huishoudens aangekondigd, tot en met ${formatDate(last)}`;
  document.getElementById("pipeline-field").hidden = false;
}

/** The scenario with the stored pipeline of its municipality as its inflow.pipeline. */
function withPipeline(scenario) {
  const municipality = scenario.vacancies?.municipality || "Nijmegen";
  const pipeline = state.pipeline
    .filter((i) => i.municipality === municipality)
    .map(({ municipality: _, ...item }) => item);
  return { ...scenario, inflow: { ...(scenario.inflow || {}), pipeline } };
}

/** Where a run's koppelingen and look-ahead forecast come from, in one Dutch sentence. */
function sourceText(which, run) {
  const pipeline = run.scenario?.inflow?.pipeline || [];
  const looks = (run.scenario?.strategies || []).includes("lookahead");
  const name = `${which}: ${runName(run)}`;
  if (!pipeline.length) {
    return `${name}: koppelingen getrokken met de aantallen per week van het scenario${looks ? "; vooruitkijken rekent met diezelfde aantallen" : ""}.`;
  }
  const households = pipeline.reduce((n, i) => n + i.households, 0);
  const last = pipeline.map((i) => i.expected_date).sort().at(-1);
  return `${name}: koppelingen tot en met ${formatDate(last)} uit de pijplijn van het COA (${nf.format(households)} huishoudens), daarna getrokken met de aantallen per week van het scenario${looks ? "; vooruitkijken rekent met de pijplijn en daarna met die aantallen" : ""}.`;
}

/** A scenario run's Dutch name: the label of the example question it came from, else its own name. */
function runName(run) {
  const preset = state.presets.find((p) => p.scenario && p.scenario.name === run.name);
  return preset ? preset.label : run.name;
}

/** One plain Dutch sentence of what the difference (variant minus base) means. */
function meaning(f, scale, words, horizon) {
  const d = f && f.difference;
  if (!d || d.mean === null || d.mean === undefined) return "";
  const mean = d.mean * scale;
  const period = horizon ? `na ${horizon} weken` : "aan het eind";
  const about = words.what ? ` ${words.what}` : "";
  if (Math.abs(mean) < 0.05) return `Geen verschil ${period}: de variant geeft evenveel ${words.unit}${about} als de basis.`;
  const more = mean > 0;
  const good = (words.better === "more") === more;
  const band = d.p10 !== null && d.p90 !== null ? ` In 8 van 10 herhalingen ligt het verschil tussen ${nf.format(d.p10 * scale)} en ${nf.format(d.p90 * scale)}.` : "";
  return `De variant geeft ${period} gemiddeld ${nf.format(Math.abs(mean))} ${words.unit} ${more ? "meer" : "minder"}${about} dan de basis: ${good ? "gunstiger" : "ongunstiger"} voor de wachtenden.${band}`;
}

async function fillEarlier(selectBase, selectVariant) {
  const runs = (await api.get("/v1/scenarios?limit=100")).items;
  const options = () =>
    runs.map((r) => el("option", { value: r.id, text: `${runName(r)} (run ${r.id}, ${STAGES[r.status] || r.status}, ${r.replicates} herhalingen, ${r.horizon_weeks} weken)` }));
  const base = document.getElementById("base-run");
  const variant = document.getElementById("variant-run");
  base.replaceChildren(...options());
  variant.replaceChildren(...options());
  if (selectBase) base.value = String(selectBase);
  else if (runs.length > 1) base.value = String(runs[1].id);
  if (selectVariant) variant.value = String(selectVariant);
  return runs;
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
  const all = runs.map((run) => (run && run.result ? seriesOf(run) : []));
  const extent = all.flat().flatMap((s) => [...s.mean, ...s.p10, ...s.p90]);
  const format = (v) => nf.format(v);
  ["base", "variant"].forEach((which, k) => {
    const run = runs[k];
    const target = document.getElementById(`chart-${which}`);
    const name = which === "base" ? "Basis" : "Variant";
    if (!run) return;
    if (!run.result) {
      target.replaceChildren(el("p", { class: "muted", text: `Nog geen herhaling klaar (${STAGES[run.stage] || STAGES[run.status] || run.status}).` }));
      document.getElementById(`${which}-caption`).textContent = `${name}: ${runName(run)} (run ${run.id}, 0 van ${run.replicates} herhalingen klaar)`;
      return;
    }
    const chart = lineBands({ title: `${label}: ${runName(run)}`, labels: run.result.dates.map(shortDate), series: all[k], format, extent });
    chart.dataset.chart = `scenario-${which}`;
    chart.dataset.replicates = String(run.replicates_done);
    target.replaceChildren(chart);
    const count = run.status === "done" ? `${run.replicates} herhalingen` : `${run.replicates_done} van ${run.replicates} herhalingen klaar`;
    document.getElementById(`${which}-caption`).textContent = `${name}: ${runName(run)} (run ${run.id}, ${count})`;
  });
  const shown = all.find((series) => series.length);
  if (shown) document.getElementById("legend").replaceChildren(legend(shown));
  const sources = [["Basis", "base", state.base], ["Variant", "variant", state.variant]].filter(([, , run]) => run);
  document.getElementById("forecast-source").replaceChildren(
    ...sources.flatMap(([name, key, run], i) => [...(i ? [el("br")] : []), el("span", { "data-source": key, text: sourceText(name, run) })]),
  );
}

function renderComparison() {
  const body = document.querySelector("#comparison tbody");
  if (state.comparisonError) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: 5, text: state.comparisonError })));
    return;
  }
  const strategy = document.getElementById("strategy").value;
  const figures = state.comparison.comparison.strategies[strategy] || {};
  body.replaceChildren(
    ...Object.entries(FIGURES).map(([key, [label, scale, words]]) => {
      const f = figures[key];
      return el(
        "tr",
        { "data-figure": key },
        el("th", { scope: "row", text: label }),
        el("td", { class: "num", text: bandText(f?.base, scale) }),
        el("td", { class: "num", text: bandText(f?.variant, scale) }),
        el("td", { class: "num", text: bandText(f?.difference, scale) }),
        el("td", { class: "expl", text: meaning(f, scale, words, state.variant?.horizon_weeks) }),
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
    document.getElementById("amv-taakstelling").textContent = "";
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
  document.getElementById("amv-taakstelling").textContent = amvText(run, strategies);
}

/** The indicative AMV taakstelling of the variant beside the ex-AMV youngsters housed, per way of working. */
function amvText(run, strategies) {
  const target = run.scenario?.taakstelling?.amv_persons_per_half_year || 0;
  const group = run.result.fairness?.groupings?.ex_amv?.yes;
  if (!target || !group) return "";
  const weeks = run.scenario.horizon_weeks;
  const housed = strategies.map((s) => `${STRATEGIES[s]?.name || s} ${bandText(group[s]?.housed_persons, 1)}`).join("; ");
  return `AMV-taakstelling (indicatief, apart geteld): ${nf.format(target)} personen per halfjaar, ${nf.format((target * weeks) / 26)} over deze ${weeks} weken. Ex-AMV-jongeren gehuisvest: ${housed}.`;
}

async function show(baseId, variantId) {
  setStatus(status(), "Resultaten laden…");
  try {
    [state.base, state.variant] = await Promise.all([api.get(`/v1/scenarios/${baseId}`), api.get(`/v1/scenarios/${variantId}`)]);
    for (const run of [state.base, state.variant]) {
      if (run.status !== "done" && !(run.status === "cancelled" && run.result)) {
        setStatus(status(), `Scenario-run ${run.id} heeft nog geen resultaat (${STAGES[run.status] || run.status}).${run.error ? ` ${run.error}` : ""}`, "error");
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
    const stopped = [state.base, state.variant].filter((run) => run.status === "cancelled");
    const partly = stopped.length ? ` Gestopt voor alle herhalingen klaar waren: ${stopped.map((run) => `run ${run.id} over ${run.replicates_done} van ${run.replicates} herhalingen`).join(", ")}.` : "";
    setStatus(status(), `Basis run ${baseId} en variant run ${variantId} getoond${state.comparison && !state.comparison.paired ? " (andere seed: verschillen niet gepaard)" : ""}.${partly}`, "ok");
    showPrecision();
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
  if (document.getElementById("use-pipeline").checked) {
    base = withPipeline(base);
    variant = withPipeline(variant);
  }
  if (horizon) {
    base.horizon_weeks = horizon;
    variant.horizon_weeks = horizon;
  }
  const button = document.getElementById("run-scenario");
  const bar = document.getElementById("scenario-progress");
  button.disabled = true;
  keepForm();
  try {
    // Both are checked before either starts (an edited scenario may be refused: then nothing runs),
    // and the base starts first, so the older of the two newest runs is always the base.
    await api.post("/v1/scenarios?check=true", { scenario: variant, replicates });
    await api.post("/v1/scenarios?check=true", { scenario: base, replicates });
    const baseRun = await api.post("/v1/scenarios", { scenario: base, replicates });
    const variantRun = await api.post("/v1/scenarios", { scenario: variant, replicates });
    await followPair(baseRun, variantRun);
  } catch (error) {
    bar.hidden = true;
    setStatus(status(), errorText(error), "error");
  } finally {
    button.disabled = false;
  }
}

function seconds(value) {
  if (value === null || value === undefined) return "";
  if (value < 90) return `nog ongeveer ${nf0.format(Math.max(1, value))} seconden`;
  return `nog ongeveer ${nf0.format(value / 60)} minuten`;
}

/** One run's count in the status line: "basis 7 van 10 herhalingen klaar (nog ongeveer 5 seconden)". */
function countText(which, run) {
  if (run.status === "queued") return `${which} wacht op zijn beurt`;
  const left = run.status === "running" ? seconds(run.seconds_left) : "";
  return `${which} ${run.replicates_done} van ${run.replicates} herhalingen klaar${left ? ` (${left})` : ""}`;
}

/** How precise the answer already is: the paired difference in persons housed, over the herhalingen both have. */
function showPrecision() {
  const line = document.getElementById("precision");
  const strategy = state.comparison?.comparison?.strategies?.optimise ? "optimise" : Object.keys(state.comparison?.comparison?.strategies || {})[0];
  const d = strategy && state.comparison.comparison.strategies[strategy].persons_housed_total?.difference;
  if (!d || d.mean === null || d.mean === undefined) {
    line.textContent = "";
    return;
  }
  const k = state.comparison.comparison.replicates;
  const sure = d.p10 > 0 || d.p90 < 0 ? "het teken van het verschil staat al vast" : "het verschil kan nog beide kanten op";
  line.textContent =
    `Hoe precies het antwoord nu is: over ${k} ${k === 1 ? "herhaling" : "herhalingen"} huisvest de variant gemiddeld ${nf.format(d.mean)} personen ` +
    `${d.mean >= 0 ? "meer" : "minder"} dan de basis (${STRATEGIES[strategy]?.name || strategy}); in 8 van 10 herhalingen ligt het verschil tussen ` +
    `${nf.format(d.p10)} en ${nf.format(d.p90)}, dus ${sure}.`;
  line.dataset.replicates = String(k);
}

/** Follow a base and a variant run until both are done, with one progress bar and the bands of what is
 * done so far; "Stoppen" cancels both. Then show them. */
async function followPair(baseRun, variantRun) {
  const bar = document.getElementById("scenario-progress");
  const cancel = document.getElementById("cancel-scenario");
  const live = [baseRun, variantRun];
  state.busy = live;
  bar.hidden = false;
  cancel.hidden = !allows(state.role, "officer");
  cancel.disabled = false;
  let compared = -1;
  const refresh = async () => {
    bar.value = (live[0].progress + live[1].progress) / 2;
    setStatus(status(), `Bezig met doorrekenen: ${countText("basis", live[0])}, ${countText("variant", live[1])} (basis run ${baseRun.id}, variant run ${variantRun.id}).`);
    if (!live[0].result && !live[1].result) return;
    [state.base, state.variant] = live;
    document.getElementById("results").hidden = false;
    renderCharts();
    const k = Math.min(live[0].replicates_done, live[1].replicates_done);
    if (k > 0 && k !== compared) {
      compared = k;
      try {
        state.comparison = await api.get(`/v1/scenarios/compare?base=${baseRun.id}&variant=${variantRun.id}`);
        state.comparisonError = null;
      } catch (error) {
        state.comparison = null;
        state.comparisonError = errorText(error);
      }
      const strategies = Object.keys(live[1].result.weekly);
      const select = document.getElementById("strategy");
      if (select.options.length !== strategies.length) select.replaceChildren(...strategies.map((s) => el("option", { value: s, text: STRATEGIES[s]?.name || s })));
      renderComparison();
      showPrecision();
    }
  };
  const done = await Promise.all(
    live.map((run, k) =>
      follow(`/v1/scenarios/${run.id}`, (job) => {
        live[k] = job;
        refresh();
      }, 700),
    ),
  );
  bar.hidden = true;
  cancel.hidden = true;
  state.busy = [];
  const failed = done.find((run) => run.status === "failed");
  if (failed) {
    setStatus(status(), `Scenario ${runName(failed)} is mislukt: ${failed.error || ""}`, "error");
    return;
  }
  await fillEarlier(baseRun.id, variantRun.id);
  if (done.every((run) => run.result)) {
    await show(baseRun.id, variantRun.id);
  } else {
    setStatus(status(), `Gestopt voordat beide scenario's een herhaling klaar hadden (basis run ${baseRun.id}, variant run ${variantRun.id}).`, "ok");
  }
}

/** "Stoppen": cancel the runs being followed; their workers stop, what is done stays. */
async function cancelRuns() {
  const cancel = document.getElementById("cancel-scenario");
  cancel.disabled = true;
  setStatus(status(), "Stoppen…");
  for (const run of state.busy.filter((r) => r.status === "queued" || r.status === "running")) {
    try {
      await api.post(`/v1/scenarios/${run.id}/cancel`, {});
    } catch (_) {
      // ended in the meantime: nothing to stop
    }
  }
}

labelCells();

startPage(async (me) => {
  state.role = me.role;
  document.getElementById("cancel-scenario").addEventListener("click", cancelRuns);
  document.getElementById("kpi").replaceChildren(...Object.entries(KPIS).map(([key, [label]]) => el("option", { value: key, text: label })));
  document.getElementById("kpi").addEventListener("change", renderCharts);
  document.getElementById("strategy").addEventListener("change", renderComparison);
  document.getElementById("compare-form").addEventListener("submit", (event) => {
    event.preventDefault();
    show(document.getElementById("base-run").value, document.getElementById("variant-run").value);
  });
  try {
    state.presets = (await (await fetch("/static/scenarios.json")).json()).presets;
    if (allows(me.role, "officer")) {
      fillPresets();
      await loadPipeline();
      document.getElementById("scenario-form").addEventListener("submit", runScenarios);
    }
    const runs = await fillEarlier();
    const busy = runs.filter((r) => r.status === "queued" || r.status === "running").sort((a, b) => a.id - b.id);
    document.body.dataset.loaded = "true";
    if (busy.length) {
      // A reload while runs are busy: follow them instead of saying all is done.
      const button = document.getElementById("run-scenario");
      button.disabled = true;
      setStatus(status(), `Er ${busy.length === 1 ? "wordt nog 1 scenario-run" : `worden nog ${busy.length} scenario-runs`} doorgerekend…`);
      try {
        const pair = busy.length >= 2 ? busy.slice(-2) : [runs.find((r) => r.id < busy[0].id && r.status === "done") || busy[0], busy[0]];
        await followPair(pair[0], pair[1]);
      } finally {
        button.disabled = false;
      }
    } else {
      setStatus(status(), runs.length ? `${runs.length === 1 ? "1 eerdere berekening" : `${runs.length} eerdere berekeningen`}; kies er twee om te vergelijken.` : "Nog geen scenario's doorgerekend.", "ok");
    }
  } catch (error) {
    setStatus(status(), errorText(error), "error");
  }
});
