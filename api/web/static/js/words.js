// The Dutch words for the service's codes. Written by `python -m api.words` from api/words.py;
// a test checks it is up to date. Do not edit by hand.

export const NEEDS = {
  "wheelchair": "rolstoel",
  "mobility": "slecht ter been",
  "medical": "medische zorg",
  "lgbtiq": "LHBTIQ+",
  "psychosocial": "psychosociale begeleiding",
  "ex_amv": "ex-amv"
};
export const HOUSEHOLD_REASONS = {
  "outranked": "voorrang voor anderen",
  "no_eligible_unit": "geen passende woning",
  "documents_incomplete": "documenten onvolledig (BSN/IBAN)",
  "neighbourhood_cap": "wijkplafond bereikt"
};
export const UNIT_REASONS = {
  "not_available_yet": "nog niet beschikbaar",
  "no_eligible_household": "geen passend huishouden",
  "neighbourhood_cap": "wijkplafond bereikt",
  "outranked": "ging naar anderen"
};
export const TERMS = {
  "placed_households": "Huishoudens geplaatst",
  "placed_persons": "Personen geplaatst",
  "waiting_days": "Wachtdagen",
  "overdue": "Over de termijn",
  "vulnerable": "Kwetsbaar",
  "temporary": "Tijdelijke woning",
  "underoccupancy": "Onderbezetting",
  "preferred": "Voorkeurswijk",
  "own_municipality": "Eigen gemeente",
  "move_on": "Doorstromer",
  "long_wait": "Lang wachtend",
  "long_wait_days": "Wachtdagen boven de lange-wachtgrens",
  "lookahead": "Vooruitkijken",
  "single_woman": "Alleengaande vrouw",
  "single_parent": "Eenoudergezin"
};
export const DECISION_KINDS = {
  "accept": "geaccepteerd",
  "decline": "afgewezen",
  "pin": "vastgezet"
};
export const DECLINE_REASONS = {
  "household_refused": "huishouden weigert",
  "unit_unsuitable": "woning niet geschikt",
  "corporation_refused": "corporatie weigert",
  "other": "andere reden"
};
export const STATES = {
  "waiting": "wachtend",
  "offered": "woning aangeboden",
  "housed": "gehuisvest",
  "housed_temporary": "tijdelijk gehuisvest",
  "left": "uitgestroomd",
  "available": "beschikbaar",
  "let": "verhuurd",
  "withdrawn": "uit het aanbod"
};
export const RUN_STATUS = {
  "queued": "wacht",
  "running": "wordt berekend",
  "done": "klaar",
  "failed": "mislukt"
};
export const STAGES = {
  "queued": "wacht op zijn beurt",
  "solving": "het voorstel wordt berekend",
  "explaining": "de toelichting wordt geschreven",
  "simulating": "wordt doorgerekend",
  "summarising": "wordt samengevat",
  "done": "klaar",
  "failed": "mislukt"
};
export const UNIT_TYPES = {
  "social": "sociale huurwoning",
  "flex": "flexwoning",
  "transit": "doorstroomlocatie"
};

/** Needs in Dutch words, separated by commas. */
export function needsText(needs) {
  return (needs || []).map((need) => NEEDS[need] || need).join(", ");
}
