"""Virtual clinical trials: trial files, enrolment, arms, endpoints, replicates, reports."""

from moodtwin.extras import require

try:
    from moodtwin.trials._domain import outside_calibration
    from moodtwin.trials._endpoints import compute_endpoints, endpoint_label
    from moodtwin.trials._run import TrialData, run_replicate
    from moodtwin.trials._schema import Endpoint, Trial, load_trial, parse_trial
    from moodtwin.trials._trial import TrialResult, run_trial
except ImportError:  # a missing optional dependency: one line naming the extra
    require("trials")
    raise


__all__ = ["Endpoint", "Trial", "TrialData", "TrialResult", "compute_endpoints",
           "endpoint_label", "load_trial", "outside_calibration", "parse_trial", "run_replicate",
           "run_trial"]
