"""The buttons' handlers, driven through the file-backed workbook on real .xlsm files (no Excel, no mocks)."""

import email
import email.policy
import io
import json
import shutil
import socket
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils import get_column_letter

from kamxl.cli import main
from kamxl.demo import DemoOptions, write_demo_team
from kamxl.director import build_director_workbook
from kamxl.excel import macros
from kamxl.excel.book import FileBook
from kamxl.schema import REP_SHEETS
from kamxl.templates import build_rep_workbook
from kamxl.validation import validate_file
from tests.test_mail import Inbox

ORANGE = macros.MARK_COLOUR.lstrip("#").upper()

# value factors giving a known grade (inverse factors count 6 − x): all 5s → 100 A, 68.6 B, 40 C, 20 D
GRADE_FACTORS = {
    "A": dict(f_share=5, f_cost=1, f_risk=1, f_value=5, f_payment_risk=1, f_supply=5, f_difficulty=1),
    "B": dict(f_share=4, f_cost=3, f_risk=3, f_value=4, f_payment_risk=3, f_supply=4, f_difficulty=3),
    "C": dict(f_share=2, f_cost=4, f_risk=4, f_value=2, f_payment_risk=4, f_supply=2, f_difficulty=4),
    "D": dict(f_share=1, f_cost=5, f_risk=5, f_value=1, f_payment_risk=5, f_supply=1, f_difficulty=5),
}


@pytest.fixture(autouse=True)
def chinese(monkeypatch):
    monkeypatch.setenv("KAMXL_LANG", "zh")


def customer(cid, grade, created=date(2026, 1, 5), stage="合作", **extra):
    return {"customer_id": cid, "name": f"{cid} 有限公司", "industry": "制造", "stage": stage, "created_on": created,
            **GRADE_FACTORS[grade], **extra}


def visit(cid, day):
    return {"date": day, "customer_id": cid, "mode": "上门拜访", "result": "了解需求"}


def rep_xlsm(tmp_path, customers, visits=(), plans=(), name="张伟.xlsm") -> Path:
    return build_rep_workbook(tmp_path / name, rep="张伟",
                              data={"customers": list(customers), "daily_report": list(visits), "visit_plan": list(plans)})


def fills(path: Path, colour: str) -> set[tuple[str, int, str]]:
    """(sheet, row, header label) of every data cell filled with `colour`."""
    wb = openpyxl.load_workbook(path)
    found = set()
    for spec in REP_SHEETS:
        ws = wb[spec.name]
        header = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if cell.fill.fill_type == "solid" and (cell.fill.fgColor.rgb or "").upper().endswith(colour):
                    found.add((spec.name, cell.row, header[cell.column - 1]))
    return found


# ---- 校验 --------------------------------------------------------------------------------------------------------

def test_validate_marks_exactly_the_cells_kamxl_validate_reports(tmp_path):
    path = rep_xlsm(tmp_path, [customer("K1", "A", phone="1380013800"),
                               customer("K2", "B", credit_code="91310000MA1FL1234Y", industry="汽车"),
                               customer("K1", "C")],  # the id again: rejected
                    visits=[visit("K9", date(2026, 10, 3))])  # not in 客户档案: rejected
    expected_problems = validate_file(path).problems
    expected = {(p.sheet, p.row, p.column) for p in expected_problems if p.row and p.column}
    assert len(expected) >= 4  # phone, credit code, industry, duplicate id, unknown customer

    book = FileBook(path)
    macros.run("validate", book)
    assert fills(path, ORANGE) == expected
    [message] = book.messages
    rejected = sum(1 for p in expected_problems if p.severity == "rejected")
    warnings = sum(1 for p in expected_problems if p.severity == "warning")
    assert message == f"校验完成：{rejected} 行被拒收，{warnings} 个警告。有问题的单元格已标为橙色，明细见「校验结果」表。"

    wb = openpyxl.load_workbook(path)
    results = wb[macros.CHECK_RESULT_SHEET]
    rows = list(results.iter_rows(min_row=2, values_only=True))
    assert {(r[0], r[1], r[2]) for r in rows if r[3]} == expected
    phone = next(r for r in results.iter_rows(min_row=2) if r[2].value == "电话")
    header = [c.value for c in wb["客户档案"][1]]
    address = f"{get_column_letter(header.index('电话') + 1)}2"
    assert phone[3].value == address and phone[3].hyperlink.location == f"'客户档案'!{address}"
    with zipfile.ZipFile(path) as z:
        assert "xl/vbaProject.bin" in z.namelist()  # the buttons' VBA survives the handler's save


