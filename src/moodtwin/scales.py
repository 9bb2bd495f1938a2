"""Clinical-scale layer: convert latent severities to published rating scales.

The model's latent depression severity is expressed on the MADRS scale
(Montgomery-Asberg Depression Rating Scale, 0-60 points), its latent
anxiety severity on the HAM-A scale (Hamilton Anxiety Rating Scale,
0-56 points) and its PTSD severity on the PCL-5 (PTSD Checklist for DSM-5,
0-80 points).  This module maps those *source* scores onto other clinical
scales with monotone piecewise-linear interpolation through anchor points
taken from published linking studies, and defines response and remission
per scale.

Every anchor table records its provenance in :attr:`Scale.citation`.  Anchors
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
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from moodtwin.errors import UnknownNameError, ValidationError

__all__ = [
    "ALIASES",
    "ANXIETY_SCALES",
    "CONSTRUCTS",
    "Construct",
    "CGII_CITATION",
    "DEPRESSION_SCALES",
    "HAMA_MAX",
    "MADRS_MAX",
    "MEASURES",
    "Measure",
    "PCL5_MAX",
    "PTSD_SCALES",
    "SCALES",
    "Scale",
    "cgi_improvement",
    "convert",
    "get_scale",
    "is_remission",
    "is_response",
    "source_score",
    "to_source",
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
    "HAMD6",
    "CGIS",
)
"""Depression scales; their source scale is the MADRS."""

ANXIETY_SCALES: Final[tuple[str, ...]] = ("HAMA", "GAD7")
"""Anxiety scales; their source scale is the HAM-A."""

PCL5_MAX: Final[float] = 80.0
"""Maximum PCL-5 total score (20 items x 0-4 points)."""

PTSD_SCALES: Final[tuple[str, ...]] = ("PCL5",)
"""PTSD scales; their source scale is the PCL-5."""


@dataclass(frozen=True)
class Construct:
    """What a family of scales measures: the model observable that gives its source score
    (``source``, points 0-``source_max`` of ``source_scale``) and the column of the
    day-to-day fluctuation added to it (None: none is modelled, only rater noise)."""

    source_scale: str
    source: str
    source_max: float
    fluctuation: int | None


CONSTRUCTS: Final[dict[str, Construct]] = {
    "depression": Construct("MADRS", "madrs", MADRS_MAX, 0),
    "anxiety": Construct("HAMA", "hama", HAMA_MAX, 1),
    # assumed: no day-to-day fluctuation model of PTSD severity (rater noise only)
    "ptsd": Construct("PCL5", "pcl5", PCL5_MAX, None),
}
"""Constructs and their source scales (observable names of the model)."""

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
        ``"depression"`` (source scale MADRS, 0-60 points), ``"anxiety"``
        (source scale HAM-A, 0-56 points) or ``"ptsd"`` (source scale PCL-5,
        0-80 points); see :data:`CONSTRUCTS`.
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
    min_score : float
        Lowest score of the instrument (0; 1 for the CGI-S); the first anchor is
        ``(0, min_score)``.
    self_rated : bool
        The patient rates it (BDI-II, PHQ-9, GAD-7, PCL-5): no clinician, so an open-label
        trial's observer bias does not apply.
    """

    name: str
    long_name: str
    max_score: float
    construct: str
    anchors_from: _Anchors
    response_fraction: float
    remission_threshold: float
    citation: str
    min_score: float = 0.0  # lowest score of the instrument (1 for the CGI-S)
    self_rated: bool = False  # the patient fills it in: no clinician, so no observer bias

    def __post_init__(self) -> None:
        """Validate the anchor table and the response/remission definitions."""
        if self.construct not in CONSTRUCTS:
            msg = f"{self.name}: construct must be one of {', '.join(CONSTRUCTS)}"
            raise ValidationError(msg)
        src_max = CONSTRUCTS[self.construct].source_max
        xs, ys = _split(self.anchors_from)
        if xs.size < 2:
            raise ValidationError(f"{self.name}: need at least two anchors")
        if (xs[0], ys[0]) != (0.0, self.min_score):
            raise ValidationError(f"{self.name}: first anchor must be (0, {self.min_score:g})")
        if (xs[-1], ys[-1]) != (src_max, self.max_score):
            msg = f"{self.name}: last anchor must be ({src_max}, {self.max_score})"
            raise ValidationError(msg)
        if np.any(np.diff(xs) <= 0.0):
            raise ValidationError(f"{self.name}: source anchors must strictly increase")
        if np.any(np.diff(ys) < 0.0):
            raise ValidationError(f"{self.name}: scale anchors must not decrease")
        if not 0.0 < self.response_fraction < 1.0:
            raise ValidationError(f"{self.name}: response_fraction must be in (0, 1)")
        if not self.min_score <= self.remission_threshold <= self.max_score:
            msg = f"{self.name}: remission_threshold must be in [0, max_score]"
            raise ValidationError(msg)

    @property
    def source_name(self) -> str:
        """Name of the source scale (``"MADRS"``, ``"HAMA"`` or ``"PCL5"``)."""
        return CONSTRUCTS[self.construct].source_scale

    @property
    def construct_source(self) -> str:
        """The model observable that gives the source score (``madrs``, ``hama``, ``pcl5``)."""
        return CONSTRUCTS[self.construct].source

    @property
    def source_max(self) -> float:
        """Maximum score of the source scale, in source-scale points."""
        return CONSTRUCTS[self.construct].source_max


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
# Published linking tables (scores in points of the named scales)
# ---------------------------------------------------------------------------

