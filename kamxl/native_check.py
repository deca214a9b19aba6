"""校验 without Python: the common checks of each rep sheet as native formulas, generated from the schema.

Every spreadsheet client calculates them (Excel on any platform, WPS, LibreOffice); each check flags only what
the Python rule flags too (tests/test_native_check.py proves it on generated values), the rest is the Python
check's alone (PYTHON_ONLY, said on the 说明 sheet).
"""

from typing import Iterable

from .parsing import (AMOUNT_NOISE, AMOUNT_UNITS, CREDIT_CHARS, CREDIT_WEIGHTS, EXCEL_EPOCH, FIRST_DATE, LAST_DATE,
                      YES_NO_WORDS)
from .schema import CUSTOMERS, HELPER_KEY_PREFIX, HELPER_PREFIX, REP_SHEETS, ColType, Column, Sheet

TABLE_NAMES = {"customers": "tblCustomers", "contacts": "tblContacts", "visit_plan": "tblVisitPlan",
               "daily_report": "tblDailyReport", "kpi": "tblKpi", "team": "tblTeam"}


def ref(table: str, label: str) -> str:
    """A structured reference to this row's cell of a table column."""
    return f"{table}[@[{label}]]"


# --- 校验 without Python -----------------------------------------------------------------------------------
# The common checks as native formulas (no dynamic arrays, LET, LAMBDA or TEXTJOIN: Excel 2010+, WPS and
# LibreOffice calculate them). Each check is generated from the column's spec and parsing.py's constants and
# flags only what the Python rule flags too (tests/test_native_check.py); the rest is the Python check's alone.
CHECK_SEPARATOR = "；"
NATIVE_MESSAGES = {
    "required": "{label}必填", "duplicate": "{label}重复", "unknown_customer": "{label}不在{sheet}中",
    "date": "{label}不是日期", "phone": "{label}无效", "mobile": "{label}无效", "credit_length": "{label}应为18位",
    "credit_chars": "{label}含无效字符", "credit_check": "{label}校验位错误", "choice": "{label}不在列表中",
    "amount": "{label}不是金额", "negative": "{label}为负数",
}
# what only the Python check (KAM_CHECK in the .xlsm, and the roll-up) finds: said on 说明
PYTHON_ONLY = ("邮箱格式；评估因素 1–5；晚于今天的日期；超过 1万亿元的金额；早于建档日期的拜访；同名客户与跨代表重复；"
               "固定电话的区号与位数细则；部分少见的日期与金额写法")
CHECKED_SHEETS = (CUSTOMERS,) + tuple(s for s in REP_SHEETS if s.keyed_by_customer)
FIRST_SERIAL = (FIRST_DATE - EXCEL_EPOCH).days  # 1901-01-01
END_SERIAL = (LAST_DATE - EXCEL_EPOCH).days + 1  # the day after 2199-12-31


def _literal(values: Iterable[str | int]) -> str:
    return "{" + ",".join(str(v) if isinstance(v, int) else '"' + v.replace('"', '""') + '"' for v in values) + "}"


# Every array constant a check reads is a workbook-level defined name ({…} in a name, a PtgName in the formula): a
# formula holding an array constant cannot be a shared formula (MS-XLSB SharedParsedFormula), a formula naming one
# can, and the spreadsheet reads a column's formula once instead of once a row.
DIGITS_NAME = "kam_digits"
CREDIT_POSITIONS_NAME = "kam_credit_positions"  # 1–17: the characters the check digit weighs
CREDIT_PLACES_NAME = "kam_credit_places"  # 1–18: every character of a code
CREDIT_WEIGHTS_NAME = "kam_credit_weights"


def list_name(col: Column) -> str:
    """The defined name of a column's list of accepted values (blank first: a blank is in the list)."""
    return "kam_list_yes_no" if col.type == ColType.YES_NO else f"kam_list_{col.key}"


def _list_values(col: Column) -> tuple[str, ...]:
    return ("",) + tuple(col.choices if col.type == ColType.CHOICE else YES_NO_WORDS)


