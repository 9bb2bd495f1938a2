"""Clinical-scale layer: convert latent severities to published rating scales.

The model's latent depression severity is expressed on the MADRS scale
(Montgomery-Asberg Depression Rating Scale, 0-60 points) and its latent
anxiety severity on the HAM-A scale (Hamilton Anxiety Rating Scale,
0-56 points).  This module maps those *source* scores onto other clinical
scales with monotone piecewise-linear interpolation through anchor points
taken from published linking studies, and defines response and remission
per scale.

The scale definitions and anchor tables are data (``moodtwin/data/scales.yaml``, loaded
here); every anchor table records its provenance in :attr:`Scale.citation`.  Anchors
that could not be verified against a published linking table are marked
``"approximate, assumed: <why>"`` there.

Notes
-----
Linking tables for HRSD24, BDI-II and IDS are published against the HRSD17,
not against the MADRS.  For those scales the MADRS anchors are obtained by
composing the MADRS->HRSD17 link with the HRSD17->target link (chained
linking); the composition of two piecewise-linear monotone maps is again
piecewise-linear and monotone, so the result is stored as an ordinary anchor
table.  Chained links add error; treat converted scores as population-level
approximations, not as individual-patient equivalences.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Final

import numpy as np
import yaml
from numpy.typing import ArrayLike, NDArray

from moodtwin.errors import UnknownNameError, ValidationError

__all__ = [
    "ALIASES",
    "ANXIETY_SCALES",
    "DEPRESSION_SCALES",
    "HAMA_MAX",
    "MADRS_MAX",
    "SCALES",
    "Scale",
    "convert",
    "criteria_text",
    "get_scale",
    "is_remission",
    "is_response",
    "to_source",
    "verdict",
]

MADRS_MAX: Final[float] = 60.0
"""Maximum MADRS total score (10 items x 0-6 points)."""

HAMA_MAX: Final[float] = 56.0
"""Maximum HAM-A total score (14 items x 0-4 points)."""

DEPRESSION_SCALES: Final[tuple[str, ...]] = (
    "MADRS",
    "HAMD17",
    "HRSD24",
    "HRSD28",
    "BDI2",
    "PHQ9",
    "IDS30",
    "QIDS16",
    "HRSD21",
)
"""Depression scales; their source scale is the MADRS."""

ANXIETY_SCALES: Final[tuple[str, ...]] = ("HAMA", "GAD7")
"""Anxiety scales; their source scale is the HAM-A."""

_Anchors = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Scale:
    """A clinical rating scale and its link to the model's source scale.

    Parameters
    ----------
    name : str
        Canonical short name, e.g. ``"HAMD17"``.
    long_name : str
        Full instrument name.
    max_score : float
        Maximum total score of the instrument, in points of this scale.
    construct : str
        ``"depression"`` (source scale MADRS, 0-60 points) or ``"anxiety"``
        (source scale HAM-A, 0-56 points).
    anchors_from : tuple of (float, float)
        ``(source_score, this_score)`` anchor pairs, both in points.  Source
        scores are strictly increasing, scale scores non-decreasing; the
        first pair is ``(0, 0)`` and the last ``(source max, max_score)``.
    response_fraction : float
        Minimum fractional reduction from baseline that counts as response
        (dimensionless, in (0, 1)); 0.5 means a reduction of at least 50 %.
    remission_threshold : float
        A score ``<=`` this value (points of this scale) is remission.
    citation : str
        Sources of the anchors and of the response/remission definitions.
    """

    name: str
    long_name: str
    max_score: float
    construct: str
    anchors_from: _Anchors
    response_fraction: float
    remission_threshold: float
    citation: str

    def __post_init__(self) -> None:
        """Validate the anchor table and the response/remission definitions."""
        if self.construct not in ("depression", "anxiety"):
            msg = f"{self.name}: construct must be 'depression' or 'anxiety'"
            raise ValidationError(msg)
        src_max = MADRS_MAX if self.construct == "depression" else HAMA_MAX
        xs, ys = _split(self.anchors_from)
        if xs.size < 2:
            raise ValidationError(f"{self.name}: need at least two anchors")
        if (xs[0], ys[0]) != (0.0, 0.0):
            raise ValidationError(f"{self.name}: first anchor must be (0, 0)")
        if (xs[-1], ys[-1]) != (src_max, self.max_score):
            msg = f"{self.name}: last anchor must be ({src_max}, {self.max_score})"
            raise ValidationError(msg)
        if np.any(np.diff(xs) <= 0.0):
            raise ValidationError(f"{self.name}: source anchors must strictly increase")
        if np.any(np.diff(ys) < 0.0):
            raise ValidationError(f"{self.name}: scale anchors must not decrease")
        if not 0.0 < self.response_fraction < 1.0:
            raise ValidationError(f"{self.name}: response_fraction must be in (0, 1)")
        if not 0.0 <= self.remission_threshold <= self.max_score:
            msg = f"{self.name}: remission_threshold must be in [0, max_score]"
            raise ValidationError(msg)

    @property
    def source_name(self) -> str:
        """Name of the source scale (``"MADRS"`` or ``"HAMA"``)."""
        return "MADRS" if self.construct == "depression" else "HAMA"

    @property
    def source_max(self) -> float:
        """Maximum score of the source scale, in source-scale points."""
        return MADRS_MAX if self.construct == "depression" else HAMA_MAX


def _split(anchors: _Anchors) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Split anchor pairs into source and target arrays (points)."""
    arr = np.asarray(anchors, dtype=np.float64).reshape(-1, 2)
    return arr[:, 0].copy(), arr[:, 1].copy()


