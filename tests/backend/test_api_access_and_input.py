"""Who may do what, resident self-service lookup, idempotent creation and bad input."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from backend.main import ProductionConfigError, create_app
from backend.settings import Settings
from tests.backend.helpers import new_complaint, post, staff_view
from tests.conftest import PASSWORD, Backend

BODY = {"channel": "webchat", "resident": {"name": "Amira Khan", "postcode": "LS6 2AB"}, "definition": {"points": ["Lift broken"], "outcomes": ["Fix it"]}}


class TestAccess:
    @pytest.mark.parametrize(
        ("who", "status"),
        [("anonymous", 401), ("service", 403), ("agent", 403), ("officer", 200), ("manager", 200)],
    )
    def test_only_officers_and_managers_acknowledge(self, backend: Backend, who: str, status: int) -> None:
        ref = new_complaint(backend)["reference"]
        r = backend.client.post(f"/api/v1/complaints/{ref}/acknowledge", json={}, headers=backend.as_(who))
        assert r.status_code == status, r.text

    @pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("service", 201), ("agent", 201), ("officer", 201)])
    def test_the_action_server_and_staff_take_complaints(self, backend: Backend, who: str, status: int) -> None:
        r = backend.client.post("/api/v1/complaints", json=BODY, headers=backend.as_(who))
        assert r.status_code == status

    def test_a_wrong_bearer_token_is_refused(self, backend: Backend) -> None:
        r = backend.client.post("/api/v1/complaints", json=BODY, headers={"Authorization": "Bearer not-the-token"})
        assert r.status_code == 401

    def test_the_service_token_cannot_read_the_staff_record(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        assert backend.client.get(f"/api/v1/complaints/{ref}/events", headers=backend.as_("service")).status_code == 403

    def test_a_wrong_password_is_refused_the_same_way_as_an_unknown_email(self, backend: Backend) -> None:
        a = backend.client.post("/api/v1/auth/login", json={"email": "officer@landlord.example", "password": "wrong password!"})
        b = backend.client.post("/api/v1/auth/login", json={"email": "nobody@landlord.example", "password": "wrong password!"})
        assert a.status_code == b.status_code == 401 and a.json() == b.json()

    def test_logging_out_ends_the_session(self, backend: Backend) -> None:
        token = backend.client.post("/api/v1/auth/login", json={"email": "agent@landlord.example", "password": PASSWORD}).json()["token"]
        h = {"Authorization": f"Bearer {token}"}
        assert backend.client.get("/api/v1/auth/me", headers=h).json()["role"] == "agent"
        assert backend.client.post("/api/v1/auth/logout", headers=h).status_code == 204
        assert backend.client.get("/api/v1/auth/me", headers=h).status_code == 401

    def test_a_login_expires(self, backend: Backend) -> None:
        token = backend.client.post("/api/v1/auth/login", json={"email": "agent@landlord.example", "password": PASSWORD}).json()["token"]
        backend.travel_to(dt.date(2029, 1, 1))
        assert backend.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401

    def test_a_manager_creates_staff_and_an_officer_cannot(self, backend: Backend) -> None:
        body = {"email": "new.officer@landlord.example", "name": "New Officer", "role": "officer", "password": "a long enough password"}
        assert backend.client.post("/api/v1/staff", json=body, headers=backend.as_("officer")).status_code == 403
        assert backend.client.post("/api/v1/staff", json=body, headers=backend.as_("manager")).status_code == 201


class TestProductionSettings:
    def test_the_app_refuses_to_start_in_production_with_the_default_secret(self) -> None:
        with pytest.raises(ProductionConfigError, match="SECRET_KEY"):
            create_app(Settings(app_env="production", database_url="postgresql+psycopg://x@localhost/x", service_token="t" * 40))

    def test_the_app_refuses_to_start_in_production_without_a_service_token(self) -> None:
        with pytest.raises(ProductionConfigError, match="SERVICE_TOKEN"):
            create_app(Settings(app_env="production", database_url="postgresql+psycopg://x@localhost/x", secret_key="k" * 40))

    @pytest.mark.parametrize(("api_docs", "served"), [(None, False), (True, True)])
    def test_in_production_the_api_pages_are_served_only_when_asked_for(self, api_docs: bool | None, served: bool) -> None:
        from fastapi.testclient import TestClient

        settings = Settings(
            app_env="production", database_url="postgresql+psycopg://x@localhost/x", secret_key="k" * 40, service_token="t" * 40, api_docs=api_docs
        )
        client = TestClient(create_app(settings))  # no lifespan: nothing here touches the database
        for page in ("/docs", "/redoc", "/openapi.json"):
            assert (client.get(page).status_code == 200) is served, page

    def test_without_a_configured_service_token_no_bearer_is_taken_for_the_action_server(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        from fastapi.testclient import TestClient

        from tests.conftest import SERVICE_TOKEN

        app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", service_token=None))
        with TestClient(app) as client:
            for token in (SERVICE_TOKEN, "None", ""):
                r = client.post("/api/v1/complaints", json=BODY, headers={"Authorization": f"Bearer {token}"})
                assert r.status_code in (401, 403), r.text


class TestResidentLookup:
    def test_a_resident_sees_their_own_case_with_reference_and_postcode(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        r = backend.client.post("/api/v1/lookup", json={"reference": ref.lower(), "postcode": "ls62ab"})
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["reference"] == ref and out["due_by"] == "2026-06-08" and "0300 111 3000" in out["ombudsman_signposting"]
        assert "resident" not in out and "Amira" not in r.text

    def test_a_wrong_postcode_and_a_wrong_reference_get_the_same_answer(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        a = backend.client.post("/api/v1/lookup", json={"reference": ref, "postcode": "LS1 1AA", "client_id": "a"}, headers=backend.as_("service"))
        b = backend.client.post(
            "/api/v1/lookup", json={"reference": "CMP-2026-999999", "postcode": "LS6 2AB", "client_id": "b"}, headers=backend.as_("service")
        )
        assert a.status_code == b.status_code == 404 and a.json() == b.json()

    def test_guessing_is_limited(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        for i in range(5):
            r = backend.client.post("/api/v1/lookup", json={"reference": ref, "postcode": f"LS{i} 9ZZ", "client_id": "guesser"}, headers=backend.as_("service"))
            assert r.status_code == 404
        r = backend.client.post("/api/v1/lookup", json={"reference": ref, "postcode": "LS6 2AB", "client_id": "guesser"}, headers=backend.as_("service"))
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
        backend.clock.at += dt.timedelta(minutes=16)
        r = backend.client.post("/api/v1/lookup", json={"reference": ref, "postcode": "LS6 2AB", "client_id": "guesser"}, headers=backend.as_("service"))
        assert r.status_code == 200


class TestIdempotency:
    def test_a_retried_create_returns_the_same_complaint(self, backend: Backend) -> None:
        h = {**backend.as_("service"), "Idempotency-Key": "conv-42-turn-7"}
        a = backend.client.post("/api/v1/complaints", json=BODY, headers=h)
        b = backend.client.post("/api/v1/complaints", json=BODY, headers=h)
        assert a.status_code == 201 and b.status_code == 200
        assert a.json()["reference"] == b.json()["reference"]
        assert b.headers["Idempotent-Replayed"] == "true"

    def test_reusing_a_key_for_a_different_request_is_refused(self, backend: Backend) -> None:
        h = {**backend.as_("service"), "Idempotency-Key": "conv-42-turn-8"}
        backend.client.post("/api/v1/complaints", json=BODY, headers=h)
        other = {**BODY, "channel": "sms"}
        r = backend.client.post("/api/v1/complaints", json=other, headers=h)
        assert r.status_code == 422 and "different" in r.json()["detail"]

    def test_concurrent_retries_create_one_complaint(self, backend: Backend) -> None:
        h = {**backend.as_("service"), "Idempotency-Key": "conv-99-turn-1"}
        refs: list[str] = []

        def send() -> None:
            r = backend.client.post("/api/v1/complaints", json=BODY, headers=h)
            assert r.status_code in (200, 201), r.text
            refs.append(r.json()["reference"])

        threads = [threading.Thread(target=send) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(refs) == 6 and len(set(refs)) == 1
        from sqlalchemy import func, select
        from sqlalchemy.orm import Session

        from backend.db.models import Complaint

        with Session(backend.engine) as s:  # type: ignore[attr-defined]
            assert s.scalar(select(func.count()).select_from(Complaint)) == 1

    def test_service_requests_are_idempotent_too(self, backend: Backend) -> None:
        h = {**backend.as_("service"), "Idempotency-Key": "sr-conv-1-turn-3"}
        body = {"channel": "webchat", "service_code": "repairs_heating", "description": "No heating"}
        a = backend.client.post("/api/v1/service-requests", json=body, headers=h).json()
        b = backend.client.post("/api/v1/service-requests", json=body, headers=h).json()
        assert a["service_request_id"] == b["service_request_id"]


class TestBadInput:
    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"channel": "carrier_pigeon"}, "channel"),
            ({"received_at": "yesterday"}, "received_at"),
            ({"received_at": "2026-05-01T10:00:00"}, "timezone"),
            ({"happened_on": "2026-02-30"}, "happened_on"),
            ({"resident": {"postcode": "LS6 2AB"}}, "resident.name"),
            ({"resident": {"name": "A", "postcode": "not a postcode"}}, "postcode"),
            ({"definition": {"points": ["x" * 100_000], "outcomes": ["y"]}}, "definition.points.0"),
            ({"unexpected": True}, "unexpected"),
        ],
    )
    def test_bad_fields_get_a_422_naming_the_field(self, backend: Backend, change: dict, field: str) -> None:  # type: ignore[type-arg]
        r = backend.client.post("/api/v1/complaints", json={**BODY, **change}, headers=backend.as_("service"))
        assert r.status_code == 422, r.text
        assert field in r.json()["detail"]

    def test_invalid_utf8_is_a_422_not_a_crash(self, backend: Backend) -> None:
        r = backend.client.post(
            "/api/v1/complaints",
            content=b'{"channel": "webchat", "resident": {"name": "\xff\xfe"}}',
            headers={**backend.as_("service"), "Content-Type": "application/json"},
        )
        assert r.status_code == 422
        assert "JSON" in r.json()["detail"] or "utf" in r.json()["detail"].lower()

    def test_a_huge_body_is_refused_before_it_is_read(self, backend: Backend) -> None:
        r = backend.client.post("/api/v1/complaints", content=b"x" * 300_000, headers={**backend.as_("service"), "Content-Type": "application/json"})
        assert r.status_code == 413

    def test_a_refused_create_leaves_nothing_half_written(self, backend: Backend) -> None:
        body = {**BODY, "service_request_refs": ["SR-2026-404404"]}
        r = backend.client.post("/api/v1/complaints", json=body, headers=backend.as_("service"))
        assert r.status_code == 422 and "SR-2026-404404" in r.json()["detail"]
        from sqlalchemy import func, select
        from sqlalchemy.orm import Session

        from backend.db.models import Complaint, Resident

        with Session(backend.engine) as s:  # type: ignore[attr-defined]
            assert s.scalar(select(func.count()).select_from(Resident)) == 0
            assert s.scalar(select(func.count()).select_from(Complaint)) == 0

    def test_an_unknown_reference_is_a_404(self, backend: Backend) -> None:
        r = backend.client.get("/api/v1/complaints/CMP-2026-000999", headers=backend.as_("officer"))
        assert r.status_code == 404


class TestResidentDataIsProtected:
    def test_a_second_intake_on_the_same_identity_does_not_overwrite_or_reveal_the_resident(self, backend: Backend) -> None:
        victim = {
            "name": "Amira Khan",
            "postcode": "LS6 2AB",
            "phone": "07700 900123",
            "disclosed_needs": ["PTSD"],
            "consent_to_record_needs": True,
            "identities": [{"channel": "webchat", "address": "chat-123"}],
        }
        first = new_complaint(backend, resident=victim)
        r = backend.client.post(
            "/api/v1/complaints",
            json={**BODY, "resident": {"name": "Somebody Else", "phone": "07700 900999", "identities": [{"channel": "webchat", "address": "chat-123"}]}},
            headers=backend.as_("service"),
        )
        assert r.status_code == 201
        assert "PTSD" not in r.text and "900123" not in r.text and "Amira" not in r.text
        again = staff_view(backend, first["reference"])["resident"]
        assert again["name"] == "Amira Khan" and again["phone"] == "07700 900123"

    @pytest.mark.parametrize("action", ["escalate", "withdraw"])
    def test_the_action_server_cannot_act_on_a_case_with_only_a_reference(self, backend: Backend, action: str) -> None:
        ref = new_complaint(backend)["reference"]
        body = {"note": "withdrawn"} if action == "withdraw" else {}
        assert post(backend, ref, action, {**body, "client_id": "x"}, as_="service").status_code == 422
        wrong = post(backend, ref, action, {**body, "postcode": "LS1 1AA", "client_id": "x"}, as_="service")
        assert wrong.status_code == 404
        assert staff_view(backend, ref)["status"] == "received"

    def test_the_action_server_reads_a_case_only_with_the_postcode_and_never_personal_details(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        assert backend.client.get(f"/api/v1/complaints/{ref}", headers=backend.as_("service")).status_code == 422
        r = backend.client.get(f"/api/v1/complaints/{ref}", params={"postcode": "LS6 2AB", "client_id": "c1"}, headers=backend.as_("service"))
        assert r.status_code == 200 and r.json()["resident"] is None and r.json()["definition"] is None
        assert r.json()["current_due"] == "2026-06-08"

    def test_parallel_guesses_cannot_beat_the_limit(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        codes: list[int] = []

        def guess(i: int) -> None:
            body = {"reference": ref, "postcode": f"LS{i % 9} 9ZZ", "client_id": "c" * 100}
            codes.append(backend.client.post("/api/v1/lookup", json=body, headers=backend.as_("service")).status_code)

        threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert codes.count(404) == 5 and codes.count(429) == 7

    def test_staff_passwords_cannot_be_guessed_without_limit(self, backend: Backend) -> None:
        for _ in range(10):
            r = backend.client.post("/api/v1/auth/login", json={"email": "manager@landlord.example", "password": "guess guess guess"})
            assert r.status_code == 401
        r = backend.client.post("/api/v1/auth/login", json={"email": "manager@landlord.example", "password": PASSWORD})
        assert r.status_code == 429


class TestMoreBadInput:
    def test_a_time_without_a_timezone_is_a_422(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        r = post(backend, ref, "escalate", {"received_at": "2026-06-01T10:00:00"})
        assert r.status_code == 422 and "timezone" in r.json()["detail"]
        sr = backend.client.post(
            "/api/v1/service-requests", json={"channel": "webchat", "service_code": "repairs", "description": "x"}, headers=backend.as_("agent")
        )
        ref = sr.json()["service_request_id"]
        r = backend.client.patch(
            f"/api/v1/service-requests/{ref}", json={"status": "in_progress", "expected_at": "2026-06-03T09:00:00"}, headers=backend.as_("agent")
        )
        assert r.status_code == 422

    def test_an_enormous_id_is_a_422(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        r = post(backend, ref, "handlers", {"stage": 1, "handler_id": 2**64})
        assert r.status_code == 422

    def test_an_overlong_authority_note_is_refused_not_lost(self, backend: Backend) -> None:
        c = new_complaint(backend, representative={"name": "Sam Khan", "relationship": "family"})
        r = backend.client.post(
            f"/api/v1/representatives/{c['representative']['id']}/authority", json={"status": "confirmed", "method": "x" * 600}, headers=backend.as_("officer")
        )
        assert r.status_code == 422

    def test_a_failed_commit_is_never_reported_as_success(self, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
        from sqlalchemy.exc import OperationalError
        from sqlalchemy.orm import Session

        def broken_commit(self: Session) -> None:
            raise OperationalError("COMMIT", {}, Exception("disk full"))

        monkeypatch.setattr(Session, "commit", broken_commit)
        r = backend.client.post("/api/v1/complaints", json=BODY, headers=backend.as_("service"))
        assert r.status_code == 503 and "nothing was saved" in r.json()["detail"]


def test_ids_too_big_for_the_database_get_a_422_not_a_server_error(backend: Backend) -> None:
    """Found by schemathesis: an id beyond 64 bits reached the database and came back as a 500."""
    huge = "14033432181292110675215122432"
    h = backend.as_("manager")
    r = backend.client.post(f"/api/v1/representatives/{huge}/authority", json={"method": "letter", "status": "confirmed"}, headers=h)
    assert r.status_code == 422 and "out of range" in r.json()["detail"]
    assert backend.client.get(f"/api/v1/conversations?resident_id=-{huge}", headers=h).status_code == 422


def test_a_staff_lookup_of_an_unknown_reference_is_a_404(backend: Backend) -> None:
    r = backend.client.post("/api/v1/lookup", json={"reference": "", "postcode": ""}, headers=backend.as_("manager"))
    assert r.status_code == 404
