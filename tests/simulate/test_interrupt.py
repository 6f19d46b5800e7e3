"""Ctrl-C in `matcher simulate` leaves a valid partial result and stops its worker processes.

The command runs as a real subprocess and gets a real SIGINT, as from a terminal. What it
writes must say it is partial and how many replicates it holds, and its figures must be
exactly those of a run asked for that many replicates: the first k replicates, whatever
order the workers finished them in.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from ray_cluster import differences

from matcher.simulate import parse_scenario, run_sweep
from matcher.simulate.output import write_result

ROOT = Path(__file__).resolve().parents[2]
BASE = {"name": "klein", "horizon_weeks": 5, "hindsight": False, "seed": 3}
VARIANT = {**BASE, "name": "klein-meer", "vacancies": {"statushouder_share": 0.12}}
REQUESTED = 400


def _workers_of(pid: int) -> list[int]:
    """The replicate processes a process started (multiprocessing's spawned children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid:"))
        if parent == pid and b"spawn_main" in command:
            found.append(int(entry.name))
    return found


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds a process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split()[2]
        except OSError:
            return True
        if state == "Z":  # ended, not yet reaped by its (ended) parent
            return True
        time.sleep(0.1)
    return False


def test_ctrl_c_leaves_the_first_k_replicates(tmp_path: Path) -> None:
    """SIGINT during a sweep of a base and a variant: exit code 130, both folders hold the
    first k replicates (0 < k < requested), say so in result.json, comparison.json and
    ONVOLLEDIG.txt, and match byte for byte (timing aside) what a run of k replicates writes;
    every worker process has stopped."""
    files = []
    for document in (BASE, VARIANT):
        path = tmp_path / f"{document['name']}.yaml"
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        files.append(path)
    out = tmp_path / "out"
    matcher = str(Path(sys.executable).with_name("matcher"))
    command = [matcher, "simulate", *map(str, files), "--replicates", str(REQUESTED), "--workers", "2", "--out", str(out)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while len(_workers_of(process.pid)) < 2:
            assert process.poll() is None and time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
        workers = _workers_of(process.pid)
        # a few replicates each, far from the 400 asked for: measured in the workers' CPU time,
        # not the clock, so a busy machine does not cut the run before its first replicate
        while sum(_cpu_seconds(pid) for pid in workers) < 10:
            assert process.poll() is None and time.monotonic() < deadline + 300, "the workers did no work"
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr.decode()
    assert "Onderbroken: de uitkomst is onvolledig" in stderr.decode()
    assert "Traceback" not in stderr.decode() + stdout.decode()
    assert all(_gone(pid, 15) for pid in workers), workers
    results = [json.loads((out / name / "result.json").read_text()) for name in ("klein", "klein-meer")]
    k = results[0]["replicates"]
    assert 0 < k < REQUESTED
    for result in results:
        assert result["partial"] == {"replicates_done": k, "replicates_requested": REQUESTED}
        assert sorted({row["replicate"] for row in result["per_replicate"]}) == list(range(k))
    note = (out / "klein" / "ONVOLLEDIG.txt").read_text(encoding="utf-8")
    assert f"na {k} van de {REQUESTED} herhalingen" in note

    again = run_sweep([parse_scenario(BASE), parse_scenario(VARIANT)], k, workers=1)
    expected = tmp_path / "expected"
    for name, result in zip(("klein", "klein-meer"), again, strict=True):
        result.partial = {"replicates_done": k, "replicates_requested": REQUESTED}
        write_result(result, expected / name)
    assert differences(expected, out) == []


def test_a_full_run_removes_the_note_of_a_partial_one(tmp_path: Path) -> None:
    """A folder that held a run cut short and is then written by a full run has no ONVOLLEDIG.txt left."""
    result = run_sweep([parse_scenario(BASE)], 1)[0]
    result.partial = {"replicates_done": 1, "replicates_requested": 5}
    write_result(result, tmp_path, charts=False)
    assert (tmp_path / "ONVOLLEDIG.txt").exists()
    result.partial = None
    write_result(result, tmp_path, charts=False)
    assert not (tmp_path / "ONVOLLEDIG.txt").exists()
    assert "partial" not in json.loads((tmp_path / "result.json").read_text())


def test_the_first_k_do_not_depend_on_the_order_they_finished() -> None:
    """Replicates added in any order give the same first k: the prefix stops at the first gap,
    and a sweep's common k is the smallest prefix over its scenarios."""
    import random

    from matcher.simulate.replicates import Finished

    results = [{"tag": tag, "replicate": r, "value": 10 * tag + r} for tag in (0, 1) for r in range(6) if (tag, r) != (1, 4)]
    prefixes = set()
    for seed in range(20):
        shuffled = list(results)
        random.Random(seed).shuffle(shuffled)
        finished = Finished(2)
        for result in shuffled:
            finished.add([result])
        prefixes.add(
            (tuple(r["value"] for r in finished.prefix(0)), tuple(r["value"] for r in finished.prefix(1)), finished.common())
        )
    assert prefixes == {((0, 1, 2, 3, 4, 5), (10, 11, 12, 13), 4)}
