// Overzicht: taakstelling, pool, waiting times against the 10 weeks, mismatch, placements per wijk, worklists.

import { api, download } from "./api.js";
import { bars, legend } from "./charts.js";
import { el, errorText, formatDate, nf0, setStatus, startPage } from "./shell.js";
import { labelCells } from "./table-tools.js";
import { needsText } from "./words.js";
import { agreementForm, showAgreements } from "./prestatieafspraken.js";

function tile(value, label, kind = "", id = null) {
  return el("div", { class: `tile ${kind}`.trim(), id }, el("div", { class: "value", text: value }), el("div", { class: "label", text: label }));
}

function taakstelling(data) {
  const box = document.getElementById("taakstelling");
  box.replaceChildren();
  document.getElementById("taak-period").textContent = `per ${formatDate(data.on)}`;
  if (!data.taakstelling.length) {
    box.append(el("p", { class: "muted", text: "Nog geen taakstelling ingesteld en nog niemand gehuisvest." }));
    return;
  }
  for (const row of data.taakstelling) {
    const half = halfYearWords(row.half_year);
    box.append(el("h3", { text: `${row.municipality}, ${half}` }));
    if (row.due <= 0 && row.target === 0 && row.carried_in === 0) {
      // No target yet for this half year: no meter of "2 van 0" and no negative work to do.
      box.append(el("p", { class: "taak-detail" }, `${nf0.format(row.realised)} personen gehuisvest. Voor het ${half} is nog geen taakstelling ingesteld.`));
      amvLine(box, row);
      continue;
    }
    const due = Math.max(row.due, 0);
    const share = due > 0 ? Math.min(row.realised / due, 1) : 1;
    const fill = el("div", { class: "fill" });
    fill.style.width = `${Math.round(share * 100)}%`;
    const meter = el(
      "div",
      { class: "meter", role: "meter", "aria-valuemin": 0, "aria-valuemax": due, "aria-valuenow": Math.min(row.realised, due), "aria-label": `Taakstelling ${row.municipality}, ${half}` },
      fill,
      // The words sit on a white chip: dark text over the green fill would be too faint to read.
      el("div", { class: "label" }, el("span", { text: `${nf0.format(row.realised)} van ${nf0.format(row.due)} personen gehuisvest` })),
    );
    const carried = row.carried_in > 0 ? `, achterstand uit eerdere halfjaren ${nf0.format(row.carried_in)}` : row.carried_in < 0 ? `, voorsprong uit eerdere halfjaren ${nf0.format(-row.carried_in)}` : "";
    const rest =
      row.remaining > 0
        ? `Nog te doen: ${nf0.format(row.remaining)} personen; wie er tot het eind van dit halfjaar niet bij komt, gaat als achterstand mee naar het volgende.`
        : `De opgave is gehaald, met een voorsprong van ${nf0.format(-row.remaining)} personen.`;
    box.append(meter, el("p", { class: "taak-detail" }, `Taakstelling ${nf0.format(row.target)} personen${carried}. ${rest}`));
    amvLine(box, row);
  }
}

/** The indicative AMV taakstelling, apart from the main one; the ex-AMV count only for the roles that may see it. */
function amvLine(box, row) {
  if (row.amv_target === null || row.amv_target === undefined) return;
  const target = nf0.format(row.amv_target);
  const text =
    row.amv_realised === null || row.amv_realised === undefined
      ? `AMV-taakstelling (indicatief): ${target} jongeren. Hoeveel ex-AMV-jongeren gehuisvest zijn, zien alleen de rollen officer, wbb en admin.`
      : `AMV-taakstelling (indicatief): ${nf0.format(row.amv_realised)} van ${target} jongeren gehuisvest (telt ook mee in de taakstelling hierboven).`;
  box.append(el("p", { class: "taak-detail taak-amv" }, text));
}

function halfYearWords(code) {
  const [year, half] = code.split("-H");
  return `${half === "1" ? "eerste" : "tweede"} halfjaar van ${year}`;
}

