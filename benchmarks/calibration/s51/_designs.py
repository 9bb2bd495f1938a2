"""Design files of ``examples/trials/designs`` with other endpoints (round 51 probes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from moodtwin import Trial
from moodtwin.trials._schema import parse_trial
from moodtwin.yaml_files import read_yaml

DESIGNS = Path(__file__).resolve().parents[3] / "examples" / "trials" / "designs"


def design(stem: str, n: int, endpoints: list[dict[str, Any]], keep: bool = False,
           edit: Callable[[dict[str, Any]], None] | None = None) -> Trial:
    """The design file ``stem`` with ``n`` patients and ``endpoints`` (added to the file's own
    with ``keep``, else instead of them); ``edit`` changes the file's mapping in place
    before it is parsed."""
    path = DESIGNS / f"{stem}.yaml"
    raw = read_yaml(path, "trial file")
    raw["n"] = n
    raw["endpoints"] = (raw["endpoints"] if keep else []) + endpoints
    if edit is not None:
        edit(raw)
    return parse_trial(raw, path.parent, str(path))


def changes(days: list[int]) -> list[dict[str, Any]]:
    """Mean change from baseline at each of ``days``."""
    return [{"id": f"change_day{d}", "type": "mean_change", "at": f"{d} d"} for d in days]


def mean(summary, endpoint: str, arm: str) -> float:
    """One row's mean of a :meth:`TrialResult.summary` table."""
    s = summary[(summary.endpoint == endpoint) & (summary.arm == arm)]
    return float(s["mean"].iloc[0])


def print_rows(parameters, label: str, replicates: int = 2) -> None:
    """Validate ``parameters`` at their point values (``replicates``, seed 0) and print the
    pass count and chi-square after ``label``, then every numeric row."""
    from moodtwin import validate
    from moodtwin.calibration import chi_square

    table = validate(parameters=parameters, replicates=replicates, seed=0, ensemble=False)
    print(f"{label}: pass {int(table['pass'].sum())}/{len(table)} {chi_square(table)}",
          flush=True)
    for r in table.to_dict("records"):
        if not r["claim"]:
            print(f"  {r['target'][:60]:60s} pub {float(r['published']):8.3f} "
                  f"sim {r['simulated']:8.3f} z {r['z']:6.2f}"
                  f"{'' if r['pass'] else '  FAIL'}", flush=True)


def probe_set(path: str, values: list[str]):
    """The parameter set at ``path`` with the probe's ``NAME=VALUE`` overrides (printed)."""
    from moodtwin import ParameterSet

    ps = ParameterSet.load(path)
    if values:
        ps = ps.with_values({k: float(v) for k, v in (s.split("=", 1) for s in values)},
                            source="probe")
    print(values, flush=True)
    return ps
