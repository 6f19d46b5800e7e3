// The policy of the next run as a form in words: the priorities (objective tiers) as a table of
// what counts and how much, the deadline, the horizon, neighbourhood caps and the main switches.
// Fields the form does not show are kept as they were.

import { el } from "./shell.js";
import { TERMS } from "./words.js";

const TERM_HELP = {
  placed_persons: "personen geplaatst",
  placed_households: "huishoudens geplaatst",
  waiting_days: "wachtdagen van wie geplaatst wordt (langst wachtenden eerst)",
  overdue: "huishoudens over de termijn geplaatst",
  vulnerable: "kwetsbare huishoudens geplaatst",
  temporary: "tijdelijke woningen gebruikt",
  underoccupancy: "lege plaatsen in een woning (onderbezetting)",
  preferred: "geplaatst in een voorkeurswijk",
  own_municipality: "geplaatst in de eigen gemeente",
  move_on: "doorstromers geplaatst",
};
const DEFAULT_TIERS = [{ placed_persons: 10, overdue: 5, vulnerable: 3 }, { waiting_days: 1 }, { temporary: -10, underoccupancy: -3, preferred: 5, own_municipality: 5 }];
const DERIVED = ["excluded_pairs", "fixed_pairs", "previous_pairs", "planning_date"];

function numberField(id, label, value, attrs = {}) {
  return el("div", { class: "field" }, el("label", { for: id, text: label }), el("input", { id, type: "number", value: value ?? "", ...attrs }));
}

function checkField(id, label, checked) {
  return el("div", { class: "field check" }, el("label", { for: id }, el("input", { id, type: "checkbox", checked: checked ? true : null }), ` ${label}`));
}

/** The form for ``policy`` (the current run's, or {} for the defaults) in ``box``. */
export function renderPolicyForm(box, policy) {
  const tiers = policy.objective && policy.objective.length ? policy.objective : DEFAULT_TIERS;
  const terms = [...new Set([...Object.keys(TERM_HELP), ...tiers.flatMap((t) => Object.keys(t))])];
  const head = el("tr", {}, el("th", { scope: "col", text: "Wat telt mee" }), tiers.map((_, k) => el("th", { scope: "col", class: "num", text: `Prioriteit ${k + 1}` })));
  const rows = terms.map((term) =>
    el(
      "tr",
      {},
      el("th", { scope: "row", id: `term-${term}`, text: TERM_HELP[term] || TERMS[term] || term }),
      tiers.map((tier, k) =>
        el("td", { class: "num" }, el("input", { type: "number", step: 1, class: "weight", "data-term": term, "data-tier": k, value: tier[term] ?? "", "aria-label": `${TERM_HELP[term] || term}: gewicht in prioriteit ${k + 1}` })),
      ),
    ),
  );
  const caps = Object.entries(policy.neighbourhood_caps || {}).map(([wijk, cap]) => `${wijk}: ${cap}`).join("\n");
  box.replaceChildren(
    el("h3", { text: "Prioriteiten" }),
    el("p", { class: "muted", id: "tiers-help", text: "Het voorstel is eerst zo goed mogelijk op prioriteit 1; daarna, zonder op 1 iets in te leveren, op prioriteit 2; dan op 3. Het gewicht zegt hoe zwaar iets binnen een prioriteit telt: 10 personen geplaatst telt even zwaar als 2 keer 5 huishoudens over de termijn. Leeg of 0 telt niet mee; een negatief gewicht betekent: liever niet." }),
    el("div", { class: "scroll-x" }, el("table", { id: "policy-tiers", "aria-describedby": "tiers-help" }, el("thead", {}, head), el("tbody", {}, rows))),
    el(
      "div",
      { class: "row" },
      numberField("policy-deadline", "Termijn na koppeling (weken)", policy.deadline_weeks ?? 10, { min: 1 }),
      numberField("policy-horizon", "Woningen die binnen zoveel dagen vrijkomen", policy.horizon_days ?? 14, { min: 0 }),
      numberField("policy-shared", "Grootste huishouden in een gedeelde woning (personen)", policy.shared_max_household_size ?? 1, { min: 1 }),
    ),
    el(
      "div",
      { class: "row" },
      checkField("policy-reunification", "Een vaste woning moet ook passen als de nareizigers er zijn", policy.reunification_must_fit ?? true),
      checkField("policy-regional", "Ook woningen in een andere gemeente aanbieden", policy.regional ?? false),
    ),
    el("div", { class: "field" }, el("label", { for: "policy-caps", text: "Wijkplafonds: per regel een wijk en het grootste aantal huishoudens dat er deze week geplaatst wordt, bijvoorbeeld Hatert: 2" }), el("textarea", { id: "policy-caps", rows: 3, spellcheck: "false" }, caps)),
  );
}

/** The policy the form describes, on top of ``base`` (fields the form does not show stay); throws an Error in Dutch on a bad entry. */
export function policyFromForm(box, base) {
  const policy = { ...base };
  for (const key of DERIVED) delete policy[key];
  const tiers = [];
  for (const input of box.querySelectorAll("input.weight")) {
    const k = Number(input.dataset.tier);
    tiers[k] = tiers[k] || {};
    const raw = input.value.trim();
    if (raw === "" || Number(raw) === 0) continue;
    if (!Number.isInteger(Number(raw))) throw new Error(`Een gewicht is een heel getal (prioriteit ${k + 1}, ${input.getAttribute("aria-label").split(":")[0]}).`);
    tiers[k][input.dataset.term] = Number(raw);
  }
  policy.objective = tiers.filter((tier) => tier && Object.keys(tier).length);
  if (!policy.objective.length) throw new Error("Geef minstens één prioriteit een gewicht.");
  const number = (id) => Number(box.querySelector(`#${id}`).value);
  policy.deadline_weeks = number("policy-deadline");
  policy.horizon_days = number("policy-horizon");
  policy.shared_max_household_size = number("policy-shared");
  policy.reunification_must_fit = box.querySelector("#policy-reunification").checked;
  policy.regional = box.querySelector("#policy-regional").checked;
  const caps = {};
  for (const line of box.querySelector("#policy-caps").value.split("\n")) {
    if (!line.trim()) continue;
    const match = line.match(/^\s*(.+?)\s*:\s*(\d+)\s*$/);
    if (!match) throw new Error(`Wijkplafond niet te lezen: "${line.trim()}". Schrijf een wijk, een dubbele punt en een aantal, bijvoorbeeld Hatert: 2.`);
    caps[match[1]] = Number(match[2]);
  }
  policy.neighbourhood_caps = caps;
  return policy;
}
