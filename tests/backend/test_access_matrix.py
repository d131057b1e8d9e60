"""Who may call what: every route of the case backend, called as nobody, as the action server and as
each staff role, against one table of the intended policy.

The table is the policy as the README states it ("the action server ... may take complaints and
service requests, record complaint offers and handoff requests, and, for an existing case, read it,
escalate, withdraw or add related issues only with the resident's postcode ... Agents can also read
the register and records; officers and managers do casework; managers manage staff and closure
days"), with each router's dependencies (``backend/api/deps.py``) read against it. A route added
later without a row here fails ``test_every_route_has_an_entry_in_the_access_table``.

Every call uses ids that do not exist (and ``{}`` where a body is expected), so an allowed caller
gets a 404 or a 422, never a 401 or 403; nobody ever gets a 5xx. Also here: the staff pages as an
anonymous visitor sees them, the agents' live socket, and the resident lookup's answers to guessing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIWebSocketRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from backend.main import create_app
from backend.services import staff
from backend.services.context import FixedClock
from backend.settings import Settings
from tests.backend.helpers import new_complaint
from tests.conftest import SERVICE_TOKEN, Backend, fresh_pg_database

PRINCIPALS = ("anonymous", "service", "agent", "officer", "manager")
ROLES = ("agent", "officer", "manager")
PASSWORD = "a long enough password for the matrix"


# -- the intended policy -------------------------------------------------------------------------


@dataclass(frozen=True)
class Staff:
    """Needs a login with one of ``roles``; the action server's token only where ``service`` is true."""

    roles: frozenset[str]
    service: bool = False


@dataclass(frozen=True)
class Public:
    """No login needed, for the reason given (resident-facing, sign-in, health, documentation)."""

    why: str


@dataclass(frozen=True)
class Signed:
    """A channel's webhook: only the channel's own signature or secret admits a request; no bearer token does."""

    why: str
    form: bool = False  # Twilio posts a form, Telegram JSON


@dataclass(frozen=True)
class Page:
    """A staff console's page: a static shell with the sign-in form; its data comes from the API after login."""

    why: str


Rule = Staff | Public | Signed | Page

ANY_STAFF = Staff(frozenset(ROLES))
INTAKE = Staff(frozenset(ROLES), service=True)  # the action server too (it proves the resident where a case exists)
AGENT_DESK = Staff(frozenset({"agent", "manager"}))
CASEWORK = Staff(frozenset({"officer", "manager"}))
MANAGERS = Staff(frozenset({"manager"}))

DOCS = Public("the API's own description: no data")
RESIDENT_CHAT = Public("the resident's web chat; a conversation token is its only credential")
CONSOLE_FILES = Public("the consoles' scripts and styles, served from a fixed list")
WORKING_DAYS = Public("date arithmetic over bank holidays and declared closure days: nothing about anyone")

