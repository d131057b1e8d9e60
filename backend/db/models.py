"""The record: residents, representatives, service requests, complaints and their append-only events.

Typed SQLAlchemy 2 models. Deadlines are not stored as truth (they are derived from dates), except
``Complaint.current_due``, an index kept in step with every change so the officer queue ("what is
due or overdue, oldest first") is one indexed query at 100,000 complaints.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db.base import Base, UTCDateTime, utcnow


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # agent | officer | manager
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffSession(Base):
    """An opaque login token (only its SHA-256 is stored), revocable and expiring."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[StaffUser] = relationship()


class Resident(Base):
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    postcode: Mapped[str | None] = mapped_column(String(10))
    postcode_norm: Mapped[str | None] = mapped_column(String(10), index=True)
    tenancy_ref: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    preferred_contact_method: Mapped[str | None] = mapped_column(String(30))
    contact_times: Mapped[str | None] = mapped_column(String(200))
    # Special-category data (disability, vulnerability), only with the resident's consent to record it.
    disclosed_needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    consent_to_record_needs: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    identities: Mapped[list[ContactIdentity]] = relationship(back_populates="resident", cascade="all, delete-orphan")
    adjustments: Mapped[list[ReasonableAdjustment]] = relationship(back_populates="resident", cascade="all, delete-orphan", order_by="ReasonableAdjustment.id")
    representatives: Mapped[list[Representative]] = relationship(back_populates="resident", order_by="Representative.id")


class ContactIdentity(Base):
    """How we reach the resident on one channel (web chat id, SMS number, WhatsApp number, Telegram chat)."""

    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200))

    resident: Mapped[Resident] = relationship(back_populates="identities")


class ReasonableAdjustment(Base):
    """Code 5.10: a recorded adjustment, whether it is agreed, and when it is next reviewed."""

    __tablename__ = "reasonable_adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    type: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text, default="")
    agreed: Mapped[bool] = mapped_column(Boolean, default=False)
    review_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    resident: Mapped[Resident] = relationship(back_populates="adjustments")


class Representative(Base):
    """Someone acting for the resident, and whether their authority is confirmed (Code 1.3, 3.6)."""

    __tablename__ = "representatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    relationship_to_resident: Mapped[str] = mapped_column("relationship", String(30))
    organisation: Mapped[str | None] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(254))
    authority_status: Mapped[str] = mapped_column(String(20), default="pending")
    authority_method: Mapped[str | None] = mapped_column(String(500))
    authority_decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    authority_decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    resident: Mapped[Resident] = relationship(back_populates="representatives")


complaint_service_requests = Table(
    "complaint_service_requests",
    Base.metadata,
    Column("complaint_id", ForeignKey("complaints.id"), primary_key=True),
    Column("service_request_id", ForeignKey("service_requests.id"), primary_key=True),
)