# MADRS -> HRSD17.  Leucht et al. (equipercentile linking, 4388 patients from
# 31 mirtazapine trials): HAM-D 10, 20, 30, 40 ~ MADRS 13, 26, 39, 52-53
# (52.5 used).  Carmody et al. 2006 (IRT): HRSD17 7 ~ MADRS 8 or 9 (8.5 used).
_MADRS_TO_HAMD17: Final[_Anchors] = (
    (0.0, 0.0),
    (8.5, 7.0),
    (13.0, 10.0),
    (26.0, 20.0),
    (39.0, 30.0),
    (52.5, 40.0),
    (MADRS_MAX, 52.0),
)

# HRSD17 -> HRSD24, IRT conversion table "adapted from Rush et al. 2003,
# Trivedi et al. 2004" on ids-qids.org/interpretation.html; mid-points of the
# listed score ranges.  The two table rows for HRSD17 18-19 (HRSD24 24-25 and
# 26) are merged to (18.5, 25); the open top row 36-52 <-> 50-75 gives the
# last two anchors.
_HAMD17_TO_HRSD24: Final[_Anchors] = (
    (0.0, 0.0),
    (1.5, 2.0),
    (3.0, 3.5),
    (4.0, 5.0),
    (5.5, 6.5),
    (7.0, 8.5),
    (8.0, 10.5),
    (9.5, 12.0),
    (11.0, 13.5),
    (12.0, 15.5),
    (13.0, 17.5),
    (14.5, 19.0),
    (16.0, 20.5),
    (17.0, 22.5),
    (18.5, 25.0),
    (20.0, 27.5),
    (21.5, 29.5),
    (23.0, 31.5),
    (24.0, 33.0),
    (25.0, 34.0),
    (26.5, 36.5),
    (28.0, 39.0),
    (29.0, 40.5),
    (30.5, 43.0),
    (32.0, 45.5),
    (34.0, 48.0),
    (36.0, 50.0),
    (52.0, 75.0),
)

# HRSD17 -> IDS (30 items, 0-84), same ids-qids.org table, IDS-SR30 column
# (the IDS-C30 column was not available); mid-points of the listed ranges.
# Rows HRSD17 18-19 (IDS-SR 34-36 and 37-38) merged to (18.5, 35.5); the row
# printed "62-24" is read as 62-64.
_HAMD17_TO_IDS30: Final[_Anchors] = (
    (0.0, 0.0),
    (1.5, 4.5),
    (3.0, 6.0),
    (4.0, 7.5),
    (5.5, 10.0),
    (7.0, 12.5),
    (8.0, 15.0),
    (9.5, 17.5),
    (11.0, 20.0),
    (12.0, 22.5),
    (13.0, 24.5),
    (14.5, 27.0),
    (16.0, 29.5),
    (17.0, 32.0),
    (18.5, 35.5),
    (20.0, 39.5),
    (21.5, 42.0),
    (23.0, 44.5),
    (24.0, 46.5),
    (25.0, 48.0),
    (26.5, 51.0),
    (28.0, 54.5),
    (29.0, 57.0),
    (30.5, 60.0),
    (32.0, 63.0),
    (34.0, 66.0),
    (36.0, 68.0),
    (52.0, 84.0),
)

