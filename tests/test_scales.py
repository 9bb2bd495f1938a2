"""Tests for the clinical-scale layer (moodtwin.scales)."""

from __future__ import annotations

import numpy as np
import pytest

from moodtwin import scales
from moodtwin.errors import UnknownNameError
from moodtwin.scales import (
    ALIASES,
    ANXIETY_SCALES,
    DEPRESSION_SCALES,
    PTSD_SCALES,
    SCALES,
    Scale,
    convert,
    get_scale,
    is_remission,
    is_response,
    to_source,
)

ALL_SCALES = DEPRESSION_SCALES + ANXIETY_SCALES + PTSD_SCALES


def _source_max(name: str) -> float:
    return (scales.MADRS_MAX if name in DEPRESSION_SCALES else scales.HAMA_MAX
            if name in ANXIETY_SCALES else scales.PCL5_MAX)


def test_scale_registry_matches_required_names() -> None:
    assert DEPRESSION_SCALES == (
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
    assert ANXIETY_SCALES == ("HAMA", "GAD7")
    assert PTSD_SCALES == ("PCL5",)
    assert set(SCALES) == set(ALL_SCALES)
    for name, sc in SCALES.items():
        assert sc.name == name
        expected = ("depression" if name in DEPRESSION_SCALES else "anxiety"
                    if name in ANXIETY_SCALES else "ptsd")
        assert sc.construct == expected
        assert sc.citation.strip()


@pytest.mark.parametrize(
    ("name", "max_score"),
    [
        ("MADRS", 60),
        ("HAMD17", 52),
        ("HRSD24", 75),
        ("BDI2", 63),
        ("PHQ9", 27),
        ("IDS30", 84),
        ("QIDS16", 27),
        ("HRSD21", 64),
        ("HAMA", 56),
        ("GAD7", 21),
        ("PCL5", 80),
    ],
)
def test_max_scores(name: str, max_score: float) -> None:
    assert SCALES[name].max_score == max_score


@pytest.mark.parametrize("name", ALL_SCALES)
def test_anchor_table_shape(name: str) -> None:
    sc = SCALES[name]
    xs = np.array([a[0] for a in sc.anchors_from])
    ys = np.array([a[1] for a in sc.anchors_from])
    assert sc.anchors_from[0] == (0.0, sc.min_score)
    assert sc.anchors_from[-1] == (_source_max(name), sc.max_score)
    assert np.all(np.diff(xs) > 0)
    assert np.all(np.diff(ys) >= 0)


@pytest.mark.parametrize("name", ALL_SCALES)
def test_convert_is_monotone_and_maps_endpoints(name: str) -> None:
    sc = SCALES[name]
    src = np.linspace(0.0, _source_max(name), 2001)
    out = convert(src, name)
    assert out.shape == src.shape
    assert out.dtype == np.float64
    assert np.all(np.diff(out) >= 0.0)
    assert out[0] == get_scale(name).min_score
    assert out[-1] == sc.max_score
    assert float(convert(0.0, name)) == get_scale(name).min_score
    assert float(convert(_source_max(name), name)) == sc.max_score


@pytest.mark.parametrize("name", ALL_SCALES)
def test_convert_clips_to_scale_range(name: str) -> None:
    sc = SCALES[name]
    out = convert([-10.0, 1e6], name)
    np.testing.assert_array_equal(out, [sc.min_score, sc.max_score])
    back = to_source([-5.0, sc.max_score + 100.0], name)
    assert back[0] == 0.0
    assert back[1] <= _source_max(name)


@pytest.mark.parametrize("name", ALL_SCALES)
def test_convert_of_to_source_is_identity(name: str) -> None:
    sc = SCALES[name]
    y = np.linspace(sc.min_score, sc.max_score, 1001)
    np.testing.assert_allclose(convert(to_source(y, name), name), y, atol=1e-9)


@pytest.mark.parametrize("name", [n for n in ALL_SCALES if n not in ("PHQ9", "QIDS16")])
def test_to_source_of_convert_is_identity_for_strict_links(name: str) -> None:
    x = np.linspace(0.0, _source_max(name), 1001)
    np.testing.assert_allclose(to_source(convert(x, name), name), x, atol=1e-9)


@pytest.mark.parametrize("name", ["PHQ9", "QIDS16"])
def test_links_with_a_ceiling_are_flat_only_at_the_top(name: str) -> None:
    """PHQ-9 and QIDS reach their maximum before the MADRS does; below it they invert."""
    sc = SCALES[name]
    x = np.linspace(0.0, _source_max(name), 1001)
    y = convert(x, name)
    below = y < sc.max_score - 1e-9
    np.testing.assert_allclose(to_source(y[below], name), x[below], atol=1e-9)
    assert np.all(np.diff(y[below]) > 0)


def test_vectorised_shapes_are_preserved() -> None:
    x = np.array([[0.0, 10.0, 20.0], [30.0, 40.0, 50.0]])
    assert convert(x, "HAMD17").shape == (2, 3)
    assert to_source(x, "HAMD17").shape == (2, 3)
    assert convert(12.0, "HAMD17").shape == ()
    assert np.isnan(convert(np.nan, "HAMD17"))


# --- published anchors -----------------------------------------------------


def test_carmody_2006_hamd17_7_is_madrs_8_to_9() -> None:
    assert float(convert(8.5, "HAMD17")) == pytest.approx(7.0, abs=1e-12)
    assert 8.0 <= float(to_source(7.0, "HAMD17")) <= 9.0


@pytest.mark.parametrize(
    ("madrs", "hamd"), [(13.0, 10.0), (26.0, 20.0), (39.0, 30.0), (52.5, 40.0)]
)
def test_leucht_equipercentile_hamd_madrs(madrs: float, hamd: float) -> None:
    assert float(convert(madrs, "HAMD17")) == pytest.approx(hamd, abs=1e-9)
    assert float(to_source(hamd, "HAMD17")) == pytest.approx(madrs, abs=1e-9)


@pytest.mark.parametrize(("madrs", "bdi2"), [(13.0, 13.0), (26.0, 32.0), (39.0, 50.0)])
def test_furukawa_bdi2_chained_through_hamd(madrs: float, bdi2: float) -> None:
    # Furukawa 2019: HAMD 10/20/30 ~ BDI-II 13/32/50; Leucht: HAMD 10/20/30 ~
    # MADRS 13/26/39.
    assert float(convert(madrs, "BDI2")) == pytest.approx(bdi2, abs=1e-9)


@pytest.mark.parametrize(("madrs", "phq9"), [(1.0, 1.0), (24.0, 15.0), (48.0, 27.0)])
def test_kim_phq9_madrs(madrs: float, phq9: float) -> None:
    assert float(convert(madrs, "PHQ9")) == pytest.approx(phq9, abs=1e-9)
    assert float(to_source(phq9, "PHQ9")) == pytest.approx(madrs, abs=1e-9)


def test_phq9_ceiling_is_flat_above_madrs_48() -> None:
    np.testing.assert_array_equal(convert([48.0, 55.0, 60.0], "PHQ9"), 27.0)


@pytest.mark.parametrize(
    ("hamd17", "hrsd24"), [(7.0, 8.5), (14.5, 19.0), (20.0, 27.5), (25.0, 34.0)]
)
def test_rush_hrsd17_to_hrsd24_table(hamd17: float, hrsd24: float) -> None:
    madrs = to_source(hamd17, "HAMD17")
    assert float(convert(madrs, "HRSD24")) == pytest.approx(hrsd24, abs=1e-9)


@pytest.mark.parametrize(
    ("hamd17", "ids"), [(7.0, 12.5), (13.0, 24.5), (20.0, 39.5), (25.0, 48.0)]
)
def test_rush_hrsd17_to_ids_table(hamd17: float, ids: float) -> None:
    madrs = to_source(hamd17, "HAMD17")
    assert float(convert(madrs, "IDS30")) == pytest.approx(ids, abs=1e-9)


@pytest.mark.parametrize(
    ("hamd17", "qids", "hrsd21"),
    [(7.0, 5.0, 7.5), (13.0, 10.0, 14.5), (20.0, 16.0, 23.0), (25.0, 20.0, 28.0),
     (36.0, 27.0, 42.0)],
)
def test_rush_hrsd17_to_qids_and_hrsd21_table(hamd17: float, qids: float, hrsd21: float
                                               ) -> None:
    """Rows of the ids-qids.org IRT table (mid-points of the listed ranges)."""
    madrs = to_source(hamd17, "HAMD17")
    assert float(convert(madrs, "QIDS-SR16")) == pytest.approx(qids, abs=1e-9)
    assert float(convert(madrs, "HAM-D21")) == pytest.approx(hrsd21, abs=1e-9)


@pytest.mark.parametrize(("hama", "gad7"), [(8.0, 5.0), (15.0, 10.0), (24.0, 15.0)])
def test_gad7_severity_band_alignment(hama: float, gad7: float) -> None:
    assert float(convert(hama, "GAD7")) == pytest.approx(gad7, abs=1e-12)


def test_identity_scales() -> None:
    x = np.linspace(0.0, 60.0, 61)
    np.testing.assert_allclose(convert(x, "MADRS"), x)
    np.testing.assert_allclose(to_source(x, "MADRS"), x)
    h = np.linspace(0.0, 56.0, 57)
    np.testing.assert_allclose(convert(h, "HAMA"), h)
    p = np.linspace(0.0, 80.0, 81)
    np.testing.assert_allclose(convert(p, "PCL5"), p)
    np.testing.assert_allclose(to_source(p, "PCL5"), p)


def test_source_score_adds_only_the_constructs_fluctuation() -> None:
    latent = np.full((2, 3), 30.0)
    fl = np.stack([np.full((2, 3), 2.0), np.full((2, 3), -1.0)], axis=-1)
    np.testing.assert_allclose(scales.source_score("MADRS", latent, fl), 32.0)
    np.testing.assert_allclose(scales.source_score("GAD7", latent, fl), 29.0)
    np.testing.assert_allclose(scales.source_score("PCL5", latent, fl), 30.0)  # rater noise only
    np.testing.assert_allclose(scales.source_score("PCL5", latent + 60.0, fl), 80.0)  # clipped


def test_remission_thresholds_roughly_agree_across_scales() -> None:
    # HAMD17 <= 7 remission sits at MADRS ~8.5, close to MADRS remission (<= 9).
    madrs_at_hamd_remission = float(to_source(7.0, "HAMD17"))
    assert abs(madrs_at_hamd_remission - SCALES["MADRS"].remission_threshold) <= 1.0


def test_approximate_anchors_are_flagged() -> None:
    for name in ("HRSD28", "GAD7", "IDS30", "QIDS16", "HRSD21"):
        assert "approximate, assumed" in SCALES[name].citation


# --- response / remission --------------------------------------------------


def test_is_response_fifty_percent() -> None:
    base = np.array([30.0, 30.0, 30.0, 0.0])
    cur = np.array([15.0, 15.1, 5.0, 0.0])
    np.testing.assert_array_equal(
        is_response(base, cur, "HAMD17"), [True, False, True, True]
    )
    assert is_response(20.0, 10.0, "madrs").dtype == np.bool_
    assert bool(is_response(20.0, 10.0, "madrs"))
    assert not bool(is_response(20.0, 10.5, "madrs"))


def test_is_response_broadcasts() -> None:
    out = is_response(np.array([[20.0], [40.0]]), np.array([10.0, 15.0, 25.0]), "PHQ9")
    assert out.shape == (2, 3)
    np.testing.assert_array_equal(out, [[True, False, False], [True, True, False]])


@pytest.mark.parametrize(
    ("name", "threshold"),
    [
        ("MADRS", 9.0),
        ("HAMD17", 7.0),
        ("HRSD24", 10.0),
        ("BDI2", 13.0),
        ("PHQ9", 4.0),
        ("IDS30", 11.0),
        ("QIDS16", 5.0),
        ("HRSD21", 8.0),
        ("HAMA", 7.0),
        ("GAD7", 4.0),
        ("PCL5", 32.0),  # below the provisional PTSD cut point 31-33 (Bovin et al. 2016)
    ],
)
def test_standard_remission_thresholds(name: str, threshold: float) -> None:
    assert SCALES[name].remission_threshold == threshold
    np.testing.assert_array_equal(
        is_remission([threshold - 0.5, threshold, threshold + 0.5], name),
        [True, True, False],
    )


def test_is_remission_threshold_override() -> None:
    assert bool(is_remission(10.0, "MADRS", threshold=10.0))
    assert not bool(is_remission(10.0, "MADRS"))
    assert not bool(is_remission(np.nan, "MADRS"))


@pytest.mark.parametrize("name", ALL_SCALES)
def test_response_fraction_default(name: str) -> None:
    assert SCALES[name].response_fraction == 0.5


# --- names -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("HAM-D17", "HAMD17"),
        ("HAMD", "HAMD17"),
        ("ham-d", "HAMD17"),
        ("HRSD-24", "HRSD24"),
        ("HAMD24", "HRSD24"),
        ("hrsd-28", "HRSD28"),
        ("BDI", "BDI2"),
        ("BDI-II", "BDI2"),
        ("bdi-ii", "BDI2"),
        ("PHQ-9", "PHQ9"),
        ("phq9", "PHQ9"),
        ("IDS", "IDS30"),
        ("IDS-C30", "IDS30"),
        ("HAM-A", "HAMA"),
        ("GAD-7", "GAD7"),
        ("pcl-5", "PCL5"),
        ("  madrs ", "MADRS"),
        ("gad7", "GAD7"),
    ],
)
def test_aliases_case_insensitive(alias: str, canonical: str) -> None:
    assert get_scale(alias) is SCALES[canonical]
    np.testing.assert_array_equal(convert(20.0, alias), convert(20.0, canonical))


