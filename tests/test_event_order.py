"""``records.order_events`` against its plain twin: repeatedly take the first event (by kind rank,
middle of the possible days, entry) that no other remaining event is surely before."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from studbook.dates import FuzzyDate
from studbook.records import EventFacts, order_events

RANK = {"birth": 0, "capture": 0, "transfer": 1, "release": 1, "ltf": 2, "death": 3}


def naive_order(events: list[EventFacts]) -> list[EventFacts]:
    has_birth = any(e.kind == "birth" for e in events)
    captures = [e for e in events if e.kind == "capture"]
    first_capture = None
    if captures and not has_birth:
        first_capture = min(captures, key=lambda e: (e.date.midpoint() or date.min, e.event_id))

    def key(e: EventFacts) -> tuple[int, date, int]:
        rank = 1 if (e.kind == "capture" and e is not first_capture) else RANK[e.kind]
        return rank, e.date.midpoint() or date.min, e.event_id

    pending, out = list(events), []
    while pending:
        free = [e for e in pending if not any(o.date.latest < e.date.earliest for o in pending if o is not e)]
        pick = min(free, key=key)
        out.append(pick)
        pending.remove(pick)
    return out


dates = st.builds(
    lambda day, prec, est: FuzzyDate(date(2000, 1, 1) + timedelta(days=day), prec, est)
    if prec != "U" else FuzzyDate.unknown(),
    st.integers(0, 3000), st.sampled_from(["D", "D", "M", "Y", "U"]), st.booleans())


@given(st.lists(st.tuples(st.sampled_from(sorted(RANK)), dates), max_size=7))
def test_order_events_equals_its_plain_twin(spec):
    events = [EventFacts("1", kind, when, event_id=k + 1) for k, (kind, when) in enumerate(spec)]
    assert order_events(events) == naive_order(events)


def test_death_by_year_goes_after_a_transfer_that_year():
    t = EventFacts("1", "transfer", FuzzyDate.parse("2004-07-31"), event_id=1)
    d = EventFacts("1", "death", FuzzyDate.parse("2004"), event_id=2)
    later = EventFacts("1", "transfer", FuzzyDate.parse("2005-01-10"), event_id=3)
    assert order_events([d, t]) == [t, d]
    assert order_events([d, later]) == [d, later]