function tiles(data) {
  const pool = data.pool;
  document.getElementById("tiles").replaceChildren(
    tile(nf0.format(pool.households), `huishoudens wachten (${nf0.format(pool.persons)} personen)`, "", "tile-pool"),
    tile(nf0.format(pool.overdue), `over de ${data.deadline_weeks}-wekentermijn`, pool.overdue ? "bad" : "", "tile-overdue"),
    pool.documents_incomplete === null
      ? tile("< 5", "zonder BSN of IBAN (documenten onvolledig); minder dan 5 wordt met uw rol niet precies getoond", "warn", "tile-documents")
      : tile(nf0.format(pool.documents_incomplete), "zonder BSN of IBAN (documenten onvolledig)", pool.documents_incomplete ? "warn" : "", "tile-documents"),
    tile(nf0.format(data.units_available), "woningen aangeboden", "", "tile-units"),
    tile(pool.median_waiting_weeks === null ? "–" : nf0.format(pool.median_waiting_weeks), "weken wachten (mediaan)", "", "tile-median"),
  );
}

function waiting(data) {
  const box = document.getElementById("chart-waiting");
  const bins = data.pool.waiting_weeks;
  if (!bins.length) {
    box.replaceChildren(el("p", { class: "muted", text: "Niemand wacht." }));
    return;
  }
  const width = bins[0].to - bins[0].from;
  const chart = bars({
    title: "Huishoudens per wachttijd in weken sinds koppeling",
    categories: bins.map((b) => `${b.from}-${b.to}`),
    series: [{ name: "huishoudens", values: bins.map((b) => b.households), color: "#0b5cad" }],
    vline: { at: data.deadline_weeks / width, label: `${data.deadline_weeks} weken` },
    rotate: bins.length > 12,
  });
  chart.dataset.chart = "waiting";
  box.replaceChildren(chart, el("p", { class: "muted", text: `Weken sinds koppeling, op ${formatDate(data.on)}; rechts van de rode lijn is de ${data.deadline_weeks}-wekentermijn voorbij.` }));
}

function profileLabel(row, withheld) {
  const size = row.persons === 1 ? "alleenstaand" : `${row.persons} personen`;
  const later = row.future_size && row.future_size !== row.persons ? ` (straks ${row.future_size})` : "";
  if (withheld && row.needs && row.needs.length) return `waarvan met ${needsText(row.needs)}`;
  const needs = row.needs && row.needs.length ? `, ${needsText(row.needs)}` : "";
  return size + later + needs;
}

function count(value) {
  return value === null || value === undefined ? "–" : nf0.format(value);
}

function mismatch(data) {
  const box = document.getElementById("chart-mismatch");
  const rows = data.by_size;
  const series = [
    { name: "huishoudens wachtend", key: "demand", color: "#0b5cad", values: rows.map((r) => r.households) },
    { name: "woningen aangeboden die qua grootte passen", key: "supply", color: "#1a7f37", values: rows.map((r) => r.units_fitting) },
    { name: "geplaatst in het voorstel", key: "placed", color: "#b35900", values: rows.map((r) => r.placed) },
  ];
  const chart = bars({ title: "Vraag en passend aanbod per grootte van het huishouden", categories: rows.map((r) => `${r.label} p.`), series });
  chart.dataset.chart = "mismatch";
  const parts = [legend(series), chart];
  const run = data.current_run;
  if (run && run.mismatch.length) {
    const table = el(
      "table",
      { id: "mismatch-table" },
      el("caption", { class: "muted", text: `Per soort huishouden, met alle regels (voorstel van run ${run.id}, planningsdatum ${formatDate(run.planning_date)}).` }),
      el("thead", {}, el("tr", {}, ["Huishoudens", "Wachtend", "Passende woningen", "Geplaatst"].map((h, i) => el("th", { scope: "col", class: i ? "num" : null, text: h })))),
      el(
        "tbody",
        {},
        run.mismatch.map((r) =>
          el("tr", {}, el("th", { scope: "row", text: profileLabel(r, run.withheld) }), el("td", { class: "num", text: count(r.households) }), el("td", { class: "num", text: count(r.eligible_units) }), el("td", { class: "num", text: count(r.placed) })),
        ),
      ),
    );
    const note = run.withheld
      ? [el("p", { class: "muted", text: "Met uw rol ziet u per soort huishouden het totaal. Groepen met een zorgbehoefte staan er alleen als ze minstens 5 huishoudens tellen en er minstens 5 andere overblijven; passende woningen per groep worden niet getoond. Zo is uit deze cijfers niet af te leiden welk huishouden een zorgbehoefte heeft." })]
      : [];
    parts.push(el("details", {}, el("summary", { text: "Per soort huishouden, met alle regels" }), table, ...note));
  } else {
    parts.push(el("p", { class: "muted", text: "Nog geen voorstel berekend: de kolom geplaatst vult zich na de eerste berekening (Weekvoorstel)." }));
  }
  box.replaceChildren(...parts);
}

