"""Code section 5: two stages only, a defined complaint, reasonable adjustments, a full record."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from backend.domain.timescales import CODE_LIMITS, PolicyError, load_profile, profile_from_mapping
from backend.settings import REPO_ROOT
from tests.backend.helpers import DEFINITION, new_complaint, ok, post, staff_view
from tests.conftest import Backend

POLICY = REPO_ROOT / "backend" / "policy"


class TestTwoStagesOnly:
    def test_5_3_a_three_stage_landlord_profile_is_refused_naming_the_provision(self) -> None:
        with pytest.raises(PolicyError, match=r"Code 5\.3"):
            load_profile(POLICY / "examples-herefordshire-historic.yaml")

    def test_6_3_a_15_day_stage_1_is_refused_naming_the_provision(self, tmp_path: Path) -> None:
        profile = {
            "name": "slow",
            "region": "england-and-wales",
            "stages": [
                {"stage": 1, "acknowledge_within": 5, "respond_within": 15, "max_extension": 10},
                {"stage": 2, "acknowledge_within": 5, "respond_within": 20, "max_extension": 20},
            ],
        }
        path = tmp_path / "slow.yaml"
        path.write_text(yaml.safe_dump(profile))
        with pytest.raises(PolicyError, match=r"Code 6\.3.*never looser"):
            load_profile(path)

    def test_5_2_a_stage_0_is_refused(self) -> None:
        with pytest.raises(PolicyError, match=r"5\.2"):
            profile_from_mapping({"name": "x", "stages": [{"stage": 0, "acknowledge_within": 1, "respond_within": 1, "max_extension": 1}, {"stage": 1}]})

    @pytest.mark.parametrize(
        ("stage", "key", "provision"),
        [
            (1, "acknowledge_within", "6.2"),
            (1, "max_extension", "6.4"),
            (2, "acknowledge_within", "6.11"),
            (2, "respond_within", "6.14"),
            (2, "max_extension", "6.15"),
        ],
    )
    def test_every_limit_is_a_ceiling(self, stage: int, key: str, provision: str) -> None:
        stages = [{"stage": n, **{k: getattr(CODE_LIMITS[n], k) for k in ("acknowledge_within", "respond_within", "max_extension")}} for n in (1, 2)]
        stages[stage - 1][key] += 1
        with pytest.raises(PolicyError, match=rf"Code {provision}"):
            profile_from_mapping({"name": "loose", "stages": stages})

    def test_a_stricter_profile_is_accepted(self) -> None:
        profile = load_profile(POLICY / "examples-stricter.yaml")
        assert profile.stage(1).respond_within == 8

    def test_the_default_profile_is_the_code(self) -> None:
        profile = load_profile()
        assert profile.stages == CODE_LIMITS

    def test_a_profile_with_nonsense_values_says_what_is_wrong(self) -> None:
        with pytest.raises(PolicyError, match="whole number"):
            profile_from_mapping(
                {
                    "name": "x",
                    "stages": [
                        {"stage": 1, "acknowledge_within": "five", "respond_within": 10, "max_extension": 10},
                        {"stage": 2, "acknowledge_within": 5, "respond_within": 20, "max_extension": 20},
                    ],
                }
            )


class TestComplaintDefinition:
    def test_5_6_no_acknowledgement_without_a_definition(self, backend: Backend) -> None:
        ref = new_complaint(backend, definition={"points": [], "outcomes": []})["reference"]
        r = post(backend, ref, "acknowledge", {})
        assert r.status_code == 422
        assert r.json()["rule"] == "Code 5.6" and r.json()["code"] == "definition_required"

    def test_5_6_no_acknowledgement_without_the_outcome_the_resident_wants(self, backend: Backend) -> None:
        ref = new_complaint(backend, definition={"points": ["The lift has been broken for a month"], "outcomes": []})["reference"]
        r = post(backend, ref, "acknowledge", {})
        assert r.status_code == 422 and r.json()["code"] == "outcome_required"
        after = staff_view(backend, ref)
        assert after["status"] == "received" and after["stages"][0]["acknowledged_on"] is None

    def test_5_6_the_acknowledgement_sets_out_the_definition_and_response_date(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        out = ok(backend, ref, "acknowledge", {})
        body = out["notice"]["body"]
        assert DEFINITION["points"][0] in body and DEFINITION["outcomes"][0] in body
        assert "Monday 15 June 2026" in body  # 10 working days after Mon 1 June
        assert "0300 111 3000" in body

    def test_5_6_corrections_are_new_versions_and_the_old_ones_are_kept(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        body = {
            **DEFINITION,
            "points": [*DEFINITION["points"], "The mould has made my son's asthma worse"],
            "landlord_responsible": "Repairs to the property",
            "not_landlord_responsible": "The neighbour's leaking roof (private owner)",
        }
        out = ok(backend, ref, "definition", body)
        c = out["complaint"]
        assert [d["version"] for d in c["definition_history"]] == [1, 2]
        assert c["definition"]["points"][-1] == "The mould has made my son's asthma worse"
        assert c["definition_history"][0]["points"] == DEFINITION["points"]
        assert c["definition"]["not_landlord_responsible"].startswith("The neighbour")


class TestReasonableAdjustments:
    def test_5_10_adjustments_are_recorded_with_a_review_date(self, backend: Backend) -> None:
        c = new_complaint(
            backend,
            resident={
                "name": "Pat Jones",
                "postcode": "LS6 2AB",
                "adjustments": [{"type": "large_print", "detail": "18pt minimum", "agreed": True}, {"type": "contact_times", "detail": "Mornings only"}],
            },
        )
        adj = c["resident"]["adjustments"]
        assert [a["type"] for a in adj] == ["large_print", "contact_times"]
        assert all(a["review_on"] == "2027-06-01" for a in adj)
        assert adj[0]["agreed"] is True

    def test_5_10_disclosed_needs_are_recorded_only_with_consent(self, backend: Backend) -> None:
        resident = {"name": "Pat Jones", "postcode": "LS6 2AB", "disclosed_needs": ["Partially sighted"]}
        r = backend.client.post("/api/v1/complaints", json={"channel": "webchat", "resident": resident}, headers=backend.as_("service"))
        assert r.status_code == 422 and "consent" in r.json()["detail"]
        c = new_complaint(backend, resident={**resident, "consent_to_record_needs": True})
        assert c["resident"]["disclosed_needs"] == ["Partially sighted"]

    def test_the_same_resident_on_the_same_channel_is_one_record(self, backend: Backend) -> None:
        a = new_complaint(backend)
        b = new_complaint(backend, definition={"points": ["Another problem"], "outcomes": ["Sort it"]})
        assert a["resident"]["id"] == b["resident"]["id"]


class TestFullRecord:
    def test_5_12_every_step_is_an_event_with_actor_and_time(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        ok(backend, ref, "acknowledge", {})
        events = backend.client.get(f"/api/v1/complaints/{ref}/events", headers=backend.as_("officer")).json()
        types = [e["type"] for e in events]
        assert types[:2] == ["complaint_received", "definition_versioned"]
        assert "acknowledged" in types and "correspondence_prepared" in types
        ack = next(e for e in events if e["type"] == "acknowledged")
        assert ack["actor"] == f"officer:{backend.staff_ids['officer']}"
        letters = backend.client.get(f"/api/v1/complaints/{ref}/correspondence", headers=backend.as_("officer")).json()
        assert [n["kind"] for n in letters] == ["stage1_acknowledgement"]

    def test_5_12_the_record_cannot_be_rewritten(self, backend: Backend) -> None:
        from sqlalchemy.orm import Session

        from backend.db.models import Event
        from backend.db.session import AppendOnlyError

        new_complaint(backend)
        with Session(backend.engine) as session:  # type: ignore[attr-defined]
            event = session.query(Event).first()
            assert event is not None
            event.actor = "someone else"
            with pytest.raises(AppendOnlyError):
                session.flush()
            session.rollback()
            session.delete(session.query(Event).first())
            with pytest.raises(AppendOnlyError):
                session.flush()

    def test_a_refused_command_changes_nothing(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        before = backend.client.get(f"/api/v1/complaints/{ref}/events", headers=backend.as_("officer")).json()
        assert post(backend, ref, "respond", {"decision": "upheld"}).status_code == 409
        assert post(backend, ref, "extend", {"new_due": "2026-07-01", "reason": "complex"}).status_code == 409
        after = backend.client.get(f"/api/v1/complaints/{ref}/events", headers=backend.as_("officer")).json()
        assert after == before
