// Huishouden: the case of one household (state, places, dates) and its timeline; a wbb token records events.

import { allows, api } from "./api.js";
import { el, errorText, formatDate, nf0, setStatus, startPage } from "./shell.js";
import { labelCells } from "./table-tools.js";

const STATES = {
  waiting: "wachtend",
  offered: "woning aangeboden",
  housed: "gehuisvest",
  housed_temporary: "tijdelijk gehuisvest",
  left: "uitgestroomd",
};
const KINDS = {
  koppeling: "Gekoppeld",
  accept: "Voorstel geaccepteerd (WBB)",
  decline: "Voorstel afgewezen (WBB)",
  pin: "Voorstel vastgezet (WBB)",
  moved_in: "Verhuisd",
  offer_refused: "Aanbod geweigerd",
  reopen: "Acceptatie teruggedraaid",
  unit_withdrawn: "Woning uit het aanbod gehaald",
  family_expected: "Nareizigers verwacht",
  family_arrived: "Nareizigers aangekomen",
  documents_complete: "Documenten compleet",
  documents_expected: "Documenten verwacht",
  moved_out: "Vertrokken uit de vorige plek",
  left: "Uitgestroomd",
};
const REASONS = {
  offer_refused: { household_refused: "huishouden weigert", unit_unsuitable: "woning ongeschikt", corporation_refused: "corporatie weigert", other: "anders" },
  reopen: { decided_in_error: "ten onrechte besloten", unit_not_available: "woning niet beschikbaar", household_not_ready: "huishouden nog niet zover", other: "anders" },
  unit_withdrawn: { back_to_market: "terug naar de vrije verhuur", unit_unsuitable: "woning ongeschikt", renovation: "eerst renovatie of herstel", other: "anders" },
  left: { moved_away: "vertrokken (andere gemeente of buitenland)", own_housing: "zelf woonruimte gevonden", other: "anders" },
  decline: { household_refused: "huishouden weigert", unit_unsuitable: "woning ongeschikt", corporation_refused: "corporatie weigert", other: "anders" },
};

function fact(label, value) {
  return value === null || value === undefined || value === "" ? [] : [el("dt", { text: label }), el("dd", { text: String(value) })];
}

function showCase(household) {
  const persons = household.adults + household.children;
  document.getElementById("case").replaceChildren(
    ...fact("Huishouden", `${household.household_id} (${household.municipality})`),
    ...fact("Stand", STATES[household.status] || household.status),
    ...fact("Sinds", formatDate(household.state_since || household.koppeling_date)),
    ...fact("Personen", `${nf0.format(persons)} (${household.adults} volwassenen, ${household.children} kinderen)`),
    ...fact("Nareizigers verwacht", household.expected_reunification ? `${household.expected_reunification}${household.expected_arrival_date ? `, op ${formatDate(household.expected_arrival_date)}` : ", datum onbekend"}` : null),
    ...fact("Gekoppeld op", formatDate(household.koppeling_date)),
    ...fact("Documenten", household.documents_complete ? "compleet" : `onvolledig sinds ${formatDate(household.documents_incomplete_since)}${household.documents_expected ? `, verwacht ${formatDate(household.documents_expected)}` : ""}`),
    ...fact("Aangeboden woning", household.offered_unit_id ? `${household.offered_unit_id}, aangeboden ${formatDate(household.offered_on)}` : null),
    ...fact("Woont in", household.current_unit_id ? `${household.current_unit_id} sinds ${formatDate(household.housed_on)}` : null),
    ...fact("Tijdelijk tot", formatDate(household.temporary_until)),
    ...fact("Moet doorstromen", household.move_on ? "ja: de woning is te klein geworden" : null),
    ...fact("Vorige plek (nog niet verlaten)", household.previous_unit_id),
  );
  document.getElementById("case-section").hidden = false;
}

function details(item) {
  const parts = [];
  const d = item.details || {};
  const persons = (n) => `${n} ${n === 1 ? "persoon" : "personen"}`;
  if (d.persons) parts.push(persons(d.persons));
  if (d.expected_move) parts.push(`verwachte verhuizing ${formatDate(d.expected_move)}`);
  if (d.temporary_until) parts.push(`tijdelijk tot ${formatDate(d.temporary_until)}`);
  if (d.expected) parts.push(`verwacht ${formatDate(d.expected)}`);
  if (d.adults || d.children) parts.push(`${d.adults || 0} volwassenen, ${d.children || 0} kinderen`);
  if (item.persons_counted) parts.push(`${persons(item.persons_counted)} geteld voor de taakstelling`);
  return parts.join("; ");
}