def native_check_names() -> dict[str, str]:
    """Defined name → its formula (with =): the constants the native checks read, from parsing.py and the schema."""
    names = {DIGITS_NAME: "=" + _literal(range(10)), CREDIT_POSITIONS_NAME: "=" + _literal(range(1, 18)),
             CREDIT_PLACES_NAME: "=" + _literal(range(1, 19)), CREDIT_WEIGHTS_NAME: "=" + _literal(CREDIT_WEIGHTS)}
    for sheet in CHECKED_SHEETS:
        for col in sheet.inputs:
            if col.type in (ColType.CHOICE, ColType.YES_NO):
                formula = "=" + _literal(_list_values(col))
                if names.setdefault(list_name(col), formula) != formula:
                    raise ValueError(f"{list_name(col)}: two lists under one name")
    return names


def _substitute(text: str, pairs: Iterable[tuple[str, str]]) -> str:
    for old, new in pairs:
        text = f'SUBSTITUTE({text},"{old}","{new}")'
    return text


def _only_digits(text: str) -> str:
    """True when `text` (already cleaned) holds digits only: the digits it holds, counted digit by digit, are all
    its characters. (Short to compile: LibreOffice spends more time reading a long formula than calculating it.)"""
    return f'SUMPRODUCT(LEN({text})-LEN(SUBSTITUTE({text},{DIGITS_NAME},"")))=LEN({text})'



def _check_kinds(sheet: Sheet) -> list[str]:
    return [kind for *_, kind in _native_checks(sheet, "zh")]


def native_checks(sheet: Sheet, lang: str = "zh") -> list[tuple[Column, str, str]]:
    """(column, message, condition) of each native check of a rep sheet, as structured references to the row."""
    return [(col, message, condition) for col, message, condition, _ in _native_checks(sheet, lang)]


# Each cleaned value a check reads more than once (a phone's digits, a credit code, a date's or an amount's text) is
# computed once a row in a hidden helper column of the same table, after 校验, and the checks read that cell: a row
# evaluates a few dozen calls instead of hundreds. The helpers' headers start with a reserved prefix: the reader
# and the roll-up leave such columns out (they are no rep's own columns).
HELPER_WIDTH = 2
# full-width digits folded without ASC: a non-Chinese Excel's ASC may leave them as they are
FULL_WIDTH_DIGITS = tuple((chr(0xFF10 + d), str(d)) for d in range(10))
HELPED = (ColType.DATE, ColType.PHONE, ColType.MOBILE, ColType.CREDIT_CODE, ColType.AMOUNT)


def helper_column(col: Column) -> Column:
    return Column(f"{HELPER_KEY_PREFIX}{col.key}", f"{HELPER_PREFIX}{col.label}", computed=True, width=HELPER_WIDTH,
                  help=f"「{col.label}」整理后的值，供校验列使用（隐藏，请勿修改）")


def helper_columns(sheet: Sheet) -> list[Column]:
    """The hidden helper columns a checked sheet's table ends with, one per column whose cleaned value is reused."""
    if sheet not in CHECKED_SHEETS:
        return []
    return [helper_column(col) for col in sheet.inputs if col.type in HELPED and not col.key == "customer_id"]


def _cleaned(v: str) -> str:
    """A cell as parse_*'s clean_text reads it: full-width folded (digits without ASC too), trimmed."""
    return f"TRIM(ASC({_substitute(f'{v}&{chr(34) * 2}', FULL_WIDTH_DIGITS)}))"


