"""Treatment courses: when a segment of therapy continues what a patient had and when it
starts a new course (the expectancy model's novelty: expectancy attaches to newly started
treatments, Rutherford et al. 2017). One rule for virtual trials' periods and personal
forecasts."""

from __future__ import annotations

from moodtwin.protocols._schema import Therapy

#: Therapy types a blinded patient cannot tell from the treatment they mimic: a blinded
#: crossover from IV ketamine or esketamine to its saline or midazolam placebo continues the
#: same study course.
_SAME_COURSE = {"saline_iv": "ketamine_iv", "midazolam_iv": "ketamine_iv",
                "esketamine_iv": "ketamine_iv"}
_INACTIVE = "~inactive"  # suffix of a sham or placebo therapy's course key


def course_key(therapy: Therapy) -> str:
    """A therapy's type, marked when it is a sham or placebo of that type."""
    inactive = getattr(therapy, "sham", False) or getattr(therapy, "placebo", False)
    return f"{therapy.type}{_INACTIVE}" if inactive else therapy.type


def starts_course(types: frozenset[str], before: frozenset[str], blinded: bool) -> bool:
    """Whether a segment giving therapies ``types`` (course keys) starts a new treatment course
    after one that gave ``before``: it gives one not given before. A blinded patient cannot
    tell a sham or placebo from its active form (nor saline or midazolam from ketamine); an
    open-label patient switched from sham to active stimulation (D-02's sham arm after the
    blinded phase) starts a treatment not had before."""
    def seen_as(key: str) -> str:
        if not blinded:
            return key
        key = key.removesuffix(_INACTIVE)
        return _SAME_COURSE.get(key, key)

    return bool({seen_as(t) for t in types} - {seen_as(t) for t in before})
