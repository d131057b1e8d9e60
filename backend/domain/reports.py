"""The managers' reports: Tenant Satisfaction Measures CH01/CH02, the complaints summary and the
learning log, for a reporting year running 1 April to 31 March.

The reports are computed from small facts (one per complaint and stage, or one per group of
complaints that share every fact, with a ``count``), so the same rules serve the record read with
grouped queries and the record rebuilt from its events. The counting rules, stated here because
they decide the numbers:

- **Received** (CH01, the volumes): a stage 1 complaint counts in the year it reached us, a stage 2
  complaint in the year the escalation was requested. A complaint declined at a stage (Code 2.1,
  5.11) is not a complaint at that stage: it is counted among the declined, by ground (Code 8.1),
  and not in CH01 or the volumes by category and channel.
- **Responded** (CH02, outcomes, time to respond): a response counts in the year it was sent, with
  its decision (upheld, partly upheld, not upheld) and whether it was within the timescale, in both
  readings: "within the original timescale" and "within the timescale including permitted
  extensions", frozen on the case when the response was sent.
- **Acknowledged** (time to acknowledge): an acknowledgement counts in the year it was sent. Time is
  in the landlord's working days (bank holidays and closure days excluded), from the day the
  complaint or escalation request reached us; the share within timescale uses the answer frozen
  on the case at the time.
- **Time to respond** is measured as the Code measures it (6.3, 6.14): working days from the
  acknowledgement to the response.
- **Withdrawn**: counted in the year the resident withdrew, at the stage the complaint was at.
- **Overdue now**: open complaints whose current deadline (acknowledgement or response) is before
  today; not tied to a reporting year.
- **Learning log** (Code 9.1): complaints closed in the year with the learning recorded at close,
  newest first.

``case_facts_by_year`` applies these "which day puts it in the year" rules to one complaint: every
fact it gives, with the year it counts in. ``case_measures`` keeps one year's facts (the rebuild from
events); ``backend.services.reports_tallies`` adds them up per year as the record changes, with the
working days already counted (``AckTime``, ``ResponseTime``), so a year's report reads a few hundred
tallies instead of every complaint. The functions after them count the facts of one year, in either
form.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from backend.domain.calendar import WorkingCalendar
from backend.domain.complaints import DeclineGround, Status
from backend.domain.deadlines import within
from backend.domain.timescales import PolicyProfile

STAGES = (1, 2)
OUTCOMES = {"upheld": "Upheld", "partly_upheld": "Partly upheld", "not_upheld": "Not upheld"}
NOT_RECORDED = "Decision not recorded"
WITHDRAWN = "Withdrawn by the resident"
UNCATEGORISED = "Not categorised"
CHANNELS = {
    "webchat": "Web chat",
    "sms": "SMS",
    "whatsapp": "WhatsApp",
    "telegram": "Telegram",
    "phone": "Phone",
    "email": "Email",
    "letter": "Letter",
    "in_person": "In person",
}
GROUNDS = {
    DeclineGround.OVER_TWELVE_MONTHS.value: "Raised more than 12 months after the matter (Code 2.2)",
    DeclineGround.LEGAL_PROCEEDINGS.value: "Legal proceedings filed (Code 2.2)",
    DeclineGround.PREVIOUSLY_CONSIDERED.value: "Considered under the complaints process before (Code 2.2)",
    DeclineGround.OTHER.value: "Other reason, set out to the resident (Code 2.1, 2.4)",
}


def reporting_year(start_year: int) -> tuple[dt.date, dt.date]:
    """The TSM year that starts on 1 April of ``start_year`` (2026 → 1 April 2026 to 31 March 2027)."""
    return dt.date(start_year, 4, 1), dt.date(start_year + 1, 3, 31)


def year_of(day: dt.date) -> int:
    """The reporting year a day falls in (1 March 2027 is in 2026/27)."""
    return day.year if day.month >= 4 else day.year - 1


def year_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def in_year(day: dt.date | None, year: int) -> bool:
    first, last = reporting_year(year)
    return day is not None and first <= day <= last


def outcome_of(decision: str | None) -> str | None:
    """The response decision as a key ("partly upheld" and "partly_upheld" are the same decision)."""
    key = (decision or "").strip().lower().replace(" ", "_").replace("-", "_")
    return key if key in OUTCOMES else None


def _pct(part: int, whole: int) -> float | None:
    """A percentage to one decimal place; None (not 0%) when there is nothing to count."""
    return round(100 * part / whole, 1) if whole else None


# -- facts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """A complaint (stage 1) or an escalation request (stage 2) that reached us in the year."""

    stage: int
    category: str | None
    channel: str
    declined_ground: str | None = None  # declined at this stage, on this ground
    count: int = 1


@dataclass(frozen=True)
class Acknowledged:
    stage: int
    received_on: dt.date
    acknowledged_on: dt.date
    within: bool | None
    count: int = 1

    def working_days(self, cal: WorkingCalendar) -> int:
        return cal.working_days_between(self.received_on, self.acknowledged_on)

    def timed(self, cal: WorkingCalendar) -> AckTime:
        """The same acknowledgement with its working days counted (what the tallies keep)."""
        return AckTime(self.stage, self.working_days(cal), self.within, self.count)


@dataclass(frozen=True)
class Responded:
    stage: int
    acknowledged_on: dt.date | None
    responded_on: dt.date
    within_original: bool | None
    within_extended: bool | None
    count: int = 1

    def working_days(self, cal: WorkingCalendar) -> int | None:
        """From the acknowledgement to the response; None for a response never acknowledged."""
        return None if self.acknowledged_on is None else cal.working_days_between(self.acknowledged_on, self.responded_on)

    def timed(self, cal: WorkingCalendar) -> ResponseTime:
        return ResponseTime(self.stage, self.working_days(cal), self.within_original, self.within_extended, self.count)


@dataclass(frozen=True)
class AckTime:
    """Acknowledgements that took ``days`` working days: ``Acknowledged`` with the days counted.

    Counted once, when the tallies are updated: closure days are declared in advance
    (``services.closures``), so the working days between two past dates do not change afterwards
    (and the tallies are recounted when they would).
    """

    stage: int
    days: int
    within: bool | None
    count: int = 1

    def working_days(self, cal: WorkingCalendar) -> int:
        return self.days


@dataclass(frozen=True)
class ResponseTime:
    """Responses that took ``days`` working days from the acknowledgement (None: never acknowledged)."""

    stage: int
    days: int | None
    within_original: bool | None
    within_extended: bool | None
    count: int = 1

    def working_days(self, cal: WorkingCalendar) -> int | None:
        return self.days


@dataclass(frozen=True)
class Outcome:
    """The decision of a response sent in the year (None when it was not recorded)."""

    stage: int
    outcome: str | None
    count: int = 1


@dataclass(frozen=True)
class Withdrawn:
    """A complaint withdrawn in the year, at the stage it had reached."""

    stage: int
    count: int = 1


@dataclass(frozen=True)
class Due:
    """An open complaint's current deadline: to acknowledge or to respond, at a stage."""

    stage: int
    step: str  # acknowledge | respond
    due: dt.date
    count: int = 1


