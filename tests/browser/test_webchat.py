"""The resident's web chat in a real browser: the full page at /chat and the one-tag widget on a
landlord's own website, against the real backend, action server and Rasa.

Screenshots go to var/screenshots/ for a person to look at.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import Problems
from tests.processes import Stack

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import Frame, Page, expect
except ImportError:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("Playwright is not installed in .venv (it is in backend/requirements.lock)", allow_module_level=True)

# every message on screen, as the resident sees it (without the words only screen readers hear)
MESSAGES_JS = """() => [...document.querySelectorAll('#log > .msg')].map(m => {
  const b = m.querySelector('.msg-bubble').cloneNode(true);
  b.querySelectorAll('.visually-hidden').forEach(x => x.remove());
  return {id: m.dataset.id ? Number(m.dataset.id) : null, sender: m.dataset.sender, text: b.textContent};
})"""

# an answer containing `text` arrived after the first `n` messages
ANSWERED_JS = """([n, text]) => [...document.querySelectorAll('#log > .msg')].slice(n)
  .some(m => m.dataset.sender !== 'resident' && m.querySelector('.msg-bubble').textContent.includes(text))"""

NO_SIDEWAYS_SCROLL_JS = "() => document.documentElement.scrollWidth"


class Chat:
    """The chat in a page or in the widget's frame."""

    def __init__(self, frame: Frame) -> None:
        self.frame = frame

    @property
    def box(self) -> Any:
        return self.frame.get_by_label("Your message")

    def messages(self) -> list[dict[str, Any]]:
        return list(self.frame.evaluate(MESSAGES_JS))

    def transcript(self) -> str:
        return "\n".join(f"{'>' if m['sender'] == 'resident' else ' '} {m['text']}" for m in self.messages())

    def says(self, text: str, expect_text: str) -> str:
        n = len(self.messages())
        self.box.fill(text)
        self.box.press("Enter")
        return self.answer(n, expect_text)

    def picks(self, title: str, expect_text: str) -> str:
        n = len(self.messages())
        self.frame.get_by_role("group", name="Choose an answer").last.get_by_role("button", name=title, exact=True).click()
        return self.answer(n, expect_text)

    def answer(self, n: int, expect_text: str) -> str:
        """Wait for an answer containing ``expect_text`` after the first ``n`` messages; all of them, joined."""
        try:
            self.frame.wait_for_function(ANSWERED_JS, arg=[n, expect_text], timeout=60_000)
        except PlaywrightError as exc:
            raise AssertionError(f"no answer containing {expect_text!r}:\n{self.transcript()}") from exc
        return "\n".join(m["text"] for m in self.messages()[n:] if m["sender"] != "resident")


def open_chat(page: Page, stack: Stack) -> Chat:
    page.goto(f"{stack.backend_url}/chat")
    return Chat(page.main_frame)


def tab_to(page: Page, element_id: str, most: int = 8) -> int:
    """Press Tab until the element has focus; how many presses it took."""
    for presses in range(1, most + 1):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return presses
    raise AssertionError(f"#{element_id} not reached with {most} presses of Tab")


def conversation_rows(stack: Stack, page: Page) -> list[tuple[int, str, str, str, str]]:
    """This browser's conversation in the record (the database keeps the token's SHA-256)."""
    token = page.evaluate("() => localStorage.getItem('lwc.token')")
    assert token, "the session token is kept in localStorage"
    address = hashlib.sha256(token.encode()).hexdigest()
    with sqlite3.connect(stack.db_path) as conn:
        return conn.execute(
            "SELECT m.id, m.direction, m.sender, m.text, m.status FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.channel = 'webchat' AND c.address = ? ORDER BY m.id",
            (address,),
        ).fetchall()


def shot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / name), animations="disabled")


