"""Request and response shapes for letters: drafts, previews, the stored letter and sending it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from backend.domain.letters import LetterKind

#: An officer's edits to a letter's items: item key → the text as it should read.
LetterEdits = Annotated[
    dict[Annotated[str, StringConstraints(min_length=1, max_length=40)], Annotated[str, StringConstraints(max_length=20000)]],
    Field(max_length=30, description="Edited letter items (key → text); items left out keep the text filled from the case"),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftIn(_Strict):
    kind: LetterKind
    new_due: dt.date | None = Field(default=None, description="For an extension letter: the new response date being proposed")


class PreviewIn(_Strict):
    kind: LetterKind
    items: LetterEdits = Field(default_factory=dict)
    new_due: dt.date | None = Field(default=None, description="For an extension letter: the new response date being proposed")


class LetterItemOut(BaseModel):
    key: str
    label: str
    required: bool
    value: str
    editable: bool
    provision: str | None


class DraftOut(BaseModel):
    kind: str
    title: str
    large_print: bool
    items: list[LetterItemOut]
    missing: list[str]
    html: str


class PreviewOut(BaseModel):
    html: str
    missing: list[str]
    large_print: bool


class LetterOut(BaseModel):
    id: int
    reference: str
    kind: str
    title: str
    items: list[LetterItemOut]
    body: str
    html: str
    large_print: bool
    delivery: str | None
    delivery_status: str
    delivered_at: dt.datetime | None
    delivered_by: str | None
    created_at: dt.datetime


class SendIn(_Strict):
    route: Literal["channel", "post", "email"]


class SendOut(LetterOut):
    conversation_id: int | None = None
    message_statuses: list[str] = Field(default_factory=list, description="Each part's hub status: sent, pending (delivered when the chat reconnects)…")
