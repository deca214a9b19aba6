"""`kamxl mail` against a real SMTP server on localhost (aiosmtpd, STARTTLS with a generated certificate, AUTH).

Received messages are parsed with the `email` package; attachments are opened with openpyxl;
expected figures are read from the roll-up with openpyxl, not with the code under test.
"""

import email
import email.policy
import io
import re
import shutil
import socket
import ssl
import subprocess
import threading
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner

from kamxl.cli import main
from kamxl.consolidate import consolidate
from kamxl.demo import DemoOptions, write_demo_team
from kamxl.io.outputs.rollup_writer import write_rollup
from kamxl import mail as mailer
from kamxl.mail import SmtpSettings

USER, PASSWORD = "director@example.com", "S3cret-Pässwort!"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BAD_MOBILE, REJECTED_MOBILE, REJECTED_HOBBY = "13800X77331", "13912345678", "深海潜水与冲浪"
PERSONAL = ("手机", "邮箱", "生日", "爱好")
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


# ---------------------------------------------------------------- a team, its roll-ups

def _add_contact_mistakes(rep_file: Path):
    """A contact with a bad mobile (a warning, its raw value in 数据问题) and one of an unknown customer (rejected)."""
    wb = openpyxl.load_workbook(rep_file)
    ws = wb["联系人"]
    header = [c.value for c in ws[1]]
    row = ws.max_row
    ws.cell(row, header.index("手机") + 1, BAD_MOBILE)
    ws.append([{"客户编号": "KA-NOPE", "姓名": "路人甲", "手机": REJECTED_MOBILE, "爱好": REJECTED_HOBBY}.get(h) for h in header])
    wb.save(rep_file)


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mailteam")
    files = write_demo_team(tmp / "team", DemoOptions(reps=4, customers=30, visits=150, seed=11))
    reps = sorted(p for p in files if p.name not in ("kpi.xlsx",) and not p.name.startswith("~$"))
    _add_contact_mistakes(reps[0])
    kpi = tmp / "team" / "kpi.xlsx"
    previous = write_rollup(consolidate([tmp / "team"], "2026-09"), tmp / "rollup-2026-09.xlsx")
    rollup = write_rollup(consolidate([tmp / "team"], "2026-10", previous=previous), tmp / "rollup-2026-10.xlsx")
    return {"dir": tmp, "kpi": kpi, "rollup": rollup, "previous": previous}


def _table(path: Path, sheet: str) -> list[dict]:
    ws = openpyxl.load_workbook(path, read_only=True)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]


@pytest.fixture(scope="module")
def expected(team):
    """What the roll-up holds, read with openpyxl."""
    scores = _table(team["rollup"], "考核排名")
    customers = _table(team["rollup"], "客户总表")
    roster = _table(team["kpi"], "团队")
    return {"scores": scores, "customers": customers, "roster": roster,
            "ids": {r["代表"]: {c["客户编号"] for c in customers if c["代表"] == r["代表"]} for r in scores}}


# ---------------------------------------------------------------- a real SMTP server

class Inbox:
    def __init__(self):
        self.messages: list[tuple[object, email.message.EmailMessage]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope, email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    cafile = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    return context, str(cafile)


@pytest.fixture
def server(certificate):
    context, cafile = certificate
    inbox = Inbox()
    logins = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        logins.append(auth_data.login.decode())
        ok = auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd replies 535 itself

    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=authenticate, auth_require_tls=True)
    controller.start()
    inbox.port, inbox.cafile, inbox.logins = port, cafile, logins
    yield inbox
    controller.stop()


def settings(server, **kw) -> SmtpSettings:
    return SmtpSettings(**{"host": "127.0.0.1", "port": server.port, "user": USER, "from_address": USER, "security": "starttls",
                           "cafile": server.cafile, "backoff": 0, **kw})


@pytest.fixture
def password(monkeypatch):
    monkeypatch.setenv("KAMXL_SMTP_PASSWORD", PASSWORD)
    return PASSWORD


@pytest.fixture
def run(monkeypatch):
    monkeypatch.setenv("KAMXL_LANG", "zh")  # the CLI's --lang sets it; monkeypatch puts it back
    for name in ("KAMXL_SMTP_HOST", "KAMXL_SMTP_PORT", "KAMXL_SMTP_USER", "KAMXL_SMTP_FROM", "KAMXL_SMTP_SECURITY",
                 "KAMXL_SMTP_CA_FILE"):
        monkeypatch.delenv(name, raising=False)

    def invoke(*args, lang="zh"):
        result = CliRunner().invoke(main, ["--lang", lang, "mail", *map(str, args)])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
        return result
    return invoke


