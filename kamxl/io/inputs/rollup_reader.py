"""Reading a written roll-up back (for mailing and the scorecards).

Every figure — department ratios, each rep's values, points, total, rank, rating, workbook status and
what was left out — is read by key from the hidden figures sheet (rollup_schema.FIGURES_SHEET), never
from visible text; a roll-up without it is refused. The lists (overdue customers, problems, sources)
are read from their tables by the labels the roll-up schema gives them.
"""

from datetime import date, datetime
from pathlib import Path

from ... import parsing
from ... import rollup_schema as rs
from ...errors import KamxlError
from ...schema import KPIS, Column, Sheet
from .excel_file import ROLLUP_LIMITS, open_workbook, sheet_rows
from ...rollup_model import (OverdueCustomer, ProblemRow, RepResult, RollupDigest, RollupFigures, SourceRow,
                             figures_from_rows, left_out_text)
from ...rows import find_header

class NotARollup(KamxlError):
    "The file is not a kamxl roll-up (a sheet or a column it must hold is missing)"

    def __init__(self, path, missing: str, lang: str = "zh"):
        from ...messages import render

        self.path = str(path)
        super().__init__(render("mail_not_rollup", lang, path=self.path, missing=missing))


class NoFigures(KamxlError):
    "The roll-up holds no figures sheet (not a kamxl roll-up, or written by an older version): nothing is scraped"

    def __init__(self, path, lang: str = "zh"):
        from ...messages import render

        self.path = str(path)
        super().__init__(render("mail_no_figures", lang, path=self.path, sheet=rs.FIGURES_SHEET))


def header_spec(table: rs.RollupTable, required: tuple[str, ...] = (), keys=None) -> Sheet:
    """A sheet spec of a roll-up table for `find_header`: its labels as keys (the cells are read by label)."""
    return Sheet(table.key, table.sheet, tuple(Column(c.label, c.label, required=c.key in required)
                                                for c in table.columns if keys is None or c.key in keys))


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


def read_keyed(book, path, table: rs.RollupTable, keys: tuple[str, ...], required: tuple[str, ...],
               lang: str = "zh") -> list[dict]:
    """The rows of a roll-up table as {column key: raw value}, its columns found by the schema's labels."""
    labels = {table.label(k): k for k in keys}
    rows = read_table(book, path, table.sheet, tuple(labels), tuple(table.label(k) for k in required), lang)
    return [{labels[label]: value for label, value in row.items()} for row in rows]




def _int(value) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _result(rep: str, f: dict, settings: dict) -> RepResult:
    """A rep's figures as recorded by key; a roll-up of figures version 1 lacks status, activity and scaling."""
    total = _number(f.get("total"))
    warning = f.get("warning")
    if warning is None:  # version 1: the warning line of the settings the roll-up was made with
        line = settings.get("warning_below")
        warning = total is not None and isinstance(line, (int, float)) and total < line
    left_out = tuple(f.get("left_out") or ())
    reasons = dict(f.get("reasons") or {})
    return RepResult(rep, _int(f.get("rank")), total, f.get("rating"), bool(warning), left_out_text(left_out, reasons) or None,
                     {k.key: _number(f.get(f"value_{k.key}")) for k in KPIS},
                     {k.key: _number(f.get(f"points_{k.key}")) for k in KPIS},
                     _number(f.get("visits")), _number(f.get("valid_info_rate")), _number(f.get("trip_days")),
                     f.get("status"), left_out, reasons, _int(f.get("possible")), _int(f.get("full")))


def read_rollup(path: str | Path, lang: str = "zh") -> RollupDigest:
    """The roll-up's period, keyed figures, ranking, overdue customers, problems and sources."""
    path = Path(path)
    book = open_workbook(path, ROLLUP_LIMITS)
    try:
        names = set(book.sheet_names)
        if rs.FIGURES_SHEET not in names:
            if rs.OVERVIEW not in names:
                raise NotARollup(path, rs.OVERVIEW, lang)
            raise NoFigures(path, lang)
        keyed: RollupFigures | None = figures_from_rows(path, sheet_rows(book, rs.FIGURES_SHEET)[0])
        if keyed is None:
            raise NoFigures(path, lang)
        c, p, s = rs.CUSTOMER_TABLE, rs.PROBLEM_TABLE, rs.SOURCE_TABLE
        customers = read_keyed(book, path, c, ("rep", "customer_id", "name", "grade", "last_visit", "next_visit_due",
                                               "overdue"), ("rep", "customer_id", "overdue"), lang)
        problems = read_keyed(book, path, p, ("file", "sheet", "row", "column", "value", "message", "severity"),
                              ("file", "message"), lang)
        sources = read_keyed(book, path, s, ("file", "rep", "status", "reason"), ("file", "status"), lang)
    finally:
        book.close()
    # a cell left blank in an edited roll-up reads as "" where the digest needs text (a scorecard writes it)
    overdue = [OverdueCustomer(_text(x["rep"]) or "", _text(x["customer_id"]) or "", _text(x["name"]), _text(x["grade"]),
                               _day(x["last_visit"]), _day(x["next_visit_due"]))
               for x in customers if _text(x["overdue"]) == rs.YES]
    rows = [ProblemRow(_text(x["file"]) or "", _text(x["sheet"]), int(x["row"]) if _number(x["row"]) else None,
                       _text(x["column"]), _text(x["value"]), _text(x["message"]), _text(x["severity"])) for x in problems]
    files = [SourceRow(_text(x["file"]) or "", _text(x["rep"]), _text(x["status"]), _text(x["reason"])) for x in sources]
    results = [_result(rep, f, keyed.settings) for rep, f in keyed.reps.items()]
    return RollupDigest(str(path), keyed.period, dict(keyed.department), results, len(customers), overdue, rows, files)
