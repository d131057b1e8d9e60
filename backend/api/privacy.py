"""Residents' data rights for managers: a subject-access export, and the retention run that
anonymises records after the retention period (keeping every statistic).

Managers only: an export is everything held on a person, and erasure cannot be undone. Both are
recorded as events (who, when, how much), never with the contents.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from backend.api.deps import CtxDep, ManagerDep, SessionDep, get_settings_dep
from backend.api.schemas import Strict
from backend.db.models import Resident
from backend.services import retention
from backend.services.complaints import NotFound
from backend.services.rasa_trackers import TrackerEraser
from backend.services.subject_access import subject_access
from backend.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["privacy"])


class RetentionStatus(BaseModel):
    retention_years: int
    due: bool
    anonymise_on: dt.date | None
    reason: str


class SubjectAccessOut(BaseModel):
    """Every row held on the resident, each with all its columns; events sit under their complaint or
    service request, the rest at the top."""

    resident_id: int
    generated_at: dt.datetime
    generated_by: str
    counts: dict[str, int]
    resident: dict[str, Any]
    identities: list[dict[str, Any]]
    adjustments: list[dict[str, Any]]
    disclosed_needs: list[str]
    representatives: list[dict[str, Any]]
    contact_restrictions: list[dict[str, Any]]
    complaints: list[dict[str, Any]]
    service_requests: list[dict[str, Any]]
    conversations: list[dict[str, Any]]
    complaint_offers: list[dict[str, Any]]
    handoffs: list[dict[str, Any]]
    events: list[dict[str, Any]]
    retention: RetentionStatus


class RetentionRunIn(Strict):
    dry_run: bool = Field(default=True, description="Only say what would be anonymised (the default: erasing needs dry_run false)")
    limit: int = Field(default=500, ge=1, le=10_000, description="At most this many residents in this run (the rest are counted in more_due)")


class RetentionRunOut(BaseModel):
    dry_run: bool
    retention_years: int
    today: dt.date
    checked: int = Field(description="Residents on the record")
    anonymised: list[int] = Field(description="Residents anonymised (or, in a dry run, that would be), by id")
    kept_open: int = Field(description="Residents kept because something on their record is still open")
    not_yet_due: int
    already_anonymised: int
    more_due: int = Field(description="Due, but beyond this run's limit")
    counts: dict[str, int] = Field(description="Rows changed (or that would be), by kind")


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ResidentId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get(
    "/residents/{resident_id}/subject-access",
    response_model=SubjectAccessOut,
    responses={200: {"description": "A JSON download (Content-Disposition: attachment)"}},
)
def export(resident_id: ResidentId, session: SessionDep, ctx: CtxDep, settings: SettingsDep, who: ManagerDep) -> JSONResponse:
    """Everything held on one resident (UK GDPR Art. 15), as a JSON download; recorded as ``subject_access_export``."""
    resident = session.get(Resident, resident_id)
    if resident is None:
        raise NotFound(f"no resident {resident_id}")
    document = subject_access(session, ctx, resident, who.actor, settings.retention_years)
    name = f"subject-access-resident-{resident_id}-{ctx.today().isoformat()}.json"
    return JSONResponse(document, headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.post("/privacy/retention/run", response_model=RetentionRunOut)
def run_retention(data: RetentionRunIn, session: SessionDep, ctx: CtxDep, settings: SettingsDep, who: ManagerDep) -> RetentionRunOut:
    """Anonymise every resident whose record is past the retention period (``RETENTION_YEARS``, default 6
    years after the last activity) and has nothing open; ``dry_run`` (the default) only counts.
    Recorded as ``retention_run``; each record anonymised as ``resident_anonymised``."""
    trackers = TrackerEraser(settings.rasa_tracker_database_url) if settings.rasa_tracker_database_url else None
    result = retention.run(session, ctx, settings.retention_years, who.actor, dry_run=data.dry_run, limit=data.limit, trackers=trackers)
    return RetentionRunOut(**dataclasses.asdict(result))
