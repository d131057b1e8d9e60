"""The complaints officer's dashboard (/officer) in a real browser, against the real backend.

An officer takes a new case from triage to the stage 1 response; the resident escalates; a second
officer takes stage 2 to its final response and closes it. Every refusal the Code demands is tried on
the way and must be shown beside the form that caused it, with what was typed kept: acknowledging
with no definition, the stage 1 handler acting at stage 2, a response with a required item empty, an
extension past the limit with no good reason. Then the role checks (an agent is pointed elsewhere and
cannot read reports; nobody signed out sees data) and escaping (a resident's ``<script>`` and
``<img onerror>`` are shown as text, at 320 px).

Test data goes in through the HTTP API the way the bot sends it (the service token). The backend runs
on the real clock, so dates are worked out with the backend's own working-day calendar.
Screenshots go to var/screenshots/ for a person to look at.
"""

from __future__ import annotations

import datetime as dt
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
from tests.processes import SERVICE_TOKEN, Stack, running

try:
    from playwright.sync_api import Browser, BrowserContext, Page, expect
except ImportError:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("Playwright is not installed in .venv (it is in backend/requirements.lock)", allow_module_level=True)

PASSWORD = "officer dashboard password 1"
OLU, SAM, MIA, ADA = "olu@landlord.example", "sam@landlord.example", "mia@landlord.example", "ada@landlord.example"
UI = 15_000  # ms for the page to show what the server did
HOSTILE_NAME = "Zed <script>window.pwned=1</script> Owusu"
HOSTILE_POINT = '<img src=x onerror="window.pwned=2">The lift has been broken for a month'


# -- the backend and the people ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp: Path = tmp_path_factory.mktemp("officer-dashboard")
    with running(tmp, actions=False) as s:
        # the first manager the way a landlord makes one (the CLI); she makes the others' logins
        create_staff(f"sqlite:///{s.db_path}", MIA, role="manager", name="Mia Manager", password=PASSWORD)
        manager = staff_headers(s, MIA)
        for email, role, name in ((OLU, "officer", "Olu Officer"), (SAM, "officer", "Sam Senior"), (ADA, "agent", "Ada Agent")):
            r = httpx.post(
                f"{s.backend_url}/api/v1/staff", json={"email": email, "name": name, "role": role, "password": PASSWORD}, headers=manager, timeout=10
            )
            assert r.status_code == 201, r.text
        yield s


@pytest.fixture
def person(browser: Browser, problems: Problems) -> Iterator[Callable[..., Page]]:
    """``person(name, width, height)``: a page in a browser context of its own, watched for problems."""
    contexts: list[BrowserContext] = []

    def make(who: str, width: int = 1280, height: int = 900) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB", timezone_id="Europe/London", accept_downloads=True)
        context.set_default_timeout(UI)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page, who)
        return page

    yield make
    for c in contexts:
        c.close()


