"""The "plain" benchmark team shape: rep workbooks written by another tool, not by kamxl's templates.

Each rep's rows come from the demo generator (same seeded values, same deliberate mistakes), but the
workbook is written with xlsxwriter alone: no styles beyond the one date format a date cell needs, no
column widths, no validation lists, no computed columns, shared strings as xlsxwriter writes them.
客户档案 holds the schema's 23 input columns plus two free-text columns kamxl does not know (25 in all);
a 说明 sheet names the rep. Used by consolidate.py (`--shape plain`).
"""

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from kamxl import demo
from kamxl.rules.periods import parse_period
from kamxl.schema import CONTACTS, CUSTOMERS, DAILY_REPORT, INSTRUCTIONS_SHEET, REP_NAME_LABEL, VISIT_PLAN

EXTRA_COLUMNS = ("备注", "跟进记录")  # free text a team adds to its customer sheet
_PHRASES = ["客户关注交期", "去年有过质量投诉", "老板是校友", "预算在三季度下达", "对价格敏感", "需要技术方案书",
            "已寄样品", "竞品在场", "采购换人了", "年底有招标", "希望账期 90 天", "总部在上海，工厂在本地",
            "曾经流失后回来", "介绍人：李总", "每月初下单", "要求开增值税专票"]


def _free_text(rng: random.Random) -> str | None:
    if rng.random() < 0.3:
        return None
    return "；".join(rng.choice(_PHRASES) for _ in range(rng.randint(1, 5)))


def rep_rows(index: int, customers: int, visits: int, seed: int = 1000) -> tuple[str, dict[str, list[dict]]]:
    """One rep's name and sheets (sheet key → rows keyed by column key), seeded by `index`."""
    rng = random.Random(seed + index)
    opts = demo.DemoOptions(reps=1, customers=customers, visits=visits, seed=seed + index, mistakes=True,
                            previous_month=False)
    end = parse_period(opts.month).end
    start = date(end.year, end.month, 1) - timedelta(days=30 * (opts.months - 1))
    shared_rng = random.Random(seed)  # the same few companies in every rep's list: duplicates across the team
    shared = [{"name": f"{shared_rng.choice(demo.CITIES)}{shared_rng.choice(demo.WORDS)}{demo.TRADES['制造']}(集团)有限公司",
               "credit_code": demo.credit_code(shared_rng)} for _ in range(max(2, customers // 20))]
    rep = f"{demo._person(rng)}{index:03d}"  # unique across any number of reps
    rows = demo._customers(rng, index, opts, end, shared)
    for row in rows:
        row["extra0"], row["extra1"] = _free_text(rng), _free_text(rng)
    data = {"customers": rows, "contacts": demo._contacts(rng, rows, opts),
            "visit_plan": demo._plans(rng, rows, end), "daily_report": demo._visits(rng, rows, opts, start, end)}
    return rep, data


def write_plain_rep(path: Path, rep: str, data: dict[str, list[dict]], constant_memory: bool = False,
                    then: Callable[[xlsxwriter.Workbook, dict[str, Worksheet]], None] | None = None) -> Path:
    """`constant_memory`: rows streamed to disk, strings written inline (for big files); `then(book, sheets)`: a last
    change before the workbook is closed (the hostile cases in hostile.py)."""
    options = {"default_date_format": "yyyy-mm-dd", "constant_memory": constant_memory}
    sheets: dict[str, Worksheet] = {}
    with xlsxwriter.Workbook(str(path), options) as book:
        intro = book.add_worksheet(INSTRUCTIONS_SHEET)
        intro.write_row(0, 0, [REP_NAME_LABEL, rep])
        for spec in (CUSTOMERS, CONTACTS, VISIT_PLAN, DAILY_REPORT):
            columns = [(c.key, c.label) for c in spec.inputs]
            if spec is CUSTOMERS:
                columns += [(f"extra{i}", label) for i, label in enumerate(EXTRA_COLUMNS)]
            sheet = sheets[spec.name] = book.add_worksheet(spec.name)
            sheet.write_row(0, 0, [label for _, label in columns])
            for r, row in enumerate(data[spec.key], start=1):
                for c, (key, _) in enumerate(columns):
                    value = row.get(key)
                    if value is None:
                        continue
                    if isinstance(value, date):
                        sheet.write_datetime(r, c, datetime(value.year, value.month, value.day))
                    else:
                        sheet.write(r, c, value)
        if then:
            then(book, sheets)
    return path


def write_plain(args: tuple[Path, int, dict]) -> Path:
    folder, index, opts = args
    rep, data = rep_rows(index, opts["customers"], opts["visits"])
    return write_plain_rep(folder / f"{rep}.xlsx", rep, data)


def big_rep_rows(index: int, total_rows: int, customers: int) -> tuple[str, dict[str, list[dict]]]:
    """A rep of `total_rows` rows in all: `customers` customers, their contacts and plans, visits making up the rest.

    The visits are drawn uniformly (the demo weights each draw by grade, which is quadratic at this size)."""
    rep, data = rep_rows(index, customers, visits=0)
    rng = random.Random(f"big/{index}")
    ids = [c["customer_id"] for c in data["customers"]]
    end = parse_period(demo.DemoOptions().month).end
    visits = total_rows - sum(len(rows) for rows in data.values())
    data["daily_report"] = sorted((
        {"date": end - timedelta(days=rng.randrange(180)), "customer_id": rng.choice(ids), "contact": demo._person(rng),
         "mode": rng.choice(demo.MODES), "purpose": rng.choice(demo.PURPOSES), "result": rng.choice(demo.RESULTS),
         "feedback": rng.choice(demo.FEEDBACK) or None, "next_step": rng.choice(demo.STEPS),
         "expense": rng.choice([0, 120, 260, 380, 800]), "on_trip": rng.choice(["是", "否"]), "valid_info": "是"}
        for _ in range(visits)), key=lambda r: r["date"])
    return rep, data


def write_big(args: tuple[Path, int, int, int]) -> Path:
    folder, index, total_rows, customers = args
    rep, data = big_rep_rows(index, total_rows, customers)
    return write_plain_rep(folder / f"大表{rep}.xlsx", rep, data, constant_memory=True)
