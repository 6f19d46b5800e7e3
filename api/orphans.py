"""Replicate processes end when their server process is gone.

The scenario runs' replicates are simulated in spawned processes that wait for work on a
pipe the server created. When the server is killed outright (SIGKILL, out of memory) no
shutdown code runs, and such a process would wait on that pipe for ever. Each one
therefore watches its parent from a small thread and exits once the parent has changed.
Kept apart from the rest of the service so that a replicate process imports nothing else.
"""

from __future__ import annotations

import os
import threading
import time

CHECK_SECONDS = 1.0


def exit_with_parent(parent_pid: int) -> None:
    """Initializer of a replicate process: exit as soon as ``parent_pid`` is no longer the parent."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="matcher-parent-watch", daemon=True).start()
