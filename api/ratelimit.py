"""Failed logins are limited per client, so that guessing tokens is slow and cheap to refuse.

Each client (the address a request comes from) has a bucket of ``burst`` failed logins
that refills at ``per_minute`` a minute. A failed login (a token that is wrong, revoked or
expired, or a malformed header) takes one from the bucket; while it is empty, every request
of that client to the API is answered 429 with ``Retry-After`` before its token is even
looked at, so an empty bucket tells a guesser nothing. A request without any token is not a
login attempt and takes nothing. Other clients are not affected.

The buckets live in memory, at most ``max_clients`` of them: when there are more, full
buckets (clients that did nothing wrong lately) are forgotten first, then the oldest.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    level: float
    at: float


class FailureLimiter:
    """Token buckets of failed logins, one per client."""

    def __init__(
        self, burst: int, per_minute: float, max_clients: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = float(burst)
        self.rate = per_minute / 60.0  # per second
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Clients with a bucket in memory."""
        return len(self._buckets)

    def _level(self, bucket: _Bucket, now: float) -> float:
        return min(self.burst, bucket.level + (now - bucket.at) * self.rate)

    def retry_after(self, client: str) -> int | None:
        """Whole seconds until ``client`` may try again, or None when it may now."""
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                return None
            level = self._level(bucket, self.clock())
            if level >= 1.0:
                return None
            return max(1, math.ceil((1.0 - level) / self.rate)) if self.rate > 0 else 3600

    def failed(self, client: str) -> None:
        """Count one failed login of ``client``."""
        with self._lock:
            now = self.clock()
            bucket = self._buckets.pop(client, None)
            level = self.burst if bucket is None else self._level(bucket, now)
            self._buckets[client] = _Bucket(level=max(0.0, level - 1.0), at=now)
            self._forget(now)

    def _forget(self, now: float) -> None:
        if len(self._buckets) <= self.max_clients:
            return
        for client in [c for c, b in self._buckets.items() if self._level(b, now) >= self.burst]:
            del self._buckets[client]
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
