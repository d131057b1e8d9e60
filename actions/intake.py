"""Complaint intake: the offer to complain (Code 1.3), the form, the read-back and the submission.

The form asks plainly and re-asks when an answer cannot be used; the resident confirms a read-back
of the complaint definition and the outcome they want (Code 5.6) before anything is submitted.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend, parsing
from actions.common import UNAVAILABLE, channel, checked_name, checked_postcode, keep_pending, latest_intent, latest_text, long_date, request_handoff, today
from actions.signposting import ombudsman_text

RELATIONSHIPS = {
    "family": (
        "mum",
        "mother",
        "dad",
        "father",
        "son",
        "daughter",
        "wife",
        "husband",
        "partner",
        "sister",
        "brother",
        "aunt",
        "uncle",
        "nan",
        "gran",
        "grand",
        "niece",
        "nephew",
        "family",
        "cousin",
        "parent",
        "child",
    ),
    "friend": ("friend", "neighbour"),
    "advocate": ("advocate", "advocacy"),
    "support_worker": ("support worker", "carer", "social worker", "key worker", "care worker"),
    "mp": ("mp", "member of parliament", "caseworker"),
    "councillor": ("councillor", "cllr", "council member"),
    "solicitor": ("solicitor", "lawyer", "legal"),
}
FORM_SLOTS = [
    "acting_for",
    "rep_relationship",
    "rep_name",
    "contact",
    "complaint_point",
    "complaint_points",
    "points_done",
    "when_happened",
    "earlier_reports",
    "impact",
    "outcome_wanted",
    "legal_status",
    "adjustments_text",
    "needs_text",
    "needs_consent",
    "definition_confirmed",
    "linked_sr_ref",
    "submission_key",
]
GENERIC = ("make a complaint", "want to complain", "formal complaint", "i want to complain", "complaint please")


def relationship(text: str) -> str | None:
    t = f" {text.lower()} "
    for value, words in RELATIONSHIPS.items():
        if any(f" {w}" in t for w in words):
            return value
    return "other" if text.strip() else None


def substantive(text: str) -> bool:
    """Whether the first message already says what went wrong (rather than just 'I want to complain')."""
    t = text.lower().strip()
    return len(t.split()) >= 6 and not any(t.rstrip(".!") == g for g in GENERIC)


async def record_offer(tracker: Tracker, context: str, accepted: bool | None, sr_ref: str | None = None) -> int | None:
    """Code 1.3: the offer and the answer are part of the record; the conversation carries on if this fails."""
    try:
        out = await backend.call(
            "POST",
            "/api/v1/complaint-offers",
            json={
                "conversation_id": tracker.sender_id,
                "channel": channel(tracker),
                "context": context[:20000] or "(no text)",
                "accepted": accepted,
                "service_request_ref": sr_ref,
            },
        )
        return int(out["id"])
    except (backend.BackendUnavailable, backend.BackendRefused, KeyError):
        return None


async def answer_offer(offer_id: int | None, accepted: bool) -> None:
    if offer_id is None:
        return
    with contextlib.suppress(backend.BackendUnavailable, backend.BackendRefused):  # the offer itself is already recorded
        await backend.call("POST", f"/api/v1/complaint-offers/{offer_id}/answer", json={"accepted": accepted})


class ActionOfferComplaint(Action):
    def name(self) -> str:
        return "action_offer_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = latest_text(tracker)
        if parsing.sounds_dangerous(text):
            # "third time water's come through the light fitting": the complaint can wait a minute, the
            # resident's safety cannot
            dispatcher.utter_message(response="utter_emergency_safety")
        dispatcher.utter_message(response="utter_offer_complaint")
        offer_id = await record_offer(tracker, text, None, parsing.service_request_reference(text))
        return [
            SlotSet("complaint_offered", "triage"),
            SlotSet("offer_context", text),
            SlotSet("offer_id", offer_id),
            SlotSet("linked_sr_ref", parsing.service_request_reference(text)),
        ]


class ActionStartComplaint(Action):
    def name(self) -> str:
        return "action_start_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        await answer_offer(tracker.get_slot("offer_id"), True)
        context = tracker.get_slot("offer_context") or ""
        points = [context] if substantive(context) and tracker.get_slot("complaint_offered") == "triage" else []
        dispatcher.utter_message(
            text="Thank you. I'll take down your complaint and read it back to you before I send it. You can type 'stop' at any time, or ask for a person."
        )
        return [
            SlotSet("complaint_offered", None),
            SlotSet("complaint_points", points),
            SlotSet("submission_key", f"cmp-{tracker.sender_id[:60]}-{uuid.uuid4().hex[:12]}"),
            SlotSet("definition_confirmed", None),
        ]


class ActionDeclineComplaintOffer(Action):
    def name(self) -> str:
        return "action_decline_complaint_offer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        await answer_offer(tracker.get_slot("offer_id"), False)
        events: list[EventType] = [SlotSet("complaint_offered", None), SlotSet("offer_id", None)]
        if tracker.get_slot("complaint_offered") == "triage":
            dispatcher.utter_message(text="OK. Let's get it put right: I'll record it as a request for us to act on.")
            context = tracker.get_slot("offer_context") or ""
            events += [SlotSet("sr_kind", "repair"), SlotSet("sr_description", context if len(context.split()) >= 3 else None)]
        else:
            dispatcher.utter_message(text="OK. Your request carries on as normal. You can make a complaint at any time.")
            dispatcher.utter_message(response="utter_anything_else")
        return events


class ValidateComplaintForm(FormValidationAction):
    def name(self) -> str:
        return "validate_complaint_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[str]:
        slots = ["acting_for"]
        if tracker.get_slot("acting_for") == "representative":
            slots += ["rep_relationship", "rep_name"]
        slots += ["resident_name", "contact", "postcode"]
        if not tracker.get_slot("complaint_points"):
            slots.append("complaint_point")
        slots += ["points_done", "when_happened", "earlier_reports", "impact", "outcome_wanted", "legal_status", "adjustments_text", "needs_text"]
        needs = tracker.get_slot("needs_text")
        if needs and needs != "none":
            slots.append("needs_consent")
        slots.append("definition_confirmed")
        return slots

    async def _safeguard(self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> None:
        """Safeguarding words anywhere in the intake reach a person, and the intake carries on."""
        if parsing.mentions_safeguarding(text):
            await request_handoff(dispatcher, tracker, "safeguarding")

    def validate_acting_for(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        t = str(value).lower()
        if any(w in t for w in ("someone", "behalf", "for my", "for her", "for him", "acting", "represent", "other", "else")):
            return {"acting_for": "representative"}
        if any(w in t for w in ("resident", "me", "myself", "i am", "i'm", "tenant", "mine", "yes")):
            return {"acting_for": "self"}
        dispatcher.utter_message(text="Sorry, I didn't catch that. Are you the resident, or acting for someone else?")
        return {"acting_for": None}

    def validate_rep_relationship(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        rel = relationship(str(value))
        if rel is None:
            dispatcher.utter_message(text="Please tell me how you're connected to the resident, for example 'daughter' or 'advocate'.")
        return {"rep_relationship": rel}

    def validate_rep_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        name = str(value).strip()
        if not 2 <= len(name) <= 200:
            dispatcher.utter_message(text="Please tell me your name.")
            return {"rep_name": None}
        dispatcher.utter_message(
            text="Thank you. Because you're acting for someone else, we'll record your authority as pending. "
            "A complaints officer will confirm it with the resident (for example a signed consent form, or the resident "
            "telling us directly) before we share any of their personal details with you. Their complaint is still logged now."
        )
        return {"rep_name": name}

    def validate_resident_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return {"resident_name": checked_name(value, dispatcher, "Please give the full name of the resident.")}

    def validate_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if parsing.contact(str(value)) is None:
            dispatcher.utter_message(
                text="That doesn't look like a phone number or email address. Please try again, or type 'here' to be contacted on this chat."
            )
            return {"contact": None}
        return {"contact": str(value).strip()}

    def validate_postcode(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return {"postcode": checked_postcode(value, dispatcher)}

    async def validate_complaint_point(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value).strip()
        if len(text) < 3:
            dispatcher.utter_message(text="Please tell me a little more about what went wrong.")
            return {"complaint_point": None}
        await self._safeguard(dispatcher, tracker, text)
        return {"complaint_point": text, "complaint_points": [*(tracker.get_slot("complaint_points") or []), text[:5000]]}

    async def validate_points_done(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value).strip()
        if latest_intent(tracker) == "deny" or parsing.is_done(text):
            return {"points_done": True}
        points = [*(tracker.get_slot("complaint_points") or [])]
        if len(points) >= 30:
            dispatcher.utter_message(text="I've noted a lot of points; let's move on and an officer will talk through anything else.")
            return {"points_done": True}
        await self._safeguard(dispatcher, tracker, text)
        return {"points_done": None, "complaint_points": [*points, text[:5000]]}

    def validate_when_happened(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return {"when_happened": str(value).strip()[:500]}

    def validate_earlier_reports(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value).strip()
        return {"earlier_reports": "none" if parsing.is_skip(text) or parsing.is_done(text) else text}

    async def validate_impact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        await self._safeguard(dispatcher, tracker, str(value))
        return {"impact": str(value).strip()}

    def validate_outcome_wanted(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value).strip()
        if len(text) < 2 or parsing.is_skip(text):
            dispatcher.utter_message(
                text="It really helps us to know what would put things right for you, for example an apology, a repair by a date, "
                "or compensation. What would you like?"
            )
            return {"outcome_wanted": None}
        return {"outcome_wanted": text}

    def validate_legal_status(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        proceedings, injury = parsing.legal_status(str(value))
        if proceedings == "filed":
            dispatcher.utter_message(response="utter_legal_filed")
        if injury:
            dispatcher.utter_message(response="utter_personal_injury")
        return {"legal_status": str(value).strip()}

    def validate_adjustments_text(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value).strip()
        if parsing.adjustments(text):
            dispatcher.utter_message(text="Thank you, I've noted that. We'll keep it on your record and review it with you.")
            return {"adjustments_text": text}
        return {"adjustments_text": "none"}

    async def validate_needs_text(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value).strip()
        if latest_intent(tracker) == "deny" or parsing.is_skip(text) or parsing.is_done(text):
            return {"needs_text": "none", "needs_consent": None}
        await self._safeguard(dispatcher, tracker, text)
        return {"needs_text": text}

    def validate_needs_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value)
        if latest_intent(tracker) == "affirm" or parsing.is_yes(text):
            return {"needs_consent": True}
        if latest_intent(tracker) == "deny" or parsing.is_no(text):
            dispatcher.utter_message(text="OK, I won't record it.")
            return {"needs_consent": False}
        dispatcher.utter_message(text="Please answer yes or no: may we record this on your file?")
        return {"needs_consent": None}

    def validate_definition_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value).strip()
        if latest_intent(tracker) == "affirm" or parsing.is_yes(text):
            return {"definition_confirmed": True}
        if latest_intent(tracker) == "deny" or parsing.is_no(text):
            dispatcher.utter_message(response="utter_complaint_restart_points")
            return {"definition_confirmed": None, "complaint_points": [], "complaint_point": None, "points_done": None, "outcome_wanted": None}
        # anything else is a correction in the resident's words: add it and read back again
        points = [*(tracker.get_slot("complaint_points") or []), f"Correction: {text[:4990]}"]
        return {"definition_confirmed": None, "complaint_points": points}


def readback(tracker: Tracker) -> str:
    points = tracker.get_slot("complaint_points") or []
    lines = "\n".join(f"• {p}" for p in points)
    return f"Here is your complaint as I understand it:\n{lines}\n\nWhat you'd like us to do:\n• {tracker.get_slot('outcome_wanted')}\n\nIs that right?"


class ActionAskDefinitionConfirmed(Action):
    """The read-back (Code 5.6): the resident confirms or corrects the complaint definition and outcome."""

    def name(self) -> str:
        return "action_ask_definition_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(
            text=readback(tracker),
            buttons=[{"title": "Yes, that's right", "payload": "/affirm"}, {"title": "No, start again", "payload": "/deny"}],
        )
        dispatcher.utter_message(text="(Or type a correction and I'll add it.)")
        return []


def complaint_payload(tracker: Tracker) -> dict[str, Any]:
    ch = channel(tracker)
    contact = parsing.contact(tracker.get_slot("contact") or "") or {}
    adjustments = parsing.adjustments(tracker.get_slot("adjustments_text") or "")
    needs = tracker.get_slot("needs_text")
    consent = bool(tracker.get_slot("needs_consent")) and bool(needs) and needs != "none"
    proceedings, injury = parsing.legal_status(tracker.get_slot("legal_status") or "")
    when_text = tracker.get_slot("when_happened")
    resident: dict[str, Any] = {
        "name": tracker.get_slot("resident_name"),
        "postcode": tracker.get_slot("postcode"),
        "identities": [] if tracker.get_slot("acting_for") == "representative" else [{"channel": ch, "address": tracker.sender_id[:200]}],
        "adjustments": [{**a, "detail": a["detail"][:2000]} for a in adjustments],
        "disclosed_needs": [needs[:5000]] if consent else [],
        "consent_to_record_needs": consent,
    }
    representative = tracker.get_slot("acting_for") == "representative"
    # the contact answer is the asker's: a representative's details go on the representative, never
    # on the resident's record
    if not representative:
        if "email" in contact:
            resident["email"] = contact["email"]
        if "phone" in contact:
            resident["phone"] = contact["phone"]
        if "here" in contact:
            resident["preferred_contact_method"] = ch
    payload: dict[str, Any] = {
        "channel": ch,
        "resident": resident,
        "definition": {"points": tracker.get_slot("complaint_points") or [], "outcomes": [tracker.get_slot("outcome_wanted")], "confirmed_by_resident": True},
        "when_described": when_text,
        "happened_on": (d.isoformat() if (d := parsing.when(when_text or "", today())) else None),
        "legal_proceedings": proceedings,
        "personal_injury": injury,
        "impact": tracker.get_slot("impact") or None,
        "earlier_reports": None if tracker.get_slot("earlier_reports") in (None, "none") else tracker.get_slot("earlier_reports"),
    }
    if representative:
        payload["representative"] = {
            "name": tracker.get_slot("rep_name"),
            "relationship": tracker.get_slot("rep_relationship") or "other",
            "contact": contact.get("email") or contact.get("phone") or (f"this {ch} conversation" if "here" in contact else None),
        }
    if ref := tracker.get_slot("linked_sr_ref"):
        payload["service_request_refs"] = [ref]
    return payload


async def confirmation(complaint: dict[str, Any], representative: bool) -> list[str]:
    stage1 = complaint["stages"][0]
    msgs = [
        f"Your complaint is logged. Your reference is {complaint['reference']}.",
        f"We will acknowledge it by {long_date(stage1['acknowledge_by'])} (within 5 working days), confirming our understanding "
        "of your complaint and what you'd like us to do.",
        "This is stage 1 of our complaints process: a complaints officer will look into it and send you a full written response "
        "within 10 working days of the acknowledgement. If we need longer we'll tell you why and when. If you're still unhappy "
        "afterwards, you can ask for stage 2, a review by someone else.",
    ]
    if representative:
        msgs.append("Because you're acting for the resident, an officer will confirm your authority with them before sharing personal details.")
    msgs.append(await ombudsman_text("acknowledgement"))
    return msgs


class ActionSubmitComplaint(Action):
    def name(self) -> str:
        return "action_submit_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        payload = complaint_payload(tracker)
        key = tracker.get_slot("submission_key") or f"cmp-{tracker.sender_id[:60]}-{uuid.uuid4().hex[:12]}"
        reset = [SlotSet(s, None) for s in FORM_SLOTS]
        try:
            complaint = await backend.call("POST", "/api/v1/complaints", json=payload, idempotency_key=key)
        except backend.BackendUnavailable:
            dispatcher.utter_message(text=UNAVAILABLE)
            return [keep_pending("complaint", payload, key, {"representative": "representative" in payload}), *reset]
        except backend.BackendRefused as exc:
            dispatcher.utter_message(text=f"I'm sorry, I couldn't log that: {exc.detail}. Let me get a person to help so nothing is lost.")
            return [*await request_handoff(dispatcher, tracker, "misunderstood")]
        for text in await confirmation(complaint, "representative" in payload):
            dispatcher.utter_message(text=text)
        return [*reset, SlotSet("last_reference", complaint["reference"])]