function placements(data) {
  const box = document.getElementById("chart-placements");
  const p = data.placements_by_neighbourhood;
  if (!p.months.length) {
    box.replaceChildren(el("p", { class: "muted", text: `Tot en met ${formatDate(data.on)} is nog niemand verhuisd.` }));
    return;
  }
  const series = p.neighbourhoods.map((n, k) => ({ name: n.neighbourhood, key: k % 8, values: n.persons }));
  const month = (code) => {
    const [y, m] = code.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, 1)).toLocaleDateString("nl-NL", { month: "short", year: "numeric", timeZone: "UTC" });
  };
  const chart = bars({ title: "Gehuisveste personen per maand en wijk", categories: p.months.map(month), series, stacked: true, width: 1300, height: 380 });
  chart.dataset.chart = "placements";
  box.replaceChildren(legend(series), chart, el("p", { class: "muted", text: `Verhuizingen tot en met ${formatDate(data.on)}.` }));
}

function householdLink(id) {
  return el("a", { href: `/huishouden?id=${encodeURIComponent(id)}`, text: id });
}

function worklist(boxId, rows, empty, columns) {
  const box = document.getElementById(boxId);
  if (!rows.length) {
    box.replaceChildren(el("p", { class: "muted", text: empty }));
    return;
  }
  const table = el(
    "table",
    { id: `${boxId}-table` },
    el("thead", {}, el("tr", {}, columns.map(([head, , num]) => el("th", { scope: "col", class: num ? "num" : null, text: head })))),
    el(
      "tbody",
      {},
      rows.map((row) =>
        el(
          "tr",
          { "data-household": row.household_id },
          columns.map(([, cell, num], i) => (i === 0 ? el("th", { scope: "row" }, cell(row)) : el("td", { class: num ? "num" : null }, cell(row)))),
        ),
      ),
    ),
  );
  box.replaceChildren(table);
}

const REASONS = {
  outranked: "geen woning: voorrang voor anderen",
  no_eligible_unit: "geen woning: geen passende woning",
  documents_incomplete: "geen woning: documenten onvolledig (BSN/IBAN)",
  neighbourhood_cap: "geen woning: wijkplafond bereikt",
};

// What the current run does for a long waiter: the home it proposes, or why none, with the run's own explanation.
function thisWeek(item) {
  if (!item) return el("span", { class: "muted", text: "niet in het huidige voorstel" });
  if (item.proposed_unit) return `voorgesteld: ${item.proposed_unit}`;
  return el("span", {}, el("strong", { text: REASONS[item.reason] || item.reason }), el("br"), el("small", { text: item.explanation || "" }));
}

