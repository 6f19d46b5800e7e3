"""Which decisions the look-ahead changed, and why, in words a WBB member can read out.

A policy that names the ``lookahead`` term weighs each pair against what the coming weeks
are expected to bring (``matcher.model.lookahead``). To say which decisions that changed,
the week is solved a second time with the same policy without the ``lookahead`` term: every
home that goes to another household (or stays empty, or is used only now) is a decision
the look-ahead changed. Its sentence names both households and the forecast behind it:
"U-0004 (3 slaapkamers, 2-6 personen) gaat naar H-0012 (5 personen) en niet naar H-0040 (2
personen), die het zonder vooruitkijken had gekregen. Voor huishoudens van 5 personen:
gemiddeld komen er 0,4 per week bij en komen er 0,3 woningen van de juiste grootte per week
vrij; nu wachten er 6 en zijn er 2 zulke woningen aangeboden. Voor huishoudens van 2
personen: ..." The right size is the size rules' (E4, E5, E6); rent and access are left out.

The comparison costs one more solve, so it is made only when the proposal document is
built, never in a simulation (which needs the pairs alone).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from matcher.input.instance import Instance
from matcher.input.policy import Policy
from matcher.model import Prepared, Solution, optimise, prepare
from matcher.model.lookahead import FluidModel


def without_lookahead(policy: Policy) -> Policy:
    """The same policy with the ``lookahead`` term left out (a tier left empty is dropped)."""
    tiers = [{t: w for t, w in tier.items() if t != "lookahead"} for tier in policy.objective]
    return policy.model_copy(update={"objective": tuple(tier for tier in tiers if tier)})


def _number(value: float, lang: str) -> str:
    text = f"{value:.1f}"
    return text.replace(".", ",") if lang == "nl" else text


def class_words(persons: int, future: int, lang: str) -> str:
    """A class of households in words: "huishoudens van 4 personen", with the family on its way if any."""
    if lang == "nl":
        text = "alleenstaanden" if persons == 1 else f"huishoudens van {persons} personen"
        if future > persons:
            text += f" met {future - persons} gezinsleden op komst"
        return text
    text = "single persons" if persons == 1 else f"households of {persons} persons"
    if future > persons:
        text += f" with {future - persons} family members on their way"
    return text


def _person_words(persons: int, lang: str) -> str:
    if lang == "nl":
        return f"{persons} {'persoon' if persons == 1 else 'personen'}"
    return f"{persons} {'person' if persons == 1 else 'persons'}"


def changed_decisions(prep: Prepared, solution: Solution, lang: str) -> list[dict[str, Any]]:
    """Every home whose household differs from the proposal without the look-ahead term, with its sentence."""
    table = prep.preferred.lookahead
    if table is None:
        return []
    instance = prep.instance
    plain = Instance(
        households=instance.households,
        units=instance.units,
        policy=without_lookahead(instance.policy),
        input_sha256=instance.input_sha256,
    )
    other = prepare(plain)
    other_solution = optimise(other)
    h, u = prep.households, prep.units
    with_look = {int(b): int(a) for a, b in zip(solution.household.tolist(), solution.unit.tolist(), strict=True)}
    without = {int(b): int(a) for a, b in zip(other_solution.household.tolist(), other_solution.unit.tolist(), strict=True)}
    shared = {int(x) for x in np.flatnonzero(u.shared).tolist()}
    changed: list[dict[str, Any]] = []
    for ui in sorted(set(with_look) | set(without), key=lambda x: u.ids[x]):
        if ui in shared:
            continue  # a shared place holds several households: compared by its beds below
        a, b = with_look.get(ui), without.get(ui)
        if a == b:
            continue
        changed.append(
            {
                "unit_id": u.ids[ui],
                "household_id": h.ids[a] if a is not None else None,
                "without_lookahead": h.ids[b] if b is not None else None,
                "explanation": _sentence(prep, table.model, ui, a, b, lang),
            }
        )
    for ui in sorted(shared, key=lambda x: u.ids[x]):
        now = sorted(h.ids[int(a)] for a, b in zip(solution.household.tolist(), solution.unit.tolist(), strict=True) if b == ui)
        before = sorted(
            h.ids[int(a)] for a, b in zip(other_solution.household.tolist(), other_solution.unit.tolist(), strict=True) if b == ui
        )
        if now != before:
            changed.append(
                {
                    "unit_id": u.ids[ui],
                    "household_id": None,
                    "households": now,
                    "without_lookahead": None,
                    "households_without_lookahead": before,
                    "explanation": _shared_sentence(u.ids[ui], now, before, lang),
                }
            )
    return changed


def _facts(prep: Prepared, model: FluidModel, k: int, lang: str) -> dict[str, str]:
    """The forecast and the pool of one class of households, as numbers in words."""
    persons, future = model.household_classes[k]
    policy = prep.instance.policy
    return {
        "class": class_words(persons, future, lang),
        "arriving": _number(model.households_per_week[k], lang),
        "homes": _number(model.fitting_homes_per_week(k, policy), lang),
        "waiting": str(model.households_now[k]),
        "on_offer": _whole(model.fitting_homes_now(k, policy)),
    }


def _whole(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _household_words(prep: Prepared, i: int, lang: str) -> str:
    """A household's size in words, with the family on its way if the model counts it."""
    persons, future = int(prep.households.persons[i]), int(prep.households.future[i])
    text = _person_words(persons, lang)
    if future > persons:
        text += f", {future - persons} {'gezinsleden op komst' if lang == 'nl' else 'family members on their way'}"
    return text