@dataclass(frozen=True)
class Learned:
    reference: str
    stage: int
    closed_on: dt.date
    category: str | None
    learning: str


@dataclass
class Facts:
    received: list[Received] = field(default_factory=list)
    acknowledged: list[Acknowledged | AckTime] = field(default_factory=list)
    responded: list[Responded | ResponseTime] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    withdrawn: list[Withdrawn] = field(default_factory=list)
    due: list[Due] = field(default_factory=list)
    learned: list[Learned] = field(default_factory=list)


# -- one complaint's facts, and the report facts they give --------------------------------------


@dataclass(frozen=True)
class StageRecord:
    """What happened to one complaint at one stage."""

    stage: int
    received_on: dt.date
    declined_ground: str | None = None
    acknowledged_on: dt.date | None = None
    ack_within: bool | None = None
    extended_to: dt.date | None = None
    responded_on: dt.date | None = None
    within_original: bool | None = None
    within_extended: bool | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class CaseFacts:
    """Everything the reports need about one complaint, whether read from the record or rebuilt from events."""

    reference: str
    channel: str
    category: str | None
    status: str
    stages: tuple[StageRecord, ...]
    closed_on: dt.date | None = None
    learning: str | None = None
    current_due: dt.date | None = None


def due_step(status: str) -> str | None:
    """What an open complaint is waiting for: its acknowledgement, its response, or nothing."""
    if status in (Status.RECEIVED, Status.STAGE2_REQUESTED):
        return "acknowledge"
    if status in (Status.STAGE1_ACKNOWLEDGED, Status.STAGE2_ACKNOWLEDGED):
        return "respond"
    return None


