"""A forecast candidate that continues what the person is on does not start a new treatment
course (new-user audit, round 40: 'continue taVNS' was forecast as a fresh start, with the
onset of a newly started treatment's expectancy)."""

from __future__ import annotations

from moodtwin.person._forecast import _ongoing
from moodtwin.protocols import course_key, parse_protocol, starts_course

HISTORY = parse_protocol({
    "name": "history", "duration": "12 week",
    "therapies": [
        {"type": "tavns", "current": "1 mA", "start": "2 week", "duration": "10 week"},
        {"type": "ketamine_iv", "dose": "0.5 mg/kg", "infusion": "40 min", "at": ["1 d"]}]})


def _starts(candidate: dict, at_h: float) -> bool:
    proto = parse_protocol({"name": "c", "duration": "8 week", "therapies": [candidate]})
    return starts_course(frozenset(course_key(th) for th in proto.therapies),
                         _ongoing(HISTORY, at_h), blinded=False)


def test_continuing_a_running_course_is_not_a_new_course() -> None:
    end = 12 * 7 * 24.0
    assert _ongoing(HISTORY, end) == frozenset({"tavns"})  # the infusion was 11 weeks ago
    assert not _starts({"type": "tavns", "current": "1 mA", "duration": "4 week"}, end)
    assert _starts({"type": "ketamine_iv", "dose": "0.5 mg/kg", "infusion": "40 min",
                    "at": ["0 d"]}, end)
    assert _starts({"type": "tavns", "sham": True, "duration": "4 week"}, end)


def test_a_course_that_ended_long_before_the_forecast_is_a_new_course() -> None:
    late = (12 + 4) * 7 * 24.0  # four weeks after the taVNS course ended
    assert _ongoing(HISTORY, late) == frozenset()
    assert _starts({"type": "tavns", "current": "1 mA", "duration": "4 week"}, late)
