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
    "long_wait": "Lang wachtend",
    "long_wait_days": "Wachtdagen boven de lange-wachtgrens",
    "lookahead": "Vooruitkijken",
    "single_woman": "Alleengaande vrouw",
    "single_parent": "Eenoudergezin",
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
STAGES = {
    "queued": "wacht op zijn beurt",
    "solving": "het voorstel wordt berekend",
    "explaining": "de toelichting wordt geschreven",
    "simulating": "wordt doorgerekend",
    "summarising": "wordt samengevat",
    "done": "klaar",
    "failed": "mislukt",
}
UNIT_TYPES = {"social": "sociale huurwoning", "flex": "flexwoning", "transit": "doorstroomlocatie"}
WITHHELD = (
    "zorgbehoeften en wat ze verraadt: de term kwetsbaar, de verschillen per prioriteit die die term "
    "meewegen, de toelichting bij niet-geplaatste huishoudens, aantallen per groep met een zorgbehoefte "
    "onder de 5 huishoudens en passende woningen per groep"
)


def needs_text(needs: Iterable[str]) -> str:
    """Needs in Dutch words, separated by commas: "rolstoel, psychosociale begeleiding"."""
    return ", ".join(NEEDS.get(need, need) for need in needs)


def tables() -> dict[str, dict[str, str]]:
    """Every table, by the name the pages use."""
    return {
        "needs": NEEDS,
        "household_reasons": HOUSEHOLD_REASONS,
        "unit_reasons": UNIT_REASONS,
        "terms": TERMS,
        "decision_kinds": DECISION_KINDS,
        "decline_reasons": DECLINE_REASONS,
        "states": STATES,
        "run_status": RUN_STATUS,
        "stages": STAGES,
        "unit_types": UNIT_TYPES,
    }


def javascript() -> str:
    """The pages' module ``words.js``: the same tables, as constants."""
    import json

    lines = [
        "// The Dutch words for the service's codes. Written by `python -m api.words` from api/words.py;",
        "// a test checks it is up to date. Do not edit by hand.",
        "",
    ]
    for name, table in tables().items():
        lines.append(f"export const {name.upper()} = {json.dumps(table, ensure_ascii=False, indent=2)};")
    lines.append("")
    lines.append("/** Needs in Dutch words, separated by commas. */")
    lines.append('export function needsText(needs) {\n  return (needs || []).map((need) => NEEDS[need] || need).join(", ");\n}')
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    from pathlib import Path

    (Path(__file__).parent / "web" / "static" / "js" / "words.js").write_text(javascript(), encoding="utf-8")
