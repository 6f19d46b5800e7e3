// Weekvoorstel: the proposal of the current run as a table, with the WBB's decisions per row,
// a re-run, the Excel workbook, the offers in progress (moved in, refused, reopened), the
// unmatched households with reasons and what it would take, and what changed since an
// earlier run (pairs new, kept and gone, with the reason).

import { allows, api, download, follow, problemText } from "./api.js";
import { policyFromForm, renderPolicyForm } from "./policy-form.js";
import { setRunningHead } from "./print.js";
import { el, errorText, formatDate, nf0, setStatus, startPage } from "./shell.js";
import { fillOptions, filterRows, labelCells, resort, sortable } from "./table-tools.js";
import * as W from "./words.js";

const DECLINE_REASONS = W.DECLINE_REASONS;
const HOUSEHOLD_REASONS = W.HOUSEHOLD_REASONS;
const UNIT_REASONS = W.UNIT_REASONS;
const KIND_NAMES = W.DECISION_KINDS;
const REOPEN_REASONS = {
  decided_in_error: "ten onrechte besloten",
  unit_not_available: "woning niet beschikbaar",
  household_not_ready: "huishouden nog niet zover",
  other: "andere reden",
};
const EVENT_NAMES = { moved_in: "verhuisd", offer_refused: "aanbod geweigerd", reopen: "acceptatie teruggedraaid" };
const STATE_NAMES = { waiting: "wachtend", offered: "woning aangeboden", housed: "gehuisvest", housed_temporary: "tijdelijk gehuisvest" };
const OFFER_DAYS = 14;
const GONE_REASONS = {
  declined: "afgewezen door de WBB",
  housed: "geaccepteerd: woning aangeboden of huishouden verhuisd",
  offer_refused: "aanbod geweigerd door het huishouden",
  household_left: "huishouden niet meer in de pool",
  unit_let: "woning verhuurd (of geen bedden meer vrij)",
  unit_withdrawn: "woning uit het aanbod gehaald",
  excluded: "paar uitgesloten in het beleid",
  pinned_elsewhere: "huishouden of woning vastgezet in een ander paar",
  household_changed: "gegevens van het huishouden gewijzigd",
  unit_changed: "gegevens van de woning gewijzigd",
  outranked: "voorrang voor anderen",
};
const NEW_REASONS = {
  new_household: "nieuw huishouden in de pool",
  new_unit: "nieuwe woning in het aanbod",
  pinned: "vastgezet door de WBB",
  unit_available: "woning is nu beschikbaar (eerder nog niet)",
  reassigned: "huishouden had eerder een andere woning",
  was_unmatched: "huishouden was eerder niet geplaatst",
};
const FIELD_NAMES = {
  municipality: "gemeente", koppeling_date: "koppelingsdatum", adults: "volwassenen", children: "kinderen",
  gender: "geslacht", head_age: "leeftijd", expected_reunification: "verwachte nareizigers",
  expected_arrival_date: "verwachte aankomst nareizigers",
  documents_complete: "documenten", vulnerabilities: "kwetsbaarheden", preferred_neighbourhoods: "voorkeurswijken",
  neighbourhood: "wijk", corporation: "corporatie", unit_type: "soort woning", temporary: "tijdelijk", shared: "gedeeld",
  beds: "bedden", bedrooms: "slaapkamers", min_occupants: "minimum bewoners", max_occupants: "maximum bewoners",
  rent: "huur", step_free: "traploos", wheelchair: "rolstoeltoegankelijk", lgbtiq_safe: "LHBTIQ+-veilig",
  support: "begeleiding", available_from: "beschikbaar vanaf",
};
const DIFF_NAMES = { new: "nieuw", kept: "behouden", gone: "vervallen" };
const DIFF_BADGES = { new: "badge accept", kept: "", gone: "badge decline" };
const state = { me: null, current: null, proposal: null, decisions: [], earlier: [], diff: null, offers: [], units: new Map(), rowMessages: new Map(), running: false };
const status = () => document.getElementById("status");

function today() {
  return new Date().toISOString().slice(0, 10);
}

/** Every decision (oldest first): a pin taken on an earlier run still holds for the pair. */
async function allDecisions() {
  const items = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await api.get(`/v1/decisions?limit=1000&offset=${offset}`);
    items.push(...page.items);
    if (items.length >= page.total || page.items.length === 0) break;
  }
  return items.reverse();
}

function tile(value, label) {
  return el("div", { class: "tile" }, el("div", { class: "value", text: value }), el("div", { class: "label", text: label }));
}

/** The newest decision per pair, and whether it is pinned (a pin stays until declined). */
function decisionsByPair() {
  const out = new Map();
  for (const d of state.decisions) {
    const key = `${d.household_id}|${d.unit_id}`;
    const entry = out.get(key) || { kinds: [] };
    entry.kinds.push(d);
    out.set(key, entry);
  }
  return out;
}

