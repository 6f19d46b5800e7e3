"""``matcher serve``: the service as a process, and how it stops.

On SIGTERM (systemd stop, a rolling deploy, Kubernetes ending a pod) the process drains
(see ``api.drain``): at once ``/readyz`` answers 503 and new requests get 503 with
``Retry-After``, while requests in flight are answered and the jobs held go on. After
``MATCHER_SHUTDOWN_GRACE_SECONDS`` (time for the load balancer to notice) the port is
closed; the jobs still running are handed back at the drain's job deadline, and the process
exits with code 0 within ``MATCHER_DRAIN_SECONDS`` of the signal. Ctrl-C (SIGINT) does the
same without the grace period; a second signal stops at once (jobs still held are then
taken over when their leases expire).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType

import uvicorn

from api.drain import Drain

log = logging.getLogger(__name__)


class DrainingServer(uvicorn.Server):
    """Uvicorn, but the first signal begins the drain instead of closing the port at once."""

    def __init__(self, config: uvicorn.Config, drain: Drain, grace_seconds: float) -> None:
        super().__init__(config)
        self.drain = drain
        self.grace_seconds = min(grace_seconds, max(drain.drain_seconds - 1.0, 0.0))

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if not self.drain.begin():  # a second signal: stop now
            self.force_exit = True
            self.should_exit = True
            return
        grace = 0.0 if sig == signal.SIGINT else self.grace_seconds
        log.info(
            "stopping (%s): new requests get 503; the port closes in %.0f s; jobs held are finished or handed back "
            "within %.0f s", signal.Signals(sig).name, grace, self.drain.drain_seconds,
        )  # fmt: skip
        if grace <= 0:
            self.should_exit = True
            return
        timer = threading.Timer(grace, self._close)
        timer.daemon = True
        timer.start()

    def _close(self) -> None:
        self.should_exit = True


def serve(host: str | None = None, port: int | None = None) -> None:
    """Run the service with uvicorn (what ``matcher serve`` does)."""
    from api.app import create_app
    from api.logs import configure_json
    from api.settings import Settings

    settings = Settings()
    if settings.log_format == "json":
        configure_json()
        log_config = None
    else:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        log_config = uvicorn.config.LOGGING_CONFIG
    app = create_app(settings)
    drain: Drain = app.state.drain
    config = uvicorn.Config(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        log_config=log_config,
        access_log=settings.log_format != "json",
        timeout_graceful_shutdown=max(int(settings.drain_seconds - settings.shutdown_grace_seconds - 1), 1),
    )
    server = DrainingServer(config, drain, settings.shutdown_grace_seconds)
    server.run()
    queues = [getattr(app.state, name, None) for name in ("queue", "scenarios")]
    if not all(queue.idle() for queue in queues if queue is not None):
        # A solve cannot be interrupted; its job is handed back already, so end the process
        # without waiting for the thread.
        log.info("exiting with a job thread still busy; its job was handed back")
        logging.shutdown()
        os._exit(0)
