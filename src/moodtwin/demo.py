"""The built-in demonstration: the reference patient under no treatment and each therapy.

The reference patient is the model with its default parameters (moderate,
treatment-resistant depression). The demo protocols are the
:data:`DEMO_ORDER` files of the packaged protocol catalogue (``moodtwin/data/protocols``,
also reachable as ``examples/protocols`` in a checkout). Every
protocol is simulated over at least 12 months so that all time points of the summary table
exist.

Research model output, not medical advice.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from moodtwin import DISCLAIMER
from moodtwin.errors import ValidationError
from moodtwin.parameter_sets import ParametersLike, resolve
from moodtwin.plotting import plot_time_courses
from moodtwin.protocols import Protocol, parse_protocol
from moodtwin.result import Result
from moodtwin.simulation import simulate, vulnerability_for_baseline
from moodtwin.units import hours

#: Summary time points (label -> hours after baseline). Months are whole weeks (13 and 52).
TIMEPOINTS_H: dict[str, float] = {
    "baseline": 0.0,
    "day 1": 24.0,
    "week 1": 7 * 24.0,
    "week 6": 6 * 7 * 24.0,
    "month 3": 13 * 7 * 24.0,
    "month 12": 52 * 7 * 24.0,
}
DEMO_DURATION = "52 week"
BASELINE_MADRS = 33.0  # moderate-severe TRD, as the VNS registry baseline (Aaronson 2017)

#: The demo protocols (file stems in the packaged catalogue), in display order.
DEMO_ORDER = ("no_treatment", "ketamine_single_iv", "esketamine_twice_weekly", "vns_standard",
              "tavns_daily", "botulinum_glabellar")

_NO_TREATMENT = {"name": "No treatment", "description": "Reference patient, untreated.",
                 "duration": DEMO_DURATION, "therapies": []}


def _protocol_files() -> dict[str, str]:
    """Demo protocol texts by file stem (those of :data:`DEMO_ORDER` that are shipped)."""
    folder = resources.files("moodtwin").joinpath("data", "protocols")
    texts = {}
    for stem in DEMO_ORDER:
        entry = folder.joinpath(f"{stem}.yaml")
        if entry.is_file():
            texts[stem] = entry.read_text(encoding="utf-8")
    return texts


def demo_protocols() -> dict[str, Protocol]:
    """The shipped demo protocols by file stem, in display order (no treatment first).

    An untreated reference protocol is added if no shipped protocol is free of therapies.
    """
    parsed: dict[str, Protocol] = {}
    for stem, text in _protocol_files().items():
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:  # pragma: no cover - shipped files are tested
            raise ValidationError(f"moodtwin:data/protocols/{stem}: not valid YAML ({exc}).") \
                from None
        parsed[stem] = parse_protocol(data, f"moodtwin:data/protocols/{stem}")
    if not any(not p.therapies for p in parsed.values()):
        parsed["no_treatment"] = parse_protocol(_NO_TREATMENT, "built-in no_treatment")
    order = [s for s in DEMO_ORDER if s in parsed]
    order += sorted(s for s in parsed if s not in DEMO_ORDER)
    return {s: parsed[s] for s in order}


def _at_least_demo_horizon(protocol: Protocol) -> Protocol:
    if protocol.duration_h() < hours(DEMO_DURATION, "duration"):
        return protocol.model_copy(update={"duration": DEMO_DURATION})
    return protocol


def madrs_table(results: dict[str, Result], names: dict[str, str] | None = None) -> pd.DataFrame:
    """Latent MADRS at :data:`TIMEPOINTS_H`; rows = protocol keys, plus a ``name`` column."""
    rows = []
    for key, r in results.items():
        end = float(r.t[-1])
        row: dict[str, object] = {"protocol": key, "name": (names or {}).get(key, key)}
        for label, h in TIMEPOINTS_H.items():
            row[label] = float(r.at("madrs", h)[0]) if h <= end + 1e-6 else float("nan")
        rows.append(row)
    return pd.DataFrame(rows).set_index("protocol")


def run_demo(out_dir: str | Path, progress: Callable[[str], None] | None = None,
             parameters: ParametersLike = None) -> pd.DataFrame:
    """Simulate the reference patient under every demo protocol and write the outputs.

    Writes under ``out_dir``: ``madrs_summary.csv`` (the returned table),
    ``timecourses/<protocol>.csv`` (one full time course per protocol),
    ``time_courses.png`` and ``time_courses.html`` (figures) and ``README.txt``.
    Returns the table: one row per protocol (index = protocol file stem), a ``name``
    column, then the latent MADRS at baseline, day 1, week 1, week 6, month 3 and month 12.
    ``progress`` receives one line per step; ``parameters``: the
    :class:`~moodtwin.ParameterSet` (default: the calibrated set).
    """
    say = progress or (lambda _msg: None)
    ps = resolve(parameters)
    out = Path(out_dir)
    (out / "timecourses").mkdir(parents=True, exist_ok=True)
    protocols = demo_protocols()
    results: dict[str, Result] = {}
    for i, (stem, protocol) in enumerate(protocols.items(), 1):
        say(f"[{i}/{len(protocols)}] simulating {protocol.name} ...")
        # The same reference patient (MADRS 33) on every background: a continued oral
        # antidepressant is part of the baseline, so vulnerability is solved per background.
        horizon = _at_least_demo_horizon(protocol)
        vulnerability = vulnerability_for_baseline(BASELINE_MADRS, horizon, parameters=ps)
        results[stem] = simulate(horizon, {"vulnerability": vulnerability}, parameters=ps)
    names = {s: p.name for s, p in protocols.items()}
    table = madrs_table(results, names)
    for stem, r in results.items():
        r.frame().to_csv(out / "timecourses" / f"{stem}.csv", index=False)
    table.to_csv(out / "madrs_summary.csv", float_format="%.2f")
    say("drawing figures ...")
    figures = plot_time_courses({names[s]: r for s, r in results.items()}, out, "time_courses")
    lines = [
        "moodtwin demo output", "", DISCLAIMER, "",
        f"Reference patient (default parameters, baseline MADRS {BASELINE_MADRS:g} on every "
        "background) under each demo protocol, simulated over "
        f"at least {DEMO_DURATION}s.", "",
        "madrs_summary.csv   latent MADRS (0-60) at baseline, day 1, week 1, week 6, month 3 "
        "(13 weeks) and month 12 (52 weeks)",
        "timecourses/*.csv   full time course per protocol (scales, observables, states)",
        *[f"{f.name:<19} figure: MADRS and mechanism observables" for f in figures],
    ]
    (out / "README.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return table


__all__ = ["TIMEPOINTS_H", "demo_protocols", "madrs_table", "run_demo"]
