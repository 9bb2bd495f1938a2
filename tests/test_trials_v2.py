"""Trial files v2: designs, analyses, endpoints and their one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from moodtwin.errors import ValidationError
from moodtwin.trials import load_trial, parse_trial, run_trial
from moodtwin.trials._report import _bands

ROOT = Path(__file__).resolve().parents[1]
TRIALS = ROOT / "examples" / "trials"
PROTOCOLS = ROOT / "examples" / "protocols"


def _trial(**over: object) -> dict:
    base = {
        "name": "test", "n": 30, "duration": "7 d", "visits": ["1 d", "7 d"],
        "population": {"antidepressant_continued": 0.0},
        "arms": [{"name": "ketamine", "protocol": "ketamine_single_iv.yaml"},
                 {"name": "midazolam", "protocol": "midazolam_active_placebo.yaml"}],
        "endpoints": [{"type": "response_rate", "at": "1 d"}],
    }
    base.update(over)
    return base


def test_responder_bars_of_one_replicate_are_wilson_within_0_100() -> None:
    res = run_trial(parse_trial(_trial(), PROTOCOLS), seed=3)
    b = _bands(res, "response")
    assert ((b["low"] >= 0) & (b["high"] <= 1) & (b["low"] <= b["mean"])
            & (b["mean"] <= b["high"])).all()


def test_measurement_before_the_first_session_is_rejected() -> None:
    late = {"name": "late", "duration": "1 d", "therapies": [
        {"type": "tavns", "sessions_per_day": 1, "duration": "1 d", "session": "30 min"}]}
    data = _trial(duration="1 d", visits=["0.5 h", "2 h"],
                  arms=[{"name": "tavns", "protocol": late}],
                  endpoints=[{"type": "mean_change", "at": "0.5 h"}])
    with pytest.raises(ValidationError, match="before arm 'tavns''s first exposure"):
        parse_trial(data, PROTOCOLS)
    early = {**late, "therapies": [{**late["therapies"][0], "first_session_at": "0 h"}]}
    parse_trial({**data, "arms": [{"name": "tavns", "protocol": early}]}, PROTOCOLS)
    bad = {**late, "therapies": [{**late["therapies"][0], "first_session_at": "30 h"}]}
    with pytest.raises(ValidationError, match="first_session_at"):
        parse_trial({**data, "arms": [{"name": "tavns", "protocol": bad}]}, PROTOCOLS)


def test_wolf2021_hrv_is_read_during_and_after_the_session() -> None:
    trial = load_trial(TRIALS / "tavns_wolf2021_hrv.yaml")
    tavns = trial.arms[0].periods[0].protocol.therapies[0]
    assert tavns.session_starts_h(24.0) == [0.0]
