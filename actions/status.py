"""Where is my complaint, and escalating it to stage 2: both only after reference + postcode."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend, parsing
from actions.common import checked_postcode, long_date
from actions.signposting import ombudsman_text

STATUS_WORDS = {
    "received": "received, waiting to be acknowledged",
    "stage1_acknowledged": "being looked into at stage 1",
    "stage1_responded": "answered at stage 1",
    "stage2_requested": "waiting to be acknowledged at stage 2",
    "stage2_acknowledged": "being reviewed at stage 2",
    "stage2_responded": "answered at stage 2 (our final response)",
    "closed": "closed",
    "declined": "not taken forward (we wrote to you with our reasons)",
    "withdrawn": "withdrawn",
}
RESET = [SlotSet("complaint_reference", None), SlotSet("verify_postcode", None), SlotSet("escalation_reason", None)]


class _ReferenceChecks:
    """Shared by both forms; not an action itself (rasa-sdk registers every Action subclass)."""

    def validate_complaint_reference(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        ref = parsing.complaint_reference(str(value))
        if ref is None:
            dispatcher.utter_message(text="That doesn't look like a complaint reference. It starts CMP, for example CMP-2026-000123.")
        return {"complaint_reference": ref}

    def validate_verify_postcode(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return {"verify_postcode": checked_postcode(value, dispatcher)}


class ValidateStatusForm(_ReferenceChecks, FormValidationAction):
    def name(self) -> str:
        return "validate_status_form"


class ValidateEscalationForm(_ReferenceChecks, FormValidationAction):
    def name(self) -> str:
        return "validate_escalation_form"

    def validate_escalation_reason(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value).strip()
        return {"escalation_reason": "none" if parsing.is_skip(text) else text[:5000]}


def _refusal(dispatcher: CollectingDispatcher, exc: backend.BackendRefused) -> None:
    if exc.status == 429:
        dispatcher.utter_message(text="There have been too many attempts. Please wait 15 minutes and try again, or ask to speak to a person.")
    elif exc.status == 404:
        dispatcher.utter_message(text="I couldn't find a complaint with that reference and postcode. Please check both and try again.")
    else:
        dispatcher.utter_message(text=f"I'm sorry, I couldn't do that: {exc.detail}.")


class ActionCheckStatus(Action):
    def name(self) -> str:
        return "action_check_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        body = {"reference": tracker.get_slot("complaint_reference"), "postcode": tracker.get_slot("verify_postcode"), "client_id": tracker.sender_id[:100]}
        try:
            out = await backend.call("POST", "/api/v1/lookup", json=body, retries=())
        except backend.BackendRefused as exc:
            _refusal(dispatcher, exc)
            return RESET
        except backend.BackendUnavailable:
            dispatcher.utter_message(text="I'm sorry, I can't reach our case system just now. Please try again in a few minutes.")
            return RESET
        text = f"Complaint {out['reference']} is {STATUS_WORDS.get(out['status'], out['status'])} (stage {out['stage']}). {out['next_step']}"
        if out.get("due_by"):
            text += f" Due by: {long_date(out['due_by'])}."
        if out.get("handled_by"):
            text += f" It is being handled by {out['handled_by']}."
        dispatcher.utter_message(text=text)
        return RESET


class ActionEscalateComplaint(Action):
    """Code 6.10-6.12: logged on request, no reason demanded; the acknowledgement date is given."""

    def name(self) -> str:
        return "action_escalate_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        ref = tracker.get_slot("complaint_reference")
        reason = tracker.get_slot("escalation_reason")
        body = {"postcode": tracker.get_slot("verify_postcode"), "client_id": tracker.sender_id[:100], "reason": None if reason in (None, "none") else reason}
        try:
            out = await backend.call("POST", f"/api/v1/complaints/{ref}/escalate", json=body)
        except backend.BackendRefused as exc:
            if exc.status == 409:
                dispatcher.utter_message(
                    text="This complaint can't be escalated right now: stage 2 is for after you've had our stage 1 response, "
                    "and a complaint can only be reviewed at stage 2 once. If you think something is wrong, ask to speak to a person."
                )
            else:
                _refusal(dispatcher, exc)
            return RESET
        except backend.BackendUnavailable:
            dispatcher.utter_message(
                text="I'm sorry, I can't reach our case system just now, so your request isn't logged yet. Please try again in a few minutes."
            )
            return RESET
        stage2 = out["complaint"]["stages"][-1]
        dispatcher.utter_message(
            text=f"I've logged your request to escalate complaint {ref} to stage 2. We'll acknowledge it by "
            f"{long_date(stage2['acknowledge_by'])} (within 5 working days), and someone who wasn't involved at stage 1 "
            "will review it and send our final response within 20 working days of that."
        )
        dispatcher.utter_message(text=await ombudsman_text("general"))
        return RESET
