from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studbook.dates import FuzzyDate
from studbook.errors import InvalidInputError


@pytest.mark.parametrize(
    "text, precision, estimated, earliest, latest",
    [
        ("2024-05-01", "D", False, date(2024, 5, 1), date(2024, 5, 1)),
        ("2024-05", "M", False, date(2024, 5, 1), date(2024, 5, 31)),
        ("2024-02", "M", False, date(2024, 2, 1), date(2024, 2, 29)),
        ("2023-02", "M", False, date(2023, 2, 1), date(2023, 2, 28)),
        ("2024", "Y", False, date(2024, 1, 1), date(2024, 12, 31)),
        ("~2024-05-01", "D", True, date(2024, 4, 1), date(2024, 5, 31)),
        ("~2024", "Y", True, date(2023, 1, 1), date(2025, 12, 31)),
        ("unknown", "U", False, date.min, date.max),
    ],
)
def test_parse_bounds(text, precision, estimated, earliest, latest):
    d = FuzzyDate.parse(text)
    assert (d.precision, d.estimated, d.earliest, d.latest) == (precision, estimated, earliest, latest)
    assert str(FuzzyDate.parse(str(d))) == str(d)


@pytest.mark.parametrize("text", ["2024-02-30", "2023-13", "24-05-01", "May 2024", "2024/05/01", "", "~", "2024-5-1x"])
def test_parse_rejects(text):
    with pytest.raises(InvalidInputError) as exc:
        FuzzyDate.parse(text, what="birth date")
    assert "birth date" in exc.value.reason and exc.value.hint


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), st.sampled_from("DMY"), st.booleans())
def test_bounds_contain_written_date(d, precision, estimated):
    text = {"D": d.isoformat(), "M": d.strftime("%Y-%m"), "Y": f"{d.year:04d}"}[precision]
    f = FuzzyDate.parse(("~" if estimated else "") + text)
    assert f.earliest <= d <= f.latest
    assert f.earliest <= f.latest
    assert f.is_exact == (precision == "D" and not estimated)
    assert FuzzyDate.parse(str(f)) == f


def test_surely_before_uses_bounds():
    a, b = FuzzyDate.parse("2015"), FuzzyDate.parse("2015-06-01")
    assert not a.surely_before(b) and a.possibly_before(b)
    assert FuzzyDate.parse("2014").surely_before(b)


def test_age_in_years_counts_birthdays():
    from datetime import date

    from studbook.dates import age_in_years

    assert age_in_years(date(2008, 5, 1), date(2010, 5, 1)) == 2.0  # 730 days, no 29 February between
    assert age_in_years(date(2007, 5, 1), date(2009, 5, 1)) == 2.0  # 731 days
    assert age_in_years(date(2008, 2, 29), date(2009, 2, 28)) == 1.0
    assert age_in_years(date(2010, 1, 1), date(2010, 7, 2)) == 182 / 365
    assert age_in_years(date(2010, 5, 2), date(2010, 5, 1)) == -1 / 365
    # Undetermined dates are open bounds (date.min, date.max): no overflow, just a huge age.
    assert age_in_years(date(2010, 1, 1), date.max) > 7000
    assert age_in_years(date.min, date(2010, 1, 1)) > 2000
