"""What-if simulation of the weekly matching over weeks and months, with Monte Carlo bands."""
