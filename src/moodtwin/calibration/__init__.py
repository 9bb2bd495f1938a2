"""Calibration of typical parameter values to published trial results, and validation."""

from moodtwin.extras import require

try:
    from moodtwin.calibration._fit import DEFAULT_PARAMETERS, Calibration, calibrate, evaluate
    from moodtwin.calibration._targets import (
        Target,
        collect_targets,
        compare,
        validate,
        validation_table,
    )
    from moodtwin.parameter_sets import calibrated_model, load_parameter_set
except ImportError:  # a missing optional dependency: one line naming the extra
    require("trials")
    raise


__all__ = ["DEFAULT_PARAMETERS", "Calibration", "Target", "calibrate", "calibrated_model",
           "collect_targets",
           "compare", "evaluate", "load_parameter_set", "validate", "validation_table"]
