"""The reports as files: CSV for spreadsheets, and the draft annual complaints performance and
service improvement report (Code 8.1) as a ``backend.documents.Document`` (HTML or PDF).

Resident- and officer-written text (categories, learning) reaches the CSV, and a spreadsheet runs a
cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula; such cells get a leading single
quote (OWASP's advice for CSV injection), so they show as the text that was written.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator, Sequence

from backend.api.schemas import TsmOut
from backend.documents import Bullets, Document, Grid, Heading, Para
from backend.domain.reports import Learned, Split, Summary, Timeliness, reporting_year, year_label

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | None


def csv_cell(value: Cell) -> str | int | float:
    """A cell as a spreadsheet will show it: text that could start a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(rows: Iterable[Sequence[Cell]], rows_per_chunk: int = 2000) -> Iterator[str]:
    """CSV with a byte-order mark, so spreadsheet programs read it as UTF-8 (£, accents), in pieces
    of ``rows_per_chunk`` rows: a long learning log streams instead of being built whole first."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    for i, row in enumerate(rows, 1):
        writer.writerow([csv_cell(c) for c in row])
        if i % rows_per_chunk == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    if buf.tell():
        yield buf.getvalue()


def to_csv(rows: Iterable[Sequence[Cell]]) -> str:
    return "".join(csv_chunks(rows))


def filename(kind: str, year: int, ext: str) -> str:
    return f"{kind}-{year}-{(year + 1) % 100:02d}.{ext}"


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


STEP = {"acknowledge": "Acknowledge (from receipt)", "respond": "Respond (from acknowledgement)"}
TIMELINESS_HEADER = [
    "Stage",
    "Step",
    "Timescale (working days)",
    "Count",
    "Median (working days)",
    "Mean (working days)",
    "Within timescale",
    "% within timescale",
    "Within timescale incl. extensions",
    "% within incl. extensions",
]
TSM_HEADER = [
    "Stage",
    "CH01 complaints received",
    "Homes",
    "CH01 per 1,000 homes",
    "CH02 responses sent",
    "CH02 within original timescale",
    "CH02 % within original timescale",
    "CH02 within timescale incl. extensions",
    "CH02 % within timescale incl. extensions",
]


def _split_rows(rows: Sequence[Split]) -> list[list[Cell]]:
    return [[r.label, r.stage1, r.stage2] for r in rows]


def _timeliness_rows(rows: Sequence[Timeliness]) -> list[list[Cell]]:
    return [
        [
            t.stage,
            STEP[t.step],
            t.timescale_working_days,
            t.count,
            t.median_working_days,
            t.mean_working_days,
            t.within,
            t.pct_within,
            t.within_extended,
            t.pct_within_extended,
        ]
        for t in rows
    ]


def _tsm_rows(t: TsmOut) -> list[list[Cell]]:
    return [
        [s.stage, s.received, t.homes, s.per_1000_homes, s.responded, s.within_original, s.pct_within_original, s.within_extended, s.pct_within_extended]
        for s in t.stages
    ]


def summary_csv(s: Summary, learning: Iterable[Learned]) -> str:
    """Every table of the summary, one block after another, and the whole learning log."""
    return "".join(summary_csv_chunks(s, learning))


def summary_csv_chunks(s: Summary, learning: Iterable[Learned]) -> Iterator[str]:
    """``summary_csv`` in pieces: the tables first, then the learning log as it is read."""
    first, last = reporting_year(s.year)
    tables: list[list[Cell]] = [
        ["Complaints summary", year_label(s.year), f"{first.isoformat()} to {last.isoformat()}", f"overdue as at {s.today.isoformat()}"],
        [],
        ["Volumes by stage"],
        ["Stage", "Received", "Declined", "Counted (CH01)", "Responded", "Withdrawn"],
        *[[v.stage, v.received, v.declined, v.counted, v.responded, v.withdrawn] for v in s.stages],
        [],
        ["By category (complaints counted)"],
        ["Category", "Stage 1", "Stage 2"],
        *_split_rows(s.by_category),
        [],
        ["By channel (complaints counted)"],
        ["Channel", "Stage 1", "Stage 2"],
        *_split_rows(s.by_channel),
        [],
        ["By outcome (responses sent; withdrawals)"],
        ["Outcome", "Stage 1", "Stage 2"],
        *_split_rows(s.by_outcome),
        [],
        ["Declined and why (Code 8.1)"],
        ["Ground", "Stage 1", "Stage 2"],
        *_split_rows(s.declined),
        [],
        ["Time to acknowledge and respond (working days)"],
        TIMELINESS_HEADER,
        *_timeliness_rows(s.timeliness),
        [],
        [f"Overdue now ({s.today.isoformat()})"],
        ["Stage", "Acknowledgement overdue", "Response overdue", "Total"],
        *[[o.stage, o.acknowledge, o.respond, o.total] for o in s.overdue],
        [],
        [f"Learning log (Code 9.1): {s.learning_total} complaints closed in the year"],
        ["Reference", "Stage", "Closed on", "Category", "Learning"],
    ]
    log = ([e.reference, e.stage, e.closed_on.isoformat(), e.category, e.learning] for e in learning)
    return csv_chunks(itertools.chain(tables, log))


def tsm_csv(t: TsmOut) -> str:
    return to_csv([["Tenant Satisfaction Measures", t.year, f"{t.period_start.isoformat()} to {t.period_end.isoformat()}"], TSM_HEADER, *_tsm_rows(t)])


def _grid(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Grid:
    return Grid(list(header), [["" if c is None else str(c) for c in row] for row in rows])


def _learning_line(e: Learned) -> str:
    return f"{e.reference} ({e.category or 'not categorised'}, stage {e.stage}, closed {e.closed_on:%d %b %Y}): {e.learning}"


DRAFT = "DRAFT – to be completed by the landlord"
ANNUAL_LEARNING_ENTRIES = 200


def annual_report(s: Summary, tsm: TsmOut | None, learning: Sequence[Learned], landlord: str = "") -> Document:
    """The draft annual complaints performance and service improvement report (Code 8.1), with the
    figures filled from the record and the parts only the landlord can write marked as drafts."""
    first, last = reporting_year(s.year)
    label = year_label(s.year)
    blocks: list[Heading | Para | Bullets | Grid] = [
        Para(
            f"{landlord + ': ' if landlord else ''}draft prepared from the complaints record on {s.today:%d %B %Y}, for "
            f"{first:%d %B %Y} to {last:%d %B %Y}. The figures come from the record; the sections marked "
            f"“{DRAFT}” must be written before the report goes to the governing body and is published with its response (Code 8.1, 8.2)."
        ),
        Heading("1. Tenant Satisfaction Measures (CH01 and CH02)"),
    ]
    if tsm is None:
        blocks.append(Para("CH01 needs the number of homes owned in the year: store it on the reports page, then produce this draft again."))
        blocks.append(_grid(["Stage", "CH02 responses sent", "% within original timescale", "% within timescale incl. extensions"], []))
    else:
        blocks.append(_grid(TSM_HEADER, [[c if not isinstance(c, float) else _num(c) for c in row] for row in _tsm_rows(tsm)]))
    blocks += [
        Heading("2. Complaints received"),
        Para("A complaint declined at a stage is not counted as a complaint at that stage (it is shown in section 5)."),
        _grid(
            ["Stage", "Received", "Declined", "Counted", "Responded", "Withdrawn"],
            [[v.stage, v.received, v.declined, v.counted, v.responded, v.withdrawn] for v in s.stages],
        ),
        Para("By category"),
        _grid(["Category", "Stage 1", "Stage 2"], _split_rows(s.by_category)),
        Para("By channel"),
        _grid(["Channel", "Stage 1", "Stage 2"], _split_rows(s.by_channel)),
        Heading("3. Outcomes"),
        _grid(["Outcome", "Stage 1", "Stage 2"], _split_rows(s.by_outcome)),
        Heading("4. Time to acknowledge and respond (working days)"),
        _grid(
            ["Stage", "Step", "Timescale", "Count", "Median", "Mean", "% within timescale", "% within incl. extensions"],
            [
                [
                    t.stage,
                    STEP[t.step],
                    t.timescale_working_days,
                    t.count,
                    _num(t.median_working_days),
                    _num(t.mean_working_days),
                    _pct(t.pct_within),
                    _pct(t.pct_within_extended),
                ]
                for t in s.timeliness
            ],
        ),
        Heading("5. Complaints not accepted or not escalated, and why (Code 8.1)"),
        _grid(["Ground", "Stage 1", "Stage 2"], _split_rows(s.declined)),
        Heading(f"6. Open complaints overdue on {s.today:%d %B %Y}"),
        _grid(["Stage", "Acknowledgement overdue", "Response overdue", "Total"], [[o.stage, o.acknowledge, o.respond, o.total] for o in s.overdue]),
        Heading("7. Learning and service improvements (Code 9.1)"),
        Para(f"{s.learning_total} complaints were closed in {label} with the learning recorded at close."),
    ]
    shown = list(learning[:ANNUAL_LEARNING_ENTRIES])
    if shown:
        blocks.append(Bullets([_learning_line(e) for e in shown]))
    if s.learning_total > len(shown):
        blocks.append(Para(f"The newest {len(shown)} are listed; the whole log is in the summary CSV."))
    blocks += [
        Para(f"Service improvements made as a result ({DRAFT}): what changed, when, and the complaints that led to it."),
        Heading(f"8. Self-assessment against the Complaint Handling Code ({DRAFT})"),
        Para("The annual self-assessment against each provision of the Code, approved by the governing body (Code 8.1)."),
        Heading(f"9. Findings of non-compliance and the Ombudsman's annual letter ({DRAFT})"),
        Para(
            "Any findings of non-compliance with the Code by the Housing Ombudsman, the Ombudsman's annual letter about "
            "the landlord's performance, and any other relevant reports (Code 8.1)."
        ),
        Heading(f"10. The governing body's response ({DRAFT})"),
        Para("To be written by the governing body and published alongside this report (Code 8.2)."),
    ]
    return Document(title=f"Annual complaints performance and service improvement report {label} (draft)", blocks=blocks)
