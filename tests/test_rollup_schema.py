"""The roll-up's own schema: written once, pure, and the one place a roll-up label is changed.

The end-to-end test renames a 客户总表 column and a 总览 figure on the schema alone, then runs
demo → consolidate → mail in-process: the roll-up carries the new labels and the mail its figures.
"""

import dataclasses
import email
import email.policy
import subprocess
import sys

import openpyxl
import pytest
from click.testing import CliRunner

from kamxl import rollup_schema as rs
from kamxl.cli import main
from kamxl.demo import DemoOptions, write_demo_team
from kamxl.schema import CUSTOMERS, DAILY_REPORT, Sheet


def test_the_schema_imports_no_io_library():
    code = ("import sys, kamxl.rollup_schema; "
            "print(sorted(m for m in ('pandas', 'openpyxl', 'xlsxwriter') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_rep_sheets_columns_come_from_the_workbook_schema_with_the_rollups_own_around_them():
    renamed = Sheet(DAILY_REPORT.key, DAILY_REPORT.name, tuple(
        dataclasses.replace(c, label="拜访客户编号") if c.key == "customer_id" else c for c in DAILY_REPORT.columns),
        keyed_by_customer=True)
    table = rs.rep_table(renamed, "拜访日报", "tblAllVisits")
    labels = list(table.labels())
    assert labels[:5] == ["代表", "日期", "拜访客户编号", "客户名称", "联系人"]
    assert labels[-2:] == ["来源文件", "源行号"] and table.extras_at == len(labels) - 2
    # the customers' own sheet already has its name beside the id: no second 客户名称
    assert list(rs.CUSTOMER_TABLE.labels()).count(CUSTOMERS.column("name").label) == 1


def _plain_body(path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return message.get_body(("plain",)).get_content()


def _department_ratio(kpi_path, period: str, actual: str, plan: str) -> float:
    """Σ actual ÷ Σ plan over the KPI workbook's rows of the period, read with openpyxl."""
    ws = openpyxl.load_workbook(kpi_path, read_only=True)["考核指标"]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    mine = [dict(zip(header, r)) for r in rows[1:] if r[header.index("期间")] == period]
    return sum(r[actual] for r in mine) / sum(r[plan] for r in mine)


@pytest.mark.slow
def test_a_label_renamed_on_the_schema_alone_reaches_the_rollup_and_the_mail(tmp_path, monkeypatch):
    monkeypatch.setattr(rs.CUSTOMER_TABLE.column("grade"), "label", "客户级别")
    monkeypatch.setattr(rs.figure("sales_completion"), "label", "部门销售完成率")
    team = tmp_path / "team"
    write_demo_team(team, DemoOptions(reps=3, customers=20, visits=80, seed=5))
    runner = CliRunner()
    result = runner.invoke(main, ["consolidate", str(team), "--period", "2026-10", "--out", str(tmp_path / "r.xlsx")],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["mail", str(tmp_path / "r.xlsx"), "--to", "gm@example.com", "--eml",
                                  str(tmp_path / "m.eml")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    for sheet in ("客户总表", "拜访合规"):
        header = [c.value for c in wb[sheet][1]]
        assert "客户级别" in header and "客户等级" not in header, sheet
    overview = [c.value for c in wb["总览"]["A"] if c.value]
    assert "部门销售完成率" in overview and "销售计划完成率" not in overview
    body = _plain_body(tmp_path / "m.eml")
    sales = _department_ratio(team / "kpi.xlsx", "2026-10", "实际销售(万元)", "销售计划(万元)")
    assert f"- 部门销售计划完成率：{sales * 100:.1f}%" in body
    overdue = sum(1 for r in wb["客户总表"].iter_rows(min_row=2, values_only=True)
                  if r[[c.value for c in wb["客户总表"][1]].index("逾期")] == "是")
    assert f"- 逾期未拜访客户：{overdue}" in body


# the handbook's KPI names (domain.md, 考核指标), by key
HANDBOOK_KPIS = {"sales_completion": "销售计划完成率", "collection": "合同回款率", "settlement": "销售合同结算率",
                 "development": "大客户开发计划完成率", "expense": "商务费用控制", "churn": "大客户流失率",
                 "completeness": "大客户档案完整率"}


@pytest.mark.parametrize("key, name", HANDBOOK_KPIS.items())
def test_a_kpi_has_the_handbooks_one_name_on_overview_scores_and_trend(key, name):
    assert rs.figure(key).label == name  # 总览
    assert rs.SCORE_TABLE.label(f"value_{key}") == name  # 考核排名
    assert dict(rs.TREND_FIGURES)[key] == name.replace("大客户", "")  # 趋势: narrow columns, the same name
