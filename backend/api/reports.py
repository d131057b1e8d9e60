"""Reports for managers: TSM CH01/CH02, the complaints summary, CSV exports, the draft annual
report (Code 8.1), the homes count per reporting year, and the /reports page.

Every figure comes from the record: the year's counts from the report tallies kept in step with
it (``services.reports_tallies``), the rest from the complaints. ``/reconcile`` rebuilds the same
figures from the events alone, recounts the tallies, and says where anything differs.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response, StreamingResponse

from backend.api.console import HEADERS, WEB
from backend.api.deps import CtxDep, ManagerDep, SessionDep
from backend.api.reports_schemas import HomesIn, ReconcileOut, ReportingYearOut, SummaryOut, YearsOut
from backend.api.schemas import TsmOut
from backend.db.models import ReportingYear
from backend.documents import to_html, to_pdf
from backend.domain import reports as rules
from backend.services import reports, reports_export, reports_rebuild, reports_tallies
from backend.services.context import CaseContext

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

YEAR_DESCRIPTION = "The reporting year's first year: 2026 is April 2026 to March 2027 (default: the current year)"
YearQ = Annotated[int | None, Query(ge=2024, le=2099, description=YEAR_DESCRIPTION)]
HomesQ = Annotated[int | None, Query(ge=1, le=10_000_000, description="Homes owned in that year (default: the count stored for the year)")]


def _year(ctx: CaseContext, year: int | None) -> int:
    return year if year is not None else rules.year_of(ctx.today())


def _year_out(row: ReportingYear) -> ReportingYearOut:
    first, last = rules.reporting_year(row.year)
    return ReportingYearOut(
        year=row.year,
        label=rules.year_label(row.year),
        period_start=first,
        period_end=last,
        homes=row.homes,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def _summary_out(s: rules.Summary) -> SummaryOut:
    first, last = rules.reporting_year(s.year)
    fields = {f.name: getattr(s, f.name) for f in dataclasses.fields(s)}
    fields |= {"year": rules.year_label(s.year), "period_start": first, "period_end": last}
    return SummaryOut.model_validate(fields, from_attributes=True)


@router.get("/years", response_model=YearsOut)
def years(session: SessionDep, ctx: CtxDep, _: ManagerDep) -> YearsOut:
    """The reporting years with a homes count stored, and the year today falls in."""
    today = ctx.today()
    return YearsOut(today=today, current_year=rules.year_of(today), years=[_year_out(r) for r in reports.list_years(session)])


@router.put("/years/{year}", response_model=ReportingYearOut)
def set_homes(
    year: Annotated[int, Path(ge=2024, le=2099, description="The reporting year's first year")],
    data: HomesIn,
    session: SessionDep,
    ctx: CtxDep,
    who: ManagerDep,
) -> ReportingYearOut:
    """Store (or correct) the homes owned in a reporting year, used for CH01 when no ``homes`` is given."""
    return _year_out(reports.set_homes(session, ctx, year, data.homes, who.actor))


@router.get("/tsm", response_model=TsmOut)
def tenant_satisfaction_measures(session: SessionDep, ctx: CtxDep, _: ManagerDep, year: YearQ = None, homes: HomesQ = None) -> TsmOut:
    """CH01 (stage 1 and stage 2 complaints per 1,000 homes) and CH02 (% responded to within the Code's
    timescales, in both readings), from the report tallies kept in step with the record."""
    return reports.tsm(session, _year(ctx, year), homes)


@router.get("/summary", response_model=SummaryOut)
def summary(
    session: SessionDep,
    ctx: CtxDep,
    _: ManagerDep,
    year: YearQ = None,
    learning_limit: Annotated[int, Query(ge=0, le=1000, description="How many of the newest learning log entries to include")] = 50,
) -> SummaryOut:
    """Volumes by category, channel, outcome and stage; declined and why (Code 8.1); time to
    acknowledge and respond in working days; overdue now; the learning log (Code 9.1)."""
    return _summary_out(reports.summary(session, ctx, _year(ctx, year), learning_limit))


def _attachment(body: str | bytes, media_type: str, name: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


#: Learning log entries read with the summary, before the response starts; the rest follow in pages.
CSV_FIRST_ENTRIES = 2000


@router.get("/summary.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def summary_csv(request: Request, session: SessionDep, ctx: CtxDep, _: ManagerDep, year: YearQ = None) -> Response:
    """The summary's tables and the whole learning log, for a spreadsheet.

    The tables and the newest entries are read in the request's transaction; a longer log follows
    page by page while the file is sent, each page in a short transaction of its own (the request's
    session, and SQLite's write lock, end with the handler), so the download starts at once however
    long the log is.
    """
    y = _year(ctx, year)
    s = reports.summary(session, ctx, y, learning_limit=CSV_FIRST_ENTRIES)
    learning: Iterable[rules.Learned] = s.learning
    if len(s.learning) == CSV_FIRST_ENTRIES:
        last = s.learning[-1]
        learning = itertools.chain(s.learning, reports.learning_pages(request.app.state.sessionmaker, y, (last.closed_on, last.reference)))
    body = reports_export.summary_csv_chunks(s, learning)
    name = reports_export.filename("complaints-summary", y, "csv")
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return StreamingResponse(body, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/tsm.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def tsm_csv(session: SessionDep, ctx: CtxDep, _: ManagerDep, year: YearQ = None, homes: HomesQ = None) -> Response:
    y = _year(ctx, year)
    return _attachment(reports_export.tsm_csv(reports.tsm(session, y, homes)), "text/csv; charset=utf-8", reports_export.filename("tsm", y, "csv"))


@router.get("/annual", response_class=Response, responses={200: {"content": {"text/html": {}, "application/pdf": {}}}})
def annual(
    session: SessionDep,
    ctx: CtxDep,
    _: ManagerDep,
    year: YearQ = None,
    format: Annotated[Literal["html", "pdf"], Query(description="html or pdf")] = "html",
    homes: HomesQ = None,
) -> Response:
    """The draft annual complaints performance and service improvement report (Code 8.1), with the
    sections only the landlord can write (self-assessment, the governing body's response) marked as drafts."""
    y = _year(ctx, year)
    s = reports.summary(session, ctx, y, learning_limit=reports_export.ANNUAL_LEARNING_ENTRIES)
    stored = homes is not None or session.get(ReportingYear, y) is not None
    tsm = reports.tsm(session, y, homes) if stored else None
    doc = reports_export.annual_report(s, tsm, s.learning)
    name = reports_export.filename("annual-complaints-report", y, format)
    if format == "pdf":
        return _attachment(to_pdf(doc), "application/pdf", name)
    return HTMLResponse(to_html(doc), headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})


@router.get("/reconcile", response_model=ReconcileOut)
def reconcile(session: SessionDep, ctx: CtxDep, _: ManagerDep, year: YearQ = None) -> ReconcileOut:
    """Rebuild every complaint's facts and the year's figures from the events alone, and compare
    them with the record; recount the report tallies from the record and compare them with those
    stored. Slower than the reports (it replays every event): a check, not a report."""
    y = _year(ctx, year)
    from_record = {c.reference: c for c in reports.case_facts(session)}
    from_events = {c.reference: c for c in reports_rebuild.case_facts(session, ctx)}
    differences = [f"{ref}: in the record but no complaint_received event" for ref in sorted(from_record.keys() - from_events.keys())]
    differences += [f"{ref}: in the events but not in the record" for ref in sorted(from_events.keys() - from_record.keys())]
    for ref in sorted(from_record.keys() & from_events.keys()):
        a, b = from_record[ref], from_events[ref]
        differences += [
            f"{ref}: {f.name} is {getattr(a, f.name)!r} in the record, {getattr(b, f.name)!r} from events"
            for f in dataclasses.fields(a)
            if getattr(a, f.name) != getattr(b, f.name)
        ]
    differences += reports_tallies.differences(session)
    record_summary = _summary_out(reports.summary(session, ctx, y, learning_limit=None))
    events_summary = _summary_out(reports_rebuild.summary(session, ctx, y, learning_limit=None))
    for key, value in record_summary.model_dump().items():
        if value != events_summary.model_dump()[key]:
            differences.append(f"summary {key} differs")
    return ReconcileOut(year=rules.year_label(y), complaints=len(from_events), matches=not differences, differences=differences)


# -- the page ---------------------------------------------------------------------------------------

pages = APIRouter(include_in_schema=False)
STATIC = {"reports.js": "text/javascript", "reports.css": "text/css"}


@pages.get("/reports")
def reports_page() -> Response:
    """The managers' reports page (login with a manager account; the data comes from the API)."""
    return FileResponse(WEB / "reports.html", media_type="text/html", headers=HEADERS)


@pages.get("/reports/static/{name}")
def reports_static(name: str) -> Response:
    if name not in STATIC:
        return Response(status_code=404)
    return FileResponse(WEB / name, media_type=STATIC[name], headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})
