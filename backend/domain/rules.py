"""How a broken rule is reported: the same exception for the API (409/422) and, later, the UI."""

from __future__ import annotations


class RuleViolation(Exception):
    """A command the Complaint Handling Code (or the case's state) does not allow.

    ``provision`` names the Code provision ("5.6", "6.13"...) or "state" for a wrong-order step;
    ``kind`` is "conflict" when the case is in the wrong state (HTTP 409) and "invalid" when the
    command itself is missing something the rule needs (HTTP 422).
    """

    def __init__(self, code: str, provision: str, message: str, kind: str = "invalid") -> None:
        super().__init__(message)
        self.code = code
        self.provision = provision
        self.message = message
        self.kind = kind

    @property
    def rule(self) -> str:
        return "state machine" if self.provision == "state" else f"Code {self.provision}"

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "rule": self.rule, "detail": self.message}


def require_text(value: str | None, code: str, provision: str, what: str) -> str:
    """Non-blank text or a RuleViolation that says what is missing and why the Code wants it."""
    text = (value or "").strip()
    if not text:
        raise RuleViolation(code, provision, f"{what} (Code {provision})")
    return text
