"""A rep's own scorecard: one sheet, one A4 page, holding that rep's data and nobody else's.

Built from the roll-up as written (io/inputs/rollup_reader.py). The rank is shown as `3 / 7`, never as a
ranking; data-problem texts are scrubbed of any other rep's name (a contact may share one).
"""

import io
from functools import partial
from dataclasses import dataclass, field
from datetime import date

import xlsxwriter

from .io.outputs.xlsx_stream import GRADE_COLOURS, HEADER_FORMAT, text_lines
from .messages import render
from .rollup_model import OverdueCustomer, ProblemRow, RepResult, RollupDigest
from .rules.kpi import kpi_rules
from .schema import KPIS
from .settings import DEFAULTS, Settings

MAX_OVERDUE_ROWS = 20  # past these the page would shrink unreadably; the rep's own workbook lists them all
MAX_PROBLEM_ROWS = 15
SCRUBBED = "＊＊"


@dataclass
class RepCard:
    """Everything one rep's scorecard shows."""
    rep: str
    period: str
    result: RepResult | None
    ranked: int  # reps with a total this period: the `7` of `3 / 7`
    max_points: dict[str, int]
    previous: RepResult | None = None
    previous_ranked: int = 0
    overdue: list[tuple[OverdueCustomer, int | None]] = field(default_factory=list)
    problems: list[ProblemRow] = field(default_factory=list)
    has_workbook: bool = True  # False: missing or unreadable, so no customer or problem of theirs is known

    @property
    def rank_text(self) -> str | None:
        return f"{self.result.rank} / {self.ranked}" if self.result and self.result.rank and self.result.total is not None else None

    @property
    def previous_rank_text(self) -> str | None:
        p = self.previous
        return f"{p.rank} / {self.previous_ranked}" if p and p.rank and p.total is not None else None

    @property
    def total_change(self) -> float | None:
        if self.result and self.previous and self.result.total is not None and self.previous.total is not None:
            return round(self.result.total - self.previous.total, 1)
        return None

    def point_change(self, key: str) -> float | None:
        if not (self.result and self.previous):
            return None
        now, before = self.result.points.get(key), self.previous.points.get(key)
        return round(now - before, 1) if now is not None and before is not None else None


def _scrub(text: str | None, rep: str, others: list[str]) -> str | None:
    """The text with every other rep's name replaced; the rep's own name (which may contain another's) kept."""
    if not text:
        return text
    text = text.replace(rep, "\0")
    for name in others:
        text = text.replace(name, SCRUBBED)
    return text.replace("\0", rep)


def rep_card(digest: RollupDigest, rep: str, previous: RollupDigest | None = None, settings: Settings = DEFAULTS) -> RepCard:
    """The scorecard of one rep of a roll-up (and of the previous roll-up, for the change)."""
    names = {r.rep for r in digest.results} | {s.rep for s in digest.sources if s.rep}
    others = sorted(names - {rep}, key=len, reverse=True)  # longest first: 张伟华 before 张伟
    files = digest.files_of(rep)
    problems = [ProblemRow(p.file, p.sheet, p.row, _scrub(p.column, rep, others), _scrub(p.value, rep, others),
                           _scrub(p.message, rep, others), p.severity)
                for p in digest.problems if p.file in files]
    overdue = sorted(((c, digest.days_overdue(c)) for c in digest.overdue if c.rep == rep),
                     key=lambda x: -(x[1] or 0))
    rules = kpi_rules(settings)
    return RepCard(rep, digest.period.label if digest.period else "", digest.result_of(rep), len(digest.ranked),
                   {k: rule.points for k, rule in rules.items()},
                   previous.result_of(rep) if previous else None, len(previous.ranked) if previous else 0,
                   overdue, problems, has_workbook=rep not in digest.reps_without_workbook())


def _write_change(ws, row: int, col: int, change: float | None, fmt: "_CardFormats", text: str | None = None):
    if change is None:
        ws.write_string(row, col, text or "—", fmt.dash)
    else:
        ws.write_number(row, col, change, fmt.signed_whole if float(change).is_integer() else fmt.signed)


