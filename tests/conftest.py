"""Shared by every test: the project root on the path, and an audit key for the service.

The service refuses to start without an audit key (``api.audit_key``). The tests set one in
the environment, so the apps they make, the commands they run and the servers they start as
processes all key the audit chain with it.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

TEST_AUDIT_KEY = "test-audit-key-0123456789abcdef0123456789abcdef"
os.environ.setdefault("MATCHER_AUDIT_KEY", TEST_AUDIT_KEY)
