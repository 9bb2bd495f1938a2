"""Resilience endpoint: how far a standard stressor pushes the score, and how fast it recovers.

The protocol is simulated twice for the same patient, with and without an added
:class:`~moodtwin.protocols.Stressor`; the difference of the latent score isolates the
stressor's effect from the therapy's own time course. Reported: the peak rise (scale
points), the time from stressor onset to that peak, and the recovery time from the end of
the stressor until the excess falls to ``recovered_fraction`` of its peak (NaN if it does
not within the protocol). Research model output, not medical advice.
"""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pydantic

from moodtwin import scales
from moodtwin.errors import ValidationError
from moodtwin.parameter_sets import ParametersLike
from moodtwin.protocols import Protocol
from moodtwin.protocols._schema import Stressor
from moodtwin.simulation import simulate
from moodtwin.units import hours
from moodtwin.yaml_files import first_problem


@dataclass(frozen=True)
class Resilience:
    """Stressor response of one patient: ``peak`` (points of ``scale``), ``time_to_peak_h``
    (from stressor onset) and ``recovery_h`` (from stressor end; NaN if not recovered)."""

    scale: str
    peak: float
    time_to_peak_h: float
    recovery_h: float


def resilience(protocol: Protocol, *, at: str, duration: str = "4 week", intensity: float = 1.0,
               scale: str = "MADRS", params: Mapping[str, float] | None = None,
               recovered_fraction: float = 0.1, parameters: ParametersLike = None,
               step_h: float = 24.0) -> Resilience:
    """Peak and recovery of ``scale`` after a stressor at ``at`` added to ``protocol``.

    ``params`` are scalar parameter overrides (one patient) over ``parameters`` (a
    :class:`~moodtwin.ParameterSet`, default the calibrated set). The protocol must already be
    free of stressors in that window and long enough to show the recovery.
    """
    if not 0.0 < recovered_fraction < 1.0:
        raise ValidationError(f"recovered_fraction: {recovered_fraction:g} is outside (0, 1).")
    sc = scales.get_scale(scale)
    start = hours(at, "resilience.at")
    try:
        stress = Stressor(type="stressor", start=at, duration=duration, intensity=intensity)
    except pydantic.ValidationError as exc:
        raise first_problem(exc, "resilience") from None
    stop = start + hours(duration, "resilience.duration", 1.0)
    end = protocol.duration_h()
    if stop >= end:
        raise ValidationError(f"at + duration ({stop / 24:g} d) must end before the protocol "
                              f"({end / 24:g} d) so that recovery can be seen.")
    challenged = protocol.model_copy(update={"therapies": [*protocol.therapies, stress]})
    t = np.unique(np.concatenate([np.arange(0.0, end, step_h), [start, stop, end]]))
    base = simulate(protocol, params, parameters=parameters, save_times_h=t)
    hit = simulate(challenged, params, parameters=parameters, save_times_h=t)
    excess = (hit.score(sc.name) - base.score(sc.name))[0]
    after = t >= start
    k = int(np.argmax(np.where(after, excess, -np.inf)))
    peak = float(excess[k])
    done = np.nonzero((t >= stop) & (t >= t[k]) & (excess <= recovered_fraction * peak))[0]
    recovery = float(t[done[0]] - stop) if done.size and peak > 0 else float("nan")
    return Resilience(sc.name, peak, float(t[k] - start), recovery)


__all__ = ["Resilience", "resilience"]


class _CallableModule(types.ModuleType):
    """``moodtwin.resilience`` is both this module and the public verb: once the module is
    imported, Python binds the name ``moodtwin.resilience`` to it, so calling it must run
    :func:`resilience` (as ``moodtwin.optimize`` does)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Resilience:
        return resilience(*args, **kwargs)

    @property
    def __signature__(self) -> inspect.Signature:
        return inspect.signature(resilience)


sys.modules[__name__].__class__ = _CallableModule
