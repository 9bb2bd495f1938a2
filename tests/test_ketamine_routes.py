"""Racemic ketamine by intramuscular, subcutaneous, intranasal and oral routes, and
intravenous esketamine: plasma profiles against the published human pharmacokinetics, and
the protocol fields' errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import moodtwin as mt
from moodtwin.errors import ProtocolError, ValidationError
from moodtwin.model import default_model
from moodtwin.protocols import compile_protocol, parse_protocol

MODEL = default_model()
FINE = np.arange(0.0, 24.0 + 1e-9, 1.0 / 60.0)  # one-minute grid over a day (h)


def _profile(therapy: dict[str, Any], weight: float | None = None) -> mt.Result:
    protocol = parse_protocol({"name": "pk", "duration": "2 d", "therapies": [therapy]})
    params = None if weight is None else {"body_weight": weight}
    return mt.simulate(protocol, params, save_times_h=FINE)


def _peak(r: mt.Result, name: str) -> tuple[float, float]:
    """(height, time in h) of the peak of ``name``."""
    c = r[name][0]
    return float(c.max()), float(r.t[int(c.argmax())])


def _auc(r: mt.Result, name: str) -> float:
    return float(np.trapezoid(r[name][0], r.t))


def test_intranasal_50_mg_peaks_as_in_depressed_patients() -> None:
    # Pharmacotherapy 2022;42:298, Table 6: 50 mg intranasal racemic ketamine, Cmax 77.6
    # ng/mL (geometric SD 2.29), Tmax 16 min (SD 4.4 min), bioavailability 11 % (13 % at 30 mg).
    r = _profile({"type": "ketamine", "route": "intranasal", "dose": "50 mg", "at": ["0 d"]})
    height, when = _peak(r, "ketamine_conc")
    assert 77.6 / 2.29 <= height <= 77.6 * 2.29
    assert 16.0 - 2 * 4.4 <= when * 60.0 <= 16.0 + 2 * 4.4
    iv = _profile({"type": "ketamine_iv", "dose": "0.5 mg/kg", "at": ["0 d"]})
    f = (_auc(r, "ketamine_conc") / 50.0) / (_auc(iv, "ketamine_conc") / 35.0)
    assert 0.08 <= f <= 0.17  # 11-17 % across 50, 30 and 10 mg


def test_oral_25_mg_gives_the_published_ketamine_and_norketamine_peaks() -> None:
    # Chong et al. 2006 Pain Med 7:469: 25 mg oral, ketamine Cmax 22.8 +- 12.8 ng/mL at
    # 0.96 +- 0.8 h; norketamine Cmax 82 +- 34 ng/mL at 1.6 +- 0.9 h; bioavailability 23 +- 9 %.
    r = _profile({"type": "ketamine", "route": "oral", "dose": "25 mg", "at": ["0 d"]})
    height, when = _peak(r, "ketamine_conc")
    assert 22.8 - 12.8 <= height <= 22.8 + 12.8
    assert 0.96 - 0.8 <= when <= 0.96 + 0.8
    nk_height, nk_when = _peak(r, "norketamine_conc")
    assert 82.0 - 34.0 <= nk_height <= 82.0 + 34.0
    assert 1.6 - 0.9 <= nk_when <= 1.6 + 0.9
    iv = _profile({"type": "ketamine_iv", "dose": "0.5 mg/kg", "at": ["0 d"]})
    f = (_auc(r, "ketamine_conc") / 25.0) / (_auc(iv, "ketamine_conc") / 35.0)
    assert 0.23 - 0.09 <= f <= 0.23 + 0.09
    # oral ketamine is mostly norketamine: its exposure exceeds the parent's (Chong: 82 vs 22.8)
    assert nk_height > 2.0 * height


def test_intramuscular_injection_peaks_within_minutes_at_most_of_the_iv_exposure() -> None:
    # Standard references after Clements et al. 1982: IM bioavailability 93 %, peak 5-15 min.
    im = _profile({"type": "ketamine", "route": "intramuscular", "dose": "0.5 mg/kg",
                   "at": ["0 d"]})
    iv = _profile({"type": "ketamine_iv", "dose": "0.5 mg/kg", "at": ["0 d"]})
    assert 5.0 <= _peak(im, "ketamine_conc")[1] * 60.0 <= 15.0
    assert _auc(im, "ketamine_conc") / _auc(iv, "ketamine_conc") == pytest.approx(0.93, abs=0.03)


def test_intravenous_esketamine_makes_the_nasal_spray_about_half_bioavailable() -> None:
    # SPRAVATO prescribing information (Janssen 2019, section 12.3): mean absolute
    # bioavailability of nasal esketamine about 48 %. The nasal model (Perez-Ruixo et al.
    # 2021) meets an IV infusion of the same dose in the central compartment.
    iv = _profile({"type": "esketamine_iv", "dose": "0.8 mg/kg", "at": ["0 d"]})  # 56 mg
    nasal = _profile({"type": "esketamine_nasal", "dose": "56 mg", "at": ["0 d"]})
    f = _auc(nasal, "esketamine_conc") / _auc(iv, "esketamine_conc")
    assert 0.38 <= f <= 0.58
    assert float(iv["ketamine_conc"].max()) == 0.0


def test_a_dose_in_mg_per_kg_follows_the_patients_weight_and_a_fixed_dose_does_not() -> None:
    per_kg = {"type": "ketamine", "route": "subcutaneous", "dose": "0.5 mg/kg", "at": ["0 d"]}
    fixed = {"type": "ketamine", "route": "subcutaneous", "dose": "35 mg", "at": ["0 d"]}

    def depot(therapy: dict[str, Any], weight: float) -> float:  # mg at the injection site
        return float(_profile(therapy, weight)["ket_injection"].max())

    assert depot(per_kg, 70.0) == pytest.approx(depot(fixed, 70.0), rel=1e-6)
    assert depot(per_kg, 100.0) == pytest.approx(depot(per_kg, 70.0) * 100 / 70, rel=1e-6)
    assert depot(fixed, 100.0) == pytest.approx(depot(fixed, 70.0), rel=1e-6)


def test_a_placebo_dose_delivers_no_ketamine_but_is_a_treatment_contact() -> None:
    r = _profile({"type": "ketamine", "route": "intranasal", "dose": "50 mg", "at": ["0 d"],
                  "placebo": True})
    assert float(r["ketamine_conc"].max()) == 0.0
    assert float(r["engagement"].max()) > 0.5


def _error(therapy: dict[str, Any], error: type[Exception] = ValidationError) -> str:
    with pytest.raises(error) as info:
        compile_protocol(parse_protocol({"name": "t", "duration": "4 week",
                                         "therapies": [therapy]}), MODEL, MODEL.defaults())
    msg = str(info.value)
    assert "\n" not in msg
    return msg


@pytest.mark.parametrize(("route", "dose", "words"), [
    ("oral", "900 mg", ["dose", "'900 mg'", "5–500 mg", "oral"]),
    ("intramuscular", "2 mg/kg", ["dose", "'2 mg/kg'", "0.05–1 mg/kg", "intramuscular"]),
    ("intranasal", "50 ml", ["dose", "'50 ml'", "mg/kg or mg"]),
    ("oral", "50", ["dose", "no unit"]),
    ("oral", "0,5 mg/kg", ["dose", "decimal point"]),
])
def test_a_bad_dose_names_the_field_the_value_and_the_route_range(
        route: str, dose: str, words: list[str]) -> None:
    msg = _error({"type": "ketamine", "route": route, "dose": dose, "at": ["0 d"]})
    for w in words:
        assert w in msg, msg


def test_an_unknown_route_lists_the_routes_and_intravenous_points_to_ketamine_iv() -> None:
    msg = _error({"type": "ketamine", "route": "rectal", "dose": "50 mg", "at": ["0 d"]})
    assert "route" in msg and "intranasal" in msg and "oral" in msg, msg
    msg = _error({"type": "ketamine", "route": "intravenous", "dose": "0.5 mg/kg", "at": ["0 d"]})
    assert "ketamine_iv" in msg, msg


def test_an_active_dose_needs_a_dose_and_a_placebo_does_not() -> None:
    msg = _error({"type": "ketamine", "route": "oral", "at": ["0 d"]})
    assert "dose" in msg and "placebo" in msg, msg
    r = _profile({"type": "ketamine", "route": "oral", "placebo": True, "at": ["0 d"]})
    assert float(r["ket_gut"].max()) == 0.0


def test_overlapping_ketamine_doses_are_refused_when_the_file_loads_or_compiles() -> None:
    msg = _error({"type": "ketamine", "route": "oral", "dose": "50 mg", "at": ["0 d", "2 min"]})
    assert "at" in msg and "overlap" in msg and "0.03333 h" in msg, msg
    two = [{"type": "ketamine", "route": "oral", "dose": "50 mg", "at": ["1 d"]},
           {"type": "ketamine", "route": "intranasal", "dose": "50 mg", "at": ["1 d"]}]
    with pytest.raises(ProtocolError, match="overlap"):
        compile_protocol(parse_protocol({"name": "t", "duration": "4 week", "therapies": two}),
                         MODEL, MODEL.defaults())
