"""SBML Level 3 Version 2 export of the model and a protocol (checked with libsbml).

Research software, not medical advice.
"""

from moodtwin.extras import require

try:
    from moodtwin.sbml._export import build_document, consistency, export_sbml, steady_state
except ImportError:  # a missing optional dependency: one line naming the extra
    require("sbml")
    raise


__all__ = ["build_document", "consistency", "export_sbml", "steady_state"]