function worklists(data) {
  worklist("moves-overdue", data.moves_overdue, "Geen verhuizing over termijn.", [
    ["Huishouden", (r) => householdLink(r.household_id)],
    ["Woning", (r) => r.unit_id || ""],
    ["Aangeboden", (r) => formatDate(r.offered_on)],
    ["Verhuizen uiterlijk", (r) => formatDate(r.due)],
    ["Dagen over termijn", (r) => nf0.format(r.days_over), true],
  ]);
  worklist("documents", data.documents, "Alle wachtenden hebben BSN en IBAN.", [
    ["Huishouden", (r) => householdLink(r.household_id)],
    ["Onvolledig sinds", (r) => formatDate(r.since)],
    ["Verwacht", (r) => (r.expected ? `${formatDate(r.expected)}${r.expected_passed ? " (verstreken)" : ""}` : "onbekend")],
  ]);
  worklist("waiting-overdue", data.waiting_overdue, `Niemand wacht langer dan ${data.deadline_weeks} weken.`, [
    ["Huishouden", (r) => householdLink(r.household_id)],
    ["Gemeente", (r) => r.municipality],
    ["Koppeling", (r) => formatDate(r.koppeling_date)],
    ["Weken wachtend", (r) => nf0.format(r.weeks_waiting), true],
    ["Weken over termijn", (r) => nf0.format(r.weeks_over), true],
    ["Deze week", (r) => thisWeek(r.this_week)],
  ]);
}

async function load() {
  const status = document.getElementById("status");
  setStatus(status, "Laden…");
  try {
    const on = document.getElementById("on").value;
    const data = await api.get(`/v1/dashboard${on ? `?on=${encodeURIComponent(on)}` : ""}`);
    document.getElementById("on").value = data.on;
    taakstelling(data);
    tiles(data);
    waiting(data);
    mismatch(data);
    placements(data);
    worklists(data);
    await showAgreements(Number(data.on.slice(0, 4)));
    setStatus(status, `Bijgewerkt: ${new Date().toLocaleTimeString("nl-NL")}`, "ok");
    document.body.dataset.loaded = "true";
    return data;
  } catch (error) {
    setStatus(status, errorText(error), "error");
    return null;
  }
}

/** The target form shows the half year of the peildatum and its target as stored (never a stale entry). */
function fillTarget(data) {
  if (!data) return;
  const municipality = document.getElementById("target-municipality").value.trim();
  const half = `${data.on.slice(0, 4)}-H${Number(data.on.slice(5, 7)) <= 6 ? 1 : 2}`;
  const row = data.taakstelling.find((r) => r.half_year === half && (!municipality || r.municipality === municipality));
  document.getElementById("target-half").value = half;
  document.getElementById("target-persons").value = row && row.target ? String(row.target) : "";
  document.getElementById("target-amv").value = row && row.amv_target !== null && row.amv_target !== undefined ? String(row.amv_target) : "";
}

labelCells();

startPage(async (me) => {
  const data = await load();
  const form = document.getElementById("target-form");
  const municipality = document.getElementById("target-municipality");
  municipality.value = me.municipality || (data && data.taakstelling[0] ? data.taakstelling[0].municipality : (data && data.municipalities[0]) || "");
  document.getElementById("on-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    fillTarget(await load());
  });
  if (me.municipality) municipality.readOnly = true;
  document.getElementById("provincie").addEventListener("click", async () => {
    const status = document.getElementById("status");
    const on = document.getElementById("on").value;
    try {
      await download(`/v1/taakstelling/report.xlsx${on ? `?on=${encodeURIComponent(on)}` : ""}`, `taakstelling-${on || "vandaag"}.xlsx`);
      setStatus(status, "Rapportage gedownload.", "ok");
    } catch (error) {
      setStatus(status, errorText(error), "error");
    }
  });
  fillTarget(data);
  agreementForm(me, () => load());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = document.getElementById("status");
    try {
      const half = document.getElementById("target-half").value.trim();
      const saved = await api.put(`/v1/taakstelling/${encodeURIComponent(municipality.value.trim())}/${encodeURIComponent(half)}`, {
        persons: Number(document.getElementById("target-persons").value),
        amv_persons: document.getElementById("target-amv").value.trim() === "" ? null : Number(document.getElementById("target-amv").value),
      });
      fillTarget(await load());
      setStatus(status, `Taakstelling opgeslagen: ${nf0.format(saved.persons ?? Number(document.getElementById("target-persons").value))} personen voor het ${halfYearWords(half)}.`, "ok");
    } catch (error) {
      setStatus(status, errorText(error), "error");
    }
  });
});