/** What a decision did, in words, shown at its row. */
function decidedText(match, body) {
  if (body.kind === "accept") {
    return `Geaccepteerd: ${match.unit_id} is aangeboden aan ${match.household_id} en voor dit huishouden vastgehouden; verhuizing verwacht op ${formatDate(body.housed_on)}. Terugdraaien kan onder Lopende aanbiedingen.`;
  }
  if (body.kind === "decline") return `Afgewezen (${DECLINE_REASONS[body.reason] || body.reason}): dit paar wordt niet meer voorgesteld.`;
  return "Vastgezet: dit paar blijft in elke volgende berekening.";
}

/** A decision on a row: the result is told at the row itself (and read out), the row shows its
 * new state, and the focus stays in the row; a refusal is told at the row too. */
async function decide(match, body, button) {
  button.disabled = true;
  const action = button.getAttribute("aria-label");
  try {
    await api.post(`/v1/runs/${state.current.id}/decisions`, {
      household_id: match.household_id,
      unit_id: match.unit_id,
      ...body,
    });
    state.decisions = await allDecisions();
    state.rowMessages.set(match.household_id, { text: decidedText(match, body), kind: "ok" });
    renderMatches();
    await loadOffers();
    setStatus(status(), `${match.household_id} → ${match.unit_id}: ${KIND_NAMES[body.kind]}.`, "ok");
    keepFocus(match.household_id);
  } catch (error) {
    const stale = error.code === "run_superseded";
    const text = stale ? `Niet vastgelegd: ${errorText(error)} Laad eerst het nieuwste voorstel (knop hierboven).` : `Niet vastgelegd: ${errorText(error)}`;
    state.rowMessages.set(match.household_id, { text, kind: "error" });
    renderMatches();
    setStatus(status(), errorText(error), "error");
    if (stale) await watchRuns();
    const again = [...document.querySelectorAll(`#row-${CSS.escape(match.household_id)} button`)].find((b) => b.getAttribute("aria-label") === action);
    (again || document.querySelector(`#row-${CSS.escape(match.household_id)} th a`))?.focus();
  }
}

/** After a decision the row's buttons change: focus the row's next button, else its household
 * link, so the keyboard stays at the row just decided. */
function keepFocus(householdId) {
  const row = document.getElementById(`row-${householdId}`);
  const next = row && (row.querySelector("button") || row.querySelector("th a"));
  if (next) {
    next.focus();
    return;
  }
  keepFocusAfter(householdId);
}

function keepFocusAfter(householdId) {
  const rows = [...document.querySelectorAll("#matches tbody tr")];
  const start = rows.findIndex((row) => row.dataset.household === householdId);
  for (const row of rows.slice(Math.max(start, 0))) {
    const button = row.querySelector("button");
    if (button) {
      button.focus();
      return;
    }
  }
}

function declineForm(match, cell) {
  const id = `reason-${match.household_id}`;
  const select = el("select", { id }, Object.entries(DECLINE_REASONS).map(([code, name]) => el("option", { value: code, text: name })));
  const confirm = el("button", { type: "button", class: "danger", text: "Afwijzing bevestigen" });
  const cancel = el("button", { type: "button", class: "secondary", text: "Annuleren", onclick: () => renderMatches() });
  confirm.addEventListener("click", () => decide(match, { kind: "decline", reason: select.value }, confirm));
  const form = el("div", { class: "actions", role: "group", "aria-label": `Afwijzen: ${match.household_id} naar ${match.unit_id}` }, el("label", { for: id, text: "Reden" }), select, confirm, cancel);
  // Escape closes the form and puts the focus back on the row's Afwijzen button.
  form.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    renderMatches();
    document.querySelector(`#row-${CSS.escape(match.household_id)} button.danger`)?.focus();
  });
  cell.replaceChildren(form);
  select.focus();
}