# HRSD17 -> QIDS (16 items, 0-27) and HRSD17 -> HRSD21 (0-64), same ids-qids.org
# table, QIDS-SR16 and HRSD21 columns; mid-points of the listed ranges.  The two rows
# for HRSD17 18-19 (QIDS 14 and 15; HRSD21 20-21 and 22) are merged to 14.5 and 21.25;
# the open top row HRSD17 36-52 <-> QIDS 27 / HRSD21 42-64 gives the last two anchors.
_HAMD17_TO_QIDS16: Final[_Anchors] = (
    (0.0, 0.0), (1.5, 1.0), (3.0, 2.0), (4.0, 3.0), (5.5, 4.0), (7.0, 5.0), (8.0, 6.0),
    (9.5, 7.0), (11.0, 8.0), (12.0, 9.0), (13.0, 10.0), (14.5, 11.0), (16.0, 12.0),
    (17.0, 13.0), (18.5, 14.5), (20.0, 16.0), (21.5, 17.0), (23.0, 18.0), (24.0, 19.0),
    (25.0, 20.0), (26.5, 21.0), (28.0, 22.0), (29.0, 23.0), (30.5, 24.0), (32.0, 25.0),
    (34.0, 26.0), (36.0, 27.0), (52.0, 27.0),
)
_HAMD17_TO_HRSD21: Final[_Anchors] = (
    (0.0, 0.0), (1.5, 2.0), (3.0, 3.0), (4.0, 4.0), (5.5, 5.5), (7.0, 7.5), (8.0, 9.0),
    (9.5, 10.0), (11.0, 11.5), (12.0, 13.0), (13.0, 14.5), (14.5, 16.0), (16.0, 17.0),
    (17.0, 18.5), (18.5, 21.25), (20.0, 23.0), (21.5, 24.5), (23.0, 26.0), (24.0, 27.0),
    (25.0, 28.0), (26.5, 30.0), (28.0, 32.0), (29.0, 33.5), (30.5, 35.5), (32.0, 37.5),
    (34.0, 40.0), (36.0, 42.0), (52.0, 64.0),
)

# HRSD17 -> BDI-II.  Furukawa et al. 2019 (equipercentile linking, 683
# patients): HAMD 10, 20, 30 ~ BDI-II 13, 32, 50; plus (0, 0) and (52, 63).
_HAMD17_TO_BDI2: Final[_Anchors] = (
    (0.0, 0.0),
    (10.0, 13.0),
    (20.0, 32.0),
    (30.0, 50.0),
    (52.0, 63.0),
)

# MADRS -> PHQ-9.  Kim et al. (OPTIMUM trial, equipercentile linking, older
# adults): PHQ-9 1, 15, 27 ~ MADRS 1, 24, 48.  PHQ-9 reaches its ceiling (27)
# at MADRS 48, so the link is flat from MADRS 48 to 60.
_MADRS_TO_PHQ9: Final[_Anchors] = (
    (0.0, 0.0),
    (1.0, 1.0),
    (24.0, 15.0),
    (48.0, 27.0),
    (MADRS_MAX, 27.0),
)

# HRSD24 -> HRSD28: approximate, assumed identical up to the HRSD24 maximum
# region, with the top stretched to the assumed HRSD28 maximum (see citation).
_HRSD28_MAX: Final[float] = 83.0
_HRSD24_TO_HRSD28: Final[_Anchors] = (
    (0.0, 0.0),
    (50.0, 50.0),
    (75.0, _HRSD28_MAX),
)

# HAM-A -> GAD-7: approximate severity-band alignment (no linking table found).
# HAM-A bands (Matza et al. 2010): <=7 minimal, 8-14 mild, 15-23 moderate,
# >=24 severe.  GAD-7 bands (Spitzer et al. 2006): 0-4, 5-9, 10-14, 15-21.
_HAMA_TO_GAD7: Final[_Anchors] = (
    (0.0, 0.0),
    (8.0, 5.0),
    (15.0, 10.0),
    (24.0, 15.0),
    (HAMA_MAX, 21.0),
)

_MADRS_TO_HRSD24: Final[_Anchors] = _compose(_MADRS_TO_HAMD17, _HAMD17_TO_HRSD24)

