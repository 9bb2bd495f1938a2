"""Durable response and remission: ``persistence: {k, of_last}`` on response_rate and
remission_rate endpoints (the primary endpoint of long VNS trials such as RECOVER, new-user
audit of round 40), checked by hand on rated scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from moodtwin.catalogue import protocol_catalogue
from moodtwin.errors import ValidationError
from moodtwin.parameter_sets import ParameterSet
from moodtwin.trials import TrialData, compute_endpoints, parse_trial

# MADRS at baseline and weeks 1-4 (response: at most 15, half of 30; remission: at most 9,
# the scale's threshold)
# responses at weeks 2-4 (the last three): p1 3 of 3, p2 2 of 3, p3 1 of 3 (only week 4),
# p4 2 of 3 with week 3 missed (NaN does not meet).
SCORES = [[30, 14, 15, 12, 9], [30, 20, 16, 14, 15], [30, 25, 24, 22, 14],
          [30, 12, 7, np.nan, 8]]


def _data(persistence: dict, kind: str = "response_rate") -> TrialData:
    trial = parse_trial({
        "name": "hand", "n": 4, "duration": "4 week", "analysis": "observed",
        "visits": {"every": "1 week"},
        "arms": [{"name": "a", "protocol": "no_treatment.yaml"}],
        "endpoints": [{"id": "durable", "type": kind, "at": "4 week",
                       "persistence": persistence},
                      {"id": "plain", "type": kind, "at": "4 week"}]}, protocol_catalogue())
    madrs = np.array(SCORES, dtype=float)
    patients = pd.DataFrame({"arm": ["a"] * 4, "withdrawal_arm": "", "status": 0})
    model = ParameterSet.definition().model
    latent = np.zeros((*madrs.shape, len(model.observables)))
    return TrialData(trial, model, np.array(trial.visit_times_h()), patients, latent,
                     {"MADRS": madrs})


@pytest.mark.parametrize("k, expected", [(3, 0.25), (2, 0.75), (1, 1.0)])
def test_durable_response_counts_k_of_the_last_visits_by_hand(k: int, expected: float) -> None:
    rows = {r["endpoint"]: r for r in compute_endpoints(_data({"k": k, "of_last": 3}))}
    assert rows["durable"]["estimate"] == pytest.approx(expected)
    assert rows["plain"]["estimate"] == pytest.approx(1.0)  # all four respond at week 4
    assert 0.0 <= rows["durable"]["ci_low"] <= rows["durable"]["ci_high"] <= 1.0


def test_durable_remission_uses_the_remission_threshold() -> None:
    rows = {r["endpoint"]: r for r in compute_endpoints(
        _data({"k": 2, "of_last": 3}, "remission_rate"))}
    # remission (<= 9) at weeks 2-4: p1 1 (week 4), p2 0, p3 0, p4 2 (weeks 2 and 4)
    assert rows["durable"]["estimate"] == pytest.approx(0.25)
    assert rows["plain"]["estimate"] == pytest.approx(0.5)


@pytest.mark.parametrize("endpoint, message", [
    ({"type": "mean_change", "persistence": {"k": 2, "of_last": 3}},
     "persistence: applies to response_rate and remission_rate"),
    ({"type": "response_rate", "persistence": {"k": 2, "of_last": 9}},
     "persistence.of_last 9 is more than the 4 rating visit"),
    ({"type": "response_rate", "persistence": {"k": 4, "of_last": 3}}, "exceeds of_last"),
])
def test_bad_persistence_is_one_line(endpoint: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as exc:
        parse_trial({"name": "x", "n": 4, "duration": "4 week", "visits": {"every": "1 week"},
                     "arms": [{"name": "a", "protocol": "no_treatment.yaml"}],
                     "endpoints": [{"id": "e", "at": "4 week", **endpoint}]},
                    protocol_catalogue())
    assert "\n" not in str(exc.value)
