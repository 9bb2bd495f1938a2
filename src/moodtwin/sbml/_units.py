"""The model's pint unit strings as SBML ``unitDefinition`` elements.

Each unit is reduced by pint to SI base units and a magnitude, e.g. ``mg/kg/h`` =
(3.6e9 s)^-1 as a ratio of masses; the magnitude goes into the first SBML unit's
``multiplier``. Botulinum toxin activity (``U``, mouse LD50 units) has no SBML base kind
and is written as ``dimensionless`` with a note saying so.
"""

from __future__ import annotations

import re

import libsbml

from moodtwin.errors import ValidationError
from moodtwin.units import UREG

_KINDS = {
    "meter": libsbml.UNIT_KIND_METRE,
    "kilogram": libsbml.UNIT_KIND_KILOGRAM,
    "second": libsbml.UNIT_KIND_SECOND,
    "ampere": libsbml.UNIT_KIND_AMPERE,
    "kelvin": libsbml.UNIT_KIND_KELVIN,
    "mole": libsbml.UNIT_KIND_MOLE,
    "candela": libsbml.UNIT_KIND_CANDELA,
    "radian": libsbml.UNIT_KIND_RADIAN,
}
_NO_KIND = {"unit_toxin": "botulinum toxin activity unit (U, mouse LD50)"}
DIMENSIONLESS = "dimensionless"


def unit_id(unit: str) -> str:
    """SBML id of a model unit string: ``mg/kg/h`` -> ``u_mg_per_kg_per_h``, ``1`` -> built-in."""
    text = unit.strip().replace(" ", "")
    if text == "1":
        return DIMENSIONLESS
    text = text.replace("**", "_pow").replace("/", "_per_").replace("*", "_")
    sid = "u_" + re.sub(r"[^A-Za-z0-9_]", "_", text)
    return sid


def add_unit_definition(model: libsbml.Model, unit: str) -> str:
    """Define ``unit`` in ``model`` once; returns its id (``dimensionless`` for ``1``)."""
    sid = unit_id(unit)
    if sid == DIMENSIONLESS or model.getUnitDefinition(sid) is not None:
        return sid
    try:
        base = UREG.Quantity(1.0, unit).to_base_units()
    except Exception as exc:  # pint raises several kinds for unknown/garbled units
        raise ValidationError(f"SBML export: cannot read unit {unit!r}: {exc}") from None
    magnitude = float(base.magnitude)
    factors = [(name, float(exp)) for name, exp in base.unit_items()]
    notes = [f"{_NO_KIND[n]}; written as dimensionless" for n, _ in factors if n in _NO_KIND]
    unknown = [n for n, _ in factors if n not in _KINDS and n not in _NO_KIND]
    if unknown:
        raise ValidationError(f"SBML export: unit {unit!r} uses {unknown}, which has no SBML "
                              "unit kind.")
    factors = [(_KINDS[n], e) for n, e in factors if n in _KINDS]
    if not factors:
        factors = [(libsbml.UNIT_KIND_DIMENSIONLESS, 1.0)]
    ud = model.createUnitDefinition()
    ud.setId(sid)
    ud.setName(unit)
    for i, (kind, exp) in enumerate(factors):
        u = ud.createUnit()
        u.setKind(kind)
        u.setExponent(exp)
        u.setScale(0)
        u.setMultiplier(magnitude ** (1.0 / exp) if i == 0 else 1.0)
    if notes:
        ud.setNotes(f'<body xmlns="http://www.w3.org/1999/xhtml"><p>{"; ".join(notes)}</p></body>')
    return sid
