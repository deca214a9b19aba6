"""The parsers' shortcuts give what the long way gives."""

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kamxl import parsing
from kamxl.rows import _parse_column

pytestmark = pytest.mark.slow  # 500 generated examples per shortcut; tests/test_parsing.py holds the parsers' tables

_ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=12) | \
    st.text(st.sampled_from("a 张\x00\x0b\t\n\ud800\udfff\ufffe\uffff\u3000１"), max_size=8)


@given(_ANY_TEXT)
@settings(max_examples=500)
def test_clean_text_drops_what_xml_forbids_with_or_without_the_printable_shortcut(text):
    expected = unicodedata.normalize("NFKC", parsing.ILLEGAL_XML.sub(
        lambda m: "" if m.group() < " " else "\ufffd", text)).strip() or None
    assert parsing.clean_text(text) == expected


@given(st.one_of(_ANY_TEXT, st.none(), st.integers(), st.floats(), st.booleans()))
@example("\u3000\x0b\t")
@example(" \ud800 ")
@settings(max_examples=500)
def test_is_blank_without_the_stripped_copy_is_the_long_way(raw):
    long_way = raw is None or (isinstance(raw, str) and (not raw.strip() or (
        parsing.ILLEGAL_XML.search(raw) is not None and not parsing.xml_safe(raw).strip())))
    assert parsing.is_blank(raw) == long_way


_RAWS = st.lists(st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, 1.0, 2.5]),
                           st.sampled_from(["", " ", "是", "否", "1", "x", "１"])), max_size=30)


@given(_RAWS, _RAWS, st.sampled_from([parsing.parse_text, parsing.parse_yes_no, parsing.parse_amount, parsing.parse_date]))
def test_a_column_parses_cell_by_cell_alike(first, again, parse):
    memo: dict = {}  # kept between calls, as the KAM_CHECK worksheet function keeps it between recalculations
    for raws, kept in ((first, memo), (again, memo), (first, None), (again, None)):  # None: a file read once
        values, issues = _parse_column(raws, parse, kept)
        cells = [parse(raw) for raw in raws]
        assert values == [c.value for c in cells]
        assert [type(v) for v in values] == [type(c.value) for c in cells]
        assert issues == {j: c for j, c in enumerate(cells) if c.problem}


def _mobile_the_long_way(raw) -> parsing.Parsed:
    if parsing.is_blank(raw):
        return parsing.BLANK
    digits = parsing._phone_digits(raw).replace("-", "")
    return parsing.Parsed(digits) if parsing._MOBILE.match(digits) else parsing.Parsed(parsing.clean_text(raw), "bad_mobile")


def _phone_the_long_way(raw) -> parsing.Parsed:
    if parsing.is_blank(raw):
        return parsing.BLANK
    text = parsing._phone_digits(raw)
    if parsing._MOBILE.match(text.replace("-", "")):
        return parsing.Parsed(text.replace("-", ""))
    if parsing._LANDLINE.match(text):
        return parsing.Parsed(text)
    return parsing.Parsed(parsing.clean_text(raw), "bad_phone")


_PHONES = st.text(st.sampled_from("0123456789 -\n+（）８"), max_size=16) | \
    st.from_regex(r"1[3-9][0-9]{9}\n?", fullmatch=True) | st.from_regex(r"0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?\n?", fullmatch=True)


@given(_PHONES)
@example("13800138000\n")
@example("010-12345678\n")
@settings(max_examples=500)
def test_phone_shortcuts_give_what_the_long_way_gives(raw):
    assert parsing.parse_mobile(raw) == _mobile_the_long_way(raw)
    assert parsing.parse_phone(raw) == _phone_the_long_way(raw)