def send_month(rollup, to, smtp, **request) -> mailer.MailReport:
    """The service `kamxl mail` and the 发送 button call, asked to mail the roll-up to `to`."""
    return mailer.send_month(mailer.MailRequest(Path(rollup), recipients=tuple(to), smtp=smtp, **request))


def smtp_args(server):
    return ["--smtp-host", "127.0.0.1", "--smtp-port", server.port, "--smtp-user", USER, "--smtp-from", USER,
            "--smtp-ca-file", server.cafile]


def attachment(msg) -> tuple[object, bytes]:
    part = next(p for p in msg.iter_attachments())
    return part, part.get_payload(decode=True)


def all_text(msg) -> str:
    """Every header and text body of a message, decoded, plus every cell of its workbook attachments."""
    parts = [str(v) for _, v in msg.items()]
    parts += [p.get_content() for p in msg.walk() if p.get_content_maintype() == "text"]
    for p in msg.iter_attachments():
        parts.append(p.get_filename() or "")
        wb = openpyxl.load_workbook(io.BytesIO(p.get_payload(decode=True)))
        parts += [str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    return "\n".join(parts)


# ---------------------------------------------------------------- the roll-up to the assessors

def test_rollup_is_mailed_over_starttls_with_auth_both_bodies_and_the_workbook(run, server, password, team, expected):
    result = run(team["rollup"], "--to", "gm@example.com", "--to", "hr@example.com", "--cc", "office@example.com",
                 *smtp_args(server))
    assert result.exit_code == 0, result.output
    assert result.output == "已发送：gm@example.com、hr@example.com、office@example.com\n"
    assert server.logins == [USER]
    [(envelope, msg)] = server.messages
    assert set(envelope.rcpt_tos) == {"gm@example.com", "hr@example.com", "office@example.com"}
    assert envelope.mail_from == USER
    assert msg["Subject"] == "大客户部月度汇总 2026-10"
    raw = envelope.content.decode("ascii")  # 7-bit clean on the wire: every header encoded
    assert "=?utf-8?" in raw.split("\r\n\r\n", 1)[0]
    assert msg["Cc"] == "office@example.com"
    plain, html = msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()
    scores = [s for s in expected["scores"] if s["总分"] is not None]
    best = max(scores, key=lambda s: s["总分"])
    weakest = min(scores, key=lambda s: s["总分"])
    overdue = sum(1 for c in expected["customers"] if c["逾期"] == "是")
    for body in (plain, html):
        assert f"得分最高：{best['代表']} {best['总分']:.1f}" in body.replace("</th><td style=\"padding:4px 0\">", "：")
        assert weakest["代表"] in body and best["代表"] in body
        assert f"{overdue}" in body
        assert "销售计划完成率" in body and "合同回款率" in body
    assert f"- 逾期未拜访客户：{overdue}" in plain
    assert "<img" not in html and "http" not in html  # nothing fetched from outside
    part, data = attachment(msg)
    assert part.get_content_type() == XLSX
    assert part.get_filename() == "大客户部月度汇总-2026-10.xlsx"
    assert re.search(r"filename\*(0\*)?=utf-8''%E5%A4%A7%E5%AE%A2", raw)  # RFC 2231, not a raw or =?..?= name
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == openpyxl.load_workbook(team["rollup"], read_only=True).sheetnames


def test_body_names_the_reps_under_the_warning_line_and_the_missing_workbooks(team, tmp_path):
    folder = tmp_path / "team"
    shutil.copytree(team["dir"] / "team", folder)
    gone = next(p for p in sorted(folder.glob("*.xlsx")) if p.name != "kpi.xlsx" and not p.name.startswith("~$")
                and "_" not in p.stem)  # a file named after its rep
    gone.unlink()
    rollup = write_rollup(consolidate([folder], "2026-10"), tmp_path / "rollup.xlsx")
    scores = _table(rollup, "考核排名")
    assert gone.stem in {s["代表"] for s in scores}  # still on the KPI sheet
    lines = dict(line[2:].split("：", 1) for line in mailer.rollup_message(rollup, ["gm@example.com"])
                 .get_body(("plain",)).get_content().splitlines() if line.startswith("- "))
    assert lines["工作簿缺失或无法读取"] == f"{gone.stem}（无工作簿）"  # its state named, from the keyed status
    [(_, card_message, _)] = mailer.scorecard_messages(rollup, [mailer.RepAddress(gone.stem, "x@example.com")],
                                                       only=[gone.stem])
    assert "本期未汇总到你的工作簿" in card_message.get_body(("plain",)).get_content()
    warned = [s["代表"] for s in scores if s["口头警告"] == "是"]
    assert warned and all(rep in lines["低于警告线（口头警告）"] for rep in warned)
    assert not any(s["代表"] in lines["低于警告线（口头警告）"] for s in scores if s["代表"] not in warned)


def _zip_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())


