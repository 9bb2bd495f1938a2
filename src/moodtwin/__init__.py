"""moodtwin: a mechanistic digital twin of the vagus-nerve–brain–mood system.

The public API, in one place (research software, not medical advice; see
:data:`DISCLAIMER`). Times are in hours (h) from baseline unless a name says otherwise,
depression scores in points of the named scale (MADRS 0-60 by default), and every
parameter in the unit that ``moodtwin model`` lists.

Verbs:

- :func:`simulate` -- one or many patients under a protocol -> :class:`Result`.
- :func:`load_protocol` -- a protocol file (YAML) -> :class:`Protocol`.
- :func:`run_sweep` -- a table of patients under one protocol, in-process or on Dask.
- :func:`generate_population` -- virtual patients of the population model.
- :func:`load_trial`, :func:`run_trial` -- virtual clinical trials -> :class:`TrialResult`;
  :func:`outside_calibration` -- where a design leaves the calibration set (extrapolation).
- :func:`validate`, :func:`calibrate` -- against the published trial catalogue;
  :func:`chance_reference` -- what an exact model would score there.
- :func:`load_person`, :func:`fit_person`, :func:`forecast` -- a personal twin.
- :func:`optimize` -- therapy settings for a person or a population.
- :func:`sensitivity` -- Morris/Sobol indices of an endpoint.
- :func:`export_sbml` -- the model and a protocol as SBML L3V2.
- :func:`is_response`, :func:`is_remission` -- clinical verdicts on a scale's scores.

Every verb that simulates takes ``parameters=``: a :class:`ParameterSet`, a parameter-set
file, or None -- the one default everywhere, :meth:`ParameterSet.calibrated` (the set
shipped with moodtwin). The CLI uses the same default (``--params`` to change it).

``import moodtwin`` is light: each name is imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

DISCLAIMER = ("RESEARCH USE ONLY - moodtwin is a mechanistic research model; its output is not "
              "medical advice and must not guide anyone's treatment.")
"""The one disclaimer every output (CLI, reports, figures, SBML notes) carries."""

#: public name -> (module, attribute in that module)
_EXPORTS: dict[str, tuple[str, str]] = {
    "simulate": ("moodtwin.simulation", "simulate"),
    "SolverOptions": ("moodtwin.simulation", "SolverOptions"),
    "Result": ("moodtwin.result", "Result"),
    "ParameterSet": ("moodtwin.parameter_sets", "ParameterSet"),
    "Protocol": ("moodtwin.protocols", "Protocol"),
    "load_protocol": ("moodtwin.protocols", "load_protocol"),
    "parse_protocol": ("moodtwin.protocols", "parse_protocol"),
    "run_sweep": ("moodtwin.sweep", "run_sweep"),
    "SweepResult": ("moodtwin.sweep", "SweepResult"),
    "PopulationSpec": ("moodtwin.population", "PopulationSpec"),
    "generate_population": ("moodtwin.population", "generate_population"),
    "Trial": ("moodtwin.trials", "Trial"),
    "TrialResult": ("moodtwin.trials", "TrialResult"),
    "load_trial": ("moodtwin.trials", "load_trial"),
    "run_trial": ("moodtwin.trials", "run_trial"),
    "outside_calibration": ("moodtwin.trials", "outside_calibration"),
    "validate": ("moodtwin.calibration", "validate"),
    "calibrate": ("moodtwin.calibration", "calibrate"),
    "chance_reference": ("moodtwin.calibration", "chance_reference"),
    "load_person": ("moodtwin.person", "load_person"),
    "fit_person": ("moodtwin.person", "fit_person"),
    "forecast": ("moodtwin.person", "forecast"),
    "synthetic_record": ("moodtwin.person", "synthetic_record"),
    "write_record": ("moodtwin.person", "write_record"),
    "optimize": ("moodtwin.optimize", "optimize"),
    "sensitivity": ("moodtwin.sensitivity_analysis", "run_sensitivity"),
    "export_sbml": ("moodtwin.sbml", "export_sbml"),
    "run_demo": ("moodtwin.demo", "run_demo"),
    "resilience": ("moodtwin.resilience", "resilience"),
    "is_response": ("moodtwin.scales", "is_response"),
    "is_remission": ("moodtwin.scales", "is_remission"),
    "MoodtwinError": ("moodtwin.errors", "MoodtwinError"),
    "ValidationError": ("moodtwin.errors", "ValidationError"),
}

__all__ = ["DISCLAIMER", "__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    """Import a public name on first use (keeps ``import moodtwin`` light)."""
    try:
        module, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'moodtwin' has no attribute {name!r}") from None
    value = getattr(import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