function decisionCell(match, entry, canDecide) {
  const cell = el("td", { class: "decision" });
  // An accept on an earlier run that was undone since (reopened) no longer decides the pair:
  // it is proposed again and can be accepted again. Declines and pins hold across runs.
  const relevant = entry ? entry.kinds.filter((d) => d.kind !== "accept" || d.run_id === state.current.id) : [];
  const kinds = relevant.map((d) => d.kind);
  const final = kinds.find((k) => k === "accept" || k === "decline");
  for (const d of relevant) {
    cell.append(el("span", { class: `badge ${d.kind}`, text: KIND_NAMES[d.kind] + (d.reason ? `: ${DECLINE_REASONS[d.reason] || d.reason}` : "") }), " ");
  }
  const message = state.rowMessages.get(match.household_id);
  if (message) cell.append(el("p", { class: `row-status ${message.kind}`, role: message.kind === "error" ? "alert" : "status", text: message.text }));
  if (!canDecide || final) return cell;
  const who = `${match.household_id} naar ${match.unit_id}`;
  const actions = el("div", { class: "actions" });
  const accept = el("button", { type: "button", text: "Accepteren", "aria-label": `Accepteren: ${who}` });
  accept.addEventListener("click", () => decide(match, { kind: "accept", housed_on: document.getElementById("housed-on").value || state.current.policy.planning_date || today() }, accept));
  const decline = el("button", { type: "button", class: "danger", text: "Afwijzen", "aria-label": `Afwijzen: ${who}` });
  decline.addEventListener("click", () => declineForm(match, cell));
  actions.append(accept, decline);
  if (!kinds.includes("pin")) {
    const pin = el("button", { type: "button", class: "secondary", text: "Vastzetten", "aria-label": `Vastzetten: ${who}` });
    pin.addEventListener("click", () => decide(match, { kind: "pin" }, pin));
    actions.append(pin);
  }
  cell.append(actions);
  return cell;
}

/** Two people at once: a newer run (a colleague ran again) or lists changed after this run are
 * said above the proposal, with a button to load the newest proposal. Checked every 15 seconds
 * and after a refused decision. */
async function watchRuns() {
  if (!state.current || state.running) return;
  const box = document.getElementById("newer");
  let runs;
  try {
    runs = (await api.get("/v1/runs?limit=5")).items;
  } catch (_) {
    return;
  }
  const newest = runs[0];
  const current = runs.find((r) => r.id === state.current.id) || state.current;
  const text = document.getElementById("newer-text");
  const button = document.getElementById("newer-load");
  if (newest && newest.id > state.current.id && newest.status === "done") {
    const planning = newest.planning_date ? ` (planningsdatum ${formatDate(newest.planning_date)})` : "";
    text.textContent = `Er is een nieuwer voorstel: run ${newest.id}${planning}, berekend nadat deze pagina run ${state.current.id} liet zien. Besluiten gelden alleen voor het nieuwste voorstel.`;
    button.hidden = false;
  } else if (newest && newest.id > state.current.id && (newest.status === "queued" || newest.status === "running")) {
    text.textContent = `Er wordt een nieuw voorstel berekend (run ${newest.id}). Wacht met besluiten tot het klaar is.`;
    button.hidden = true;
  } else if (current.pool_changed) {
    text.textContent = `De lijsten zijn na run ${state.current.id} opnieuw ingelezen of gewijzigd: dit voorstel is verouderd. Bereken opnieuw voordat u besluit.`;
    button.hidden = true;
  } else {
    box.hidden = true;
    return;
  }
  box.hidden = false;
}

function householdLink(id) {
  return el("a", { href: `/huishouden?id=${encodeURIComponent(id)}`, text: id, title: `Dossier van ${id} openen` });
}

/** A unit's kind in words, from the pool's units (a shared place says so). */
function unitKind(unitId) {
  const unit = state.units.get(unitId);
  if (!unit) return "";
  const kind = W.UNIT_TYPES[unit.unit_type] || unit.unit_type;
  return unit.shared ? `gedeelde ${kind}` : kind;
}

/** The pool's units by id (for the kind of home of each row). */
async function loadUnits() {
  const units = new Map();
  for (let offset = 0; ; offset += 1000) {
    const page = await api.get(`/v1/units?limit=1000&offset=${offset}`);
    for (const unit of page.items) units.set(unit.unit_id, unit);
    if (units.size >= page.total || page.items.length === 0) break;
  }
  state.units = units;
}

/** Search and filter the proposal: household or unit, wijk, kind of home, decision. */
function matchFilters() {
  const matches = state.proposal?.matches || [];
  const table = document.getElementById("matches");
  fillOptions(document.getElementById("match-wijk"), "alle wijken", [...new Set(matches.map((m) => m.neighbourhood).filter(Boolean))].sort().map((n) => [n, n]));
  fillOptions(document.getElementById("match-kind"), "alle soorten", [...new Set([...table.tBodies[0].rows].map((r) => r.dataset.kind).filter(Boolean))].sort().map((k) => [k, k]));
  const search = document.getElementById("match-search").value.trim().toLowerCase();
  const wijk = document.getElementById("match-wijk").value;
  const kind = document.getElementById("match-kind").value;
  const decision = document.getElementById("match-decision").value;
  const shown = filterRows(
    table,
    (row) =>
      (!search || row.dataset.household.toLowerCase().includes(search) || row.dataset.unit.toLowerCase().includes(search)) &&
      (!wijk || row.dataset.neighbourhood === wijk) &&
      (!kind || row.dataset.kind === kind) &&
      (!decision || row.dataset.decision === decision),
  );
  document.getElementById("match-count").textContent = matches.length ? `${nf0.format(shown)} van ${nf0.format(matches.length)} regels getoond` : "";
}

