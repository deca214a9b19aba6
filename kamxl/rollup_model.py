"""The roll-up as a value: what consolidation computes, the figures a later roll-up, mail and the scorecards
read back, and the JSON summary.

Pure: no file is read or written here. `consolidate` makes a `Rollup`; io/outputs/rollup_writer.py lays it
out (its hidden figures sheet holds `figures_rows`); io/inputs/previous.py and io/inputs/rollup_reader.py
read a written one back into `RollupFigures` and a `RollupDigest`, which mail and the scorecards use.
"""

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import rollup_schema as rs
from .errors import PeriodError
from .messages import render
from .problems import Problem
from .rows import RejectedRow
from .rules.kpi import Scorecard
from .rules.periods import Period, parse_period
from .schema import KPIS
from .settings import Settings

if TYPE_CHECKING:
    import pandas as pd

    from .io.machinery.spill import Detail

STATUS_OK = "ok"  # a rep's workbook status: ok | no_workbook (none in the inputs) | unreadable
ACTIVITY_KEYS = ("visits", "valid_info_rate", "trip_days")


# ---------------------------------------------------------------- the roll-up consolidation makes


@dataclass
class SourceFile:
    path: str
    rep: str | None
    status: str  # ok | skipped | failed
    reason: str | None = None
    sha256: str = ""
    kind: str = "rep"  # rep | kpi
    sheets: dict[str, dict] = field(default_factory=dict)


@dataclass
class RepScore:
    rep: str
    card: Scorecard
    rank: int | None = None
    kpi_inputs: dict = field(default_factory=dict)
    churn: dict = field(default_factory=dict)  # start, lost, new
    activity: dict = field(default_factory=dict)  # visits, valid_info_rate, trip_days; each None without a usable workbook
    status: str = STATUS_OK  # ok | no_workbook (none in the inputs) | unreadable (its workbook failed or was unusable)
    left_out: dict = field(default_factory=dict)  # KPI key → why it is not in the total (a messages.Text)

    def activity_figure(self, key: str):
        """An activity figure; None (a blank cell, never 0) when the rep had no usable workbook."""
        return self.activity.get(key) if self.activity and self.status == STATUS_OK else None


@dataclass
class RollupFigures:
    """What a later roll-up reads back of an earlier one."""

    path: Path
    period: Period
    department: dict[str, object] = field(default_factory=dict)
    reps: dict[str, dict[str, object]] = field(default_factory=dict)
    settings: dict[str, object] = field(default_factory=dict)
    version: int | None = None  # of the figures sheet (rs.FIGURES_VERSION); None: written before it existed


@dataclass
class Rollup:
    period: Period
    settings: Settings
    sources: list[SourceFile]
    customers: "pd.DataFrame"
    contacts: "Detail"  # the detail sheets' rows, file by file, on disk (io/machinery/spill.py)
    visit_plan: "Detail"
    daily_report: "Detail"
    problems: list[Problem]
    rejected: list[tuple[str, str, RejectedRow]]  # (file, sheet, row)
    scores: list[RepScore]
    duplicates: list[dict]
    has_previous: bool
    overview: dict
    reps: list[str]
    previous: RollupFigures | None = None  # last period's roll-up, found or named
    history: list[RollupFigures] = field(default_factory=list)  # earlier roll-ups for 趋势, oldest first
    warnings: list[tuple[str, dict]] = field(default_factory=list)  # (message code, parameters): why a figure is missing

    def close(self) -> None:
        """Remove the detail rows spilled to disk (also done when the roll-up is garbage, or at exit)."""
        for detail in (self.contacts, self.visit_plan, self.daily_report):
            folder = getattr(detail, "folder", None)  # a Detail's spill folder (io/machinery/spill.py)
            if folder is not None:
                folder.close()

    def warning_texts(self, lang: str | None = None) -> list[str]:
        return [render(code, lang, **params) for code, params in self.warnings]

    @property
    def problem_count(self) -> int:
        return len(self.problems)