YearFact = Received | Acknowledged | Responded | Outcome | Withdrawn | Learned


def case_facts_by_year(c: CaseFacts) -> Iterator[tuple[int, YearFact]]:
    """Every fact one complaint gives the reports, with the reporting year it counts in (by the rules above)."""
    for s in c.stages:
        yield year_of(s.received_on), Received(s.stage, c.category, c.channel, s.declined_ground)
        if s.acknowledged_on is not None:
            yield year_of(s.acknowledged_on), Acknowledged(s.stage, s.received_on, s.acknowledged_on, s.ack_within)
        if s.responded_on is not None:
            yield year_of(s.responded_on), Responded(s.stage, s.acknowledged_on, s.responded_on, s.within_original, s.within_extended)
            yield year_of(s.responded_on), Outcome(s.stage, s.outcome)
    last = c.stages[-1].stage
    if c.status == Status.WITHDRAWN and c.closed_on is not None:
        yield year_of(c.closed_on), Withdrawn(last)
    if c.status == Status.CLOSED and c.closed_on is not None and c.learning:
        yield year_of(c.closed_on), Learned(c.reference, last, c.closed_on, c.category, c.learning)


def case_measures(cases: Iterable[CaseFacts], year: int) -> Facts:
    """The report facts of the year, one complaint at a time (each with a count of 1)."""
    facts = Facts()
    lists: dict[type, list[Any]] = {
        Received: facts.received,
        Acknowledged: facts.acknowledged,
        Responded: facts.responded,
        Outcome: facts.outcomes,
        Withdrawn: facts.withdrawn,
        Learned: facts.learned,
    }
    for c in cases:
        for y, fact in case_facts_by_year(c):
            if y == year:
                lists[type(fact)].append(fact)
        step = due_step(c.status)
        if step is not None and c.current_due is not None:
            facts.due.append(Due(c.stages[-1].stage, step, c.current_due))
    return facts


# -- Tenant Satisfaction Measures ---------------------------------------------------------------


@dataclass(frozen=True)
class Ch02:
    responded: int
    within_original: int
    within_extended: int

    @property
    def pct_original(self) -> float | None:
        return _pct(self.within_original, self.responded)

    @property
    def pct_extended(self) -> float | None:
        return _pct(self.within_extended, self.responded)


def ch01(received: Iterable[Received], homes: int) -> dict[int, tuple[int, float]]:
    """Per stage: (complaints received and not declined, per 1,000 homes to one decimal place)."""
    if homes <= 0:
        raise ValueError("the number of homes must be positive")
    counts = dict.fromkeys(STAGES, 0)
    for f in received:
        if f.declined_ground is None:
            counts[f.stage] += f.count
    return {stage: (n, round(1000 * n / homes, 1)) for stage, n in counts.items()}


def ch02(responded: Iterable[Responded | ResponseTime]) -> dict[int, Ch02]:
    """Per stage: responses sent, and how many were within each reading of the timescale."""
    tally = {stage: [0, 0, 0] for stage in STAGES}
    for f in responded:
        t = tally[f.stage]
        t[0] += f.count
        t[1] += f.count if f.within_original else 0
        t[2] += f.count if f.within_extended else 0
    return {stage: Ch02(*t) for stage, t in tally.items()}


# -- the summary --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """One row of a table by stage: a category, channel, outcome or decline ground."""

    key: str | None
    label: str
    stage1: int
    stage2: int


@dataclass(frozen=True)
class StageVolume:
    stage: int
    received: int  # all complaints (or escalation requests) that reached us in the year
    declined: int
    counted: int  # received and not declined: CH01's count
    responded: int
    withdrawn: int


