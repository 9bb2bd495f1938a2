"""Every example protocol loads, compiles, and puts its events where its description says.

Compilation only: no simulation is run here, so the file stays fast.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moodtwin.model import default_model
from moodtwin.protocols import Timeline, compile_protocol, load_protocol

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "protocols"
NAMES = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
DAY, WEEK = 24.0, 168.0

MODEL = default_model()
PARAMS = MODEL.defaults()


def _compile(name: str) -> Timeline:
    return compile_protocol(load_protocol(EXAMPLES / f"{name}.yaml"), MODEL, PARAMS)


def _jump_times(tl: Timeline, state: str) -> np.ndarray:
    """Times of the segments entered with a non-zero jump in ``state``."""
    column = tl.jump[:, MODEL.state_index[state]]
    return tl.t[:-1][column != 0.0]


def _input(tl: Timeline, name: str, t_h: float) -> float:
    """Value of input ``name`` on the segment containing ``t_h``."""
    k = int(np.searchsorted(tl.t, t_h, side="right")) - 1
    return float(tl.u[k, MODEL.input_index[name]])


def _onsets(tl: Timeline, name: str) -> np.ndarray:
    """Times where input ``name`` switches from 0 to non-zero."""
    x = tl.u[:, MODEL.input_index[name]]
    prev = np.concatenate([[0.0], x[:-1]])
    return tl.t[:-1][(x != 0.0) & (prev == 0.0)]


def test_all_expected_examples_exist() -> None:
    expected = {
        "no_treatment", "ketamine_single_iv", "ketamine_repeated_iv", "midazolam_active_placebo",
        "esketamine_twice_weekly", "vns_standard", "tavns_daily", "tavns_sham",
        "botulinum_glabellar", "combination_vns_ketamine",
    }
    assert expected <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_example_loads_and_compiles(name: str) -> None:
    protocol = load_protocol(EXAMPLES / f"{name}.yaml")
    assert protocol.name
    assert len(protocol.description) > 80, "description should cite the trial design"
    tl = compile_protocol(protocol, MODEL, PARAMS)
    end = protocol.duration_h()
    assert tl.t[0] == 0.0 and tl.t[-1] == pytest.approx(end)
    assert np.all(np.diff(tl.t) > 0)
    assert tl.u.shape == (len(tl.t) - 1, len(MODEL.inputs))
    assert tl.jump.shape == (len(tl.t) - 1, len(MODEL.states))
    assert np.all(np.isfinite(tl.u)) and np.all(np.isfinite(tl.jump))
    assert np.all((tl.dose_times >= 0) & (tl.dose_times < end))


def test_no_treatment() -> None:
    tl = _compile("no_treatment")
    np.testing.assert_array_equal(tl.t, [0.0, 52 * WEEK])
    assert not tl.jump.any()
    assert tl.dose_times.size == 0
    assert _input(tl, "oral_ad", 0.0) == 0.0
    assert tl.baseline_inputs[MODEL.input_index["oral_ad"]] == 0.0


def test_ketamine_single_iv() -> None:
    tl = _compile("ketamine_single_iv")
    np.testing.assert_allclose(_onsets(tl, "contact"), [0.0])
    assert _input(tl, "ketamine_rate", 0.1) == pytest.approx(0.5 / (40 / 60))
    assert _input(tl, "ketamine_rate", 1.0) == 0.0


def test_ketamine_repeated_iv_six_infusions() -> None:
    tl = _compile("ketamine_repeated_iv")
    days = np.array([0, 2, 4, 7, 9, 11]) * DAY
    np.testing.assert_allclose(tl.dose_times, days)
    np.testing.assert_allclose(_onsets(tl, "contact"), days)  # one contact per infusion
    np.testing.assert_allclose(_onsets(tl, "ketamine_rate"), days)
    rate = tl.u[:, MODEL.input_index["ketamine_rate"]]
    np.testing.assert_allclose(rate[rate > 0], 0.5 / (40 / 60))  # mg/kg/h
    # total delivered = 6 x 0.5 mg/kg
    assert float(np.sum(rate * np.diff(tl.t))) == pytest.approx(3.0)


def test_midazolam_active_placebo_gives_no_ketamine() -> None:
    tl = _compile("midazolam_active_placebo")
    np.testing.assert_allclose(tl.dose_times, [0.0])
    np.testing.assert_allclose(_onsets(tl, "contact"), [0.0])
    assert not tl.u[:, MODEL.input_index["ketamine_rate"]].any()
    assert tl.t[-1] == pytest.approx(4 * WEEK)


def test_esketamine_twice_weekly_at_labelled_days() -> None:
    tl = _compile("esketamine_twice_weekly")
    days = np.array([0, 3, 7, 10, 14, 17, 21, 24]) * DAY
    np.testing.assert_allclose(tl.dose_times, days)
    np.testing.assert_allclose(_jump_times(tl, "esk_nasal"), days)
    np.testing.assert_allclose(_jump_times(tl, "esk_swallowed"), days)
    np.testing.assert_allclose(_onsets(tl, "contact"), days)
    # the same 56 mg dose each session
    nasal = tl.jump[:, MODEL.state_index["esk_nasal"]]
    np.testing.assert_allclose(nasal[nasal > 0], nasal[nasal > 0][0])
    # newly started oral antidepressant: off before baseline, on from day 0
    assert tl.baseline_inputs[MODEL.input_index["oral_ad"]] == 0.0
    assert np.all(tl.u[:, MODEL.input_index["oral_ad"]] == 1.0)


def _check_vns_titration(tl: Timeline) -> None:
    steps = {2: 0.25, 4: 0.5, 6: 0.75, 8: 1.0, 10: 1.25}
    assert _input(tl, "vns_current", 1 * WEEK) == 0.0  # implanted, not yet switched on
    assert _input(tl, "vns_duty", 1 * WEEK) == 0.0
    for week, mA in steps.items():
        assert _input(tl, "vns_current", week * WEEK) == pytest.approx(mA)
        assert _input(tl, "vns_current", (week + 2) * WEEK - 1.0) == pytest.approx(mA)
    assert _input(tl, "vns_current", 51 * WEEK) == pytest.approx(1.25)
    assert _input(tl, "vns_duty", 2 * WEEK) == pytest.approx(30 / 330)
    assert _input(tl, "vns_duty", 51 * WEEK) == pytest.approx(30 / 330)
    assert _input(tl, "vns_pulse_width", 3 * WEEK) == pytest.approx(250.0)
    assert _input(tl, "vns_frequency", 3 * WEEK) == pytest.approx(20.0)
    assert tl.baseline_inputs[MODEL.input_index["oral_ad"]] == 1.0  # continued
    assert np.all(tl.u[:, MODEL.input_index["oral_ad"]] == 1.0)


def test_vns_standard_titration_and_duty() -> None:
    tl = _compile("vns_standard")
    _check_vns_titration(tl)
    np.testing.assert_allclose(tl.dose_times, [0.0])  # the implant
    # implant, then switch-on with the first step and the programming visit of each step
    np.testing.assert_allclose(_onsets(tl, "contact"), [0.0, *(w * WEEK for w in (2, 4, 6, 8, 10))])
    assert tl.t[-1] == pytest.approx(52 * WEEK)


def test_combination_vns_plus_ketamine() -> None:
    tl = _compile("combination_vns_ketamine")
    _check_vns_titration(tl)
    np.testing.assert_allclose(tl.dose_times, [0.0, 4 * WEEK])  # implant, infusion
    # implant, switch-on, programming visits (the infusion at week 4 shares one)
    np.testing.assert_allclose(_onsets(tl, "contact"), [0.0, *(w * WEEK for w in (2, 4, 6, 8, 10))])
    np.testing.assert_allclose(_onsets(tl, "ketamine_rate"), [4 * WEEK])
    assert _input(tl, "ketamine_rate", 4 * WEEK + 0.5) == pytest.approx(0.75)
    assert _input(tl, "ketamine_rate", 4 * WEEK + 1.0) == 0.0


@pytest.mark.parametrize("name", ["tavns_daily", "tavns_sham"])
def test_tavns_session_count(name: str) -> None:
    tl = _compile(name)
    onsets = _onsets(tl, "tavns_on")
    assert onsets.size == 2 * 5 * 12
    # self-administered at home after a trained first session (Rong et al. 2016): only the
    # first session is a contact with the care team
    np.testing.assert_allclose(_onsets(tl, "contact"), onsets[:1])
    weekday = (onsets // DAY) % 7
    assert np.all(weekday < 5)  # five days a week
    assert set(np.round(onsets % DAY, 6)) == {8.0, 20.0}  # two sessions a day
    k = int(np.searchsorted(tl.t, onsets[0]))
    assert tl.t[k + 1] - tl.t[k] == pytest.approx(0.5)  # 30 min
    assert _input(tl, "tavns_frequency", onsets[0]) == pytest.approx(20.0)
    assert _input(tl, "tavns_pulse_width", onsets[0]) == pytest.approx(250.0)
    expected_current = 0.0 if name == "tavns_sham" else 4.0
    assert _input(tl, "tavns_current", onsets[0]) == pytest.approx(expected_current)


def test_botulinum_glabellar_single_29_units() -> None:
    protocol = load_protocol(EXAMPLES / "botulinum_glabellar.yaml")
    assert protocol.therapies[0].total_units() == pytest.approx(29.0)
    tl = compile_protocol(protocol, MODEL, PARAMS)
    np.testing.assert_allclose(_jump_times(tl, "toxin_depot"), [0.0])
    assert tl.jump[:, MODEL.state_index["toxin_depot"]].sum() == pytest.approx(29.0)
    np.testing.assert_allclose(_onsets(tl, "contact"), [0.0])
    assert tl.baseline_inputs[MODEL.input_index["oral_ad"]] == 1.0
    assert tl.t[-1] == pytest.approx(24 * WEEK)


def test_treatment_as_usual_starts_medication_and_reviews():
    from moodtwin.model import default_model
    from moodtwin.protocols import compile_protocol, parse_protocol

    m = default_model()
    p = parse_protocol({"name": "tau", "duration": "12 week",
                        "therapies": [{"type": "treatment_as_usual", "review_every": "4 week"}]})
    tl = compile_protocol(p, m, m.defaults())
    assert (tl.u[:, m.input_index["oral_ad"]] == 1.0).all()
    def onsets(name: str) -> np.ndarray:
        x = tl.u[:, m.input_index[name]]
        return tl.t[:-1][(x != 0.0) & (np.concatenate([[0.0], x[:-1]]) == 0.0)]

    np.testing.assert_allclose(onsets("contact"), [0.0])  # usual care is set up
    np.testing.assert_allclose(onsets("review"), [4 * WEEK, 8 * WEEK])  # two reviews
    assert (tl.u[:, m.input_index["belief_known"]] == 1.0).all()  # known active, open label