def _sentence(prep: Prepared, model: FluidModel, ui: int, a: int | None, b: int | None, lang: str) -> str:
    h, u, table = prep.households, prep.units, prep.preferred.lookahead
    assert table is not None
    nl = lang == "nl"
    rooms = int(u.bedrooms[ui])
    low, high = int(u.min_occupants[ui]), int(u.max_occupants[ui])
    if nl:
        home = f"{u.ids[ui]} ({rooms} slaapkamer{'s' if rooms != 1 else ''}, {low}-{high} personen)"
    else:
        home = f"{u.ids[ui]} ({rooms} bedroom{'s' if rooms != 1 else ''}, {low}-{high} persons)"
    parts = []
    if a is not None and b is not None:
        if nl:
            parts.append(
                f"{home} gaat naar {h.ids[a]} ({_household_words(prep, a, lang)}) en niet naar {h.ids[b]} "
                f"({_household_words(prep, b, lang)}), die het zonder vooruitkijken had gekregen."
            )
        else:
            parts.append(
                f"{home} goes to {h.ids[a]} ({_household_words(prep, a, lang)}) and not to {h.ids[b]} "
                f"({_household_words(prep, b, lang)}), who would have had it without looking ahead."
            )
    elif a is not None:
        parts.append(
            f"{home} gaat naar {h.ids[a]}; zonder vooruitkijken bleef deze woning deze week leeg."
            if nl
            else f"{home} goes to {h.ids[a]}; without looking ahead it would have stayed empty this week."
        )
    else:
        assert b is not None
        parts.append(
            f"{home} blijft deze week leeg en gaat niet naar {h.ids[b]}, die het zonder vooruitkijken had gekregen."
            if nl
            else f"{home} stays empty this week and does not go to {h.ids[b]}, who would have had it without looking ahead."
        )
    classes = [int(table.household[x]) for x in (a, b) if x is not None]
    for k in dict.fromkeys(classes):
        f = _facts(prep, model, k, lang)
        if nl:
            parts.append(
                f"Voor {f['class']}: gemiddeld komen er {f['arriving']} per week bij en komen er {f['homes']} woningen van "
                f"de juiste grootte per week vrij; nu wachten er {f['waiting']} en zijn er {f['on_offer']} zulke woningen "
                "aangeboden."
            )
        else:
            parts.append(
                f"For {f['class']}: on average {f['arriving']} arrive per week and {f['homes']} homes of the right size "
                f"a week come free; now {f['waiting']} wait and {f['on_offer']} such homes are on offer."
            )
    parts.append(f"(Prognose voor de komende {model.weeks} weken.)" if nl else f"(Forecast for the coming {model.weeks} weeks.)")
    return " ".join(parts)


def _shared_sentence(unit_id: str, now: list[str], before: list[str], lang: str) -> str:
    if lang == "nl":
        return (
            f"In de gedeelde woning {unit_id} komen {', '.join(now) or 'geen huishoudens'}; zonder vooruitkijken waren "
            f"dat {', '.join(before) or 'geen huishoudens'}."
        )
    taken = ", ".join(now) or "no households"
    return f"The shared place {unit_id} takes {taken}; without looking ahead: {', '.join(before) or 'none'}."


def lookahead_section(prep: Prepared, solution: Solution, lang: str) -> dict[str, Any] | None:
    """The proposal's ``lookahead``: the fluid model of the week and the decisions it changed (optimiser only)."""
    table = prep.preferred.lookahead
    if table is None:
        return None
    section = table.model.to_json()
    section["changed"] = changed_decisions(prep, solution, lang) if solution.method != "fifo" else []
    return section
