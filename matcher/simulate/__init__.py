"""What-if simulation of the weekly matching over weeks and months, with Monte Carlo bands.

The API a service calls (no web code here)::

    scenario = parse_scenario(document, "request")        # or load_scenario(path); InputError names the field
    result = run_scenario(scenario, replicates=100, workers=2, progress=lambda done, total: ...)
    body = result.to_json()                                # JSON-able, NaN-free after output.to_json_text
    diff = compare(base_result, variant_result)            # paired differences per figure

``run_sweep`` runs many scenarios x replicates as one pool; ``backend="ray"`` with an
``address`` sends the tasks to a Ray cluster. See docs/simulation.md.
"""

from matcher.simulate.compare import compare
from matcher.simulate.montecarlo import SimulationResult, run_scenario, run_sweep
from matcher.simulate.scenario import Scenario, load_scenario, parse_scenario

__all__ = ["Scenario", "SimulationResult", "compare", "load_scenario", "parse_scenario", "run_scenario", "run_sweep"]