def test_a_resident_reports_a_repair_then_makes_a_complaint(
    stack: Stack, officer: dict[str, str], new_page: Callable[..., Page], problems: Problems, screenshots: Path
) -> None:
    page = new_page()
    chat = open_chat(page, stack)
    assert page.evaluate("() => document.documentElement.lang") == "en-GB"
    expect(page).to_have_title(re.compile("Chat with us"))
    expect(page.get_by_role("heading", level=1, name="Chat with us")).to_be_visible()

    # the privacy notice comes first, and nothing can be typed until the resident starts the chat
    notice = page.get_by_role("region", name="Before you start")
    expect(notice).to_contain_text("keep this conversation in our records")
    expect(notice).to_contain_text("don't include personal details")
    expect(notice.get_by_role("link", name=re.compile("privacy notice"))).to_have_attribute("href", "/privacy")
    expect(chat.box).to_be_hidden()
    shot(page, screenshots, "webchat-notice.png")
    page.get_by_role("button", name="Start chat").click()
    expect(chat.box).to_be_focused()
    log = page.get_by_role("log", name="Conversation")
    expect(log).to_have_attribute("aria-live", "polite")

    # a repair
    assert "few details" in chat.says("my kitchen tap is leaking under the sink", "Where is it")
    chat.says("12 Hill Road, kitchen, LS6 2AB", "Since when")

    # a reload in the middle: straight back into the same conversation, every message once
    before = chat.messages()
    page.reload()
    expect(page.get_by_role("button", name="Start chat")).to_be_hidden()
    expect(chat.box).to_be_visible()
    page.wait_for_function("n => document.querySelectorAll('#log > .msg').length >= n", arg=len(before))
    page.wait_for_timeout(500)  # anything duplicated would have arrived by now
    assert chat.messages() == before
    assert len({m["id"] for m in before}) == len(before) and all(m["id"] for m in before)
    expect(log).to_have_attribute("aria-live", "polite")  # quiet while the transcript was replayed, then live again

    chat.says("since yesterday", "access")
    chat.says("no", "full name")
    done = chat.says("Amira Khan", "Your reference is SR-")
    repair_ref = re.search(r"SR-\d{4}-\d{6}", done)
    assert repair_ref, chat.transcript()

    # then a complaint in the same conversation, answering with the assistant's buttons
    offer = chat.says("I've reported the damp in my bedroom three times and nobody has come to fix it, it's disgusting", "make a complaint")
    assert "formal complaint" in offer, chat.transcript()
    choices = page.get_by_role("group", name="Choose an answer").last
    expect(choices.get_by_role("button")).to_have_text(["Yes, make a complaint", "No, just get it sorted"])
    shot(page, screenshots, "webchat-buttons.png")
    chat.picks("Yes, make a complaint", "are you the resident")
    expect(page.get_by_role("button", name="Yes, make a complaint")).to_be_disabled()  # an answered question stays answered
    # from the message box, Shift+Tab reaches the newest buttons (the answered ones are out of the way)
    chat.box.focus()
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="I'm acting for someone")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="I am the resident")).to_be_focused()
    n = len(chat.messages())
    page.keyboard.press("Enter")
    chat.answer(n, "How should we contact you")
    expect(chat.box).to_be_focused()  # back in the message box for the next answer
    chat.says("amira.khan@example.org", "anything else")
    chat.says("that's all", "When did this happen")
    chat.says("since March 2026", "reported this to us before")
    chat.says("yes, three times on the phone", "affected")
    chat.says("my asthma is worse and I sleep on the sofa", "put things right")
    chat.says("fix the damp properly and an apology", "court claim")
    chat.picks("No", "make this easier")
    chat.says("large print letters please", "health")
    readback = chat.says("no", "Is that right")
    assert "three times" in readback and "apology" in readback, chat.transcript()
    done = chat.picks("Yes, that's right", "0300 111 3000")
    complaint_ref = re.search(r"CMP-\d{4}-\d{6}", done)
    assert complaint_ref, chat.transcript()
    expect(page.locator(".choices button:enabled")).to_have_count(0)
    page.wait_for_timeout(300)
    shot(page, screenshots, "webchat-conversation.png")

    # both landed in the case backend, from the web chat
    sr = httpx.get(f"{stack.backend_url}/api/v1/service-requests/{repair_ref[0]}", headers=officer, timeout=10).json()
    assert sr["channel"] == "webchat" and "tap" in sr["description"]
    case = httpx.get(f"{stack.backend_url}/api/v1/complaints/{complaint_ref[0]}", headers=officer, timeout=10).json()
    assert case["channel"] == "webchat"
    assert case["definition"]["outcomes"] == ["fix the damp properly and an apology"]
    assert [a["type"] for a in case["resident"]["adjustments"]] == ["large_print"]

    # the transcript in the record is exactly what the resident saw, both ways
    rows = conversation_rows(stack, page)
    on_screen = chat.messages()
    assert [(r[0], r[2], r[3]) for r in rows] == [(m["id"], m["sender"], m["text"]) for m in on_screen]
    resident_rows = [r for r in rows if r[1] == "in"]
    bot_rows = [r for r in rows if r[1] == "out"]
    assert len(resident_rows) == 18 and all(r[2] == "resident" and r[4] == "handled" for r in resident_rows)
    assert len(bot_rows) > len(resident_rows) and all(r[2] == "bot" and r[4] == "sent" for r in bot_rows)
    assert problems.unexpected() == []


