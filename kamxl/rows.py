"""A sheet's raw rows → typed accepted rows and problems, as the workbook contract's reading rules say.

The core of reading, apart from any file format: the reader (io/inputs/reader.py) hands it the rows
calamine read, the worksheet functions (excel/functions.py) the rows of a live sheet, the previous
roll-up's reader the rows of its 客户总表.

Cells are parsed column by column with a cache per distinct raw value (a visit sheet holds
thousands of rows but few distinct dates, modes or ratings), so each parser runs once per
distinct value while every bad cell still gets its own problem.

Accepted rows are handed back column by column (plain lists); a DataFrame is made only when one is
asked for. This module does not import pandas: the reading workers start before the main process
has loaded it (0.5 s), and never load it themselves.
"""

from itertools import zip_longest
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Callable, Sequence

from . import parsing
from .errors import PeriodError
from .problems import Problem, Severity
from .rules.periods import parse_period
from .schema import CUSTOMERS, DAILY_REPORT, ColType, Column, Sheet, is_helper
from .rules.completeness import completeness_column

if TYPE_CHECKING:
    import pandas as pd

HEADER_SCAN_ROWS = 10


def _parse_period_cell(raw) -> parsing.Parsed:
    if parsing.is_blank(raw):
        return parsing.BLANK
    try:
        return parsing.Parsed(parse_period(raw))
    except PeriodError:
        return parsing.Parsed(None, "bad_period")


_PARSERS: dict[ColType, Callable] = {
    ColType.INTEGER: parsing.parse_integer, ColType.DATE: parsing.parse_date, ColType.PHONE: parsing.parse_phone,
    ColType.MOBILE: parsing.parse_mobile, ColType.EMAIL: parsing.parse_email, ColType.YES_NO: parsing.parse_yes_no,
    ColType.FACTOR: parsing.parse_factor, ColType.CREDIT_CODE: parsing.parse_credit_code,
    ColType.PERIOD: _parse_period_cell,
}


def _parser(col: Column) -> Callable:
    """The parser of a column's cells (amounts and lists carry the column's unit and values)."""
    if col.type == ColType.AMOUNT:
        return lambda raw: parsing.parse_amount(raw, col.unit)
    if col.type == ColType.CHOICE:
        return lambda raw: parsing.parse_choice(raw, col.choices)
    return _PARSERS.get(col.type, parsing.parse_text)


def _fold(cell) -> str:
    """A label cell as text to compare: the same folding as every other text cell."""
    return parsing.clean_text(cell) or ""


def _names(sheet: Sheet) -> tuple[dict[str, str], dict[str, str]]:
    """Folded label or English key → column key, and folded alias → column key (both also lower-cased)."""
    exact = {c.label: c.key for c in sheet.columns} | {c.key.lower(): c.key for c in sheet.columns}
    aliases = {}
    for c in sheet.columns:
        for alias in c.aliases:
            aliases[_fold(alias)] = aliases[_fold(alias).lower()] = c.key
    return exact, aliases


def match_header(cells: list, sheet: Sheet) -> dict[int, str]:
    """Column index → column key for the cells that carry a label, an English key or an alias of the sheet.

    A label or key wins over an alias: a sheet holding both 日期 and 拜访日期 reads 日期 (the other is an extra column).
    """
    exact, aliases = _names(sheet)
    names = [_fold(cell) for cell in cells]
    found: dict[int, str] = {}
    for by_name in (exact, aliases) if aliases else (exact,):
        for i, name in enumerate(names):
            key = by_name.get(name) or by_name.get(name.lower())
            if key and i not in found and key not in found.values():
                found[i] = key
    return dict(sorted(found.items()))


def alias_used(cell, column: Column) -> bool:
    """True when a header cell matched `column` by one of its aliases, not by its label or English key."""
    name = _fold(cell)
    return name != column.label and name.lower() != column.key.lower()


