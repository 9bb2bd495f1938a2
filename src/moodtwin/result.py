"""Simulation results: named access to states, observables and clinical scale scores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from moodtwin import scales
from moodtwin.errors import UnknownNameError, ValidationError
from moodtwin.model import Model

#: Solver status codes and what to change (see ``moodtwin.solver._kernel``).
CHUNK_FAILED = -1
"""Status of every patient of a chunk whose task failed as a whole on a Dask cluster."""

STATUS_MESSAGES = {
    CHUNK_FAILED: "its chunk of patients failed on the Dask cluster (a lost worker or an "
                  "error in the task); the other chunks are kept",
    0: "success",
    1: "maximum number of solver steps reached; increase max_steps or check extreme parameters",
    2: "step size underflow or non-finite values; the parameters drive the model out of its "
       "valid range (check values near their plausible limits)",
    3: "singular iteration matrix; check parameters set to zero or infinite values",
}


@dataclass(frozen=True)
class Result:
    """States and observables of one or more patients at the saved times.

    Attributes
    ----------
    t : saved times, h from baseline (dose at t = 0 is applied after the t = 0 record).
    states : (patients, times, states) array.
    observables : (patients, times, observables) array.
    status : (patients,) solver status codes (0 = success), see :data:`STATUS_MESSAGES`.
    params : (patients, parameters) parameter values used.
    fluctuation : (patients, times, 2) day-to-day fluctuation added to the depression (MADRS
        points) and anxiety (HAM-A points) scores; zeros if no seed was given.
    """

    model: Model
    protocol_name: str
    t: np.ndarray
    states: np.ndarray
    observables: np.ndarray
    status: np.ndarray
    params: np.ndarray
    fluctuation: np.ndarray

    @property
    def n_patients(self) -> int:
        return int(self.states.shape[0])

    @property
    def days(self) -> np.ndarray:
        return self.t / 24.0

    def __getitem__(self, name: str) -> np.ndarray:
        """(patients, times) values of a state, observable or clinical scale (e.g. 'HAMD17')."""
        obs = [o.name for o in self.model.observables]
        if name in obs:
            return self.observables[:, :, obs.index(name)]
        if name in self.model.state_index:
            return self.states[:, :, self.model.state_index[name]]
        try:
            return self.score(name)
        except UnknownNameError:
            raise UnknownNameError(
                "output", name, [*obs, *self.model.state_index, *scales.SCALES]
            ) from None

    def score(self, scale: str) -> np.ndarray:
        """Observed score on ``scale`` (latent score + day-to-day fluctuation), clipped."""
        sc = scales.get_scale(scale)
        src = scales.source_score(sc.name, self[sc.construct_source], self.fluctuation)
        return scales.convert(src, sc.name)

    def at(self, name: str, hours: float) -> np.ndarray:
        """Per-patient value of ``name`` at the saved time nearest to ``hours``.

        Raises :class:`~moodtwin.errors.ValidationError` if ``hours`` lies outside the run.
        """
        if not self.t[0] - 1e-6 <= hours <= self.t[-1] + 1e-6:
            raise ValidationError(
                f"Time {hours:g} h is outside the simulated range "
                f"{self.t[0]:g}-{self.t[-1]:g} h."
            )
        return self[name][:, int(np.argmin(np.abs(self.t - hours)))]

    def failures(self) -> list[tuple[int, str]]:
        """(patient index, reason) for every patient whose integration failed."""
        return [(int(i), STATUS_MESSAGES.get(int(c), f"status {c}"))
                for i, c in enumerate(self.status) if c != 0]

    def frame(
        self, patient: int = 0,
        scales_out: tuple[str, ...] = ("MADRS", "HAMD17", "PHQ9", "HAMA", "GAD7"),
    ) -> pd.DataFrame:
        """One patient's time course as a table: time, scale scores, observables, states."""
        cols: dict[str, np.ndarray] = {"time_h": self.t, "day": self.days}
        for sc in scales_out:
            cols[sc] = self.score(sc)[patient]
        for k, o in enumerate(self.model.observables):
            cols[o.name] = self.observables[patient, :, k]
        for s, i in self.model.state_index.items():
            cols[f"state.{s}"] = self.states[patient, :, i]
        return pd.DataFrame(cols)
