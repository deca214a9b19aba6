"""Cell parsers: a raw cell value (as Excel or a reader gives it) → a clean value or a problem.

Each parser returns `Parsed(value, problem)`; `problem` is a message code of `messages.py`
(with its parameters) or None. Pure Python: no workbook library is imported here.
"""

import math
import re
import unicodedata
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 once Excel's 1900 leap-year bug is absorbed


class Parsed(NamedTuple):
    value: Any = None
    problem: str | None = None
    params: tuple = ()  # (name, value) pairs for the message

    @property
    def ok(self) -> bool:
        return self.problem is None


BLANK = Parsed()


def is_blank(raw) -> bool:
    """None, or text with nothing but spaces — and characters a workbook cannot hold, which are dropped."""
    if raw is None:
        return True
    if not isinstance(raw, str):
        return False
    if not raw or raw.isspace():  # what strip() would leave empty, without making the stripped copy
        return True
    # what XML forbids is never printable: the search is only for text that is not
    return not raw.isprintable() and ILLEGAL_XML.search(raw) is not None and not xml_safe(raw).strip()


ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # what XML 1.0 cannot hold


def xml_safe(text: str) -> str:
    """Text a workbook can hold: control characters dropped, lone surrogates and U+FFFE/U+FFFF replaced by U+FFFD."""
    return ILLEGAL_XML.sub(lambda m: "" if m.group() < " " else "\ufffd", text)


def clean_text(raw) -> str | None:
    """Text as a person typed it: NFKC-folded (full-width → half-width), trimmed; numbers without '.0'."""
    if raw.__class__ is str:  # the common case first
        if not raw.isprintable() and ILLEGAL_XML.search(raw):  # what XML forbids is never printable: skip the search
            raw = xml_safe(raw)
        if raw.isascii():  # NFKC leaves ASCII as it is
            return raw.strip() or None
        return unicodedata.normalize("NFKC", raw).strip() or None
    if raw is None:
        return None
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat(sep=" ")
    if isinstance(raw, date):
        return raw.isoformat()
    return unicodedata.normalize("NFKC", str(raw)).strip()


def parse_text(raw) -> Parsed:
    return Parsed(clean_text(raw))


AMOUNT_NOISE = (",", "￥", "¥", "$", "RMB", "CNY", "人民币")  # dropped from an amount's text, with its spaces
_AMOUNT_STRIP = re.compile(r"\s|" + "|".join(map(re.escape, AMOUNT_NOISE)))
_AMOUNT = re.compile(r"^([+-]?\d+(?:\.\d+)?)(亿元|亿|万元|万|千元|元)?$")
_MULTIPLIER = {None: None, "元": 1, "千元": 1_000, "万": 10_000, "万元": 10_000, "亿": 100_000_000, "亿元": 100_000_000}
AMOUNT_UNITS = tuple(unit for unit in _MULTIPLIER if unit)  # the units an amount's text may end with
_UNIT_YUAN = {"元": 1, "万元": 10_000}
MAX_AMOUNT_YUAN = 1e12  # 1万亿元: beyond it an amount is a typo or a hostile cell, never money a customer spends
_AMOUNT_LIMIT = MAX_AMOUNT_YUAN / 10_000  # a number cell this small passes without its unit looked up


def parse_amount(raw, unit: str | None = "元") -> Parsed:
    """Money in the column's unit: numbers as they are, text such as `12.5万`, `1,250,000元`, `￥300,000`."""
    if (raw.__class__ is float or raw.__class__ is int) and raw == raw and -_AMOUNT_LIMIT <= raw <= _AMOUNT_LIMIT \
            and not 0 < abs(raw) < 5e-7:
        return Parsed(float(raw)) if raw >= 0 else Parsed(float(raw), "negative_amount")  # a number cell: as typed
    if is_blank(raw):
        return BLANK
    if isinstance(raw, bool):
        return Parsed(None, "bad_amount")
    if isinstance(raw, (int, float)):
        value = float(raw)
    else:
        text = _AMOUNT_STRIP.sub("", unicodedata.normalize("NFKC", str(raw)).upper())
        match = _AMOUNT.match(text)
        if not match:
            return Parsed(None, "bad_amount")
        value = float(match.group(1))
        written = _MULTIPLIER[match.group(2)]
        if written is not None:
            # a written unit wins over the column's: 1,250,000元 in a 万元 column is 125
            value = value * written / _UNIT_YUAN.get(unit or "元", 1)
    if not math.isfinite(value) or abs(value) * _UNIT_YUAN.get(unit or "元", 1) > MAX_AMOUNT_YUAN \
            or 0 < abs(value) < 5e-7:  # a positive amount that would round to nothing (a plan of 1e-300)
        return Parsed(None, "amount_range", (("limit", "1万亿元"),))
    value = round(value, 6)
    if value < 0:
        return Parsed(value, "negative_amount")
    return Parsed(value)


