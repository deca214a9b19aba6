"""The `kamxl` command line: parses options, calls the library, turns its errors into messages and exit codes."""

import json
import sys
from pathlib import Path

import click

from . import __version__
from .errors import KamxlError

SEVERITY_TAG = {"rejected": ("拒收", "rejected"), "warning": ("警告", "warning"), "failed": ("无法读取", "unreadable")}


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
        tag = ("skipped" if lang == "en" else "已跳过") if report.status == "skipped" else SEVERITY_TAG["failed"][lang == "en"]
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
        click.echo(f"  {where}{value}: {p.message(lang)} [{SEVERITY_TAG[p.severity][lang == 'en']}]")


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

        kamxl templates --out templates
    """
    from .templates import build_templates

    for path in build_templates(out_dir, lang):
        click.echo(str(path))
