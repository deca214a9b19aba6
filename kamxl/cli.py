"""The `kamxl` command line: parses options, calls the library, turns its errors into messages and exit codes."""

import json
import sys
from pathlib import Path

import click

from .messages import render

from . import __version__
from .errors import KamxlError
from .problems import Severity



def _lang() -> str:
    from .messages import language

    return language()


class _Group(click.Group):
    """Library errors reach the user as `Error: …` with exit code 1, never as a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KamxlError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kamxl")
@click.option("--lang", type=click.Choice(["zh", "en"]), envvar="KAMXL_LANG", default="zh", show_default=True,
              help="Language of messages (or set KAMXL_LANG).")
def main(lang):
    """kamxl — the key-account department's Excel toolkit (大客户部 Excel 工具).

    Reps keep one workbook each; the director validates and consolidates them into the
    monthly roll-up. Run `kamxl COMMAND --help` for each command.

    Example:

    \b
        kamxl demo team && kamxl validate team
    """
    import os

    os.environ["KAMXL_LANG"] = lang


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of text.")
def validate(files, as_json):
    """Check workbooks and list every problem by file, sheet, row and column.

    FILES are rep workbooks, the KPI workbook, or folders holding them. Exit code 0 when
    everything is clean, 1 when problems were found (an unreadable file is one), 2 on wrong usage.

    Example:

    \b
        kamxl validate team/张伟.xlsx team/kpi.xlsx
    """
    from .io.inputs import collect_inputs
    from .validation import validate_files

    reports = validate_files(collect_inputs(files))
    if not reports:
        raise click.UsageError("没有找到工作簿 (no workbooks found)")
    lang = _lang()
    problem_count = sum(len(r.problems) for r in reports)
    if as_json:
        click.echo(json.dumps({"files": [r.as_dict(lang) for r in reports], "problems": problem_count},
                              ensure_ascii=False, indent=2, default=str))
    else:
        for report in reports:
            _echo_report(report, lang)
        rejected = sum(1 for r in reports for p in r.problems if p.severity == "rejected")
        warnings = sum(1 for r in reports for p in r.problems if p.severity == "warning")
        failed = sum(1 for r in reports if r.status == "failed")
        if lang == "en":
            click.echo(f"{len(reports)} files: {failed} unreadable, {rejected} rows rejected, {warnings} warnings.")
        else:
            click.echo(f"共 {len(reports)} 个文件：{failed} 个无法读取，{rejected} 行被拒收，{warnings} 个警告。")
    sys.exit(1 if problem_count else 0)


def _echo_report(report, lang: str):
    name = Path(report.path).name
    if report.status != "ok":
        tag = ("skipped" if lang == "en" else "已跳过") if report.status == "skipped" else Severity.FAILED.label(lang)
        click.echo(f"{name}: [{tag}] {report.reason}")
        return
    who = f" ({report.rep})" if report.rep else ""
    if not report.problems:
        click.echo(f"{name}{who}: {'clean' if lang == 'en' else '无问题'}")
        return
    click.echo(f"{name}{who}:")
    for p in report.problems:
        where = " ".join(x for x in (p.sheet or "", (f"row {p.row}" if lang == "en" else f"第{p.row}行") if p.row else "",
                                     p.column or "") if x)
        value = f" 「{p.value}」" if p.value else ""
        click.echo(f"  {where}{value}: {p.message(lang)} [{Severity(p.severity).label(lang)}]")


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--period", required=True, help="Month 2026-10, quarter 2026-Q4 or year 2026.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The roll-up workbook to write.")
@click.option("--kpi", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The KPI workbook (default: the one among the inputs holding a 考核指标 sheet).")
@click.option("--previous", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Last period's roll-up, for churn and new-account rates.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write the JSON summary here ('-' for stdout).")
@click.option("--settings", "settings_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A TOML file of settings, used instead of the KPI workbook's 参数 sheet.")
@click.option("--strict", is_flag=True, help="Exit 1 when any problem was found.")
def consolidate(inputs, period, out, kpi, previous, json_path, settings_path, strict):
    """Consolidate the team's workbooks into the department roll-up for a period.

    INPUTS are folders and/or files. Files that cannot be read are listed in the roll-up's
    来源 sheet with the reason; the others are still consolidated. Exit code 0 when the
    roll-up was written, 1 when nothing usable could be produced (or --strict and problems
    were found), 2 on wrong usage.

    Example:

    \b
        kamxl consolidate team --period 2026-10 --out rollup-2026-10.xlsx --json summary.json
    """
    from .consolidate import NoInput, consolidate as run_consolidation, summary
    from .errors import PeriodError
    from .io.rollup_writer import write_rollup
    from .rules.periods import parse_period

    try:
        chosen = parse_period(period)
    except PeriodError as exc:
        raise click.BadParameter(render("bad_period"), param_hint="--period") from exc
    from .settings import settings_from_toml

    settings = settings_from_toml(settings_path) if settings_path else None
    try:
        with _progress() as progress:
            rollup = run_consolidation(inputs, chosen, kpi=kpi, previous=previous, settings=settings,
                                       exclude=[out], progress=progress)
    except NoInput as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    if not any(s.status == "ok" for s in rollup.sources):
        click.echo("Error: 没有可用的工作簿，未生成汇总 (no usable workbook: nothing written)", err=True)
        sys.exit(1)
    write_rollup(rollup, out)
    report = summary(rollup, str(out))
    if json_path:
        text = json.dumps(report, ensure_ascii=False, indent=2, default=str)
        if str(json_path) == "-":
            click.echo(text)
        else:
            _write_text_atomically(json_path, text)
    o = rollup.overview
    ok = sum(1 for s in rollup.sources if s.status == "ok")
    click.echo(f"汇总已写入 {out}：{ok}/{len(rollup.sources)} 个文件，{o['customers']} 个客户，{o['overdue']} 个逾期，"
               f"{rollup.problem_count} 个数据问题 (roll-up written)", err=bool(json_path and str(json_path) == "-"))
    sys.exit(1 if strict and rollup.problem_count else 0)


def _write_text_atomically(path: Path, text: str):
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


class _progress:
    """A progress bar on stderr while files are read; silent when stderr is not a terminal."""

    def __enter__(self):
        self._bar = None
        if sys.stderr.isatty():
            from rich.progress import Progress

            self._bar = Progress(transient=True)
            self._bar.start()
            self._task = self._bar.add_task("读取工作簿 (reading workbooks)", total=None)
        return self.update if self._bar else None

    def update(self, done: int, total: int):
        self._bar.update(self._task, completed=done, total=total)

    def __exit__(self, *exc):
        if self._bar:
            self._bar.stop()


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--reps", default=6, show_default=True, help="Number of reps (one workbook each).")
@click.option("--customers", default=80, show_default=True, help="Customers per rep.")
@click.option("--visits", default=400, show_default=True, help="Visit-report rows per rep.")
@click.option("--month", default="2026-10", show_default=True, help="The month the data leads up to.")
@click.option("--seed", default=7, show_default=True, help="Random seed: the same seed writes the same team.")
@click.option("--clean", is_flag=True, help="Leave out the deliberate mistakes.")
def demo(directory, reps, customers, visits, month, seed, clean):
    """Write a realistic example team (rep workbooks, KPI workbook) to try everything on.

    The files carry the mistakes real ones do (text amounts, bad dates, a wrong check digit,
    a customer kept by two reps, a lock file) unless --clean is given.

    Example:

    \b
        kamxl demo team --reps 8 --customers 120
    """
    from .demo import DemoOptions, write_demo_team

    if min(reps, customers, visits) < 1:
        raise click.UsageError("--reps, --customers and --visits must be at least 1")
    files = write_demo_team(directory, DemoOptions(reps=reps, customers=customers, visits=visits, month=month,
                                                   seed=seed, mistakes=not clean))
    click.echo(f"已写入 {len(files)} 个文件到 {directory} (wrote {len(files)} files)")


@main.command()
@click.option("--out", "out_dir", default="templates", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the templates to.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Column headers in Chinese labels or English keys (both are read back).")
def templates(out_dir, lang):
    """Build the rep workbook and KPI workbook templates from the schema.

    Example:

    \b
        kamxl templates --out templates
    """
    from .templates import build_templates

    for path in build_templates(out_dir, lang):
        click.echo(str(path))


# ---------------------------------------------------------------- kamxl mail (issue 9)

@main.command()
@click.argument("rollup", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--to", "to", multiple=True, help="Recipient of the roll-up (repeat, or separate with commas): the assessors.")
@click.option("--cc", multiple=True, help="Copy recipient (repeat, or separate with commas).")
@click.option("--subject", help="Subject (default: 大客户部月度汇总 PERIOD).")
@click.option("--eml", "eml", type=click.Path(path_type=Path),
              help="Write the message to this .eml file instead of sending (with --per-rep: a folder, one .eml per rep).")
@click.option("--per-rep", is_flag=True, help="Send each rep on the roster their own one-page scorecard.")
@click.option("--kpi", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The KPI workbook: its 团队 sheet's 邮箱 column holds the reps' addresses (needed by --per-rep).")
@click.option("--previous", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Last period's roll-up, for each rep's change from last period.")
@click.option("--only", "only", multiple=True, help="With --per-rep: only these reps (repeat), e.g. those not yet sent.")
@click.option("--include-personal", is_flag=True, help="Keep the contacts' mobile, e-mail, birthday and hobbies in the mailed roll-up.")
@click.option("--smtp-host", envvar="KAMXL_SMTP_HOST", help="Mail server (or KAMXL_SMTP_HOST).")
@click.option("--smtp-port", envvar="KAMXL_SMTP_PORT", type=int, help="Port (or KAMXL_SMTP_PORT; default 587, 465 for ssl, 25 for none).")
@click.option("--smtp-user", envvar="KAMXL_SMTP_USER", help="Login user (or KAMXL_SMTP_USER); none: no login.")
@click.option("--smtp-from", envvar="KAMXL_SMTP_FROM", help="Sender address (or KAMXL_SMTP_FROM; default the user).")
@click.option("--smtp-security", envvar="KAMXL_SMTP_SECURITY", type=click.Choice(["starttls", "ssl", "none"]),
              default="starttls", show_default=True, help="Encryption (or KAMXL_SMTP_SECURITY); none for a relay on the local network.")
@click.option("--smtp-ca-file", envvar="KAMXL_SMTP_CA_FILE", type=click.Path(exists=True, dir_okay=False),
              help="A company CA certificate to trust besides the system's (or KAMXL_SMTP_CA_FILE).")
def mail(rollup, to, cc, subject, eml, per_rep, kpi, previous, only, include_personal, smtp_host, smtp_port, smtp_user,
         smtp_from, smtp_security, smtp_ca_file):
    """E-mail the roll-up to the assessors, and/or each rep their own one-page scorecard.

    The mailed roll-up leaves out the contacts' personal fields unless --include-personal.
    The password comes only from KAMXL_SMTP_PASSWORD or the system credential store
    (`keyring set kamxl-smtp USER`). Exit code 0 when everything was sent (or written),
    1 when a message could not be sent or a rep was left out, 2 on wrong usage.

    Example:

    \b
        kamxl mail rollup-2026-10.xlsx --to gm@example.com --to hr@example.com \\
            --smtp-host smtp.example.com --smtp-user director@example.com
        kamxl mail rollup-2026-10.xlsx --per-rep --kpi team/kpi.xlsx --eml review/
    """
    from . import mail as mailer

    lang = _lang()
    if not to and not per_rep:
        raise click.UsageError(render("mail_need_recipient", lang))
    if per_rep and not kpi:
        raise click.UsageError(render("mail_need_kpi", lang))
    try:
        to, cc = mailer.check_addresses(to, lang), mailer.check_addresses(cc, lang)
    except mailer.SmtpSettingsError as exc:
        raise click.BadParameter(str(exc), param_hint="--to/--cc") from exc
    if eml is not None:
        if eml.resolve() in {Path(p).resolve() for p in (rollup, kpi, previous) if p}:
            raise click.BadParameter(render("mail_eml_target", lang), param_hint="--eml")
        if per_rep and eml.is_file():
            raise click.BadParameter(render("mail_eml_folder", lang, path=eml), param_hint="--eml")
    smtp = mailer.SmtpSettings(smtp_host or "", smtp_port, smtp_user, smtp_from, smtp_security, smtp_ca_file)
    if eml is None:
        try:
            smtp.check(lang)
        except mailer.SmtpSettingsError as exc:
            raise click.UsageError(str(exc)) from exc
    if per_rep:
        roster, _ = mailer.read_roster(kpi)
        unknown = [r for r in only if r not in {a.rep for a in roster}]
        if unknown:
            raise click.BadParameter(render("mail_unknown_rep", lang, rep=unknown[0]), param_hint="--only")
    password = mailer.resolve_password(smtp, lang) if eml is None else None

    report = mailer.MailReport()
    if to:
        message = mailer.rollup_message(rollup, to, smtp.from_address, cc=cc, subject=subject,
                                        include_personal=include_personal, lang=lang)
        report.deliveries.append(mailer.deliver(message, smtp, password, lang,
                                                eml=eml / f"{Path(rollup).stem}.eml" if eml and (per_rep or eml.is_dir()) else eml))
    if per_rep:
        report.deliveries += mailer.send_scorecards(rollup, kpi, smtp, previous=previous, only=only, lang=lang,
                                                    eml_dir=eml, password=password).deliveries
    for d in report.deliveries:
        who = d.rep or "、".join(d.to)
        if d.eml:
            click.echo(render("mail_written", lang, path=d.eml))
        elif d.ok:
            click.echo(render("mail_sent", lang, who=f"{d.rep}（{'、'.join(d.to)}）" if d.rep else who))
        elif not d.to:  # never built: no address, not in the roll-up
            click.echo(f"Error: {d.error}", err=True)
        else:
            click.echo("Error: " + render("mail_failed", lang, who=who, reason=d.error), err=True)
    not_sent = report.reps_not_sent
    if per_rep:
        click.echo(render("mail_rep_summary_eml" if eml else "mail_rep_summary", lang, sent=len(report.reps_sent),
                          not_sent=len(not_sent)))
    if not_sent and eml is None:
        import re

        # double quotes only where needed: they work in cmd.exe, PowerShell and POSIX shells alike
        quote = lambda x: f'"{x}"' if re.search(r"[\s\"'&|<>;()$`]", str(x)) else str(x)
        command = f"kamxl mail {quote(rollup)} --per-rep --kpi {quote(kpi)} " + " ".join(f"--only {quote(r)}" for r in not_sent)
        click.echo(render("mail_rerun", lang, command=command), err=True)
    sys.exit(0 if report.ok else 1)


