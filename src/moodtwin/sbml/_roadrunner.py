"""Run exported SBML in libRoadRunner (CVODE), patient by patient, and compare engines."""

from __future__ import annotations

import numpy as np
import roadrunner

from moodtwin.errors import IntegrationError
from moodtwin.model import Model
from moodtwin.protocols import Timeline


def load(sbml: str, model: Model, rtol: float, atol: np.ndarray) -> roadrunner.RoadRunner:
    """Compile ``sbml`` with CVODE at ``rtol`` and one absolute tolerance per state."""
    rr = roadrunner.RoadRunner(sbml)
    rr.integrator.relative_tolerance = rtol
    rr.integrator.maximum_num_steps = 200_000
    set_absolute_tolerances(rr, model, atol)
    return rr


def set_absolute_tolerances(rr: roadrunner.RoadRunner, model: Model, atol: np.ndarray) -> None:
    """Per-state absolute tolerances, as a vector in the integrator's state order.

    Set after any change of state values: roadrunner scales a scalar tolerance by each
    state's value (and re-derives the vector when values change), which makes it ~0 for
    drug amounts starting at ~0 and stalls CVODE.
    """
    by_name = dict(zip((s.name for s in model.states), atol, strict=True))
    order = [rr.model.getStateVectorId(i) for i in range(len(model.states))]
    rr.integrator.absolute_tolerance = [float(by_name[name]) for name in order]


def observe(rr: roadrunner.RoadRunner, model: Model, times: np.ndarray) -> np.ndarray:
    """Simulate from the current state: observables (times, observables) at ``times`` (h)."""
    try:
        out = rr.simulate(times=np.asarray(times, float).tolist(),
                          selections=[d.name for d in model.observables])
    except RuntimeError as exc:
        raise IntegrationError(f"libRoadRunner failed: {' '.join(str(exc).split())}") from None
    return np.asarray(out)


class RoadRunnerPatients:
    """One compiled SBML model (exported for ``timeline``), re-used for many patients.

    Per patient it resets time, inputs and events, then sets the parameters and the state
    at time 0 *after* the timeline's time-0 doses (the document's time-0 event has fired
    during the reset, on the document's own values). Setting values with ``init(...)``
    instead would make roadrunner regenerate the model (~1 s) for every value.
    """

    def __init__(self, sbml: str, model: Model, timeline: Timeline, rtol: float,
                 atol: np.ndarray):
        self.model, self.timeline, self.atol = model, timeline, atol
        self.rr = load(sbml, model, rtol, atol)
        self._names = ([p.name for p in model.parameters] + [s.name for s in model.states]
                       + [u.name for u in model.inputs])

    def run(self, params: np.ndarray, y0: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Observables (times, observables) of one patient starting from ``y0`` (the state
        before the time-0 doses); ``times`` start at 0 (row 0: after those doses)."""
        self.rr.resetAll()
        values = np.concatenate([params, y0 + self.timeline.jump[0], self.timeline.u[0]])
        for name, value in zip(self._names, values, strict=True):
            self.rr.setValue(name, float(value))
        set_absolute_tolerances(self.rr, self.model, self.atol)
        return observe(self.rr, self.model, times)


def scaled_deviation(values: np.ndarray, reference: np.ndarray, floor: float = 1e-9
                     ) -> np.ndarray:
    """Largest ``|values - reference|`` per observable (last axis), relative to that
    observable's largest ``|reference|`` over all other axes (at least ``floor``).

    Scaling by the observable's own range, not pointwise, keeps decaying quantities (drug
    levels falling towards 0) from dividing by ~0 where only absolute tolerances apply.
    """
    axes = tuple(range(values.ndim - 1))
    scale = np.maximum(np.max(np.abs(reference), axis=axes), floor)
    return np.max(np.abs(values - reference), axis=axes) / scale