function renderMatches() {
  const body = document.querySelector("#matches tbody");
  const byPair = decisionsByPair();
  const canDecide = allows(state.me.role, "wbb") && state.current && state.current.current;
  const rows = (state.proposal?.matches || []).map((m) => {
    const entry = byPair.get(`${m.household_id}|${m.unit_id}`);
    const kinds = entry ? entry.kinds.map((d) => d.kind) : [];
    const decision = kinds.find((k) => k === "accept" || k === "decline") || (kinds.includes("pin") ? "pin" : "open");
    return el(
      "tr",
      {
        id: `row-${m.household_id}`,
        "data-household": m.household_id,
        "data-unit": m.unit_id,
        "data-persons": m.persons,
        "data-neighbourhood": m.neighbourhood || "",
        "data-kind": unitKind(m.unit_id),
        "data-decision": decision,
        class: decision === "open" ? null : `decided ${decision}`,
      },
      el("th", { scope: "row" }, householdLink(m.household_id)),
      el("td", { class: "num", text: m.persons }),
      el("td", { text: m.unit_id + (m.fixed ? " (vast)" : "") }),
      el("td", { text: m.neighbourhood || "" }),
      el("td", { class: "expl", text: m.explanation }),
      decisionCell(m, entry, canDecide),
    );
  });
  body.replaceChildren(...rows);
  const table = document.getElementById("matches");
  resort(table);
  matchFilters();
  const counts = { accept: 0, decline: 0, pin: 0 };
  for (const d of state.decisions) if (d.run_id === state.current.id) counts[d.kind] += 1;
  document.getElementById("decided").textContent = state.proposal
    ? `(${state.proposal.matches.length} regels; deze run: ${counts.accept} geaccepteerd, ${counts.decline} afgewezen, ${counts.pin} vastgezet)`
    : "";
}

async function loadOffers() {
  state.offers = (await api.get("/v1/households?state=offered&limit=1000")).items;
  renderOffers();
}

