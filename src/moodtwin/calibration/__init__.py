"""Calibration of typical parameter values to published trial results, and validation."""

from moodtwin.calibration._fit import DEFAULT_PARAMETERS, Calibration, calibrate, evaluate
from moodtwin.calibration._params import load_parameter_set
from moodtwin.calibration._targets import Target, collect_targets, compare, validation_table

__all__ = ["DEFAULT_PARAMETERS", "Calibration", "Target", "calibrate", "collect_targets",
           "compare", "evaluate", "load_parameter_set", "validation_table"]