def previous_rank(rollup: Rollup, rep: str) -> int | None:
    """The rep's rank in last period's roll-up (None: not ranked then, or no figures)."""
    if rollup.previous is None:
        return None
    rank = rollup.previous.reps.get(rep, {}).get("rank")
    return int(rank) if isinstance(rank, (int, float)) else None


def left_out_text(keys, reasons: dict[str, str], short: bool = False) -> str:
    """The KPIs left out of a total, each with its reason when one was given: 大客户流失率（无上期汇总）.

    `short` drops 大客户 from the labels (总览's narrow column); a key no KPI has is shown as it is."""
    labels = {k.key: k.label.replace("大客户", "") if short else k.label for k in KPIS}
    return "、".join(labels.get(k, k) + (f"（{reasons[k]}）" if reasons.get(k) else "") for k in keys)


def summary(rollup: Rollup, output: str) -> dict:
    """The JSON summary of the contract, key for key."""
    files = [{"path": s.path, "rep": s.rep, "status": s.status, "reason": s.reason,
              "sheets": s.sheets} for s in rollup.sources]
    reps = [{"rep": s.rep, "points": s.card.points, "score": s.card.total, "rank": s.rank, "rating": s.card.rating,
             "warning": s.card.warning, "left_out": s.card.missing, "previous_rank": previous_rank(rollup, s.rep)}
            for s in rollup.scores]
    return {"period": rollup.period.label, "output": output, "problems": rollup.problem_count, "files": files, "reps": reps,
            "warnings": rollup.warning_texts(),
            "previous": {"path": str(rollup.previous.path), "period": rollup.previous.period.label} if rollup.previous else None,
            "customers": {"total": rollup.overview["customers"], "by_grade": rollup.overview["by_grade"],
                          "overdue": rollup.overview["overdue"]},
            "duplicates": [{"key": g["key"], "customers": [{"rep": c["rep"], "customer_id": c["customer_id"]}
                                                           for c in g["customers"]]} for g in rollup.duplicates]}


# ---------------------------------------------------------------- the figures a later roll-up reads back


def department_figures(rollup: Rollup) -> dict:
    """The department's figures by key (the overview's numbers, and each KPI amount as amount_<key>)."""
    o = rollup.overview
    figures = {k: v for k, v in o.items() if isinstance(v, (int, float)) or v is None}
    figures |= {f"amount_{k}": v for k, v in o["amounts"].items()}
    return figures


def rep_figures(rollup: Rollup) -> dict[str, dict]:
    """Each rep's figures by key (rs.REP_FIGURES): what mail, the scorecards and later roll-ups read back."""
    out = {}
    for s in rollup.scores:
        card = s.card
        out[s.rep] = {"total": card.total, "rank": s.rank, "rating": card.rating, "warning": card.warning,
                      "left_out": card.missing, "reasons": dict(card.reasons), "possible": card.possible,
                      "full": card.full, "scaled": card.scaled, "status": s.status,
                      **{key: s.activity_figure(key) for key in ACTIVITY_KEYS},
                      **{f"points_{k}": v for k, v in card.points.items()},
                      **{f"value_{k}": v for k, v in card.values.items()}}
    return out


def figures_rows(period: Period, department: dict, reps: dict[str, dict], settings: dict) -> list[tuple[str, str, str, str]]:
    """The figures sheet's rows (kind, rep, key, JSON value), header first."""
    rows = [rs.FIGURES_HEADER, ("meta", "", rs.FIGURES_VERSION_KEY, json.dumps(rs.FIGURES_VERSION)),
            ("meta", "", "period", json.dumps(period.label))]
    rows += [("department", "", key, json.dumps(value, ensure_ascii=False)) for key, value in department.items()]
    for rep, values in reps.items():
        rows += [("rep", rep, key, json.dumps(value, ensure_ascii=False)) for key, value in values.items()]
    rows += [("setting", "", key, json.dumps(value, ensure_ascii=False)) for key, value in settings.items()]
    return rows


def rollup_figures_rows(rollup: Rollup) -> list[tuple[str, str, str, str]]:
    """The figures sheet's rows of a roll-up."""
    return figures_rows(rollup.period, department_figures(rollup), rep_figures(rollup), rollup.settings.model_dump())