class ServiceRequest(Base):
    """Code 1.4: a request to put something right, recorded and monitored apart from complaints.

    Shaped like Open311 (service code, description, location, status, requested/updated/expected).
    """

    __tablename__ = "service_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    service_code: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(500))
    postcode: Mapped[str | None] = mapped_column(String(10))
    access_notes: Mapped[str | None] = mapped_column(Text)
    problem_since: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    status_notes: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    resident: Mapped[Resident | None] = relationship()
    complaints: Mapped[list[Complaint]] = relationship(secondary=complaint_service_requests, back_populates="service_requests")


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_open_due", "current_due", "id"),
        # The officer's work queue (services/work_queue.py): its sort and every filter it offers, so
        # counting and paging 100,000 complaints reads this index alone, never the wide rows.
        Index(
            "ix_complaints_queue",
            "status",
            "current_due",
            "id",
            "resident_id",
            "category",
            "channel",
            "region",
            "representative_id",
            "stage1_handler_id",
            "stage2_handler_id",
            "declined_at_stage",
        ),
        # The managers' reports (services/reports.py): each grouped query selects by the day that puts
        # a case in the reporting year and reads only the columns listed after it, so a year of
        # 100,000 complaints is counted from these indexes, never the wide rows (migration 0008).
        Index("ix_reports_s1_received", "received_on", "category", "channel", "declined_at_stage", "decline_ground"),
        Index("ix_reports_s2_received", "stage2_requested_on", "category", "channel", "declined_at_stage", "decline_ground"),
        Index("ix_reports_s1_ack", "stage1_acknowledged_on", "received_on", "stage1_ack_within"),
        Index("ix_reports_s2_ack", "stage2_acknowledged_on", "stage2_requested_on", "stage2_ack_within"),
        Index(
            "ix_reports_s1_resp",
            "stage1_responded_on",
            "stage1_acknowledged_on",
            "stage1_response_within_original",
            "stage1_response_within_extended",
            "stage1_decision",
        ),
        Index(
            "ix_reports_s2_resp",
            "stage2_responded_on",
            "stage2_acknowledged_on",
            "stage2_response_within_original",
            "stage2_response_within_extended",
            "stage2_decision",
        ),
        Index("ix_reports_closed", "status", "closed_on", "stage2_requested_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    representative_id: Mapped[int | None] = mapped_column(ForeignKey("representatives.id"))
    channel: Mapped[str] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(60), index=True)
    postcode_norm: Mapped[str | None] = mapped_column(String(10), index=True)  # the queue's postcode search
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    received_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(30), default="received", index=True)
    # exclusion facts (Code 2.2/2.3), captured for the officer, never decided by the bot
    happened_on: Mapped[dt.date | None] = mapped_column(Date)
    when_described: Mapped[str | None] = mapped_column(String(500))  # "since March", in the resident's words
    aware_on: Mapped[dt.date | None] = mapped_column(Date)
    legal_proceedings: Mapped[str] = mapped_column(String(20), default="unknown")
    personal_injury: Mapped[bool] = mapped_column(Boolean, default=False)
    previously_considered_ref: Mapped[str | None] = mapped_column(String(40))
    impact: Mapped[str | None] = mapped_column(Text)
    earlier_reports: Mapped[str | None] = mapped_column(Text)
    # decline (Code 2.1, 2.4, 5.11)
    decline_ground: Mapped[str | None] = mapped_column(String(30))
    decline_reasons: Mapped[str | None] = mapped_column(Text)
    declined_at_stage: Mapped[int | None] = mapped_column(Integer)
    # stage 1
    stage1_handler_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    stage1_acknowledged_on: Mapped[dt.date | None] = mapped_column(Date)
    stage1_extended_to: Mapped[dt.date | None] = mapped_column(Date)
    stage1_extensions: Mapped[int] = mapped_column(Integer, default=0)
    stage1_responded_on: Mapped[dt.date | None] = mapped_column(Date)
    stage1_responded_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    stage1_ack_within: Mapped[bool | None] = mapped_column(Boolean)
    stage1_response_within_original: Mapped[bool | None] = mapped_column(Boolean)
    stage1_response_within_extended: Mapped[bool | None] = mapped_column(Boolean)
    # the response's decision as chosen (upheld | partly_upheld | not_upheld), for the reports (8.1)
    stage1_decision: Mapped[str | None] = mapped_column(String(20))
    # stage 2
    stage2_handler_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    stage2_requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    stage2_requested_on: Mapped[dt.date | None] = mapped_column(Date)
    stage2_acknowledged_on: Mapped[dt.date | None] = mapped_column(Date)
    stage2_extended_to: Mapped[dt.date | None] = mapped_column(Date)
    stage2_extensions: Mapped[int] = mapped_column(Integer, default=0)
    stage2_responded_on: Mapped[dt.date | None] = mapped_column(Date)
    stage2_ack_within: Mapped[bool | None] = mapped_column(Boolean)
    stage2_response_within_original: Mapped[bool | None] = mapped_column(Boolean)
    stage2_response_within_extended: Mapped[bool | None] = mapped_column(Boolean)
    stage2_decision: Mapped[str | None] = mapped_column(String(20))
    # end
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    learning: Mapped[str | None] = mapped_column(Text)
    related_to_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    # index for the officer queue; NULL when nothing is due
    current_due: Mapped[dt.date | None] = mapped_column(Date)
    policy_name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    resident: Mapped[Resident] = relationship()
    representative: Mapped[Representative | None] = relationship()
    definitions: Mapped[list[ComplaintDefinition]] = relationship(back_populates="complaint", order_by="ComplaintDefinition.id")
    service_requests: Mapped[list[ServiceRequest]] = relationship(secondary=complaint_service_requests, back_populates="complaints")
    stage1_handler: Mapped[StaffUser | None] = relationship(foreign_keys=[stage1_handler_id])
    stage2_handler: Mapped[StaffUser | None] = relationship(foreign_keys=[stage2_handler_id])