def test_mailed_copy_leaves_out_personal_fields_and_keeps_the_charts(server, password, team):
    report = send_month(team["rollup"], ["gm@example.com"], settings(server))
    assert report.ok
    [(_, msg)] = server.messages
    _, data = attachment(msg)
    contacts = _table(team["rollup"], "联系人")
    mobiles = [c["手机"] for c in contacts if c["手机"]]
    assert mobiles
    copy = openpyxl.load_workbook(io.BytesIO(data))
    header = [c.value for c in copy["联系人"][1]]
    mailed = [dict(zip(header, r)) for r in copy["联系人"].iter_rows(min_row=2, values_only=True)]
    assert len(mailed) == len(contacts)
    assert all(row[label] is None for row in mailed for label in PERSONAL)
    assert [r["姓名"] for r in mailed] == [r["姓名"] for r in contacts]  # the rest is untouched
    text, original = _zip_text(data), _zip_text(team["rollup"].read_bytes())
    for secret in (*mobiles[:50], BAD_MOBILE, REJECTED_MOBILE, REJECTED_HOBBY):
        assert secret in original and secret not in text
    problems = [dict(zip([c.value for c in copy["数据问题"][1]], r)) for r in copy["数据问题"].iter_rows(min_row=2, values_only=True)]
    rejected = [p for p in problems if p["工作表"] == "联系人" and p["处理"] == "拒收"]
    assert rejected and "路人甲" in rejected[0]["被拒收行的全部原始内容"]  # the row is still explained
    with zipfile.ZipFile(io.BytesIO(data)) as copy_zip, zipfile.ZipFile(team["rollup"]) as original:
        charts = [n for n in original.namelist() if n.startswith(("xl/charts/", "xl/drawings/"))]
        assert charts and all(copy_zip.read(n) == original.read(n) for n in charts)


def test_include_personal_mails_the_roll_up_as_it_is(server, password, team):
    assert send_month(team["rollup"], ["gm@example.com"], settings(server), include_personal=True).ok
    [(_, msg)] = server.messages
    _, data = attachment(msg)
    assert data == team["rollup"].read_bytes()
    assert REJECTED_MOBILE in _zip_text(data)


def test_eml_is_written_for_review_and_nothing_is_sent(run, team, tmp_path):
    out = tmp_path / "review" / "rollup.eml"
    result = run(team["rollup"], "--to", "gm@example.com", "--eml", out)
    assert result.exit_code == 0, result.output
    assert result.output == f"已写入：{out}\n"
    msg = email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
    assert msg["To"] == "gm@example.com"
    assert attachment(msg)[0].get_filename() == "大客户部月度汇总-2026-10.xlsx"
    assert [p.name for p in out.parent.iterdir()] == ["rollup.eml"]  # no temporary file left


# ---------------------------------------------------------------- every rep their own scorecard

