"""Split the simulated outcome of a design into the model's parts: run it with each part
switched off in turn (at the shipped point, no parameter ensemble) and print every
endpoint beside the full model's.

    python benchmarks/calibration/decompose_designs.py [--n 600] [--seed 0] NAME [NAME ...]

``NAME`` picks design files (``examples/trials/designs/``) by a part of their name. Parts:
expectancy (``w_expect`` = 0), the observer bias of clinicians in open trials (``rater_bias``
at its lower bound, 0.5 MADRS points: its plausible range does not reach 0), fast synaptic
potentiation (``w_pot`` = 0), restored spine synapses (``w_syn`` = 0), both (no
ketamine-class plasticity at all), the trapped habenular block at the lower end of its
relief weight (``w_lhb`` 0.05: its range does not reach 0; round 46), and a weak
experience-to-belief feedback of blinded patients (``experience_half`` at its upper bound 1.0,
round 39). Round 38's README section reads the repeated-dose designs with it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from moodtwin import ParameterSet, run_trial

DESIGNS = Path(__file__).resolve().parents[2] / "examples" / "trials" / "designs"
PARTS = {
    "full model": {},
    "no expectancy": {"w_expect": 0.0},
    "rater bias 0.5": {"rater_bias": 0.5},
    "no potentiation": {"w_pot": 0.0},
    "no synapses": {"w_syn": 0.0},
    "no plasticity": {"w_syn": 0.0, "w_pot": 0.0},
    "weak habenula": {"w_lhb": 0.05},
    "weak feedback": {"experience_half": 1.0},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="+")
    ap.add_argument("--n", type=int, default=600, help="patients per arm")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    point = ParameterSet.calibrated()
    for path in sorted(DESIGNS.glob("*.yaml")):
        if not any(n in path.name for n in args.names):
            continue
        rows: dict[str, dict[str, float]] = {}
        for part, values in PARTS.items():
            ps = point.with_values(values, source="switched off") if values else point
            s = run_trial(path, seed=args.seed, n=args.n, parameters=ps,
                          ensemble=False).summary()
            for r in s.itertuples():
                rows.setdefault(f"{r.endpoint} / {r.arm}", {})[part] = float(r.mean)
        print(f"== {path.name} (n = {args.n} per arm, seed {args.seed})")
        print(f"   {'endpoint / arm':58s}" + "".join(f"{p:>16s}" for p in PARTS))
        for label, by_part in rows.items():
            print(f"   {label[:58]:58s}" + "".join(f"{by_part[p]:16.3f}" for p in PARTS),
                  flush=True)


if __name__ == "__main__":
    main()
