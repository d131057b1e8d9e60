"""The Housing Ombudsman's details at any point, from the backend's one versioned template."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import backend

#: Used only if the backend cannot be reached; the same facts as the backend's template.
FALLBACK = (
    "You can contact the Housing Ombudsman Service at any time for free, independent and impartial advice. "
    "Online: www.housing-ombudsman.org.uk/residents/make-a-complaint/ · Phone: 0300 111 3000 · "
    "Post: Housing Ombudsman Service, PO Box 1484, Unit D, Preston, PR2 0ET."
)


async def ombudsman_text(moment: str = "general") -> str:
    try:
        out = await backend.call("GET", f"/api/v1/ombudsman?moment={moment}", retries=())
        return str(out["text"])
    except (backend.BackendUnavailable, backend.BackendRefused, KeyError):
        return FALLBACK


class ActionOmbudsmanInfo(Action):
    def name(self) -> str:
        return "action_ombudsman_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=await ombudsman_text("general"))
        dispatcher.utter_message(
            text="The Ombudsman usually expects us to have had the chance to answer your complaint first, "
            "but they can give you advice at any stage and can help if we don't respond on time."
        )
        return []
