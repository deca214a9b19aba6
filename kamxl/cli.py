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


# ---- Excel: the workbook buttons (issue 8) ---------------------------------------------------------------------

@main.group()
def excel():
    """Set up and build the macro-enabled workbooks (总监工作簿 kamxl.xlsm, rep_workbook.xlsm).

    Example:

    \b
        kamxl excel setup
    """


@excel.command("setup")
@click.argument("workbooks", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--interpreter", type=click.Path(dir_okay=False, path_type=Path),
              help="The Python Excel should start (default: pythonw.exe beside this Python).")
def excel_setup(workbooks, interpreter):
    """Check Python, xlwings and pywin32, and tell the workbooks' buttons which Python to start.

    Writes INTERPRETER_WIN into %USERPROFILE%\\.kamxl\\kamxl.conf (read by every kamxl workbook on
    this PC) and into the hidden kamxl.conf sheet of each WORKBOOK named. Exit code 0 when
    everything is ready, 1 when a check failed (what to install is printed), 2 on wrong usage.

    Example:

    \b
        kamxl excel setup D:\\大客户部\\kamxl.xlsm
    """
    from .excel.setup import environment_checks, excel_interpreter, write_user_config, write_workbook_interpreter

    en = _lang() == "en"
    checks = environment_checks()
    for check in checks:
        click.echo(f"{'OK ' if check.ok else '缺少'} {check.name}: {check.detail}")
    if not all(c.ok for c in checks):
        click.echo("Error: 请先安装上面缺少的部分，再运行 kamxl excel setup (install what is missing, then run again)", err=True)
        sys.exit(1)
    chosen = interpreter or excel_interpreter()
    config = write_user_config(chosen)
    click.echo(f"{'wrote' if en else '已写入'} {config}: INTERPRETER_WIN = {chosen}")
    for workbook in workbooks:
        write_workbook_interpreter(workbook, chosen)
        click.echo(f"{'wrote' if en else '已写入'} {workbook} (kamxl.conf): INTERPRETER_WIN = {chosen}")
    click.echo("完成：打开 kamxl.xlsm 或 rep_workbook.xlsm，启用宏后即可使用按钮 (done: open a workbook, enable macros, press a button)")


@excel.command("build")
@click.option("--out", "out_dir", default="workbook", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the director's workbook kamxl.xlsm to.")
@click.option("--wrappers", is_flag=True, help="Also regenerate workbook/vba/xlwings_udfs.bas from kamxl/excel/udfs.py.")
def excel_build(out_dir, wrappers):
    """Build the director's workbook kamxl.xlsm from the VBA text sources (rep templates: `kamxl templates`).

    Example:

    \b
        kamxl excel build --out workbook
    """
    from .director import build_director_workbook
    from .excel.vba import write_udf_wrappers

    if wrappers:
        click.echo(str(write_udf_wrappers()))
    out_dir.mkdir(parents=True, exist_ok=True)
    click.echo(str(build_director_workbook(out_dir / "kamxl.xlsm")))