@dataclass(frozen=True)
class Timeliness:
    stage: int
    step: str  # acknowledge | respond
    timescale_working_days: int
    count: int
    median_working_days: float | None
    mean_working_days: float | None
    within: int  # acknowledgements within timescale; responses within the original timescale
    pct_within: float | None
    within_extended: int | None  # responses only: within the timescale including extensions
    pct_within_extended: float | None


@dataclass(frozen=True)
class Overdue:
    stage: int
    acknowledge: int
    respond: int

    @property
    def total(self) -> int:
        return self.acknowledge + self.respond


@dataclass(frozen=True)
class Summary:
    year: int
    today: dt.date
    stages: tuple[StageVolume, ...]
    by_category: tuple[Split, ...]
    by_channel: tuple[Split, ...]
    by_outcome: tuple[Split, ...]
    declined: tuple[Split, ...]
    timeliness: tuple[Timeliness, ...]
    overdue: tuple[Overdue, ...]
    learning_total: int
    learning: tuple[Learned, ...]


def _splits(counter: dict[str | None, Counter[int]], label: dict[str, str] | str, order: Sequence[str] | None = None) -> tuple[Split, ...]:
    """Rows in a fixed order when one is given (every row shown, zeros too); else largest first, then by name."""

    def name(key: str | None) -> str:
        if isinstance(label, dict):
            return label.get(key or "", key or "")
        return key if key else label

    keys: Sequence[str | None] = order if order is not None else sorted(counter, key=lambda k: (-sum(counter[k].values()), name(k).lower(), k or ""))
    return tuple(Split(k, name(k), counter[k][1], counter[k][2]) for k in keys)


def volumes(received: Iterable[Received]) -> tuple[dict[int, tuple[int, int]], tuple[Split, ...], tuple[Split, ...], tuple[Split, ...]]:
    """Per stage (received, declined); counted complaints by category and by channel; declines by ground."""
    per_stage = {s: [0, 0] for s in STAGES}
    category: dict[str | None, Counter[int]] = defaultdict(Counter)
    channel: dict[str | None, Counter[int]] = defaultdict(Counter)
    grounds: dict[str | None, Counter[int]] = defaultdict(Counter)
    for f in received:
        per_stage[f.stage][0] += f.count
        if f.declined_ground is not None:
            per_stage[f.stage][1] += f.count
            grounds[f.declined_ground][f.stage] += f.count
            continue
        category[f.category][f.stage] += f.count
        channel[f.channel][f.stage] += f.count
    ground_order = list(GROUNDS) + sorted(k for k in grounds if k not in GROUNDS and k is not None)
    return (
        {s: (r, d) for s, (r, d) in per_stage.items()},
        _splits(category, UNCATEGORISED),
        _splits(channel, CHANNELS),
        _splits(grounds, GROUNDS, ground_order),
    )


def outcomes(decided: Iterable[Outcome], withdrawn: Iterable[Withdrawn]) -> tuple[Split, ...]:
    """Responses by decision, and complaints withdrawn, per stage."""
    tally: dict[str | None, Counter[int]] = defaultdict(Counter)
    for r in decided:
        tally[r.outcome or "not_recorded"][r.stage] += r.count
    for w in withdrawn:
        tally["withdrawn"][w.stage] += w.count
    order = [*OUTCOMES, *(["not_recorded"] if "not_recorded" in tally else []), "withdrawn"]
    return _splits(tally, {**OUTCOMES, "not_recorded": NOT_RECORDED, "withdrawn": WITHDRAWN}, order)


