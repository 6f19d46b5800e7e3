// Regio: the newest regional run the person's municipality is part of: every municipality's
// balance, the half-year caps, and the proposed placements (for a municipality's token its own
// households only: the service cuts the proposal, this page shows what it gets).

import { api } from "./api.js";
import { el, errorText, formatDate, nf0, setStatus, startPage } from "./shell.js";
import { labelCells } from "./table-tools.js";

const COLUMNS = ["homes_offered", "persons_housed", "persons_placed_elsewhere", "persons_taken_in", "persons_counted"];

function num(value) {
  return el("td", { class: "num", text: value === null || value === undefined ? "geen" : nf0.format(value) });
}

function showBalance(section, me) {
  const rule = section.counts_for === "home" ? "de gemeente van de woning" : "de gemeente van het huishouden";
  document.getElementById("balance-rule").textContent = `Een plaatsing in een andere gemeente telt volgens de regionale afspraak voor ${rule}.`;
  document.querySelector("#balance tbody").replaceChildren(
    ...section.municipalities.map((row) =>
      el(
        "tr",
        { class: row.municipality === me.municipality ? "own" : "" },
        el("th", { scope: "row", text: row.municipality }),
        num(row.taakstelling),
        ...COLUMNS.map((key) => num(row[key])),
      ),
    ),
  );
  document.getElementById("balance-section").hidden = false;
}

function showCaps(caps) {
  if (!caps || caps.length === 0) return;
  document.getElementById("caps").replaceChildren(...caps.map((cap) => el("li", { text: cap.explanation })));
  document.getElementById("caps-section").hidden = false;
}

function showOwn(document_, me) {
  const note = document_.own_households
    ? `Alleen de huishoudens van ${document_.own_households}: ${nf0.format(document_.matches.length)} voorgesteld, ${nf0.format(document_.unmatched_households.length)} nog niet.`
    : `Alle gemeenten: ${nf0.format(document_.matches.length)} huishoudens voorgesteld.`;
  document.getElementById("own-note").textContent = note;
  document.querySelector("#own tbody").replaceChildren(
    ...document_.matches.map((m) =>
      el(
        "tr",
        {},
        el("td", { text: m.household_id }),
        num(m.persons),
        el("td", { text: m.unit_id }),
        el("td", { text: m.neighbourhood || "" }),
        el("td", { text: m.explanation }),
      ),
    ),
  );
  document.getElementById("own-section").hidden = false;
}

async function render(me) {
  const status = document.getElementById("status");
  try {
    const runs = await api.get("/v1/regional-runs?limit=1");
    if (runs.items.length === 0) {
      setStatus(status, "Er is nog geen regionale run waarin uw gemeente meedoet.");
      document.body.dataset.loaded = "true";
      return;
    }
    const run = runs.items[0];
    const proposal = await api.get(`/v1/regional-runs/${run.id}/proposal`);
    document.getElementById("run-facts").textContent =
      `Run ${run.id}, planningsdatum ${formatDate(run.planning_date)}, gemeenten: ${run.municipalities.join(", ")}.`;
    document.getElementById("run-section").hidden = false;
    if (proposal.regional_balance) showBalance(proposal.regional_balance, me);
    else setStatus(status, "Deze regionale run heeft geen regionale afspraak, dus geen balans per gemeente.");
    showCaps(proposal.half_year_caps);
    showOwn(proposal, me);
  } catch (error) {
    setStatus(status, errorText(error), "error");
  }
  document.body.dataset.loaded = "true";
}

labelCells();
startPage(render);
