"""Round 44: put the habenular fast route into the shipped set.

    python benchmarks/calibration/s44/apply_habenula.py W_POT SET.yaml OUT.yaml

``w_pot`` (the weight of fast potentiation, which carried the first day alone before the
habenular route) goes to ``W_POT``, the minimum of its chi-square profile with the route in
place, jointly with the untrapping time held in the definition (``profile_w_pot.py``,
``probe.md``); every ensemble member's value is scaled by the same
factor, so the members keep their spread. ``w_lhb`` is then conditioned on An et al. 2021 at
the new point (``calibration._sources.condition_w_lhb``) and fixed in every member; the model
definition (``model/mechanisms/habenula.py``) must carry the same value, as for ``w_5ht``.
Deterministic; about a minute.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from moodtwin.calibration._sources import AN_2021, condition_w_lhb, esketamine_first_dose
from moodtwin.parameter_sets import ParameterSet


def main(w_pot: float, source: Path, out: Path) -> None:
    doc = yaml.safe_load(source.read_text())
    old = float(doc["parameters"]["w_pot"]["value"])
    base = ParameterSet.load(source).with_values({"w_pot": w_pot})
    w_lhb = round(condition_w_lhb(base, progress=print), 4)
    early, day1 = esketamine_first_dose(base.with_values({"w_lhb": w_lhb}))
    print(f"w_pot {old} -> {w_pot}; w_lhb {w_lhb}: esketamine minus placebo {early:.2f} MADRS "
          f"at {AN_2021['hours']:g} h, {day1:.2f} at 24 h (An 2021: 6.16 and 9.96)")
    held = ParameterSet.definition().values["w_lhb"]
    if held != w_lhb:
        raise SystemExit(f"the model definition holds w_lhb {held}, derived here {w_lhb}: "
                         "update model/mechanisms/habenula.py first")
    doc["parameters"]["w_pot"] = {
        "value": w_pot,
        "source": ("calibrated to 42 published targets by a chi-square profile at the shipped "
                   "point (round 44, jointly with tau_lhb_untrap, with the habenular route in "
                   "place; 4 replicates, seed 0, w_lhb conditioned again at each value): the "
                   "smallest strict-|z| chi-square, flat within 2 between 0.6 and 1.2 "
                   f"(benchmarks/calibration/s44/probe.md); {old} before, from moodtwin "
                   "calibrate (ABC-SMC, seed 37)")}
    for member in doc.get("ensemble", []):
        member["w_pot"] = round(float(member["w_pot"]) * w_pot / old, 6)
        member["w_lhb"] = w_lhb
    cond = doc.setdefault("calibration", {}).setdefault("conditioned_on_sources", {})
    cond["w_lhb"] = w_lhb
    cond["esketamine_minus_placebo_madrs_4h_24h"] = [round(early, 3), round(day1, 3)]
    if AN_2021["source"] not in cond.setdefault("sources", []):
        cond["sources"].append(AN_2021["source"])
    cond["w_lhb_command"] = ("python benchmarks/calibration/s44/apply_habenula.py "
                             f"{w_pot:g} {source} {out}")
    out.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100))
    print(f"wrote {out}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: apply_habenula.py W_POT SET.yaml OUT.yaml")
    main(float(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
