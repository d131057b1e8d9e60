"""Letters: filled from the case, edited by the officer, checked, kept, rendered and sent.

A letter is stored once, as sent (Code 5.12): its items in ``Correspondence.details`` and its
full text in ``body``. Only the delivery columns change afterwards, by one conditional update, so a
letter is sent (or marked for the post room) exactly once even when two officers press send.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from backend.api.letters_schemas import LetterItemOut, LetterOut
from backend.db.models import Complaint, ComplaintDefinition, Conversation, Correspondence, Resident, StaffUser
from backend.documents import Document, Heading, Para, to_html
from backend.domain import letters as L
from backend.domain.calendar import WorkingCalendar
from backend.domain.complaints import Status, stage_of
from backend.domain.deadlines import StageDates, stage_deadlines
from backend.domain.letters import LetterKind, LetterSpec
from backend.domain.messaging import render_reply, whatsapp_window_open
from backend.domain.rules import RuleViolation
from backend.hub import store
from backend.services.context import CaseContext
from backend.services.records import record_event

#: Chat channels a letter can go out on; the order breaks ties after the resident's preference.
CHAT_CHANNELS = ("webchat", "sms", "whatsapp", "telegram")
Fact = str | dt.date | None


# -- filling from the case --------------------------------------------------------------------------


def definition_text(d: ComplaintDefinition | None) -> str:
    """The complaint as the resident will read it back (Code 5.6/5.7)."""
    if d is None:
        return ""
    text = f"What you told us went wrong:\n{L.bullet_lines(d.points)}\nWhat you would like to happen:\n{L.bullet_lines(d.outcomes)}"
    if d.landlord_responsible:
        text += f"\nWhat we are responsible for: {d.landlord_responsible}"
    if d.not_landlord_responsible:
        text += f"\nWhat we are not responsible for: {d.not_landlord_responsible}"
    return text


def _responsibility(d: ComplaintDefinition) -> str:
    parts = []
    if d.landlord_responsible:
        parts.append(f"We are responsible for: {d.landlord_responsible}")
    if d.not_landlord_responsible:
        parts.append(f"We are not responsible for: {d.not_landlord_responsible}")
    return "\n".join(parts)


def _recipient(r: Resident) -> str:
    return "\n".join(x for x in (r.name, r.address, r.postcode) if x and x.strip())


def _staff_name(session: Session, user_id: int | None) -> str:
    user = session.get(StaffUser, user_id) if user_id else None
    return user.name if user else ""


def _stage(c: Complaint) -> int:
    status = Status(c.status)
    if status is Status.CLOSED and c.stage2_requested_on is not None:
        return 2
    return stage_of(status, declined_at_stage=c.declined_at_stage)


def _respond_by(ctx: CaseContext, cal: WorkingCalendar, c: Complaint, stage: int) -> dt.date | None:
    """The response date an acknowledgement states: the case's, or (in a draft before it is
    acknowledged) the date acknowledging today would give."""
    acknowledged = c.stage1_acknowledged_on if stage == 1 else c.stage2_acknowledged_on
    received = c.received_on if stage == 1 else c.stage2_requested_on
    if received is None:
        return None
    extended = c.stage1_extended_to if stage == 1 else c.stage2_extended_to
    dates = StageDates(received, acknowledged or ctx.today(), extended)
    return stage_deadlines(cal, ctx.profile.stage(stage), dates).respond_by


def _text(value: Fact) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return L.long_date(value)
    return str(value)


def fill(session: Session, ctx: CaseContext, c: Complaint, s: LetterSpec, **facts: Fact) -> dict[str, str]:
    """Every item the case can fill; ``facts`` are what the command brings (a new date, the reasons)."""
    stage = s.stage or _stage(c)
    d = c.definitions[-1] if c.definitions else None
    values: dict[str, str] = {
        "reference": c.reference,
        "date": L.long_date(ctx.today()),
        "recipient": _recipient(c.resident),
        "handler": _staff_name(session, c.stage1_handler_id if stage == 1 else c.stage2_handler_id),
        "ombudsman": L.ombudsman_text(s),
        "escalation": L.ombudsman_text(s),
        "stage": f"Stage {stage}" + (" (final response)" if stage == 2 else ""),
        "definition": definition_text(d),
    }
    if d is not None and d.stage == stage:  # a stage 2 acknowledgement sets out what was escalated (6.11)
        values.update(points=L.bullet_lines(d.points), outcomes=L.bullet_lines(d.outcomes), responsibility=_responsibility(d))
    if s.kind in (LetterKind.STAGE1_ACKNOWLEDGEMENT, LetterKind.STAGE2_ACKNOWLEDGEMENT) and "respond_by" not in facts:
        facts["respond_by"] = _respond_by(ctx, ctx.calendar(session), c, stage)
    values.update({k: _text(v) for k, v in facts.items()})
    return {k: v for k, v in values.items() if s.item(k) is not None}


def wants_large_print(resident: Resident) -> bool:
    return L.large_print_wanted(a.type for a in resident.adjustments)


# -- documents ---------------------------------------------------------------------------------------


def document(s: LetterSpec, values: Mapping[str, str], large_print: bool) -> Document:
    """The letter as a document (HTML and PDF render the same blocks)."""
    blocks: list[Heading | Para] = []
    if values.get("recipient"):
        blocks.append(Para(values["recipient"]))
    blocks.append(Para(f"Our reference: {values.get('reference', '')}\nDate: {values.get('date', '')}"))
    blocks.append(Para(L.salutation(values)))
    for sec in L.sections(s, values):
        if sec.heading:
            blocks.append(Heading(sec.heading))
        blocks.append(Para(sec.text))
    blocks.append(Para(L.sign_off(values)))
    return Document(title=s.title, blocks=blocks, large_print=large_print)


def stored_document(session: Session, n: Correspondence, large_print: bool) -> Document:
    """A stored letter's document: from its items, or (a notice written before letters had items)
    from its text, paragraph by paragraph."""
    s = _spec_of(n)
    values = _stored_values(n, s, _reference(session, n))
    if s is not None and values is not None:
        return document(s, values, large_print)
    return Document(title=title_of(n), blocks=[Para(p) for p in n.body.split("\n\n") if p.strip()], large_print=large_print)


def _spec_of(n: Correspondence) -> LetterSpec | None:
    try:
        return L.spec(n.kind)
    except ValueError:
        return None


#: Detail keys a letter prepared elsewhere may use for an item (casework's action update).
_ALIASES = {"action": "description", "update": "resident_update"}


def _stored_values(n: Correspondence, s: LetterSpec | None, reference: str) -> dict[str, str] | None:
    """The stored items, when the details hold this kind's required items; otherwise None.

    The reference and date are the letter's own, when its details do not repeat them."""
    if s is None:
        return None
    details = n.details or {}
    values = {i.key: details[i.key] for i in s.items if isinstance(details.get(i.key), str)}
    for key, alias in _ALIASES.items():
        if s.item(key) is not None and key not in values and isinstance(details.get(alias), str):
            values[key] = details[alias]
    values.setdefault("reference", reference)
    values.setdefault("date", L.long_date(n.created_at.date()) if n.created_at else "")
    if L.missing(s, values):
        return None
    return {i.key: values.get(i.key, "") for i in s.items}


