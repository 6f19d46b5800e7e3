"""Random streams for a replicate, so strategies can be compared on the same draws.

Each (scenario seed, replicate, stream name) gets its own numpy Generator through
``SeedSequence``. Arrivals, vacancies, reunification delays and the start pool therefore
never share draws: changing the decline probability leaves the arrival stream untouched,
and two strategies of one replicate see identical households and homes (common random
numbers). A decline is not drawn from a stream at all but hashed from the seed, the
replicate and the two ids, so whether a household declines a given home is the same under
every strategy and does not depend on how many offers came before.
"""

from __future__ import annotations

import hashlib

import numpy as np

STREAMS = {"start": 1, "arrivals": 2, "vacancies": 3, "reunification": 4, "events": 5, "leaving": 6, "pipeline": 7}


def stream(seed: int, replicate: int, name: str) -> np.random.Generator:
    """The generator for one named stream of one replicate."""
    return np.random.default_rng(np.random.SeedSequence([seed, replicate, STREAMS[name]]))


def decline_draw(seed: int, replicate: int, household_id: str, unit_id: str) -> float:
    """A uniform number in [0, 1) fixed by the seed, the replicate and the pair."""
    key = f"{seed}/{replicate}/{household_id}/{unit_id}".encode()
    value = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little")
    return value / 2.0**64