def test_keyboard_only_and_what_is_typed_stays_text(stack: Stack, new_page: Callable[..., Page], problems: Problems) -> None:
    page = new_page()
    chat = open_chat(page, stack)
    # from the top of the page: the skip link, the privacy notice link, then "Start chat"
    assert tab_to(page, "start") <= 3
    page.keyboard.press("Enter")
    expect(chat.box).to_be_focused()

    page.reload()  # accepted before: straight into the chat, focus back at the top of the page
    expect(chat.box).to_be_visible()
    tab_to(page, "message")
    assert page.evaluate("() => parseFloat(getComputedStyle(document.activeElement).outlineWidth)") >= 2, "a visible focus indicator"

    # sending nothing is explained next to the box, and announced
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Please type a message before sending.")

    # Shift+Enter is a new line; Enter sends
    page.keyboard.type("hello")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    expect(chat.box).to_have_value("hello\nsecond line")
    expect(page.get_by_role("alert")).to_be_empty()  # typing clears the error
    assert chat.messages() == []
    page.keyboard.press("Enter")
    chat.answer(0, "")
    expect(chat.box).to_have_value("")
    first = chat.messages()[0]
    assert first["sender"] == "resident" and first["text"] == "hello\nsecond line"
    assert page.evaluate("() => getComputedStyle(document.querySelector('#log .msg-bubble')).whiteSpace") == "pre-wrap"

    # markup a resident types is shown as typed, never run
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)> <b>bold</b>"
    n = len(chat.messages())
    page.keyboard.type(evil)
    page.keyboard.press("Enter")
    chat.answer(n, "")
    assert chat.messages()[n] == {"id": chat.messages()[n]["id"], "sender": "resident", "text": evil}
    assert page.locator("#log script, #log img, #log b").count() == 0

    # after the message box: the Send button; every control is at least 24 x 24 CSS pixels
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send")).to_be_focused()
    for button in page.get_by_role("button").all():
        if button.is_visible():
            box = button.bounding_box()
            assert box and box["width"] >= 24 and box["height"] >= 24, button.text_content()
    assert problems.unexpected() == []  # no alert() ran, no script errors, nothing the page's CSP refused


def test_a_narrow_phone_and_200_percent_zoom(stack: Stack, new_page: Callable[..., Page], problems: Problems, screenshots: Path) -> None:
    page = new_page(320, 640)
    chat = open_chat(page, stack)
    assert page.evaluate(NO_SIDEWAYS_SCROLL_JS) <= 320
    shot(page, screenshots, "webchat-320px-notice.png")
    page.get_by_role("button", name="Start chat").click()
    chat.says("my kitchen tap is leaking under the sink", "Where is it")
    chat.says("Flat-7b/Block-C/Riverside-Court/Long-Street-Name-Without-Any-Spaces-Whatsoever, kitchen, LS6 2AB", "Since when")
    assert page.evaluate(NO_SIDEWAYS_SCROLL_JS) <= 320
    shot(page, screenshots, "webchat-320px.png")

    # 200 % zoom of a 1280 x 720 window leaves 640 x 360 CSS pixels: still no sideways scrolling,
    # and the message box and Send button can be reached
    page.set_viewport_size({"width": 640, "height": 360})
    assert page.evaluate(NO_SIDEWAYS_SCROLL_JS) <= 640
    send = page.get_by_role("button", name="Send")
    send.scroll_into_view_if_needed()
    expect(send).to_be_in_viewport()
    chat.says("since yesterday", "access")
    shot(page, screenshots, "webchat-200pct.png")
    assert problems.unexpected() == []


