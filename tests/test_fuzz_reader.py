"""Fuzz of the reader: a real valid workbook, mutated (XML bytes, zip members, cell values, truncation),
must always give `validate_file` a report — any status — and never an exception, a native abort or a hang.

Bounded for CI: KAMXL_FUZZ_EXAMPLES inputs (default 150), each read in a forked child limited in
memory and time (see tests/hostile.py: run_isolated). Longer on demand, e.g.
`KAMXL_FUZZ_EXAMPLES=5000 python -m pytest -q tests/test_fuzz_reader.py -p no:cacheprovider`;
KAMXL_FUZZ_SHRINK=1 also shrinks a failure to a minimal example (slow: each try forks a reader).
The number of inputs run is printed in the terminal summary.
"""

import io
import os
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from kamxl.messages import MESSAGES
from kamxl.validation import validate_file
from tests.conftest import FUZZ_INPUTS  # imported here, once: each forked reader inherits it
from tests.hostile import (CUSTOMER_LABELS, inline, number, read_members, run_isolated, set_cell, write_kpi_workbook,
                           write_valid_rep_workbook)

pytestmark = pytest.mark.slow  # KAMXL_FUZZ_EXAMPLES mutated workbooks, each read in a forked child

EXAMPLES = int(os.environ.get("KAMXL_FUZZ_EXAMPLES", "150"))
SHRINK = os.environ.get("KAMXL_FUZZ_SHRINK", "") not in ("", "0")
READ_SECONDS = 30


def _valid_members() -> dict[str, list[tuple[str, bytes]]]:
    """The zip members of a valid rep workbook and of a valid KPI workbook (its 参数 sheet feeds the settings)."""
    with tempfile.TemporaryDirectory() as tmp:
        return {"rep": read_members(write_valid_rep_workbook(Path(tmp) / "rep.xlsx", "模糊测试")),
                "kpi": read_members(write_kpi_workbook(Path(tmp) / "kpi.xlsx"))}


SEEDS = _valid_members()
SEED = SEEDS["rep"]
CELL_REFS = [f"{col}{row}" for col in "ABCDEF"[: len(CUSTOMER_LABELS)] for row in (2, 3, 4)]


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicate names may be drawn
            for name, data in members:
                zf.writestr(name, data)
    return buffer.getvalue()


# ---------------------------------------------------------------- mutations


class Mutation:
    """A mutated file; shown by what was done (the bytes would flood a failure report)."""

    def __init__(self, kind: str, where: str, data: bytes, detail: str = ""):
        self.kind, self.where, self.data, self.detail = kind, where, data, detail

    def __repr__(self):
        return f"Mutation({self.kind} {self.where} {self.detail} → {len(self.data)} bytes)"


@st.composite
def byte_edits(draw):
    """Flip, insert or delete bytes inside one member's XML (of the rep or the KPI workbook)."""
    seed = draw(st.sampled_from(sorted(SEEDS)))
    members = list(SEEDS[seed])
    i = draw(st.sampled_from(range(len(members))))
    name, data = members[i]
    data = bytearray(data)
    done = []
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        op = draw(st.sampled_from(["flip", "insert", "delete"]))
        if op == "flip" and data:
            mask = draw(st.integers(1, 255))
            data[at] ^= mask
            done.append(f"flip@{at}^{mask}")
        elif op == "insert":
            piece = draw(st.binary(min_size=1, max_size=16) | st.sampled_from(
                [b"<", b">", b"&", b"&#0;", b"&#xFFFF;", b"]]>", b"<!DOCTYPE x>", b"\x00", b"\xff\xfe", b'r="XFD1048576"',
                 b'<c r="A1048576"><v>1</v></c>', b"</row>", b"<row>"]))
            data[at:at] = piece
            done.append(f"insert@{at}:{piece!r}")
        else:
            n = draw(st.integers(1, 64))
            done.append(f"delete@{at}:{bytes(data[at:at + n])!r}")
            del data[at:at + n]
    members[i] = (name, bytes(data))
    return Mutation("bytes", f"{seed}:{name}", _zip(members), " ".join(done))