def _median(values: Counter[int]) -> float | None:
    """The median of weighted whole numbers (the mean of the middle two when the count is even)."""
    n = sum(values.values())
    if n == 0:
        return None

    def nth(k: int) -> int:
        seen = 0
        for v in sorted(values):
            seen += values[v]
            if k < seen:
                return v
        raise IndexError(k)

    return float(nth(n // 2)) if n % 2 else (nth(n // 2 - 1) + nth(n // 2)) / 2


def _mean(values: Counter[int]) -> float | None:
    n = sum(values.values())
    return round(sum(v * c for v, c in values.items()) / n, 1) if n else None


def timeliness(
    acknowledged: Iterable[Acknowledged | AckTime], responded: Iterable[Responded | ResponseTime], cal: WorkingCalendar, profile: PolicyProfile
) -> tuple[Timeliness, ...]:
    """Per stage, time to acknowledge (from receipt) and to respond (from acknowledgement) in working days."""
    ack_days: dict[int, Counter[int]] = {s: Counter() for s in STAGES}
    ack_within: Counter[int] = Counter()
    for a in acknowledged:
        ack_days[a.stage][a.working_days(cal)] += a.count
        ack_within[a.stage] += a.count if a.within else 0
    resp_days: dict[int, Counter[int]] = {s: Counter() for s in STAGES}
    resp_within: Counter[int] = Counter()
    resp_extended: Counter[int] = Counter()
    for r in responded:
        days = r.working_days(cal)
        if days is not None:
            resp_days[r.stage][days] += r.count
            resp_within[r.stage] += r.count if r.within_original else 0
            resp_extended[r.stage] += r.count if r.within_extended else 0
    rows = []
    for s in STAGES:
        limits = profile.stage(s)
        n = sum(ack_days[s].values())
        rows.append(
            Timeliness(
                s, "acknowledge", limits.acknowledge_within, n, _median(ack_days[s]), _mean(ack_days[s]), ack_within[s], _pct(ack_within[s], n), None, None
            )
        )
        n = sum(resp_days[s].values())
        rows.append(
            Timeliness(
                s,
                "respond",
                limits.respond_within,
                n,
                _median(resp_days[s]),
                _mean(resp_days[s]),
                resp_within[s],
                _pct(resp_within[s], n),
                resp_extended[s],
                _pct(resp_extended[s], n),
            )
        )
    return tuple(rows)


def overdue(due: Iterable[Due], today: dt.date) -> tuple[Overdue, ...]:
    """Open complaints whose current deadline is before today, per stage and by what is overdue."""
    tally = {s: Counter[str]() for s in STAGES}
    for d in due:
        if d.due < today:
            tally[d.stage][d.step] += d.count
    return tuple(Overdue(s, tally[s]["acknowledge"], tally[s]["respond"]) for s in STAGES)


def learning_log(learned: Iterable[Learned], limit: int | None = None) -> tuple[int, tuple[Learned, ...]]:
    """The learning recorded at close (Code 9.1): how many, and the newest first."""
    rows = sorted(learned, key=lambda e: (e.closed_on, e.reference), reverse=True)
    return len(rows), tuple(rows if limit is None else rows[:limit])


def summarise(
    facts: Facts,
    year: int,
    today: dt.date,
    cal: WorkingCalendar,
    profile: PolicyProfile,
    learning: tuple[int, tuple[Learned, ...]] | None = None,
    learning_limit: int | None = None,
) -> Summary:
    """The whole summary. ``learning`` is the log when the caller read it already (count and newest
    entries); otherwise it is taken from ``facts.learned``."""
    per_stage, by_category, by_channel, declined = volumes(facts.received)
    responded = ch02(facts.responded)
    by_outcome = outcomes(facts.outcomes, facts.withdrawn)
    withdrawn = {s: 0 for s in STAGES}
    for row in by_outcome:
        if row.key == "withdrawn":
            withdrawn = {1: row.stage1, 2: row.stage2}
    stages = tuple(StageVolume(s, per_stage[s][0], per_stage[s][1], per_stage[s][0] - per_stage[s][1], responded[s].responded, withdrawn[s]) for s in STAGES)
    total, entries = learning if learning is not None else learning_log(facts.learned, learning_limit)
    return Summary(
        year=year,
        today=today,
        stages=stages,
        by_category=by_category,
        by_channel=by_channel,
        by_outcome=by_outcome,
        declined=declined,
        timeliness=timeliness(facts.acknowledged, facts.responded, cal, profile),
        overdue=overdue(facts.due, today),
        learning_total=total,
        learning=entries,
    )


def within_or(frozen: bool | None, done_on: dt.date | None, due: dt.date | None) -> bool | None:
    """The answer frozen at the time when there is one, else worked out from the dates."""
    return frozen if frozen is not None else within(done_on, due)
