"""Household groups the seeds name and the interchange columns already describe.

Alleengaande vrouwen and eenoudergezinnen are kwetsbare groepen in the municipalities'
programmes. Both follow from required household columns, so they are derived, never read
from a column of their own: a separate column could contradict ``adults``, ``children`` and
``gender``, and every existing file already carries what is needed.

- alleengaande vrouw (``single_woman``): one adult, no children, main applicant ``F``;
- eenoudergezin (``single_parent``): one adult with at least one child.

Both describe the household as it is now (family members still expected do not count). The
engine's terms, the validator and the simulation's fairness figures read these definitions
(the validator restates them on purpose).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]

GROUPS: tuple[str, ...] = ("single_woman", "single_parent")
GROUPS_NL: dict[str, str] = {"single_woman": "alleengaande vrouw", "single_parent": "eenoudergezin"}


def single_woman(adults: npt.ArrayLike, children: npt.ArrayLike, gender: npt.ArrayLike) -> BoolArray:
    """True where the household is one woman alone: one adult, no children, main applicant ``F``."""
    a, c, g = np.asarray(adults), np.asarray(children), np.asarray(gender)
    return np.asarray((a == 1) & (c == 0) & (g == "F"), dtype=bool)


def single_parent(adults: npt.ArrayLike, children: npt.ArrayLike) -> BoolArray:
    """True where one adult lives with at least one child."""
    a, c = np.asarray(adults), np.asarray(children)
    return np.asarray((a == 1) & (c >= 1), dtype=bool)