def scorecard_workbook(card: RepCard, lang: str = "zh", today: date | None = None) -> bytes:
    """The scorecard as .xlsx bytes: one sheet, portrait A4, fitted to one page."""
    t = partial(render, lang=lang)
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                   "strings_to_urls": False})
    ws = wb.add_worksheet(t("card_sheet"))
    fmt = _CardFormats(wb)
    for col, width in enumerate((20, 30, 9, 13, 13, 11)):
        ws.set_column(col, col, width)

    ws.write_string(0, 0, t("mail_rep_subject", rep=card.rep, period=card.period), fmt.title)
    ws.write_string(1, 0, t("card_generated", day=(today or date.today()).isoformat()), fmt.note)
    r = card.result
    row = 3
    if r is None or r.total is None:
        ws.merge_range(row, 0, row, 5, t("mail_rep_no_result"), fmt.wrap)
        row += 2
    else:
        row = _write_result(ws, row, card, r, fmt, t, lang)
    if not card.has_workbook:
        ws.merge_range(row, 0, row, 5, t("mail_rep_no_workbook"), fmt.red)
        row += 2
    row = _write_overdue(ws, row, card, fmt, t)
    row = _write_problems(ws, row + 2, card, fmt, t)

    ws.set_paper(9)  # A4
    ws.set_portrait()
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.center_horizontally()
    ws.fit_to_pages(1, 1)
    ws.print_area(0, 0, row, 5)
    ws.hide_gridlines(2)
    wb.close()
    return out.getvalue()


class _CardFormats:
    """The scorecard's cell formats, made once a workbook."""

    def __init__(self, wb):
        f = self.plain = lambda **kw: wb.add_format({"font_size": 10, "valign": "vcenter", **kw})
        self.title, self.note = f(bold=True, font_size=16), f(font_color="#595959", italic=True)
        self.head = wb.add_format({**HEADER_FORMAT, "font_size": 10, "border": 1})
        self.label, self.cell = f(bold=True, bg_color="#DDEBF7", border=1), f(border=1)
        self.big = f(bold=True, font_size=14, border=1, align="center", num_format="0.0")
        self.big_whole = f(bold=True, font_size=14, border=1, align="center", num_format="0")
        self.pct, self.decimal, self.whole = f(border=1, num_format="0.0%"), f(border=1, num_format="0.0"), f(border=1, num_format="0")
        self.day = f(border=1, num_format="yyyy-mm-dd")
        self.signed_whole = f(border=1, num_format="+0;-0;±0")
        self.signed, self.dash = f(border=1, num_format="+0.0;-0.0;±0.0"), f(border=1, align="center", font_color="#7F7F7F")
        self.wrap, self.section = f(border=1, text_wrap=True), f(bold=True, font_size=12, font_color="#1F4E78")
        self.red = f(border=1, font_color="#C00000", bold=True)

    def num(self, value: float):
        """A count or points as read: `3`, not `3.0`; a fraction keeps its one decimal."""
        return self.whole if float(value).is_integer() else self.decimal


def _write_result(ws, row: int, card: RepCard, r, fmt: _CardFormats, t, lang: str) -> int:
    """Total, rank, rating and their change; each KPI's value and points; the period's activity."""
    ws.write_string(row, 0, t("mail_rep_total"), fmt.label)
    ws.write_number(row, 1, r.total, fmt.big_whole if float(r.total).is_integer() else fmt.big)
    ws.write_string(row, 2, t("mail_rep_rank"), fmt.label)
    ws.write_string(row, 3, card.rank_text or "—", fmt.big)
    ws.write_string(row, 4, t("mail_rep_rating"), fmt.label)
    ws.write_string(row, 5, r.rating or "—", fmt.red if r.warning else fmt.big)
    row += 1
    ws.write_string(row, 0, t("mail_rep_change"), fmt.label)
    _write_change(ws, row, 1, card.total_change, fmt, None if card.previous else t("card_no_previous"))
    ws.write_string(row, 2, t("card_previous_rank"), fmt.label)
    ws.write_string(row, 3, card.previous_rank_text or "—", fmt.cell)
    ws.write_string(row, 4, t("card_warning"), fmt.label)
    ws.write_string(row, 5, t("card_yes") if r.warning else t("card_no"), fmt.red if r.warning else fmt.cell)
    row += 2
    ws.write_row(row, 0, [t("card_kpi"), t("card_value"), t("card_points"), t("card_max"), t("card_previous_points"),
                          t("card_point_change")], fmt.head)
    ws.set_row(row, 28)
    for k in KPIS:
        row += 1
        ws.write_string(row, 0, k.label if lang != "en" else k.key, fmt.cell)
        value = r.values.get(k.key)
        if value is None:
            ws.write_string(row, 1, t("card_not_scored"), fmt.cell)
        else:
            ws.write_number(row, 1, value / 100 if k.ratio else value, fmt.pct if k.ratio else fmt.num(value))
        before = card.previous.points.get(k.key) if card.previous else None
        for col, x in ((2, r.points.get(k.key)), (3, card.max_points.get(k.key, k.points)), (4, before)):
            ws.write_number(row, col, x, fmt.num(x)) if x is not None else ws.write_string(row, col, "—", fmt.dash)
        _write_change(ws, row, 5, card.point_change(k.key), fmt)
    if r.scaled:  # a total over fewer points is never shown as if it were over all of them
        row += 1
        scaled = t("scaled_total", possible=r.possible, full=r.full)
        ws.merge_range(row, 0, row, 5, t("mail_rep_total") + t("mail_total_note", parts=scaled), fmt.red)
    if r.missing:
        row += 1
        ws.merge_range(row, 0, row, 5, t("card_missing", kpis=r.missing), fmt.note)
    row += 1
    for code, value, cell_format in (("card_visits", r.visits, fmt.cell), ("card_valid_info", r.valid_info_rate, fmt.pct),
                                     ("card_trip_days", r.trip_days, fmt.cell)):
        if value is not None:
            ws.write_string(row, 0, t(code), fmt.label)
            ws.write_number(row, 1, value / 100 if cell_format is fmt.pct else value, cell_format)
            row += 1
    return row + 1