def test_each_rep_gets_only_their_own_scorecard(run, server, password, team, expected):
    result = run(team["rollup"], "--per-rep", "--kpi", team["kpi"], "--previous", team["previous"], *smtp_args(server))
    assert result.exit_code == 0, result.output
    addresses = {r["代表姓名"]: r["邮箱"] for r in expected["roster"]}
    assert result.output.splitlines() == [*(f"已发送：{rep}（{address}）" for rep, address in addresses.items()),
                                          f"成绩单：{len(addresses)} 位代表已发送，0 位未发送"]
    received = {envelope.rcpt_tos[0]: msg for envelope, msg in server.messages}
    assert set(received) == set(addresses.values())
    ranked = [s for s in expected["scores"] if s["总分"] is not None]
    for rep, address in addresses.items():
        msg = received[address]
        assert msg["To"] == address and rep in msg["Subject"]
        part, data = attachment(msg)
        assert part.get_content_type() == XLSX and part.get_filename() == f"考核成绩单-{rep}-2026-10.xlsx"
        wb = openpyxl.load_workbook(io.BytesIO(data))
        assert len(wb.sheetnames) == 1
        cells = [c for row in wb.active.iter_rows(values_only=True) for c in row if c is not None]
        score = next(s for s in expected["scores"] if s["代表"] == rep)
        assert f"{score['排名']} / {len(ranked)}" in cells
        assert score["总分"] in cells
        own_overdue = {c["客户编号"] for c in expected["customers"] if c["代表"] == rep and c["逾期"] == "是"}
        assert own_overdue <= set(cells) or len(own_overdue) > 20
        text = all_text(msg)
        assert rep in text
        for other in addresses:
            if other != rep:
                assert other not in text, f"{other} appears in {rep}'s message"
                assert not any(cid in text for cid in expected["ids"].get(other, ())), f"{other}'s customer in {rep}'s message"


def test_change_from_last_period_is_shown_when_the_previous_roll_up_is_known(team, expected):
    from kamxl.io.inputs.rollup_reader import read_rollup
    from kamxl.scorecard import rep_card

    rep = expected["scores"][0]["代表"]
    before = next(s for s in _table(team["previous"], "考核排名") if s["代表"] == rep)
    now = expected["scores"][0]
    card = rep_card(read_rollup(team["rollup"]), rep, read_rollup(team["previous"]))
    assert card.total_change == pytest.approx(round(now["总分"] - before["总分"], 1))
    assert card.point_change("sales_completion") == pytest.approx(now["销售计划完成率得分"] - before["销售计划完成率得分"])
    assert rep_card(read_rollup(team["rollup"]), rep).total_change is None


def test_a_rep_without_address_is_reported_and_a_rerun_reaches_only_them(run, server, password, team, tmp_path, expected):
    kpi = tmp_path / "kpi.xlsx"
    wb = openpyxl.load_workbook(team["kpi"])
    ws = wb["团队"]
    header = [c.value for c in ws[1]]
    missing = ws.cell(2, header.index("代表姓名") + 1).value
    ws.cell(2, header.index("邮箱") + 1).value = None
    wb.save(kpi)
    result = run(team["rollup"], "--per-rep", "--kpi", kpi, *smtp_args(server))
    assert result.exit_code == 1
    assert f"团队表中没有 {missing} 的邮箱，未发送" in result.output
    assert f"--only {missing}" in result.output
    assert len(server.messages) == len(expected["roster"]) - 1
    server.messages.clear()
    other = expected["roster"][1]
    result = run(team["rollup"], "--per-rep", "--kpi", team["kpi"], "--only", other["代表姓名"], *smtp_args(server))
    assert result.exit_code == 0, result.output
    assert [e.rcpt_tos for e, _ in server.messages] == [[other["邮箱"]]]


def test_send_scorecards_reports_who_was_sent_to(server, password, team, expected):
    """The report says who was sent to."""
    report = mailer.send_scorecards(team["rollup"], team["kpi"], settings(server), only=[expected["roster"][0]["代表姓名"]])
    assert report.ok and report.reps_sent == [expected["roster"][0]["代表姓名"]]
    assert [e.rcpt_tos for e, _ in server.messages] == [[expected["roster"][0]["邮箱"]]]


def test_only_a_rep_not_on_the_roster_is_wrong_usage(run, team):
    result = run(team["rollup"], "--per-rep", "--kpi", team["kpi"], "--only", "查无此人", "--eml", team["dir"] / "o")
    assert result.exit_code == 2
    assert "团队表中没有代表「查无此人」" in result.output


