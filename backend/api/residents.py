"""A resident's record for staff: needs and adjustments first (Code 5.10)."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import CtxDep, SessionDep, StaffDep
from backend.api.schemas import ResidentOut
from backend.db.models import Resident
from backend.services.complaints import NotFound
from backend.services.residents import resident_out

router = APIRouter(prefix="/api/v1/residents", tags=["residents"])


@router.get("/{resident_id}", response_model=ResidentOut)
def get_resident(resident_id: int, session: SessionDep, ctx: CtxDep, _: StaffDep) -> ResidentOut:
    r = session.get(Resident, resident_id)
    if r is None:
        raise NotFound(f"no resident {resident_id}")
    return resident_out(r, ctx.today())