def figures_from_rows(path: Path, rows: list[list]) -> RollupFigures | None:
    """The figures sheet's rows read back by key; None when they name no period."""
    meta: dict[str, Any] = {}  # JSON values
    department: dict[str, object] = {}
    reps: dict[str, dict[str, object]] = {}
    settings: dict[str, object] = {}
    for row in rows[1:]:
        if len(row) < 4 or not row[0]:
            continue
        kind, rep, key = str(row[0]), str(row[1] or ""), str(row[2])
        try:
            value = json.loads(str(row[3]))
        except ValueError:
            continue
        target = {"meta": meta, "department": department, "setting": settings}.get(kind)
        if kind == "rep":
            target = reps.setdefault(rep, {})
        if target is not None:
            target[key] = value
    try:
        period = parse_period(meta.get("period"))
    except PeriodError:
        return None
    return RollupFigures(path, period, department, reps, settings, meta.get(rs.FIGURES_VERSION_KEY))


# ---------------------------------------------------------------- a written roll-up, read back (mail, scorecards)


@dataclass(frozen=True)
class RepResult:
    """A rep's keyed figures: KPI values (percent, or a count), points, total, rank, rating, what was left out."""
    rep: str
    rank: int | None
    total: float | None
    rating: str | None
    warning: bool
    missing: str | None  # the KPIs left out, with their reasons, as text
    values: dict[str, float | None]
    points: dict[str, float | None]
    visits: float | None = None
    valid_info_rate: float | None = None  # percent
    trip_days: float | None = None
    status: str | None = None  # ok | no_workbook | unreadable; None: a roll-up written before it was recorded
    left_out: tuple[str, ...] = ()  # KPI keys
    reasons: dict[str, str] = field(default_factory=dict)
    possible: int | None = None  # the points the total was scaled over
    full: int | None = None

    @property
    def scaled(self) -> bool:
        return self.total is not None and self.possible is not None and self.full is not None and self.possible < self.full

    @property
    def has_workbook(self) -> bool | None:
        return None if self.status is None else self.status == STATUS_OK


@dataclass(frozen=True)
class OverdueCustomer:
    rep: str
    customer_id: str
    name: str | None
    grade: str | None
    last_visit: date | None
    due: date | None


@dataclass(frozen=True)
class ProblemRow:
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    message: str | None
    severity: str | None


@dataclass(frozen=True)
class SourceRow:
    file: str
    rep: str | None
    status: str | None  # as 来源 shows it (rs.FILE_STATUS)
    reason: str | None


@dataclass
class RollupDigest:
    """What a message about a roll-up needs, read back from the workbook."""
    path: str
    period: Period | None
    figures: dict[str, object]  # the department's figures by key (rs.OVERVIEW_FIGURES; ratios in percent)
    results: list[RepResult]
    customers: int
    overdue: list[OverdueCustomer]
    problems: list[ProblemRow]
    sources: list[SourceRow] = field(default_factory=list)

    @property
    def ranked(self) -> list[RepResult]:
        return sorted((r for r in self.results if r.total is not None), key=lambda r: (r.rank or 0, -(r.total or 0)))

    def result_of(self, rep: str) -> RepResult | None:
        return next((r for r in self.results if r.rep == rep), None)

    def files_of(self, rep: str) -> set[str]:
        return {s.file for s in self.sources if s.rep == rep}

    def reps_without_workbook(self) -> list[str]:
        """Reps without a usable workbook, from their keyed status (from 来源 for a roll-up that records none)."""
        if any(r.status is not None for r in self.results):
            return [r.rep for r in self.results if r.status not in (STATUS_OK, None)]
        ok = {s.rep for s in self.sources if s.status == rs.FILE_STATUS["ok"] and s.rep}
        return [r.rep for r in self.results if r.rep not in ok]

    def failed_files(self) -> list[SourceRow]:
        return [s for s in self.sources if s.status not in (rs.FILE_STATUS["ok"], None) and not s.file.startswith("~$")]

    def days_overdue(self, customer: OverdueCustomer) -> int | None:
        return (self.period.end - customer.due).days if self.period and customer.due else None
