"""The per-process memo of rendered answers: bounded, oldest out first, and off at 0 entries."""

from __future__ import annotations

from datetime import date

from roomgate.api.view_memo import MemoEntry, ViewMemo, split_at_age
from roomgate.services.availability_models import ViewStamp

STAMP = ViewStamp("hotel_1", ("room_1",), (date(2026, 1, 1),), "7", 1_000, oldest_read=90.0)


def entry(tag: bytes) -> MemoEntry:
    return MemoEntry(STAMP, b'{"tag":"' + tag + b'","ageSeconds":', b"}", route=None)


def test_a_full_memo_drops_its_oldest_entry_and_a_replaced_one_moves_to_the_back() -> None:
    # given a memo of two entries
    memo = ViewMemo(2)
    memo.put(("/a", b""), entry(b"a"))
    memo.put(("/b", b""), entry(b"b"))
    # when /a is replaced (now the newest) and a third URL arrives
    memo.put(("/a", b""), entry(b"a2"))
    memo.put(("/c", b"x=1"), entry(b"c"))
    # then /b, the oldest, made room
    assert len(memo) == 2
    assert memo.get(("/b", b"")) is None
    assert memo.get(("/a", b"")) == entry(b"a2") and memo.get(("/c", b"x=1")) == entry(b"c")


def test_zero_entries_remembers_nothing() -> None:
    memo = ViewMemo(0)
    memo.put(("/a", b""), entry(b"a"))
    assert len(memo) == 0 and memo.get(("/a", b"")) is None


def test_the_body_recomputes_only_the_age() -> None:
    # given an answer whose oldest PMS read was at t=90 s
    remembered = entry(b"a")
    # when it is served at t=100.04 s, then at t=80 s (a clock that stepped back)
    # then the age is the time since that read, rounded like a fresh render, never negative
    assert remembered.body(100.04) == b'{"tag":"a","ageSeconds":10.0}'
    assert remembered.body(80.0) == b'{"tag":"a","ageSeconds":0.0}'


def test_an_answer_is_cut_at_its_top_level_age_even_when_a_name_spells_the_key() -> None:
    # given a rendered answer whose room name contains the key's text (JSON escapes its quotes)
    body = b'{"hotelId":"h","ageSeconds":12.5,"roomTypes":[{"name":"\\"ageSeconds\\":1"}]}'
    # when it is cut, then only the top-level value is left out
    head, tail = split_at_age(body) or (b"", b"")
    assert head == b'{"hotelId":"h","ageSeconds":'
    assert tail == b',"roomTypes":[{"name":"\\"ageSeconds\\":1"}]}'
    assert split_at_age(b'{"success":false}') is None
