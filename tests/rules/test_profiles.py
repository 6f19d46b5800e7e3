"""Grouping households and units into profiles: the order and representatives ``np.unique`` gives.

``group_rows`` replaces ``np.unique(..., axis=0)`` for speed; the network, the tie-break and
every explanation number profiles the way ``np.unique`` did, so the two must agree exactly:
profiles in lexicographic order, each represented by its first row.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from matcher.rules.eligibility import group_rows

_MATRICES = st.integers(1, 6).flatmap(
    lambda k: arrays(np.int64, st.tuples(st.integers(0, 40), st.just(k)), elements=st.integers(-3, 3))
)


@settings(max_examples=300, deadline=None)
@given(_MATRICES)
def test_group_rows_equals_numpy_unique(matrix: npt.NDArray[np.int64]) -> None:
    """Any small integer matrix, duplicates and negative values included: the same first rows and groups as ``np.unique``."""
    first, inverse = group_rows(matrix)
    if len(matrix) == 0:
        assert len(first) == 0 and len(inverse) == 0
        return
    _, expected_first, expected_inverse = np.unique(matrix, axis=0, return_index=True, return_inverse=True)
    assert np.array_equal(first, expected_first)
    assert np.array_equal(inverse, expected_inverse.reshape(-1))


def test_group_rows_orders_by_the_first_column_first() -> None:
    """Rows (2, 0), (1, 5), (1, 5), (1, -1): profiles (1, -1), (1, 5), (2, 0), each represented by its first row."""
    matrix = np.array([[2, 0], [1, 5], [1, 5], [1, -1]], dtype=np.int64)
    first, inverse = group_rows(matrix)
    assert first.tolist() == [3, 1, 0]
    assert inverse.tolist() == [2, 1, 1, 0]
