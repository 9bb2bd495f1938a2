"""Units: one pint registry and the one parser of quantities and times written in input files.

A quantity is written ``<number> <unit>`` (``"0.5 mg/kg"``, ``"40 min"``, ``"6w"``): one plain
decimal number (a point, never a comma), then a unit that pint knows. Everything else —
a unit without a number, a number after the unit, arithmetic, a decimal comma, a non-finite
number — is refused with a one-line :class:`~moodtwin.errors.ValidationError`.
"""

from __future__ import annotations

import math
import re

import pint

from moodtwin.errors import ValidationError

UREG = pint.UnitRegistry()
# botulinum toxin activity units, written "6 U" or "6 units" (pint alone reads "units" as
# micro-nits)
UREG.define("unit_toxin = [toxin] = U = units = unit")
# Short time units people write ("6w", "6mo", "1y"); pint's month and year are the
# Gregorian mean (30.44 d and 365.25 d).
UREG.define("@alias week = wk = w")
UREG.define("@alias month = mo")
UREG.define("@alias year = y")

_NUMBER = re.compile(r"\s*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*(.*?)\s*")
_EXPONENT = re.compile(r"(\*\*|\^)\s*[+-]?[0-9]+")
_MINUS = {"\u2212": "-", "\u2013": "-", "\u2012": "-", "\ufe63": "-", "\uff0d": "-"}


def _example(value: object, unit: str) -> str:
    mag = f"{value:g}" if isinstance(value, int | float) and not isinstance(value, bool) else 1
    if unit == "hour":
        return f"'{mag} d' or '{mag} h'"
    return f"'{mag} {unit}'"


def _refuse(field: str, value: object, why: str, unit: str) -> ValidationError:
    return ValidationError(f"{field}: cannot read {value!r} as a quantity ({why}); expected "
                           f"one number and a unit, e.g. {_example(1, unit)}.")


def _no_unit(field: str, value: object, mag: float, unit: str,
             allowed: tuple[float, float] | None) -> ValidationError:
    """A bare number where a quantity belongs; with the ``allowed`` range the example lies
    inside it (the unit the number was meant in is a guess) and the range is named."""
    if allowed is None:
        return ValidationError(f"{field}: {value!r} has no unit; write it with one, e.g. "
                               f"{_example(mag, unit)}.")
    low, high = allowed
    example = _example(mag if low <= mag <= high else low, unit)
    return ValidationError(f"{field}: {value!r} has no unit; write it with one, e.g. "
                           f"{example} (allowed range {_range(low, high, unit)}).")


def parse_quantity(value: object, unit: str, field: str,
                   allowed: tuple[float, float] | None = None) -> float:
    """Magnitude of ``value`` (e.g. ``"0.5 mg/kg"``) in ``unit``, without a range check
    (``allowed``: the range a missing-unit error names)."""
    target = UREG.Unit(unit)
    dimensionless = target == UREG.dimensionless  # mg/kg is dimensionless but has a unit
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationError(f"{field}: expected a number with a unit, e.g. "
                              f"{_example(1, unit)}; got {value!r}.")
    if isinstance(value, int | float) and not dimensionless:
        raise _no_unit(field, value, float(value), unit, allowed)
    text = str(value)
    for dash, minus in _MINUS.items():  # a typographic minus keeps its sign
        text = text.replace(dash, minus)
    if "," in text:
        raise _refuse(field, value, "a comma: use a decimal point, e.g. 0.5 not 0,5, and one "
                                    "quantity per field", unit)
    m = _NUMBER.fullmatch(text)
    if m is None:
        raise _refuse(field, value, "it does not start with a number", unit)
    number, unit_text = m.groups()
    if re.search(r"[0-9]", _EXPONENT.sub("", unit_text)):
        raise _refuse(field, value, "a number after the unit", unit)
    if re.search(r"[+\-]", _EXPONENT.sub("", unit_text)):
        raise _refuse(field, value, "arithmetic is not allowed", unit)
    mag = float(number)
    if not math.isfinite(mag):
        raise _refuse(field, value, "the number is too large", unit)
    if not unit_text:
        if not dimensionless:
            raise _no_unit(field, value, mag, unit, allowed)
        return mag
    try:
        units = UREG.parse_units(unit_text)
    except Exception as exc:  # pint's parser raises many kinds (tokenize, syntax, undefined)
        why = str(exc) if isinstance(exc, pint.errors.PintError) else "not a unit"
        raise _refuse(field, value, why.strip().rstrip("."), unit) from None
    try:
        out = float(UREG.Quantity(mag, units).to(target).magnitude)
    except pint.errors.DimensionalityError:
        raise ValidationError(
            f"{field}: {value!r} has unit '{units:~}', which cannot be converted to "
            f"'{unit}' (write e.g. {_example(1, unit)})."
        ) from None
    if not math.isfinite(out):
        raise _refuse(field, value, "the number is too large", unit)
    return out