def helper_formulas(sheet: Sheet, lang: str = "zh") -> dict[str, str]:
    """Helper column key → its formula (with =): the cleaned value its column's checks read."""
    t = TABLE_NAMES[sheet.key]
    out = {}
    for col in sheet.inputs:
        if helper_column(col) not in helper_columns(sheet):
            continue
        v = ref(t, col.header(lang))
        s = _cleaned(v)
        if col.type in (ColType.PHONE, ColType.MOBILE):
            value = _substitute(s, ((" ", ""), ("-", ""), ("(", ""), (")", ""), ("+", "")))
        elif col.type == ColType.CREDIT_CODE:
            value = f'UPPER({_substitute(s, ((" ", ""), ("-", "")))})'
        elif col.type == ColType.AMOUNT:
            noise = (" ",) + AMOUNT_NOISE
            # the yen signs go before ASC: ASC may turn ￥ into a backslash (ASC leaves the other, half-width, noise be)
            yen = tuple(w for w in noise if w in "￥¥")
            raw = _substitute(_substitute(f"{v}&{chr(34) * 2}", FULL_WIDTH_DIGITS), ((w, "") for w in yen))
            units = tuple(sorted(AMOUNT_UNITS, key=len, reverse=True))
            rest = tuple(w for w in noise if w not in yen)
            value = _substitute(f"UPPER(ASC({raw}))", ((w, "") for w in rest + units))
        else:  # a date: its text
            value = s
        out[helper_column(col).key] = "=" + value
    return out


def _native_checks(sheet: Sheet, lang: str) -> list[tuple[Column, str, str, str]]:
    t = TABLE_NAMES[sheet.key]
    checks: list[tuple[Column, str, str, str]] = []

    def add(col: Column, kind: str, condition: str):
        checks.append((col, NATIVE_MESSAGES[kind].format(label=col.label, sheet=CUSTOMERS.name), condition, kind))

    for col in sheet.inputs:
        v = ref(t, col.header(lang))
        s = f"TRIM(ASC({v}&\"\"))"  # as parse_*'s clean_text reads it: full-width folded, trimmed
        h = ref(t, helper_column(col).header(lang))  # the cleaned value, for the columns that have a helper
        filled = f"LEN({s})>0"
        if col.required:
            add(col, "required", f'{s}=""')
        if col.key == "customer_id" and sheet is CUSTOMERS:
            ids = f"{t}[{col.header(lang)}]"
            above = f"INDEX({ids},1):{v}"  # as check_rows: the first row of an id is kept, the later ones flagged
            # MATCH first (fast, but case-blind and reading ? and * as wildcards): an earlier row may hold the same
            # id; EXACT over the rows above to be sure
            add(col, "duplicate", f"IF(IFERROR(MATCH({v},{ids},0)<ROWS({above}),FALSE),SUMPRODUCT(--EXACT({above},{v}))>1,FALSE)")
        elif col.key == "customer_id":
            ids = f'{TABLE_NAMES["customers"]}[{CUSTOMERS.column("customer_id").header(lang)}]'
            add(col, "unknown_customer", f"AND({filled},ISNA(MATCH({v},{ids},0)))")
        elif col.type == ColType.DATE:
            # outside [FIRST_SERIAL, END_SERIAL), x read once: its day's distance from the middle of the range
            centre, radius = (FIRST_SERIAL + END_SERIAL - 1) / 2, (END_SERIAL - 1 - FIRST_SERIAL) / 2
            out = f"ABS(INT({{x}})-{centre:.1f})>{radius:.1f}"
            text = _substitute(h, (("年", "-"), ("月", "-"), ("日", ""), ("号", ""), ("/", "-"), (".", "-")))
            as_text = f"IFERROR({out.format(x=f'DATEVALUE({text})')},TRUE)"
            # digits only: a serial (45000) or 20261003, as parse_date reads them; only the serial is checked here
            as_number = f"AND(LEN({h})<>8,{out.format(x=f'VALUE({h})')})"
            number_like = _only_digits(f'SUBSTITUTE({h},".","",1)')  # 45000 or 45000.5: a serial typed as text
            add(col, "date", f"IF(ISNUMBER({v}),{out.format(x=v)},IF(LEN({h})>0,IF({number_like},{as_number},{as_text}),FALSE))")
        elif col.type in (ColType.PHONE, ColType.MOBILE):
            d = h
            first, second = f"LEFT({d},1)", f"MID({d},2,1)"
            mobile_ok = f'AND({first}="1",{second}>="3")'
            if col.type == ColType.MOBILE:
                wrong = (f'OR(NOT({_only_digits(d)}),LEN({d})<11,AND(LEN({d})=11,NOT({mobile_ok})),'
                         f'AND(LEN({d})>11,LEFT({d},2)<>"86",LEFT({d},4)<>"0086"))')
            else:  # a mobile (1…, 11 digits), a landline (0…, 10 digits or more) or either after +86
                wrong = (f'OR(NOT({_only_digits(d)}),LEN({d})<10,AND({first}<>"0",{first}<>"1",{first}<>"8"),'
                         f'AND({first}="1",OR(LEN({d})<>11,NOT({mobile_ok}))))')
            add(col, "mobile" if col.type == ColType.MOBILE else "phone", f"AND({filled},{wrong})")
        elif col.type == ColType.CREDIT_CODE:
            c = h
            chars = f'"{CREDIT_CHARS}"'
            positions, weights = CREDIT_POSITIONS_NAME, CREDIT_WEIGHTS_NAME
            add(col, "credit_length", f"AND({filled},LEN({c})<>18)")
            bad_char = f"SUMPRODUCT(--ISERROR(FIND(MID({c},{CREDIT_PLACES_NAME},1),{chars})))>0"
            add(col, "credit_chars", f"IF(LEN({c})=18,{bad_char},FALSE)")
            total = f"SUMPRODUCT((FIND(MID({c},{positions},1),{chars})-1)*{weights})"
            expected = f"MID({chars},MOD(31-MOD({total},31),31)+1,1)"
            add(col, "credit_check", f"IF(LEN({c})=18,IFERROR(AND(FIND(RIGHT({c},1),{chars})>0,NOT(EXACT(RIGHT({c},1),{expected}))),FALSE),FALSE)")
        elif col.type in (ColType.CHOICE, ColType.YES_NO):
            add(col, "choice", f"ISNA(MATCH({s},{list_name(col)},0))")  # blank: in the list
        elif col.type == ColType.AMOUNT:
            add(col, "amount", f"AND({filled},ISERROR(-{h}))")
            add(col, "negative", f"AND({filled},IFERROR(-{h}>0,FALSE))")
    return checks


