"""Calibration of typical values and variability to published trial results (ABC-SMC),
and validation against them."""

from moodtwin.calibration._abc import Posterior, Prior, abc_smc, model_prior, trial_distance
from moodtwin.calibration._fit import (
    DEFAULT_PARAMETERS,
    POPULATION_PRIORS,
    Calibration,
    calibrate,
    default_priors,
)
from moodtwin.calibration._targets import (
    Target,
    chi_square,
    collect_targets,
    compare,
    validation_table,
)
from moodtwin.parameter_sets import calibrated_model, load_parameter_set

__all__ = ["DEFAULT_PARAMETERS", "POPULATION_PRIORS", "Calibration", "Posterior", "Prior",
           "Target", "abc_smc", "calibrate", "calibrated_model", "chi_square",
           "collect_targets", "compare", "default_priors", "load_parameter_set", "model_prior",
           "trial_distance", "validation_table"]