def test_another_reps_name_in_a_problem_is_scrubbed_even_inside_the_own_name():
    from kamxl.rollup_model import ProblemRow, RepResult, RollupDigest, SourceRow
    from kamxl.scorecard import SCRUBBED, rep_card

    result = lambda rep, rank, total: RepResult(rep, rank, total, "合格", False, None, {}, {})
    digest = RollupDigest("r.xlsx", None, {}, [result("张伟", 1, 80.0), result("张伟华", 2, 70.0)], 0, [],
                          [ProblemRow("b.xlsx", "拜访日报", 3, "联系人", "张伟", "张伟华 的联系人「张伟」不在联系人表", "警告"),
                           ProblemRow("a.xlsx", "客户档案", 2, "行业", "汽车", "不在可选值内", "警告")],
                          [SourceRow("a.xlsx", "张伟", "已汇总", None), SourceRow("b.xlsx", "张伟华", "已汇总", None)])
    [problem] = rep_card(digest, "张伟华").problems
    assert problem.value == SCRUBBED and problem.message == f"张伟华 的联系人「{SCRUBBED}」不在联系人表"
    assert rep_card(digest, "张伟").problems[0].message == "不在可选值内"  # only their own file's problems


def test_eml_never_overwrites_the_roll_up(run, team):
    before = team["rollup"].read_bytes()
    result = run(team["rollup"], "--to", "gm@example.com", "--eml", team["rollup"])
    assert result.exit_code == 2
    assert team["rollup"].read_bytes() == before


