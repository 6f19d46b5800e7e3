"""Tie-breaks: a pseudo-random score per household, unit or pair, a fixed function of the seed and the ids.

Among proposals that are equally good in every policy tier, one more tier decides: it
maximises these scores (per household and per unit in the flow part, per pair in the
CP-SAT part). So the same input and seed always give the same proposal, whatever the row
order and whichever solver handled a part.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

from matcher.rules.arrays import Households, IntArray, Units

TIE_BREAK_BITS = 20


def _id_hash(ids: list[str], seed: int, salt: bytes) -> npt.NDArray[np.uint64]:
    key = seed.to_bytes(8, "little")
    values = [int.from_bytes(hashlib.blake2b(salt + i.encode("utf-8"), digest_size=8, key=key).digest(), "little") for i in ids]
    return np.array(values, dtype=np.uint64)


def _mix(z: npt.NDArray[np.uint64]) -> IntArray:
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    scores: IntArray = (z >> np.uint64(64 - TIE_BREAK_BITS)).astype(np.int64) + 1
    return scores


def id_scores(ids: list[str], seed: int, salt: bytes) -> IntArray:
    """A score per id in [1, 2^20]: per household (salt ``b"h"``) or per unit (``b"u"``)."""
    return _mix(_id_hash(ids, seed, salt))


def tie_break_scores(household: IntArray, unit: IntArray, h: Households, u: Units, seed: int) -> IntArray:
    """A score per pair in [1, 2^20], a fixed function of the seed and the two ids."""
    rh = _id_hash(h.ids, seed, b"h")[household]
    ru = _id_hash(u.ids, seed, b"u")[unit]
    with np.errstate(over="ignore"):
        return _mix(rh ^ (ru * np.uint64(0x9E3779B97F4A7C15)))