def parse_integer(raw) -> Parsed:
    amount = parse_amount(raw, None)
    if amount.value is None or amount.problem == "bad_amount":
        return Parsed(None, "bad_number") if amount.problem else BLANK
    if not float(amount.value).is_integer():
        return Parsed(None, "bad_number")
    return Parsed(int(amount.value), amount.problem)


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def excel_serial_to_date(serial: float) -> date | None:
    """An Excel serial number (1900 date system) as a date; None outside 1901–2199."""
    if not 367 <= serial < 110_000:
        return None
    return EXCEL_EPOCH + timedelta(days=int(serial))


FIRST_DATE, LAST_DATE = date(1901, 1, 1), date(2199, 12, 31)  # Excel serials 367–110,000; what a rule can add to


def parse_date(raw) -> Parsed:
    """A date from a real date, an Excel serial, `2026/10/3`, `2026-10-03`, `2026年10月3日` or `20261003`."""
    parsed = _parse_date(raw)
    if parsed.value is not None and not FIRST_DATE <= parsed.value <= LAST_DATE:
        return Parsed(None, "date_range", (("first", FIRST_DATE.isoformat()), ("last", LAST_DATE.isoformat())))
    return parsed


def _parse_date(raw) -> Parsed:
    if is_blank(raw):
        return BLANK
    if isinstance(raw, datetime):
        return Parsed(raw.date())
    if isinstance(raw, date):
        return Parsed(raw)
    if isinstance(raw, bool):
        return Parsed(None, "bad_date")
    if isinstance(raw, (int, float)):
        serial = excel_serial_to_date(float(raw))
        return Parsed(serial) if serial else Parsed(None, "bad_date")
    text = unicodedata.normalize("NFKC", str(raw)).strip().replace(" ", " ")
    text = re.sub(r"\s+", " ", text)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return Parsed(date(*(int(g) for g in match.groups())))
            except ValueError:
                return Parsed(None, "bad_date")
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return _parse_date(float(text))
    return Parsed(None, "bad_date")


_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(?:-\d{1,6})?$")


def _phone_digits(raw) -> str:
    text = clean_text(raw) or ""
    text = re.sub(r"[\s()（）]", "", text).replace("—", "-").replace("－", "-")
    text = re.sub(r"^(?:\+|00)?86-?", "", text) if len(re.sub(r"\D", "", text)) > 11 else text
    return text


def parse_mobile(raw) -> Parsed:
    """A mainland mobile number, normalised to 11 digits (`138 0013 8000` → `13800138000`)."""
    if raw.__class__ is str and raw.isascii() and _MOBILE.fullmatch(raw):
        return Parsed(raw)  # the common case, without the clean-up below
    if is_blank(raw):
        return BLANK
    digits = _phone_digits(raw).replace("-", "")
    return Parsed(digits) if _MOBILE.match(digits) else Parsed(clean_text(raw), "bad_mobile")


def parse_phone(raw) -> Parsed:
    """A mobile or landline number (`010-12345678`, `0755 8888 6666-201`)."""
    if raw.__class__ is str and raw.isascii() and (_MOBILE.fullmatch(raw) or (_LANDLINE.fullmatch(raw)
                                                                            and not raw.startswith("0086"))):
        return Parsed(raw)  # the common cases, without the clean-up below
    if is_blank(raw):
        return BLANK
    text = _phone_digits(raw)
    if _MOBILE.match(text.replace("-", "")):
        return Parsed(text.replace("-", ""))
    if _LANDLINE.match(text):
        return Parsed(text)
    return Parsed(clean_text(raw), "bad_phone")


