"""A real two-node Ray cluster for tests and benchmarks, kept off every network.

The cluster runs in a network namespace of its own that holds nothing but a loopback
interface: the head node on 127.0.0.2, a worker node on 127.0.0.3, and the driver (the
``matcher simulate --backend ray`` process under test) inside the same namespace. Ray binds
some of its servers to all interfaces and, with 127.0.0.1, swaps in the machine's routable
address; inside this namespace there is no other interface, so not a byte can leave the
machine whatever Ray does.

Token authentication stays on (Ray's default): the test makes a random token and hands it to
every node and to the driver through ``RAY_AUTH_TOKEN``. Usage statistics are off. The head
node offers no CPUs, so every task runs on the worker node: results cross from one node to
the other. The nodes run with ``ray start --block`` and are stopped by their process ids;
whatever is still running in the namespace afterwards is killed by process id too (never
``ray stop``, which would stop every Ray process of the machine's user).

Needs root (to make the namespace), ``unshare``, ``nsenter`` and ``ip`` (util-linux and
iproute2, present on Debian).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

HEAD_IP = "127.0.0.2"
WORKER_IP = "127.0.0.3"
PORT = 6379  # free by construction: the namespace is new
WORKER_CPUS = 2


def missing() -> str | None:
    """Why a cluster cannot be started here, or None when it can."""
    if os.geteuid() != 0:
        return "a private network namespace needs root"
    for tool in ("unshare", "nsenter", "ip"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    try:
        import ray  # noqa: F401
    except ImportError:
        return "ray is not installed"
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        return "this machine does not allow a new network namespace: " + probe.stderr.decode(errors="replace").strip()
    return None


class RayCluster:
    """A running cluster: run commands inside its namespace with ``run``."""

    def __init__(self, workdir: Path, holder: subprocess.Popen[bytes], env: dict[str, str]) -> None:
        self.workdir = workdir
        self.holder = holder
        self.env = env
        self.nodes: list[subprocess.Popen[bytes]] = []

    @property
    def address(self) -> str:
        return f"{HEAD_IP}:{PORT}"

    def enter(self, command: Sequence[str]) -> list[str]:
        return ["nsenter", f"--net=/proc/{self.holder.pid}/ns/net", *command]

    def run(self, command: Sequence[str], timeout: float, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run a command inside the namespace with the cluster's environment; it must succeed."""
        done = subprocess.run(
            self.enter(command), env=self.env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise AssertionError(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return done

    def start_node(self, arguments: Sequence[str], log: str) -> None:
        ray = str(Path(sys.executable).with_name("ray"))
        with open(self.workdir / log, "wb") as out:
            node = subprocess.Popen(
                self.enter([ray, "start", "--block", "--disable-usage-stats", "--temp-dir", str(self.workdir / "r"), *arguments]),
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.nodes.append(node)

    def wait_for_nodes(self, count: int, timeout: float) -> None:
        """Wait until ``count`` nodes are alive, asking the cluster itself (through a driver)."""
        script = (
            "import ray, sys, time\n"
            f"ray.init(address={self.address!r}, log_to_driver=False)\n"
            "deadline = time.monotonic() + float(sys.argv[2])\n"
            "while sum(n['Alive'] for n in ray.nodes()) < int(sys.argv[1]):\n"
            "    if time.monotonic() > deadline: sys.exit('nodes alive: %d' % sum(n['Alive'] for n in ray.nodes()))\n"
            "    time.sleep(0.5)\n"
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.run([sys.executable, "-c", script, str(count), str(timeout)], timeout=timeout + 30)
                return
            except AssertionError:
                for node in self.nodes:
                    if node.poll() is not None:
                        raise AssertionError(f"a Ray node exited with {node.returncode}; logs in {self.workdir}") from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)

    def namespace_pids(self) -> list[int]:
        """Every process in the cluster's network namespace, the holder included."""
        own = os.readlink(f"/proc/{self.holder.pid}/ns/net")
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.readlink(entry / "ns" / "net") == own:
                    pids.append(int(entry.name))
            except OSError:
                continue
        return pids

    def stop(self) -> None:
        """Stop the worker node, then the head, by their process ids; then whatever is left."""
        for node in reversed(self.nodes):
            if node.poll() is None:
                os.killpg(node.pid, signal.SIGTERM)
                try:
                    node.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(node.pid, signal.SIGKILL)
                    node.wait(timeout=10)
        leftovers = [pid for pid in self.namespace_pids() if pid != self.holder.pid]
        for pid in leftovers:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.holder.kill()
        self.holder.wait(timeout=10)


@contextmanager
def ray_cluster() -> Iterator[RayCluster]:
    """Start the two-node cluster; stop it, whatever happens in between."""
    workdir = Path(tempfile.mkdtemp(prefix="mray", dir="/tmp"))  # short: Ray's socket paths have a length limit
    home = workdir / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),  # Ray keeps its token file and caches under ~/.ray: a private one
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
        "RAY_USAGE_STATS_ENABLED": "0",
        "PYTHONUNBUFFERED": "1",
    }
    holder = subprocess.Popen(["unshare", "--net", "--", "sleep", "infinity"])
    cluster = RayCluster(workdir, holder, env)
    try:
        deadline = time.monotonic() + 10
        while os.readlink(f"/proc/{holder.pid}/ns/net") == os.readlink("/proc/self/ns/net"):
            if time.monotonic() > deadline:
                raise AssertionError("the namespace holder did not enter its own network namespace")
            time.sleep(0.05)
        cluster.run(["ip", "link", "set", "lo", "up"], timeout=10)
        cluster.start_node(
            ["--head", "--node-ip-address", HEAD_IP, "--port", str(PORT), "--num-cpus", "0", "--include-dashboard", "false"],
            "head.log",
        )
        cluster.start_node(
            ["--address", cluster.address, "--node-ip-address", WORKER_IP, "--num-cpus", str(WORKER_CPUS)], "worker.log"
        )
        cluster.wait_for_nodes(2, timeout=120)
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


TIMING_COLUMNS = ("solve_s",)


def differences(local: Path, remote: Path) -> list[str]:
    """The files of two ``matcher simulate`` output folders that differ beyond their timing fields.

    ``result.json`` is compared without its ``timing`` block (wall time, workers, backend) and
    each replicate's ``solve_s``; CSV files without the ``solve_s`` column; every other file
    (the other CSVs, the charts) byte for byte."""
    import csv
    import io
    import json

    found: list[str] = []
    names = sorted(p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file())
    other = sorted(p.relative_to(remote).as_posix() for p in remote.rglob("*") if p.is_file())
    if names != other:
        found.append(f"file lists differ: {sorted(set(names) ^ set(other))}")
    for name in sorted(set(names) & set(other)):
        a, b = (local / name).read_bytes(), (remote / name).read_bytes()
        if name.endswith(".json"):
            da, db = json.loads(a), json.loads(b)
            for document in (da, db):
                document.pop("timing", None)
                for row in document.get("per_replicate", []):
                    row.pop("solve_s", None)
            same = da == db
        elif name.endswith(".csv"):

            def rows(data: bytes) -> list[list[str]]:
                table = list(csv.reader(io.StringIO(data.decode("utf-8"))))
                drop = {k for k, column in enumerate(table[0]) if column in TIMING_COLUMNS} if table else set()
                return [[cell for k, cell in enumerate(row) if k not in drop] for row in table]

            same = rows(a) == rows(b)
        else:
            same = a == b
        if not same:
            found.append(name)
    return found