def find_header(rows: list[list], sheet: Sheet) -> tuple[int, dict[int, str]] | None:
    """The first row within the first 10 holding every required label; else the row matching most (≥ 2)."""
    required = {c.key for c in sheet.required}
    best = None
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        found = match_header(row, sheet)
        if required <= set(found.values()):
            return i, found
        if len(found) >= 2 and (best is None or len(found) > len(best[1])):
            best = (i, found)
    return best


@dataclass
class RejectedRow:
    row: int
    raw: dict[str, str]  # label → raw value as text, every cell of the row
    problem: Problem


@dataclass
class SheetResult:
    sheet: Sheet
    data: dict[str, list]  # accepted rows column by column: one list per key, plus `row` and any extra columns
    rejected: list[RejectedRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    present: bool = True
    ids_seen: set = field(default_factory=set)  # every customer id on the sheet, rejected rows' too
    spilled: tuple[str, list[str]] | None = None  # (pickle, columns): every column on disk, `data` the rule columns
    # why no row of the sheet could be used (no header, a required column missing, the sheet missing), else None
    unusable: Problem | None = None

    @property
    def accepted(self) -> int:
        return len(next(iter(self.data.values()), ()))

    @property
    def frame(self) -> "pd.DataFrame":
        """The accepted rows as a new DataFrame: object columns, so blanks stay None and ids stay text."""
        import pandas as pd

        return pd.DataFrame(self.data, dtype=object)

    @property
    def read(self) -> int:
        return self.accepted + len(self.rejected)

    @property
    def counts(self) -> dict[str, int]:
        warnings = sum(1 for p in self.problems if p.severity == Severity.WARNING)
        return {"read": self.read, "accepted": self.accepted, "rejected": len(self.rejected), "warnings": warnings}


def _no_rows(sheet: Sheet) -> dict[str, list]:
    return {key: [] for key in [c.key for c in sheet.columns] + ["row"]}


def _parse_column(raws: list, parse: Callable, memo: dict | None,
                  distinct: dict | None = None) -> tuple[list, dict[int, parsing.Parsed]]:
    """Each cell's clean value, and the results holding a problem by cell index (sparse).

    Each distinct raw value is parsed once; the per-cell work is lookups only, so a column of 5,000 visits with
    40 distinct dates costs 40 parses. `memo`, when given, is the column's own and keeps the results between calls
    (a worksheet function's recalculations): (type, raw value) → parse result (for plain text, the clean value).
    `distinct`: `dict.fromkeys(raws)` when the caller has it already (read, never changed here).
    """
    types = set(map(type, raws))
    once, memo = memo is None, {} if memo is None else memo
    if once and bool not in types:  # a file read once; without booleans a raw value is its own key
        distinct = dict.fromkeys(raws) if distinct is None else distinct
        if parse is parsing.parse_text:  # plain text never has a problem
            clean = dict(zip(distinct, map(parsing.clean_text, distinct)))
            return list(map(clean.__getitem__, raws)), {}
        keys, results = raws, dict(zip(distinct, map(parse, distinct)))
    elif parse is parsing.parse_text:
        # plain text never has a problem: its memo keeps clean values, not results (most distinct values are text)
        typed = bool in types
        keys = list(zip(map(type, raws), raws)) if typed else raws
        distinct = dict.fromkeys(keys)
        for k in distinct:
            key = k if typed else (k.__class__, k)
            distinct[k] = memo[key] if key in memo else memo.setdefault(key, parsing.clean_text(key[1]))
        return list(map(distinct.__getitem__, keys)), {}
    elif bool not in types:
        # without booleans a raw value is its own key (1 and 1.0 parse alike everywhere)
        distinct = dict.fromkeys(raws)
        for k in distinct:
            known = memo.get((k.__class__, k))
            distinct[k] = known if known is not None else memo.setdefault((k.__class__, k), parse(k))
        keys, results = raws, distinct
    else:
        # with booleans, values go with their type: True == 1 would otherwise share a result
        keys = [(raw.__class__, raw) for raw in raws]
        for k, raw in zip(keys, raws):
            if k not in memo:
                memo[k] = parse(raw)
        results = {k: memo[k] for k in dict.fromkeys(keys)}
    values = list(map({k: p.value for k, p in results.items()}.__getitem__, keys))
    bad = {k for k, p in results.items() if p.problem}
    issues = {j: results[k] for j, k in enumerate(keys) if k in bad} if bad else {}
    return values, issues


def _has_value(row: list, used: Sequence[int]) -> bool:
    width = len(row)
    for i in used:
        if i < width:
            v = row[i]
            if v is not None and v != "" and (v.__class__ is not str or not v.isspace()):
                return True
    return False


def _rows_with_values(columns: list[tuple], used: Sequence[int], count: int) -> list[int]:
    """The rows (of `count`, given as `columns`) holding anything in a `used` column, as `_has_value` says: column by
    column, each looking only at the rows still blank (a row filled in the first column is decided there)."""
    blank: Sequence[int] = range(count)
    for i in used:
        if not blank:
            break
        if i < len(columns):
            cells = columns[i]
            blank = [k for k in blank if (v := cells[k]) is None or v == "" or (v.__class__ is str and v.isspace())]
    if not blank:
        return list(range(count))
    left = set(blank)
    return [k for k in range(count) if k not in left]


def _raw_text(raw) -> str:
    """A raw cell as text for a report: strings exactly as typed, other values as they read."""
    return raw if isinstance(raw, str) else parsing.clean_text(raw) or ""


def _raw_texts(raws) -> list[str]:
    """`_raw_text` of each cell of a column (one of text only, as it is)."""
    return list(raws) if set(map(type, raws)) <= {str} else list(map(_raw_text, raws))


def check_rows(sheet: Sheet, rows: list[list], first_row: int, file: str,
               known_customers: set[str] | None = None, today: date | None = None, build_frame: bool = True,
               parse_memo: dict | None = None, customers_since: dict[str, date] | None = None) -> SheetResult:
    """Typed accepted rows and problems for a sheet given as raw rows (header among the first 10).

    `parse_memo` (column key → raw value → parse result) may be kept by a caller checking the same
    sheet again and again, as a worksheet function does on every recalculation. `customers_since`
    (customer id → 建档日期) flags a visit dated before its customer was on file.
    """
    today = today or date.today()
    header = find_header(rows, sheet)
    if header is None:
        return _without_header(sheet, rows, first_row, file)
    read = _Read(sheet, rows, first_row, file, *header)
    read.parse(today, parse_memo)
    unusable = read.reject_rows(known_customers)
    if sheet is DAILY_REPORT and customers_since and "date" in read.columns and "customer_id" in read.columns:
        _flag_visits_before_created(read.columns["date"], read.columns["customer_id"], customers_since,
                                    read.cell_problems)
    problems = read.alias_problems() + read.missing_column_problems() + read.warnings()
    rejected = read.rejected_rows(problems)
    problems.sort(key=lambda p: p.row or 0)  # as the rep reads the sheet: top to bottom
    if not build_frame:  # the UDFs want the problems only
        return SheetResult(sheet, {}, rejected, problems, unusable=unusable)
    ids_seen = {v for v in read.columns.get("customer_id", ()) if v is not None}
    return SheetResult(sheet, read.accepted_data(bool(rejected)), rejected, problems, ids_seen=ids_seen,
                       unusable=unusable)


def _without_header(sheet: Sheet, rows: list[list], first_row: int, file: str) -> SheetResult:
    """No header among the first 10 rows: every row that holds anything is rejected, with its raw values."""
    labels = "、".join(c.label for c in sheet.required)
    problem = Problem(file, sheet.name, None, None, None, "no_header", Severity.REJECTED, (("labels", labels),))
    rejected = [RejectedRow(first_row + offset, {str(i + 1): _raw_text(v) for i, v in enumerate(r)}, problem)
                for offset, r in enumerate(rows) if _has_value(r, range(len(r)))]
    return SheetResult(sheet, _no_rows(sheet), rejected, [problem], unusable=problem)


class _Read:
    """One sheet's rows below its header, parsed column by column, and each row's first reason to be rejected."""

    def __init__(self, sheet: Sheet, rows: list[list], first_row: int, file: str, header_index: int,
                 found: dict[int, str]):
        self.sheet, self.file, self.header_row = sheet, file, first_row + header_index
        # computed columns are recomputed, never read: a cached formula result is not trusted
        self.mapping = {i: k for i, k in found.items() if not sheet.column(k).computed}
        self.header_cells = rows[header_index]
        # the template's hidden helper columns of the native 校验 (_校验·…) are no rep's own columns
        self.extras = {i: _fold(v) for i, v in enumerate(self.header_cells) if i not in found and _fold(v)
                       and not is_helper(_fold(v))}
        self.label_of = {i: sheet.column(k).label for i, k in self.mapping.items()} | self.extras
        self.missing = [c for c in sheet.required if c.key not in self.mapping.values()]
        # rows that hold anything in a named column; blank and styled-empty rows are dropped here
        self.used = sorted(self.label_of)
        below = rows[header_index + 1:]
        columns = list(zip_longest(*below))
        kept = _rows_with_values(columns, self.used, len(below))
        self.numbers, self.body = [self.header_row + 1 + k for k in kept], [below[k] for k in kept]
        self.n = len(self.body)
        # the kept rows' columns (a column past every kept row's end reads as blank either way)
        self.transposed = columns if len(kept) == len(below) else [tuple(map(c.__getitem__, kept)) for c in columns]
        self.columns: dict[str, list] = {}
        self.cell_problems: dict[str, dict[int, parsing.Parsed]] = {}  # column key → {body index: problem}, sparse
        self.raw_by_key: dict[str, list] = {}
        self._distinct: dict[int, dict] = {}
        # body index → (message code, column key, message parameters) of the row's rejection; the first reason wins
        self.reject: list[tuple[str, str | None, tuple] | None] = [None] * self.n
        self._missing_problems = [
            Problem(file, sheet.name, self.header_row, col.label, None, "sheet_unusable", Severity.REJECTED,
                    (("sheet", sheet.name), ("label", col.label), ("rows", self.n))) for col in self.missing]

    def parse(self, today: date, parse_memo: dict | None) -> None:
        """Each named column parsed once; a blank required cell and a future date are problems of their cell."""
        future = parsing.Parsed(None, "future_date", (("today", today.isoformat()),))
        required = parsing.Parsed(None, "required")
        for i, key in self.mapping.items():
            col = self.sheet.column(key)
            parse = _parser(col)
            raws = list(self.transposed[i]) if i < len(self.transposed) else [None] * self.n
            values, issues = _parse_column(raws, parse, None if parse_memo is None else parse_memo.setdefault(key, {}),
                                           self.distinct(i))
            # each test first over the whole column at C speed (a blank, a date after today: rare), then row by row
            if col.required and None in values:
                for j in [j for j, v in enumerate(values) if v is None]:
                    issues.setdefault(j, required)
            if col.no_future and any(v is not None and v > today for v in set(values)):
                for j in [j for j, v in enumerate(values) if v is not None and v > today]:
                    issues.setdefault(j, parsing.Parsed(values[j], future.problem, future.params))
            self.columns[key], self.cell_problems[key], self.raw_by_key[key] = values, issues, raws

    def distinct(self, i: int) -> dict:
        """`dict.fromkeys` of the kept rows' cells in column `i`, made once for the parsing of the column, the
        printable check and the completeness (keys only: True and 1 share a key, which none of them minds)."""
        found = self._distinct.get(i)
        if found is None:
            found = self._distinct[i] = dict.fromkeys(self.transposed[i] if i < len(self.transposed) else (None,))
        return found

    def mark(self, j: int, code: str, key: str | None, params: tuple = ()) -> None:
        if self.reject[j] is None:
            self.reject[j] = (code, key, params)

    def reject_rows(self, known_customers: set[str] | None) -> Problem | None:
        """Mark the rows that cannot be used (contract: reading rules); the sheet's own unusability is returned."""
        for col in self.missing:  # a required column not found: every row rejected, never accepted with a blank
            for j in range(self.n):
                self.mark(j, "missing_column_row", col.key, (("label", col.label),))
        for key, issues in self.cell_problems.items():
            col = self.sheet.column(key)
            for j, issue in issues.items():
                if key == "customer_id" and issue.problem == "required":
                    self.mark(j, "no_customer_id", key)
                elif col.type == ColType.DATE and col.required and issue.problem in ("bad_date", "date_range"):
                    self.mark(j, "unreadable_required_date", key)
                elif col.type == ColType.PERIOD and issue.problem in ("bad_period", "required"):
                    self.mark(j, "no_period", key)
                elif key == "rep" and issue.problem == "required":
                    self.mark(j, "no_rep", key)
        ids = self.columns.get("customer_id")
        if self.sheet is CUSTOMERS and ids is not None:
            first_seen: dict[str, int] = {}
            for j, cid in enumerate(ids):
                if cid is None or self.reject[j]:
                    continue
                if cid in first_seen:
                    self.mark(j, "duplicate_customer_id", "customer_id", (("first_row", first_seen[cid]),))
                else:
                    first_seen[cid] = self.numbers[j]
        if self.sheet.keyed_by_customer and known_customers is not None and ids is not None:
            for j, cid in enumerate(ids):
                if cid is not None and cid not in known_customers:
                    self.mark(j, "unknown_customer_id", "customer_id")
        return self._missing_problems[0] if self._missing_problems else None

    def alias_problems(self) -> list[Problem]:
        """A header variant read as a column of the contract: said, so it can be fixed."""
        out = []
        for i, key in self.mapping.items():
            col = self.sheet.column(key)
            if alias_used(self.header_cells[i], col):
                alias = _fold(self.header_cells[i])
                out.append(Problem(self.file, self.sheet.name, self.header_row, col.label, alias, "column_alias",
                                   Severity.WARNING, (("alias", alias), ("label", col.label))))
        return out

    def missing_column_problems(self) -> list[Problem]:
        """A required column not found: the sheet is unusable for this file."""
        return list(self._missing_problems)

    def warnings(self) -> list[Problem]:
        """The accepted rows' warnings, in row order, then column order (problems are sparse: walk them only)."""
        found = []
        for order, (key, issues) in enumerate(self.cell_problems.items()):
            label = self.sheet.column(key).label
            for j, issue in issues.items():
                if self.reject[j] is None:
                    assert issue.problem is not None  # cell_problems holds only values with a problem
                    found.append((j, order, Problem(self.file, self.sheet.name, self.numbers[j], label,
                                                    _raw_text(self.raw_by_key[key][j]), issue.problem, Severity.WARNING,
                                                    issue.params)))
        for i in self.used:  # characters a workbook cannot hold are dropped on writing: say so where they stand
            cells: tuple[Any, ...] = self.transposed[i] if i < len(self.transposed) else ()
            # one search a column, of its distinct texts; none when all is printable
            texts = "".join(filter(str.__instancecheck__, self.distinct(i)))
            if texts and not texts.isprintable() and parsing.ILLEGAL_XML.search(texts):
                for j, raw in enumerate(cells):
                    if raw.__class__ is str and parsing.ILLEGAL_XML.search(raw):
                        found.append((j, len(self.cell_problems), Problem(
                            self.file, self.sheet.name, self.numbers[j], self.label_of[i], parsing.xml_safe(raw),
                            "illegal_chars", Severity.WARNING)))
        found.sort(key=lambda w: (w[0], w[1]))
        return [w[2] for w in found]

    def rejected_rows(self, problems: list[Problem]) -> list[RejectedRow]:
        """Each rejected row with all its raw values; its problem added to `problems`."""
        rejected = []
        for j, reason in enumerate(self.reject) if any(self.reject) else ():
            if reason is None:
                continue
            code, reason_key, params = reason
            raw_value = _raw_text(self.raw_by_key[reason_key][j]) if reason_key in self.raw_by_key else None
            problem = Problem(self.file, self.sheet.name, self.numbers[j],
                              self.sheet.column(reason_key).label if reason_key else None, raw_value, code,
                              Severity.REJECTED, params)
            problems.append(problem)
            row = self.body[j]
            rejected.append(RejectedRow(self.numbers[j], {self.label_of[i]: _raw_text(row[i] if i < len(row) else None)
                                                          for i in self.used}, problem))
        return rejected

    def accepted_data(self, any_rejected: bool) -> dict[str, list]:
        """The accepted rows column by column: the sheet's columns, its extra columns, the row numbers."""
        n = self.n
        keep = [j for j in range(n) if self.reject[j] is None] if any_rejected else range(n)
        take = (lambda values: list(map(values.__getitem__, keep))) if any_rejected else (lambda values: values)
        data = {c.key: (take(self.columns[c.key]) if c.key in self.columns else [None] * len(keep))
                for c in self.sheet.columns}
        for i, label in self.extras.items():
            data[_extra_name(label, i, data)] = take(_raw_texts(self.transposed[i]) if i < len(self.transposed)
                                                     else [""] * n)
        data["row"] = take(self.numbers)
        if self.sheet is CUSTOMERS:
            data["completeness"] = take(completeness_column(
                self.raw_by_key, n, {key: self.distinct(i) for i, key in self.mapping.items()}))
        return data


def _flag_visits_before_created(dates: list, customer_ids: list, since: dict[str, date],
                                cell_problems: dict[str, dict[int, parsing.Parsed]]):
    """A visit dated before its customer's 建档日期 is a warning on its date (a typo in one of the two dates)."""
    issues = cell_problems.setdefault("date", {})
    for j, (day, cid) in enumerate(zip(dates, customer_ids)):
        created = since.get(cid) if day is not None else None
        if created is not None and day < created and j not in issues:
            issues[j] = parsing.Parsed(day, "visit_before_created", (("created_on", created.isoformat()),))


# what the reader and the roll-up add to a sheet's rows (consolidate's derived customer columns among them)
ADDED_COLUMNS = ("rep", "file", "row", "overdue", "man_qualified", "chain_missing")


def _extra_name(label: str, index: int, taken) -> str:
    """The key of an extra column: its label, unless a column of the sheet or one added to it has that name
    (then the label and its column number, as many times as it takes)."""
    name = label
    while name in taken or name in ADDED_COLUMNS:
        name = f"{name} ({index + 1})"
    return name


def missing_sheet(sheet: Sheet, file: str) -> SheetResult:
    problem = Problem(file, sheet.name, None, None, None, "missing_sheet", Severity.WARNING, (("sheet", sheet.name),))
    return SheetResult(sheet, _no_rows(sheet), [], [problem], present=False, unusable=problem)


def labelled_value(rows: list[list], label: str):
    """The value in the cell to the right of the cell holding `label` (the 说明 sheet's fields)."""
    for row in rows:
        for i, cell in enumerate(row):
            if _fold(cell) == label:
                for value in row[i + 1:]:
                    if not parsing.is_blank(value):
                        return value
                return None
    return None


def settings_pairs(rows: list[list]) -> list[tuple[str, object]]:
    """(key, value) pairs of a 参数 sheet: the first two columns, its header row (key/参数) skipped."""
    pairs = []
    for row in rows:
        if len(row) < 2 or parsing.is_blank(row[0]):
            continue
        key = _fold(row[0])
        if key.lower() in ("key", "参数", "键", "参数名"):
            continue
        pairs.append((key, row[1]))
    return pairs