def test_validate_again_clears_the_earlier_marks(tmp_path):
    path = rep_xlsm(tmp_path, [customer("K1", "A", phone="1380013800"), customer("K2", "B")])
    macros.run("validate", FileBook(path))
    assert {(s, r, c) for s, r, c in fills(path, ORANGE)} == {("客户档案", 2, "电话")}
    wb = openpyxl.load_workbook(path, keep_vba=True)
    header = [c.value for c in wb["客户档案"][1]]
    wb["客户档案"].cell(2, header.index("电话") + 1).value = "13800138000"  # the rep fixes the number
    wb.save(path)
    book = FileBook(path)
    macros.run("validate", book)
    assert fills(path, ORANGE) == set()
    assert book.messages == ["校验完成：没有发现问题。"]
    assert [r for r in openpyxl.load_workbook(path)[macros.CHECK_RESULT_SHEET].iter_rows(min_row=2, values_only=True)
            if any(r)] == []


# ---- 新建拜访计划 -------------------------------------------------------------------------------------------------

def test_new_visit_plan_proposes_exactly_the_customers_due_next_month(tmp_path):
    # today 2026-10-20, so next month is 2026-11; cadence A 30, B 60, C 90 days
    path = rep_xlsm(tmp_path, [
        customer("K1", "A"),  # last visit 10-15 → due 11-14: proposed
        customer("K2", "A"),  # last visit 10-05 → due 11-04, but already planned 11-03: skipped
        customer("K3", "B", created=date(2026, 6, 1)),  # never visited → due 07-31, overdue: proposed
        customer("K4", "C"),  # last visit 10-01 → due 12-30: not next month
        customer("K5", "D"),  # D: no visit required
        customer("K6", "A", stage="流失"),  # lost: no cadence
        customer("K7", "B"),  # last visit 09-25 → due 11-24: proposed
    ], visits=[visit("K1", date(2026, 10, 15)), visit("K2", date(2026, 10, 5)), visit("K4", date(2026, 10, 1)),
               visit("K6", date(2026, 10, 15)), visit("K7", date(2026, 9, 25))],
        plans=[{"planned_on": date(2026, 11, 3), "customer_id": "K2", "mode": "电话", "status": "计划"}])
    book = FileBook(path)
    macros.new_visit_plan(book, today=date(2026, 10, 20))
    assert book.messages == ["已在「拜访计划」末尾添加 3 条 2026-11 的建议拜访（1 个客户该月已有计划，已跳过）。"]

    ws = openpyxl.load_workbook(path)["拜访计划"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True) if any(v is not None for v in r)]
    assert rows[0]["客户编号"] == "K2"  # the rep's own plan stays first
    added = {r["客户编号"]: r for r in rows[1:]}
    assert set(added) == {"K1", "K3", "K7"}
    # each on a working day on or after its due date (K3, overdue, on the month's first working day, Mon 11-02)
    assert {cid: r["计划日期"] for cid, r in added.items()} == {
        "K3": datetime(2026, 11, 2), "K1": datetime(2026, 11, 16), "K7": datetime(2026, 11, 24)}
    assert all(r["状态"] == "计划" and r["方式"] == "上门拜访" for r in added.values())
    [table] = ws.tables.values()
    assert int(table.ref.split(":")[1][1:]) >= len(rows) + 1  # the table covers the new rows


def test_new_visit_plan_fills_the_templates_ready_rows_from_the_top(tmp_path):
    path = tmp_path / "rep.xlsm"
    shutil.copy(Path(__file__).resolve().parents[2] / "templates" / "rep_workbook.xlsm", path)
    wb = openpyxl.load_workbook(path, keep_vba=True)
    ws = wb["客户档案"]
    header = [c.value for c in ws[1]]
    from kamxl.schema import CUSTOMERS

    # typed into the template's ready rows: K1 (A, created 09-01, never visited → due 10-01, overdue: proposed),
    # K2 (C, created 10-01 → due 12-30: not next month)
    for row, values in ((2, customer("K1", "A", created=date(2026, 9, 1))), (3, customer("K2", "C", created=date(2026, 10, 1)))):
        for key, value in values.items():
            ws.cell(row, header.index(CUSTOMERS.column(key).label) + 1).value = value
    wb.save(path)
    book = FileBook(path)
    macros.new_visit_plan(book, today=date(2026, 10, 20))
    assert book.messages == ["已在「拜访计划」末尾添加 1 条 2026-11 的建议拜访（0 个客户该月已有计划，已跳过）。"]
    plan = openpyxl.load_workbook(path)["拜访计划"]
    assert [plan.cell(2, c).value for c in (1, 2)] == [datetime(2026, 11, 2), "K1"]  # the first ready row
    assert plan.cell(3, 2).value is None
    [table] = plan.tables.values()
    assert table.ref.endswith("51")  # the template's 50 ready rows, not grown


