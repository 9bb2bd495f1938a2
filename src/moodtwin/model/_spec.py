"""Declarative building blocks of a model: parameters, states, inputs, derived quantities.

A :class:`Mechanism` is plain data: every rate law and derived quantity is a string
expression over names declared somewhere in the model. :func:`moodtwin.model.build_model`
joins mechanisms into a :class:`~moodtwin.model.Model`, from which the solver's right-hand
side, its Jacobian, the SBML export and the documentation are all generated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from moodtwin.errors import ValidationError


@dataclass(frozen=True)
class Parameter:
    """A named constant of the model.

    Parameters
    ----------
    name : identifier used in expressions.
    value : default value, in ``unit``.
    unit : pint-parsable unit string ("1" for dimensionless).
    low, high : plausible range (used for validation, sampling and sensitivity analysis).
    source : provenance: a citation, "derived from ...", "calibrated to <target>" or
        "assumed: <reason>".
    description : one line of meaning.
    calibratable : whether population calibration may move it.
    """

    name: str
    value: float
    unit: str
    low: float
    high: float
    source: str
    description: str
    calibratable: bool = False

    def __post_init__(self) -> None:
        if not self.low <= self.value <= self.high:
            raise ValidationError(
                f"Parameter {self.name!r}: default {self.value} {self.unit} lies outside "
                f"its plausible range [{self.low}, {self.high}]."
            )
        if not self.source.strip():
            raise ValidationError(f"Parameter {self.name!r} has no provenance (source).")


@dataclass(frozen=True)
class State:
    """A dynamic variable with ``d(name)/dt = rate`` (time in hours)."""

    name: str
    rate: str
    unit: str
    description: str
    initial: float = 0.0  # starting guess; the baseline comes from a steady-state burn-in
    atol: float | None = None  # absolute tolerance in ``unit`` (None: the solver's default)


@dataclass(frozen=True)
class Input:
    """A piecewise-constant control set by protocol events (stimulation, infusion rate)."""

    name: str
    unit: str
    description: str
    default: float = 0.0


@dataclass(frozen=True)
class Derived:
    """An algebraic quantity (assignment rule); ``observable`` ones are saved in results."""

    name: str
    expr: str
    unit: str
    description: str
    observable: bool = False


@dataclass(frozen=True)
class Mechanism:
    """One mechanism of the system: its own parameters, states, inputs and derived terms.

    ``doc`` is a short Markdown description; ``references`` lists the works it relies on.
    """

    name: str
    doc: str
    parameters: tuple[Parameter, ...] = ()
    states: tuple[State, ...] = ()
    inputs: tuple[Input, ...] = ()
    derived: tuple[Derived, ...] = ()
    references: tuple[str, ...] = field(default=())
