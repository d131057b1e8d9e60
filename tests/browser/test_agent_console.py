"""The contact-centre agent console (/agent) in real browsers, against the real backend, action server
and Rasa: a resident in the web chat asks for a person, an agent in another browser takes the
conversation, they talk both ways, the agent records a complaint from what the bot captured and hands
back to the bot. A second agent who tries to take the same chat is told who has it.

Each person has their own browser context (own storage, own connections). Screenshots go to
var/screenshots/ for a person to look at. No browser is ever downloaded: without Debian's Chromium
these tests skip, and in CI (CI=true) they fail.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.actions.conftest import create_staff
from tests.browser.conftest import Problems
from tests.processes import BOT_PYTHON, MODEL, Stack, need, running

try:
    from playwright.sync_api import Browser, BrowserContext, Page, WebSocketRoute, expect
    from playwright.sync_api import Error as PlaywrightError
except ImportError:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("Playwright is not installed in .venv (it is in backend/requirements.lock)", allow_module_level=True)

PASSWORD = "agent console password 1"
ADA, BO, OLU = "ada@landlord.example", "bo@landlord.example", "olu@landlord.example"
# The real clock is used: open all day, so the contact centre is never "out of hours" here (on a
# weekend or bank holiday it is still closed; the handoff queues all the same and assertions allow both).
OPEN_ALL_DAY = {"CONTACT_CENTRE_OPENS": "00:00", "CONTACT_CENTRE_CLOSES": "23:59"}
UI = 20_000  # ms for the console to show something the server has done
BOT = 60_000  # ms for the assistant to answer


# -- fixtures: the browser, problem watcher and screenshots are conftest's; the stack is this module's own
# (the contact centre open all day), and each person gets a browser context of their own ---------------


@pytest.fixture(scope="module")
def stack(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    need(BOT_PYTHON.exists() and MODEL.exists(), "the Rasa environment and a trained model are needed: scripts/test.sh trains one", "the browser tests")
    tmp: Path = tmp_path_factory.mktemp("agent-console")
    with running(tmp, actions=True, rasa=True, backend_env=OPEN_ALL_DAY) as s:
        db = f"sqlite:///{s.db_path}"
        create_staff(db, ADA, role="agent", name="Ada Agent", password=PASSWORD)
        create_staff(db, BO, role="agent", name="Bo Agent", password=PASSWORD)
        create_staff(db, OLU, role="officer", name="Olu Officer", password=PASSWORD)
        yield s


@pytest.fixture
def person(browser: Browser, problems: Problems) -> Iterator[Callable[..., Page]]:
    """``person(name, width, height)``: a page in a browser context of its own (one person), watched."""
    contexts: list[BrowserContext] = []

    def make(who: str, width: int = 1280, height: int = 800) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB", timezone_id="Europe/London")
        context.set_default_timeout(60_000)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page, who)
        return page

    yield make
    for c in contexts:
        c.close()


# -- the resident's web chat ---------------------------------------------------------------------------

# every message on screen, as the resident sees it (without the words only screen readers hear)
CHAT_MESSAGES_JS = """() => [...document.querySelectorAll('#log > .msg')].map(m => {
  const b = m.querySelector('.msg-bubble').cloneNode(true);
  b.querySelectorAll('.visually-hidden').forEach(x => x.remove());
  return {id: m.dataset.id ? Number(m.dataset.id) : null, sender: m.dataset.sender, text: b.textContent};
})"""

# an answer containing one of `texts` arrived after the first `n` messages
CHAT_ANSWERED_JS = """([n, texts]) => [...document.querySelectorAll('#log > .msg')].slice(n)
  .some(m => m.dataset.sender !== 'resident' && texts.some(t => m.querySelector('.msg-bubble').textContent.includes(t)))"""

# the resident's message with this text is on the record (the server echoed it back with its id)
CHAT_KEPT_JS = """(text) => [...document.querySelectorAll('#log > .msg[data-sender="resident"][data-id]')]
  .some(m => m.querySelector('.msg-bubble').textContent.endsWith(text))"""


class Resident:
    def __init__(self, page: Page, stack: Stack) -> None:
        self.page, self.stack = page, stack
        page.goto(f"{stack.backend_url}/chat")
        page.get_by_role("button", name="Start chat").click()
        self.box = page.get_by_label("Your message")
        expect(self.box).to_be_focused()

    def messages(self) -> list[dict[str, Any]]:
        return list(self.page.evaluate(CHAT_MESSAGES_JS))

    def transcript(self) -> str:
        return "\n".join(f"{'>' if m['sender'] == 'resident' else ' '} [{m['sender']}] {m['text']}" for m in self.messages())

    def send(self, text: str) -> int:
        n = len(self.messages())
        self.box.fill(text)
        self.box.press("Enter")
        return n

    def kept(self, text: str, timeout: int = BOT) -> None:
        """Wait until the message is on the record (a message typed while offline is sent on reconnecting)."""
        self.page.wait_for_function(CHAT_KEPT_JS, arg=text, timeout=timeout)

    def says(self, text: str, expect_text: str) -> str:
        return self.answer(self.send(text), expect_text)

    def picks(self, title: str, expect_text: str) -> str:
        n = len(self.messages())
        self.page.get_by_role("group", name="Choose an answer").last.get_by_role("button", name=title, exact=True).click()
        return self.answer(n, expect_text)

    def answer(self, n: int, *expect_text: str, timeout: int = BOT) -> str:
        """Wait for a message (not the resident's) containing one of ``expect_text`` after the first ``n``."""
        try:
            self.page.wait_for_function(CHAT_ANSWERED_JS, arg=[n, list(expect_text)], timeout=timeout)
        except PlaywrightError as exc:
            raise AssertionError(f"no answer containing {expect_text!r}:\n{self.transcript()}") from exc
        return "\n".join(m["text"] for m in self.messages()[n:] if m["sender"] != "resident")

    def conversation_id(self) -> int:
        """This browser's conversation in the record (the database keeps the session token's SHA-256)."""
        token = self.page.evaluate("() => localStorage.getItem('lwc.token')")
        assert token
        address = hashlib.sha256(token.encode()).hexdigest()
        with sqlite3.connect(self.stack.db_path) as conn:
            row = conn.execute("SELECT id FROM conversations WHERE channel = 'webchat' AND address = ? ORDER BY id DESC LIMIT 1", (address,)).fetchone()
        assert row, "the conversation is in the record"
        return int(row[0])

    def asks_for_a_person(self) -> int:
        """The handoff queues whether or not the contact centre is open (a weekend or bank holiday)."""
        self.answer(self.send("can I talk to a real person please"), "member of our team", "contact centre is closed")
        return self.conversation_id()


# -- the agent console ---------------------------------------------------------------------------------

CONSOLE_MESSAGES_JS = """() => [...document.querySelectorAll('#transcript > .msg')].map(m => ({
  id: Number(m.dataset.id), sender: m.dataset.sender, text: m.querySelector('.msg-text').textContent}))"""


class Console:
    def __init__(self, page: Page, stack: Stack) -> None:
        self.page, self.stack = page, stack

    def sign_in(self, email: str) -> Console:
        page = self.page
        page.goto(f"{self.stack.backend_url}/agent")
        expect(page.get_by_role("heading", level=1, name="Agent console")).to_be_visible()
        page.get_by_label("Email address", exact=True).fill(email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text("Signed in as")).to_be_visible()
        return self

    def live(self) -> None:
        expect(self.page.locator("#connection")).to_have_text("Live", timeout=UI)

    def item(self, conversation_id: int) -> Any:
        return self.page.locator(f'#queue-list > li[data-conversation-id="{conversation_id}"]')

    def claim(self, conversation_id: int) -> None:
        self.item(conversation_id).get_by_role("button", name=re.compile("^Claim")).click()

    @property
    def transcript(self) -> Any:
        return self.page.get_by_role("log", name="Conversation with the resident")

    @property
    def reply_box(self) -> Any:
        return self.page.get_by_label("Reply to the resident")

    @property
    def holder(self) -> Any:
        return self.page.locator("#conv-holder")

    def messages(self) -> list[dict[str, Any]]:
        return list(self.page.evaluate(CONSOLE_MESSAGES_JS))

    def sees(self, sender: str, text: str) -> None:
        expect(self.transcript.locator(f'.msg[data-sender="{sender}"] .msg-text', has_text=text).first).to_be_visible(timeout=UI)

    def reply(self, text: str) -> None:
        self.reply_box.fill(text)
        self.reply_box.press("Enter")
        self.sees("agent", text.splitlines()[0])
        expect(self.reply_box).to_have_value("")

    def dialog(self, name: str) -> Any:
        return self.page.get_by_role("dialog", name=name)

    def token(self) -> str | None:
        token = self.page.evaluate("() => sessionStorage.getItem('agent.token')")
        return str(token) if token else None


def record_ids(stack: Stack, conversation_id: int) -> list[int]:
    """Every message of the conversation in the record, internal notes too."""
    with sqlite3.connect(stack.db_path) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,))]


