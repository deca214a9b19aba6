"""Reading a written roll-up back (for mailing): its sheets looked up by header label, never by position.

Only the labels of 考核排名, 客户总表, 数据问题 and 来源 are relied on; 总览's figures are found by
the label in the cell to their left, and are None when a reshaped 总览 no longer carries them.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from .. import parsing
from ..errors import KamxlError, PeriodError
from ..rules.periods import Period, parse_period
from ..schema import KPIS, Column, Sheet
from .excel_file import ROLLUP_LIMITS, open_workbook, sheet_rows
from .previous import CUSTOMER_SHEET, REP_LABEL
from .reader import find_header, labelled_value

OVERVIEW_SHEET = "总览"
SCORES_SHEET = "考核排名"
PROBLEMS_SHEET = "数据问题"
SOURCES_SHEET = "来源"
STATUS_OK = "已汇总"  # 来源's 状态 of a file that was consolidated (io/rollup_writer.py)
YES = "是"
_PERIOD_IN_TEXT = re.compile(r"\d{4}(?:-Q[1-4]|-\d{2})?")


class NotARollup(KamxlError):
    "The file is not a kamxl roll-up (a sheet or a column it must hold is missing)"

    def __init__(self, path, missing: str, lang: str = "zh"):
        from ..messages import render

        self.path = str(path)
        super().__init__(render("mail_not_rollup", lang, path=self.path, missing=missing))


def _labels_sheet(name: str, labels: tuple[str, ...], required: tuple[str, ...]) -> Sheet:
    """A sheet spec whose keys are the labels themselves, for `find_header`."""
    return Sheet(name, name, tuple(Column(label, label, required=label in required) for label in labels))


def read_table(book, path, name: str, labels: tuple[str, ...], required: tuple[str, ...], lang: str = "zh") -> list[dict]:
    """The rows of a roll-up sheet as {label: raw value} for the labels asked for (absent ones → None)."""
    if name not in book.sheet_names:
        raise NotARollup(path, name, lang)
    rows, _ = sheet_rows(book, name)
    spec = _labels_sheet(name, labels, required)
    header = find_header(rows, spec)
    if header is None or not {c.key for c in spec.required} <= set(header[1].values()):
        found = set(header[1].values()) if header else set()
        raise NotARollup(path, f"{name} / " + "、".join(label for label in required if label not in found), lang)
    index, mapping = header
    records = []
    for row in rows[index + 1:]:
        record = {label: None for label in labels}
        for i, label in mapping.items():
            if i < len(row) and not parsing.is_blank(row[i]):
                record[label] = row[i]
        if any(v is not None for v in record.values()):
            records.append(record)
    return records


def _number(raw) -> float | None:
    return float(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else None


def _day(raw) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    return raw if isinstance(raw, date) else None


def _text(raw) -> str | None:
    """A cell as text, as written (names compare alike: the writer wrote them folded already)."""
    if isinstance(raw, str):
        return raw.strip() or None
    return parsing.clean_text(raw)


@dataclass(frozen=True)
class RepResult:
    """One row of 考核排名: a rep's KPI values (percent, or a count), points, total, rank, rating."""
    rep: str
    rank: int | None
    total: float | None
    rating: str | None
    warning: bool
    missing: str | None
    values: dict[str, float | None]
    points: dict[str, float | None]
    visits: float | None = None
    valid_info_rate: float | None = None  # percent
    trip_days: float | None = None


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
    status: str | None
    reason: str | None


@dataclass
class RollupDigest:
    """What a message about a roll-up needs, read back from the workbook."""
    path: str
    period: Period | None
    figures: dict[str, float | None]  # 总览 label → value (percent figures as fractions, as written)
    results: list[RepResult]
    customers: int
    overdue: list[OverdueCustomer]
    problems: list[ProblemRow]
    sources: list[SourceRow] = field(default_factory=list)

    @property
    def ranked(self) -> list[RepResult]:
        return sorted((r for r in self.results if r.total is not None), key=lambda r: (r.rank or 0, -r.total))

    def result_of(self, rep: str) -> RepResult | None:
        return next((r for r in self.results if r.rep == rep), None)

    def files_of(self, rep: str) -> set[str]:
        return {s.file for s in self.sources if s.rep == rep}

    def reps_without_workbook(self) -> list[str]:
        """Reps in the ranking without a consolidated workbook (missing, or their file failed)."""
        ok = {s.rep for s in self.sources if s.status == STATUS_OK and s.rep}
        return [r.rep for r in self.results if r.rep not in ok]

    def failed_files(self) -> list[SourceRow]:
        return [s for s in self.sources if s.status not in (STATUS_OK, None) and not s.file.startswith("~$")]

    def days_overdue(self, customer: OverdueCustomer) -> int | None:
        return (self.period.end - customer.due).days if self.period and customer.due else None


