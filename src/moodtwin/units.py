"""Units: one pint registry and the parsing of quantities written in input files."""

from __future__ import annotations

import pint

from moodtwin.errors import ValidationError

UREG = pint.UnitRegistry()
UREG.define("unit_toxin = [toxin] = U")  # botulinum toxin activity units


def _example(value: object, unit: str) -> str:
    mag = value if isinstance(value, int | float) else str(value).strip() or "1"
    if unit == "hour":
        return f"'{mag} d' or '{mag} h'"
    return f"'{mag} {unit}'"


def quantity(value: object, unit: str, field: str, low: float, high: float) -> float:
    """Magnitude of ``value`` (e.g. ``"0.5 mg/kg"``) in ``unit``, checked against a range.

    Raises :class:`~moodtwin.errors.ValidationError` naming ``field`` when the text is not a
    quantity, has no or the wrong unit, or lies outside ``[low, high]`` (in ``unit``).
    """
    target = UREG.Unit(unit)
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValidationError(
            f"{field}: {value!r} has no unit; write it with one, e.g. {_example(value, unit)}."
        )
    try:
        q = UREG.Quantity(str(value))
    except Exception as exc:  # pint's parser raises many kinds (tokenize, syntax, undefined)
        why = str(exc) if isinstance(exc, pint.errors.PintError) else (
            exc.args[0] if exc.args and isinstance(exc.args[0], str) else "")
        why = why.strip().rstrip(".")
        raise ValidationError(
            f"{field}: cannot read {value!r} as a quantity{f' ({why})' if why else ''}; "
            f"expected a number and a unit, e.g. {_example(1, unit)}."
        ) from None
    # "0.5" parses as dimensionless; mg/kg is dimensionless too, so test for no unit at all.
    unitless = isinstance(q, int | float) or q.units == UREG.dimensionless
    if unitless and target != UREG.dimensionless:
        raise ValidationError(
            f"{field}: {value!r} has no unit; write it with one, e.g. {_example(value, unit)}."
        )
    try:
        mag = float(q.to(target).magnitude)
    except pint.errors.DimensionalityError:
        raise ValidationError(
            f"{field}: {value!r} has unit '{q.units:~}', which cannot be converted to "
            f"'{unit}' (write e.g. {_example(1, unit)})."
        ) from None
    if not low <= mag <= high:
        raise ValidationError(
            f"{field}: {value!r} is outside the allowed range {_range(low, high, unit)}."
        )
    return mag


def _range(low: float, high: float, unit: str) -> str:
    if unit == "hour" and high >= 48.0:  # long time ranges read better in days
        return f"{low / 24:g}–{high / 24:g} d"
    return f"{low:g}–{high:g} {unit}"


def hours(value: object, field: str, low: float = 0.0, high: float = 24 * 365 * 20) -> float:
    """A time quantity in hours (``"2 week"``, ``"40 min"``), checked against a range."""
    return quantity(value, "hour", field, low, high)
