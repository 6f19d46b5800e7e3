"""The look-ups behind fast explanations give what the direct computation gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import household, instance, propose, unit

from matcher.explain.alternatives import grouped_top_indices
from matcher.explain.reasons import DutchDifferences, first_failing, units_per_rule
from matcher.explain.values import base_values, packed_codes, packed_ranks, sum_ranks, value_table
from matcher.input.instance import load_instance
from matcher.model import Prepared, prepare

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "nijmegen-week"


def _example_prep() -> Prepared:
    return prepare(load_instance(EXAMPLE / "households.csv", EXAMPLE / "units.csv", EXAMPLE / "policy.json"))


def test_value_table_gives_base_values_of_every_profile_pair() -> None:
    """Every (household profile, unit profile) of the example week reads from the table exactly the
    values base_values computes for its representatives."""
    prep = _example_prep()
    s = prep.structure
    p, q = np.meshgrid(np.arange(len(s.household_rep)), np.arange(len(s.unit_rep)), indexing="ij")
    p, q = p.ravel(), q.ravel()
    table = value_table(prep)
    assert len(table.household_class) == len(s.household_rep)
    assert np.array_equal(table.values(p, q), base_values(prep, s.household_rep[p], s.unit_rep[q]))


def test_unit_group_shares_eligibility_and_value_class() -> None:
    """Unit profiles of one group are eligible for the same household profiles and fall in one value
    class; in the example week some groups hold several unit profiles (the same home in other wijken)."""
    prep = _example_prep()
    table = value_table(prep)
    groups, first = np.unique(table.unit_group, return_index=True)
    lead = first[np.searchsorted(groups, table.unit_group)]
    assert np.array_equal(prep.structure.eligible, prep.structure.eligible[:, lead])
    assert np.array_equal(table.unit_class, table.unit_class[lead])
    assert len(groups) < len(table.unit_group)


def _lexicographic_order(values: np.ndarray, member: np.ndarray) -> list[int]:
    """Entries from best to worst: larger values tier by tier, then the smaller member."""
    return sorted(range(values.shape[1]), key=lambda i: (*(-values[:, i]).tolist(), int(member[i])))


def test_packed_ranks_order_entries_as_the_ranking_does() -> None:
    """Sorting by packed rank (highest first) gives the lexicographic order of values, ties to the smaller member."""
    rng = np.random.default_rng(1)
    values = rng.integers(-5, 6, size=(3, 400))
    member = rng.permutation(400)
    packed = packed_codes(values)
    assert packed is not None
    rank = packed_ranks(*packed, member)
    assert rank is not None
    assert np.argsort(-rank, kind="stable").tolist() == _lexicographic_order(values, member)


def test_packed_codes_refuse_values_too_wide_for_one_integer() -> None:
    """Spans whose product does not fit in 62 bits are refused rather than wrapped around."""
    values = np.array([[0, 1 << 40], [0, 1 << 30]], dtype=np.int64)
    assert packed_codes(values) is None


def test_sum_ranks_order_sums_of_own_values_and_table_cells() -> None:
    """An entry's part plus a cell's part orders every (entry, cell) pair as the lexicographic order
    of the summed values, ties to the smaller member."""
    rng = np.random.default_rng(2)
    own = rng.integers(-20, 20, size=(3, 30))
    cells = rng.integers(-3, 4, size=(3, 12))
    member = rng.permutation(30) * 7
    ranks = sum_ranks(own, member, cells)
    assert ranks is not None
    i, j = np.meshgrid(np.arange(30), np.arange(12), indexing="ij")
    i, j = i.ravel(), j.ravel()
    rank = ranks[0][i] + ranks[1][j]
    by_rank = [(int(i[k]), int(j[k])) for k in np.argsort(-rank, kind="stable")]
    expected = [(int(i[k]), int(j[k])) for k in _lexicographic_order(own[:, i] + cells[:, j], member[i])]
    # Pairs of one entry tie when their sums tie: compare the sums and members in order, not the cells.
    assert [((own[:, a] + cells[:, b]).tolist(), member[a]) for a, b in by_rank] == [
        ((own[:, a] + cells[:, b]).tolist(), member[a]) for a, b in expected
    ]


@pytest.mark.parametrize("spread", [10, 1 << 60], ids=["packed", "tier by tier"])
def test_grouped_top_indices_takes_each_groups_best(spread: int) -> None:
    """The best three of each group, best first, whether the values fit one integer or not."""
    rng = np.random.default_rng(3)
    group = np.sort(rng.integers(0, 25, size=500))
    member = np.concatenate([np.arange((group == g).sum()) * 3 for g in range(25)])
    values = rng.integers(0, 4, size=(3, 500))
    values[0] *= spread
    assert (packed_codes(values) is None) == (spread > 1 << 32)
    found = grouped_top_indices(group, member, values, 3)
    expected = [
        int(k)
        for g in range(25)
        for k in np.flatnonzero(group == g)[_lexicographic_order(values[:, group == g], member[group == g])[:3]]
    ]
    assert found.tolist() == expected


@pytest.mark.parametrize("scale", [1, 1 << 40], ids=["small weights", "large weights"])
def test_first_failing_and_counts_per_rule_match_a_cell_by_cell_count(scale: int) -> None:
    """The first failing mask per cell (broadcast masks included) and the weighted counts per rule
    equal a plain loop over the cells, also for weights whose sums need more than 32 bits."""
    rng = np.random.default_rng(4)
    masks = [rng.random((6, 1)) < 0.8, rng.random((6, 9)) < 0.7, rng.random((1, 9)) < 0.6, rng.random((6, 9)) < 0.9]
    first = first_failing(masks)
    weights = rng.integers(1, 50, size=9) * scale + rng.integers(0, 2, size=9)
    counts = units_per_rule(first, weights, 4)
    expected = np.zeros((6, 5), dtype=np.int64)
    for a in range(6):
        for b in range(9):
            failing = [k for k, m in enumerate(masks) if not np.broadcast_to(m, (6, 9))[a, b]]
            assert first[a, b] == (failing[0] if failing else -1)
            expected[a, failing[0] + 1 if failing else 0] += weights[b]
    assert np.array_equal(counts, expected)


def test_dutch_differences_reuse_words_without_mixing_them_up() -> None:
    """Differences that share an entry, asked in turn and again, each get their own full sentence."""
    words = DutchDifferences([{"placed_persons": 1}, {"waiting_days": 1}, {"temporary": -5, "underoccupancy": -1}])
    assert words([0, -36, 0]) == "zou 36 wachtdagen minder opleveren"
    assert words([0, -36, 5]) == (
        "zou 36 wachtdagen minder en 5 punten meer op prioriteit 3 (tijdelijk, onderbezetting) opleveren"
    )
    assert words([1, -36, 0]) == "zou 1 persoon meer geplaatst en 36 wachtdagen minder opleveren"
    assert words([0, -36, 0]) == "zou 36 wachtdagen minder opleveren"
    assert words([0, 0, 0]) == "volgens het beleid even goed"


def test_next_best_unit_among_homes_alike_but_for_the_wijk() -> None:
    """Four homes alike but for the wijk rank as one group: the next-best unit is the smallest id
    among those left, and the validator (run by propose) finds every alternative right."""
    units = [unit(f"U-{k}", neighbourhood=wijk) for k, wijk in enumerate(["Lent", "Hatert", "Lent", "Hatert"], 1)]
    units.append(unit("U-5", max_occupants=4, bedrooms=2))
    p = propose(instance([household("H-1", koppeling_date="2024-12-01"), household("H-2", adults=2)], units))
    by_household = {m["household_id"]: m for m in p["matches"]}
    assert by_household["H-1"]["unit_id"] == "U-1"
    assert by_household["H-1"]["alternatives"]["next_best_unit"]["unit_id"] == "U-2"