def officer_headers(stack: Stack) -> dict[str, str]:
    r = httpx.post(f"{stack.backend_url}/api/v1/auth/login", json={"email": OLU, "password": PASSWORD}, timeout=10)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def shot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / name), animations="disabled")


# -- the tests -----------------------------------------------------------------------------------------


def test_an_agent_takes_over_a_web_chat_records_a_complaint_and_hands_back(
    stack: Stack, person: Callable[..., Page], problems: Problems, screenshots: Path
) -> None:
    # two agents are signed in before the resident asks; neither page is ever reloaded until said so
    ada = Console(person("ada"), stack).sign_in(ADA)
    ada.live()
    bo = Console(person("bo"), stack).sign_in(BO)
    bo.live()
    ada.page.evaluate("() => { window.stillTheSamePage = true; }")
    assert ada.page.title() == "Agent console"

    # the resident starts a complaint with the assistant, then asks for a person part way through
    resident = Resident(person("resident", 720, 900), stack)
    offer = resident.says("I've reported the damp in my bedroom three times and nobody has come to fix it, it's disgusting", "make a complaint")
    assert "formal complaint" in offer, resident.transcript()
    resident.picks("Yes, make a complaint", "are you the resident")
    resident.picks("I am the resident", "full name")
    resident.says("Amira Khan", "contact")
    resident.says("amira.khan@example.org", "postcode")
    resident.says("LS6 2AB", "anything else")
    conv = resident.asks_for_a_person()

    # it arrives in both consoles without a reload: reason in words, channel, a ticking wait, the title
    item = ada.item(conv)
    expect(item).to_be_visible(timeout=UI)
    expect(item.locator(".q-reason")).to_have_text("Asked for a person")
    expect(item.locator(".q-channel")).to_have_text("Web chat")
    expect(item.locator(".q-holder")).to_have_text("Waiting")
    expect(item.locator(".q-last")).to_have_text("“can I talk to a real person please”")
    waited = item.locator(".q-time").text_content()
    expect(item.locator(".q-time")).not_to_have_text(waited or "", timeout=5000)  # it ticks
    expect(ada.page).to_have_title(re.compile(r"^\(\d+ waiting\) Agent console$"))
    expect(ada.page.locator("#announcer")).to_contain_text("new conversation is waiting: Asked for a person, Web chat")
    expect(bo.item(conv)).to_be_visible(timeout=UI)
    assert ada.page.evaluate("() => window.stillTheSamePage") is True

    # Bo's console is a moment behind (its queue answers are held back), as when both press Claim at once
    stale = httpx.get(f"{stack.backend_url}/api/v1/agent/queue", headers={"Authorization": f"Bearer {bo.token()}"}, timeout=10).json()
    bo.page.route("**/api/v1/agent/queue", lambda route: route.fulfill(json=stale))

    # Ada claims it: the whole transcript, the bot's part too, and what the bot captured
    ada.claim(conv)
    expect(ada.holder).to_have_text("You have this conversation.", timeout=UI)
    expect(ada.reply_box).to_be_focused()
    expect(item.locator(".q-holder")).to_have_text("With you", timeout=UI)
    ada.sees("resident", "I've reported the damp in my bedroom three times")
    ada.sees("bot", "make a complaint")
    ada.sees("resident", "can I talk to a real person please")
    draft = ada.page.locator("#draft")
    for captured in ("Amira Khan", "amira.khan@example.org", "LS6 2AB", "nobody has come to fix it"):
        expect(draft).to_contain_text(captured)
    expect(ada.page.locator("#record")).to_contain_text("Not linked to a resident's record yet")

    # Bo presses Claim too late and is told who has it
    problems.allow("status of 409")  # the browser logs the refused request
    bo.claim(conv)
    expect(bo.page.locator("#conv-error")).to_have_text("Ada Agent has already taken this conversation", timeout=UI)
    expect(bo.holder).to_have_text("Ada Agent has this conversation.")
    expect(bo.reply_box).to_be_disabled()
    expect(bo.page.get_by_role("button", name="Create complaint")).to_be_disabled()
    bo.page.unroute("**/api/v1/agent/queue")
    bo.page.reload()  # back where he was (the session and the open conversation are kept in this tab)
    expect(bo.item(conv).locator(".q-holder")).to_have_text("With Ada Agent", timeout=UI)
    expect(bo.holder).to_have_text("Ada Agent has this conversation.", timeout=UI)

    # they talk both ways, live
    ada.reply("Hello Amira, I'm Ada from the contact centre. I can see what you told the assistant.")
    resident.answer(0, "I'm Ada from the contact centre", timeout=UI)
    assert next(m for m in resident.messages() if "I'm Ada" in m["text"])["sender"] == "agent"
    bo.sees("agent", "I'm Ada from the contact centre")  # a colleague watching sees it too, read-only
    resident.send("Thank you. It started in March and my asthma is worse.")
    ada.sees("resident", "It started in March and my asthma is worse.")
    # Shift+Enter is a new line, Enter sends
    ada.reply_box.fill("I'm sorry to hear that.")
    ada.reply_box.press("Shift+Enter")
    ada.reply_box.type("I'll record your complaint now.")
    expect(ada.reply_box).to_have_value("I'm sorry to hear that.\nI'll record your complaint now.")
    ada.reply_box.press("Enter")
    ada.sees("agent", "I'll record your complaint now.")
    resident.answer(0, "I'm sorry to hear that.\nI'll record your complaint now.", timeout=UI)
    # a ready-made reply goes into the box, where it can be edited before it is sent
    ada.page.get_by_text("Ready-made replies").click()
    ada.page.get_by_role("button", name="Are you still there?").click()
    expect(ada.reply_box).to_be_focused()
    expect(ada.reply_box).to_have_value(re.compile("^Are you still there\\?"))
    ada.page.keyboard.type(" (No rush, Amira.)")
    ada.reply_box.press("Enter")
    resident.answer(0, "(No rush, Amira.)", timeout=UI)

    # an internal note is shown as one, and never reaches the resident
    ada.page.get_by_role("button", name="Add internal note").click()
    note = ada.dialog("Add an internal note")
    note.get_by_label("Note", exact=True).fill("Asthma worse because of the damp: check the adjustments.")
    note.get_by_role("button", name="Add note").click()
    expect(note).to_be_hidden()
    expect(ada.transcript.locator(".msg--note")).to_contain_text("Internal note — not sent")
    ada.sees("note", "Asthma worse because of the damp")

    # the complaint, prefilled from the bot's draft; the agent adds what is missing
    ada.page.get_by_role("button", name="Create complaint").click()
    form = ada.dialog("Create a complaint")
    expect(form).to_be_visible()
    expect(form.get_by_label("Resident's full name")).to_be_focused()
    expect(form.get_by_label("Resident's full name")).to_have_value("Amira Khan")
    expect(form.get_by_label("Postcode")).to_have_value("LS6 2AB")
    expect(form.get_by_label("Resident's email address")).to_have_value("amira.khan@example.org")
    expect(form.get_by_label("What went wrong")).to_have_value(re.compile("nobody has come to fix it"))
    expect(form.get_by_label("A representative is making this complaint for the resident")).not_to_be_checked()
    expect(form.get_by_label("Representative's name")).to_be_hidden()
    form.get_by_label("What they want us to do").fill("Fix the damp properly\nAn apology")
    form.get_by_label("When it happened, or when they became aware").fill("since March 2026")
    form.get_by_label("How it has affected them").fill("My asthma is worse.")
    form.get_by_label("Legal action").select_option(label="No legal action")
    form.get_by_label("Large print").check()
    form.get_by_label("The resident has confirmed this is right").check()
    # what the API refuses is explained in the form
    problems.allow("status of 422")
    form.get_by_label("Linked repair reference (optional)").fill("SR-2026-999999")
    form.get_by_role("button", name="Create complaint").click()
    expect(form.locator("#c-error")).to_contain_text("no service request with reference", timeout=UI)
    form.get_by_label("Linked repair reference (optional)").fill("")
    # and what is missing is caught before it is sent
    form.get_by_label("Resident's full name").fill("")
    form.get_by_role("button", name="Create complaint").click()
    expect(form.locator("#c-error")).to_contain_text("Enter the resident's full name.")
    expect(form.get_by_label("Resident's full name")).to_have_attribute("aria-invalid", "true")
    form.get_by_label("Resident's full name").fill("Amira Khan")
    form.get_by_role("button", name="Create complaint").click()
    expect(form).to_be_hidden(timeout=UI)
    notice = ada.page.locator("#conv-notice")
    expect(notice).to_contain_text(re.compile(r"Complaint created\. Reference CMP-\d{4}-\d{6}"))
    reference = re.search(r"CMP-\d{4}-\d{6}", notice.text_content() or "")
    assert reference
    ref = reference[0]
    resident.answer(0, f"Your reference is {ref}", timeout=UI)
    expect(ada.page.locator("#cases")).to_contain_text(ref, timeout=UI)
    expect(ada.page.locator("#record")).to_contain_text("Large print", timeout=UI)
    ada.page.wait_for_timeout(300)
    shot(ada.page, screenshots, "agent-conversation.png")

    case = httpx.get(f"{stack.backend_url}/api/v1/complaints/{ref}", headers=officer_headers(stack), timeout=10).json()
    assert case["channel"] == "webchat"
    assert case["definition"]["points"][0].startswith("I've reported the damp")
    assert case["definition"]["outcomes"] == ["Fix the damp properly", "An apology"]
    assert case["definition"]["confirmed_by_resident"] is True
    assert case["resident"]["name"] == "Amira Khan" and case["resident"]["email"] == "amira.khan@example.org"
    assert [a["type"] for a in case["resident"]["adjustments"]] == ["large_print"]
    assert case["legal_proceedings"] == "none" and case["when_described"] == "since March 2026"

    # hand back: the bot resumes in the resident's chat and the conversation leaves the queue
    ada.page.get_by_role("button", name="Hand back to the bot").click()
    back = ada.dialog("Hand back to the bot")
    back.get_by_label("What happened (optional)").fill("Your complaint about the damp is logged.")
    back.get_by_role("button", name="Hand back").click()
    expect(back).to_be_hidden(timeout=UI)
    expect(ada.holder).to_have_text("Handed back to the assistant.")
    expect(ada.item(conv)).to_have_count(0, timeout=UI)
    expect(bo.item(conv)).to_have_count(0, timeout=UI)
    resumed = resident.answer(0, "handed you back", timeout=BOT)
    assert "automated assistant" in resumed, resident.transcript()

    # the resident never saw the note; the console showed every message of the record exactly once
    assert not any("Asthma worse because of the damp" in m["text"] for m in resident.messages())
    on_screen = [m["id"] for m in ada.messages()]
    assert len(on_screen) == len(set(on_screen))
    assert set(on_screen) <= set(record_ids(stack, conv))
    assert ada.page.evaluate("() => window.stillTheSamePage") is True
    assert problems.unexpected() == []