def native_check_formula(sheet: Sheet, lang: str = "zh") -> str:
    """The 校验 formula of a sheet without Python: each problem's message followed by 「；」, the last one dropped."""
    t = TABLE_NAMES[sheet.key]
    inputs = sheet.inputs
    row = f"{t}[@[{inputs[0].header(lang)}]:[{inputs[-1].header(lang)}]]"
    pieces = "&".join(f'IF({cond},"{CHECK_SEPARATOR}{msg}","")' for _, msg, cond in native_checks(sheet, lang))
    return f'IF(SUMPRODUCT(LEN({row}))=0,"",MID({pieces},2,1000))'


def native_check_help() -> str:
    """What the native 校验 checks and what only the Python check does, in words, from the checks themselves."""
    kinds = {"required": "必填项为空", "duplicate": "客户编号重复", "unknown_customer": "客户编号不在客户档案中",
             "date": f"日期无法识别或不在 {FIRST_DATE.year}–{LAST_DATE.year} 年", "phone": "电话与手机号码的位数和开头",
             "credit_length": "统一社会信用代码的长度、字符和校验位",
             "choice": "不在下拉列表中的值", "amount": "金额不是数字（可写 12.5万、1,250,000元）或为负数"}
    found = {kind for sheet in CHECKED_SHEETS for kind in _check_kinds(sheet)}
    covered = "；".join(text for kind, text in kinds.items() if kind in found)
    return (f"不需要 Python 的检查（Excel、WPS、Mac 与网页版、LibreOffice 均可计算）：{covered}。"
            f"只有 Python 校验（rep_workbook.xlsm 的「校验」按钮与列，以及总监汇总）才检查：{PYTHON_ONLY}。"
            "装有 Python 与 kamxl 时，「客户档案」的校验列显示 Python 的完整结果。")
