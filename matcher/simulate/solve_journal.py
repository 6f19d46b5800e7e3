"""A journal of finished exact solves, so that an interrupted frontier run resumes where it stopped.

Each exact hindsight solve of the frontier costs tens of seconds to minutes, and a run holds
many. As soon as one finishes, its figures are appended to a JSON-lines file in the output
folder, one line per solve; a rerun with the same folder reads the file and solves only what
it lacks.

A solve is found again only under the same :class:`SolveKey`: the SHA-256 of the scenario
document (every field of the scenario, so another seed, horizon or policy is another key),
the SHA-256 of the start files it names (``start.households``, ``start.units``: the document
holds their paths, not their rows), the replicate, T of the tail rule, and every setting of
``exact_hindsight`` that changes its answer. Anything else is solved anew.

A line is written with one ``os.write`` of the whole line to a file opened for appending:
Ctrl-C (``KeyboardInterrupt``) is raised between Python statements, never inside that system
call, so the journal holds whole lines only. Should the machine stop in the middle of a line
all the same, the torn last line is dropped when the journal is read and cut off before the
next line is appended. A damaged line elsewhere is an error that names the file and line.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from matcher.errors import InputError

FORMAT = "frontier-solve/v1"


def document_hash(document: dict[str, Any]) -> str:
    """SHA-256 of a scenario document written canonically (sorted keys, no spaces): the same content gives the same
    hash whatever the order of its keys."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def start_files_hash(document: dict[str, Any]) -> str:
    """SHA-256 over the bytes of the start files the scenario names (none: the hash of nothing)."""
    digest = hashlib.sha256()
    start = document.get("start") or {}
    for field in ("households", "units"):
        name = start.get(field)
        if name is None:
            continue
        try:
            content = Path(name).read_bytes()
        except OSError as error:
            raise InputError.single(str(name), f"cannot read the start file: {error.strerror}", column=f"start.{field}") from None
        digest.update(f"{field}:{len(content)}:".encode())
        digest.update(content)
    return digest.hexdigest()


@dataclass(frozen=True)
class SolveKey:
    """Everything an exact solve's answer depends on: the scenario's content, the replicate and the solve's settings."""

    document_sha256: str
    start_files_sha256: str
    replicate: int
    tail_weeks: int | None
    measure: str
    deterministic_time_s: float
    lp_time_limit_s: float
    max_columns: int
    declined_offers_count: bool

    def digest(self) -> str:
        """SHA-256 of the key's fields and the journal's format."""
        text = json.dumps({"format": FORMAT, **asdict(self)}, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SolveJournal:
    """The finished solves in ``path`` (read when opened), and the way to add one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._solved: dict[str, dict[str, Any]] = {}
        if path.exists():
            self._read()

    def _read(self) -> None:
        data = self.path.read_bytes()
        lines = data.split(b"\n")
        complete = lines[:-1]  # the part after the last "\n" is a line cut off in the middle: it never counted
        for number, raw in enumerate(complete, start=1):
            if not raw.strip():
                continue
            try:
                entry = json.loads(raw)
                key = SolveKey(**entry["key"])
                figures = entry["figures"]
                if entry["format"] != FORMAT or not isinstance(figures, dict):
                    raise ValueError("not a solve of this format")
            except (ValueError, KeyError, TypeError) as error:
                raise InputError.single(
                    str(self.path), f"not a journalled solve ({error}); move the file away to solve anew", row=number
                ) from None
            self._solved[key.digest()] = figures

    def __len__(self) -> int:
        return len(self._solved)

    def get(self, key: SolveKey) -> dict[str, Any] | None:
        """The journalled figures of this solve, or None when it was never finished under this key."""
        return self._solved.get(key.digest())

    def record(self, key: SolveKey, figures: dict[str, Any], scenario: str) -> None:
        """Append one finished solve as one whole line (see the module docstring)."""
        line = json.dumps({"format": FORMAT, "scenario": scenario, "key": asdict(key), "figures": figures})
        payload = (line + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            _cut_torn_line(descriptor)
            written = os.write(descriptor, payload)
            while written < len(payload):
                written += os.write(descriptor, payload[written:])
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        self._solved[key.digest()] = figures


def _cut_torn_line(descriptor: int) -> None:
    """Cut a last line that does not end in a newline (a write cut off in the middle) off the open journal."""
    size = os.fstat(descriptor).st_size
    if size == 0 or os.pread(descriptor, 1, size - 1) == b"\n":
        return
    data = os.pread(descriptor, size, 0)
    os.ftruncate(descriptor, data.rfind(b"\n") + 1)