class ComplaintDefinition(Base):
    """Code 5.6/5.7: the complaint as understood, versioned; never edited in place."""

    __tablename__ = "complaint_definitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    points: Mapped[list[str]] = mapped_column(JSON)
    outcomes: Mapped[list[str]] = mapped_column(JSON)
    officer_summary: Mapped[str | None] = mapped_column(Text)
    landlord_responsible: Mapped[str | None] = mapped_column(Text)
    not_landlord_responsible: Mapped[str | None] = mapped_column(Text)
    confirmed_by_resident: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    complaint: Mapped[Complaint] = relationship(back_populates="definitions")


class Correspondence(Base):
    """Notices and responses (letters) prepared for the resident, kept in full (Code 5.12).

    ``details`` holds the letter's items as filled in; ``delivery`` says how it went or is to go
    (a chat channel, or ``post``/``email`` for the post room), set when it is sent or marked.
    """

    __tablename__ = "correspondence"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    signposting_version: Mapped[str | None] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    large_print: Mapped[bool] = mapped_column(Boolean, default=False)
    delivery: Mapped[str | None] = mapped_column(String(20))  # webchat | sms | whatsapp | telegram | post | email
    delivery_status: Mapped[str] = mapped_column(String(20), default="prepared")  # prepared | sent | to_post | to_email
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    delivered_by: Mapped[str | None] = mapped_column(String(120))


class ComplaintAction(Base):
    """A remedy or an outstanding action promised to the resident (Code 6.6, 6.17, 7.1-7.3).

    Tracked apart from the response: the answer is sent when it is known, and the actions are
    followed through afterwards, each with a due date and an update to the resident when done.
    """

    __tablename__ = "complaint_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    # apology | explanation | repair | financial | reconsider_decision | amend_records | policy_change | other
    kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    amount_pence: Mapped[int | None] = mapped_column(Integer)  # a financial remedy's amount
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | done
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    resident_update: Mapped[str | None] = mapped_column(Text)  # what the resident was told when it was done
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContactRestriction(Base):
    """Code 5.14/5.15: a proportionate restriction on contact for unacceptable behaviour, with
    reasons, regard for the Equality Act, and a review date; ended rather than deleted."""

    __tablename__ = "contact_restrictions"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    restriction: Mapped[str] = mapped_column(Text)  # e.g. "one named contact; email only"
    reasons: Mapped[str] = mapped_column(Text)
    equality_considerations: Mapped[str] = mapped_column(Text)
    review_on: Mapped[dt.date] = mapped_column(Date)
    decided_by: Mapped[str] = mapped_column(String(120))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(120))
    end_reason: Mapped[str | None] = mapped_column(Text)


