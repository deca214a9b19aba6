"""Every roll-up sheet within Excel's 16,384 columns (A to XFD), whatever a rep's workbook holds."""

import re
import zipfile

import openpyxl
import pytest
import xlsxwriter
from click.testing import CliRunner

from kamxl.cli import main
from tests.conftest import customer

EXTRAS = 16_379  # a rep's own columns beside the five of the template: the source sheet exactly A to XFD


def _wide_workbook(path):
    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    wb.add_worksheet("说明").write_column(0, 0, ["代表姓名", "模板版本"])
    wb.worksheets()[0].write_column(0, 1, ["李娜", "1.0"])
    ws = wb.add_worksheet("客户档案")
    ws.write_row(0, 0, ["客户编号", "客户名称", "行业", "开发阶段", "建档日期"] + [f"自定义{i}" for i in range(EXTRAS)])
    ws.write_row(1, 0, ["KA-900001", "宽表客户", "制造", "合作", "2026-03-01"] + [f"值{i}" for i in range(EXTRAS)])
    for name, header in {"联系人": ["客户编号", "姓名"], "拜访计划": ["计划日期", "客户编号"],
                         "拜访日报": ["日期", "客户编号", "拜访结果"]}.items():
        wb.add_worksheet(name).write_row(0, 0, header)
    wb.close()


@pytest.mark.slow
def test_a_rep_s_extra_columns_stop_at_xfd_and_those_left_out_are_named(tmp_path, rep_workbook):
    team = tmp_path / "team"
    team.mkdir()
    rep_workbook([customer("KA-100001", "华信精密机械有限公司")], name="team/张伟.xlsx")
    _wide_workbook(team / "李娜.xlsx")
    out = tmp_path / "rollup.xlsx"
    CliRunner().invoke(main, ["consolidate", str(team), "--period", "2026-10", "--out", str(out)],
                       catch_exceptions=False)
    with zipfile.ZipFile(out) as zf:
        workbook = zf.read("xl/workbook.xml").decode()
        sheet_ids = re.findall(r'<sheet name="([^"]+)" sheetId="\d+"[^>]*r:id="rId(\d+)"', workbook)
        number = dict(sheet_ids)["客户总表"]
        dimension = re.search(r'<dimension ref="A1:([A-Z]+)\d+"/>', zf.read(f"xl/worksheets/sheet{number}.xml").decode())
    assert dimension.group(1) == "XFD"  # the sheet's last column: no further
    book = openpyxl.load_workbook(out, read_only=True)
    rows = list(book["客户总表"].iter_rows(values_only=True))
    header = rows[0]
    assert len(header) == 16_384 and header[-2:] == ("来源文件", "源行号")  # our own columns kept, the last ones too
    kept = [h for h in header if str(h).startswith("自定义")]
    assert kept == [f"自定义{i}" for i in range(len(kept))]  # the rep's columns in order, as far as they fit
    dropped = EXTRAS - len(kept)
    assert dropped > 0
    by_file = {row[header.index("来源文件")]: row for row in rows[1:]}
    assert set(by_file) == {"张伟.xlsx", "李娜.xlsx"}  # every customer keeps its source file
    assert by_file["李娜.xlsx"][header.index(f"自定义{len(kept) - 1}")] == f"值{len(kept) - 1}"
    problems = [row for row in book["数据问题"].iter_rows(values_only=True) if row[0] == "李娜.xlsx"
                and row[1] == "客户档案" and "放不下" in str(row[5])]
    assert len(problems) == 1  # one per file and sheet
    assert f"有 {dropped} 列放不下" in problems[0][5] and f"自定义{len(kept)}、" in problems[0][4]
    assert problems[0][6] == "警告"
