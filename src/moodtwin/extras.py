"""Optional dependencies: which extra of ``pip install moodtwin[...]`` each feature needs.

The base install runs ``moodtwin demo`` and ``simulate``; every other feature checks its
extra with :func:`require`, which names the missing packages and the install command in one
line instead of a traceback.
"""

from __future__ import annotations

import warnings
from importlib import import_module

from moodtwin.errors import MissingExtraError

#: extra -> (feature in words, modules it imports); names as in pyproject.toml
EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "trials": ("virtual trials, calibration and validation",
               ("scipy", "statsmodels", "lifelines")),
    "calibrate": ("Bayesian calibration (ABC-SMC)", ("pyabc",)),
    "sbml": ("SBML export and the libRoadRunner cross-check", ("libsbml", "roadrunner")),
    "dask": ("running on a Dask cluster", ("distributed",)),
    "person": ("the personal twin (fit, forecast)", ("scipy", "neurokit2", "emcee", "arviz")),
    "optimize": ("therapy-setting optimization", ("scipy", "optuna", "sklearn")),
    "sensitivity": ("global sensitivity analysis", ("SALib",)),
}

#: CLI command -> the extra it needs (shown in the command's ``--help``); the base install
#: runs every command not named here
COMMAND_EXTRAS: dict[str, str] = {
    "trial": "trials", "validate": "trials", "calibrate": "calibrate", "export-sbml": "sbml",
    "fit": "person", "forecast": "person", "optimize": "optimize",
    "sensitivity": "sensitivity", "serve": "web",
}


def extra_of(module: str) -> str | None:
    """The extra that provides the top-level module of ``module`` (None if none does)."""
    top = module.split(".")[0]
    return next((extra for extra, (_, mods) in EXTRAS.items() if top in mods), None)


def require(extra: str) -> None:
    """Raise :class:`~moodtwin.errors.MissingExtraError` unless every module of ``extra``
    imports: one line naming the feature, the missing modules and ``pip install
    'moodtwin[extra]'``."""
    feature, modules = EXTRAS[extra]
    missing = []
    for name in modules:
        try:
            with warnings.catch_warnings():
                # ArviZ 0.2x announces its 1.0 refactor once a day on import
                warnings.filterwarnings("ignore", message=r"\s*ArviZ is undergoing",
                                        category=FutureWarning)
                import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise MissingExtraError(
            f"{feature[0].upper()}{feature[1:]} needs {', '.join(missing)}, which {verb} not "
            f"installed: pip install 'moodtwin[{extra}]' (or 'moodtwin[all]').")