def test_all_aliases_point_to_known_scales() -> None:
    assert set(ALIASES.values()) <= set(SCALES)


def test_unknown_name_raises_with_suggestion() -> None:
    with pytest.raises(UnknownNameError) as info:
        get_scale("HAMD71")
    assert isinstance(info.value, KeyError)
    assert "HAMD17" in str(info.value)
    with pytest.raises(UnknownNameError):
        convert(10.0, "not-a-scale")
    with pytest.raises(UnknownNameError):
        is_remission(3.0, "PHQ8")


def test_scale_validation_rejects_bad_anchors() -> None:
    with pytest.raises(ValueError, match="last anchor"):
        Scale(
            name="X",
            long_name="x",
            max_score=10.0,
            construct="depression",
            anchors_from=((0.0, 0.0), (50.0, 10.0)),
            response_fraction=0.5,
            remission_threshold=2.0,
            citation="test",
        )
    with pytest.raises(ValueError, match="must not decrease"):
        Scale(
            name="X",
            long_name="x",
            max_score=10.0,
            construct="depression",
            anchors_from=((0.0, 0.0), (30.0, 8.0), (40.0, 7.0), (60.0, 10.0)),
            response_fraction=0.5,
            remission_threshold=2.0,
            citation="test",
        )


def test_hamd6_cgis_and_cgii_reproduce_their_cited_anchors() -> None:
    # HAM-D6 <= 4 is aligned with HRSD17 <= 7 (Timmerby et al. 2017)
    madrs_at_hrsd7 = scales.to_source(7.0, "HAMD17")
    assert float(scales.convert(madrs_at_hrsd7, "HAM-D6")) == pytest.approx(4.0, abs=1e-6)
    # MADRS < 8 ~ CGI-S 2 (Leucht et al. 2017)
    assert float(scales.convert(8.0, "CGI-S")) == pytest.approx(2.0)
    assert float(scales.convert(0.0, "CGI-S")) == 1.0
    assert scales.is_remission(scales.convert(7.9, "CGI-S"), "CGIS")
    # CGI-I 2 ~ 48-57 % and CGI-I 1 ~ 80-84 % MADRS reduction (Leucht et al. 2017)
    cgi = scales.cgi_improvement([30.0] * 5, [30 * 0.52, 30 * 0.43, 30 * 0.18, 30.0, 45.0])
    assert 1.8 < cgi[0] < 2.2 and 1.8 < cgi[1] < 2.2
    assert cgi[2] == pytest.approx(1.0, abs=0.05)
    assert cgi[3] == 4.0 and cgi[4] == 6.0
    assert np.isnan(scales.cgi_improvement(0.0, 5.0))
    for m in scales.MEASURES.values():  # each link says how it was set
        assert m.citation.startswith(("approximate", "calibrated to"))
