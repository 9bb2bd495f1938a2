"""Optimize therapy settings for a person's twin or a virtual population (research only).

``optimize(base_protocol, space, params_table, outcome, constraints, n_trials, seed)`` runs
an Optuna study over the settings of one therapy; ``write_report`` writes the best settings
with their predicted outcome and uncertainty, the comparison with the standard clinical
settings, all trials and figures. Not medical advice.
"""

import inspect
import sys
import types
from typing import Any

from moodtwin.extras import require

try:
    from moodtwin.optimize._draws import TWIN_NOTE as TWIN_NOTE
    from moodtwin.optimize._draws import population_draws as population_draws
    from moodtwin.optimize._draws import read_draws as read_draws
    from moodtwin.optimize._draws import search_draws as search_draws
    from moodtwin.optimize._draws import split_draws as split_draws
    from moodtwin.optimize._evaluate import OUTCOMES as OUTCOMES
    from moodtwin.optimize._evaluate import Constraint as Constraint
    from moodtwin.optimize._evaluate import Evaluator as Evaluator
    from moodtwin.optimize._evaluate import Outcome as Outcome
    from moodtwin.optimize._report import summary as summary
    from moodtwin.optimize._report import write_report as write_report
    from moodtwin.optimize._settings import SETTINGS as SETTINGS
    from moodtwin.optimize._settings import build_protocol as build_protocol
    from moodtwin.optimize._space import SearchSpace as SearchSpace
    from moodtwin.optimize._space import default_space as default_space
    from moodtwin.optimize._space import load_space as load_space
    from moodtwin.optimize._space import parse_space as parse_space
    from moodtwin.optimize._space import therapy_to_tune as therapy_to_tune
    from moodtwin.optimize._study import StudyResult as StudyResult
    from moodtwin.optimize._study import optimize as optimize
except ImportError:  # a missing optional dependency: one line naming the extra
    require("optimize")
    raise



class _CallableModule(types.ModuleType):
    """``moodtwin.optimize`` is both this package and the public verb: once the package is
    imported, Python binds the name ``moodtwin.optimize`` to it, so calling it must run
    :func:`optimize`."""

    def __call__(self, *args: Any, **kwargs: Any) -> StudyResult:
        return optimize(*args, **kwargs)

    @property
    def __signature__(self) -> inspect.Signature:
        return inspect.signature(optimize)


sys.modules[__name__].__class__ = _CallableModule