function addDays(iso, days) {
  const date = new Date(`${iso}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

async function recordEvent(household, body, button) {
  button.disabled = true;
  try {
    const recorded = await api.post(`/v1/households/${encodeURIComponent(household.household_id)}/events`, {
      date: document.getElementById("event-date").value || today(),
      ...body,
    });
    await loadOffers();
    const after = STATE_NAMES[recorded.state_after] || recorded.state_after;
    setStatus(status(), `${household.household_id}: ${EVENT_NAMES[recorded.kind]}, nu ${after}.`, "ok");
  } catch (error) {
    button.disabled = false;
    setStatus(status(), errorText(error), "error");
  }
}

function reasonForm(household, cell, kind, reasons, confirmText) {
  const id = `${kind}-reason-${household.household_id}`;
  const select = el("select", { id }, Object.entries(reasons).map(([code, name]) => el("option", { value: code, text: name })));
  const confirm = el("button", { type: "button", class: "danger", text: confirmText });
  const cancel = el("button", { type: "button", class: "secondary", text: "Annuleren", onclick: () => renderOffers() });
  confirm.addEventListener("click", () => recordEvent(household, { kind, reason: select.value }, confirm));
  cell.replaceChildren(el("div", { class: "actions" }, el("label", { for: id, text: "Reden" }), select, confirm, cancel));
  select.focus();
}

function offerActions(household) {
  const cell = el("td", { class: "decision" });
  if (!allows(state.me.role, "wbb")) return cell;
  const who = `${household.household_id} in ${household.offered_unit_id}`;
  const moved = el("button", { type: "button", text: "Verhuisd", "aria-label": `Verhuisd: ${who}` });
  moved.addEventListener("click", () => recordEvent(household, { kind: "moved_in" }, moved));
  const refused = el("button", { type: "button", class: "danger", text: "Geweigerd", "aria-label": `Geweigerd: ${who}` });
  refused.addEventListener("click", () => reasonForm(household, cell, "offer_refused", DECLINE_REASONS, "Weigering vastleggen"));
  const reopen = el("button", { type: "button", class: "secondary", text: "Terugdraaien", "aria-label": `Terugdraaien: ${who}` });
  reopen.addEventListener("click", () => reasonForm(household, cell, "reopen", REOPEN_REASONS, "Terugdraaien bevestigen"));
  cell.append(el("div", { class: "actions" }, moved, refused, reopen));
  return cell;
}

function renderOffers() {
  const on = today();
  document.getElementById("offers-count").textContent = `(${state.offers.length})`;
  document.querySelector("#offers tbody").replaceChildren(
    ...state.offers.map((h) => {
      const due = h.offered_on ? addDays(h.offered_on, OFFER_DAYS) : null;
      const late = due && due < on;
      return el(
        "tr",
        { id: `offer-${h.household_id}`, "data-household": h.household_id, "data-unit": h.offered_unit_id },
        el("th", { scope: "row" }, el("a", { href: `/huishouden?id=${encodeURIComponent(h.household_id)}`, text: h.household_id })),
        el("td", { class: "num", text: h.adults + h.children }),
        el("td", { text: h.offered_unit_id + (h.current_unit_id ? ` (woont nu in ${h.current_unit_id})` : "") }),
        el("td", { text: formatDate(h.offered_on) }),
        el("td", {}, el("span", { class: late ? "badge decline" : null, text: due ? formatDate(due) + (late ? ", over termijn" : "") : "" })),
        offerActions(h),
      );
    }),
  );
}

function unmatchedFilter() {
  const select = document.getElementById("unmatched-filter");
  const present = new Set((state.proposal?.unmatched_households || []).map((u) => u.reason));
  const chosen = select.value;
  const options = [el("option", { value: "", text: "alle redenen" }), el("option", { value: "take", text: "één wijziging plaatst het huishouden" })];
  for (const [code, name] of Object.entries(HOUSEHOLD_REASONS)) if (present.has(code)) options.push(el("option", { value: code, text: name }));
  select.replaceChildren(...options);
  select.value = [...select.options].some((o) => o.value === chosen) ? chosen : "";
}

function renderUnmatched() {
  const body = document.querySelector("#unmatched tbody");
  const filter = document.getElementById("unmatched-filter").value;
  const search = document.getElementById("unmatched-search").value.trim().toLowerCase();
  const all = state.proposal?.unmatched_households || [];
  const shown = all.filter(
    (u) =>
      (!filter || (filter === "take" ? Boolean(u.details && u.details.what_it_would_take) : u.reason === filter)) &&
      (!search || u.household_id.toLowerCase().includes(search)),
  );
  // For a role that does not see them, the explanations are withheld: said once above the table.
  const withheld = Boolean(state.proposal && state.proposal.withheld);
  document.getElementById("withheld").hidden = !withheld;
  document.getElementById("unmatched").classList.toggle("withheld", withheld);
  document.getElementById("unmatched-count").textContent = state.proposal ? `(${shown.length} van ${all.length})` : "";
  body.replaceChildren(
    ...shown.map((u) => {
      const take = u.details && u.details.what_it_would_take;
      const reason = HOUSEHOLD_REASONS[u.reason] || u.reason;
      return el(
        "tr",
        { "data-household": u.household_id, "data-reason": reason },
        el("th", { scope: "row" }, householdLink(u.household_id)),
        el("td", { text: reason }),
        withheld ? null : el("td", { class: "expl" }, take ? el("span", { class: "badge pin", text: "één wijziging plaatst dit huishouden" }) : null, take ? " " : null, u.explanation),
      );
    }),
  );
  resort(document.getElementById("unmatched"));
  document.querySelector("#unused tbody").replaceChildren(
    ...(state.proposal?.unused_units || []).map((u) =>
      el("tr", {}, el("th", { scope: "row", text: u.unit_id }), el("td", { text: UNIT_REASONS[u.reason] || u.reason }), el("td", { class: "expl", text: u.explanation })),
    ),
  );
}

function renderKpis() {
  const k = state.proposal?.kpis;
  const box = document.getElementById("kpis");
  if (!k) {
    box.replaceChildren(el("p", { class: "muted", text: "Nog geen voorstel." }));
    return;
  }
  box.replaceChildren(
    tile(nf0.format(k.placed_households), "huishoudens geplaatst"),
    tile(nf0.format(k.placed_persons), "personen geplaatst"),
    tile(nf0.format(k.overdue_placed), "over de termijn, nu geplaatst"),
    tile(nf0.format(k.temporary_placements), "tijdelijke plaatsingen"),
    tile(nf0.format(state.proposal.unmatched_households.length), "niet geplaatst"),
  );
}

function showRun(run) {
  const info = document.getElementById("run-info");
  const bar = document.getElementById("run-progress");
  if (!run) {
    info.textContent = "Er is nog geen voorstel berekend.";
    bar.hidden = true;
    return;
  }
  const names = { queued: "wacht", running: "wordt berekend", done: "klaar", failed: "mislukt", cancelled: "geannuleerd" };
  const planning = run.policy && run.policy.planning_date ? `, planningsdatum ${formatDate(run.policy.planning_date)}` : "";
  const stage = run.status === "running" ? ` (${W.STAGES[run.stage] || run.stage})` : "";
  info.textContent = `Run ${run.id}${planning}: ${names[run.status] || run.status}${stage}. ${run.households} huishoudens, ${run.units} woningen.`;
  bar.hidden = run.status === "done" || run.status === "failed" || run.status === "cancelled";
  bar.value = run.progress;
}

function runLabel(run) {
  const parts = [`Run ${run.id}`];
  if (run.planning_date) parts.push(`planningsdatum ${formatDate(run.planning_date)}`);
  parts.push(`berekend ${formatDate(run.finished_at || run.created_at)}`);
  if (run.superseded) parts.push("vervangen");
  return parts.join(" · ");
}

/** The finished runs before the current one, newest first, to compare the current proposal with. */
function showEarlierRuns(runs) {
  state.earlier = state.current ? runs.filter((r) => r.status === "done" && r.id < state.current.id) : [];
  state.diff = null;
  const select = document.getElementById("history-run");
  const chosen = select.value;
  const options = state.earlier.map((r) => el("option", { value: String(r.id), text: runLabel(r) }));
  if (!options.length) options.push(el("option", { value: "", text: "geen eerdere run" }));
  select.replaceChildren(...options);
  if (state.earlier.some((r) => String(r.id) === chosen)) select.value = chosen;
  const none = state.earlier.length === 0;
  for (const id of ["history-run", "history-compare", "history-download"]) document.getElementById(id).disabled = none;
  document.getElementById("history-summary").textContent = none
    ? "Er is nog geen eerdere berekening om het huidige voorstel mee te vergelijken."
    : "";
  renderDiff();
}

function decisionText(decision) {
  if (!decision) return "";
  const reason = decision.reason ? `: ${DECLINE_REASONS[decision.reason] || decision.reason}` : "";
  const housed = decision.housed_on ? `; verwachte verhuizing ${formatDate(decision.housed_on)}` : "";
  return ` (besluit van ${decision.decided_by}, ${formatDate(decision.created_at)}${reason}${housed})`;
}

function goneText(pair) {
  let text = GONE_REASONS[pair.reason] || pair.reason;
  text += decisionText(pair.decision);
  if (pair.changed && pair.changed.length) text += `: ${pair.changed.map((f) => FIELD_NAMES[f] || f).join(", ")}`;
  if (pair.now_unit_id) text += `; nu naar ${pair.now_unit_id}`;
  else if (pair.now_unmatched_reason) text += `; nu niet geplaatst (${HOUSEHOLD_REASONS[pair.now_unmatched_reason] || pair.now_unmatched_reason})`;
  return text;
}

function newText(pair) {
  if (pair.reason === "reassigned" && pair.before_unit_id) return `huishouden had eerder woning ${pair.before_unit_id}`;
  if (pair.reason === "was_unmatched" && pair.before_unmatched_reason) {
    return `huishouden was eerder niet geplaatst (${HOUSEHOLD_REASONS[pair.before_unmatched_reason] || pair.before_unmatched_reason})`;
  }
  return NEW_REASONS[pair.reason] || pair.reason;
}

function renderDiff() {
  const body = document.querySelector("#history tbody");
  const diff = state.diff;
  document.getElementById("history-withheld").hidden = !(diff && diff.withheld);
  document.getElementById("history-section").dataset.print = diff ? "yes" : "no"; // printed only with a comparison shown
  if (!diff) {
    body.replaceChildren();
    return;
  }
  const filter = document.getElementById("history-filter").value;
  const kinds = { changed: ["gone", "new"], gone: ["gone"], new: ["new"], all: ["gone", "new", "kept"] }[filter] || ["gone", "new"];
  const rows = [];
  for (const kind of kinds) {
    for (const pair of diff[kind]) {
      const reason = kind === "gone" ? goneText(pair) : kind === "new" ? newText(pair) : pair.fixed ? "vastgezet" : "";
      rows.push(
        el(
          "tr",
          { "data-kind": kind, "data-household": pair.household_id, "data-unit": pair.unit_id },
          el("th", { scope: "row", text: pair.household_id }),
          el("td", { class: "num", text: pair.persons }),
          el("td", { text: pair.unit_id }),
          el("td", { text: pair.neighbourhood || "" }),
          el("td", {}, el("span", { class: DIFF_BADGES[kind] || null, text: DIFF_NAMES[kind] })),
          el("td", { class: "expl", text: reason }),
        ),
      );
    }
  }
  body.replaceChildren(...rows);
}

async function compareRuns(event) {
  event.preventDefault();
  const against = Number(document.getElementById("history-run").value);
  if (!state.current || !against) return;
  const summary = document.getElementById("history-summary");
  summary.textContent = "Vergelijken…";
  try {
    state.diff = await api.get(`/v1/runs/${state.current.id}/diff?against=${against}`);
    const c = state.diff.counts;
    const planning = (date) => (date ? ` (planningsdatum ${formatDate(date)})` : "");
    summary.textContent =
      `Run ${state.diff.run_id}${planning(state.diff.planning_date)} tegenover run ${state.diff.against}${planning(state.diff.against_planning_date)}: ` +
      `${nf0.format(c.new)} nieuw, ${nf0.format(c.kept)} behouden, ${nf0.format(c.gone)} vervallen.`;
    renderDiff();
  } catch (error) {
    state.diff = null;
    renderDiff();
    summary.textContent = "";
    setStatus(status(), errorText(error), "error");
  }
}

async function load() {
  setStatus(status(), "Laden…");
  state.rowMessages.clear();
  document.getElementById("newer").hidden = true;
  try {
    const runs = (await api.get("/v1/runs?limit=50")).items;
    const newest = runs[0] || null;
    state.current = runs.find((r) => r.current) || null;
    if (newest && (newest.status === "queued" || newest.status === "running")) {
      showRun(newest);
      await follow(`/v1/runs/${newest.id}`, showRun);
      return load();
    }
    const unfinished = newest && (newest.status === "failed" || newest.status === "cancelled") && (!state.current || newest.id > state.current.id);
    if (unfinished && newest.status === "cancelled") {
      setStatus(status(), `Run ${newest.id} is geannuleerd: de token waarmee hij is gestart, is ingetrokken of verlopen voordat hij klaar was.`, "error");
    } else if (unfinished) {
      const problems = (newest.problems || []).map(problemText).join("; ");
      setStatus(status(), `Run ${newest.id} is mislukt: ${newest.error || ""} ${problems}`, "error");
    }
    showRun(state.current);
    state.proposal = state.current ? await api.get(`/v1/runs/${state.current.id}/proposal`) : null;
    state.decisions = state.current ? await allDecisions() : [];
    await loadUnits();
    document.getElementById("download").disabled = !state.current;
    document.getElementById("print").disabled = !state.current;
    if (state.current) {
      const planning = state.current.policy.planning_date ? `, planningsdatum ${formatDate(state.current.policy.planning_date)}` : "";
      setRunningHead(`Weekvoorstel WBB, run ${state.current.id}${planning}`, formatDate(today()));
    }
    document.getElementById("rerun").textContent = state.current ? "Opnieuw berekenen" : "Voorstel berekenen";
    // An accept's expected move date starts at the meeting's planning date (not today), so the
    // move falls in the half year of the meeting unless someone chooses another day.
    const housedOn = document.getElementById("housed-on");
    if (!housedOn.dataset.chosen) housedOn.value = (state.current && state.current.policy.planning_date) || today();
    const planning = document.getElementById("planning-date");
    planning.value = (state.current && state.current.policy.planning_date) || planning.value || today();
    renderPolicyForm(document.getElementById("policy-form"), state.current ? state.current.policy : {});
    renderKpis();
    renderMatches();
    await loadOffers();
    unmatchedFilter();
    renderUnmatched();
    showEarlierRuns(runs);
    if (!unfinished) {
      setStatus(status(), state.current ? `Voorstel van run ${state.current.id} geladen.` : "Nog geen voorstel.", "ok");
    }
    if (state.current && (state.current.households === 0 || state.current.units === 0)) {
      const missing = state.current.households === 0 ? "er wachtten geen huishoudens" : "er waren geen woningen beschikbaar";
      setStatus(status(), `Run ${state.current.id} is klaar, maar ${missing}: er viel niets te koppelen. Lees eerst de lijsten in (Lijsten inlezen) en bereken opnieuw.`, "error");
    }
    await watchRuns();
    document.body.dataset.loaded = String(state.current ? state.current.id : 0);
  } catch (error) {
    setStatus(status(), errorText(error), "error");
  }
}

async function rerun() {
  const button = document.getElementById("rerun");
  let policy;
  try {
    policy = policyFromForm(document.getElementById("policy-form"), state.current ? state.current.policy : {});
  } catch (error) {
    setStatus(status(), error.message, "error");
    return;
  }
  policy.planning_date = document.getElementById("planning-date").value || today();
  button.disabled = true;
  state.running = true;
  try {
    const run = await api.post("/v1/runs", { policy, what_it_would_take: true });
    setStatus(status(), `Run ${run.id} gestart…`);
    await follow(`/v1/runs/${run.id}`, showRun);
    await load();
  } catch (error) {
    setStatus(status(), errorText(error), "error");
  } finally {
    button.disabled = false;
    state.running = false;
  }
}

function importForm() {
  const form = new FormData();
  for (const kind of ["households", "units"]) {
    const file = document.getElementById(`${kind}-file`).files[0];
    if (file) form.append(kind, file, file.name);
  }
  return form;
}

function importWords(result) {
  const parts = [];
  for (const [kind, name] of [["households", "huishoudens"], ["units", "woningen"]]) {
    const r = result[kind];
    if (!r) continue;
    let text = `${name}: ${nf0.format(r.created)} nieuw, ${nf0.format(r.updated)} bijgewerkt`;
    if (r.removed) text += `, ${nf0.format(r.removed)} uit de pool`;
    if (r.kept) text += `, ${nf0.format(r.kept)} ongewijzigd gelaten (al aangeboden, gehuisvest of verhuurd)`;
    parts.push(text);
  }
  return parts.join("; ");
}

/** Both lists at once, all or nothing; a replace first says what it would remove and waits for a yes. */
async function importLists(event) {
  event.preventDefault();
  const form = importForm();
  if (![...form.keys()].length) {
    setStatus(status(), "Kies eerst een bestand.", "error");
    return;
  }
  const mode = document.getElementById("import-mode").value;
  try {
    if (mode === "replace") {
      const preview = await api.upload("/v1/pool/import?mode=replace&dry_run=true", form);
      const gone = [];
      if (preview.households) gone.push(`${nf0.format(preview.households.removed)} wachtende huishoudens`);
      if (preview.units) gone.push(`${nf0.format(preview.units.removed)} beschikbare woningen`);
      document.getElementById("import-confirm-text").textContent =
        `Vervangen haalt ${gone.join(" en ")} uit de pool: ze staan niet meer in het bestand. Huishoudens en woningen met een aanbod, een verhuizing of een bewoner blijven. Doorgaan?`;
      const box = document.getElementById("import-confirm");
      box.hidden = false;
      document.getElementById("import-confirm-yes").focus();
      return;
    }
    await storeImport("upsert");
  } catch (error) {
    setStatus(status(), errorText(error), "error");
  }
}

async function storeImport(mode) {
  document.getElementById("import-confirm").hidden = true;
  try {
    const result = await api.upload(`/v1/pool/import?mode=${mode}`, importForm());
    setStatus(status(), `Ingelezen (${importWords(result)}).`, "ok");
    if (state.current) state.current.pool_changed = true;
    await watchRuns();
  } catch (error) {
    setStatus(status(), errorText(error), "error");
  }
}

labelCells();

startPage(async (me) => {
  state.me = me;
  document.getElementById("decided-by").textContent = me.actor;
  document.getElementById("event-date").value = today();
  document.getElementById("housed-on").addEventListener("change", (event) => {
    event.target.dataset.chosen = "1";
  });
  document.getElementById("rerun").addEventListener("click", rerun);
  document.getElementById("newer-load").addEventListener("click", async () => {
    await load();
    document.querySelector("#content h1").focus();
  });
  setInterval(watchRuns, 15000);
  document.getElementById("download").addEventListener("click", async () => {
    try {
      await download(`/v1/runs/${state.current.id}/proposal.xlsx`, `voorstel-run-${state.current.id}.xlsx`);
      setStatus(status(), "Excel-bestand gedownload.", "ok");
    } catch (error) {
      setStatus(status(), errorText(error), "error");
    }
  });
  document.getElementById("print").addEventListener("click", () => {
    // The meeting's copy holds every row: the filters are cleared first.
    for (const id of ["match-search", "unmatched-search"]) document.getElementById(id).value = "";
    for (const id of ["match-wijk", "match-kind", "match-decision", "unmatched-filter"]) document.getElementById(id).value = "";
    matchFilters();
    renderUnmatched();
    window.print();
  });
  for (const id of ["match-search", "match-wijk", "match-kind", "match-decision"]) {
    document.getElementById(id).addEventListener(id === "match-search" ? "input" : "change", matchFilters);
  }
  document.getElementById("unmatched-search").addEventListener("input", renderUnmatched);
  sortable(document.getElementById("matches"));
  sortable(document.getElementById("unmatched"));
  document.getElementById("import-form").addEventListener("submit", importLists);
  document.getElementById("import-confirm-yes").addEventListener("click", () => storeImport("replace"));
  document.getElementById("import-confirm-no").addEventListener("click", () => {
    document.getElementById("import-confirm").hidden = true;
    setStatus(status(), "Niets ingelezen.");
    document.getElementById("import-mode").focus();
  });
  document.getElementById("history-form").addEventListener("submit", compareRuns);
  document.getElementById("history-filter").addEventListener("change", renderDiff);
  document.getElementById("history-download").addEventListener("click", async () => {
    const id = document.getElementById("history-run").value;
    if (!id) return;
    try {
      await download(`/v1/runs/${id}/proposal.xlsx`, `voorstel-run-${id}.xlsx`);
      setStatus(status(), `Excel-bestand van run ${id} gedownload.`, "ok");
    } catch (error) {
      setStatus(status(), errorText(error), "error");
    }
  });
  document.getElementById("unmatched-filter").addEventListener("change", renderUnmatched);
  await load();
});