def _reference(session: Session, n: Correspondence) -> str:
    return session.scalar(select(Complaint.reference).where(Complaint.id == n.complaint_id)) or ""


def title_of(n: Correspondence) -> str:
    s = _spec_of(n)
    return s.title if s else n.kind.replace("_", " ").capitalize()


def items_out(s: LetterSpec, values: Mapping[str, str]) -> list[LetterItemOut]:
    return [
        LetterItemOut(key=i.key, label=i.label, required=i.required, value=values.get(i.key, ""), editable=i.editable, provision=i.provision) for i in s.items
    ]


# -- preparing (the commands call this) ----------------------------------------------------------------


def compose(
    session: Session, ctx: CaseContext, c: Complaint, kind: LetterKind, edits: Mapping[str, str] | None = None, **facts: Fact
) -> tuple[LetterSpec, dict[str, str]]:
    """Fill the letter from the case and the command and apply the officer's edits; refused (422,
    naming each) while a required item is empty. Nothing is stored yet."""
    s = L.spec(kind)
    values = L.merge(s, fill(session, ctx, c, s, **facts), edits)
    L.check(s, values)
    return s, values


def keep(
    session: Session, ctx: CaseContext, c: Complaint, s: LetterSpec, values: dict[str, str], actor: str, edits: Mapping[str, str] | None = None
) -> Correspondence:
    """Store the letter as it will be sent: its items and its full text (Code 5.12)."""
    n = Correspondence(
        complaint_id=c.id,
        kind=s.kind.value,
        body=L.plain_text(s, values),
        details=values,
        signposting_version=L.signposting_version(s),
        created_by=actor,
        created_at=ctx.now(),
        large_print=wants_large_print(c.resident),
        delivery_status="prepared",
    )
    session.add(n)
    session.flush()
    edited = sorted(k for k in (edits or {}) if (i := s.item(k)) is not None and i.editable)
    record_event(session, "correspondence_prepared", actor, complaint_id=c.id, kind=s.kind.value, correspondence_id=n.id, edited_items=edited)
    return n


