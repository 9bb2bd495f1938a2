"""Units: one pint registry and the parsing of quantities written in input files."""

from __future__ import annotations

import pint

from moodtwin.errors import ValidationError

UREG = pint.UnitRegistry()
UREG.define("unit_toxin = [toxin] = U")  # botulinum toxin activity units


def quantity(value: object, unit: str, field: str, low: float, high: float) -> float:
    """Magnitude of ``value`` (e.g. ``"0.5 mg/kg"``) in ``unit``, checked against a range.

    Raises :class:`~moodtwin.errors.ValidationError` naming ``field`` when the text is not a
    quantity, has no or the wrong unit, or lies outside ``[low, high]`` (in ``unit``).
    """
    target = UREG.Unit(unit)
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValidationError(
            f"{field}: {value!r} has no unit; write it with one, e.g. '{value} {unit}'."
        )
    try:
        q = UREG.Quantity(str(value))
    except (pint.errors.PintError, ValueError, TypeError, AttributeError, SyntaxError) as exc:
        raise ValidationError(f"{field}: cannot read {value!r} as a quantity ({exc}).") from None
    if isinstance(q, int | float) or q.dimensionless and not target.dimensionless:
        raise ValidationError(
            f"{field}: {value!r} has no unit; expected a quantity in {unit} (e.g. '1 {unit}')."
        )
    try:
        mag = float(q.to(target).magnitude)
    except pint.errors.DimensionalityError:
        raise ValidationError(
            f"{field}: {value!r} has unit '{q.units:~}', which cannot be converted to "
            f"'{unit}' (write e.g. '1 {unit}')."
        ) from None
    if not low <= mag <= high:
        raise ValidationError(
            f"{field}: {value!r} is outside the allowed range {low:g}–{high:g} {unit}."
        )
    return mag


def hours(value: object, field: str, low: float = 0.0, high: float = 24 * 365 * 20) -> float:
    """A time quantity in hours (``"2 week"``, ``"40 min"``), checked against a range."""
    return quantity(value, "hour", field, low, high)
