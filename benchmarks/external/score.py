"""Score the model out of sample: the design examples (``examples/trials/designs/``, never
fitted, no published values in the files) against the published values read from their
papers (``published.yaml`` beside this script, each with its quote and address).

    python benchmarks/external/score.py [--params SET.yaml] [--replicates 5] [--seed 0]
        [--out DIR] [--published FILE] [--point] [--set NAME=VALUE ...] [NAME ...]

Each design runs as a new user would run it (``moodtwin trial``: the set's posterior
ensemble across replicates; ``--point`` or ``--set`` for the point values) and is compared
as :func:`moodtwin.validate` does, so every number gets the calibration's pass rule (issue
14: ``z = (simulated - published) / sqrt(se_pub^2 + se_sim^2)``, ``|z| <= 1.96``) and the
total chi-square. Beside it the script reports
whether the published value lies inside the 95 % prediction interval that ``trial`` prints
for a new trial of the design (``new trial [a, b]``): the interval's coverage out of sample.

The published values are written into temporary copies of the design files (``role:
validation``), next to the originals so their relative protocol paths resolve; the copies
are removed afterwards. ``NAME`` picks designs by a part of their file name.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from moodtwin import ParameterSet, run_trial
from moodtwin.calibration import chi_square
from moodtwin.calibration._targets import collect_targets, validation_table
from moodtwin.heterogeneity import of_set

HERE = Path(__file__).resolve().parent
DESIGNS = HERE.parents[1] / "examples" / "trials" / "designs"
_FIELDS = ("value", "ci", "se", "sd", "n")


def published_values(path: Path = HERE / "published.yaml") -> dict[str, list[dict]]:
    """The recorded published values, grouped by design file name."""
    by_design: dict[str, list[dict]] = defaultdict(list)
    for row in yaml.safe_load(path.read_text()) or []:
        by_design[row["design"]].append(row)
    return by_design


def with_published(design: Path, rows: list[dict]) -> dict:
    """The design file's content with ``rows`` written in as published values (role
    validation). A comparison endpoint (arm ``A vs B``) takes one value; an arm endpoint
    one value per arm."""
    spec = yaml.safe_load(design.read_text())
    spec["role"] = "validation"
    endpoints = {e["id"]: e for e in spec["endpoints"]}
    for row in rows:
        e = endpoints[row["endpoint"]]
        value = {k: row[k] for k in _FIELDS if row.get(k) is not None}
        value["source"] = row["source"]
        if " vs " in str(row["arm"]):
            e["published"] = value
        else:
            e.setdefault("published", {})[row["arm"]] = value
    return spec


def score(design: Path, ps: ParameterSet, replicates: int, seed: int, ensemble: bool
          ) -> pd.DataFrame:
    """The validation table of one design file with published values (one run), with
    ``new_trial_covers``: whether the published value lies inside the prediction interval
    ``trial`` prints for a new trial of the design."""
    targets = collect_targets([design], require=True)
    result = run_trial(targets[0].trial, seed=seed, replicates=replicates, parameters=ps,
                       ensemble=ensemble)
    table = validation_table(targets, {design: result})
    s = result.summary()
    covered = []
    for r in table.itertuples():
        row = s[(s["endpoint"] == r.endpoint) & (s["arm"] == r.arm)]
        ok = not row.empty and not r.claim
        covered.append(ok and float(row["new_trial_low"].iloc[0]) <= float(r.published)
                       <= float(row["new_trial_high"].iloc[0]))
    table["new_trial_covers"] = covered
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*")
    ap.add_argument("--params", type=Path, default=None)
    ap.add_argument("--replicates", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument("--published", type=Path, default=HERE / "published.yaml")
    ap.add_argument("--point", action="store_true",
                    help="the set's point values only (no posterior ensemble)")
    ap.add_argument("--set", dest="values", action="append", default=[],
                    metavar="NAME=VALUE", help="override a value (a probe; implies --point)")
    a = ap.parse_args()
    ps = ParameterSet.load(a.params) if a.params else ParameterSet.calibrated()
    if a.values:
        ps = ps.with_values({k: float(v) for k, v in (x.split("=", 1) for x in a.values)},
                            source="probe")
    ensemble = not (a.point or a.values)
    tau, origin = of_set(ps)
    print(f"heterogeneity of the new-trial interval: {tau:.3g} ({origin})", flush=True)
    tables = []
    for name, rows in sorted(published_values(a.published).items()):
        if a.names and not any(n in name for n in a.names):
            continue
        design = DESIGNS / name
        spec = with_published(design, rows)
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix=".scored_", dir=DESIGNS,
                                         delete=False) as f:
            yaml.safe_dump(spec, f, sort_keys=False)
        tmp = Path(f.name)
        try:
            t = score(tmp, ps, a.replicates, a.seed, ensemble)
        finally:
            tmp.unlink()
        t["design"] = name
        t["target"] = [f"{name[:-5]}/{e}/{arm}" for e, arm in zip(t["endpoint"], t["arm"],
                                                                   strict=True)]
        t["therapy"] = name.split("_")[0]
        tables.append(t)
        for _, r in t.iterrows():
            print(f"  {name[:-5]:44s} {r['endpoint']:30s} {r['arm']:32s} pub "
                  f"{r['published']!s:>8s} sim {r['simulated']:8.3g} z {r['z']:6.2f} "
                  f"{'pass' if r['pass'] else 'FAIL'} "
                  f"{'in' if r['new_trial_covers'] else 'out'}", flush=True)
    table = pd.concat(tables, ignore_index=True)
    a.out.mkdir(parents=True, exist_ok=True)
    tag = "_".join(a.values) or ("point" if a.point else "ensemble")
    table.to_csv(a.out / f"external_r{a.replicates}_seed{a.seed}_{tag}.csv", index=False)
    numbers = table[~table["claim"].astype(bool)]
    chi2, dof, p = chi_square(table)
    print(f"\nout of sample: {int(numbers['pass'].sum())} of {len(numbers)} published numbers "
          f"pass (|z| <= 1.96) over {table['design'].nunique()} designs; chi-square "
          f"{chi2:.1f} on {dof} d.f., p {p:.2g}; median |z| "
          f"{float(np.median(np.abs(numbers['z']))):.2f}; "
          f"new-trial interval covers {int(numbers['new_trial_covers'].sum())} of "
          f"{len(numbers)}")
    larger = np.abs(numbers["simulated"].astype(float)) > np.abs(numbers["published"].astype(float))
    print(f"simulated larger in magnitude than published in {int(larger.sum())} of "
          f"{len(numbers)}")


if __name__ == "__main__":
    main()