function showTimeline(timeline) {
  const table = el(
    "table",
    { id: "timeline-table" },
    el("thead", {}, el("tr", {}, ["Datum", "Wat", "Woning", "Reden", "Daarna", "Bijzonderheden", "Door", "Vastgelegd"].map((h) => el("th", { scope: "col", text: h })))),
    el(
      "tbody",
      {},
      timeline.items.map((item) =>
        el(
          "tr",
          { "data-kind": item.kind },
          el("th", { scope: "row", text: formatDate(item.date) }),
          el("td", { text: KINDS[item.kind] || item.kind }),
          el("td", { text: item.unit_id || "" }),
          el("td", { text: item.reason ? (REASONS[item.kind] || {})[item.reason] || item.reason : "" }),
          el("td", { text: item.state_after ? STATES[item.state_after] || item.state_after : "" }),
          el("td", { text: details(item) }),
          el("td", { text: [item.actor || item.decided_by, item.recorded_by].filter(Boolean).join(" / ") }),
          el("td", { text: item.recorded_at ? formatDate(item.recorded_at) : "" }),
        ),
      ),
    ),
  );
  document.getElementById("timeline").replaceChildren(table);
  document.getElementById("timeline-section").hidden = false;
}

async function load(id) {
  const status = document.getElementById("status");
  setStatus(status, "Laden…");
  try {
    const path = `/v1/households/${encodeURIComponent(id)}`;
    const [household, timeline] = await Promise.all([api.get(path), api.get(`${path}/timeline`)]);
    showCase(household);
    showTimeline(timeline);
    setStatus(status, "");
    document.body.dataset.loaded = "true";
  } catch (error) {
    document.getElementById("case-section").hidden = true;
    document.getElementById("timeline-section").hidden = true;
    setStatus(status, errorText(error), "error");
  }
}

function fieldsFor(kind) {
  for (const field of document.querySelectorAll("#event-form [data-kinds]")) {
    field.hidden = !field.dataset.kinds.split(" ").includes(kind);
  }
  const reasons = REASONS[kind] || {};
  document.getElementById("event-reason").replaceChildren(...Object.entries(reasons).map(([code, text]) => el("option", { value: code, text })));
}

function eventBody(kind) {
  const body = { kind, date: document.getElementById("event-date").value };
  if (REASONS[kind]) body.reason = document.getElementById("event-reason").value;
  const until = document.getElementById("event-until").value;
  if (kind === "moved_in" && until) body.temporary_until = until;
  if (kind === "family_arrived") {
    body.adults = Number(document.getElementById("event-adults").value || 0);
    body.children = Number(document.getElementById("event-children").value || 0);
  }
  if (kind === "documents_expected" || kind === "family_expected") body.expected = document.getElementById("event-expected").value || null;
  return body;
}

labelCells();

startPage((me) => {
  const input = document.getElementById("household-id");
  const kind = document.getElementById("event-kind");
  document.getElementById("event-date").value = new Date().toISOString().slice(0, 10);
  fieldsFor(kind.value);
  kind.addEventListener("change", () => fieldsFor(kind.value));
  const show = (id) => {
    const url = new URL(window.location.href);
    url.searchParams.set("id", id);
    window.history.replaceState(null, "", url);
    load(id);
  };
  document.getElementById("find-form").addEventListener("submit", (event) => {
    event.preventDefault();
    show(input.value.trim());
  });
  document.getElementById("event-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = document.getElementById("status");
    const id = input.value.trim();
    try {
      const recorded = await api.post(`/v1/households/${encodeURIComponent(id)}/events`, eventBody(kind.value));
      await load(id);
      setStatus(status, `Vastgelegd: ${KINDS[recorded.kind] || recorded.kind}, nu ${STATES[recorded.state_after] || recorded.state_after}.`, "ok");
    } catch (error) {
      setStatus(status, errorText(error), "error");
    }
  });
  if (!allows(me.role, "wbb")) document.getElementById("event-section").hidden = true;
  const id = new URL(window.location.href).searchParams.get("id");
  if (id) {
    input.value = id;
    load(id);
  } else {
    document.body.dataset.loaded = "true";
  }
});
