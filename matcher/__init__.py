"""Housing-matching engine for statushouders: weekly, proven-optimal, explained proposals.

The public API, in pipeline order::

    instance = matcher.load_instance(households_csv, units_csv, policy_json)  # or build_instance(rows...)
    result = matcher.solve(instance)              # or strategy="fifo"
    proposal = result.proposal(lang="nl")         # proposal/v1, with explanations
    problems = matcher.check_proposal(instance, proposal.model_dump(mode="json"))

``matcher.propose(instance)`` does the last two steps at once. Names are loaded on first
use, so ``import matcher`` stays cheap for a command that only prints its help.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from matcher.errors import InputError
    from matcher.explain.proposal import Proposal
    from matcher.input.instance import Instance, build_instance, load_instance
    from matcher.pipeline import Result, check_instance, propose, solve
    from matcher.validate import check_proposal

_EXPORTS = {
    "InputError": "matcher.errors",
    "Proposal": "matcher.explain.proposal",
    "Instance": "matcher.input.instance",
    "build_instance": "matcher.input.instance",
    "load_instance": "matcher.input.instance",
    "Result": "matcher.pipeline",
    "propose": "matcher.pipeline",
    "check_instance": "matcher.pipeline",
    "solve": "matcher.pipeline",
    "check_proposal": "matcher.validate",
}
__all__ = ["InputError", "Instance", "Proposal", "Result", "__version__", "build_instance", "check_instance", "check_proposal",
           "load_instance", "propose", "solve"]  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'matcher' has no attribute {name!r}")