#: (method, path) → who may call it. "WS" marks a WebSocket.
ACCESS: dict[tuple[str, str], Rule] = {
    # documentation, health, signposting, sign-in
    ("GET", "/openapi.json"): DOCS,
    ("GET", "/docs"): DOCS,
    ("GET", "/docs/oauth2-redirect"): DOCS,
    ("GET", "/redoc"): DOCS,
    ("GET", "/healthz"): Public("the load balancer's health check: says only that the database answers"),
    ("GET", "/api/v1/ombudsman"): Public("the Housing Ombudsman's published signposting text"),
    ("POST", "/api/v1/auth/login"): Public("staff sign in (failures limited per account)"),
    ("POST", "/api/v1/auth/logout"): ANY_STAFF,
    ("GET", "/api/v1/auth/me"): ANY_STAFF,
    ("POST", "/api/v1/staff"): MANAGERS,
    ("GET", "/api/v1/staff"): CASEWORK,
    # the resident's own lookup: reference + postcode, limited (see TestResidentLookup below)
    ("POST", "/api/v1/lookup"): Public("a resident checks their own case with reference + postcode; same answer for either wrong; limited"),
    # calendar
    ("GET", "/api/v1/calendar/add-working-days"): WORKING_DAYS,
    ("GET", "/api/v1/calendar/working-days-between"): WORKING_DAYS,
    ("GET", "/api/v1/calendar/closure-days"): ANY_STAFF,
    ("POST", "/api/v1/calendar/closure-days"): MANAGERS,
    ("DELETE", "/api/v1/calendar/closure-days/{day}"): MANAGERS,
    # complaints: intake, the record, the officer's commands, the resident's own requests
    ("POST", "/api/v1/complaints"): INTAKE,
    ("GET", "/api/v1/complaints"): CASEWORK,
    ("GET", "/api/v1/complaints/queue"): CASEWORK,
    ("GET", "/api/v1/complaints/{reference}"): INTAKE,
    ("GET", "/api/v1/complaints/{reference}/events"): ANY_STAFF,
    ("GET", "/api/v1/complaints/{reference}/correspondence"): ANY_STAFF,
    ("GET", "/api/v1/complaints/{reference}/timeline"): CASEWORK,
    ("POST", "/api/v1/complaints/{reference}/acknowledge"): CASEWORK,
    ("POST", "/api/v1/complaints/{reference}/decline"): CASEWORK,
    ("POST", "/api/v1/complaints/{reference}/extend"): CASEWORK,
    ("POST", "/api/v1/complaints/{reference}/respond"): CASEWORK,
    ("POST", "/api/v1/complaints/{reference}/handlers"): CASEWORK,
    ("POST", "/api/v1/complaints/{reference}/definition"): CASEWORK,
    ("POST", "/api/v1/complaints/{reference}/close"): CASEWORK,
    ("POST", "/api/v1/complaints/{reference}/escalate"): INTAKE,
    ("POST", "/api/v1/complaints/{reference}/withdraw"): INTAKE,
    ("POST", "/api/v1/complaints/{reference}/related-issues"): INTAKE,
    ("GET", "/api/v1/complaints/{reference}/actions"): CASEWORK,
    ("POST", "/api/v1/complaints/{reference}/actions"): CASEWORK,
    ("POST", "/api/v1/complaints/{reference}/actions/{action_id}/done"): CASEWORK,
    ("POST", "/api/v1/complaints/{reference}/letters/draft"): CASEWORK,
    ("POST", "/api/v1/complaints/{reference}/letters/preview"): CASEWORK,
    ("POST", "/api/v1/representatives/{rep_id}/authority"): CASEWORK,
    # letters
    ("GET", "/api/v1/letters/{letter_id}"): CASEWORK,
    ("GET", "/api/v1/letters/{letter_id}/html"): CASEWORK,
    ("GET", "/api/v1/letters/{letter_id}/pdf"): CASEWORK,
    ("POST", "/api/v1/letters/{letter_id}/send"): CASEWORK,
    # alerts
    ("GET", "/api/v1/alerts"): CASEWORK,
    ("POST", "/api/v1/alerts/{alert_id}/read"): CASEWORK,
    # conversations, offers and handoffs (the bot records; staff read)
    ("POST", "/api/v1/complaint-offers"): INTAKE,
    ("POST", "/api/v1/complaint-offers/{offer_id}/answer"): INTAKE,
    ("POST", "/api/v1/handoffs"): INTAKE,
    ("GET", "/api/v1/conversations"): ANY_STAFF,
    ("GET", "/api/v1/conversations/{conversation_id}"): ANY_STAFF,
    ("POST", "/api/v1/conversations/{conversation_id}/resident"): ANY_STAFF,
    # service requests (Code 1.4)
    ("POST", "/api/v1/service-requests"): INTAKE,
    ("GET", "/api/v1/service-requests"): ANY_STAFF,
    ("GET", "/api/v1/service-requests/register"): CASEWORK,
    ("GET", "/api/v1/service-requests/{reference}"): ANY_STAFF,
    ("PATCH", "/api/v1/service-requests/{reference}"): ANY_STAFF,
    ("POST", "/api/v1/service-requests/{reference}/complaint"): INTAKE,
    # residents' records, adjustments and restrictions; their data rights (managers)
    ("GET", "/api/v1/residents/{resident_id}"): ANY_STAFF,
    ("POST", "/api/v1/residents/{resident_id}/adjustments"): CASEWORK,
    ("PATCH", "/api/v1/residents/{resident_id}/adjustments/{adjustment_id}"): CASEWORK,
    ("POST", "/api/v1/residents/{resident_id}/contact-restrictions"): CASEWORK,
    ("POST", "/api/v1/residents/{resident_id}/contact-restrictions/{restriction_id}/end"): CASEWORK,
    ("GET", "/api/v1/residents/{resident_id}/subject-access"): MANAGERS,
    ("POST", "/api/v1/privacy/retention/run"): MANAGERS,
    # the agent console (agents and managers), and the handoff keywords (managers change them)
    ("GET", "/api/v1/agent/queue"): AGENT_DESK,
    ("GET", "/api/v1/agent/handoffs/{handoff_id}"): AGENT_DESK,
    ("POST", "/api/v1/agent/handoffs/{handoff_id}/claim"): AGENT_DESK,
    ("POST", "/api/v1/agent/handoffs/{handoff_id}/messages"): AGENT_DESK,
    ("POST", "/api/v1/agent/handoffs/{handoff_id}/notes"): AGENT_DESK,
    ("POST", "/api/v1/agent/handoffs/{handoff_id}/transfer"): AGENT_DESK,
    ("POST", "/api/v1/agent/handoffs/{handoff_id}/hand-back"): AGENT_DESK,
    ("POST", "/api/v1/agent/handoffs/{handoff_id}/close"): AGENT_DESK,
    ("POST", "/api/v1/agent/handoffs/{handoff_id}/complaint"): AGENT_DESK,
    ("POST", "/api/v1/agent/handoffs/{handoff_id}/service-request"): AGENT_DESK,
    ("GET", "/api/v1/agent/canned"): AGENT_DESK,
    ("GET", "/api/v1/agent/colleagues"): AGENT_DESK,
    ("WS", "/api/v1/agent/live"): AGENT_DESK,
    ("GET", "/api/v1/handoff-keywords"): ANY_STAFF,
    ("POST", "/api/v1/handoff-keywords"): MANAGERS,
    ("DELETE", "/api/v1/handoff-keywords/{keyword_id}"): MANAGERS,
    # reports (managers)
    ("GET", "/api/v1/reports/years"): MANAGERS,
    ("PUT", "/api/v1/reports/years/{year}"): MANAGERS,
    ("GET", "/api/v1/reports/tsm"): MANAGERS,
    ("GET", "/api/v1/reports/summary"): MANAGERS,
    ("GET", "/api/v1/reports/summary.csv"): MANAGERS,
    ("GET", "/api/v1/reports/tsm.csv"): MANAGERS,
    ("GET", "/api/v1/reports/annual"): MANAGERS,
    ("GET", "/api/v1/reports/reconcile"): MANAGERS,
    # staff pages: the shell is public, the data is not
    ("GET", "/agent"): Page("agent console"),
    ("GET", "/officer"): Page("complaints officers' dashboard"),
    ("GET", "/reports"): Page("managers' reports"),
    ("GET", "/agent/static/{name}"): CONSOLE_FILES,
    ("GET", "/officer/static/{name}"): CONSOLE_FILES,
    ("GET", "/reports/static/{name}"): CONSOLE_FILES,
    # residents' channels
    ("GET", "/chat"): RESIDENT_CHAT,
    ("GET", "/chat/widget.js"): RESIDENT_CHAT,
    ("GET", "/chat/static/{name}"): RESIDENT_CHAT,
    ("WS", "/channels/webchat/ws"): RESIDENT_CHAT,
    ("POST", "/channels/twilio"): Signed("Twilio's X-Twilio-Signature over the public URL and the form", form=True),
    ("POST", "/channels/twilio/status"): Signed("Twilio's X-Twilio-Signature over the status URL and the form", form=True),
    ("POST", "/channels/telegram"): Signed("the secret token Telegram echoes in X-Telegram-Bot-Api-Secret-Token"),
}

