"""Service requests (Code 1.4): a repair or antisocial behaviour report, recorded with a reference.

If the resident's words show dissatisfaction with how it has been handled so far, they are offered
the choice to complain as well (Code 1.3, 1.5): the request carries on either way.
"""

from __future__ import annotations

import uuid
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend, parsing
from actions.common import UNAVAILABLE, channel, checked_name, checked_postcode, keep_pending, latest_intent, latest_text, request_handoff, safety_then_a_person
from actions.intake import record_offer

SR_SLOTS = ["sr_description", "sr_location", "sr_since", "sr_access", "sr_kind"]


class ActionStartServiceRequest(Action):
    def name(self) -> str:
        return "action_start_service_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        kind = "asb" if latest_intent(tracker) == "report_asb" else "repair"
        text = latest_text(tracker)
        events: list[EventType] = [SlotSet("sr_kind", kind), SlotSet("sr_description", text if len(text.split()) >= 3 else None)]
        if pc := parsing.postcode(text):
            events.append(SlotSet("postcode", pc))
        if parsing.sounds_dangerous(text):
            # whatever the classifier said, danger now gets safety first and a person, then the details
            events += await safety_then_a_person(dispatcher, tracker)
        if kind == "asb":
            dispatcher.utter_message(
                text="I'm sorry you're having to deal with this. I'll take some details so our team can act on it. If you're in danger now, call 999."
            )
        else:
            dispatcher.utter_message(text="I can report that for you. I just need a few details.")
        return events


class ValidateServiceRequestForm(FormValidationAction):
    def name(self) -> str:
        return "validate_service_request_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[str]:
        return ["sr_description", "sr_location", "postcode", "sr_since", "sr_access", "resident_name"]

    async def validate_sr_description(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value).strip()
        if len(text) < 3:
            dispatcher.utter_message(text="Please tell me a bit more about the problem.")
            return {"sr_description": None}
        if parsing.mentions_safeguarding(text):
            await request_handoff(dispatcher, tracker, "safeguarding")
        return {"sr_description": text[:20000]}

    def validate_sr_location(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value).strip()
        out: dict[str, Any] = {"sr_location": text[:500]}
        if pc := parsing.postcode(text):
            out["postcode"] = pc
        return out

    def validate_postcode(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return {"postcode": checked_postcode(value, dispatcher)}

    def validate_sr_since(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return {"sr_since": str(value).strip()[:200]}

    def validate_sr_access(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value).strip()
        return {"sr_access": "none" if parsing.is_skip(text) or parsing.is_done(text) else text[:2000]}

    def validate_resident_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return {"resident_name": checked_name(value, dispatcher, "Please give your full name.")}


def sr_payload(tracker: Tracker) -> dict[str, Any]:
    kind = tracker.get_slot("sr_kind") or "repair"
    description = tracker.get_slot("sr_description") or ""
    ch = channel(tracker)
    access = tracker.get_slot("sr_access")
    return {
        "channel": ch,
        "service_code": "asb_report" if kind == "asb" else parsing.category(description),
        "description": description,
        "location": tracker.get_slot("sr_location"),
        "postcode": tracker.get_slot("postcode"),
        "problem_since": tracker.get_slot("sr_since"),
        "access_notes": None if access in (None, "none") else access,
        "resident": {
            "name": tracker.get_slot("resident_name"),
            "postcode": tracker.get_slot("postcode"),
            "identities": [{"channel": ch, "address": tracker.sender_id[:200]}],
        },
    }


def sr_confirmation(sr: dict[str, Any], kind: str) -> str:
    ref = sr["service_request_id"]
    if kind == "asb":
        return (
            f"Thank you, I've logged your report. Your reference is {ref}. A member of our neighbourhood team will review it "
            "and contact you about what happens next. If you feel unsafe, call 999 in an emergency or 101 otherwise."
        )
    return (
        f"Thank you, I've logged your repair. Your reference is {ref}. Our repairs team will contact you to arrange a visit. "
        "If it gets worse or becomes dangerous, tell us straight away."
    )


class ActionSubmitServiceRequest(Action):
    def name(self) -> str:
        return "action_submit_service_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        payload = sr_payload(tracker)
        kind = tracker.get_slot("sr_kind") or "repair"
        key = f"sr-{tracker.sender_id[:60]}-{uuid.uuid4().hex[:12]}"
        reset = [SlotSet(s, None) for s in SR_SLOTS]
        try:
            sr = await backend.call("POST", "/api/v1/service-requests", json=payload, idempotency_key=key)
        except backend.BackendUnavailable:
            dispatcher.utter_message(text=UNAVAILABLE)
            return [keep_pending("service_request", payload, key, {"sr_kind": kind}), *reset]
        except backend.BackendRefused as exc:
            dispatcher.utter_message(text=f"I'm sorry, I couldn't log that: {exc.detail}. Let me get a person to help.")
            return await request_handoff(dispatcher, tracker, "misunderstood")
        dispatcher.utter_message(text=sr_confirmation(sr, kind))
        events: list[EventType] = [*reset, SlotSet("last_reference", sr["service_request_id"])]
        description = payload["description"]
        if parsing.sounds_dissatisfied(description):
            # Code 1.3 / 1.5: dissatisfaction with how it has been handled gets the choice to complain
            dispatcher.utter_message(
                text="It sounds like you're unhappy with how this has been handled so far. Would you like to make a complaint "
                "about that as well? Your repair will carry on either way.",
                buttons=[{"title": "Yes, make a complaint", "payload": "/affirm"}, {"title": "No, thanks", "payload": "/deny"}],
            )
            offer_id = await record_offer(tracker, description, None, sr["service_request_id"])
            events += [
                SlotSet("complaint_offered", "after_service_request"),
                SlotSet("offer_id", offer_id),
                SlotSet("offer_context", description),
                SlotSet("linked_sr_ref", sr["service_request_id"]),
            ]
        return events