OVERVIEW_FIGURES = ("销售计划完成率", "合同回款率", "销售合同结算率", "大客户开发计划完成率", "拜访合规率")
_SCORE_LABELS = ("排名", REP_LABEL, *(k.label for k in KPIS), *(f"{k.label}得分" for k in KPIS), "总分", "评级", "口头警告",
                 "未评分项", "本期拜访", "有效信息登记率", "出差天数")
_CUSTOMER_LABELS = (REP_LABEL, "客户编号", "客户名称", "客户等级", "最近拜访", "下次拜访", "逾期")
_PROBLEM_LABELS = ("文件", "工作表", "行", "列", "原始值", "问题", "处理")
_SOURCE_LABELS = ("文件", REP_LABEL, "状态", "原因")


def _period(rows: list[list], path: Path) -> Period | None:
    """The period written in 总览's title (大客户部月度汇总 2026-10), else in the file name."""
    texts = [str(c) for row in rows[:3] for c in row if isinstance(c, str)] + [path.stem]
    for text in texts:
        for token in _PERIOD_IN_TEXT.findall(text):
            try:
                return parse_period(token)
            except PeriodError:
                continue
    return None


def _result(record: dict) -> RepResult:
    values, points = {}, {}
    for k in KPIS:
        value = _number(record[k.label])
        values[k.key] = (value * 100 if k.ratio else value) if value is not None else None
        points[k.key] = _number(record[f"{k.label}得分"])
    rank = _number(record["排名"])
    rate = _number(record["有效信息登记率"])
    return RepResult(_text(record[REP_LABEL]), int(rank) if rank is not None else None, _number(record["总分"]),
                     _text(record["评级"]), _text(record["口头警告"]) == YES, _text(record["未评分项"]), values, points,
                     _number(record["本期拜访"]), rate * 100 if rate is not None else None, _number(record["出差天数"]))


def read_rollup(path: str | Path, lang: str = "zh") -> RollupDigest:
    """The roll-up's period, key figures, ranking, overdue customers, problems and sources."""
    path = Path(path)
    book = open_workbook(path, ROLLUP_LIMITS)
    try:
        if OVERVIEW_SHEET not in book.sheet_names:
            raise NotARollup(path, OVERVIEW_SHEET, lang)
        overview, _ = sheet_rows(book, OVERVIEW_SHEET)
        figures = {label: _number(labelled_value(overview, label)) for label in OVERVIEW_FIGURES}
        scores = read_table(book, path, SCORES_SHEET, _SCORE_LABELS, (REP_LABEL, "总分"), lang)
        customers = read_table(book, path, CUSTOMER_SHEET, _CUSTOMER_LABELS, (REP_LABEL, "客户编号", "逾期"), lang)
        problems = read_table(book, path, PROBLEMS_SHEET, _PROBLEM_LABELS, ("文件", "问题"), lang)
        sources = read_table(book, path, SOURCES_SHEET, _SOURCE_LABELS, ("文件", "状态"), lang)
    finally:
        book.close()
    overdue = [OverdueCustomer(_text(c[REP_LABEL]), _text(c["客户编号"]), _text(c["客户名称"]), _text(c["客户等级"]),
                               _day(c["最近拜访"]), _day(c["下次拜访"]))
               for c in customers if _text(c["逾期"]) == YES]
    rows = [ProblemRow(_text(p["文件"]), _text(p["工作表"]), int(p["行"]) if _number(p["行"]) else None, _text(p["列"]),
                       _text(p["原始值"]), _text(p["问题"]), _text(p["处理"])) for p in problems]
    files = [SourceRow(_text(s["文件"]), _text(s[REP_LABEL]), _text(s["状态"]), _text(s["原因"])) for s in sources]
    return RollupDigest(str(path), _period(overview, path), figures, [_result(r) for r in scores if _text(r[REP_LABEL])],
                        len(customers), overdue, rows, files)
