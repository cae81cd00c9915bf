"""Studbook dates with a precision and an estimate flag.

A studbook date is written ISO style with as much as is known:

==============  =========  ====================================
written         precision  possible days
==============  =========  ====================================
``2024-05-01``  ``D``      that day
``2024-05``     ``M``      1 to 31 May 2024
``2024``        ``Y``      1 Jan to 31 Dec 2024
``~2024-05-01`` ``D`` +est that day +/- 30 days
``~2024-05``    ``M`` +est May 2024 +/- 31 days
``~2024``       ``Y`` +est 2024 +/- 365 days
``unknown``     ``U``      any day (undetermined; stored as NULL)
==============  =========  ====================================

The precision codes follow SPARKS (blank/D = day, M = month, Y = year); ``U`` is
ZIMS' "Undetermined" (also written ``UNK``, ``?`` or left empty where a date is optional). Rules
never treat a partial or estimated date as exact: they compare the *earliest* and
*latest* possible day (``earliest``/``latest``). A rule reports an error only when
the order is impossible for every possible day.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from .errors import InvalidInputError

PRECISIONS = ("D", "M", "Y", "U")
UNKNOWN_WORDS = ("unknown", "unk", "?", "undetermined")
_UNKNOWN_VALUE = date(1, 1, 1)
ESTIMATE_MARGIN = {"D": timedelta(days=30), "M": timedelta(days=31), "Y": timedelta(days=365)}

_PATTERN = re.compile(r"^(~)?(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


@dataclass(frozen=True, order=True)
class FuzzyDate:
    """A date as recorded: the first possible day, a precision and an estimate flag."""

    value: date
    precision: str = "D"
    estimated: bool = False

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {self.precision!r}")

    @classmethod
    def parse(cls, text: str, *, what: str = "date") -> FuzzyDate:
        """Parse ``2024-05-01``, ``2024-05``, ``2024`` with an optional leading ``~``.

        Raises InvalidInputError naming *what* on anything else (31 February included).
        """
        raw = (text or "").strip()
        if raw.lower() in UNKNOWN_WORDS:
            return cls.unknown()
        m = _PATTERN.match(raw)
        if not m:
            raise InvalidInputError(
                f"{what} {text!r} is not a date",
                "write YYYY-MM-DD, YYYY-MM or YYYY, with a leading ~ for an estimate (or 'unknown')",
            )
        est, y, mo, d = m.groups()
        year = int(y)
        if year == 0:
            raise InvalidInputError(f"{what} {text!r} is not a real calendar date (there is no year 0)",
                                    "write the year with four digits, e.g. 2015")
        try:
            if d is not None:
                parsed = cls(date(year, int(mo), int(d)), "D", bool(est))
            elif mo is not None:
                parsed = cls(date(year, int(mo), 1), "M", bool(est))
            else:
                parsed = cls(date(year, 1, 1), "Y", bool(est))
        except ValueError as exc:
            raise InvalidInputError(
                f"{what} {text!r} is not a real calendar date ({exc})",
                "check the day and month (e.g. 31 February does not exist)",
            ) from None
        if parsed.estimated and not (date.min + ESTIMATE_MARGIN[parsed.precision] <= parsed.value
                                     and parsed._span_end <= date.max - ESTIMATE_MARGIN[parsed.precision]):
            raise InvalidInputError(
                f"{what} {text!r} is an estimate too close to the ends of the calendar (years 1 to 9999): "
                f"its range of +/- {ESTIMATE_MARGIN[parsed.precision].days} days cannot be computed",
                "check the year (a typo?); an estimated date lies well inside years 1 to 9999",
            )
        return parsed

    @classmethod
    def exact(cls, value: date) -> FuzzyDate:
        return cls(value, "D", False)

    @classmethod
    def unknown(cls) -> FuzzyDate:
        """An undetermined date: every day is possible."""
        return cls(_UNKNOWN_VALUE, "U", False)

    @classmethod
    def from_db(cls, value: date | None, precision: str, estimated: bool) -> FuzzyDate:
        if value is None or precision == "U":
            return cls.unknown()
        return cls(value, precision, bool(estimated))

    @property
    def db_value(self) -> date | None:
        """What the database stores (NULL for an undetermined date)."""
        return None if self.precision == "U" else self.value

    @property
    def is_unknown(self) -> bool:
        return self.precision == "U"

    @cached_property
    def _span_end(self) -> date:
        if self.precision == "D":
            return self.value
        if self.precision == "M":
            last = calendar.monthrange(self.value.year, self.value.month)[1]
            return self.value.replace(day=last)
        return self.value.replace(month=12, day=31)

    @cached_property
    def earliest(self) -> date:
        """First possible day."""
        if self.precision == "U":
            return date.min
        if self.estimated:  # clamped: an estimate at the ends of the calendar (parse refuses them)
            return max(self.value, date.min + ESTIMATE_MARGIN[self.precision]) - ESTIMATE_MARGIN[self.precision]
        return self.value

    @cached_property
    def latest(self) -> date:
        """Last possible day."""
        if self.precision == "U":
            return date.max
        if self.estimated:  # clamped, as earliest
            return min(self._span_end, date.max - ESTIMATE_MARGIN[self.precision]) + ESTIMATE_MARGIN[self.precision]
        return self._span_end

    @property
    def is_exact(self) -> bool:
        return self.precision == "D" and not self.estimated

    def midpoint(self) -> date | None:
        """Middle of the possible range (what a single-date export uses); None if unknown."""
        if self.precision == "U":
            return None
        a, b = self.earliest, self.latest
        return a + (b - a) // 2

    def __str__(self) -> str:
        prefix = "~" if self.estimated else ""
        if self.precision == "U":
            return "unknown"
        if self.precision == "D":
            return prefix + self.value.isoformat()
        if self.precision == "M":
            return prefix + self.value.strftime("%Y-%m")
        return prefix + f"{self.value.year:04d}"

    # Comparisons used by the rules -----------------------------------------
    def surely_before(self, other: FuzzyDate) -> bool:
        """True when every possible day of self is before every possible day of other."""
        return self.latest < other.earliest

    def possibly_before(self, other: FuzzyDate) -> bool:
        """True when some possible day of self is before some possible day of other."""
        return self.earliest < other.latest


def years_between(start: date, end: date) -> float:
    """Age in decimal years (365.25-day years): for display and demography."""
    return (end - start).days / 365.25


def age_in_years(start: date, end: date) -> float:
    """Age by the calendar: whole birthdays passed, plus the fraction of the year since the last one.

    A dam born 2008-05-01 is exactly 2.0 on 2010-05-01, leap days or not (365.25-day
    years would make her 1.9986). Someone born on 29 February has birthdays on 28
    February in other years.
    """
    if end < start:
        return -age_in_years(end, start)
    if end.year >= 9999 or start.year <= 1:  # an open bound (undetermined date): no calendar to follow
        return years_between(start, end)
    years = end.year - start.year - ((end.month, end.day) < (start.month, start.day))
    last = _anniversary(start, start.year + years)
    days = (end - last).days
    if days == 0:
        return float(years)
    following = _anniversary(start, start.year + years + 1)
    return years + days / (following - last).days


def _anniversary(born: date, year: int) -> date:
    try:
        return born.replace(year=year)
    except ValueError:  # 29 February in a common year
        return born.replace(year=year, day=28)