_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")


def parse_email(raw) -> Parsed:
    if is_blank(raw):
        return BLANK
    text = clean_text(raw)
    return Parsed(text) if text and _EMAIL.match(text) else Parsed(text, "bad_email")


_YES = {"是", "y", "yes", "true", "1", "有", "√", "✓", "对"}
_NO = {"否", "n", "no", "false", "0", "无", "×", "✗", "不"}
YES_NO_WORDS = tuple(sorted(_YES | _NO))  # every answer parse_yes_no reads (compared lower-cased)


def parse_yes_no(raw) -> Parsed:
    if is_blank(raw):
        return BLANK
    if isinstance(raw, bool):
        return Parsed(raw)
    text = (clean_text(raw) or "").lower()
    if text in _YES:
        return Parsed(True)
    if text in _NO:
        return Parsed(False)
    return Parsed(None, "bad_yes_no")


def parse_choice(raw, choices: tuple[str, ...]) -> Parsed:
    """One of the list's values, matched after trimming (full-width folded); otherwise kept with a warning."""
    if is_blank(raw):
        return BLANK
    text = clean_text(raw)
    if text in choices:
        return Parsed(text)
    folded = {unicodedata.normalize("NFKC", c): c for c in choices}
    if text in folded:
        return Parsed(folded[text])
    return Parsed(text, "bad_choice", (("choices", "/".join(choices)),))


def parse_factor(raw) -> Parsed:
    """A value-assessment rating, a whole number from 1 to 5."""
    number = parse_integer(raw)
    if number.value is None and number.ok:
        return BLANK
    if not number.ok or not 1 <= number.value <= 5:
        return Parsed(None, "bad_factor")
    return number


CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {ch: i for i, ch in enumerate(CREDIT_CHARS)}
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # of the first 17 characters
_CREDIT_WEIGHTS = CREDIT_WEIGHTS
# position i → {character: value × weight}: one lookup per character when checking thousands of codes
_CREDIT_TERMS = tuple({ch: v * w for ch, v in _CREDIT_VALUE.items()} for w in _CREDIT_WEIGHTS)


def credit_code_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code (GB 32100-2015, modulo 31)."""
    total = sum(map(dict.__getitem__, _CREDIT_TERMS, first17))
    return CREDIT_CHARS[(31 - total % 31) % 31]


def parse_credit_code(raw) -> Parsed:
    """A unified social credit code: 18 characters whose last is the GB 32100-2015 check character."""
    if raw.__class__ is str and len(raw) == 18 and raw.isascii() and raw.isalnum():
        code = raw.upper()  # the common case, without the clean-up below
    elif is_blank(raw):
        return BLANK
    else:
        code = "".join((clean_text(raw) or "").split()).replace("-", "").upper()
    if len(code) != 18:
        return Parsed(code, "bad_credit_length", (("length", len(code)),))
    try:
        expected = credit_code_check_char(code[:17])
    except KeyError:
        return Parsed(code, "bad_credit_chars")
    if code[17] not in _CREDIT_VALUE:
        return Parsed(code, "bad_credit_chars")
    if code[17] != expected:
        return Parsed(code, "bad_credit_check", (("expected", expected),))
    return Parsed(code)


_COMPANY_SUFFIXES = re.compile(r"(股份有限公司|有限责任公司|有限公司|集团公司|公司|股份|集团|co\.?,?ltd\.?|ltd\.?|inc\.?)$")


def normalise_company_name(name) -> str | None:
    """The key two reps' spellings of one company share: NFKC, no spaces or brackets, no legal suffix."""
    text = clean_text(name)
    if not text:
        return None
    text = re.sub(r"[\s·.,，。()\[\]【】]", "", text.lower())
    stripped = _COMPANY_SUFFIXES.sub("", text)
    while stripped != text:
        text, stripped = stripped, _COMPANY_SUFFIXES.sub("", stripped)
    return text or None
