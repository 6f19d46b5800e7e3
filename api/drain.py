"""The moment a process starts to stop, shared by everything that must behave differently then.

On SIGTERM (or when the app shuts down without one) the process drains: its workers take
no new job, new requests are answered 503 with Retry-After, ``/readyz`` says not ready,
and the jobs it holds must be finished or handed back before ``job_deadline``, so that the
process is gone within ``drain_seconds`` of the signal.
"""

from __future__ import annotations

import threading
import time

HAND_BACK_MARGIN = 1.0  # seconds left after the job deadline to hand jobs back and close


class Drain:
    """Whether the process is draining, since when, and by when its jobs must be settled."""

    def __init__(self, drain_seconds: float) -> None:
        self.drain_seconds = drain_seconds
        self._event = threading.Event()
        self._lock = threading.Lock()
        self.started: float | None = None

    @property
    def draining(self) -> bool:
        return self._event.is_set()

    def begin(self) -> bool:
        """Start draining now (safe from a signal handler and any thread); False when it had already begun."""
        with self._lock:
            if self._event.is_set():
                return False
            self.started = time.monotonic()
            self._event.set()
            return True

    @property
    def job_deadline(self) -> float:
        """The ``time.monotonic()`` by which every job must be finished or handed back."""
        assert self.started is not None, "not draining"
        return self.started + max(self.drain_seconds - HAND_BACK_MARGIN, 0.0)

    def past_job_deadline(self) -> bool:
        return self.started is not None and time.monotonic() >= self.job_deadline

    def remaining(self) -> float:
        """Seconds left until the job deadline (0 when not draining or past it)."""
        return 0.0 if self.started is None else max(self.job_deadline - time.monotonic(), 0.0)
