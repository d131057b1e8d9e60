"""A person: when asked for, on distress or safeguarding words, in an emergency, or after the bot fails twice."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import parsing
from actions.common import latest_intent, latest_text, request_handoff, safety_then_a_person


class ActionRequestHandoff(Action):
    def name(self) -> str:
        return "action_request_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        intent = latest_intent(tracker)
        if intent == "distress" or parsing.mentions_safeguarding(latest_text(tracker)):
            reason = "safeguarding"
        elif tracker.get_slot("emergency_offered") or intent == "emergency":
            reason = "emergency"
        else:
            reason = "asked"
        return await request_handoff(dispatcher, tracker, reason)


class ActionEmergency(Action):
    """Safety first (999, National Gas Emergency), then the offer of a person."""

    def name(self) -> str:
        return "action_emergency"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_emergency_safety")
        dispatcher.utter_message(response="utter_offer_person")
        return [SlotSet("emergency_offered", True)]


class ActionDeclinePerson(Action):
    def name(self) -> str:
        return "action_decline_person"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_emergency_no_person")
        return [SlotSet("emergency_offered", False)]


class ActionHandleFallback(Action):
    """Ask again once; the second misunderstanding in a row goes to a person (safeguarding words at once,
    and a named danger gets the safety instructions and a person at once)."""

    def name(self) -> str:
        return "action_handle_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        if parsing.mentions_safeguarding(latest_text(tracker)):
            return await request_handoff(dispatcher, tracker, "safeguarding")
        if parsing.sounds_dangerous(latest_text(tracker)):
            # not understood, but it names a danger ("think i can smell gas?"): safety first and a
            # person, as for an emergency, rather than "please say that differently"
            return await safety_then_a_person(dispatcher, tracker)
        user_intents = [e.get("parse_data", {}).get("intent", {}).get("name") for e in tracker.events if e.get("event") == "user"]
        if len(user_intents) >= 2 and user_intents[-1] == user_intents[-2] == "nlu_fallback":
            dispatcher.utter_message(text="I'm sorry, I'm still not understanding you. Let me get a person to help.")
            return await request_handoff(dispatcher, tracker, "misunderstood")
        dispatcher.utter_message(response="utter_default")
        return []


#: Slots of an unfinished form, cleared when an agent hands back (the agent dealt with it).
FORM_SLOTS = ("requested_slot", "complaint_point", "points_done", "definition_confirmed", "sr_description", "sr_location", "sr_since", "sr_access")


class ActionResumeAfterAgent(Action):
    """The hub tells the bot an agent handed the conversation back: say so, and what happened."""

    def name(self) -> str:
        return "action_resume_after_agent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        handback = ((tracker.latest_message or {}).get("metadata") or {}).get("handback") or {}
        summary = str(handback.get("summary") or "").strip()
        refs = [str(r) for r in handback.get("references") or []][:5]
        text = "Thanks for waiting. Our team member has handed you back to me, the automated assistant."
        if summary:
            text += f" They noted: {summary}"
        if refs:
            text += f" Your open references: {', '.join(refs)}."
        text += " Is there anything else I can help with?"
        dispatcher.utter_message(text=text)
        return [ActiveLoop(None), SlotSet("emergency_offered", False), *[SlotSet(name, None) for name in FORM_SLOTS]]
