"""Calibration of typical values and variability to published trial results (ABC-SMC),
and validation against them."""

from moodtwin.extras import require

try:
    from moodtwin.calibration._abc import (
        Posterior,
        Prior,
        abc_smc,
        fitting_mc_se,
        model_prior,
        trial_distance,
    )
    from moodtwin.calibration._chance import ChanceReference, chance_reference
    from moodtwin.calibration._fit import (
        DEFAULT_PARAMETERS,
        INDEPENDENT_REALIZATIONS,
        POPULATION_PRIORS,
        Calibration,
        calibrate,
        default_priors,
        realization_check,
    )
    from moodtwin.calibration._loto import LeaveOneOut, leave_one_trial_out
    from moodtwin.calibration._profile import mean_field_ensemble, profile_distances
    from moodtwin.calibration._sources import condition_calibrated_set
    from moodtwin.calibration._targets import (
        Target,
        chi_square,
        collect_targets,
        compare,
        validate,
        validation_table,
    )
    from moodtwin.parameter_sets import calibrated_model, load_parameter_set
except ImportError:  # a missing optional dependency: one line naming the extra
    require("trials")
    raise

__all__ = ["DEFAULT_PARAMETERS", "INDEPENDENT_REALIZATIONS", "POPULATION_PRIORS",
           "Calibration",
           "ChanceReference", "LeaveOneOut", "Posterior", "Prior", "Target", "abc_smc",
           "calibrate", "calibrated_model", "chance_reference", "chi_square", "collect_targets",
           "compare", "condition_calibrated_set", "default_priors", "fitting_mc_se",
           "leave_one_trial_out", "load_parameter_set", "mean_field_ensemble", "model_prior",
           "profile_distances", "realization_check", "trial_distance", "validate",
           "validation_table"]
