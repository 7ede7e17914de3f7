from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.stay import Stay, date_range, ensure_bookable, parse_date

dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


@given(check_in=dates, nights=st.integers(min_value=1, max_value=30))
def test_nights_are_consecutive_and_counted(check_in: date, nights: int) -> None:
    # given a valid stay
    stay = Stay.of(check_in, check_in + timedelta(days=nights))
    # when its nights are listed
    listed = list(stay.nights())
    # then there is one per night, starting at check-in, none on check-out day
    assert len(listed) == stay.night_count == nights
    assert listed[0] == check_in
    assert listed[-1] == stay.check_out - timedelta(days=1)
    assert listed == date_range(stay.check_in, stay.check_out)


@given(check_in=dates, offset=st.integers(min_value=-400, max_value=0))
def test_check_out_must_follow_check_in(check_in: date, offset: int) -> None:
    with pytest.raises(DomainError) as err:
        Stay.of(check_in, check_in + timedelta(days=offset))
    assert err.value.code is ErrorCode.VALIDATION_ERROR


@given(
    check_in=dates,
    nights=st.integers(min_value=1, max_value=60),
    limit=st.integers(min_value=1, max_value=60),
)
def test_maximum_length_is_configurable(check_in: date, nights: int, limit: int) -> None:
    check_out = check_in + timedelta(days=nights)
    if nights <= limit:
        assert Stay.of(check_in, check_out, max_nights=limit).night_count == nights
    else:
        with pytest.raises(DomainError):
            Stay.of(check_in, check_out, max_nights=limit)


def test_default_maximum_is_thirty_nights() -> None:
    start = date(2026, 1, 1)
    assert Stay.of(start, start + timedelta(days=30)).night_count == 30
    with pytest.raises(DomainError):
        Stay.of(start, start + timedelta(days=31))


@pytest.mark.parametrize("text", ["2025-13-01", "2025-11-1", "tomorrow", "", "2025/11/01", "2025-02-30"])
def test_bad_dates_name_the_field(text: str) -> None:
    with pytest.raises(DomainError) as err:
        parse_date(text, "checkIn")
    assert "checkIn" in err.value.user_message


@pytest.mark.parametrize("text", ["2027-W10-1", "2027W101xx", "20270520xx", "٢٠٢٧-٠٥-٢٠", "2027-05-20 "])
def test_only_the_calendar_date_form_is_a_date(text: str) -> None:
    # ISO week dates and basic forms parse with date.fromisoformat; the API takes YYYY-MM-DD only
    with pytest.raises(DomainError) as err:
        parse_date(text, "from")
    assert err.value.code is ErrorCode.VALIDATION_ERROR and "from" in err.value.user_message


@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [
        (date(2027, 1, 9), date(2027, 1, 11), False),  # before the earliest check-in
        (date(2027, 1, 10), date(2027, 1, 12), True),
        (date(2032, 1, 8), date(2032, 1, 10), True),  # ends on the latest date
        (date(2032, 1, 9), date(2032, 1, 11), False),
        (date(9999, 12, 29), date(9999, 12, 31), False),
        (date(1, 1, 1), date(1, 1, 3), False),
    ],
)
def test_bookable_nights_lie_between_the_earliest_and_the_latest_date(
    start: date, end: date, ok: bool
) -> None:
    earliest, latest = date(2027, 1, 10), date(2032, 1, 10)
    if ok:
        ensure_bookable(start, end, earliest=earliest, latest=latest)
    else:
        with pytest.raises(DomainError) as err:
            ensure_bookable(start, end, earliest=earliest, latest=latest)
        assert err.value.code is ErrorCode.VALIDATION_ERROR