def service(stack: Stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {SERVICE_TOKEN}"}


def staff_headers(stack: Stack, email: str) -> dict[str, str]:
    r = httpx.post(f"{stack.backend_url}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def new_complaint(stack: Stack, **body: Any) -> str:
    """A complaint as the bot records it (service token), like tests/backend/helpers.py."""
    r = httpx.post(f"{stack.backend_url}/api/v1/complaints", json=body, headers=service(stack), timeout=10)
    assert r.status_code == 201, r.text
    return str(r.json()["reference"])


def working_days_between(stack: Stack, start: dt.date, end: dt.date) -> int:
    r = httpx.get(f"{stack.backend_url}/api/v1/calendar/working-days-between", params={"start": str(start), "end": str(end)}, timeout=10)
    assert r.status_code == 200, r.text
    return int(r.json()["working_days"])


def add_working_days(stack: Stack, start: str, days: int) -> str:
    r = httpx.get(f"{stack.backend_url}/api/v1/calendar/add-working-days", params={"start": start, "days": days}, timeout=10)
    assert r.status_code == 200, r.text
    return str(r.json()["date"])


def received_days_ago(stack: Stack, working_days: int) -> str:
    """A receipt time ``working_days`` working days before today (London), at 10:00."""
    today = dt.datetime.now(dt.UTC).date()
    d = today
    while working_days_between(stack, d, today) < working_days:
        d -= dt.timedelta(days=1)
    return f"{d.isoformat()}T10:00:00+00:00"


def resident(name: str, postcode: str, chat: str, **more: Any) -> dict[str, Any]:
    return {"name": name, "postcode": postcode, "identities": [{"channel": "webchat", "address": chat}], **more}


class Dashboard:
    def __init__(self, page: Page, stack: Stack) -> None:
        self.page, self.stack = page, stack

    def sign_in(self, email: str, then: str = "Work queue") -> Dashboard:
        page = self.page
        page.goto(f"{self.stack.backend_url}/officer")
        expect(page.get_by_role("heading", level=1, name="Complaints dashboard")).to_be_visible()
        page.get_by_label("Email address", exact=True).fill(email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        if then:
            expect(page.get_by_role("heading", level=1, name=then)).to_be_visible()
        return self

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Log out").click()
        expect(self.page.locator("#login-error")).to_have_text("You have logged out.")

    def open_case(self, ref: str) -> None:
        self.page.goto(f"{self.stack.backend_url}/officer#/case/{ref}")
        expect(self.page.locator("#case-facts")).to_contain_text("Stage", timeout=UI)

    def fold(self, summary: str | re.Pattern[str]) -> Any:
        """Open a form fold by its summary text and return the <details>."""
        summ = self.page.locator("summary", has_text=summary).first
        details = summ.locator("xpath=..")
        if details.get_attribute("open") is None:
            summ.click()
        return details

    def notice(self, text: str | re.Pattern[str]) -> None:
        expect(self.page.locator("#case-notice")).to_have_text(text, timeout=UI)

    def status(self, text: str) -> None:
        expect(self.page.locator("#case-facts")).to_contain_text(text, timeout=UI)

    def token(self) -> str | None:
        t = self.page.evaluate("() => sessionStorage.getItem('staff_token')")
        return str(t) if t else None


def chat_conversation(stack: Stack, page: Page, text: str) -> str:
    """A resident writes in the web chat (no assistant is running: the message is kept all the same);
    returns the conversation's public id, which the bot would name as the resident's identity."""
    page.goto(f"{stack.backend_url}/chat")
    page.get_by_role("button", name="Start chat").click()
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")
    page.wait_for_function(
        "(t) => [...document.querySelectorAll('#log > .msg[data-sender=\"resident\"][data-id]')].some(m => m.textContent.includes(t))", arg=text
    )
    token = page.evaluate("() => localStorage.getItem('lwc.token')")
    address = hashlib.sha256(str(token).encode()).hexdigest()
    with sqlite3.connect(stack.db_path) as conn:
        row = conn.execute("SELECT public_id FROM conversations WHERE channel = 'webchat' AND address = ?", (address,)).fetchone()
    assert row, "the conversation is in the record"
    return str(row[0])


def shot(page: Page, folder: Path, name: str, full: bool = True) -> None:
    page.screenshot(path=str(folder / name), full_page=full, animations="disabled")


# -- the journey ---------------------------------------------------------------------------------------------


def test_an_officer_works_a_case_from_triage_to_the_stage_2_response_and_close(
    stack: Stack, person: Callable[..., Page], problems: Problems, screenshots: Path
) -> None:
    problems.allow("status of 409")  # the browser logs each refused request; the page explains them
    problems.allow("status of 422")
    # the queue around it: one overdue, one due soon, one on track at stage 1
    overdue = new_complaint(
        stack,
        channel="phone",
        received_at=received_days_ago(stack, 8),
        resident=resident("Bea Overdue", "LS7 1AA", "chat-overdue"),
        definition={"points": ["Repairs not done"], "outcomes": ["Fix it"]},
    )
    soon = new_complaint(
        stack,
        channel="sms",
        received_at=received_days_ago(stack, 3),
        resident=resident("Cal Soon", "LS8 2BB", "chat-soon"),
        definition={"points": ["Noise from the flat above"], "outcomes": ["Speak to them"]},
    )
    # the case worked here: the resident wrote in the web chat, but the bot did not get as far as the
    # definition; large print; a representative
    chat = person("resident", 420, 800)
    conversation = chat_conversation(stack, chat, "The mould is back on my bedroom wall <b>again</b>")
    ref = new_complaint(
        stack,
        channel="webchat",
        category="repairs",
        resident=resident(
            "Amira Khan",
            "LS6 2AB",
            conversation,
            preferred_contact_method="webchat",
            contact_times="Mornings only",
            disclosed_needs=["Partially sighted"],
            consent_to_record_needs=True,
            adjustments=[{"type": "large_print", "detail": "18 point, please", "agreed": True}],
        ),
        representative={"name": "Tom Khan", "relationship": "family", "contact": "tom@example.org"},
        impact="My daughter's asthma is worse.",
        when_described="since March",
    )

    olu = Dashboard(person("olu"), stack).sign_in(OLU)
    page = olu.page
    # the top bar counts new, red and amber, in words as well as colour
    expect(page.locator("#count-new")).to_contain_text(re.compile(r"\d+ new"))
    expect(page.locator("#count-red")).to_contain_text(re.compile(r"[1-9]\d* overdue \(red\)"))
    expect(page.locator("#count-amber")).to_contain_text(re.compile(r"[1-9]\d* due soon \(amber\)"))
    expect(page.locator("#nav-reports-item")).to_be_hidden()  # reports are for managers
    rows = page.locator("#queue-rows > tr")
    expect(rows).to_have_count(3)
    refs = [r.strip() for r in page.locator("#queue-rows .ref-link").all_text_contents()]
    assert refs == [overdue, soon, ref], refs  # new cases first, by acknowledgement deadline
    expect(rows.nth(0).locator(".rag")).to_have_text("Overdue")
    expect(rows.nth(1).locator(".rag")).to_have_text("Due soon")
    expect(rows.nth(2).locator(".rag")).to_have_text("On track")
    expect(rows.nth(2).locator(".flags")).to_contain_text("Needs or adjustments")
    expect(rows.nth(2).locator(".flags")).to_contain_text("Representative")
    shot(page, screenshots, "officer-dashboard-queue.png")

    # filters and search go into the address, so back and reload work
    page.locator("#count-red").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(overdue)
    expect(page.get_by_label("Deadline (RAG)")).to_have_value("red")
    page.get_by_role("button", name="Clear all").click()
    expect(rows).to_have_count(3)
    page.get_by_label("Search").fill("ls6 2ab")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(rows).to_have_count(1)
    page.get_by_role("link", name=ref).click()

    # the case: the resident's needs first
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Complaint {ref}: Amira Khan")
    needs = page.locator("#needs")
    expect(needs).to_contain_text("Large print")
    expect(needs).to_contain_text("18 point, please")
    expect(needs).to_contain_text("Partially sighted")
    expect(needs).to_contain_text("Mornings only")
    expect(needs).to_contain_text("Authority: Not confirmed yet")
    box = needs.bounding_box()
    work = page.locator("#work").bounding_box()
    assert box and work and box["x"] < work["x"], "the needs panel comes first (on the left on a wide screen)"
    # confirm the representative's authority, with the evidence
    page.get_by_label("Evidence of authority, or why it is refused").fill("Signed consent form received by post")
    page.get_by_role("button", name="Confirm authority").click()
    olu.notice("The representative's authority is confirmed.")
    expect(needs).to_contain_text("Authority: Confirmed")
    expect(needs).to_contain_text("Signed consent form received by post")

    # refusal: acknowledge with no definition (Code 5.6)
    expect(page.locator("#definition")).to_contain_text("Not defined yet")
    olu.fold("Accept and acknowledge")
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    expect(page.locator("#ack-error")).to_contain_text("The complaint cannot be acknowledged until it is defined")
    expect(page.locator("#ack-error")).to_be_focused()
    # define it, with what we are and are not responsible for (5.7)
    olu.fold("Edit the definition")
    page.get_by_label("What went wrong").fill("Damp and black mould in the back bedroom\nThe contractor missed two appointments")
    page.get_by_label("The outcome they want").fill("Fix the cause of the damp\nAn apology")
    page.get_by_label("What we are responsible for (Code 5.7)").fill("The repair of the wall and window seals")
    page.get_by_label("What we are not responsible for, and who is (Code 5.7)").fill("The neighbour's leaking gutter (the freeholder)")
    page.get_by_label("The resident has confirmed this is right").check()
    page.get_by_role("button", name="Save a new version").click()
    olu.notice("A new version of the definition is saved.")
    expect(page.locator("#definition")).to_contain_text("Version 1 (stage 1)")
    expect(page.locator("#definition")).to_contain_text("The neighbour's leaking gutter (the freeholder)")
    # now it can be acknowledged, with the letter checked first
    olu.fold("Accept and acknowledge")
    page.get_by_role("button", name="Check and edit the letter").click()
    letter = page.locator("#ack-form .letter")
    expect(letter.locator(".letter-item", has_text="What went wrong")).to_contain_text("required")
    letter.get_by_label("Anything else to tell the resident").fill("We will call you in the mornings, as you asked.")
    letter.get_by_role("button", name="Preview the letter").click()
    expect(letter.locator(".letter-preview")).to_contain_text("We will call you in the mornings, as you asked.")
    letter.get_by_label("Mark it for the post").check()
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    olu.notice(re.compile("^Acknowledged"))
    olu.status("Stage 1: acknowledged, response due")
    letters = page.locator("#letters-list")
    expect(letters.locator(".item").first).to_contain_text("We have received your complaint")
    expect(letters.locator(".item").first).to_contain_text("Marked for post")
    expect(letters.locator(".item").first).to_contain_text("Large print")
    # read it on the page, and download the PDF (fetched with the login, then saved)
    letters.get_by_role("button", name=re.compile("^Read: We have received your complaint")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("We will call you in the mornings, as you asked.")
    expect(dialog).to_contain_text("Housing Ombudsman")
    dialog.get_by_role("button", name="Close").click()
    with page.expect_download() as download:
        letters.get_by_role("button", name=re.compile("^Download PDF: We have received your complaint")).click()
    pdf = Path(download.value.path())
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert download.value.suggested_filename.endswith(".pdf")

    # refusal: an extension past the limit with no good reason (Code 6.4)
    case = httpx.get(f"{stack.backend_url}/api/v1/complaints/{ref}", headers=staff_headers(stack, OLU), timeout=10).json()
    original = case["stages"][0]["respond_by_original"]
    too_far = add_working_days(stack, original, 12)
    extend = olu.fold("Extend the response date")
    extend.get_by_label("New response date").fill(too_far)
    extend.get_by_label("Reason the resident will be told").fill("We are waiting for the damp survey report.")
    extend.get_by_role("button", name="Extend").click()
    expect(page.locator("#extend-error")).to_contain_text("needs a recorded good reason (Code 6.4)")
    expect(extend.get_by_label("Reason the resident will be told")).to_have_value("We are waiting for the damp survey report.")
    expect(extend.get_by_label("New response date")).to_have_value(too_far)
    extend.get_by_label("Good reason for going beyond the limit, or for a second extension").fill("The specialist surveyor cannot attend sooner.")
    extend.get_by_role("button", name="Extend").click()
    olu.notice(re.compile("^Extended"))
    expect(page.locator("#stages")).to_contain_text("extended 1 time")

    # refusal: the stage 1 response with a required item empty (Code 6.9)
    respond = olu.fold("Write and send the stage 1 response")
    form = page.locator("#respond-form")
    expect(form.locator(".letter-item", has_text="The reasons for any decisions made")).to_contain_text("required")
    expect(form.locator(".letter-item", has_text="Details of how to escalate the matter to stage 2")).to_contain_text("Housing Ombudsman")
    form.get_by_label("The decision on the complaint").select_option("partly_upheld")
    form.get_by_label("The details of any remedy offered to put things right").fill("A damp survey and repair, and an apology.")
    form.get_by_label("Details of any outstanding actions").fill("Repair by 30 June; we will update you.")
    form.get_by_label("The reasons for any decisions made").fill("")
    form.get_by_role("button", name="Preview the letter").click()
    expect(form.locator(".letter-preview")).to_contain_text("It cannot be sent yet")
    form.get_by_role("button", name="Send the response").click()
    error = page.locator("#respond-error")
    expect(error).to_contain_text("This cannot be sent yet: every required item must be filled in (Code 6.9).")
    expect(error).to_contain_text("The reasons for any decisions made")
    expect(form.get_by_label("The reasons for any decisions made")).to_have_attribute("aria-invalid", "true")
    shot(page, screenshots, "officer-response-refused.png", full=False)
    expect(form.get_by_label("The details of any remedy offered to put things right")).to_have_value("A damp survey and repair, and an apology.")
    form.get_by_label("The reasons for any decisions made").fill("We found three reports of damp since March and no lasting repair.")
    form.get_by_label("Mark it to go by email").check()
    form.get_by_role("button", name="Send the response").click()
    olu.notice("The stage 1 response is recorded.")
    olu.status("Stage 1: responded")
    expect(respond).to_be_hidden()
    expect(letters.locator(".item").first).to_contain_text("Our response to your complaint")
    expect(letters.locator(".item").first).to_contain_text("Marked for email")

    # the resident rings to escalate; the stage 1 officer records it but cannot take stage 2 (Code 6.13)
    olu.fold("Record the resident's request for stage 2")
    page.get_by_label("What they said (optional)").fill("Still mouldy; wants a manager to look.")
    page.get_by_role("button", name="Record the request").click()
    olu.notice(re.compile("request for stage 2 is recorded"))
    olu.status("Stage 2: requested, to acknowledge")
    assign = olu.fold("Assign a handler")
    assign.get_by_label("Stage", exact=True).select_option("2")
    assign.get_by_label("Handler").select_option(label="Olu Officer (you)")
    assign.get_by_role("button", name="Assign").click()
    expect(page.locator("#handler-error")).to_contain_text("The stage 2 handler must not be the person who considered the complaint at stage 1")
    assign.get_by_label("Handler").select_option(label="Sam Senior")
    assign.get_by_role("button", name="Assign").click()
    olu.notice("Stage 2 handler: Sam Senior.")
    olu.fold("Accept and acknowledge")
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    expect(page.locator("#ack-error")).to_contain_text("You considered this complaint at stage 1, so you cannot act on it at stage 2")  # 6.13 first
    refuse = olu.fold("Decline, with reasons")
    expect(refuse.get_by_label("Ground").locator('option[value="other"]')).to_be_disabled()  # 5.11: section 2 grounds only
    refuse.get_by_label("Reasons the resident will be told").fill("Considered before.")
    refuse.get_by_role("button", name="Decline").click()
    expect(page.locator("#decline-error")).to_contain_text("You considered this complaint at stage 1, so you cannot act on it at stage 2")
    expect(refuse.get_by_label("Reasons the resident will be told")).to_have_value("Considered before.")
    olu.sign_out()
    assert olu.token() is None

    # Sam takes stage 2: its own definition version, acknowledgement, final response, a remedy, close
    sam = Dashboard(page, stack).sign_in(SAM)
    sam.open_case(ref)
    sam.status("Stage 2: requested, to acknowledge")
    expect(page.locator("#ack-hint")).to_contain_text("Stage 2 needs its own definition")
    sam.fold("Accept and acknowledge")
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    expect(page.locator("#ack-error")).to_contain_text("Stage 2 must be defined when it is acknowledged")  # Code 6.11
    sam.fold("Edit the definition")
    expect(page.get_by_label("What went wrong")).to_have_value("Damp and black mould in the back bedroom\nThe contractor missed two appointments")
    page.get_by_label("What went wrong").fill("The mould came back after the stage 1 repair")
    page.get_by_label("The outcome they want").fill("A lasting repair\nCompensation")
    page.get_by_role("button", name="Save a new version").click()
    sam.notice("A new version of the definition is saved.")
    expect(page.locator("#definition")).to_contain_text("Version 1 (stage 2)")
    page.locator("#def-history > summary").click()
    expect(page.locator("#def-versions")).to_contain_text("Damp and black mould in the back bedroom")
    sam.fold("Accept and acknowledge")
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    sam.notice(re.compile("^Acknowledged"))
    sam.status("Stage 2: acknowledged, response due")

    # a financial remedy, tracked as an action
    add = sam.fold("Add a remedy or action")
    add.get_by_label("Kind").select_option("financial")
    add.get_by_label("What will be done").fill("Compensation for the missed appointments")
    add.get_by_label("Amount in pounds (financial remedy)").fill("150")
    add.get_by_role("button", name="Add", exact=True).click()
    sam.notice("Financial remedy added.")
    expect(page.locator("#actions-list")).to_contain_text("Financial remedy: £150.00")

    sam.fold("Write and send the stage 2 final response")
    form.get_by_label("The decision on the complaint").select_option("upheld")
    form.get_by_label("The reasons for any decisions made").fill("The stage 1 repair did not treat the cause.")
    form.get_by_label("The details of any remedy offered to put things right").fill("A new damp course and £150.")
    form.get_by_label("Details of any outstanding actions").fill("Payment of £150 within 10 working days.")
    expect(form.locator(".letter-item", has_text="Details of how to escalate the matter to the Housing Ombudsman")).to_contain_text("required")
    form.get_by_role("button", name="Send the response").click()
    sam.notice("The stage 2 response is recorded.")
    sam.status("Stage 2: final response sent")

    # the final response goes to the resident on their preferred channel, the web chat they are in
    first = letters.locator(".item").first
    expect(first).to_contain_text("Our final response to your complaint")
    first.get_by_role("button", name=re.compile("^Send by Web chat")).click()
    expect(page.locator("#letters-notice")).to_have_text("The letter is sent to the resident.")
    expect(letters.locator(".item").first).to_contain_text("Sent by Web chat")
    expect(chat.locator("#log")).to_contain_text("Our final response to your complaint", timeout=UI)
    expect(chat.locator("#log")).to_contain_text("The stage 1 repair did not treat the cause.")

    # cannot close with the remedy still open (Code 6.17); mark it done with the update, then close (9.1)
    page.get_by_label("What we learned (Code 9.1)").fill("Damp repairs need a follow-up visit after 6 weeks.")
    page.get_by_role("button", name="Close the complaint").click()
    expect(page.locator("#close-error")).to_contain_text("still open")
    expect(page.get_by_label("What we learned (Code 9.1)")).to_have_value("Damp repairs need a follow-up visit after 6 weeks.")
    sam.fold("Mark as done")
    page.get_by_label("The update to the resident").fill("We paid £150 into your rent account today.")
    page.locator("#actions-list").get_by_role("button", name="Mark as done").click()
    sam.notice(re.compile("^Marked as done"))
    expect(page.locator("#actions-list")).to_contain_text("We paid £150 into your rent account today.")
    expect(letters).to_contain_text("An update on what we promised to do")
    page.get_by_role("button", name="Close the complaint").click()
    sam.notice("The complaint is closed and the learning recorded.")
    sam.status("Closed")
    expect(page.locator("#complaint-facts")).to_contain_text("Damp repairs need a follow-up visit after 6 weeks.")

    # the timeline holds the whole record, letters included
    timeline = page.locator("#timeline-list")
    for words in ("Letter", "Our final response to your complaint", "Closed", re.compile(r"New response date: \w{3}, \d+ \w{3} \d{4}"), "Amount: £150.00"):
        expect(timeline).to_contain_text(words)
    expect(timeline).to_contain_text("The mould is back on my bedroom wall <b>again</b>")  # the chat transcript, as text
    page.get_by_label("Show", exact=True).select_option("message")
    expect(timeline.locator(".tl:visible")).to_have_count(timeline.locator(".tl[data-kind=message], .tl[data-kind=note]").count())
    expect(timeline.locator(".tl:visible").first).to_contain_text("The mould is back on my bedroom wall <b>again</b>")
    page.get_by_label("Show", exact=True).select_option("")
    shot(page, screenshots, "officer-case-closed.png")
    page.locator("#timeline").scroll_into_view_if_needed()
    shot(page, screenshots, "officer-case-timeline.png", full=False)
    assert problems.unexpected() == []


# -- who may see what ------------------------------------------------------------------------------------------


def test_only_officers_and_managers_use_the_dashboard_and_only_managers_see_reports(stack: Stack, person: Callable[..., Page], problems: Problems) -> None:
    ref = new_complaint(stack, channel="webchat", resident=resident("Dee Private", "LS9 9DD", "chat-dee"), definition={"points": ["x"], "outcomes": ["y"]})
    base = stack.backend_url

    # signed out: the page shows only the login form, and the API gives nothing
    page = person("nobody")
    seen: list[str] = []
    page.on("response", lambda r: seen.append(f"{r.status} {r.url}") if "/api/" in r.url else None)
    page.goto(f"{base}/officer#/case/{ref}")
    expect(page.get_by_role("heading", level=1, name="Complaints dashboard")).to_be_visible()
    expect(page.locator("#case-view")).to_be_hidden()
    expect(page.locator("body")).not_to_contain_text("Dee Private")
    assert seen == [], seen  # the page asks for nothing before sign-in
    for path in (
        "/api/v1/complaints",
        f"/api/v1/complaints/{ref}",
        f"/api/v1/complaints/{ref}/timeline",
        "/api/v1/service-requests/register",
        "/api/v1/letters/1/pdf",
        "/api/v1/reports/summary",
    ):
        r = httpx.get(base + path, timeout=10)
        assert r.status_code == 401, (path, r.status_code)
        assert "Dee Private" not in r.text
    r = httpx.get(f"{base}/officer", timeout=10)
    assert "Content-Security-Policy" in r.headers and "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY"

    # an agent is told the page is not theirs and pointed to the agent console; nothing is kept
    problems.allow("status of 401")
    ada = Dashboard(page, stack).sign_in(ADA, then="")
    expect(page.locator("#login-error")).to_contain_text("This dashboard is for complaints officers and managers")
    expect(page.get_by_role("link", name="agent console")).to_have_attribute("href", "/agent")
    expect(page.locator("#queue-view")).to_be_hidden()
    assert ada.token() is None
    agent = staff_headers(stack, ADA)
    for path in ("/api/v1/reports/summary", "/api/v1/reports/tsm", "/api/v1/complaints", f"/api/v1/complaints/{ref}/timeline"):
        r = httpx.get(base + path, headers=agent, timeout=10)
        assert r.status_code == 403, (path, r.status_code)

    # an officer has no reports link and the reports API refuses them; a manager has both
    olu = Dashboard(person("olu"), stack).sign_in(OLU)
    expect(olu.page.locator("#nav-reports-item")).to_be_hidden()
    r = httpx.get(f"{base}/api/v1/reports/summary", headers=staff_headers(stack, OLU), timeout=10)
    assert r.status_code == 403
    mia = Dashboard(person("mia"), stack).sign_in(MIA)
    link = mia.page.get_by_role("link", name="Reports")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", "/reports")
    assert mia.page.evaluate("() => sessionStorage.getItem('staff_role')") == "manager"
    problems.allow("status of 422")  # the reports page asks for the TSM before any homes count is stored, and says so
    problems.allow("status of 403")  # the officer below, refused by the reports API
    link.click()  # the reports page reads the same login: no second sign-in
    expect(mia.page.locator("#reports-view")).to_be_visible()
    expect(mia.page.locator("#login-view")).to_be_hidden()
    # an officer who goes to the reports page anyway is told it is for managers
    olu.page.goto(f"{base}/reports")
    expect(olu.page.get_by_role("heading", level=1, name="The reports are for managers")).to_be_visible()
    assert problems.unexpected() == []


# -- escaping, the register and a phone-sized screen -------------------------------------------------------------


def test_resident_text_is_shown_as_text_on_a_phone_sized_screen(stack: Stack, person: Callable[..., Page], problems: Problems, screenshots: Path) -> None:
    problems.allow("status of 409")  # the refused send below
    problems.allow("status of 422")  # the restriction without a review date
    r = httpx.post(
        f"{stack.backend_url}/api/v1/service-requests",
        json={
            "channel": "whatsapp",
            "service_code": "repairs_general",
            "description": '<img src=x onerror="window.pwned=3">Lift broken',
            "postcode": "LS2 3EF",
        },
        headers=service(stack),
        timeout=10,
    )
    assert r.status_code == 201, r.text
    sr = r.json()["service_request_id"]
    ref = new_complaint(
        stack,
        channel="whatsapp",
        resident=resident(
            HOSTILE_NAME, "LS2 3EF", "chat-zed", preferred_contact_method="whatsapp", disclosed_needs=["<b>bold</b> needs"], consent_to_record_needs=True
        ),
        definition={"points": [HOSTILE_POINT], "outcomes": ["<script>window.pwned=4</script>"]},
        impact="<iframe src=javascript:alert(1)></iframe>",
        service_request_refs=[sr],
    )
    dash = Dashboard(person("olu-phone", 320, 700), stack).sign_in(OLU)
    page = dash.page
    page.get_by_label("Search").fill("Owusu")
    page.get_by_role("button", name="Search", exact=True).click()
    row = page.locator("#queue-rows > tr")
    expect(row).to_have_count(1)
    expect(row.first).to_contain_text(HOSTILE_NAME)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320, "no sideways scrolling at 320 px"
    shot(page, screenshots, "officer-queue-320.png")

    # keyboard only from here to the letter: the link, then the fold, then the letter editor
    page.get_by_role("link", name=ref).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Complaint {ref}: {HOSTILE_NAME}")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    expect(page.locator("#definition")).to_contain_text(HOSTILE_POINT)
    expect(page.locator("#definition")).to_contain_text("<script>window.pwned=4</script>")
    expect(page.locator("#complaint-facts")).to_contain_text("<iframe src=javascript:alert(1)></iframe>")
    expect(page.locator("#needs")).to_contain_text("<b>bold</b> needs")
    assert page.locator("#main img, #main iframe, #main script, #main b").count() == 0
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    shot(page, screenshots, "officer-case-320.png", full=False)

    # needs kept under review: an adjustment added, then agreed with a review date; a contact restriction
    dash.fold("Add a reasonable adjustment")
    page.get_by_label("Adjustment", exact=True).select_option("interpreter")
    page.get_by_label("Details", exact=True).fill("Twi interpreter for calls")
    page.get_by_role("button", name="Add adjustment").click()
    dash.notice("The adjustment is recorded.")
    adjustment = page.locator("#adjustments .item", has_text="Interpreter")
    expect(adjustment).to_contain_text("Not agreed yet")
    review = (dt.date.today() + dt.timedelta(days=90)).isoformat()
    adjustment.locator("summary", has_text="Update this adjustment").click()
    adjustment.get_by_label("Agreed with the resident").check()
    adjustment.get_by_label("Review by").fill(review)
    adjustment.get_by_role("button", name="Save changes").click()
    dash.notice("The adjustment is updated.")
    expect(page.locator("#adjustments .item", has_text="Interpreter")).to_contain_text("Agreed")
    dash.fold("Restrict contact")
    restrict = page.locator("#restrict-form")
    restrict.get_by_label("The restriction").fill("Email only, to one named officer")
    restrict.get_by_label("Reasons (the behaviour, and why this is proportionate)").fill("Abusive calls to staff on 3 occasions")
    restrict.get_by_label("Equality Act considerations").fill("No disability affecting phone use; email suits their needs")
    restrict.get_by_role("button", name="Record the restriction").click()
    expect(page.locator("#restrict-error")).not_to_be_empty()  # no review date: refused, nothing typed lost
    expect(restrict.get_by_label("The restriction")).to_have_value("Email only, to one named officer")
    restrict.get_by_label("Review by").fill(review)
    restrict.get_by_role("button", name="Record the restriction").click()
    dash.notice("The contact restriction is recorded.")
    expect(page.locator("#restrictions")).to_contain_text("Active: Email only, to one named officer")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320

    # the acknowledgement letter's preview carries the same text, still as text
    page.locator("summary", has_text="Accept and acknowledge").focus()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Check and edit the letter").focus()
    page.keyboard.press("Enter")
    page.locator("#ack-form").get_by_role("button", name="Preview the letter").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#ack-form .letter-preview")).to_contain_text("The lift has been broken for a month")
    assert page.locator("#main img, #main iframe, #main script").count() == 0
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    shot(page, screenshots, "officer-letter-preview-320.png", full=False)
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    dash.notice(re.compile("^Acknowledged"))
    # no chat to send it on: the server's refusal is said plainly, and the other routes stay open
    letter = page.locator("#letters-list .item").first
    letter.get_by_role("button", name=re.compile("^Send by WhatsApp")).click()
    expect(page.locator("#letters-error")).to_contain_text("The letter cannot be sent on a chat channel")
    expect(page.locator("#letters-error")).to_contain_text("Mark it for post or email instead")
    letter.get_by_role("button", name=re.compile("^Mark for email")).click()
    expect(page.locator("#letters-notice")).to_have_text("The letter is marked to go by email.")

    # the service request register (Code 1.4): open requests, their age and the linked complaint
    page.get_by_role("link", name="Service requests").click()
    expect(page.get_by_role("heading", level=1, name="Service request register")).to_be_visible()
    reg = page.locator("#requests-rows > tr", has_text=sr)
    expect(reg).to_contain_text('<img src=x onerror="window.pwned=3">Lift broken')
    expect(reg).to_contain_text(re.compile(r"\d+ days?"))
    expect(reg.get_by_role("link", name=ref)).to_be_visible()
    assert page.evaluate("() => window.pwned") is None
    assert problems.unexpected() == []