def _compose(first: _Anchors, second: _Anchors) -> _Anchors:
    """Compose two monotone piecewise-linear links (chained linking).

    Parameters
    ----------
    first : tuple of (float, float)
        ``(source, intermediate)`` anchors; must be strictly increasing in
        both coordinates so that it can be inverted.
    second : tuple of (float, float)
        ``(intermediate, target)`` anchors covering the whole intermediate
        range.

    Returns
    -------
    tuple of (float, float)
        ``(source, target)`` anchors of ``second(first(source))``; the knots
        are the union of the first link's knots and the pre-images of the
        second link's knots, so the composition is exact.
    """
    x1, y1 = _split(first)
    x2, y2 = _split(second)
    inner = x2[(x2 > y1[0]) & (x2 < y1[-1])]
    raw = np.sort(np.concatenate([x1, np.interp(inner, y1, x1)]))
    raw = raw[np.concatenate([[True], np.diff(raw) > 1e-9])]
    # Evaluate on the unrounded knots, then round away float noise so that
    # published anchor values are reproduced exactly.
    knots = np.round(raw, 9)
    target = np.round(np.interp(np.interp(raw, x1, y1), x2, y2), 9)
    return tuple((float(k), float(t)) for k, t in zip(knots, target, strict=True))


# ---------------------------------------------------------------------------
# The scale definitions and published linking tables are data: moodtwin/data/scales.yaml
# ---------------------------------------------------------------------------
SCALE_FILE: Final[str] = "data/scales.yaml"


def _load() -> tuple[dict[str, Scale], dict[str, str]]:
    """Scales (anchor tables composed along each scale's chain of links) and aliases from
    :data:`SCALE_FILE`; every table is checked by :class:`Scale`."""
    doc = yaml.safe_load(resources.files("moodtwin").joinpath(SCALE_FILE)
                         .read_text(encoding="utf-8"))
    if doc["source_max"] != {"MADRS": MADRS_MAX, "HAMA": HAMA_MAX}:
        raise ValidationError(f"{SCALE_FILE}: source_max must be MADRS 60 and HAMA 56.")
    links = {k: tuple((float(x), float(y)) for x, y in v["anchors"])
             for k, v in doc["links"].items()}
    scales = {}
    for name, e in doc["scales"].items():
        top = MADRS_MAX if e["construct"] == "depression" else HAMA_MAX
        anchors: _Anchors = ((0.0, 0.0), (top, top))  # identity: the source scale itself
        for k, link in enumerate(e["link"]):
            anchors = links[link] if k == 0 else _compose(anchors, links[link])
        scales[name] = Scale(
            name=name, long_name=e["long_name"], max_score=float(e["max_score"]),
            construct=e["construct"], anchors_from=anchors,
            response_fraction=float(e["response_fraction"]),
            remission_threshold=float(e["remission_threshold"]),
            citation=e["citation"].format(**doc["references"]))
    return scales, {str(k): str(v) for k, v in doc["aliases"].items()}


_SCALES, _ALIASES = _load()
SCALES: Final[dict[str, Scale]] = _SCALES
"""All supported scales, keyed by canonical name."""

ALIASES: Final[dict[str, str]] = _ALIASES
"""Alternative spellings -> canonical scale names (matched case-insensitively)."""

_LOOKUP: Final[dict[str, str]] = {
    **{key.upper(): key for key in SCALES},
    **{alias.upper(): target for alias, target in ALIASES.items()},
}


def get_scale(name: str) -> Scale:
    """Return the :class:`Scale` for a canonical name or alias.

    Parameters
    ----------
    name : str
        Scale name or alias, matched case-insensitively and ignoring
        surrounding whitespace (e.g. ``"ham-d"``, ``"BDI-II"``).

    Returns
    -------
    Scale
        The matching scale definition.

    Raises
    ------
    UnknownNameError
        If ``name`` is neither a canonical name nor an alias; the message
        suggests close matches.
    """
    canonical = _LOOKUP.get(name.strip().upper()) if isinstance(name, str) else None
    if canonical is None:
        raise UnknownNameError("scale", name, list(SCALES) + list(ALIASES))
    return SCALES[canonical]


