"""Where the solver's steps go: steps per patient-year of the peer benchmark's protocol (52
weeks of VNS titration, weekly rating visits), with and without its weekly visits, and with
a slower engagement rise at each visit.

Step counts are the kernel's own counters (no timing), so they do not depend on the
machine's load. Each rating visit is a review: a one-hour pulse that raises engagement at
``k_engage`` (background mechanism), which the adaptive solver must resolve.

    python benchmarks/bench_steps.py [--patients 60]

Research software, not medical advice.
"""

from __future__ import annotations

import argparse
import copy

import numpy as np
import peers

from moodtwin.protocols import parse_protocol
from moodtwin.simulation import run_engine
from moodtwin.solver import STATS


def steps_per_patient_year(protocol: dict, patients: int,
                           overrides: dict[str, float]) -> dict[str, float]:
    """Solver work counters per patient-year for ``protocol`` with parameter ``overrides``."""
    s = peers.prepare(patients, parse_protocol(protocol))
    table = s.table.copy()
    for name, value in overrides.items():
        table[:, s.model.parameter_index[name]] = value
    y0 = run_engine(s.model, table, s.timeline, np.array([0.0]), s.options)[0][:, 0, :]
    stats = np.zeros((patients, len(STATS)), dtype=np.int64)
    run_engine(s.model, table, s.timeline, s.save_t, s.options, y0=y0, stats=stats)
    return dict(zip(STATS, stats.sum(axis=0) / (patients * s.years), strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=60)
    args = parser.parse_args()
    no_visits = copy.deepcopy(peers.DEFAULT_PROTOCOL)
    no_visits.pop("visits")
    cases = [("weekly rating visits (the benchmark)", peers.DEFAULT_PROTOCOL, {}),
             ("weekly visits, engagement rising at 1/h instead of k_engage",
              peers.DEFAULT_PROTOCOL, {"k_engage": 1.0}),
             ("no rating visits", no_visits, {})]
    for label, protocol, over in cases:
        w = steps_per_patient_year(protocol, args.patients, over)
        print(f"{label}: {w['steps']:.0f} steps, {w['rejected']:.0f} rejected, "
              f"{w['rhs_evaluations']:.0f} right-hand sides per patient-year")


if __name__ == "__main__":
    main()
