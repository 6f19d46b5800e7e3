"""The rule registry: each record declares what its predicate reads, and everything derived from it holds."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

import matcher
from matcher.explain.counterfactual import CHANGE_ORDER, RELAXATIONS
from matcher.input.policy import Policy
from matcher.rules.arrays import Households, Units, encode
from matcher.rules.eligibility import ALL_RULES, HOUSEHOLD_PROFILE, RULES, UNIT_PROFILE, Rule

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "nijmegen-week"


@pytest.fixture(scope="module")
def encoded() -> tuple[Households, Units, Policy]:
    instance = matcher.load_instance(EXAMPLE / "households.csv", EXAMPLE / "units.csv", EXAMPLE / "policy.json")
    h, u, _ = encode(instance)
    return h, u, instance.policy


def _mask(rule: Rule, h: Households, u: Units, policy: Policy) -> np.ndarray:
    assert rule.predicate is not None
    column = {
        f.name: (getattr(h, f.name) if f.name == "ids" else np.asarray(getattr(h, f.name)).reshape(-1, 1)) for f in fields(h)
    }
    column["cap_class"] = h.cap_class
    row = {
        f.name: (getattr(u, f.name) if f.name in ("ids", "rent_ok") else np.asarray(getattr(u, f.name)).reshape(1, -1))
        for f in fields(u)
    }
    shape = (len(h.ids), len(u.ids))
    return np.broadcast_to(rule.predicate(Households(**column), Units(**row), policy), shape)


def _scrambled(values: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if values.dtype == bool:
        return rng.integers(0, 2, size=values.shape).astype(bool)
    return rng.integers(-1, 8, size=values.shape).astype(values.dtype)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_a_rule_reads_only_the_fields_it_declares(rule: Rule, encoded: tuple[Households, Units, Policy]) -> None:
    """Scrambling any household or unit field the record does not declare leaves the rule's mask unchanged,
    so profiles built from the declared fields can never merge households the rule tells apart."""
    h, u, policy = encoded
    before = _mask(rule, h, u, policy)
    for k, f in enumerate(fields(Households)):
        if f.name != "ids" and f.name not in rule.household_fields:
            other = replace(h, **{f.name: _scrambled(np.asarray(getattr(h, f.name)), k)})
            assert (_mask(rule, other, u, policy) == before).all(), f"{rule.id} reads household field {f.name}"
    for k, f in enumerate(fields(Units)):
        if f.name != "ids" and f.name not in rule.unit_fields:
            other_u = replace(u, **{f.name: _scrambled(np.asarray(getattr(u, f.name)), 100 + k)})
            assert (_mask(rule, h, other_u, policy) == before).all(), f"{rule.id} reads unit field {f.name}"


def test_the_check_notices_an_undeclared_field(encoded: tuple[Households, Units, Policy]) -> None:
    """The check above can fail: E7 with its unit fields left undeclared is caught."""
    h, u, policy = encoded
    e7 = next(rule for rule in RULES if rule.id == "E7")
    hidden = replace(e7, unit_fields=())
    h = replace(h, wheelchair=np.ones_like(h.wheelchair))
    before = _mask(hidden, h, u, policy)
    scrambled = replace(u, wheelchair=~u.wheelchair)
    assert not (_mask(hidden, h, scrambled, policy) == before).all()


def test_profiles_are_the_union_of_the_declared_fields() -> None:
    """Households (and units) alike in every field any rule reads form one profile; nothing else is in it."""
    assert set(HOUSEHOLD_PROFILE) == {f for rule in RULES for f in rule.household_fields}
    assert set(UNIT_PROFILE) == {f for rule in RULES for f in rule.unit_fields}


def test_every_relaxation_is_a_change_the_search_makes() -> None:
    """A relaxation a rule names is a kind of change that the counterfactual search implements, and every
    kind it implements lifts some rule (or A4, for a cap one higher)."""
    named = {kind for rule in RULES for kind in rule.relaxations}
    assert named <= set(CHANGE_ORDER)
    assert set(CHANGE_ORDER) == named | {"cap_raise"} == RELAXATIONS


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.id)
def test_every_rule_speaks_dutch_and_english(rule: Rule) -> None:
    """Each rule has its counted phrase in both languages, with the count in it, and the same variants in both."""
    for lang in ("nl", "en"):
        assert "{n}" in rule.counted[lang]
    assert set(rule.for_household.get("nl", {})) == set(rule.for_household.get("en", {}))
    assert [r.id for r in ALL_RULES] == [*(f"E{k}" for k in range(1, 9)), "B1", "B2", "E9"]