def convert(score_madrs_or_hama: ArrayLike, scale: str) -> NDArray[np.float64]:
    """Convert source-scale scores to ``scale``.

    Parameters
    ----------
    score_madrs_or_hama : array_like of float
        Source scores: MADRS points (0-60) for depression scales, HAM-A
        points (0-56) for anxiety scales.  Values outside the source range
        are clamped to it; NaN propagates.
    scale : str
        Target scale name or alias.

    Returns
    -------
    numpy.ndarray of float64
        Scores in points of ``scale``, in ``[0, max_score]``, same shape as
        the input (0-d array for scalar input).
    """
    sc = get_scale(scale)
    xs, ys = _split(sc.anchors_from)
    src = np.asarray(score_madrs_or_hama, dtype=np.float64)
    out = np.interp(src, xs, ys)
    return np.clip(out, 0.0, sc.max_score)


def to_source(score: ArrayLike, scale: str) -> NDArray[np.float64]:
    """Convert scores on ``scale`` back to the source scale (inverse link).

    Parameters
    ----------
    score : array_like of float
        Scores in points of ``scale``; values outside ``[0, max_score]`` are
        clamped; NaN propagates.
    scale : str
        Scale name or alias.

    Returns
    -------
    numpy.ndarray of float64
        MADRS points (0-60) for depression scales or HAM-A points (0-56) for
        anxiety scales.  Where the link is flat (e.g. the PHQ-9 ceiling of 27
        reached at MADRS 48) the lowest source score is returned, so
        ``convert(to_source(y, s), s) == y`` always holds.
    """
    sc = get_scale(scale)
    xs, ys = _split(sc.anchors_from)
    ys_unique, first = np.unique(ys, return_index=True)
    out = np.interp(np.asarray(score, dtype=np.float64), ys_unique, xs[first])
    return np.clip(out, 0.0, sc.source_max)


def is_response(
    baseline: ArrayLike, current: ArrayLike, scale: str
) -> NDArray[np.bool_]:
    """Whether the reduction from baseline meets the scale's response criterion.

    Response is ``current <= (1 - response_fraction) * baseline``, i.e. a
    reduction of at least ``response_fraction`` (50 % for all scales here).

    Parameters
    ----------
    baseline : array_like of float
        Baseline scores, in points of ``scale``.
    current : array_like of float
        Current scores, in points of ``scale``; broadcast against
        ``baseline``.
    scale : str
        Scale name or alias.

    Returns
    -------
    numpy.ndarray of bool
        Broadcast shape of the inputs; False where either input is NaN.
    """
    sc = get_scale(scale)
    base = np.asarray(baseline, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    return np.asarray(cur <= (1.0 - sc.response_fraction) * base)


def is_remission(
    current: ArrayLike, scale: str, threshold: float | None = None
) -> NDArray[np.bool_]:
    """Whether scores are at or below the remission threshold.

    Parameters
    ----------
    current : array_like of float
        Scores in points of ``scale``.
    scale : str
        Scale name or alias.
    threshold : float, optional
        Remission threshold in points of ``scale``; defaults to the scale's
        standard :attr:`Scale.remission_threshold` (e.g. HAMD17 <= 7).

    Returns
    -------
    numpy.ndarray of bool
        ``current <= threshold``, same shape as ``current``; False for NaN.
    """
    sc = get_scale(scale)
    thr = sc.remission_threshold if threshold is None else float(threshold)
    return np.asarray(np.asarray(current, dtype=np.float64) <= thr)


def verdict(baseline: ArrayLike, current: ArrayLike, scale: str) -> NDArray[np.str_]:
    """Clinical verdict per score: ``"remission"``, ``"response"`` or ``"no response"``.

    Remission (:func:`is_remission`, the scale's standard threshold) wins over response
    (:func:`is_response`); scores in points of ``scale``; ``"n/a"`` where either is NaN.
    """
    base = np.asarray(baseline, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    out = np.where(is_remission(cur, scale), "remission",
                   np.where(is_response(base, cur, scale), "response", "no response"))
    return np.where(np.isnan(base) | np.isnan(cur), "n/a", out)


def criteria_text(scale: str = "MADRS") -> str:
    """The response and remission criteria of ``scale`` in words, for reports."""
    sc = get_scale(scale)
    return (f"response = {sc.name} reduced by >= {100 * sc.response_fraction:g} % from "
            f"baseline; remission = {sc.name} <= {sc.remission_threshold:g}")
