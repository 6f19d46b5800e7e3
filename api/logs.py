"""The service's log: text lines by default, JSON lines with ``MATCHER_LOG_FORMAT=json``.

Every request gets a request id (the ``X-Request-ID`` a proxy sent, if it is a plain token,
or a new one). It is in the answer's ``X-Request-ID`` header, in every error body, in the
audit entries the request writes and in every log line written while the request is
handled, so one id leads from a complaint to the log and the audit log.

A JSON line holds the time, level, logger, message, the request id, and for the line that
ends a request its method, route template, status and duration; nothing else. The messages
are the same as in text lines: counts, ids and codes, never field values or tokens (see
docs/security.md). Exceptions are logged with their traceback, as in text.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from typing import Any

request_id: ContextVar[str | None] = ContextVar("matcher_request_id", default=None)

_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
REQUEST_FIELDS = ("method", "route", "status", "duration_ms")  # set on the line that ends a request


def new_request_id(offered: str | None) -> str:
    """The id a proxy offered when it is a plain token of 8 to 64 letters, digits, dots,
    dashes or underscores (anything else could smuggle text into the logs); otherwise a new one."""
    if offered is not None and _SAFE_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record, where the formatter finds it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


class JsonLines(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
        line: dict[str, Any] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid is not None:
            line["request_id"] = rid
        for key in REQUEST_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_json() -> None:
    """Send the service's log and uvicorn's to standard error as JSON lines (uvicorn's own
    access lines are replaced by the service's line per request, see ``api.traffic``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