# HAM-D6 (Bech melancholia items 1, 2, 7, 8, 10, 13; 0-22) from HRSD17, approximate: the
# remission cut-offs HAM-D6 <= 4 and HRSD17 <= 7 are aligned, linear to the maxima.
_HAMD17_TO_HAMD6: Final[_Anchors] = ((0.0, 0.0), (7.0, 4.0), (52.0, 22.0))
# CGI-S (1-7) from MADRS: MADRS < 8 ~ CGI-S 2 (Leucht et al. 2017, verified); the higher
# anchors are approximate (evenly spaced severity bands up to the MADRS maximum).
_MADRS_TO_CGIS: Final[_Anchors] = ((0.0, 1.0), (8.0, 2.0), (16.0, 3.0), (24.0, 4.0),
                                   (32.0, 5.0), (44.0, 6.0), (MADRS_MAX, 7.0))

_CARMODY = (
    "Carmody TJ et al. 2006, 'The Montgomery Asberg and the Hamilton ratings "
    "of depression: a comparison of measures', Eur Neuropsychopharmacol "
    "16(8):601-611, doi:10.1016/j.euroneuro.2006.04.008 (IRT: HRSD17 7 ~ "
    "MADRS 8 or 9)"
)
_LEUCHT = (
    "Leucht S et al. 'Translating the HAM-D into the MADRS and vice versa "
    "with equipercentile linking', J Affect Disord (PII S0165032717300903, "
    "PMID 29031182): HAM-D 10/20/30/40 ~ MADRS 13/26/39/52-53"
)
_RUSH_TABLE = (
    "IRT conversion table on ids-qids.org/interpretation.html, 'adapted from "
    "Rush et al. 2003, Trivedi et al. 2004' (HRSD17 vs IDS-SR30/QIDS-SR16/"
    "HRSD21/HRSD24); range mid-points used"
)

