"""A small rule layer after the statistical intent classifier: for the one mistake the Code forbids,
and for the intents that end a form, which must not be triggered by an ordinary answer.

Treating a complaint as a service request breaks Code 1.2-1.5: dissatisfaction with how something
was handled (reported three times, nobody came, missed appointments, ignored) or with how staff
behaved is a complaint, whatever else the message asks for. When the classifier says
`service_request`, `report_asb` or `enquiry` (or `complaint`, unsure) and the message carries one
of these unmistakable signs, the intent becomes `complaint` with enough confidence not to fall back.
So does a `compliment` without a single word of praise or thanks (actions.parsing.PRAISE), and a
`report_asb` about the landlord's own staff or contractors (their conduct is the landlord's service).
Two more readings protect the resident: a repair landlords attend as an emergency, told in everyday
words, is an `emergency` (actions.parsing.URGENT_REPAIR); and a question about where a complaint has
got to is a status check, not a request for stage 2, unless it says the answer was not good enough.
The resident is then offered the choice to complain, never forced: a wrong switch costs one
question, a missed complaint costs a Code breach.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from actions.parsing import DANGER, EMERGENCY_WORDS, HANDOFF_WORDS, POSTCODE, PRAISE, SAFEGUARDING, urgent_repair
from bot import speedups  # noqa: F401  (installs itself: see its docstring)

#: "Three times", "the second time": of a repair, a sign it was not put right; of anti-social
#: behaviour, only how often the neighbours did it (see REPORTED).
REPEATED = re.compile(
    r"\b((\d+|two|three|four|five|six|several|many|multiple|countless|numerous) times|(second|third|fourth|fifth|sixth|\d+(st|nd|rd|th)) time)\b",
    re.IGNORECASE,
)
#: The landlord was told before: with REPEATED, the resident is counting their reports, not the incidents.
REPORTED = re.compile(r"\b(reported|told (you|them|housing)|rang|called|phoned|emailed|complained|chased|logged)\b", re.IGNORECASE)
HANDLING = re.compile(
    r"\b("
    r"(rang|called|phoned|reported|chased|emailed|contacted|messaged) (you |them |it |this |up )?\d+ ?x|"
    r"still (not|no|nothing|waiting|hasn'?t|haven'?t|isn'?t|broken|leaking|no ?one|nobody)|"
    r"(nobody|no one|noone|no-one) (has |have |ever )?(came|come|turned up|showed up|called|rang|phoned|got back|replied|responded|bothered|fixed|done)|"
    r"never (came|turned up|showed up|called|rang|replied|got back|fixed|sorted|bothered)|"
    r"missed (the |my |our |two |three |another )?appointments?|"
    r"(weeks|months|years) (ago|later|now|and still|on)|waiting (for )?(weeks|months|ages|over)|"
    r"ignor(ed|ing) (me|my|us|our)|no (reply|response|answer) (to|from)|"
    r"not good enough|disgust\w*|appalling|shocking|useless|incompetent|unacceptable|"
    r"(fed up|sick) (of|with)|a joke|what is the point|whats the point|done nothing|did nothing|nothing (has been|was) done|"
    r"(was|were|worked) (fine|ok|okay|alright) (before|until)|made (it|things|them) worse|worse than (before|it was)"
    r")\b",
    re.IGNORECASE,
)


def handling_cue(text: str, intent: str) -> bool:
    """A sign the resident is unhappy with how the landlord handled something. For a report of
    anti-social behaviour a count alone ("third time this month") is how often it happened, so it
    counts only when the resident says they reported it before."""
    if HANDLING.search(text):
        return True
    return bool(REPEATED.search(text)) and (intent != "report_asb" or bool(REPORTED.search(text)))


#: How staff or contractors behaved, or the quality of their work: a complaint, unless it is about a neighbour.
CONDUCT = re.compile(
    r"\b(rude|put the phone down|hung up on|very poor|poor (job|work|service|workmanship)|shoddy|botched|bodged|not acceptable)\b",
    re.IGNORECASE,
)
#: The landlord's own people. What they do is the landlord's service, never a neighbour's anti-social
#: behaviour, so a "report_asb" about them is a complaint about their conduct (Code 1.2).
LANDLORD_STAFF = re.compile(
    r"\byour (own )?(caretakers?|staff|contractors?|workm[ae]n|engineers?|plumbers?|electricians?|officers?|housing officer|"
    r"repairs? (team|men|guys?|people)|team|cleaners?|operatives?|surveyors?|workers?|builders?|painters?|roofers?|gardeners?|"
    r"grounds ?(men|maintenance|staff)|call cent(re|er)|receptionists?|managers?|employees?|scheme manager|warden)\b",
    re.IGNORECASE,
)
#: A question about where a complaint has got to ("has it gone out?", "any news on my stage 2?")...
STATUS_QUESTION = re.compile(
    r"\b(status|update|progress (on|of|with)|any (news|word)|where (is|are|it'?s|things are)\b.{0,20}\b(up to|at)|"
    r"has (it|my complaint|the review|the panel)\b.{0,25}\b(been|gone|happened|met)|chase|heard (anything|back)|"
    r"when (will|can|do|should) (i|we) (hear|get|expect)|(new|a) date|is it (coming|due)|been (looked at|dealt with)|"
    r"still waiting (for|on) (the|a|my) (response|reply|answer|letter|outcome|decision)|(was|has) it (been )?(logged|received|passed))",
    re.IGNORECASE,
)
#: ...is a status check unless it says the answer was not good enough or asks for more: read as an
#: escalation, it would start a stage 2 nobody asked for.
UNHAPPY_WITH_ANSWER = re.compile(
    r"(not (happy|satisfied|good enough|enough)|disagree|unhappy|dissatisf|challenge|dispute|again|further|next (stage|step)|"
    r"reconsider|appeal|insult|(doesn'?t|didn'?t|does not|did not|failed to) (cover|address|answer|offer|give|come close)|ignored|"
    r"wrong|someone else|different (person|team|officer)|higher|senior|over (her|his|their) head|don'?t accept|do not accept|"
    r"reject|rubbish|joke|whitewash|not upheld|escalat)",
    re.IGNORECASE,
)
#: "stop" ends a form and throws the question away, so it is only believed when the words say so;
#: otherwise an answer such as an email address could end an intake half way.
STOP_WORDS = re.compile(r"\b(stop|cancel|quit|forget (it|this)|never ?mind|start (again|over)|restart|leave it|changed my mind|end this)\b", re.IGNORECASE)
SWITCH_FROM = {"service_request", "report_asb", "enquiry"}
CONDUCT_SWITCH_FROM = {"service_request", "enquiry"}


def _address_answer(text: str) -> bool:
    return bool(POSTCODE.search(text)) and len(text.split()) <= 12 and not DANGER.search(text)


#: The intents that end or interrupt a form, and what each needs in the words to be believed.
BELIEVED_ONLY_WITH: dict[str, Callable[[str], object]] = {
    "stop": STOP_WORDS.search,
    # "distress" hands the conversation to a person and stops any form: it needs a safeguarding sign
    # (the same list the actions use), so an answer such as "she is partially sighted" is not one
    "distress": SAFEGUARDING.search,
    # "emergency" interrupts any form with safety instructions: it needs a sign of danger, and a short
    # answer with a postcode is an address ("88 Church Street, front door, B12 9LP") unless it names
    # a danger outright
    "emergency": lambda text: EMERGENCY_WORDS.search(text) and not _address_answer(text),
    # "human_handoff" ends any form too: it needs words asking for a person
    "human_handoff": HANDOFF_WORDS.search,
}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ComplaintCues(GraphComponent):
    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext) -> ComplaintCues:
        return cls()

    @staticmethod
    def _next_best(message: Message, without: str) -> None:
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != without]
        if ranking:
            message.set(INTENT, dict(ranking[0]), add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            # each of these ends or interrupts a form, so it is believed only with its own words;
            # otherwise the classifier's next guess stands (in this order: one veto can reveal another)
            for vetoed, believed in BELIEVED_ONLY_WITH.items():
                if (message.get(INTENT) or {}).get("name") == vetoed and not believed(text):
                    self._next_best(message, vetoed)
            intent = message.get(INTENT) or {}
            name = intent.get("name")
            unsure_complaint = name == "complaint" and float(intent.get("confidence") or 0.0) < 0.9
            handling = (name in SWITCH_FROM or unsure_complaint) and handling_cue(text, str(name))
            conduct = CONDUCT.search(text) and (name in CONDUCT_SWITCH_FROM or unsure_complaint)
            # a "compliment" with no word of praise or thanks is about staff or a service, and not
            # praise: offering the complaints process is the safe reading (PRAISE's docstring)
            faint_praise = name == "compliment" and not PRAISE.search(text)
            staff_conduct = name == "report_asb" and LANDLORD_STAFF.search(text)
            if handling or conduct or faint_praise or staff_conduct:
                self._to(message, "complaint", float(intent.get("confidence") or 0.0))
            if name == "escalate_complaint" and STATUS_QUESTION.search(text) and not UNHAPPY_WITH_ANSWER.search(text):
                self._to(message, "complaint_status", float(intent.get("confidence") or 0.0))
            # a repair every landlord attends as an emergency, described without alarm ("water dripping
            # into the light fitting"): the safety instructions come first. After the complaint cues, so
            # a complaint that names one stays a complaint (the offer to complain gives them first).
            intent = message.get(INTENT) or {}
            if intent.get("name") in SWITCH_FROM and urgent_repair(text):
                self._to(message, "emergency", float(intent.get("confidence") or 0.0))
        return messages

    @staticmethod
    def _to(message: Message, name: str, confidence: float) -> None:
        """Put ``name`` first, clearly ahead. The others keep their order, shrunk to share what is left
        of 1: left at their old values, the intent that was overruled (often at 0.99) would tie with
        ``name`` and FallbackClassifier's ambiguity rule would answer "I didn't understand" instead."""
        confidence = max(confidence, 0.9)
        message.set(INTENT, {"name": name, "confidence": confidence}, add_to_output=True)
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != name]
        total = sum(float(r.get("confidence") or 0.0) for r in ranking)
        scale = (1.0 - confidence) / total if total > 0 else 0.0
        rest = [{**r, "confidence": float(r.get("confidence") or 0.0) * scale} for r in ranking]
        message.set(INTENT_RANKING_KEY, [{"name": name, "confidence": confidence}, *rest], add_to_output=True)