def quantity(value: object, unit: str, field: str, low: float, high: float) -> float:
    """Magnitude of ``value`` (e.g. ``"0.5 mg/kg"``) in ``unit``, checked against a range.

    Raises :class:`~moodtwin.errors.ValidationError` naming ``field`` when the text is not a
    quantity, has no or the wrong unit, or lies outside ``[low, high]`` (in ``unit``).
    """
    mag = parse_quantity(value, unit, field, (low, high))
    if not low <= mag <= high:
        raise ValidationError(
            f"{field}: {value!r} is outside the allowed range {_range(low, high, unit)}."
        )
    return mag


def dose_mg_or_per_kg(value: object, field: str, per_kg: tuple[float, float],
                      fixed: tuple[float, float], context: str) -> tuple[float, bool]:
    """(dose, per_kg) of a drug dose written in mg/kg (``per_kg`` True) or in mg, checked
    against the range for its unit; ``context`` (e.g. the route) is named in a range error."""
    for unit, (low, high), is_per_kg in (("mg", fixed, False), ("mg/kg", per_kg, True)):
        try:
            mag = parse_quantity(value, unit, field)
        except ValidationError as exc:
            if "cannot be converted" in str(exc):
                continue
            raise
        if not low <= mag <= high:
            raise ValidationError(f"{field}: {value!r} is outside the allowed range "
                                  f"{_range(low, high, unit)} ({context}).")
        return mag, is_per_kg
    raise ValidationError(f"{field}: {value!r} is not a dose; write it in mg/kg or mg, e.g. "
                          f"'0.5 mg/kg' or '50 mg' ({context}: {_range(*per_kg, 'mg/kg')} or "
                          f"{_range(*fixed, 'mg')}).")


def format_hours(t_h: float) -> str:
    """A time in hours, written in days (with hours when not whole days)."""
    days, rest = divmod(t_h, 24.0)
    if days == 0:
        return f"{rest:.4g} h"
    if abs(rest) < 1e-9:
        return f"{days:g} d"
    return f"{days:g} d {rest:.4g} h"


def _range(low: float, high: float, unit: str) -> str:
    if unit == "hour" and high >= 48.0:  # long time ranges read better in days
        return f"{low / 24:g}–{high / 24:g} d"
    return f"{low:g}–{high:g} {unit}"


#: Time units a time may be written in (singular and plural, short forms): pint would also
#: take SI prefixes, so '6 ms' (milliseconds), '42 dd' (deci-days) or '10 da' would pass as
#: times a user never meant.
TIME_UNITS = frozenset({
    "s", "sec", "secs", "second", "seconds", "min", "mins", "minute", "minutes",
    "h", "hr", "hrs", "hour", "hours", "d", "day", "days", "w", "wk", "wks", "week", "weeks",
    "fortnight", "fortnights", "mo", "month", "months", "y", "yr", "yrs", "year", "years"})


def hours(value: object, field: str, low: float = 0.0, high: float = 24 * 365 * 20) -> float:
    """A time quantity in hours (``"2 week"``, ``"40 min"``, ``"6mo"``), range-checked; the
    unit must be one of :data:`TIME_UNITS`.

    The one time parser of moodtwin: files, ``--at`` options and forecasts all read times here.
    """
    if isinstance(value, str):
        m = _NUMBER.fullmatch(value)  # a comma fails here and gets quantity()'s hint
        unit_text = m.group(2).strip() if m else ""
        if any(word not in TIME_UNITS for word in re.findall(r"[A-Za-z_]+", unit_text)):
            raise ValidationError(
                f"{field}: {value!r} has unit {unit_text!r}, which is not a time unit moodtwin "
                "reads; write the time in s, min, h, d, week, month or year (e.g. '6 week').")
    return quantity(value, "hour", field, low, high)


def times(text: str, field: str, low: float = 0.0,
          high: float = 24 * 365 * 20) -> list[tuple[str, float]]:
    """Comma-separated times (``"6w,6mo"``, ``"1 d, 36 h"``) as (label, hours) pairs."""
    items = [x.strip() for x in str(text).split(",")]
    if not any(items):
        raise ValidationError(f"{field}: give at least one time, e.g. '6w' or '1d,1w,6mo'.")
    if not all(items):
        raise ValidationError(f"{field}: {text!r} has an empty item; separate times with "
                              "single commas (times take a decimal point, e.g. 1.5 d).")
    return [(item, hours(item, field, low, high)) for item in items]