def test_safeguarding_goes_first_markup_stays_text_and_a_conversation_can_be_transferred(
    stack: Stack, person: Callable[..., Page], problems: Problems, screenshots: Path
) -> None:
    ada = Console(person("ada"), stack).sign_in(ADA)
    ada.live()
    bo = Console(person("bo"), stack).sign_in(BO)
    bo.live()
    resident = Resident(person("resident", 720, 900), stack)
    conv = resident.asks_for_a_person()
    expect(ada.item(conv)).to_be_visible(timeout=UI)

    # someone who may be at risk arrives later and goes to the top, flagged in red, announced as urgent
    at_risk = Resident(person("resident at risk", 720, 900), stack)
    at_risk.answer(at_risk.send("I'm not safe at home, my partner hits me"), "member of our team", "contact centre is closed")
    urgent = at_risk.conversation_id()
    expect(ada.item(urgent)).to_be_visible(timeout=UI)
    expect(ada.item(urgent).locator(".q-reason")).to_have_text("Safeguarding")
    expect(ada.item(urgent).locator(".flag--danger")).to_have_text("Safeguarding")
    assert ada.item(urgent).evaluate("li => getComputedStyle(li.querySelector('.flag--danger')).backgroundColor") == "rgb(179, 38, 30)"
    expect(ada.page.locator("#announcer")).to_have_text("Urgent: a new conversation is waiting: Safeguarding, Web chat.", timeout=UI)
    order = ada.page.locator("#queue-list > li").evaluate_all("items => items.map(li => Number(li.dataset.conversationId))")
    assert order.index(urgent) < order.index(conv), order
    expect(ada.page).to_have_title(re.compile(r"^\([2-9]\d* waiting\) Agent console$"))
    ada.page.wait_for_timeout(1100)  # a tick of the waiting times
    shot(ada.page, screenshots, "agent-queue.png")

    # Bo takes the urgent one: Ada sees who has it
    bo.claim(urgent)
    expect(bo.holder).to_have_text("You have this conversation.", timeout=UI)
    bo.sees("resident", "my partner hits me")
    expect(ada.item(urgent).locator(".q-holder")).to_have_text("With Bo Agent", timeout=UI)
    expect(ada.item(urgent).get_by_role("button", name=re.compile("^Claim"))).to_be_hidden()

    # Ada takes the other; what the resident types is shown exactly as typed, never run
    ada.claim(conv)
    expect(ada.holder).to_have_text("You have this conversation.", timeout=UI)
    evil = "<script>alert(1)</script>"
    more = "<img src=x onerror=alert(2)> <b>bold</b>"
    resident.send(evil)
    resident.send(more)
    ada.sees("resident", more)
    texts = [m["text"] for m in ada.messages() if m["sender"] == "resident"]
    assert evil in texts and more in texts
    expect(ada.transcript.get_by_text(evil, exact=True)).to_be_visible()
    assert ada.page.locator("#transcript script, #transcript img, #transcript b").count() == 0
    ada.page.wait_for_timeout(500)  # an alert() would have fired by now

    # 200 % zoom of a 1280 x 720 window: 640 x 360 CSS pixels, one column, no sideways scrolling,
    # and the reply box can still be reached with the keyboard and shows where the focus is
    ada.page.set_viewport_size({"width": 640, "height": 360})
    assert ada.page.evaluate("() => document.documentElement.scrollWidth") <= 640
    ada.reply_box.focus()
    ada.reply_box.scroll_into_view_if_needed()
    expect(ada.reply_box).to_be_in_viewport()
    ada.page.keyboard.press("Shift+Tab")
    ada.page.keyboard.press("Tab")
    expect(ada.reply_box).to_be_focused()
    assert ada.page.evaluate("() => parseFloat(getComputedStyle(document.activeElement).outlineWidth)") >= 2, "a visible focus indicator"
    ada.page.keyboard.type("Thanks, I can see exactly what you typed.")
    ada.page.keyboard.press("Enter")
    resident.answer(0, "exactly what you typed", timeout=UI)
    shot(ada.page, screenshots, "agent-200pct.png")
    ada.page.set_viewport_size({"width": 1280, "height": 800})

    # closing needs an outcome
    ada.page.get_by_role("button", name="Close", exact=True).click()
    closing = ada.dialog("Close the conversation")
    closing.get_by_role("button", name="Close conversation").click()
    expect(closing.locator("#x-error")).to_contain_text("Enter the outcome before closing.")
    expect(closing.get_by_label("Outcome")).to_have_attribute("aria-invalid", "true")
    closing.get_by_label("Outcome").fill("Resident was checking the chat; nothing to do.")
    closing.get_by_role("button", name="Close conversation").click()
    expect(closing).to_be_hidden(timeout=UI)
    expect(ada.holder).to_have_text("Closed.")
    resident.answer(0, "This chat with our team has ended", timeout=UI)
    expect(ada.item(conv)).to_have_count(0, timeout=UI)

    # Bo transfers the urgent conversation to Ada, who sees it become hers without reloading
    bo.page.get_by_role("button", name="Transfer").click()
    transfer = bo.dialog("Transfer to a colleague")
    transfer.get_by_label("Colleague").select_option(label="Ada Agent")
    transfer.get_by_role("button", name="Transfer").click()
    expect(transfer).to_be_hidden(timeout=UI)
    expect(bo.holder).to_have_text("Ada Agent has this conversation.")
    expect(bo.page.locator("#conv-notice")).to_have_text("Transferred to Ada Agent.")
    expect(bo.reply_box).to_be_disabled()
    expect(ada.item(urgent).locator(".q-holder")).to_have_text("With you", timeout=UI)
    ada.item(urgent).get_by_role("button", name=re.compile("^View")).click()
    expect(ada.holder).to_have_text("You have this conversation.", timeout=UI)
    expect(ada.page.locator("#conv-flags")).to_contain_text("Safeguarding")
    ada.reply("Hello, I'm Ada. You did the right thing telling us. Are you somewhere safe right now?")
    at_risk.answer(0, "Are you somewhere safe right now?", timeout=UI)
    ada.page.get_by_role("button", name="Close", exact=True).click()
    closing.get_by_label("Outcome").fill("Referred to the safeguarding lead; resident safe with family.")
    closing.get_by_role("button", name="Close conversation").click()
    expect(ada.holder).to_have_text("Closed.", timeout=UI)
    expect(ada.item(urgent)).to_have_count(0, timeout=UI)
    assert problems.unexpected() == []