SCALES: Final[dict[str, Scale]] = {
    "MADRS": Scale(
        name="MADRS",
        long_name="Montgomery-Asberg Depression Rating Scale",
        max_score=MADRS_MAX,
        construct="depression",
        anchors_from=((0.0, 0.0), (MADRS_MAX, MADRS_MAX)),
        response_fraction=0.5,
        remission_threshold=9.0,
        citation=(
            "Identity (source scale). Remission MADRS <= 9: Hawley CJ et al. "
            "2002, PMID 12200208 (optimal remission 'MADRS <10' vs CGI-S); "
            "Zimmerman M et al. 2004, J Clin Psychiatry 65(2):163-8, PMID "
            "15003068 (broad-definition cutoff <= 9). Many trials use <= 10; "
            "pass threshold= to override. Response: >= 50 % reduction."
        ),
    ),
    "HAMD17": Scale(
        name="HAMD17",
        long_name="Hamilton Rating Scale for Depression, 17 items",
        max_score=52.0,
        construct="depression",
        anchors_from=_MADRS_TO_HAMD17,
        response_fraction=0.5,
        remission_threshold=7.0,
        citation=(
            f"Verified anchors: {_LEUCHT}; {_CARMODY}. Endpoint (60, 52) = "
            "scale maxima. Remission HAMD17 <= 7 (standard; e.g. BMC "
            "Psychiatry 2016, doi:10.1186/s12888-016-1067-3, 'symptomatic "
            "remission (HAMD-17 <= 7)'). Response: >= 50 % reduction."
        ),
    ),
    "HRSD24": Scale(
        name="HRSD24",
        long_name="Hamilton Rating Scale for Depression, 24 items",
        max_score=75.0,
        construct="depression",
        anchors_from=_MADRS_TO_HRSD24,
        response_fraction=0.5,
        remission_threshold=10.0,
        citation=(
            f"Chained link MADRS -> HRSD17 ({_LEUCHT}; {_CARMODY}) -> HRSD24 "
            f"({_RUSH_TABLE}); maximum 75 from that table's top row 50-75. "
            "Remission HRSD24 <= 10 and response >= 50 % reduction: Husain MM "
            "et al. 2004 (CORE ECT), J Clin Psychiatry, "
            "doi:10.4088/jcp.v65n0406."
        ),
    ),
    "HRSD28": Scale(
        name="HRSD28",
        long_name="Hamilton Rating Scale for Depression, 28 items",
        max_score=_HRSD28_MAX,
        construct="depression",
        anchors_from=_compose(_MADRS_TO_HRSD24, _HRSD24_TO_HRSD28),
        response_fraction=0.5,
        remission_threshold=10.0,
        citation=(
            "approximate, assumed: no HRSD28 linking table or maximum score "
            "was found. HRSD28 is taken equal to HRSD24 (see HRSD24 sources) "
            "up to HRSD24 50, on the assumption that the 4 extra (atypical "
            "symptom) items score ~0 at typical severities, then stretched "
            "linearly to an assumed maximum of 83 (75 + 4 items x 2). "
            "Remission <= 10 assumed equal to the HRSD24 definition (Husain "
            "et al. 2004, doi:10.4088/jcp.v65n0406). Response: >= 50 %."
        ),
    ),
    "BDI2": Scale(
        name="BDI2",
        self_rated=True,
        long_name="Beck Depression Inventory, second edition (BDI-II)",
        max_score=63.0,
        construct="depression",
        anchors_from=_compose(_MADRS_TO_HAMD17, _HAMD17_TO_BDI2),
        response_fraction=0.5,
        remission_threshold=13.0,
        citation=(
            f"Chained link MADRS -> HRSD17 ({_LEUCHT}; {_CARMODY}) -> BDI-II: "
            "Furukawa TA et al. 2019, 'Translating the BDI and BDI-II into "
            "the HAMD and vice versa with equipercentile linking', Epidemiol "
            "Psychiatr Sci 29:e24 (HAMD 10/20/30 ~ BDI-II 13/32/50). "
            "Endpoint (60, 63) = scale maxima. Remission BDI-II <= 13 "
            "(upper bound of the BDI-II 'minimal' range 0-13, Beck, Steer & "
            "Brown 1996, as quoted in secondary sources). Response: >= 50 %."
        ),
    ),
    "PHQ9": Scale(
        name="PHQ9",
        self_rated=True,
        long_name="Patient Health Questionnaire, 9 items",
        max_score=27.0,
        construct="depression",
        anchors_from=_MADRS_TO_PHQ9,
        response_fraction=0.5,
        remission_threshold=4.0,
        citation=(
            "Kim HK et al. 'Relationship between PHQ-9 and MADRS total scores "
            "in older adults with major depressive disorder: an analysis of "
            "the OPTIMUM clinical trial', J Affect Disord 2024;361:651-658, "
            "doi:10.1016/j.jad.2024.06.068 (abstract: PHQ-9 1/15/27 ~ MADRS "
            "1/24/48; flat at the PHQ-9 ceiling above MADRS 48). Remission "
            "PHQ-9 < 5 (i.e. <= 4; Kroenke et al. 2001 'none-minimal' band "
            "0-4). Response: PHQ-9 reduced by >= 50 % (MN Community "
            "Measurement depression-response measure)."
        ),
    ),
    "IDS30": Scale(
        name="IDS30",
        long_name="Inventory of Depressive Symptomatology, 30 items (IDS-C30)",
        max_score=84.0,
        construct="depression",
        anchors_from=_compose(_MADRS_TO_HAMD17, _HAMD17_TO_IDS30),
        response_fraction=0.5,
        remission_threshold=11.0,
        citation=(
            f"Chained link MADRS -> HRSD17 ({_LEUCHT}; {_CARMODY}) -> IDS: "
            f"{_RUSH_TABLE}. approximate, assumed: the IDS-SR30 column is "
            "used for the clinician version IDS-C30 (same 30 items, same "
            "0-84 range) because the IDS-C30 column could not be read. "
            "approximate, assumed: remission IDS-C30 <= 11 is the "
            "conventional IDS-C30 'no depression' band, not verified here; "
            "the verified IDS-SR30 band is 0-13. Response: >= 50 %."
        ),
    ),
    "QIDS16": Scale(
        name="QIDS16",
        long_name="Quick Inventory of Depressive Symptomatology, 16 items (QIDS-SR16/-C16)",
        max_score=27.0,
        construct="depression",
        anchors_from=_compose(_MADRS_TO_HAMD17, _HAMD17_TO_QIDS16),
        response_fraction=0.5,
        remission_threshold=5.0,
        citation=(
            f"Chained link MADRS -> HRSD17 ({_LEUCHT}; {_CARMODY}) -> QIDS-SR16: "
            f"{_RUSH_TABLE}. approximate, assumed: the QIDS-SR16 column is also used for "
            "the clinician version QIDS-C16 (same 16 items and 0-27 range; the QIDS-C16 "
            "column was not read). Remission QIDS-SR16 <= 5 (the table's 'none' band; STAR*D, "
            "Rush et al. 2006 Am J Psychiatry 163:1905); response >= 50 %."
        ),
    ),
    "HRSD21": Scale(
        name="HRSD21",
        long_name="Hamilton Rating Scale for Depression, 21 items",
        max_score=64.0,
        construct="depression",
        anchors_from=_compose(_MADRS_TO_HAMD17, _HAMD17_TO_HRSD21),
        response_fraction=0.5,
        remission_threshold=8.0,
        citation=(
            f"Chained link MADRS -> HRSD17 ({_LEUCHT}; {_CARMODY}) -> HRSD21 "
            f"({_RUSH_TABLE}); maximum 64 from that table's top row 42-64. approximate, "
            "assumed: remission HRSD21 <= 8 is the table's 'none' band (rows up to 7-8); "
            "response >= 50 %."
        ),
    ),
    "HAMD6": Scale(
        name="HAMD6",
        long_name="Hamilton Depression Rating Scale, 6-item melancholia subscale (Bech)",
        max_score=22.0,
        construct="depression",
        anchors_from=_compose(_MADRS_TO_HAMD17, _HAMD17_TO_HAMD6),
        response_fraction=0.5,
        remission_threshold=4.0,
        citation=(
            f"Chained link MADRS -> HRSD17 ({_LEUCHT}; {_CARMODY}) -> HAM-D6. approximate, "
            "assumed: no HRSD17 -> HAM-D6 linking table was read; the anchors align the "
            "remission cut-offs HAM-D6 <= 4 and HRSD17 <= 7 (Timmerby et al. 2017, Psychother "
            "Psychosom 86:141, review of the HAM-D6) and the maxima (22, 52), linear between. "
            "Response: >= 50 % reduction."
        ),
    ),
    "CGIS": Scale(
        name="CGIS",
        long_name="Clinical Global Impression - Severity (1 normal to 7 extremely ill)",
        max_score=7.0,
        min_score=1.0,
        construct="depression",
        anchors_from=_MADRS_TO_CGIS,
        response_fraction=0.5,
        remission_threshold=2.0,
        citation=(
            "MADRS < 8 ~ CGI-S 2 'borderline ill' (remission): Leucht S et al. 2017, J Affect "
            "Disord 210:287 (equipercentile linking, 22 trials). approximate, assumed: the "
            "other anchors are evenly spaced severity bands (CGI-S 3-7 at MADRS 16/24/32/44/"
            "60). Remission CGI-S <= 2. Response on the CGI is judged with the CGI-I "
            "(cgi_improvement), not by a 50 % fall of the CGI-S: a CGI-S 'response' is only "
            "the generic 50 % rule."
        ),
    ),
    "HAMA": Scale(
        name="HAMA",
        long_name="Hamilton Anxiety Rating Scale",
        max_score=HAMA_MAX,
        construct="anxiety",
        anchors_from=((0.0, 0.0), (HAMA_MAX, HAMA_MAX)),
        response_fraction=0.5,
        remission_threshold=7.0,
        citation=(
            "Identity (source scale). Remission HAM-A <= 7: 'no/minimal "
            "anxiety' range of Matza LS et al. 2010, 'Identifying HAM-A "
            "cutoffs for mild, moderate, and severe generalized anxiety "
            "disorder', Int J Methods Psychiatr Res 19(4):223-232, "
            "doi:10.1002/mpr.323. Response: >= 50 % reduction (convention)."
        ),
    ),
    "GAD7": Scale(
        name="GAD7",
        self_rated=True,
        long_name="Generalized Anxiety Disorder 7-item scale",
        max_score=21.0,
        construct="anxiety",
        anchors_from=_HAMA_TO_GAD7,
        response_fraction=0.5,
        remission_threshold=4.0,
        citation=(
            "approximate, assumed: no published HAM-A <-> GAD-7 linking table "
            "was found; anchors align severity-band lower bounds: HAM-A 8/15/"
            "24 (mild/moderate/severe, Matza et al. 2010, doi:10.1002/"
            "mpr.323) ~ GAD-7 5/10/15 (Spitzer et al. 2006 cut points), plus "
            "(0, 0) and (56, 21). Remission GAD-7 < 5 (<= 4, 'minimal' band). "
            "Response: >= 50 % reduction (convention)."
        ),
    ),
    "PCL5": Scale(
        name="PCL5",
        self_rated=True,
        long_name="PTSD Checklist for DSM-5",
        max_score=PCL5_MAX,
        construct="ptsd",
        anchors_from=((0.0, 0.0), (PCL5_MAX, PCL5_MAX)),
        response_fraction=0.5,
        remission_threshold=32.0,
        citation=(
            "Identity (source scale: the model's pcl5 output). 'Remission' PCL-5 <= 32: "
            "below the provisional PTSD cut point 31-33 (Bovin MJ et al. 2016, Psychol "
            "Assess 28(11):1379, doi:10.1037/pas0000254). Response: >= 50 % reduction "
            "(convention)."
        ),
    ),
}
"""All supported scales, keyed by canonical name."""

