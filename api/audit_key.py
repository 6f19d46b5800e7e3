"""The audit key: the server secret that keys the audit chain, kept outside the database.

Anyone who can write to the database could rewrite a chain of plain hashes from the first
changed entry on, so entries are chained with HMAC-SHA256 under a key the database does not
hold. The key comes from ``MATCHER_AUDIT_KEY`` or from a file named by
``MATCHER_AUDIT_KEY_FILE`` (a secret mounted by the platform); the service refuses to start
without one. Only ``MATCHER_DEVELOPMENT=1`` lets it start without: it then keys the chain
with a fixed, published development key, which proves nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path

from api.settings import Settings

log = logging.getLogger(__name__)

MIN_KEY_BYTES = 32
DEVELOPMENT_KEY = b"statushouder-matcher development audit key; not a secret"


class AuditKeyError(RuntimeError):
    """No usable audit key: the message says which setting to give and why."""


def load_key(settings: Settings) -> bytes:
    """The audit key the settings name; ``AuditKeyError`` when there is none or it is unusable."""
    if settings.audit_key is not None and settings.audit_key_file is not None:
        raise AuditKeyError("MATCHER_AUDIT_KEY and MATCHER_AUDIT_KEY_FILE are both set; set one of them.")
    if settings.audit_key is not None:
        key = settings.audit_key.get_secret_value().strip().encode("utf-8")
        source = "MATCHER_AUDIT_KEY"
    elif settings.audit_key_file is not None:
        key = _read_file(settings.audit_key_file)
        source = f"MATCHER_AUDIT_KEY_FILE ({settings.audit_key_file})"
    elif settings.development:
        log.warning("no audit key set: the audit chain is keyed with the published development key (MATCHER_DEVELOPMENT=1)")
        return DEVELOPMENT_KEY
    else:
        raise AuditKeyError(
            "No audit key: set MATCHER_AUDIT_KEY (at least 32 characters, for example the output of "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`) or MATCHER_AUDIT_KEY_FILE (a file holding it), "
            "and keep it outside the database and its backups. MATCHER_DEVELOPMENT=1 starts without one, for development only."
        )
    if len(key) < MIN_KEY_BYTES:
        raise AuditKeyError(f"The audit key from {source} has {len(key)} bytes; it needs at least {MIN_KEY_BYTES}.")
    if key == DEVELOPMENT_KEY:
        raise AuditKeyError(f"The audit key from {source} is the published development key; choose a secret one.")
    return key


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except OSError as error:
        raise AuditKeyError(f"MATCHER_AUDIT_KEY_FILE {path} cannot be read: {error.strerror or error}.") from None