def test_new_visit_plan_when_nobody_is_due_adds_nothing(tmp_path):
    path = rep_xlsm(tmp_path, [customer("K4", "C")], visits=[visit("K4", date(2026, 10, 1))])
    before = path.read_bytes()
    book = FileBook(path)
    macros.new_visit_plan(book, today=date(2026, 10, 20))
    assert book.messages == ["2026-11 没有到期需要拜访的 A/B/C 类客户（或都已有计划），未添加。"]
    assert path.read_bytes() == before


# ---- director's workbook -----------------------------------------------------------------------------------------

@pytest.fixture
def director(tmp_path):
    """A team folder (the demo team) and the director's workbook beside it, 设置 pointing at it (relative path)."""
    write_demo_team(tmp_path / "team", DemoOptions(reps=2, customers=25, visits=60))
    path = build_director_workbook(tmp_path / "kamxl.xlsm")
    book = FileBook(path)
    book.set_values("设置", 2, 2, [["team"], ["2026-10"]])
    book.save()
    return path


def result_rows(path: Path) -> list[tuple]:
    ws = openpyxl.load_workbook(path)["操作"]
    return [r for r in ws.iter_rows(min_row=macros.RESULT_ROW, values_only=True) if any(v is not None for v in r)]


@pytest.mark.slow
def test_consolidate_from_the_settings_sheet_gives_the_cli_roll_up(director, tmp_path):
    team = tmp_path / "team"
    cli_out = tmp_path / "cli" / "rollup.xlsx"
    cli_out.parent.mkdir()
    result = CliRunner().invoke(main, ["consolidate", str(team), "--period", "2026-10", "--out", str(cli_out),
                                       "--json", str(tmp_path / "cli" / "summary.json")], catch_exceptions=False)
    assert result.exit_code == 0, result.output

    book = FileBook(director)
    macros.run("consolidate", book)
    out = team / "汇总-2026-10.xlsx"
    assert book.opened == [out]
    cli_summary = json.loads((tmp_path / "cli" / "summary.json").read_text(encoding="utf-8"))
    from kamxl.consolidate import consolidate
    from kamxl.rollup_model import summary

    ours = summary(consolidate([team], "2026-10", exclude=[out]), str(out))
    assert {k: v for k, v in ours.items() if k != "output"} == {k: v for k, v in cli_summary.items() if k != "output"}
    cli_book, our_book = openpyxl.load_workbook(cli_out), openpyxl.load_workbook(out)
    assert cli_book.sheetnames == our_book.sheetnames
    for name in cli_book.sheetnames:
        assert list(cli_book[name].values) == list(our_book[name].values), name
    [line] = book.messages
    assert line.startswith(f"汇总已写入 {out}：") and line.split("：", 1)[1] in result.output

    rows = result_rows(director)
    assert rows[0][0] == "上次运行结果" and line in rows[0][1]
    files = {Path(r[0]).name: r for r in rows[2:]}
    assert {s["path"] for s in cli_summary["files"]} == {str(team / n) for n in files}


@pytest.mark.slow
def test_validate_all_lists_every_file_and_problem_with_links(director, tmp_path):
    book = FileBook(director)
    macros.run("validate_all", book)
    from kamxl.io.inputs.files import collect_inputs
    from kamxl.validation import validate_files

    reports = validate_files(collect_inputs([tmp_path / "team"]))
    ws = openpyxl.load_workbook(director)["操作"]
    rows = list(ws.iter_rows(min_row=macros.RESULT_ROW))
    values = [[c.value for c in r] for r in rows]
    file_header = next(i for i, r in enumerate(values) if r[0] == "文件" and r[1] == "代表")
    problem_header = next(i for i, r in enumerate(values) if r[0] == "文件" and r[1] == "工作表")
    files = values[file_header + 1:problem_header - 1]
    assert [f[0] for f in files] == [r.path for r in reports]
    problems = [v for v in values[problem_header + 1:] if any(x is not None for x in v)]
    assert len(problems) == sum(len(r.problems) for r in reports)
    assert {(Path(p[0]).name, p[1], p[2] or None, p[3], p[4] or None) for p in problems} == \
        {(p.file, p.sheet or "", p.row, p.message("zh"), p.column) for r in reports for p in r.problems}
    assert all(rows[file_header + 1 + i][0].hyperlink.target == f[0] for i, f in enumerate(files))
    assert book.messages[0].startswith(f"已校验 {len(reports)} 个文件")


