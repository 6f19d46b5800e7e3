"""The Dutch words for the service's codes, in one place.

The API keeps its English codes (``outranked``, ``wheelchair``, ``placed_persons``); whatever a
person reads, in a workbook or in an error message on a page, uses these words instead. The
pages carry the same table in JavaScript (``static/js/words.js``); a test checks the two agree.
"""

from __future__ import annotations

from collections.abc import Iterable

NEEDS = {
    "wheelchair": "rolstoel",
    "mobility": "slecht ter been",
    "medical": "medische zorg",
    "lgbtiq": "LHBTIQ+",
    "psychosocial": "psychosociale begeleiding",
    "ex_amv": "ex-amv",
}
HOUSEHOLD_REASONS = {
    "outranked": "voorrang voor anderen",
    "no_eligible_unit": "geen passende woning",
    "documents_incomplete": "documenten onvolledig (BSN/IBAN)",
    "neighbourhood_cap": "wijkplafond bereikt",
}
UNIT_REASONS = {
    "not_available_yet": "nog niet beschikbaar",
    "no_eligible_household": "geen passend huishouden",
    "neighbourhood_cap": "wijkplafond bereikt",
    "outranked": "ging naar anderen",
}
TERMS = {
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
}
DECISION_KINDS = {"accept": "geaccepteerd", "decline": "afgewezen", "pin": "vastgezet"}
DECLINE_REASONS = {
    "household_refused": "huishouden weigert",
    "unit_unsuitable": "woning niet geschikt",
    "corporation_refused": "corporatie weigert",
    "other": "andere reden",
}
STATES = {
    "waiting": "wachtend",
    "offered": "woning aangeboden",
    "housed": "gehuisvest",
    "housed_temporary": "tijdelijk gehuisvest",
    "left": "uitgestroomd",
    "available": "beschikbaar",
    "let": "verhuurd",
    "withdrawn": "uit het aanbod",
}
RUN_STATUS = {"queued": "wacht", "running": "wordt berekend", "done": "klaar", "failed": "mislukt"}
WITHHELD = (
    "zorgbehoeften en wat ze verraadt: de term kwetsbaar, de verschillen per prioriteit die die term "
    "meewegen, de toelichting bij niet-geplaatste huishoudens, aantallen per groep met een zorgbehoefte "
    "onder de 5 huishoudens en passende woningen per groep"
)


def needs_text(needs: Iterable[str]) -> str:
    """Needs in Dutch words, separated by commas: "rolstoel, psychosociale begeleiding"."""
    return ", ".join(NEEDS.get(need, need) for need in needs)
