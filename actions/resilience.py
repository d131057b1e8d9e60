"""Nothing the resident said is lost when the backend is down.

A submission the backend could not take is kept in the conversation with its idempotency key.
Rasa runs this action on every later message, before it predicts anything: it sends the
submission again with the same key (so it is never doubled) and, once it is accepted, tells the
resident their reference.

It is Rasa's slot-mapping validation action (``action_validate_slot_mappings``), not a custom slot
mapping: Rasa 3.6 keeps only the SlotSet events of a custom mapping's action unless that action is
this one, so the resident was never told "Good news ..." nor given their reference (the submission
was logged in silence). The fault tests (tests/e2e/test_faults.py) found it.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend
from actions.intake import confirmation
from actions.service_requests import sr_confirmation


class ActionRetryPending(Action):
    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        pending: dict[str, Any] | None = tracker.get_slot("pending_submission")
        if not pending:
            return []
        path = "/api/v1/complaints" if pending["kind"] == "complaint" else "/api/v1/service-requests"
        try:
            out = await backend.call("POST", path, json=pending["payload"], idempotency_key=pending["key"], retries=(0.3,))
        except backend.BackendUnavailable:
            return []  # still kept; the next message tries again
        except backend.BackendRefused as exc:
            dispatcher.utter_message(
                text=f"I'm sorry, what you sent earlier couldn't be logged ({exc.detail}). Please ask to speak to a person so nothing is lost."
            )
            return [SlotSet("pending_submission", None)]
        dispatcher.utter_message(text="Good news: our case system is back and what you told me earlier has now been logged.")
        if pending["kind"] == "complaint":
            for text in await confirmation(out, bool(pending.get("representative"))):
                dispatcher.utter_message(text=text)
            ref = out["reference"]
        else:
            dispatcher.utter_message(text=sr_confirmation(out, pending.get("sr_kind", "repair")))
            ref = out["service_request_id"]
        return [SlotSet("pending_submission", None), SlotSet("last_reference", ref)]
