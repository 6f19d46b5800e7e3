"""Refused requests (401, 403, 429) are counted, not written one by one.

Writing an audit entry for every refused request would let anyone with a wrong token, or a
viewer clicking a button meant for the WBB, turn each request into a write transaction and
flood the log. So refusals are counted in memory per minute, status, client, token and what
was refused (the reason of a failed login, or the route), and each count becomes one audit
entry (``denied.401``, ``denied.403``, ``denied.429``) once its minute is over, when the
flusher next runs (every ``flush_seconds``) and when the service stops. A hundred refused
calls in a minute cost one entry.

An entry's ``object_ids`` read ``[what, "client=<address>", "count=<n>", "minute=<start, UTC>"]``;
its token is the token presented (a revoked or expired one included), when there was one,
and its actor the person a valid token belongs to (a 403).
At most ``max_keys`` counts are held between flushes; beyond that, new kinds of refusal are
added into one count per status for the client ``other``, so memory stays bounded.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker
from starlette.types import Scope

from api import audit
from api.db import session_scope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DenialKey:
    minute: dt.datetime
    status: int
    client: str
    token_id: str | None
    what: str
    actor: str | None = None

    def order(self) -> tuple[dt.datetime, int, str, str, str, str]:
        return (self.minute, self.status, self.client, self.token_id or "", self.what, self.actor or "")

    def object_ids(self, count: int) -> list[str]:
        moment = self.minute.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")
        return [self.what, f"client={self.client}", f"count={count}", f"minute={moment}"]


def client_of(scope: Scope) -> str:
    """The address a request comes from (behind a proxy that uvicorn trusts: the one it names)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _minute(at: dt.datetime) -> dt.datetime:
    return at.astimezone(dt.UTC).replace(second=0, microsecond=0)


class DenialCounter:
    """Counts of refused requests per minute, written to the audit log in batches."""

    def __init__(self, max_keys: int = 10_000) -> None:
        self.max_keys = max_keys
        self._counts: dict[DenialKey, int] = {}
        self._lock = threading.Lock()

    def add(
        self,
        status: int,
        client: str,
        token_id: str | None,
        what: str,
        at: dt.datetime | None = None,
        actor: str | None = None,
    ) -> None:
        key = DenialKey(_minute(at or dt.datetime.now(dt.UTC)), status, client, token_id, what, actor)
        with self._lock:
            if key not in self._counts and len(self._counts) >= self.max_keys:
                key = DenialKey(key.minute, status, "other", None, "other")
            self._counts[key] = self._counts.get(key, 0) + 1

    def pending(self) -> int:
        """Refusals counted and not yet written."""
        with self._lock:
            return sum(self._counts.values())

    def _take(self, before: dt.datetime | None) -> list[tuple[DenialKey, int]]:
        with self._lock:
            keys = sorted((k for k in self._counts if before is None or k.minute < before), key=DenialKey.order)
            return [(k, self._counts.pop(k)) for k in keys]

    def _give_back(self, taken: list[tuple[DenialKey, int]]) -> None:
        with self._lock:
            for key, count in taken:
                self._counts[key] = self._counts.get(key, 0) + count

    def flush(self, sessions: sessionmaker[Session], everything: bool = False) -> int:
        """Write the counts of minutes that are over (all counts with ``everything``) as audit
        entries, in one transaction; returns the entries written. On a database error the
        counts are kept for the next flush."""
        taken = self._take(None if everything else _minute(dt.datetime.now(dt.UTC)))
        if not taken:
            return 0
        try:
            with session_scope(sessions) as session:
                for key, count in taken:
                    audit.record(
                        session, key.token_id, f"denied.{key.status}", "requests", key.object_ids(count), actor=key.actor
                    )
        except Exception:
            self._give_back(taken)
            log.exception("could not write %d counts of refused requests; kept for the next try", len(taken))
            return 0
        log.info("wrote %d counts of refused requests (%d requests)", len(taken), sum(c for _, c in taken))
        return len(taken)


class Flusher:
    """A thread that flushes a ``DenialCounter`` every ``seconds``, and everything when stopped."""

    def __init__(self, counter: DenialCounter, sessions: sessionmaker[Session], seconds: float) -> None:
        self.counter = counter
        self.sessions = sessions
        self.seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="matcher-denials", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            self.counter.flush(self.sessions)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self.counter.flush(self.sessions, everything=True)
