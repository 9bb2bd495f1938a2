"""A double-blind oral antidepressant and its matching placebo pill (protocol format), and
what the expectancy model does with them."""

from __future__ import annotations

import numpy as np
import pytest

from moodtwin.errors import ValidationError
from moodtwin.model import default_model
from moodtwin.protocols import compile_protocol, parse_protocol
from moodtwin.trials import parse_trial, run_trial

MODEL = default_model()
INPUTS = [i.name for i in MODEL.inputs]


def _pill(**flags: object) -> dict:
    return {"name": "pill", "duration": "8 week",
            "therapies": [{"type": "oral_antidepressant", **flags}]}


def _input(protocol: dict, name: str, p_active: float | None = None) -> np.ndarray:
    tl = compile_protocol(parse_protocol(protocol), MODEL, MODEL.defaults(), p_active=p_active)
    return tl.u[:, INPUTS.index(name)]


def test_a_placebo_pill_has_no_pharmacology_and_is_believed_at_the_allocation_share():
    assert _input(_pill(placebo=True), "oral_ad", 0.5).max() == 0.0
    assert _input(_pill(placebo=True), "belief_blind", 0.5).max() == pytest.approx(0.5)
    assert _input(_pill(placebo=True), "belief_known", 0.5).max() == 0.0
    # open label, a placebo pill is known inactive
    assert _input(_pill(placebo=True), "belief_known").max() == 0.0


def test_a_blinded_pill_acts_and_is_believed_at_the_allocation_share():
    assert _input(_pill(blinded=True), "oral_ad", 2 / 3).max() == 1.0
    assert _input(_pill(blinded=True), "belief_blind", 2 / 3).max() == pytest.approx(2 / 3)
    assert _input(_pill(blinded=True), "belief_known", 2 / 3).max() == 0.0
    # the default pill is known active even inside a blinded trial (TRANSFORM-2's new
    # antidepressant beside a blinded spray)
    assert _input(_pill(), "belief_known", 0.5).max() == 1.0


def _rct(active: dict, control: dict) -> dict:
    return {"name": "ssri vs placebo", "n": 40, "duration": "8 week",
            "visits": ["4 week", "8 week"], "scale": "HAMD17",
            "arms": [{"name": "ssri", "protocol": _pill(**active)},
                     {"name": "placebo", "protocol": _pill(**control)}],
            "endpoints": [{"type": "mean_change", "at": "8 week"}]}


def test_a_trial_against_a_placebo_pill_is_double_blind_with_blinded_raters():
    trial = parse_trial(_rct({"blinded": True}, {"placebo": True}))
    assert trial.p_active() == pytest.approx(0.5)
    assert not any(trial.rater_knows_active(a) for a in trial.arms)
    res = run_trial(trial, seed=1)
    d = res.first
    k = [o.name for o in d.model.observables].index("belief")
    arm = d.patients["arm"].to_numpy()
    first = d.latent[:, 0, k]  # belief at the first saved time, before any drug effect
    for a in ("ssri", "placebo"):
        assert abs(first[arm == a].mean() - 0.5) < 0.02


def test_a_known_active_pill_against_a_placebo_pill_is_refused_in_one_line():
    with pytest.raises(ValidationError) as exc:
        parse_trial(_rct({}, {"placebo": True}))
    msg = str(exc.value)
    assert "\n" not in msg and "'ssri'" in msg and "blinded: true" in msg


@pytest.mark.parametrize("flag", ["placebo", "blinded"])
def test_a_blinded_or_placebo_pill_cannot_be_stopped(flag: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_protocol(_pill(**{flag: True, "action": "stop"}))
    msg = str(exc.value)
    assert f"therapies[0].{flag}" in msg and "\n" not in msg and "start" in msg