ALIASES: Final[dict[str, str]] = {
    "MONTGOMERY-ASBERG": "MADRS",
    "MADRS10": "MADRS",
    "MADRS-10": "MADRS",
    "HAMD": "HAMD17",
    "HAM-D": "HAMD17",
    "HAM-D17": "HAMD17",
    "HAM-D-17": "HAMD17",
    "HAMD-17": "HAMD17",
    "HDRS": "HAMD17",
    "HDRS17": "HAMD17",
    "HDRS-17": "HAMD17",
    "HRSD": "HAMD17",
    "HRSD17": "HAMD17",
    "HRSD-17": "HAMD17",
    "HRSD-24": "HRSD24",
    "HAMD24": "HRSD24",
    "HAMD-24": "HRSD24",
    "HAM-D24": "HRSD24",
    "HAM-D-24": "HRSD24",
    "HDRS24": "HRSD24",
    "HDRS-24": "HRSD24",
    "HRSD-28": "HRSD28",
    "HAMD28": "HRSD28",
    "HAMD-28": "HRSD28",
    "HAM-D28": "HRSD28",
    "HAM-D-28": "HRSD28",
    "HDRS28": "HRSD28",
    "HDRS-28": "HRSD28",
    "BDI": "BDI2",
    "BDI-II": "BDI2",
    "BDI-2": "BDI2",
    "BDIII": "BDI2",
    "PHQ-9": "PHQ9",
    "PHQ": "PHQ9",
    "IDS": "IDS30",
    "IDS-30": "IDS30",
    "IDS-C": "IDS30",
    "IDS-C30": "IDS30",
    "IDSC30": "IDS30",
    "QIDS": "QIDS16",
    "QIDS-SR": "QIDS16",
    "QIDS-SR16": "QIDS16",
    "QIDSSR16": "QIDS16",
    "QIDS-C": "QIDS16",
    "QIDS-C16": "QIDS16",
    "HAMD21": "HRSD21",
    "HAMD-21": "HRSD21",
    "HAM-D21": "HRSD21",
    "HAM-D-21": "HRSD21",
    "HDRS21": "HRSD21",
    "HDRS-21": "HRSD21",
    "HRSD-21": "HRSD21",
    "HAM-D6": "HAMD6",
    "HAMD-6": "HAMD6",
    "HDRS6": "HAMD6",
    "HDRS-6": "HAMD6",
    "CGI-S": "CGIS",
    "CGI": "CGIS",
    "HAM-A": "HAMA",
    "HARS": "HAMA",
    "GAD-7": "GAD7",
    "PCL-5": "PCL5",
}
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
        raise UnknownNameError("scale", name, list(SCALES) + list(ALIASES),
                               shown=list(SCALES))
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
    return np.clip(out, sc.min_score, sc.max_score)


