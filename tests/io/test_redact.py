"""The roll-up copy without personal fields, on a workbook whose strings are shared (as Excel and xlsxwriter write them)."""

import zipfile

import openpyxl
import xlsxwriter

from kamxl.io.outputs.redact import write_without_personal

CONTACT_HEADER = ["代表", "客户编号", "姓名", "职务", "角色", "手机", "邮箱", "生日", "爱好", "微信", "来源文件", "源行号"]
PROBLEM_HEADER = ["文件", "工作表", "行", "列", "原始值", "问题", "处理", "被拒收行的全部原始内容"]


def _text(path) -> str:
    with zipfile.ZipFile(path) as zf:
        return "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())


def test_personal_cells_and_the_shared_strings_only_they_used_are_gone(tmp_path):
    sheets = {"总览": [["大客户部月度汇总 2026-10"]], "联系人": [
        CONTACT_HEADER,
        ["张伟", "KA-1", "王五", "总经理", "决策者", "13900001111", "wang@corp.cn", "1980-05-06", "围棋", "wx_wang5", "a.xlsx", 2],
        ["张伟", "KA-1", "赵六", "围棋", "使用者", "13900002222", None, None, None, None, "a.xlsx", 3],
    ], "数据问题": [
        PROBLEM_HEADER,
        ["a.xlsx", "联系人", 4, "手机", "1390000", "手机号无效", "警告", None],
        ["a.xlsx", "联系人", 5, "客户编号", "KA-9", "客户编号不在本文件的客户档案中", "拒收", "客户编号=KA-9｜姓名=孙七｜手机=13900003333｜爱好=钓鱼"],
        ["a.xlsx", "客户档案", 6, "电话", "010-1", "电话号码无效", "警告", None],
    ]}
    source = tmp_path / "rollup.xlsx"
    wb = xlsxwriter.Workbook(source)  # shared strings, like Excel
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value)
    wb.close()
    with zipfile.ZipFile(source) as zf:
        assert "13900001111" in zf.read("xl/sharedStrings.xml").decode()
    before = source.read_bytes()

    copy = write_without_personal(source, tmp_path / "copy.xlsx")

    assert source.read_bytes() == before  # the director's roll-up is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.xlsx", "rollup.xlsx"]  # no temporary file left
    text = _text(copy)
    for secret in ("13900001111", "13900002222", "wang@corp.cn", "1980-05-06", "wx_wang5", "1390000", "13900003333", "钓鱼"):
        assert secret not in text
    out = openpyxl.load_workbook(copy)
    rows = list(out["联系人"].iter_rows(values_only=True))
    assert list(rows[0]) == CONTACT_HEADER
    assert rows[1] == ("张伟", "KA-1", "王五", "总经理", "决策者", None, None, None, None, None, "a.xlsx", 2)
    assert rows[2][3] == "围棋"  # the same text as a blanked hobby, kept where it is not personal
    problem_rows = list(out["数据问题"].iter_rows(values_only=True))
    assert problem_rows[1][4] is None
    assert problem_rows[2][4] == "KA-9" and problem_rows[2][7] == "客户编号=KA-9｜姓名=孙七"
    assert problem_rows[3][4] == "010-1"  # a company's phone is not a person's