#: Path parameters that are not numeric ids; everything else gets an id that does not exist.
PLACEHOLDERS = {"reference": "CMP-2026-999999", "day": "2099-01-05", "year": "2099", "name": "not-a-file.js"}
NO_SUCH_ID = "999999"
BODY_METHODS = {"POST", "PUT", "PATCH"}


def placeholder_path(path: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: PLACEHOLDERS.get(m.group(1), NO_SUCH_ID), path)


def expected(rule: Rule, who: str) -> str:
    """'401', '403' or 'allowed' (anything else below 500)."""
    if isinstance(rule, Signed):
        return "403"  # no signature: refused whoever is asking
    if not isinstance(rule, Staff):
        return "allowed"
    if who == "anonymous":
        return "401"
    if who == "service":
        return "allowed" if rule.service else "403"
    return "allowed" if who in rule.roles else "403"


def app_routes(app: FastAPI) -> dict[tuple[str, str], type]:
    """Every (method, path) the app answers, including routes in included routers and WebSockets."""
    found: dict[tuple[str, str], type] = {}
    for ctx in iter_route_contexts(app.routes):
        kind = type(ctx.original_route)
        path = ctx.path_format or ctx.path
        assert path, f"a route without a path: {ctx.original_route!r}"
        if issubclass(kind, APIWebSocketRoute):
            found["WS", path] = kind
            continue
        methods = set(ctx.methods or ())
        if not methods:
            found[kind.__name__.upper(), path] = kind  # a Mount or some other kind: it must be classified too
            continue
        if "GET" in methods:
            methods.discard("HEAD")  # answered with the GET
        for method in methods:
            found[method, path] = kind
    return found


