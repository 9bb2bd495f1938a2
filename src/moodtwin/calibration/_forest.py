"""Validation figure: one row per published number, published value and CI beside the
simulated mean and interval, coloured by pass, grouped by therapy (PNG and HTML)."""

from __future__ import annotations

import html
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from moodtwin import DISCLAIMER
from moodtwin.figure_files import save_png

_RATE_WORDS = ("response", "remission", "rate", "relapsed")


#: Half-width of the plot's axis (published standard errors); values beyond get an arrow.
LIMIT = 12.0


def _short(name: str, width: int = 44) -> str:
    """``name`` cut to ``width`` characters (with an ellipsis) for a plot label."""
    return name if len(name) <= width else name[: width - 1] + "\u2026"


def _interval(text: str) -> tuple[float, float]:
    lo, hi = (float(x) for x in str(text).strip("[]").split(","))
    return lo, hi


def _rows(table: pd.DataFrame) -> pd.DataFrame:
    """Numeric rows (claims left out), sorted by therapy, with rate intervals kept in 0-1."""
    t = table[~table["claim"].astype(bool)].copy()
    if t.empty:  # significance claims only
        return t
    t["pub_lo"], t["pub_hi"] = zip(*t["published_ci"].map(_interval), strict=True)
    t["sim_lo"], t["sim_hi"] = zip(*t["simulated_95"].map(_interval), strict=True)
    rate = t["endpoint"].str.contains("|".join(_RATE_WORDS)) & ~t["arm"].str.contains(" vs ")
    for c in ("pub_lo", "pub_hi", "sim_lo", "sim_hi"):
        t.loc[rate, c] = t.loc[rate, c].clip(0.0, 1.0)
    return t.sort_values(["therapy", "target"]).reset_index(drop=True)


def forest_figure(table: pd.DataFrame, png: Path, html_path: Path, title: str) -> list[Path]:
    """Write the forest plot of a validation table (see :func:`validate`) as PNG and HTML."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    t = _rows(table)
    if t.empty:
        return _claims_only(png, html_path, title, plt)
    y = np.arange(len(t))[::-1]
    fig, ax = plt.subplots(figsize=(13, 0.32 * len(t) + 1.8))
    # each number on its own scale: show z-like position relative to the published value;
    # a ratio on the log scale it is compared on (its interval is symmetric there)
    v = t[["published", "pub_lo", "pub_hi", "simulated", "sim_lo", "sim_hi"]].astype(float)
    if "scale" in t:
        log = (t["scale"] == "log").to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            v.loc[log] = np.log(v.loc[log].where(v.loc[log] > 0))
    scale = ((v["pub_hi"] - v["pub_lo"]) / 3.92).replace(0, np.nan).fillna(1.0)
    pub = np.zeros(len(t))
    ax.errorbar(pub, y, xerr=np.vstack([((v["published"] - v["pub_lo"]) / scale).to_numpy(float),
                                        ((v["pub_hi"] - v["published"]) / scale).to_numpy(float)]),
                fmt="s", color="black", ms=4, capsize=2, label="published (95% CI)")
    colour = np.where(t["pass"], "#1a7f37", "#c62828")
    sim = (v["simulated"] - v["published"]) / scale
    # the replicate interval need not contain the mean (skewed, few replicates, infinities):
    # a bar never points the wrong way and an undefined one is not drawn
    below = np.clip(np.nan_to_num(((v["simulated"] - v["sim_lo"]) / scale).to_numpy(
        dtype=float), nan=0.0, posinf=0.0, neginf=0.0), 0.0, None)
    above = np.clip(np.nan_to_num(((v["sim_hi"] - v["simulated"]) / scale).to_numpy(
        dtype=float), nan=0.0, posinf=0.0, neginf=0.0), 0.0, None)
    for i in range(len(t)):
        x = float(sim.iloc[i])
        if abs(x) > LIMIT:  # beyond the axis: an arrow at its edge, value in the label
            ax.plot(np.sign(x) * (LIMIT - 0.3), y[i] + 0.25, ">" if x > 0 else "<",
                    color=colour[i], ms=6)
            continue
        ax.errorbar(x, y[i] + 0.25, xerr=[[below[i]], [above[i]]],
                    fmt="o", color=colour[i], ms=4, capsize=2)
    ax.set_yticks(y, [f"{r.therapy}: {_short(r.target.split('/', 1)[1])}  "
                      f"(pub {r.published:.3g}, sim {r.simulated:.3g})" for r in t.itertuples()],
                  fontsize=7)  # full names in the HTML table
    ax.axvline(0, color="grey", lw=0.8)
    for z in (-1.96, 1.96):
        ax.axvline(z, color="grey", lw=0.5, ls=":")
    ax.set_xlim(-LIMIT, LIMIT)
    ax.set_xlabel("distance from the published value, in published standard errors "
                  "(green: |z| <= 1.96, red: fails)")
    ax.set_title(textwrap.fill(title, 90), fontsize=10)
    fig.text(0.99, 0.003, DISCLAIMER, ha="right", va="bottom", fontsize=7, color="#a00000")
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    fig.subplots_adjust(left=0.36)  # room for the labels, which tight_layout underestimates
    save_png(fig, png, 110)
    rows = "".join(
        f"<tr style='color:{'#1a7f37' if r.pass_ else '#c62828'}'><td>{html.escape(r.therapy)}"
        f"</td><td>{html.escape(r.target)}</td><td>{r.published:.4g} "
        f"[{r.pub_lo:.3g}, {r.pub_hi:.3g}]</td><td>{r.simulated:.4g} [{r.sim_lo:.3g}, "
        f"{r.sim_hi:.3g}]</td><td>{r.z:+.2f}</td><td>{'pass' if r.pass_ else 'FAIL'}</td></tr>"
        for r in t.rename(columns={"pass": "pass_"}).itertuples())
    html_path.write_text(
        f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<p><b>{html.escape(DISCLAIMER)}</b></p><h2>{html.escape(title)}</h2>"
        f"<img src='{html.escape(png.name)}' style='max-width:100%'><table border=1 "
        "cellpadding=3><tr><th>therapy</th><th>target</th><th>published [95% CI]</th>"
        f"<th>simulated [95%]</th><th>z</th><th></th></tr>{rows}</table>", encoding="utf-8")
    return [png, html_path]


def _claims_only(png: Path, html_path: Path, title: str, plt: Any) -> list[Path]:
    """The figure files of a table without published numbers (significance claims only):
    a note that there is nothing to plot, the claims being in the table."""
    note = "No published numbers to plot: this table holds significance claims only."
    fig, ax = plt.subplots(figsize=(9, 1.8))
    ax.axis("off")
    ax.text(0.5, 0.55, note, ha="center", va="center", fontsize=10)
    ax.set_title(textwrap.fill(title, 90), fontsize=9)
    fig.text(0.99, 0.01, DISCLAIMER, ha="right", va="bottom", fontsize=7, color="#a00000")
    save_png(fig, png, 110)
    html_path.write_text(
        f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<p><b>{html.escape(DISCLAIMER)}</b></p><h2>{html.escape(title)}</h2>"
        f"<p>{html.escape(note)}</p>", encoding="utf-8")
    return [png, html_path]
