"""The Wat-als presets: the example scenario files, merged with their base, under Dutch names.

The pages read ``static/scenarios.json``; this module writes it from ``examples/scenarios``
(run ``python -m api.web.presets`` after changing an example). A test checks that the file
equals what this module would write, so the pages never offer a stale question.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "scenarios"
PRESETS = Path(__file__).parent / "static" / "scenarios.json"

LABELS = {
    "nijmegen-base.yaml": "Nijmegen zoals het is",
    "q1-ndw21-flexwoningen.yaml": "50 flexwoningen bij NDW21 in juni",
    "q2-half-social.yaml": "Half zoveel sociale huurwoningen",
    "q3-nareizigers-spring.yaml": "80 nareizigers in het voorjaar",
    "q4-hold-singles-in-transit.yaml": "Alleenstaanden in doorstroomlocatie tot het gezin er is",
    "waiting-first.yaml": "Langst wachtenden eerst (beleid)",
    "lookahead.yaml": "Vooruitkijken met bewaking van lang wachten (beleid)",
}


def presets() -> dict[str, Any]:
    """Every labelled example, in the order of LABELS, as the complete scenario document."""
    from matcher.simulate.scenario import resolve_document

    items = []
    for name, label in LABELS.items():
        document = resolve_document(EXAMPLES / name)
        document.pop("base", None)
        items.append({"file": name, "label": label, "scenario": json.loads(json.dumps(document, default=str))})
    return {"presets": items}


def text() -> str:
    return json.dumps(presets(), indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    PRESETS.write_text(text(), encoding="utf-8")