# -- an app with one login per role, and the channels switched on ---------------------------------


@dataclass
class Matrix:
    app: FastAPI
    client: TestClient
    tokens: dict[str, str]

    def login(self, role: str) -> str:
        email = f"matrix-{role}-{uuid.uuid4().hex[:8]}@landlord.example"
        with self.app.state.sessionmaker() as session:
            staff.create_user(session, email, f"Matrix {role.title()}", staff.Role(role), PASSWORD)
            session.commit()
        r = self.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return str(r.json()["token"])

    def headers(self, who: str) -> dict[str, str]:
        if who == "anonymous":
            return {}
        if who == "service":
            return {"Authorization": f"Bearer {SERVICE_TOKEN}"}
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def matrix(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    """The app on a database of its own: the matrix adds staff of every role, and on the shared test
    database a stray manager would then be told about every other test's overdue cases."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'matrix.db'}"
        else:
            url = stack.enter_context(fresh_pg_database("cmp_matrix"))
        yield from _serve(url)


def _serve(url: str) -> Iterator[Matrix]:
    settings = Settings(
        database_url=url,
        service_token=SERVICE_TOKEN,
        app_env="test",
        alert_scan_seconds=0,
        hub_poll_seconds=3600,
        rasa_url="http://127.0.0.1:9",  # never reached: nothing here is routed to the bot
        twilio_account_sid="AC" + "2" * 32,
        twilio_auth_token="matrix-twilio-token",
        twilio_sms_from="+447700900000",
        twilio_public_url="https://landlord.example/channels/twilio",
        twilio_api_base="http://127.0.0.1:9",
        telegram_bot_token="123456:MATRIX-token",
        telegram_secret_token="matrix-telegram-secret-" + "m" * 20,
        telegram_api_base="http://127.0.0.1:9",
    )
    app = create_app(settings, clock=FixedClock(dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)))
    with TestClient(app) as client:
        m = Matrix(app, client, {})
        m.tokens = {role: m.login(role) for role in ROLES}
        yield m
    app.state.engine.dispose()


# -- the table is complete ------------------------------------------------------------------------


def test_every_route_has_an_entry_in_the_access_table(matrix: Matrix) -> None:
    routes = app_routes(matrix.app)
    missing = sorted(set(routes) - set(ACCESS))
    stale = sorted(set(ACCESS) - set(routes))
    assert not missing, "\n".join(f"route {m} {p} has no entry in the access table: decide who may call it" for m, p in missing)
    assert not stale, "\n".join(f"the access table lists {m} {p}, which the app no longer has" for m, p in stale)


def test_every_route_needing_a_login_says_so_in_the_api_description(matrix: Matrix) -> None:
    """The OpenAPI lists the bearer scheme on exactly the routes the table says need a login (or take one)."""
    schema = matrix.client.get("/openapi.json").json()
    secured = {(m.upper(), p) for p, ops in schema["paths"].items() for m, op in ops.items() if op.get("security")}
    needs_login = {k for k, rule in ACCESS.items() if isinstance(rule, Staff) and k[0] != "WS"}
    assert needs_login <= secured, f"needs a login but not documented: {sorted(needs_login - secured)}"
    optional = secured - needs_login
    assert optional == {("POST", "/api/v1/lookup")}, f"takes a bearer token but the table says public: {sorted(optional)}"


# -- every route as every caller ------------------------------------------------------------------

HTTP_CASES = [(method, path, who) for (method, path), _ in ACCESS.items() if method != "WS" for who in PRINCIPALS]


@pytest.mark.parametrize(("method", "path", "who"), HTTP_CASES, ids=[f"{m} {p} as {w}" for m, p, w in HTTP_CASES])
def test_each_route_gives_each_caller_exactly_the_intended_answer(matrix: Matrix, method: str, path: str, who: str) -> None:
    rule = ACCESS[method, path]
    headers = matrix.headers(who)
    if (method, path) == ("POST", "/api/v1/auth/logout") and who in ROLES:
        headers = {"Authorization": f"Bearer {matrix.login(who)}"}  # a login of its own, so the shared one survives
    kwargs: dict[str, Any] = {}
    if isinstance(rule, Signed) and rule.form:
        kwargs["content"] = b""
        headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
    elif method in BODY_METHODS:
        kwargs["json"] = {}
    r = matrix.client.request(method, placeholder_path(path), headers=headers, **kwargs)
    want = expected(rule, who)
    said = f"{method} {path} as {who}: expected {want}, got {r.status_code}: {r.text[:300]}"
    assert r.status_code < 500, said
    if want == "allowed":
        assert r.status_code not in (401, 403), said
    else:
        assert r.status_code == int(want), said
    if want == "401":
        assert r.headers.get("www-authenticate") == "Bearer", said
    if isinstance(rule, Page):
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), said


@pytest.mark.parametrize("path", ["/api/v1/complaints", "/api/v1/staff", "/api/v1/privacy/retention/run"])
def test_an_anonymous_caller_with_a_malformed_body_is_told_to_log_in_first(matrix: Matrix, path: str) -> None:
    r = matrix.client.post(path, content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 401, r.text
    assert r.headers.get("www-authenticate") == "Bearer"
    assert "log in" in r.json()["detail"]


@pytest.mark.parametrize("body", [b"[]", b'{"unexpected": true}', b"\xff\xfe not utf-8"])
def test_an_anonymous_caller_with_a_wrong_shaped_body_is_told_to_log_in_not_how_to_fix_it(matrix: Matrix, body: bytes) -> None:
    r = matrix.client.post("/api/v1/complaints", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 401, r.text
    assert "errors" not in r.json(), "the field list of a staff route is not for anonymous callers"


@pytest.mark.parametrize("who", ["officer", "service"])
def test_a_logged_in_caller_with_a_malformed_body_is_told_what_is_wrong_with_it(matrix: Matrix, who: str) -> None:
    r = matrix.client.post("/api/v1/complaints", content=b"{not json", headers={"Content-Type": "application/json", **matrix.headers(who)})
    assert r.status_code == 422, r.text
    assert "not valid JSON" in r.json()["detail"]


def test_a_resident_with_a_malformed_lookup_is_still_told_what_to_fix(matrix: Matrix) -> None:
    """The lookup is public: its refusal of a bad body stays a 422 with the reason."""
    r = matrix.client.post("/api/v1/lookup", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text


def test_an_anonymous_body_without_a_content_length_is_refused_before_it_is_read(matrix: Matrix) -> None:
    """The body is read before the login is checked, so a chunked body (no declared size) must be refused unread."""
    limit = matrix.app.state.settings.max_body_bytes
    chunks = (b" " * 16_384 for _ in range(4 * limit // 16_384))
    r = matrix.client.post("/api/v1/complaints", content=chunks, headers={"Content-Type": "application/json"})
    assert r.status_code == 411, r.text[:200]


# -- the staff pages as an anonymous visitor sees them --------------------------------------------

PAGES = [path for (method, path), rule in ACCESS.items() if isinstance(rule, Page)]


@pytest.mark.parametrize("page", PAGES)
def test_a_staff_page_shows_an_anonymous_visitor_the_sign_in_form_and_no_resident_data(matrix: Matrix, page: str) -> None:
    made = matrix.client.post(
        "/api/v1/complaints",
        json={
            "channel": "webchat",
            "resident": {"name": "Zebedee Quartermain", "postcode": "LS6 2AB", "phone": "07700 900765"},
            "definition": {"points": ["Mould in the nursery"], "outcomes": ["Fix it"]},
        },
        headers=matrix.headers("service"),
    )
    assert made.status_code == 201, made.text
    anonymous = matrix.client.get(page)
    assert anonymous.status_code == 200 and anonymous.headers["content-type"].startswith("text/html")
    html = anonymous.text
    assert re.search(r'<form id="login-form"', html) and 'type="password"' in html
    for secret in ("Zebedee", "Quartermain", "900765", "LS6 2AB", made.json()["reference"]):
        assert secret not in html
    # nothing is rendered for the caller: a manager's browser gets the very same page
    assert matrix.client.get(page, headers=matrix.headers("manager")).content == anonymous.content
    assert anonymous.headers["cache-control"] == "no-store" and anonymous.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in anonymous.headers["content-security-policy"]


@pytest.mark.parametrize("path", [p for (m, p), rule in ACCESS.items() if rule is CONSOLE_FILES or p == "/chat/static/{name}"])
@pytest.mark.parametrize("name", ["agent.html", "officer.html", "reports.html", "..%2F..%2Fsettings.py", "%2e%2e", "main.py"])
def test_the_static_routes_serve_only_their_own_files(matrix: Matrix, path: str, name: str) -> None:
    r = matrix.client.get(path.replace("{name}", name))
    assert r.status_code == 404, r.text[:200]


# -- the agents' live socket ----------------------------------------------------------------------


def _live(matrix: Matrix, first_frame: dict[str, Any]) -> dict[str, Any]:
    with matrix.client.websocket_connect("/api/v1/agent/live") as ws:
        ws.send_json(first_frame)
        answer: dict[str, Any] = ws.receive_json()
        if answer["type"] != "ready":
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 1008
    return answer


@pytest.mark.parametrize("who", PRINCIPALS)
def test_the_agents_live_feed_opens_only_for_agents_and_managers(matrix: Matrix, who: str) -> None:
    rule = ACCESS["WS", "/api/v1/agent/live"]
    assert isinstance(rule, Staff) and not rule.service
    token = {"anonymous": None, "service": SERVICE_TOKEN}.get(who) or matrix.tokens.get(who)
    answer = _live(matrix, {"type": "auth", "token": token} if token else {"type": "watch", "conversation_id": 1})
    assert answer["type"] == ("ready" if who in rule.roles else "error"), answer


def test_the_residents_web_chat_socket_needs_no_login(matrix: Matrix) -> None:
    assert isinstance(ACCESS["WS", "/channels/webchat/ws"], Public)
    with matrix.client.websocket_connect("/channels/webchat/ws") as ws:
        ws.send_json({"type": "hello", "token": None})
        session = ws.receive_json()
    assert session["type"] == "session" and len(session["token"]) >= 20


# -- the resident lookup cannot be used to find cases ---------------------------------------------


def _lookup(b: Backend, ref: str, postcode: str, who: str = "anonymous", client_id: str | None = None) -> Any:
    body = {"reference": ref, "postcode": postcode, **({"client_id": client_id} if client_id else {})}
    return b.client.post("/api/v1/lookup", json=body, headers=b.as_(who))


def _same_answer(a: Any, b: Any) -> None:
    assert (a.status_code, a.content) == (b.status_code, b.content)
    assert {k: v for k, v in a.headers.items() if k != "date"} == {k: v for k, v in b.headers.items() if k != "date"}


class TestResidentLookup:
    """Complements TestResidentLookup in test_api_access_and_input.py (same answer as JSON, the limit for
    one conversation, parallel guesses): byte-identical answers, anonymous residents, many conversations."""

    @pytest.mark.parametrize("who", ["anonymous", "service"])
    def test_a_wrong_reference_and_a_wrong_postcode_get_byte_identical_answers(self, backend: Backend, who: str) -> None:
        ref = new_complaint(backend)["reference"]
        answers = [
            _lookup(backend, ref, "LS1 1AA", who, "c1"),  # a real case, the wrong postcode
            _lookup(backend, "CMP-2026-999999", "LS6 2AB", who, "c2"),  # no such case, the postcode of a real one
            _lookup(backend, "CMP-2026-999998", "LS1 1AB", who, "c3"),  # neither
            _lookup(backend, "SR-2026-999999", "LS6 2AB", who, "c4"),  # no such repair
        ]
        assert answers[0].status_code == 404
        for other in answers[1:]:
            _same_answer(answers[0], other)

    def test_an_anonymous_resident_is_limited_by_address_and_cannot_dodge_it_with_a_client_id(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        for i in range(5):  # five different cases and postcodes: only the caller's own limit is reached
            assert _lookup(backend, f"CMP-2026-99990{i}", f"LS{i} 9ZZ", client_id=f"fresh-{i}").status_code == 404
        limited = _lookup(backend, ref, "LS6 2AB", client_id="yet-another")  # the right pair
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
        _same_answer(limited, _lookup(backend, "CMP-2026-999999", "LS6 2AB"))  # a made-up case gets the same refusal
        backend.clock.at += dt.timedelta(minutes=16)
        assert _lookup(backend, ref, "LS6 2AB").status_code == 200

    def test_guesses_at_one_case_from_many_conversations_are_limited(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        for i in range(5):
            assert _lookup(backend, ref, f"LS{i} 9ZZ", "service", f"conversation-{i}").status_code == 404
        r = _lookup(backend, ref, "LS6 2AB", "service", "conversation-new")
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0

    def test_guesses_of_many_references_for_one_postcode_from_many_conversations_are_limited(self, backend: Backend) -> None:
        """References are sequential and a new web chat is a new conversation, so without a limit per
        postcode anyone who knows a household's postcode could walk the references to find its case."""
        ref = new_complaint(backend)["reference"]
        for i in range(5):
            assert _lookup(backend, f"CMP-2026-99990{i}", "LS6 2AB", "service", f"conversation-{i}").status_code == 404
        r = _lookup(backend, ref, "ls62ab", "service", "conversation-new")
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0

    def test_wrong_postcodes_on_the_action_servers_case_routes_count_towards_the_same_limit(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        for i in range(5):
            body = {"postcode": f"LS{i} 9ZZ", "client_id": "conversation-1"}
            r = backend.client.post(f"/api/v1/complaints/{ref}/escalate", json=body, headers=backend.as_("service"))
            assert r.status_code == 404
        r = backend.client.get(f"/api/v1/complaints/{ref}", params={"postcode": "LS6 2AB", "client_id": "conversation-1"}, headers=backend.as_("service"))
        assert r.status_code == 429
        assert _lookup(backend, ref, "LS6 2AB", "service", "conversation-1").status_code == 429
        assert backend.client.get(f"/api/v1/complaints/{ref}", headers=backend.as_("officer")).json()["status"] == "received"