def prepare(
    session: Session,
    ctx: CaseContext,
    c: Complaint,
    kind: LetterKind,
    actor: str,
    edits: Mapping[str, str] | None = None,
    **facts: Fact,
) -> Correspondence:
    """Compose and keep in one step (for a letter whose command has nothing left to refuse)."""
    s, values = compose(session, ctx, c, kind, edits, **facts)
    return keep(session, ctx, c, s, values, actor, edits)


def check_kind_fits(c: Complaint, s: LetterSpec) -> None:
    """A stage 2 letter is for a case at stage 2, and so on (409 otherwise)."""
    if s.stage is not None and s.stage != _stage(c):
        raise RuleViolation(
            "letter_wrong_stage",
            "state",
            f"complaint {c.reference} is at stage {_stage(c)}: a {s.kind.value.replace('_', ' ')} letter does not fit it",
            kind="conflict",
        )


def draft(
    session: Session, ctx: CaseContext, c: Complaint, kind: LetterKind, edits: Mapping[str, str] | None, **facts: Fact
) -> tuple[LetterSpec, dict[str, str]]:
    s = L.spec(kind)
    check_kind_fits(c, s)
    return s, L.merge(s, fill(session, ctx, c, s, **facts), edits)


# -- reading -------------------------------------------------------------------------------------------


def get(session: Session, letter_id: int) -> Correspondence:
    from backend.services.complaints import NotFound  # complaints imports this module: import at call time

    n = session.get(Correspondence, letter_id)
    if n is None:
        raise NotFound(f"no letter {letter_id}")
    return n


def large_print_for(session: Session, n: Correspondence, asked: bool | None) -> bool:
    """Large print when asked, or else when the letter was prepared in it or the resident's
    adjustments now ask for it."""
    if asked is not None:
        return asked
    c = session.get(Complaint, n.complaint_id)
    return bool(n.large_print) or (c is not None and wants_large_print(c.resident))


def letter_out(session: Session, n: Correspondence, large_print: bool | None = None) -> LetterOut:
    c = session.get(Complaint, n.complaint_id)
    assert c is not None
    s = _spec_of(n)
    values = _stored_values(n, s, c.reference)
    lp = large_print_for(session, n, large_print)
    return LetterOut(
        id=n.id,
        reference=c.reference,
        kind=n.kind,
        title=title_of(n),
        items=items_out(s, values) if s is not None and values is not None else [],
        body=n.body,
        html=to_html(stored_document(session, n, lp)),
        large_print=lp,
        delivery=n.delivery,
        delivery_status=n.delivery_status or "prepared",
        delivered_at=n.delivered_at,
        delivered_by=n.delivered_by,
        created_at=n.created_at,
    )


# -- sending -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelSend:
    conversation_id: int
    channel: str
    message_ids: list[int]


def _already(n: Correspondence) -> RuleViolation:
    how = {"sent": f"sent on {n.delivery}", "to_post": "marked for post", "to_email": "marked for email"}.get(n.delivery_status, n.delivery_status)
    when = f" on {n.delivered_at:%d %B %Y at %H:%M}" if n.delivered_at else ""
    return RuleViolation("letter_already_sent", "state", f"letter {n.id} was already {how}{when}: it is not sent twice", kind="conflict")


