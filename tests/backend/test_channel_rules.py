"""The channel rules the hub applies everywhere: SMS length, numbered choices, keywords, WhatsApp's
window and the retry schedule (plain functions, no web or database)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from backend.domain.messaging import (
    MAX_SEND_ATTEMPTS,
    SMS_MAX_CHARS,
    Choice,
    Keyword,
    choice_for_reply,
    next_attempt,
    numbered_choices,
    render_reply,
    sms_keyword,
    split_message,
    whatsapp_window_open,
)

NOW = dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)
sentences = st.lists(st.text(alphabet="abcdefghij klmno,'", min_size=1, max_size=300).map(lambda s: s.strip() + "."), min_size=1, max_size=40)


@given(st.text(max_size=8000))
def test_no_part_of_a_split_message_is_over_the_limit_and_nothing_is_lost(text: str) -> None:
    parts = split_message(text)
    assert all(0 < len(p) <= SMS_MAX_CHARS for p in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


@given(sentences)
def test_messages_made_of_sentences_are_cut_only_at_sentence_ends(items: list[str]) -> None:
    text = " ".join(items)
    for part in split_message(text)[:-1]:
        assert part.endswith(".")


def test_a_short_message_is_one_part() -> None:
    assert split_message("  Your reference is CMP-2026-000001.  ") == ["Your reference is CMP-2026-000001."]
    assert split_message("") == []


def test_choices_read_as_numbers_and_a_number_or_the_title_maps_back() -> None:
    choices = [Choice("Yes, make a complaint", "/affirm"), Choice("No thanks", "/deny")]
    text = numbered_choices("Would you like to make a complaint?", choices)
    assert "1. Yes, make a complaint" in text and "2. No thanks" in text
    assert choice_for_reply("2", choices) == choices[1]
    assert choice_for_reply(" 1. ", choices) == choices[0]
    assert choice_for_reply("no thanks", choices) == choices[1]
    assert choice_for_reply("3", choices) is None
    assert choice_for_reply("the tap is still leaking", choices) is None


def test_sms_keywords() -> None:
    assert sms_keyword("STOP", opted_out=False) is Keyword.STOP
    assert sms_keyword(" stop ", opted_out=False) is Keyword.STOP
    assert sms_keyword("Help", opted_out=False) is Keyword.HELP
    assert sms_keyword("start", opted_out=True) is Keyword.START
    # "yes" starts messages again only for someone who stopped them; otherwise it is an answer
    assert sms_keyword("yes", opted_out=False) is None
    assert sms_keyword("yes", opted_out=True) is Keyword.START
    assert sms_keyword("please stop the leak in my kitchen", opted_out=False) is None


def test_whatsapp_free_text_only_within_24_hours_of_the_residents_last_message() -> None:
    assert whatsapp_window_open(NOW - dt.timedelta(hours=23, minutes=59), NOW)
    assert not whatsapp_window_open(NOW - dt.timedelta(hours=24), NOW)
    assert not whatsapp_window_open(None, NOW)


def test_retries_back_off_and_stop_after_the_last_attempt() -> None:
    waits = [(next_attempt(n, NOW) - NOW).total_seconds() for n in range(1, MAX_SEND_ATTEMPTS)]  # type: ignore[operator]
    assert waits == sorted(waits) and waits[0] >= 1
    assert next_attempt(MAX_SEND_ATTEMPTS, NOW) is None


def test_a_reply_is_rendered_for_each_channel() -> None:
    choices = [Choice("Yes", "/affirm")]
    assert render_reply("webchat", "Go ahead?", choices, None) == [("Go ahead?", {"buttons": [{"title": "Yes", "payload": "/affirm"}]})]
    sms = render_reply("sms", "Go ahead?", choices, "https://example.org/p.png")
    assert "1. Yes" in sms[0][0] and sms[0][0].endswith("https://example.org/p.png")
    assert render_reply("whatsapp", "Look", [], "https://example.org/p.png") == [("Look", {"image": "https://example.org/p.png"})]