def _write_overdue(ws, row: int, card: RepCard, fmt: _CardFormats, t) -> int:
    """The rep's overdue customers, the first MAX_OVERDUE_ROWS of them."""
    ws.write_string(row, 0, t("mail_rep_overdue", count=len(card.overdue)), fmt.section)
    row += 1
    if not card.overdue:
        return row
    ws.write_row(row, 0, [t("card_customer_id"), t("card_customer"), t("card_grade"), t("card_last_visit"),
                          t("card_due"), t("card_days_overdue")], fmt.head)
    for customer, days in card.overdue[:MAX_OVERDUE_ROWS]:
        row += 1
        ws.write_string(row, 0, customer.customer_id, fmt.cell)
        ws.write_string(row, 1, customer.name or "", fmt.cell)
        grade = fmt.plain(border=1, align="center", bg_color=GRADE_COLOURS.get(customer.grade or "", "#FFFFFF"))
        ws.write_string(row, 2, customer.grade or "", grade)
        ws.write(row, 3, customer.last_visit or t("card_never"), fmt.day)
        ws.write(row, 4, customer.due or "", fmt.day)
        ws.write(row, 5, days if days is not None else "", fmt.cell)
    if len(card.overdue) > MAX_OVERDUE_ROWS:
        row += 1
        ws.merge_range(row, 0, row, 5, t("card_more", count=len(card.overdue) - MAX_OVERDUE_ROWS), fmt.note)
    return row


def _write_problems(ws, row: int, card: RepCard, fmt: _CardFormats, t) -> int:
    """The rep's data problems, the first MAX_PROBLEM_ROWS of them; the last row written is returned."""
    ws.write_string(row, 0, t("mail_rep_problems", count=len(card.problems)), fmt.section)
    row += 1
    if not card.problems:
        return row
    ws.write_row(row, 0, [t("card_sheet_name"), t("card_problem"), t("card_row"), t("card_column"), t("card_raw"), ""],
                 fmt.head)
    for p in card.problems[:MAX_PROBLEM_ROWS]:
        row += 1
        ws.write_string(row, 0, p.sheet or "", fmt.cell)
        ws.write_string(row, 1, p.message or "", fmt.wrap)
        ws.set_row(row, 13.5 * max(text_lines(p.message, 30), text_lines(p.value, 24)))
        ws.write(row, 2, p.row if p.row else "", fmt.cell)
        ws.write_string(row, 3, p.column or "", fmt.cell)
        ws.merge_range(row, 4, row, 5, p.value or "", fmt.wrap)
    if len(card.problems) > MAX_PROBLEM_ROWS:
        row += 1
        ws.merge_range(row, 0, row, 5, t("card_more", count=len(card.problems) - MAX_PROBLEM_ROWS), fmt.note)
    return row