class DeadlineAlert(Base):
    """A member of staff told that a case is due soon or overdue; unique, so several workers
    scanning at once still tell each person once per case, kind and due date."""

    __tablename__ = "deadline_alerts"
    __table_args__ = (
        UniqueConstraint("staff_id", "complaint_id", "kind", "due_on"),
        Index("ix_deadline_alerts_staff_read", "staff_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # due_soon | overdue
    due_on: Mapped[dt.date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ReportingYear(Base):
    """Homes owned in one TSM reporting year (April to March), the CH01 denominator; kept by managers."""

    __tablename__ = "reporting_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # 2026 = April 2026 to March 2027
    homes: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportTally(Base):
    """How many complaints share one report fact in one reporting year: the managers' reports read
    these few hundred rows instead of grouping a year of complaints (migration 0009).

    Derived, never the truth: ``backend.services.reports_tallies`` keeps them in step with the
    complaints on every flush, and ``/reports/reconcile`` recounts them from the record.
    ``key`` is the fact's values as a JSON array (e.g. ``["Repairs", "sms", null]``): one primary
    key for facts of different shapes, with "none" kept apart from "empty".
    """

    __tablename__ = "report_tallies"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    fact: Mapped[str] = mapped_column(String(12), primary_key=True)
    stage: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class Event(Base):
    """One entry in the append-only record: who did what, when, with what details (Code 5.12)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    service_request_id: Mapped[int | None] = mapped_column(ForeignKey("service_requests.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ClosureDay(Base):
    """A day the landlord is closed (e.g. 24 December), on top of bank holidays."""

    __tablename__ = "closure_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReferenceCounter(Base):
    """Per-year sequence behind references such as CMP-2026-000123."""

    __tablename__ = "reference_counters"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class IdempotencyKey(Base):
    """A create command's Idempotency-Key, so a retry returns the first record instead of a duplicate."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    resource_ref: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LookupAttempt(Base):
    """A failed attempt, kept to limit guessing: case lookups (per reference and per client) and staff logins (per email)."""

    __tablename__ = "lookup_attempts"
    __table_args__ = (Index("ix_lookup_attempts_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))  # SHA-256 of "ref:..." / "client:...", never the raw value
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ComplaintOffer(Base):
    """Code 1.3: when a resident expresses dissatisfaction they are offered the choice to complain; both are kept."""

    __tablename__ = "complaint_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    context: Mapped[str] = mapped_column(Text)  # what the resident said that showed dissatisfaction
    accepted: Mapped[bool | None] = mapped_column(Boolean)  # None while the resident has not answered
    service_request_ref: Mapped[str | None] = mapped_column(String(20))
    complaint_ref: Mapped[str | None] = mapped_column(String(20))
    offered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class HandoffRequest(Base):
    """The bot asking for a person: why, how urgent, and the conversation to pick up."""

    __tablename__ = "handoff_requests"
    __table_args__ = (Index("ix_handoff_requests_queue", "status", "priority", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(30))
    priority: Mapped[int] = mapped_column(Integer)  # 0 = most urgent
    last_message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued | claimed | handed_back | closed
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The hub's conversation (None for a conversation held straight with Rasa, e.g. in tests).
    conversation_pk: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    # What the bot had captured when it handed over (the complaint or repair draft), for the agent.
    draft: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(500))

    agent: Mapped[StaffUser | None] = relationship(foreign_keys=[claimed_by])


class HandoffKeyword(Base):
    """A word or phrase that sends a conversation to a person; managers keep the list."""

    __tablename__ = "handoff_keywords"

    id: Mapped[int] = mapped_column(primary_key=True)
    phrase: Mapped[str] = mapped_column(String(100), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Conversation(Base):
    """One resident's thread on one channel, and who owns it now: the bot, the queue or an agent.

    ``owner`` is the single field every send checks (Chatwoot's lesson: no second source of truth
    for "is the bot still talking"). ``address`` is the phone number, the Telegram chat id, or for web
    chat the SHA-256 of the browser's session token, so the token itself is never stored.
    """

    __tablename__ = "conversations"
    __table_args__ = (
        Index(
            "uq_conversations_open_address",
            "channel",
            "address",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # the Rasa sender id
    channel: Mapped[str] = mapped_column(String(20))  # webchat | sms | whatsapp | telegram
    address: Mapped[str] = mapped_column(String(200))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    owner: Mapped[str] = mapped_column(String(10), default="bot")  # bot | queue | agent
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | closed
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)  # SMS/WhatsApp STOP
    # Buttons last offered on a channel without buttons, so "2" can be mapped back to a payload.
    pending_choices: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    last_inbound_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    messages: Mapped[list[Message]] = relationship(back_populates="conversation", order_by="Message.id")


class Message(Base):
    """Every message in and out, kept before it is routed or sent, with its delivery state.

    Inbound: received → handled (the bot answered) | for_agent | ignored.
    Outbound: pending → sending → sent → delivered, or failed after the retries, or
    needs_template (WhatsApp outside its 24-hour window) or suppressed (the resident sent STOP).
    """

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "direction", "external_id"),
        Index("ix_messages_outbox", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    direction: Mapped[str] = mapped_column(String(4))  # in | out | note (staff only, never sent)
    sender: Mapped[str] = mapped_column(String(10))  # resident | bot | agent | system
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # buttons, the button pressed, media
    external_id: Mapped[str | None] = mapped_column(String(100))  # provider's id of an inbound message (dedupe)
    provider_id: Mapped[str | None] = mapped_column(String(100), index=True)  # provider's id of what we sent
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
