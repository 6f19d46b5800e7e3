// Corporatie: a housing corporation's own units, the offers, refusals and lets on them, and a
// refusal or a move-in recorded on one of them (role corporation only).

import { api } from "./api.js";
import { el, errorText, formatDate, nf0, setStatus, startPage } from "./shell.js";
import { labelCells } from "./table-tools.js";
import { UNIT_TYPES } from "./words.js";

const KINDS = { offered: "aangeboden", refused: "geweigerd", let: "verhuurd (ingetrokken)", lapsed: "vervallen (weer beschikbaar)" };
const STATUS = { available: "beschikbaar", offered: "aangeboden", let: "verhuurd", withdrawn: "uit het aanbod" };
const NEEDS = { wheelchair: "rolstoelwoning nodig", mobility: "gelijkvloers nodig" };
const REASONS = { household_refused: "huishouden weigerde", unit_unsuitable: "woning past niet", corporation_refused: "corporatie weigerde", other: "anders" };

function persons(n) {
  return `${nf0.format(n)} ${n === 1 ? "persoon" : "personen"}`;
}

function table(id, headers, rows) {
  const node = el(
    "table",
    { id },
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, rows),
  );
  return node;
}

function showUnits(units) {
  const rows = units.map((u) =>
    el(
      "tr",
      { "data-unit": u.unit_id },
      el("th", { scope: "row", text: u.unit_id }),
      el("td", { text: u.neighbourhood }),
      el("td", { text: UNIT_TYPES[u.unit_type] || u.unit_type }),
      el("td", { text: `${nf0.format(u.bedrooms)} slaapkamer${u.bedrooms === 1 ? "" : "s"}, tot ${persons(u.max_occupants)}` }),
      el("td", { text: u.wheelchair ? "rolstoelwoning" : u.step_free ? "gelijkvloers" : "" }),
      el("td", { text: formatDate(u.available_from) }),
      el("td", { text: STATUS[u.status] || u.status }),
    ),
  );
  const content = units.length
    ? table("units-table", ["Woning", "Wijk", "Soort", "Grootte", "Toegankelijk", "Beschikbaar vanaf", "Stand"], rows)
    : el("p", { class: "muted", text: "Er staan geen woningen van uw corporatie in de dienst." });
  document.getElementById("units").replaceChildren(content);
  const select = document.getElementById("event-unit");
  const offered = units.filter((u) => u.status === "offered");
  select.replaceChildren(...offered.map((u) => el("option", { value: `${u.municipality}|${u.unit_id}`, text: `${u.unit_id} (${u.neighbourhood})` })));
  document.getElementById("event-form").querySelector("button[type=submit]").disabled = offered.length === 0;
}

function showOffers(items) {
  const rows = items.map((i) =>
    el(
      "tr",
      { "data-kind": i.kind, "data-unit": i.unit_id },
      el("th", { scope: "row", text: formatDate(i.date) }),
      el("td", { text: i.unit_id }),
      el("td", { text: i.household_id }),
      el("td", { text: KINDS[i.kind] || i.kind }),
      el("td", { text: persons(i.persons) }),
      el("td", { text: i.reason ? REASONS[i.reason] || i.reason : "" }),
      el("td", { text: i.needs.map((n) => `${NEEDS[n.need] || n.need} (regel ${n.rule})`).join("; ") }),
    ),
  );
  const content = items.length
    ? table("offers-table", ["Datum", "Woning", "Huishouden", "Wat", "Voor", "Reden", "Nodig volgens het beleid"], rows)
    : el("p", { class: "muted", text: "Nog geen aanbiedingen op uw woningen." });
  document.getElementById("offers").replaceChildren(content);
}

async function load() {
  const [units, offers] = await Promise.all([api.get("/v1/corporation/units"), api.get("/v1/corporation/offers")]);
  document.querySelector("#content h1").textContent = `Corporatie ${units.corporation}`;
  showUnits(units.units);
  showOffers(offers.items);
}

startPage(async (me) => {
  labelCells();
  const status = document.getElementById("status");
  if (me.role !== "corporation") {
    document.getElementById("not-corporation").hidden = false;
    document.body.dataset.loaded = "true";
    return;
  }
  const kind = document.getElementById("event-kind");
  const reasonField = document.getElementById("reason-field");
  kind.addEventListener("change", () => {
    reasonField.hidden = kind.value !== "offer_refused";
  });
  document.getElementById("event-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const [municipality, unitId] = document.getElementById("event-unit").value.split("|");
    const body = { kind: kind.value, date: document.getElementById("event-date").value };
    if (kind.value === "offer_refused") body.reason = document.getElementById("event-reason").value;
    try {
      const recorded = await api.post(`/v1/corporation/units/${encodeURIComponent(unitId)}/events?municipality=${encodeURIComponent(municipality)}`, body);
      await load();
      setStatus(status, `Vastgelegd: woning ${recorded.unit_id} ${KINDS[recorded.kind] || recorded.kind} op ${formatDate(recorded.date)}.`, "ok");
    } catch (error) {
      setStatus(status, errorText(error), "error");
    }
  });
  try {
    await load();
  } catch (error) {
    setStatus(status, errorText(error), "error");
  }
  document.body.dataset.loaded = "true";
});