@st.composite
def member_edits(draw):
    """Swap two members' contents, drop one, or duplicate one under the same name."""
    seed = draw(st.sampled_from(sorted(SEEDS)))
    members = list(SEEDS[seed])
    names = [name for name, _ in members]
    op = draw(st.sampled_from(["swap", "drop", "duplicate"]))
    i = draw(st.sampled_from(range(len(members))))
    j = draw(st.sampled_from(range(len(members))))
    if op == "swap":
        (a, da), (b, db) = members[i], members[j]
        members[i], members[j] = (a, db), (b, da)
    elif op == "drop":
        del members[i]
    else:
        members.append((members[i][0], members[j][1]))
    return Mutation(op, f"{seed}:{names[i]} / {names[j]}", _zip(members))


@st.composite
def truncations(draw):
    """The valid zip cut at some byte."""
    data = _zip(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    cut = draw(st.integers(0, len(data) - 1))
    return Mutation("truncate", f"at {cut} of {len(data)}", data[:cut])


NUMBER_TEXTS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**400, 10**400).map(str),
    st.sampled_from(["inf", "-inf", "NaN", "1e308", "-1e308", "1e-320", "1e999", "0x10", "", " ", "1,5", "2958466", "1e12"]),
)


@st.composite
def cell_edits(draw):
    """A customer cell (id, name, industry, stage, date, amount) rewritten as random text or a random number."""
    ref = draw(st.sampled_from(CELL_REFS))
    if draw(st.booleans()):
        text = draw(st.text(max_size=40))
        text = escape(text) if draw(st.booleans()) else text  # unescaped text may break the XML: that is fair game
        cell = inline(ref, text)
    else:
        cell = number(ref, draw(NUMBER_TEXTS), style=draw(st.sampled_from([None, "1"])))
    members = [(n, set_cell(d, ref, cell.encode("utf-8", "surrogatepass")) if n == "xl/worksheets/sheet2.xml" else d)
               for n, d in SEED]
    return Mutation("cell", ref, _zip(members), cell)


MUTATIONS = st.one_of(byte_edits(), member_edits(), truncations(), cell_edits())


# ---------------------------------------------------------------- the property


def _validate(path: str) -> dict:
    """What the parent checks of the report (a plain dict: it crosses the process boundary)."""
    report = validate_file(path)
    return {"status": report.status, "reason": report.reason, "sheets": report.sheets,
            "codes": [p.code for p in report.problems], "messages": [p.message() for p in report.problems]}


@pytest.fixture(scope="module")
def tally(request):
    counts = {"inputs": 0}
    yield counts
    request.config.stash[FUZZ_INPUTS] = counts["inputs"]  # tests/conftest.py prints it in the summary


@pytest.mark.timeout(max(120, EXAMPLES * 2))
def test_any_mutation_of_a_real_workbook_gives_a_report(tally):
    phases = tuple(Phase) if SHRINK else (Phase.explicit, Phase.reuse, Phase.generate)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=phases,
              suppress_health_check=list(HealthCheck))
    @given(MUTATIONS)
    def check(mutation):
        tally["inputs"] += 1
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "fuzzed.xlsx"
            path.write_bytes(mutation.data)
            try:
                report = run_isolated(_validate, str(path), seconds=READ_SECONDS)
            except AssertionError as exc:
                raise AssertionError(f"{mutation!r}: {exc}") from None
        assert report["status"] in ("ok", "failed", "skipped"), report
        if report["status"] == "failed":
            assert report["reason"], report
        assert all(code in MESSAGES for code in report["codes"]), report
        for counts in report["sheets"].values():
            assert counts["read"] == counts["accepted"] + counts["rejected"], report

    check()