def test_per_rep_eml_writes_one_file_per_rep(run, team, tmp_path, expected):
    result = run(team["rollup"], "--per-rep", "--kpi", team["kpi"], "--eml", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(f"{r['代表姓名']}.eml" for r in expected["roster"])


# ---------------------------------------------------------------- failures

def test_wrong_password_is_one_clear_message_without_the_password(run, server, monkeypatch, team):
    monkeypatch.setenv("KAMXL_SMTP_PASSWORD", "wrong-" + PASSWORD)
    result = run(team["rollup"], "--to", "gm@example.com", *smtp_args(server))
    assert result.exit_code == 1
    assert f"邮件服务器 127.0.0.1:{server.port} 拒绝登录：用户名或密码不对（用户 {USER}）" in result.output
    assert PASSWORD not in result.output and "Traceback" not in result.output
    assert server.messages == []


def test_authentication_failure_in_english(run, server, monkeypatch, team):
    monkeypatch.setenv("KAMXL_SMTP_PASSWORD", "nope")
    result = run(team["rollup"], "--to", "gm@example.com", *smtp_args(server), lang="en")
    assert result.exit_code == 1
    assert "refused the login: wrong user name or password" in result.output


def test_refused_recipient_is_named_and_exits_1(run, server, password, team):
    result = run(team["rollup"], "--to", "nobody@example.com", *smtp_args(server))
    assert result.exit_code == 1
    assert f"邮件服务器 127.0.0.1:{server.port} 拒收收件人：nobody@example.com（550 5.1.1 mailbox unavailable）" in result.output
    assert PASSWORD not in result.output


def test_one_refused_recipient_among_several_is_reported_while_the_others_receive_it(server, password, team):
    report = send_month(team["rollup"], ["gm@example.com", "nobody@example.com"], settings(server))
    [delivery] = report.deliveries
    assert not report.ok and delivery.sent and delivery.refused == ("nobody@example.com",)
    assert "拒收收件人：nobody@example.com" in delivery.error
    assert [e.rcpt_tos for e, _ in server.messages] == [["gm@example.com"]]


@pytest.fixture
def dropping_server():
    """A server that accepts connections and closes them at once; counts them."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    sock.settimeout(0.2)
    seen, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            seen.append(1)
            conn.close()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1], seen
    stop.set()
    thread.join()
    sock.close()


def test_a_server_that_drops_the_connection_is_retried_then_reported(run, dropping_server, password, team, monkeypatch):
    port, seen = dropping_server
    monkeypatch.setattr(mailer.time, "sleep", lambda s: None)  # back-off without waiting
    result = run(team["rollup"], "--to", "gm@example.com", "--smtp-host", "127.0.0.1", "--smtp-port", port,
                 "--smtp-user", USER, "--smtp-from", USER)
    assert result.exit_code == 1
    assert f"邮件服务器 127.0.0.1:{port} 断开了连接（已重试 3 次）" in result.output
    assert len(seen) == 3
    assert PASSWORD not in result.output


def test_unreachable_server_is_one_message(run, password, team):
    port = _free_port()  # nothing listens there
    result = run(team["rollup"], "--to", "gm@example.com", "--smtp-host", "127.0.0.1", "--smtp-port", port,
                 "--smtp-user", USER, "--smtp-from", USER)
    assert result.exit_code == 1
    assert f"无法连接邮件服务器 127.0.0.1:{port}：连接被拒绝（服务器未在该端口监听）" in result.output


def test_untrusted_certificate_is_a_tls_failure(run, server, password, team):
    result = run(team["rollup"], "--to", "gm@example.com", "--smtp-host", "127.0.0.1", "--smtp-port", server.port,
                 "--smtp-user", USER, "--smtp-from", USER)  # no --smtp-ca-file: the test CA is not trusted
    assert result.exit_code == 1
    assert f"与邮件服务器 127.0.0.1:{server.port} 建立加密连接失败" in result.output
    assert server.messages == []


def test_missing_password_says_where_to_put_it(run, server, team, monkeypatch):
    monkeypatch.delenv("KAMXL_SMTP_PASSWORD", raising=False)
    monkeypatch.setattr(mailer, "smtp_password", lambda smtp: None)  # and nothing in the credential store
    result = run(team["rollup"], "--to", "gm@example.com", *smtp_args(server))
    assert result.exit_code == 1
    assert "KAMXL_SMTP_PASSWORD" in result.output


def test_password_from_the_credential_store(server, team, monkeypatch):
    import keyring
    from keyring.backend import KeyringBackend

    class Store(KeyringBackend):
        priority = 1

        def get_password(self, service, username):
            return PASSWORD if (service, username) == (mailer.KEYRING_SERVICE, USER) else None

        def set_password(self, service, username, password):
            raise NotImplementedError

        def delete_password(self, service, username):
            raise NotImplementedError

    monkeypatch.delenv("KAMXL_SMTP_PASSWORD", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(Store())
    try:
        assert send_month(team["rollup"], ["gm@example.com"], settings(server)).ok
    finally:
        keyring.set_keyring(previous)
    assert len(server.messages) == 1


def test_settings_from_the_environment(run, server, password, team, monkeypatch):
    for name, value in {"KAMXL_SMTP_HOST": "127.0.0.1", "KAMXL_SMTP_PORT": str(server.port), "KAMXL_SMTP_USER": USER,
                        "KAMXL_SMTP_FROM": USER, "KAMXL_SMTP_CA_FILE": server.cafile}.items():
        monkeypatch.setenv(name, value)
    result = run(team["rollup"], "--to", "gm@example.com")
    assert result.exit_code == 0, result.output
    assert len(server.messages) == 1


@pytest.mark.parametrize("args, message", [
    ([], "请给出 --to 收件人"),
    (["--per-rep"], "--per-rep 需要 --kpi"),
    (["--to", "gm@example.com"], "未设置邮件服务器"),
    (["--to", "not-an-address", "--smtp-host", "x"], "邮箱地址无效：「not-an-address」"),
    (["--to", "gm@example.com", "--smtp-host", "x", "--smtp-security", "tls"], "tls"),
])
def test_wrong_usage_exits_2(run, team, args, message):
    result = run(team["rollup"], *args)
    assert result.exit_code == 2
    assert message in result.output


def test_a_workbook_that_is_not_a_roll_up_is_a_clear_error(run, team):
    result = run(team["kpi"], "--to", "gm@example.com", "--eml", team["dir"] / "x.eml")
    assert result.exit_code == 1
    assert "不是 kamxl 汇总文件" in result.output


# ---------------------------------------------------------------- the scorecard on paper

@pytest.mark.libreoffice
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_scorecard_prints_on_one_a4_page(team, expected, tmp_path):
    from kamxl.io.inputs.rollup_reader import read_rollup
    from kamxl.scorecard import rep_card, scorecard_workbook

    digest = read_rollup(team["rollup"])
    rep = max(expected["scores"], key=lambda s: sum(1 for c in expected["customers"] if c["代表"] == s["代表"] and c["逾期"] == "是"))["代表"]
    path = tmp_path / "card.xlsx"
    path.write_bytes(scorecard_workbook(rep_card(digest, rep, read_rollup(team["previous"])), today=date(2026, 11, 3)))
    subprocess.run([SOFFICE, f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(path)], capture_output=True, timeout=180, check=True)
    pdf = (tmp_path / "card.pdf").read_bytes()
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1
    box = [float(x) for x in re.search(rb"/MediaBox\s*\[([^\]]*)\]", pdf).group(1).split()]
    assert (round(box[2]), round(box[3])) == (595, 842)  # A4 portrait, in points


def test_implicit_tls_and_a_plain_local_relay(certificate, team, tmp_path):
    """--smtp-security ssl (port 465 style) and none (a relay on the local network, no login)."""
    context, cafile = certificate
    for security, kw in (("ssl", {"ssl_context": context, "authenticator": lambda *a: AuthResult(success=True),
                                 "auth_require_tls": False}),  # aiosmtpd counts only STARTTLS as TLS
                         ("none", {})):
        inbox, port = Inbox(), _free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **kw)
        controller.start()
        try:
            user = USER if security == "ssl" else None
            smtp = SmtpSettings("127.0.0.1", port, user, USER, security, cafile)
            report = mailer.MailReport([mailer.deliver(mailer.rollup_message(team["rollup"], ["gm@example.com"], USER), smtp,
                                                       PASSWORD if user else None)])
        finally:
            controller.stop()
        assert report.ok, report.deliveries
        assert [e.rcpt_tos for e, _ in inbox.messages] == [["gm@example.com"]]


def test_a_transient_4xx_reply_is_tried_again_and_the_message_goes(server, password, team, monkeypatch):
    waits = []
    monkeypatch.setattr(mailer.time, "sleep", waits.append)
    original, calls = server.handle_DATA, []

    async def busy_once(*args):
        calls.append(1)
        return "451 4.3.0 try again later" if len(calls) == 1 else await original(*args)
    server.handle_DATA = busy_once
    assert send_month(team["rollup"], ["gm@example.com"], settings(server, backoff=2.0)).ok
    assert len(calls) == 2 and len(server.messages) == 1
    assert waits == [2.0]  # back-off before the second attempt


# ---------------------------------------------------------------- keyed figures, never visible text

@pytest.fixture(scope="module")
def demo_rollups(tmp_path_factory):
    """`kamxl demo`'s team consolidated for 2026-09 and 2026-10 through the CLI, and the October roll-up mailed."""
    tmp = tmp_path_factory.mktemp("keyed")
    runner = CliRunner()
    write_demo_team(tmp / "team", DemoOptions(reps=3, customers=20, visits=80, seed=3))
    for period in ("2026-09", "2026-10"):
        result = runner.invoke(main, ["consolidate", str(tmp / "team"), "--period", period, "--out",
                                      str(tmp / f"r{period[-2:]}.xlsx")], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    # a module fixture runs before the autouse one that clears KAMXL_LANG: the language is chosen here
    result = runner.invoke(main, ["--lang", "zh", "mail", str(tmp / "r10.xlsx"), "--to", "gm@example.com",
                                  "--eml", str(tmp / "m.eml")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return tmp


def _kpi_sum(kpi_path, period: str, label: str) -> float:
    ws = openpyxl.load_workbook(kpi_path, read_only=True)["考核指标"]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    return sum(r[header.index(label)] for r in rows[1:] if r[header.index("期间")] == period)


@pytest.mark.slow
def test_the_department_ratios_in_the_mail_are_the_kpi_sheets_sums_for_the_period(demo_rollups):
    message = email.message_from_bytes((demo_rollups / "m.eml").read_bytes(), policy=email.policy.default)
    body = message.get_body(("plain",)).get_content()
    kpi = demo_rollups / "team" / "kpi.xlsx"
    sales = _kpi_sum(kpi, "2026-10", "实际销售(万元)") / _kpi_sum(kpi, "2026-10", "销售计划(万元)")
    collection = _kpi_sum(kpi, "2026-10", "实际回款(万元)") / _kpi_sum(kpi, "2026-10", "应回款(万元)")
    assert f"- 部门销售计划完成率：{sales * 100:.1f}%" in body
    assert f"- 部门合同回款率：{collection * 100:.1f}%" in body


def test_a_rollup_without_its_figures_sheet_is_refused_not_scraped(team, tmp_path):
    wb = openpyxl.load_workbook(team["rollup"])
    del wb["_kamxl_figures"]
    wb.save(tmp_path / "old.xlsx")
    result = CliRunner().invoke(main, ["mail", str(tmp_path / "old.xlsx"), "--to", "gm@example.com", "--eml",
                                       str(tmp_path / "m.eml")], catch_exceptions=False)
    assert result.exit_code == 1
    assert (f"{tmp_path / 'old.xlsx'} 没有 kamxl 的数值表（_kamxl_figures）：它不是 kamxl 汇总文件，或由旧版本写成。"
            "请用本版本重新汇总后再发送") in result.output
    assert not (tmp_path / "m.eml").exists()
