"""Residents, their adjustments and disclosed needs, and the people who act for them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.api.schemas import AdjustmentOut, ContactRestrictionOut, RepresentativeIn, RepresentativeOut, ResidentIn, ResidentOut
from backend.db.models import ContactIdentity, Conversation, ReasonableAdjustment, Representative, Resident
from backend.domain.adjustments import default_review_date, due_for_review
from backend.domain.representatives import AuthorityStatus
from backend.domain.rules import RuleViolation
from backend.services.records import record_event


def normalise_postcode(postcode: str | None) -> str | None:
    return postcode.replace(" ", "").upper() if postcode else None


def _find_by_identity(session: Session, data: ResidentIn) -> Resident | None:
    for ident in data.identities:
        resident = session.scalar(
            select(Resident).join(ContactIdentity).where(ContactIdentity.channel == ident.channel, ContactIdentity.address == ident.address)
        )
        if resident:
            return resident
    return None


def _fill_in(resident: Resident, data: ResidentIn, *, overwrite: bool) -> dict[str, str]:
    """Set empty fields (all fields on a new record); return the ones that differ from the record."""
    differs: dict[str, str] = {}
    fields = ("name", "address", "tenancy_ref", "email", "phone", "preferred_contact_method", "contact_times", "postcode")
    for field in fields:
        value = getattr(data, field)
        if not value:
            continue
        current = getattr(resident, field)
        if not current or overwrite:
            setattr(resident, field, value)
            if field == "postcode":
                resident.postcode_norm = normalise_postcode(value)
        elif str(current).strip().lower() != str(value).strip().lower():
            differs[field] = value
    return differs


def upsert_resident(session: Session, data: ResidentIn, actor: str, today: dt.date) -> Resident:
    """Find the resident by a known channel identity, or create them.

    An existing record is filled in, never overwritten: details that differ from the record are
    kept in the event for staff to check, so a message on a shared phone or a typo cannot replace
    a resident's name, contact details or needs.
    """
    if data.disclosed_needs and not data.consent_to_record_needs:
        raise RuleViolation(
            "needs_consent_required",
            "5.10",
            "disclosed disabilities or vulnerabilities can only be recorded with the resident's consent to record them (consent_to_record_needs)",
        )
    resident = _find_by_identity(session, data)
    created = resident is None
    if resident is None:
        try:
            with session.begin_nested():
                resident = Resident(name=data.name, disclosed_needs=[])
                session.add(resident)
                resident.identities.extend(ContactIdentity(channel=i.channel, address=i.address) for i in data.identities)
                session.flush()
        except IntegrityError:  # the same identity was created by a concurrent message: use that record
            resident = _find_by_identity(session, data)
            if resident is None:
                raise
            created = False
    differs = _fill_in(resident, data, overwrite=created)
    if data.consent_to_record_needs and data.disclosed_needs:
        resident.consent_to_record_needs = True
        resident.disclosed_needs = list(dict.fromkeys([*(resident.disclosed_needs or []), *data.disclosed_needs]))
    known = {(i.channel, i.address) for i in resident.identities}
    for ident in data.identities:
        if (ident.channel, ident.address) not in known:
            resident.identities.append(ContactIdentity(channel=ident.channel, address=ident.address))
    session.flush()
    link_conversations(session, resident)
    for adj in data.adjustments:
        resident.adjustments.append(
            ReasonableAdjustment(type=adj.type.value, detail=adj.detail, agreed=adj.agreed, review_on=adj.review_on or default_review_date(today))
        )
    session.flush()
    record_event(
        session,
        "resident_created" if created else "resident_updated",
        actor,
        resident_id=resident.id,
        adjustments_added=[a.type.value for a in data.adjustments],
        needs_disclosed=len(data.disclosed_needs),
        details_to_check=differs,
    )
    return resident


def add_representative(session: Session, resident: Resident, data: RepresentativeIn, actor: str) -> Representative:
    rep = Representative(
        resident_id=resident.id,
        name=data.name,
        relationship_to_resident=data.relationship.value,
        organisation=data.organisation,
        contact=data.contact,
        authority_status=AuthorityStatus.PENDING.value,
    )
    session.add(rep)
    session.flush()
    record_event(
        session,
        "representative_added",
        actor,
        resident_id=resident.id,
        representative_id=rep.id,
        relationship=rep.relationship_to_resident,
        authority_status="pending",
    )
    return rep


def decide_authority(session: Session, rep: Representative, status: str, method: str, actor_id: int, actor: str, now: dt.datetime) -> Representative:
    if rep.authority_status != AuthorityStatus.PENDING.value:
        raise RuleViolation(
            "authority_already_decided",
            "state",
            f"this representative's authority is already {rep.authority_status}",
            kind="conflict",
        )
    rep.authority_status = status
    rep.authority_method = method
    rep.authority_decided_at = now
    rep.authority_decided_by = actor_id
    record_event(
        session,
        "representative_authority_decided",
        actor,
        resident_id=rep.resident_id,
        representative_id=rep.id,
        status=status,
        method=method,
    )
    return rep


def representative_out(rep: Representative) -> RepresentativeOut:
    return RepresentativeOut(
        id=rep.id,
        name=rep.name,
        relationship=rep.relationship_to_resident,
        organisation=rep.organisation,
        contact=rep.contact,
        authority_status=AuthorityStatus(rep.authority_status),
        authority_method=rep.authority_method,
        authority_decided_at=rep.authority_decided_at,
    )


def resident_out(resident: Resident, today: dt.date) -> ResidentOut:
    return ResidentOut(
        id=resident.id,
        name=resident.name,
        address=resident.address,
        postcode=resident.postcode,
        tenancy_ref=resident.tenancy_ref,
        email=resident.email,
        phone=resident.phone,
        preferred_contact_method=resident.preferred_contact_method,
        contact_times=resident.contact_times,
        disclosed_needs=list(resident.disclosed_needs or []),
        adjustments=[
            AdjustmentOut(
                id=a.id,
                type=a.type,
                detail=a.detail,
                agreed=a.agreed,
                review_on=a.review_on,
                due_for_review=due_for_review(a.review_on, today),
            )
            for a in resident.adjustments
        ],
        representatives=[representative_out(r) for r in resident.representatives],
        contact_restrictions=_contact_restrictions(resident, today),
    )


def _contact_restrictions(resident: Resident, today: dt.date) -> list[ContactRestrictionOut]:
    from backend.services.restrictions import restrictions_out  # here: it imports the complaint services, which import this module

    return restrictions_out(resident, today)


def link_conversations(session: Session, resident: Resident) -> None:
    """Join the resident's conversations to their record, whichever channel they used.

    The bot names its conversation (the hub's id for it) as an identity; that conversation is linked.
    On SMS, WhatsApp and Telegram the number or chat itself then becomes an identity too, so the next
    conversation from it is linked from its first message. A number already known for someone else
    (a shared phone) is left with them rather than moved.
    """
    addresses = {i.address for i in resident.identities}
    convs = session.scalars(select(Conversation).where(Conversation.public_id.in_(addresses))).all() if addresses else []
    for conv in convs:
        if conv.resident_id is None:
            conv.resident_id = resident.id
        if conv.channel == "webchat" or conv.resident_id != resident.id:
            continue
        taken = session.scalar(select(ContactIdentity).where(ContactIdentity.channel == conv.channel, ContactIdentity.address == conv.address))
        if taken is None:
            resident.identities.append(ContactIdentity(channel=conv.channel, address=conv.address))
    session.flush()