def test_only_agents_and_managers_can_use_the_console(stack: Stack, person: Callable[..., Page], problems: Problems) -> None:
    page = person("officer")
    console = Console(page, stack)
    page.goto(f"{stack.backend_url}/agent")
    page.get_by_label("Email address", exact=True).fill(OLU)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_have_text(
        "This console is for contact-centre agents and managers only. You are signed in as an officer. Ask a manager if you need access."
    )
    expect(page.locator("#console-view")).to_be_hidden()
    assert console.token() is None  # nothing kept

    # a wrong password is explained, and the console signs out cleanly
    problems.allow("status of 401")
    page.get_by_label("Email address", exact=True).fill(ADA)
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_have_text("wrong email or password")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    console.sign_in(ADA)
    console.live()
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#login-error")).to_have_text("You have logged out.")
    assert console.token() is None
    assert problems.unexpected() == []


def test_an_agent_who_drops_off_and_comes_back_keeps_the_conversation_and_misses_nothing(stack: Stack, person: Callable[..., Page], problems: Problems) -> None:
    problems.allow("WebSocket connection to")  # each refused attempt while the backend restarts
    problems.allow("ERR_CONNECTION_REFUSED")
    ada_page = person("ada")
    ada = Console(ada_page, stack).sign_in(ADA)
    ada.live()
    resident = Resident(person("resident", 720, 900), stack)
    conv = resident.asks_for_a_person()
    expect(ada.item(conv)).to_be_visible(timeout=UI)
    ada.claim(conv)
    expect(ada.holder).to_have_text("You have this conversation.", timeout=UI)
    ada.reply("Hi, this is Ada. How can I help?")
    resident.answer(0, "How can I help?", timeout=UI)

    # the server goes away under both of them, and comes back: the console says so, then catches up
    port = int(stack.backend_url.rsplit(":", 1)[1])
    stack.stop_backend()
    try:
        expect(ada.page.locator("#connection")).to_contain_text("Live updates are paused", timeout=UI)
        resident.send("my boiler has stopped working")  # kept by the chat until the connection is back
    finally:
        stack.start_backend(port)
    expect(ada.page.locator("#connection")).to_have_text("Live", timeout=BOT)  # reconnected (with backoff)
    ada.sees("resident", "my boiler has stopped working")
    expect(ada.holder).to_have_text("You have this conversation.")

    # Ada's tab closes mid-conversation; the resident goes on writing
    ada_page.close()
    for text in ("there's no hot water either", "I have a baby at home"):
        resident.send(text)
        resident.kept(text)

    # she comes back in a new tab, where live updates are blocked (a proxy that drops WebSockets):
    # the console says so and checks every 5 seconds instead
    back_page = ada_page.context.new_page()
    problems.watch(back_page, "ada again")

    def refuse(ws: WebSocketRoute) -> None:
        ws.close()

    back_page.route_web_socket(re.compile(r".*/api/v1/agent/live$"), refuse)
    again = Console(back_page, stack).sign_in(ADA)
    expect(back_page.locator("#connection")).to_contain_text("Live updates are paused", timeout=UI)
    expect(again.item(conv).locator(".q-holder")).to_have_text("With you", timeout=UI)  # the claim was kept
    again.item(conv).get_by_role("button", name=re.compile("^View")).click()
    expect(again.holder).to_have_text("You have this conversation.", timeout=UI)
    again.sees("agent", "Hi, this is Ada. How can I help?")
    for text in ("my boiler has stopped working", "there's no hot water either", "I have a baby at home"):
        again.sees("resident", text)
    resident.send("are you still there?")
    again.sees("resident", "are you still there?")  # by polling, within 5 seconds
    again.page.wait_for_timeout(6000)  # another round of polling: still nothing twice
    on_screen = [m["id"] for m in again.messages()]
    assert len(on_screen) == len(set(on_screen)), again.messages()
    assert on_screen == record_ids(stack, conv)
    again.reply("Yes, I'm here. I'm booking an emergency heating repair now.")
    resident.answer(0, "booking an emergency heating repair", timeout=UI)

    # and the repair, from the conversation
    back_page.get_by_role("button", name="Create service request").click()
    request = again.dialog("Create a service request")
    request.get_by_label("Type of request").select_option("repairs_heating")
    request.get_by_label("What needs doing").fill("Boiler stopped working, no heating or hot water; baby at home.")
    request.get_by_label("Where (address and room)").fill("4 Mill Lane, kitchen")
    request.get_by_label("Postcode").fill("ls6 2ab")
    request.get_by_role("button", name="Create service request").click()
    expect(request).to_be_hidden(timeout=UI)
    expect(back_page.locator("#conv-notice")).to_contain_text(re.compile(r"Service request created\. Reference SR-\d{4}-\d{6}"))
    resident.answer(0, "Your request is logged. Your reference is SR-", timeout=UI)

    back_page.get_by_role("button", name="Close", exact=True).click()
    closing = again.dialog("Close the conversation")
    closing.get_by_label("Outcome").fill("Emergency heating repair booked")
    closing.get_by_role("button", name="Close conversation").click()
    expect(again.holder).to_have_text("Closed.", timeout=UI)
    assert problems.unexpected() == []
