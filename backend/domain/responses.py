"""What a stage 1 or stage 2 response must say (Code 6.9 and 6.19); the letters check it (domain/letters.py)."""

from __future__ import annotations

from enum import StrEnum


class Decision(StrEnum):
    UPHELD = "upheld"
    PARTLY_UPHELD = "partly_upheld"
    NOT_UPHELD = "not_upheld"


_COMMON_ITEMS: list[tuple[str, str, str]] = [
    ("stage", "a", "the complaint stage"),
    ("definition", "b", "the complaint definition"),
    ("decision", "c", "the decision on the complaint"),
    ("reasons", "d", "the reasons for any decisions made"),
    ("remedy", "e", "the details of any remedy offered to put things right"),
    ("outstanding_actions", "f", "details of any outstanding actions"),
]
#: (item key, letter, what the Code requires) for each stage; the letters follow 6.9 and 6.19,
#: which differ only in where the resident escalates to next.
REQUIRED_ITEMS: dict[int, list[tuple[str, str, str]]] = {
    1: [*_COMMON_ITEMS, ("escalation", "g", "details of how to escalate the matter to stage 2")],
    2: [*_COMMON_ITEMS, ("escalation", "g", "details of how to escalate the matter to the Housing Ombudsman")],
}
