"""Housing-matching engine for statushouders: weekly, proven-optimal, explained proposals."""

__version__ = "0.1.0"