def _claim(session: Session, n: Correspondence, *, status: str, delivery: str, actor: str, now: dt.datetime) -> None:
    """Mark the letter sent or for the post room, once: a conditional update, so a second press (or a
    second officer) gets a 409 rather than a second letter."""
    done = session.execute(
        update(Correspondence)
        .where(Correspondence.id == n.id, or_(Correspondence.delivery_status == "prepared", Correspondence.delivery_status.is_(None)))
        .values(delivery_status=status, delivery=delivery, delivered_at=now, delivered_by=actor)
        .execution_options(synchronize_session=False)
    )
    session.refresh(n)
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise _already(n)


def _conversation_for(session: Session, resident: Resident, now: dt.datetime) -> Conversation:
    """The resident's open conversation a letter can go out on: their preferred channel first, then
    the one they used last. Not a chat they stopped (STOP), nor WhatsApp outside its 24-hour window."""
    convs = session.scalars(
        select(Conversation).where(Conversation.resident_id == resident.id, Conversation.status == "open", Conversation.channel.in_(CHAT_CHANNELS))
    ).all()
    usable = [cv for cv in convs if not cv.opted_out and not (cv.channel == "whatsapp" and not whatsapp_window_open(cv.last_inbound_at, now))]
    if not usable:
        why = (
            "their open conversations cannot take it now (they replied STOP, or WhatsApp's 24-hour window has closed)"
            if convs
            else "they have no open conversation on web chat, SMS, WhatsApp or Telegram"
        )
        raise RuleViolation(
            "no_open_conversation", "state", f"the letter cannot be sent on a chat channel: {why}. Mark it for post or email instead", kind="conflict"
        )
    preferred = resident.preferred_contact_method

    def rank(cv: Conversation) -> tuple[int, float, int]:
        last = cv.last_inbound_at or cv.created_at
        return (0 if cv.channel == preferred else 1, -(last.timestamp() if last else 0.0), -cv.id)

    return sorted(usable, key=rank)[0]


def send_on_channel(session: Session, letter_id: int, actor: str, now: dt.datetime) -> ChannelSend:
    """Store the letter as outbound messages on the resident's conversation (split by the channel's
    rules) and mark it sent, in one transaction; the hub delivers the messages after it commits."""
    n = get(session, letter_id)
    if n.delivery_status not in (None, "prepared"):
        raise _already(n)
    c = session.get(Complaint, n.complaint_id)
    assert c is not None
    conv = _conversation_for(session, c.resident, now)
    _claim(session, n, status="sent", delivery=conv.channel, actor=actor, now=now)
    text = f"{title_of(n)}\n\n{n.body}"
    ids = [store.record_outbound(session, conv.id, "system", part, {"letter_id": n.id}, now).id for part, _ in render_reply(conv.channel, text, [], None)]
    record_event(
        session,
        "letter_sent",
        actor,
        complaint_id=c.id,
        correspondence_id=n.id,
        kind=n.kind,
        channel=conv.channel,
        conversation_id=conv.id,
        message_ids=ids,
    )
    return ChannelSend(conv.id, conv.channel, ids)


def mark_for(session: Session, letter_id: int, route: str, actor: str, now: dt.datetime) -> Correspondence:
    """Mark the letter for the post room to post or email (the large-print flag tells them which PDF)."""
    n = get(session, letter_id)
    if n.delivery_status not in (None, "prepared"):
        raise _already(n)
    c = session.get(Complaint, n.complaint_id)
    assert c is not None
    _claim(session, n, status=f"to_{route}", delivery=route, actor=actor, now=now)
    on_record = bool(c.resident.address) if route == "post" else bool(c.resident.email)
    record_event(
        session,
        "letter_marked",
        actor,
        complaint_id=c.id,
        correspondence_id=n.id,
        kind=n.kind,
        route=route,
        large_print=large_print_for(session, n, None),
        **({"address_on_record": on_record} if route == "post" else {"email_on_record": on_record}),
    )
    return n