def test_the_widget_on_a_landlords_website(stack: Stack, landlord_site: str, new_page: Callable[..., Page], problems: Problems, screenshots: Path) -> None:
    page = new_page(1200, 800)
    page.goto(landlord_site)
    expect(page.get_by_role("heading", name="Hilltop Homes")).to_be_visible()  # the host page is untouched
    launcher = page.get_by_role("button", name="Chat with us")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(launcher).to_have_attribute("aria-controls", "lwc-panel")
    box = launcher.bounding_box()
    assert box and box["x"] + box["width"] > 1100 and box["y"] + box["height"] > 700, "bottom right"
    expect(page.locator("iframe")).to_have_count(0)  # the chat loads only when asked for

    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    frame_el = page.locator("iframe[title='Chat with your landlord']")
    expect(frame_el).to_be_visible()
    assert frame_el.get_attribute("src") == f"{stack.backend_url}/chat?embed=1"
    frame = frame_el.element_handle().content_frame()
    assert frame is not None
    start = frame.get_by_role("button", name="Start chat")
    expect(start).to_be_focused()  # opening the panel puts the keyboard in the chat
    page.keyboard.press("Enter")
    chat = Chat(frame)
    expect(chat.box).to_be_focused()
    chat.says("my kitchen tap is leaking under the sink", "Where is it")
    page.wait_for_timeout(300)
    shot(page, screenshots, "widget.png")

    # Escape (pressed inside the chat's frame) closes the panel and gives focus back to the launcher
    page.keyboard.press("Escape")
    expect(page.locator("#lwc-panel")).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(frame_el).to_be_visible()
    expect(frame.get_by_text("Where is it?")).to_be_visible()  # the same conversation, still there
    frame.get_by_role("button", name="Close chat").click()
    expect(page.locator("#lwc-panel")).to_be_hidden()
    expect(launcher).to_be_focused()

    # on a phone the open panel fits the screen
    page.set_viewport_size({"width": 320, "height": 640})
    launcher.click()
    expect(frame_el).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL_JS) <= 320
    panel = page.locator("#lwc-panel").bounding_box()
    assert panel and panel["x"] >= 0 and panel["x"] + panel["width"] <= 320
    shot(page, screenshots, "widget-320px.png")
    assert problems.unexpected() == []


def test_a_dropped_connection_comes_back_and_sends_what_was_typed(stack: Stack, new_page: Callable[..., Page], problems: Problems) -> None:
    problems.allow("WebSocket connection to")  # the browser reports each refused attempt while the backend is down
    page = new_page()
    chat = open_chat(page, stack)
    page.get_by_role("button", name="Start chat").click()
    chat.says("hi", "housing assistant")

    port = int(stack.backend_url.rsplit(":", 1)[1])
    stack.stop_backend()
    try:
        expect(page.get_by_role("status").filter(has_text="Reconnecting")).to_be_visible()
        n = len(chat.messages())
        chat.box.fill("my kitchen tap is leaking under the sink")
        chat.box.press("Enter")
        expect(page.locator("#log .msg-state")).to_have_text("Not sent yet. It will be sent when the connection is back.")
    finally:
        stack.start_backend(port)
    chat.answer(n, "Where is it")
    expect(page.locator("#log .msg-state")).to_have_count(0)
    rows = conversation_rows(stack, page)
    assert [r[3] for r in rows if r[1] == "in"] == ["hi", "my kitchen tap is leaking under the sink"]
    assert [(r[0], r[3]) for r in rows] == [(m["id"], m["text"]) for m in chat.messages()]
    assert problems.unexpected() == []
