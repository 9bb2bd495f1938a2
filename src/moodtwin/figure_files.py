"""Writing matplotlib figures: every text is drawn as written (no mathtext).

User-given names (trials, arms, protocols, candidates) may contain ``$``; matplotlib would
parse such text as mathtext and fail on an unbalanced ``$``. :func:`save_png` turns math
parsing off for all the figure's text before laying it out and saving it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def save_png(fig: Any, path: str | Path, dpi: int = 110, *, tight: bool = False,
             rect: tuple[float, float, float, float] | None = None) -> None:
    """Lay out (``tight``: ``fig.tight_layout(rect=rect)``), save as PNG at ``dpi`` and close."""
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    with matplotlib.rc_context({"text.parse_math": False}):  # texts created while drawing
        for text in fig.findobj(Text):
            text.set_parse_math(False)
        if tight:
            fig.tight_layout(rect=rect)
        fig.savefig(path, dpi=dpi)
    plt.close(fig)