def test_a_bad_setting_is_a_message_naming_the_cell(director):
    book = FileBook(director)
    book.set_values("设置", 3, 2, [["2026-13"]])
    macros.run("consolidate", book)
    assert book.messages == ["设置!B3「期间」无法识别「2026-13」：写 2026-10、2026-Q4 或 2026；留空为上个月"]
    assert book.opened == []


@pytest.mark.slow
def test_send_without_the_mail_module_says_so(director, monkeypatch):
    monkeypatch.setitem(sys.modules, "kamxl.mail", None)  # `import kamxl.mail` raises ImportError
    book = FileBook(director)
    macros.run("send", book)
    [message] = book.messages
    assert message.startswith("邮件发送功能尚未安装（kamxl.mail 不可用）") and "汇总-2026-10.xlsx" in message


@pytest.fixture
def relay(monkeypatch):
    from aiosmtpd.controller import Controller

    for name in ("KAMXL_SMTP_HOST", "KAMXL_SMTP_PORT", "KAMXL_SMTP_USER", "KAMXL_SMTP_FROM", "KAMXL_SMTP_SECURITY",
                 "KAMXL_SMTP_CA_FILE"):
        monkeypatch.delenv(name, raising=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()  # tests/test_mail.py's relay: keeps what it receives, refuses nobody@
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    yield inbox
    controller.stop()


def _sent(inbox) -> list[tuple]:
    """What arrived, as recipients, sender, subject, plain body and attachment (name, sheets)."""
    out = []
    for envelope, msg in inbox.messages:
        part = next(msg.iter_attachments())
        sheets = openpyxl.load_workbook(io.BytesIO(part.get_payload(decode=True)), read_only=True).sheetnames
        out.append((sorted(envelope.rcpt_tos), envelope.mail_from, msg["Subject"], msg["Cc"],
                    msg.get_body(("plain",)).get_content(), part.get_filename(), sheets))
    return out


@pytest.mark.slow
def test_send_mails_what_kamxl_mail_mails_with_the_settings_sheets_values(director, tmp_path, relay):
    book = FileBook(director)
    book.set_values("设置", 7, 2, [["gm@example.com; hr@example.com"], ["boss@example.com"], ["127.0.0.1"],
                                   [str(relay.port)], [None], ["kam@example.com"], ["none"]])
    macros.run("send", book)
    assert book.messages[0].startswith("还没有 2026-10 的汇总文件")  # press 汇总 first
    macros.run("consolidate", book)
    book.messages.clear()
    macros.run("send", book)
    assert book.messages == ["汇总已发送给 gm@example.com; hr@example.com。"]
    [button] = _sent(relay)
    assert button[:4] == (["boss@example.com", "gm@example.com", "hr@example.com"], "kam@example.com",
                          "大客户部月度汇总 2026-10", "boss@example.com")
    assert "手机、邮箱、生日、爱好已删除" in button[4]  # the personal fields left out, as the command does
    relay.messages.clear()
    result = CliRunner().invoke(main, ["--lang", "zh", "mail", str(tmp_path / "team" / "汇总-2026-10.xlsx"),
                                       "--to", "gm@example.com; hr@example.com", "--cc", "boss@example.com",
                                       "--smtp-host", "127.0.0.1", "--smtp-port", str(relay.port),
                                       "--smtp-from", "kam@example.com", "--smtp-security", "none"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert _sent(relay) == [button]  # the button and the command: one message


def test_send_names_a_refused_recipient_in_the_message_box(director, relay):
    book = FileBook(director)
    book.set_values("设置", 7, 2, [["nobody@example.com"], [None], ["127.0.0.1"], [str(relay.port)], [None],
                                   ["kam@example.com"], ["none"]])
    macros.run("consolidate", book)
    book.messages.clear()
    macros.run("send", book)
    assert book.messages == [f"发送失败：邮件服务器 127.0.0.1:{relay.port} 拒收收件人：nobody@example.com"
                             "（550 5.1.1 mailbox unavailable）"]


@pytest.mark.slow
def test_make_templates_writes_one_named_xlsm_per_rep_and_keeps_existing_ones(director, tmp_path):
    from kamxl.io.inputs.reader import read_kpi_workbook, read_rep_workbook

    reps = list(read_kpi_workbook(tmp_path / "team" / "kpi.xlsx").team.frame["rep"])
    folder = tmp_path / "team" / "代表工作簿"
    folder.mkdir()
    (folder / f"{reps[0]}.xlsm").write_bytes(b"a rep's own file")
    book = FileBook(director)
    macros.run("make_templates", book)
    assert book.messages == [f"已在「{folder}」生成 {len(reps) - 1} 个代表工作簿（1 个已存在，未覆盖）。"]
    assert (folder / f"{reps[0]}.xlsm").read_bytes() == b"a rep's own file"
    for rep in reps[1:]:
        made = read_rep_workbook(folder / f"{rep}.xlsm")
        assert made.rep == rep and made.all_problems() == []
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{r}.xlsm" for r in reps)  # no temporary file left


def test_an_unknown_action_and_an_unexpected_error_are_messages(tmp_path, monkeypatch):
    path = rep_xlsm(tmp_path, [customer("K1", "A")])
    book = FileBook(path)
    macros.run("format_disk", book)
    monkeypatch.setitem(macros.HANDLERS, "validate", lambda b: 1 / 0)
    monkeypatch.setattr(macros, "_log", lambda text: None)
    macros.run("validate", book)
    assert book.messages == ["未知的按钮操作「format_disk」", "kamxl 出错：ZeroDivisionError: division by zero。请把此消息发给维护人员。"]


def test_a_filled_xlsm_rep_workbook_consolidates_like_an_xlsx(tmp_path):
    from kamxl.consolidate import consolidate
    from kamxl.rollup_model import summary

    data = {"customers": [customer("K1", "A", phone="1380013800"), customer("K2", "B"), customer("K3", "C"),
                          customer("K2", "D")],
            "daily_report": [visit("K1", date(2026, 10, 3)), visit("K3", date(2026, 9, 20)), visit("K9", date(2026, 10, 4))],
            "visit_plan": [{"planned_on": date(2026, 11, 3), "customer_id": "K2", "status": "计划"}]}
    results = {}
    for suffix in (".xlsx", ".xlsm"):
        folder = tmp_path / suffix[1:]
        folder.mkdir()
        build_rep_workbook(folder / f"张伟{suffix}", rep="张伟", data=data)
        report = summary(consolidate([folder], "2026-10", today=date(2026, 11, 5)), "rollup.xlsx")
        for f in report["files"]:
            f["path"] = Path(f["path"]).stem
        results[suffix] = report
    assert results[".xlsm"]["files"][0]["status"] == "ok"
    assert results[".xlsm"]["files"][0]["sheets"]["customers"] == {"read": 4, "accepted": 3, "rejected": 1, "warnings": 1,
                                                                    "after_period": 0}
    assert results[".xlsm"] == results[".xlsx"]


def test_the_excel_and_the_file_workbooks_offer_the_same_interface():
    from kamxl.excel.book import Workbook

    def public(cls):
        return {name for name in vars(cls) if not name.startswith("_")}

    wanted = public(Workbook)
    assert wanted <= public(FileBook) and wanted <= public(macros.XlwingsBook)


def test_the_directors_workbook_kept_in_the_team_folder_is_not_checked_as_a_rep_workbook(tmp_path):
    write_demo_team(tmp_path / "team", DemoOptions(reps=1, customers=10, visits=20, mistakes=False))
    path = build_director_workbook(tmp_path / "team" / "kamxl.xlsm")
    book = FileBook(path)
    book.set_values("设置", 2, 2, [["."], ["2026-10"]])
    macros.run("validate_all", book)
    macros.run("consolidate", book)
    files = [Path(r[0]).name for r in result_rows(path)[2:]]
    assert "kamxl.xlsm" not in files and "kpi.xlsx" in files
    assert book.messages[0] == "已校验 2 个文件：0 个无法读取，0 行被拒收，0 个警告。结果见「操作」表。"
