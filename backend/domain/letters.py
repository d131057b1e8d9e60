"""The letters a complaint sends, and what each must say before it can go.

Each kind of letter is a list of items. An item is either filled from the case and fixed (the
reference, the response date the deadlines give, the Ombudsman's text from the one versioned
template) or filled from the case and editable by the officer (the definition as the resident
will read it, the reasons). A required item left empty stops the letter, naming every missing item
and the Code provision that wants it, so no letter can leave without what the Code requires:

- acknowledgements: the complaint definition and the outcomes sought, and the response date
  (Code 5.6, 6.2 / 6.11), with the Ombudsman's details (3.7);
- extensions: the new date and the reason (6.4 / 6.15) and the Ombudsman's details (6.5 / 6.16);
- declines: the reasons and the Ombudsman's details (2.4 at stage 1, 5.11 at stage 2);
- responses: every item of 6.9 / 6.19 (a)-(g), taken from ``responses.REQUIRED_ITEMS``;
- action updates: what was promised and what has been done (6.6 / 7.x).

Plain Python: the service fills the values, this module decides what a letter is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from backend.domain.adjustments import AdjustmentType
from backend.domain.ombudsman import Moment, signposting
from backend.domain.responses import REQUIRED_ITEMS
from backend.domain.rules import RuleViolation


class LetterKind(StrEnum):
    STAGE1_ACKNOWLEDGEMENT = "stage1_acknowledgement"
    STAGE2_ACKNOWLEDGEMENT = "stage2_acknowledgement"
    STAGE1_EXTENSION = "stage1_extension"
    STAGE2_EXTENSION = "stage2_extension"
    STAGE1_DECLINE = "stage1_decline"
    STAGE2_DECLINE = "stage2_decline"
    STAGE1_RESPONSE = "stage1_response"
    STAGE2_RESPONSE = "stage2_response"
    ACTION_UPDATE = "action_update"  # prepared when an outstanding action is done (casework)


@dataclass(frozen=True)
class ItemSpec:
    key: str
    label: str  # what the officer sees beside the field
    required: bool
    editable: bool  # False: filled from the case (or the one Ombudsman template) and fixed
    provision: str | None = None  # the Code provision the item satisfies

    def describe(self) -> str:
        """How a missing item is named in a refusal: what it is and which provision wants it."""
        return f"{self.label} (Code {self.provision})" if self.provision else self.label


@dataclass(frozen=True)
class LetterSpec:
    kind: LetterKind
    stage: int | None
    title: str
    items: tuple[ItemSpec, ...]
    provision: str  # the provision a refusal names
    moment: Moment | None  # which Ombudsman paragraph the letter carries, if any
    refusal_code: str = "letter_incomplete"

    def item(self, key: str) -> ItemSpec | None:
        return next((i for i in self.items if i.key == key), None)

    @property
    def keys(self) -> list[str]:
        return [i.key for i in self.items]


@dataclass(frozen=True)
class Section:
    """One part of a letter: an optional heading and its text (line breaks kept)."""

    heading: str | None
    text: str


class LetterIncomplete(RuleViolation):
    """A letter with a required item empty: 422 naming every missing item."""

    def __init__(self, code: str, provision: str, message: str, missing: list[str]) -> None:
        super().__init__(code, provision, message)
        self.missing = missing

    def as_dict(self) -> dict[str, str]:
        out: dict[str, object] = {**super().as_dict(), "missing": self.missing}
        return out  # type: ignore[return-value]


# -- the items ------------------------------------------------------------------------------------

_REFERENCE = ItemSpec("reference", "Complaint reference", True, False)
_DATE = ItemSpec("date", "Date of the letter", True, False)
_RECIPIENT = ItemSpec("recipient", "Name and address", False, True)
_HANDLER = ItemSpec("handler", "Who is dealing with the complaint", False, True)
_NOTE = ItemSpec("note", "Anything else to tell the resident", False, True)


def _head(*items: ItemSpec) -> tuple[ItemSpec, ...]:
    return (_REFERENCE, _DATE, _RECIPIENT, *items)


def _ombudsman(provision: str) -> ItemSpec:
    return ItemSpec("ombudsman", "The Housing Ombudsman's details", True, False, provision)


def _acknowledgement(stage: int) -> LetterSpec:
    opened = "6.2" if stage == 1 else "6.11"
    return LetterSpec(
        kind=LetterKind(f"stage{stage}_acknowledgement"),
        stage=stage,
        title="We have received your complaint" if stage == 1 else "We have received your request for a stage 2 review",
        items=_head(
            ItemSpec("points", "What went wrong (the complaint definition)", True, True, f"5.6, {opened}"),
            ItemSpec("outcomes", "What the resident wants to happen", True, True, f"5.6, {opened}"),
            ItemSpec("responsibility", "What we are and are not responsible for", False, True, "5.7"),
            ItemSpec("respond_by", "When we will respond", True, False, f"{opened}, {'6.3' if stage == 1 else '6.14'}"),
            _HANDLER,
            _NOTE,
            _ombudsman("3.7"),
        ),
        provision=opened,
        moment=Moment.ACKNOWLEDGEMENT,
    )


def _extension(stage: int) -> LetterSpec:
    limit, ombudsman = ("6.4", "6.5") if stage == 1 else ("6.15", "6.16")
    return LetterSpec(
        kind=LetterKind(f"stage{stage}_extension"),
        stage=stage,
        title="We need more time to respond to your complaint",
        items=_head(
            ItemSpec("new_due", "The new response date", True, False, limit),
            ItemSpec("reason", "Why we need more time", True, True, limit),
            _HANDLER,
            _NOTE,
            _ombudsman(ombudsman),
        ),
        provision=limit,
        moment=Moment.EXTENSION,
    )


def _decline(stage: int) -> LetterSpec:
    provision = "2.4" if stage == 1 else "5.11"
    return LetterSpec(
        kind=LetterKind(f"stage{stage}_decline"),
        stage=stage,
        title="Our decision not to accept your complaint" if stage == 1 else "Our decision not to escalate your complaint to stage 2",
        items=_head(
            ItemSpec("reasons", "Why (the reasons for the decision)", True, True, provision),
            _NOTE,
            _ombudsman(provision),
        ),
        provision=provision,
        moment=Moment.DECLINE if stage == 1 else Moment.ESCALATION_REFUSED,
    )


def _response(stage: int) -> LetterSpec:
    provision = "6.9" if stage == 1 else "6.19"
    fixed = {"stage", "escalation"}  # the stage is the case's, the escalation text the one Ombudsman template
    code_items = tuple(
        ItemSpec(key, label[0].upper() + label[1:], True, key not in fixed, f"{provision}({letter})") for key, letter, label in REQUIRED_ITEMS[stage]
    )
    return LetterSpec(
        kind=LetterKind(f"stage{stage}_response"),
        stage=stage,
        title="Our response to your complaint" if stage == 1 else "Our final response to your complaint",
        items=_head(*code_items, _HANDLER, _NOTE),
        provision=provision,
        moment=Moment.STAGE1_RESPONSE if stage == 1 else Moment.FINAL_RESPONSE,
        refusal_code="response_incomplete",
    )


_ACTION_UPDATE = LetterSpec(
    kind=LetterKind.ACTION_UPDATE,
    stage=None,
    title="An update on what we promised to do",
    items=_head(
        ItemSpec("action", "What we promised to do", True, False, "6.6"),
        ItemSpec("update", "What we have done", True, True, "6.6"),
        _HANDLER,
        _NOTE,
    ),
    provision="6.6",
    moment=None,
)

SPECS: dict[LetterKind, LetterSpec] = {
    s.kind: s
    for s in (
        _acknowledgement(1),
        _acknowledgement(2),
        _extension(1),
        _extension(2),
        _decline(1),
        _decline(2),
        _response(1),
        _response(2),
        _ACTION_UPDATE,
    )
}


def spec(kind: LetterKind | str) -> LetterSpec:
    return SPECS[LetterKind(kind)]


def kind_for(what: str, stage: int) -> LetterKind:
    """``kind_for("acknowledgement", 2)`` → ``stage2_acknowledgement``."""
    return LetterKind(f"stage{stage}_{what}")


def ombudsman_text(s: LetterSpec) -> str:
    """The Ombudsman paragraph, always from the one versioned template."""
    return signposting(s.moment).text if s.moment else ""


def signposting_version(s: LetterSpec) -> str | None:
    return signposting(s.moment).version if s.moment else None


# -- values ------------------------------------------------------------------------------------------


def long_date(d: dt.date) -> str:
    """How a date reads in a letter: "Monday 15 June 2026"."""
    return f"{d:%A} {d.day} {d:%B %Y}"


def decision_text(decision: str | None) -> str:
    """The decision as the response states it: "We have partly upheld your complaint." (6.9(c))."""
    if not decision:
        return ""
    return f"We have {decision.replace('_', ' ')} your complaint."


def bullet_lines(lines: Iterable[str]) -> str:
    return "\n".join(f"- {line.strip()}" for line in lines if line.strip())


def _clean(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def merge(s: LetterSpec, filled: Mapping[str, str], edits: Mapping[str, str] | None) -> dict[str, str]:
    """The letter's items: the values filled from the case, with the officer's edits on top.

    An edit to an item the letter does not have, or to one filled from the case and fixed (the
    reference, a date the deadlines give, the Ombudsman's text), is refused: posting such an item
    back unchanged is fine, changing it is not.
    """
    values = {i.key: _clean(filled.get(i.key) or "") for i in s.items}
    for key, raw in (edits or {}).items():
        item = s.item(key)
        if item is None:
            raise RuleViolation(
                "unknown_letter_item",
                s.provision,
                f"a {s.kind.value.replace('_', ' ')} letter has no item {key!r}; its items are: {', '.join(s.keys)}",
            )
        value = _clean(raw)
        if not item.editable:
            if not _same(value, values[key]):
                raise RuleViolation(
                    "letter_item_fixed",
                    s.provision,
                    f"{item.label!r} is filled from the case and cannot be edited in the letter"
                    + (" (change the date by extending the complaint)" if key in ("respond_by", "new_due") else ""),
                )
            continue
        values[key] = value
    return values


def missing(s: LetterSpec, values: Mapping[str, str | None]) -> list[str]:
    """Every required item that is empty, named with the provision that wants it."""
    return [i.describe() for i in s.items if i.required and not (values.get(i.key) or "").strip()]


def check(s: LetterSpec, values: Mapping[str, str | None]) -> None:
    """Refuse a letter with any required item empty, naming every missing one (422)."""
    gaps = missing(s, values)
    if gaps:
        raise LetterIncomplete(
            s.refusal_code,
            s.provision,
            f"the letter \u201c{s.title}\u201d cannot be sent until it states: " + "; ".join(gaps),
            gaps,
        )


# -- composing ---------------------------------------------------------------------------------------


def _opening(s: LetterSpec, v: Mapping[str, str]) -> str:
    ref, stage = v.get("reference", ""), s.stage
    match s.kind:
        case LetterKind.STAGE1_ACKNOWLEDGEMENT | LetterKind.STAGE2_ACKNOWLEDGEMENT:
            return f"Complaint {ref}: we have logged your complaint at stage {stage}."
        case LetterKind.STAGE1_EXTENSION | LetterKind.STAGE2_EXTENSION:
            return f"Complaint {ref}: we need more time to respond to your stage {stage} complaint. We will now respond by {v.get('new_due', '')}."
        case LetterKind.STAGE1_DECLINE:
            return f"Complaint {ref}: we have decided not to accept your complaint."
        case LetterKind.STAGE2_DECLINE:
            return f"Complaint {ref}: we have decided not to escalate your complaint to stage 2."
        case LetterKind.STAGE1_RESPONSE | LetterKind.STAGE2_RESPONSE:
            return f"Complaint {ref} — {v.get('stage', '')}"
        case LetterKind.ACTION_UPDATE:
            return f"Complaint {ref}: an update on something we promised to do."
    raise ValueError(s.kind)  # pragma: no cover - every kind is matched above


#: (item key, heading) in the order the body reads, per kind; None headings run as plain text.
_BODY: dict[str, list[tuple[str, str | None]]] = {
    "acknowledgement": [
        ("points", "What you told us went wrong"),
        ("outcomes", "What you would like to happen"),
        ("responsibility", "What we are and are not responsible for"),
        ("respond_by", None),
        ("handler", "Who is dealing with your complaint"),
        ("note", None),
        ("ombudsman", "The Housing Ombudsman"),
    ],
    "extension": [
        ("reason", "Why we need more time"),
        ("handler", "Who is dealing with your complaint"),
        ("note", None),
        ("ombudsman", "The Housing Ombudsman"),
    ],
    "decline": [("reasons", "Why we made this decision"), ("note", None), ("ombudsman", "The Housing Ombudsman")],
    "response": [
        ("definition", "Your complaint"),
        ("decision", "Our decision"),
        ("reasons", "The reasons for our decision"),
        ("remedy", "Putting things right"),
        ("outstanding_actions", "Outstanding actions"),
        ("handler", "Who dealt with your complaint"),
        ("note", None),
        ("escalation", "What you can do next"),
    ],
    "update": [("action", "What we promised"), ("update", "What we have done"), ("handler", "Who is dealing with your complaint"), ("note", None)],
}


def _family(kind: LetterKind) -> str:
    return "update" if kind is LetterKind.ACTION_UPDATE else kind.value.split("_", 1)[1]


def sections(s: LetterSpec, values: Mapping[str, str]) -> list[Section]:
    """The letter's body, in reading order; empty optional items are left out."""
    out = [Section(None, _opening(s, values))]
    for key, heading in _BODY[_family(s.kind)]:
        text = (values.get(key) or "").strip()
        if not text:
            continue
        if key == "respond_by":
            final = "final " if s.stage == 2 else ""
            text = f"We will send you our {final}response by {text}. If anything above is not right, please tell us."
        out.append(Section(heading, text))
    return out


def plain_text(s: LetterSpec, values: Mapping[str, str]) -> str:
    """The letter as text: what the record keeps and what a chat or SMS carries."""
    parts = []
    for sec in sections(s, values):
        if sec.heading is None:
            parts.append(sec.text)
        elif "\n" in sec.text:
            parts.append(f"{sec.heading}:\n{sec.text}")
        else:
            parts.append(f"{sec.heading}: {sec.text}")
    return "\n\n".join(parts)


def salutation(values: Mapping[str, str]) -> str:
    name = (values.get("recipient") or "").split("\n", 1)[0].strip()
    return f"Dear {name}," if name else "Dear resident,"


def sign_off(values: Mapping[str, str]) -> str:
    handler = (values.get("handler") or "").split("\n", 1)[0].strip()
    return f"Yours sincerely,\n{handler}\nComplaints team" if handler else "Yours sincerely,\nComplaints team"


# -- large print ------------------------------------------------------------------------------------


def large_print_wanted(adjustment_types: Iterable[str]) -> bool:
    """A resident who asked for large print gets every letter in large print (Code 5.10).

    Any recorded large-print adjustment counts, agreed yet or not: sending large print to someone
    who asked for it costs nothing, and leaving it out fails them.
    """
    return AdjustmentType.LARGE_PRINT.value in set(adjustment_types)