#: A rating's recall period (h): MADRS, HAMD and HAM-A ask about the past week (Montgomery &
#: Asberg 1979 Br J Psychiatry 134:382; Williams 1988 SIGH-D); at visits closer together than
#: that, "since the last rating" (the 24-h recall of rapid-acting antidepressant trials,
#: e.g. Murrough et al. 2013, Popova et al. 2019).
STANDARD_RECALL_H = 168.0


def recall_windows(visit_h: ArrayLike) -> NDArray[np.float64]:
    """Recall period (h) of each rating at the sorted times ``visit_h`` (h): the standard week,
    shortened to the time since the previous rating (at least 1 h)."""
    t = np.asarray(visit_h, dtype=np.float64)
    gap = np.diff(t, prepend=t[:1] - STANDARD_RECALL_H) if t.size else t
    return np.clip(gap, 1.0, STANDARD_RECALL_H)


def source_score(scale: str, latent: ArrayLike, fluctuation: ArrayLike) -> NDArray[np.float64]:
    """Observed source score of ``scale``'s construct: ``latent`` (patients, times; source
    points) plus its column of the day-to-day ``fluctuation`` (patients, times, 2), if the
    construct has one, clipped to the source scale."""
    c = CONSTRUCTS[get_scale(scale).construct]
    src = np.asarray(latent, dtype=np.float64)
    if c.fluctuation is not None:
        src = src + np.asarray(fluctuation)[:, :, c.fluctuation]
    return np.clip(src, 0.0, c.source_max)


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
        MADRS points (0-60) for depression scales, HAM-A points (0-56) for
        anxiety scales or PCL-5 points (0-80) for PTSD scales.  Where the link
        is flat (e.g. the PHQ-9 ceiling of 27 reached at MADRS 48) the lowest
        source score is returned, so ``convert(to_source(y, s), s) == y`` always holds.
    """
    sc = get_scale(scale)
    xs, ys = _split(sc.anchors_from)
    ys_unique, first = np.unique(ys, return_index=True)
    out = np.interp(np.asarray(score, dtype=np.float64), ys_unique, xs[first])
    return np.clip(out, 0.0, sc.source_max)


def is_response(
    baseline: ArrayLike, current: ArrayLike, scale: str, fraction: float | None = None
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
    fraction : float, optional
        Minimum fractional reduction (0-1) that counts as response; defaults to
        the scale's :attr:`Scale.response_fraction`.

    Returns
    -------
    numpy.ndarray of bool
        Broadcast shape of the inputs; False where either input is NaN.
    """
    sc = get_scale(scale)
    frac = sc.response_fraction if fraction is None else float(fraction)
    base = np.asarray(baseline, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    return np.asarray(cur <= (1.0 - frac) * base)


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


# CGI-I (1 very much improved ... 4 no change ... 7 very much worse) from the percent
# reduction of the MADRS: CGI-I 1 ~ 80-84 % and CGI-I 2 ~ 48-57 % (Leucht et al. 2017, J
# Affect Disord 210:287; mid-points used). approximate, assumed: CGI-I 3 ~ 25 %, 4 ~ 0 %,
# 5/6/7 ~ -25/-50/-100 % (symmetric steps).
_CGII_ANCHORS: Final[_Anchors] = ((-100.0, 7.0), (-50.0, 6.0), (-25.0, 5.0), (0.0, 4.0),
                                  (25.0, 3.0), (52.5, 2.0), (82.0, 1.0), (100.0, 1.0))
CGII_CITATION: Final[str] = (
    "CGI-I from MADRS percent reduction: CGI-I 1 ~ 80-84 %, 2 ~ 48-57 % (Leucht et al. 2017, "
    "J Affect Disord 210:287); approximate, assumed: 3 ~ 25 %, 4 ~ 0 %, 5-7 ~ -25/-50/-100 %. "
    "CGI-I response: <= 2 (much or very much improved)."
)


def cgi_improvement(baseline_madrs: ArrayLike, current_madrs: ArrayLike) -> NDArray[np.float64]:
    """CGI-I (1-7, continuous) from MADRS at baseline and now (see :data:`CGII_CITATION`);
    NaN where either is NaN or the baseline is 0."""
    base = np.asarray(baseline_madrs, dtype=np.float64)
    now = np.asarray(current_madrs, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(base > 0, 100.0 * (base - now) / base, np.nan)
    xs, ys = _split(_CGII_ANCHORS)
    out = np.interp(np.clip(pct, -100.0, 100.0), xs, ys)
    return np.where(np.isnan(pct), np.nan, out)


@dataclass(frozen=True)
class Measure:
    """A reported measurement derived from a model observable: ``factor`` x ``source``."""

    name: str
    source: str
    factor: float
    unit: str
    citation: str


MEASURES: Final[dict[str, Measure]] = {
    "cadss": Measure(
        "cadss", "dissociation", 11.7, "points (0-92)",
        "calibrated to van Schalkwyk et al. 2018 J Affect Disord 227:11 (110 patients with "
        "mood disorders, IV ketamine: mean CADSS total 7.7, SD 9.2; CADSS: Bremner et al. "
        "1998 J Trauma Stress 11:125, 23 items x 0-4): the model's mean dissociative burden "
        "at the end of a 0.5 mg/kg, 40-min infusion (0.66) maps to 7.7 points; linear in the "
        "burden, which is not a share of the scale's maximum."),
    "bdnf_plasma_ngml": Measure(
        "bdnf_plasma_ngml", "bdnf_serum_ngml", 0.1, "ng/mL",
        "approximate, assumed: plasma BDNF ~ 0.1 x serum BDNF (serum holds the BDNF released "
        "from platelets during clotting, so plasma levels are typically an order of "
        "magnitude lower; no published conversion; between-lab differences are large)."),
}
"""Derived measurements available as trial biomarkers, with their (approximate) links."""


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
