"""The `kamxl` command line: parses options, calls the library, turns its errors into messages and exit codes."""

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .messages import os_error_text, render

from . import __version__
from .errors import KamxlError
from .options import CONSOLIDATE_OPTIONS, FORCE, MAIL_OPTIONS
from .problems import Severity

if TYPE_CHECKING:
    from .settings import Settings  # imported where used: `kamxl --help` stays quick


# ---------------------------------------------------------------- language (issue 10)
# `--lang` is accepted before or after the command (or KAMXL_LANG); it is passed down as a value
# (messages.use_language for the run, ctx.meta for --help), never written to the process environment.
_LANG_KEY = "kamxl.lang"


def _lang() -> str:
    from .messages import language

    return language()


def _help_lang(ctx: click.Context) -> str:
    from .messages import language, normalise_language

    return normalise_language(ctx.meta.get(_LANG_KEY)) or language()


def _hoist_lang(args: list[str]) -> list[str]:
    """`--lang X` / `--lang=X` anywhere before `--` moves to the front, where the group reads it."""
    rest, hoisted, i = [], [], 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg == "--lang":
            if i + 1 == len(args):
                raise click.BadOptionUsage("--lang", render("lang_needs_value"))
            hoisted = args[i:i + 2]
            i += 2
            continue
        if arg.startswith("--lang="):
            hoisted = [arg]
        else:
            rest.append(arg)
        i += 1
    return hoisted + rest


def _args_lang(args: list[str]) -> str | None:
    """The language a command line asks for with `--lang X` / `--lang=X` (the last one, as `_hoist_lang` takes)."""
    from .messages import normalise_language

    chosen = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args):
            chosen = args[i + 1]
        elif arg.startswith("--lang="):
            chosen = arg.partition("=")[2]
    return normalise_language(chosen)


# ---------------------------------------------------------------- click's own words (issue 20)
# click passes its texts (`Error:`, `Try … for help.`, `No such option`, `Aborted!`…) through gettext, imported into
# each of its modules; those modules are given a gettext reading messages.CLICK_ZH in the run's language.
_CLICK_MODULES = ("core", "exceptions", "types", "parser", "decorators", "termui", "formatting")


def _click_gettext(message: str) -> str:
    from .messages import CLICK_ZH, language

    return CLICK_ZH.get(message, message) if language() == "zh" else message


def _click_ngettext(singular: str, plural: str, n: int) -> str:
    return _click_gettext(singular if n == 1 else plural)


def _translate_click() -> None:
    """click's modules use `_click_gettext` from now on (idempotent)."""
    from importlib import import_module

    for name in _CLICK_MODULES:
        module = import_module(f"click.{name}")
        if hasattr(module, "_"):
            setattr(module, "_", _click_gettext)
        if hasattr(module, "ngettext"):
            setattr(module, "ngettext", _click_ngettext)


class _Path(click.Path):
    """`click.Path`, naming its kind (file, directory, path) in the run's language when a path is wrong."""

    def _kind(self) -> str:
        return "file" if not self.dir_okay else "directory" if not self.file_okay else "path"

    def _translated_name(self) -> str:
        return _click_gettext(self._kind())

    def _set_name(self, _value: str) -> None:  # click.Path sets it once, in English; it is worked out when read
        pass

    name = property(_translated_name, _set_name)  # type: ignore[assignment]

    def get_metavar(self, param, *args, **kwargs) -> str | None:  # --out PATH in either language: it lines up
        return self._kind().upper() if isinstance(param, click.Option) else None  # an argument: its own name


# Chinese descriptions of the commands, by name; the English is the command's docstring. Options carry their
# Chinese help themselves (`help_zh`), those of consolidate and mail from kamxl/options.py.
_HELP_ZH = {
    "main": """kamxl — 大客户部 Excel 工具。

    每位代表维护一个工作簿；总监校验并汇总为月度汇总表。各命令的说明见 `kamxl 命令 --help`；
    --lang en 切换为英文，可放在命令前或命令后（或设环境变量 KAMXL_LANG=en）。

    示例 (Example):

    \b
        kamxl demo team && kamxl validate team
        kamxl consolidate team --period 2026-10 --out rollup-2026-10.xlsx
    """,
    "validate": """校验工作簿，按文件、工作表、行、列列出每个问题。

    FILES 为代表工作簿、考核工作簿或存放它们的文件夹。退出码：0 无问题，1 有问题（无法读取的文件也算），
    2 用法错误。

    示例 (Example):

    \b
        kamxl validate team/张伟.xlsx team/kpi.xlsx
    """,
    "consolidate": """把团队的工作簿汇总为某一期间的部门汇总表。

    INPUTS 为文件夹和/或文件。无法读取的文件列在汇总表「来源」页并注明原因，其余照常汇总。
    未给 --previous 时，自动在输出文件夹、输入和 --history 中寻找上一期间的汇总表（按表内写明的期间识别，
    不看文件名）。退出码：0 已生成，1 没有可用的工作簿（或 --strict 且有问题），2 用法错误。

    示例 (Example):

    \b
        kamxl consolidate team --period 2026-10 --out rollup-2026-10.xlsx --json summary.json
    """,
    "demo": """写出一个逼真的示例团队（代表工作簿、考核工作簿），用来试用各项功能。

    除非给出 --clean，文件中带有真实文件常见的错误（文字金额、错误日期、校验位错误、两位代表共有的客户、
    Excel 锁定文件）。子文件夹「上月」是同一团队上月提交的工作簿：先汇总它，再汇总本月，即可看到流失与新开发。
    已存在、但不是 kamxl 写出后未经改动的文件（改过的工作簿、您自己的 kpi.xlsx）不会被替换：除非加 --force，
    不写入任何文件并以退出码 2 结束。

    示例 (Example):

    \b
        kamxl demo team --reps 8 --customers 120
    """,
    "templates": """根据 schema 生成代表工作簿和考核工作簿模板。

    --lang en 时表头为英文字段名（两种都能读回）。文件夹中已有的模板只有在仍是 kamxl 写出后未经改动时才会被替换：
    已填写或改过的模板会让命令在写入任何文件之前停止（退出码 2），除非加 --force。

    示例 (Example):

    \b
        kamxl templates --out templates
    """,
    "mail": """把汇总表发给考核人（总经理、人力资源部），和/或给每位代表发送本人的一页记分卡。

    发出的汇总表默认去掉联系人的个人信息（手机、邮箱、生日、爱好），除非加 --include-personal。
    密码只从环境变量 KAMXL_SMTP_PASSWORD 或系统凭据库（`keyring set kamxl-smtp 用户名`）读取。
    退出码：0 全部已发送（或已写出），1 有邮件未发出或有代表被漏掉，2 用法错误。

    示例 (Example):

    \b
        kamxl mail rollup-2026-10.xlsx --to gm@example.com --to hr@example.com \\
            --smtp-host smtp.example.com --smtp-user director@example.com
        kamxl mail rollup-2026-10.xlsx --per-rep --kpi team/kpi.xlsx --eml review/
    """,
    "excel": """设置并生成启用宏的工作簿（总监工作簿 kamxl.xlsm、代表工作簿 rep_workbook.xlsm）。

    示例 (Example):

    \b
        kamxl excel setup
    """,
    "setup": """检查 Python、xlwings 与 pywin32，并告诉工作簿的按钮启动哪个 Python。

    把 INTERPRETER_WIN 写入 %USERPROFILE%\\.kamxl\\kamxl.conf（本机所有 kamxl 工作簿都读取），并写入所列每个工作簿的
    隐藏 kamxl.conf 表。退出码：0 一切就绪，1 有检查未通过（会列出需要安装的部分），2 用法错误。

    示例 (Example):

    \b
        kamxl excel setup D:\\大客户部\\kamxl.xlsm
    """,
    "build": """由 VBA 文本源生成总监工作簿 kamxl.xlsm（代表模板用 `kamxl templates`）。

    覆盖已有的 kamxl.xlsm 时，保留其「设置」表中填写的值（加 --force 也保留），其余部分替换为新版本。
    不是 kamxl 写出的 kamxl.xlsm、含有您自己添加的工作表的、或无法读取的，会让命令在写入任何文件之前停止（退出码 2），
    除非加 --force。

    示例 (Example):

    \b
        kamxl excel build --out workbook
    """,
}


def _join_cjk_lines(text: str | None) -> str | None:
    """Click rewraps a paragraph joining its lines with a space; Chinese lines join with none."""
    return re.sub(r"(?<=[^\x00-\x7f])\n[ \t]*(?=[^\s\\])", "", text) if text else text


class _BilingualHelp:
    """Help text (usage, description, option help, headings) in the run's language: Chinese first."""

    def _zh(self, ctx, key: str) -> str | None:
        return _HELP_ZH.get(key) if _help_lang(ctx) == "zh" else None

    def format_usage(self, ctx, formatter):
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)),
                              prefix="Usage: " if _help_lang(ctx) == "en" else "用法：")

    def format_help_text(self, ctx, formatter):
        original = self.help
        self.help = _join_cjk_lines(self._zh(ctx, self.name)) or original
        try:
            super().format_help_text(ctx, formatter)
        finally:
            self.help = original

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:  # made once and kept by click: its help is set in both languages, not translated then
            option.help, option.help_zh = "Show this message and exit.", "显示本帮助并退出。"
        return option

    def format_options(self, ctx, formatter):
        records = [record for param in self.get_params(ctx) if isinstance(param, click.Option)
                   and (record := _BilingualOption.help_record(param, ctx)) is not None]
        if records:
            with formatter.section("Options" if _help_lang(ctx) == "en" else "选项"):
                formatter.write_dl(records)


class _BilingualOption(click.Option):
    """An option with its help in both languages: `help` in English, `help_zh` in Chinese."""

    def __init__(self, *args, help_zh: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.help_zh = help_zh

    @staticmethod
    def help_record(param: click.Option, ctx) -> tuple[str, str] | None:
        """The option's line of --help in the run's language (click's own [required], [default: …] too)."""
        if _help_lang(ctx) != "zh":
            return param.get_help_record(ctx)
        original = param.help
        param.help = getattr(param, "help_zh", None) or original
        try:
            record = param.get_help_record(ctx)
        finally:
            param.help = original
        if record is None:
            return None
        return record


def _option(*flags, **kwargs):
    """`click.option` for an option whose Chinese help (`help_zh`) stands beside its English `help`."""
    return click.option(*flags, cls=_BilingualOption, **kwargs)


_CLICK_TYPES = {
    "file": _Path(exists=True, dir_okay=False, path_type=Path),
    "folder": _Path(exists=True, file_okay=False, path_type=Path),
    "target": _Path(path_type=Path),
    "new_file": _Path(dir_okay=False, path_type=Path),
    "port": click.IntRange(1, 65535),
}


def _declared(options):
    """The click options of a command from their declarations (kamxl/options.py), first option first."""
    def decorate(f):
        for o in reversed(options):
            kwargs = dict(help=o.help("en"), help_zh=o.help("zh"), envvar=o.envvar, required=o.required,
                          multiple=o.multiple)
            if o.kind == "flag":
                kwargs["is_flag"] = True
            elif o.kind == "choice":
                kwargs.update(type=click.Choice(o.choices))
            else:
                kwargs.update(type=_CLICK_TYPES.get(o.kind, click.STRING))
            if o.default is not None and o.kind != "flag":  # click 8.3 takes default=None as a value: a required
                kwargs["default"] = o.default                # option would then pass its check unseen
            f = _option(*o.flags, o.key, **kwargs)(f)
        return f
    return decorate


def _usage_error(exc, options) -> click.UsageError:
    """A request the command cannot carry out as wrong usage (exit 2), naming the option whose value is wrong."""
    if getattr(exc, "key", None):
        flags = next(o.flags for o in options if o.key == exc.key)
        return click.BadParameter(str(exc), param_hint="/".join(flags))
    return click.UsageError(str(exc))


class _Command(_BilingualHelp, click.Command):
    pass


class _Group(_BilingualHelp, click.Group):
    """Library errors reach the user as `Error: …` with exit code 1, never as a traceback."""

    command_class = _Command

    def main(self, args=None, *rest, **extra):  # type: ignore[override]
        """The whole run, click's own words and `Aborted!` included, in the language the command line asks for."""
        from .messages import use_language

        _translate_click()
        with use_language(_args_lang(sys.argv[1:] if args is None else list(args))):
            return super().main(args, *rest, **extra)

    def parse_args(self, ctx, args):
        return super().parse_args(ctx, _hoist_lang(list(args)))

    def format_options(self, ctx, formatter):
        super().format_options(ctx, formatter)
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                zh = self._zh(ctx, name)
                rows.append((name, zh.strip().splitlines()[0] if zh else cmd.get_short_help_str(60)))
        if rows:
            with formatter.section("Commands" if _help_lang(ctx) == "en" else "命令"):
                formatter.write_dl(rows)

    def invoke(self, ctx):
        """Run the command in the chosen language; a library's warnings (pandas' PerformanceWarning, openpyxl's
        notes on extensions it skips) are not the director's to read and stay off the console."""
        import warnings

        from .messages import use_language

        with use_language(ctx.meta.get(_LANG_KEY)), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return super().invoke(ctx)
            except KamxlError as exc:
                raise click.ClickException(str(exc)) from exc


class _Refused(click.ClickException):
    """An output would replace a file that is not kamxl's own untouched output: wrong usage (exit 2)."""
    exit_code = 2


def _refusing(run):
    """Run `run()`; a refusal to replace a user's file becomes `Error: …` with exit code 2."""
    from .director import DirectorWorkbookUnreadable
    from .io.outputs.ownership import OutputsNotOurs

    try:
        return run()
    except (OutputsNotOurs, DirectorWorkbookUnreadable) as exc:
        raise _Refused(str(exc)) from exc


def _remember_lang(ctx, _param, value):
    if value:
        ctx.meta[_LANG_KEY] = value
    return value


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kamxl", message="%(prog)s %(version)s", cls=_BilingualOption,
                      help_zh="显示版本并退出。")  # "kamxl 0.1.0" in either language
@_option("--lang", type=click.Choice(["zh", "en"]), default=None, is_eager=True, expose_value=False,
         callback=_remember_lang,
         help="Language of messages and help: zh (default) or en; before or after the command, or set KAMXL_LANG.",
         help_zh="提示与帮助的语言：zh 中文（默认）或 en 英文；可放在命令前后，或设 KAMXL_LANG。")
def main():
    """kamxl — the key-account department's Excel toolkit (大客户部 Excel 工具).

    Reps keep one workbook each; the director validates and consolidates them into the
    monthly roll-up. Run `kamxl COMMAND --help` for each command; --lang works before or
    after the command.

    Example:

    \b
        kamxl demo team && kamxl validate team
        kamxl --lang en consolidate team --period 2026-10 --out rollup-2026-10.xlsx
    """


@main.command()
@click.argument("files", nargs=-1, required=True, type=_Path(exists=True, path_type=Path))
@_option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of text.", help_zh="以 JSON 输出报告。")
def validate(files, as_json):
    """Check workbooks and list every problem by file, sheet, row and column.

    FILES are rep workbooks, the KPI workbook, or folders holding them. Exit code 0 when
    everything is clean, 1 when problems were found (an unreadable file is one), 2 on wrong usage.

    Example:

    \b
        kamxl validate team/张伟.xlsx team/kpi.xlsx
    """
    from .io.inputs.files import collect_inputs
    from .validation import validate_files

    reports = validate_files(collect_inputs(files))
    if not reports:
        raise click.UsageError(render("no_workbooks"))
    lang = _lang()
    problem_count = sum(len(r.problems) for r in reports)
    if as_json:
        click.echo(_json_text({"files": [r.as_dict(lang) for r in reports], "problems": problem_count}))
    else:
        for report in reports:
            _echo_report(report, lang)
        click.echo(_totals_line(reports, lang))
    sys.exit(1 if problem_count else 0)


def _json_text(data) -> str:
    """A report as JSON text, a file name that is not UTF-8 shown as it reads (`readable_path`)."""
    from .io.inputs.files import readable_path

    def readable(value):
        if isinstance(value, str):
            return readable_path(value)
        if isinstance(value, dict):
            return {readable(k): readable(v) for k, v in value.items()}
        return [readable(v) for v in value] if isinstance(value, (list, tuple)) else value

    return json.dumps(readable(data), ensure_ascii=False, indent=2, default=lambda v: readable_path(str(v)))


def _totals_line(reports, lang: str) -> str:
    """The closing line of `validate`: files, unreadable files, rejected rows (not problems) and warnings."""
    from .validation import totals

    t = totals(reports)
    if lang == "en":
        return f"{t.files} files: {t.failed} unreadable, {t.rejected_rows} rows rejected, {t.warnings} warnings."
    return f"共 {t.files} 个文件：{t.failed} 个无法读取，{t.rejected_rows} 行被拒收，{t.warnings} 个警告。"


def _echo_report(report, lang: str):
    from .io.inputs.files import readable_name

    name = readable_name(report.path)  # a name that is not UTF-8 as it reads, never a UnicodeEncodeError
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
@click.argument("inputs", nargs=-1, required=True, type=_Path(exists=True, path_type=Path))
@_declared(CONSOLIDATE_OPTIONS)
def consolidate(inputs, period, out, kpi, previous, history_dir, json_path, settings_path, strict):
    """Consolidate the team's workbooks into the department roll-up for a period.

    INPUTS are folders and/or files. Files that cannot be read are listed in the roll-up's
    来源 sheet with the reason; the others are still consolidated. Exit code 0 when the
    roll-up was written, 1 when nothing usable could be produced (or --strict and problems
    were found), 2 on wrong usage.

    Example:

    \b
        kamxl consolidate team --period 2026-10 --out rollup-2026-10.xlsx --json summary.json
    """
    from .errors import PeriodError
    from .rules.periods import is_period_range, parse_period, parse_period_range

    try:
        periods = parse_period_range(period) if is_period_range(period) else [parse_period(period)]
    except PeriodError as exc:
        raise click.UsageError(render("bad_option_value", option="--period", value=period,
                                      reason=_period_reason(period))) from exc
    from .settings import settings_from_toml

    settings = settings_from_toml(settings_path) if settings_path else None
    if not is_period_range(period):
        report = _consolidate_period(inputs, periods[0], out, kpi, previous, history_dir, json_path, settings, settings_path)
        sys.exit(1 if strict and report["problems"] else 0)
    # one roll-up per period into the folder --out, oldest first: each finds the one before it there
    if out.exists() and not out.is_dir():
        raise click.UsageError(render("range_needs_folder", path=str(out)))
    reports = []
    for chosen in periods:
        click.echo(render("range_period", period=chosen.label, index=len(reports) + 1, count=len(periods)),
                   err=bool(json_path and str(json_path) == "-"))
        reports.append(_consolidate_period(inputs, chosen, out / f"rollup-{chosen.label}.xlsx", kpi,
                                           previous if not reports else None, history_dir, None, settings, settings_path))
    if json_path:
        _write_json(json_path, reports)
    sys.exit(1 if strict and any(r["problems"] for r in reports) else 0)


def _period_reason(text: str) -> str:
    """Why a --period is refused: a year out of range, a range the wrong way round, or a form not understood."""
    from .rules.periods import FIRST_YEAR, LAST_YEAR, MAX_RANGE, RANGE_SEPARATOR, parse_period

    parts = text.split(RANGE_SEPARATOR)
    for part in parts:
        if (m := re.match(r"\s*(\d{4,})", part)) and not FIRST_YEAR <= int(m.group(1)) <= LAST_YEAR:
            return render("period_out_of_range", year=m.group(1), first=FIRST_YEAR, last=LAST_YEAR)
    try:
        [parse_period(part) for part in parts]
    except KamxlError:
        return render("bad_period")
    return render("period_range_order", limit=MAX_RANGE) if len(parts) == 2 else render("bad_period")


def _consolidate_period(inputs, chosen, out: Path, kpi, previous, history_dir, json_path, settings: "Settings | None",
                        settings_path) -> dict:
    """One roll-up written, its summary said and returned (exits 1 or 2 on what the command cannot get past)."""
    from importlib import import_module

    from .gather import NoInput, NotKpiWorkbook, gather
    from .io.outputs.paths import UnsafeOutput, check_outputs, check_replaced_rollup

    try:
        check_outputs(inputs, out, json_path, kpi=kpi, previous=previous, settings=settings_path)
        check_replaced_rollup(out, chosen)
    except UnsafeOutput as exc:
        raise click.UsageError(str(exc)) from exc

    def load_rollup_code():  # while the workers read: pandas, numpy and the writer take half a second to load
        import_module("kamxl.consolidate")
        import_module("kamxl.io.outputs.rollup_writer")

    try:
        with _progress() as progress:
            gathered = gather(inputs, chosen, kpi=kpi, previous=previous, exclude=[out], progress=progress,
                              search=_rollup_places(out, history_dir), meanwhile=load_rollup_code)
    except NoInput as exc:  # every input an empty folder: wrong usage, as a path that is not there
        raise click.UsageError(str(exc)) from exc
    except NotKpiWorkbook as exc:  # before anything is written: scores would be empty without a word
        raise click.UsageError(str(exc)) from exc
    from .consolidate import TwoKpiWorkbooks, rollup_of
    from .rollup_model import summary
    from .io.outputs.rollup_writer import write_rollup

    try:
        rollup = rollup_of(gathered, settings)
    except TwoKpiWorkbooks as exc:
        raise click.UsageError(str(exc)) from exc
    if not any(s.status == "ok" for s in rollup.sources):
        raise click.ClickException(render("nothing_usable"))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_rollup(rollup, out)
    except OSError as exc:  # a full disk, a share gone read-only: said, not a traceback
        raise click.ClickException(render("write_failed", path=str(out), detail=os_error_text(exc))) from exc
    finally:
        rollup.close()  # the spilled detail rows: not left for the exit, when a late Ctrl-C could cut it short
    report = summary(rollup, str(out))
    if json_path:
        _write_json(json_path, report)
    _echo_rollup_summary(rollup, out, err=bool(json_path and str(json_path) == "-"))
    return report


def _write_json(json_path: Path, report) -> None:
    """The JSON summary to its file (atomically) or to standard output ('-')."""
    from .io.outputs.atomic import write_text_atomically

    text = _json_text(report)
    if str(json_path) == "-":
        click.echo(text)
        return
    try:
        write_text_atomically(json_path, text)
    except OSError as exc:
        raise click.ClickException(render("write_failed", path=str(json_path), detail=os_error_text(exc))) from exc


def _rollup_places(out: Path, history_dir: Path | None) -> list[Path]:
    """Where earlier roll-ups are looked for besides the inputs: the output folder and --history."""
    places = [out.parent if str(out.parent) else Path(".")]
    return places + [history_dir] if history_dir else places


def _echo_rollup_summary(rollup, out: Path, err: bool):
    """The summary line, then which earlier roll-ups were used and every warning ("say why")."""
    from .io.inputs.files import readable_path

    o = rollup.overview
    ok = sum(1 for s in rollup.sources if s.status == "ok")
    click.echo(render("rollup_written", out=out, ok=ok, files=len(rollup.sources), customers=o["customers"],
                      overdue=o["overdue"], problems=rollup.problem_count), err=err)
    for line in _copies_lines(rollup):
        click.echo(line, err=err)
    if rollup.previous:
        click.echo(render("previous_used", path=readable_path(rollup.previous.path), period=rollup.previous.period.label), err=err)
    if rollup.history:
        click.echo(render("history_used", count=len(rollup.history) + 1, first=rollup.history[0].period.label,
                          last=rollup.period.label), err=err)
    for text in rollup.warning_texts():
        click.echo(f"{render('warning_label')}{text}", err=err)


def _copies_lines(rollup) -> list[str]:
    """Per rep with two workbooks, the file used and the file(s) skipped; byte-identical copies as one count."""
    chosen: dict[str, list[dict]] = {}
    for p in rollup.problems:
        if p.code == "duplicate_rep":
            chosen.setdefault(dict(p.params)["rep"], []).append(dict(p.params, file=p.file))
    lines = [render("rep_file_chosen", rep=rep, count=len(skipped) + 1, kept=skipped[0]["kept"],
                    kept_data=skipped[0]["kept_data"], skipped="」「".join(s["file"] for s in skipped))
             for rep, skipped in chosen.items()]
    skipped_reps = {Path(s["file"]).name for group in chosen.values() for s in group}
    copies = sum(1 for s in rollup.sources if s.status == "skipped" and s.rep and Path(s.path).name not in skipped_reps)
    return lines + ([render("copies_identical", count=copies)] if copies else [])


class _progress:
    """A progress bar on stderr while files are read; silent when stderr is not a terminal."""

    def __enter__(self):
        self._bar = None
        if sys.stderr.isatty():
            from rich.progress import Progress

            self._bar = Progress(transient=True)
            self._bar.start()
            self._task = self._bar.add_task(render("reading_workbooks"), total=None)
        return self.update if self._bar else None

    def update(self, done: int, total: int):
        self._bar.update(self._task, completed=done, total=total)

    def __exit__(self, *exc):
        if self._bar:
            self._bar.stop()


@main.command()
@click.argument("directory", type=_Path(file_okay=False, path_type=Path))
@_option("--reps", default=6, show_default=True, help="Number of reps (one workbook each).",
         help_zh="代表人数（每人一个工作簿）。")
@_option("--customers", default=80, show_default=True, help="Customers per rep.", help_zh="每位代表的客户数。")
@_option("--visits", default=400, show_default=True, help="Visit-report rows per rep.", help_zh="每位代表的拜访日报行数。")
@_option("--month", default="2026-10", show_default=True, help="The month the data leads up to.", help_zh="数据截止的月份。")
@_option("--seed", default=7, show_default=True, help="Random seed: the same seed writes the same team.",
         help_zh="随机种子：同一种子写出同样的团队。")
@_option("--clean", is_flag=True, help="Leave out the deliberate mistakes.", help_zh="不加入故意的错误。")
@_declared((FORCE,))
def demo(directory, reps, customers, visits, month, seed, clean, force):
    """Write a realistic example team (rep workbooks, KPI workbook) to try everything on.

    The files carry the mistakes real ones do (text amounts, bad dates, a wrong check digit,
    a customer kept by two reps, a lock file) unless --clean is given. The subfolder 上月 holds
    the same team as submitted a month earlier: consolidate it first, then the team, to see
    churn and new accounts. An existing file that is not kamxl's untouched output (an edited
    workbook, your own kpi.xlsx) is never replaced: nothing is written (exit 2) unless --force.

    Example:

    \b
        kamxl demo team --reps 8 --customers 120
    """
    from .demo import PREVIOUS_MONTH_FOLDER, DemoOptions, demo_files, write_demo_team
    from .io.outputs.ownership import refuse_unless_forced
    from .rules.periods import parse_period

    if min(reps, customers, visits) < 1:
        raise click.UsageError(render("demo_too_small"))
    options = DemoOptions(reps=reps, customers=customers, visits=visits, month=month, seed=seed, mistakes=not clean)
    planned, lock = demo_files(directory, options)
    _refusing(lambda: refuse_unless_forced(planned, force, lock))
    files = write_demo_team(directory, options)
    click.echo(render("demo_written", count=len(files), directory=directory))
    this = parse_period(month)
    click.echo(render("demo_previous_month", folder=Path(directory) / PREVIOUS_MONTH_FOLDER,
                      previous=this.previous().label, period=this.label, directory=directory))


@main.command()
@_option("--out", "out_dir", default="templates", show_default=True, type=_Path(file_okay=False, path_type=Path),
         help="Folder to write the templates to.", help_zh="模板写入的文件夹。")
@_option("--lang", type=click.Choice(["zh", "en"]), default=None,
         help="Column headers in Chinese labels or English keys (both are read back); also the messages' language.",
         help_zh="表头用中文标签（zh）或英文字段名（en）；也决定提示语言。")
@_declared((FORCE,))
def templates(out_dir, lang, force):
    """Build the rep workbook and KPI workbook templates from the schema.

    A template already in the folder is replaced only while it is kamxl's untouched output: a
    filled-in or edited one stops the command before anything is written (exit 2) unless --force.

    Example:

    \b
        kamxl templates --out templates
    """
    from .io.outputs.ownership import build_beside
    from .templates import build_templates

    for path in _refusing(lambda: build_beside(out_dir, force, lambda staging: build_templates(staging, lang or _lang()))):
        click.echo(str(path))


# ---------------------------------------------------------------- kamxl mail (issue 9)

@main.command()
@click.argument("rollup", type=_Path(exists=True, dir_okay=False, path_type=Path))
@_declared(MAIL_OPTIONS)
def mail(rollup, **values):
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
    try:
        report = mailer.send_month(mailer.MailRequest.from_options(rollup, values, lang))
    except mailer.MailRequestError as exc:
        raise _usage_error(exc, MAIL_OPTIONS) from exc
    eml, per_rep, kpi = values["eml"], values["per_rep"], values["kpi"]
    for d in report.deliveries:
        who = d.rep or "、".join(d.to)
        if d.eml:
            click.echo(render("mail_written", lang, path=d.eml))
        elif d.ok:
            click.echo(render("mail_sent", lang, who=f"{d.rep}（{'、'.join(d.to)}）" if d.rep else who))
        elif not d.to:  # never built: no address, not in the roll-up
            click.echo(_click_gettext("Error: {message}").format(message=d.error), err=True)
        else:
            click.echo(_click_gettext("Error: {message}").format(message=render("mail_failed", lang, who=who,
                                                                               reason=d.error)), err=True)
    not_sent = report.reps_not_sent
    if per_rep:
        click.echo(render("mail_rep_summary_eml" if eml else "mail_rep_summary", lang, sent=len(report.reps_sent),
                          not_sent=len(not_sent)))
    if not_sent and eml is None:
        # double quotes only where needed: they work in cmd.exe, PowerShell and POSIX shells alike
        quote = lambda x: f'"{x}"' if re.search(r"[\s\"'&|<>;()$`]", str(x)) else str(x)
        command = f"kamxl mail {quote(rollup)} --per-rep --kpi {quote(kpi)} " + " ".join(f"--only {quote(r)}" for r in not_sent)
        click.echo(render("mail_rerun", lang, command=command), err=True)
    sys.exit(0 if report.ok else 1)



# ---- Excel: the workbook buttons (issue 8) ---------------------------------------------------------------------

@main.group(cls=_Group)
def excel():
    """Set up and build the macro-enabled workbooks (总监工作簿 kamxl.xlsm, rep_workbook.xlsm).

    Example:

    \b
        kamxl excel setup
    """


@excel.command("setup")
@click.argument("workbooks", nargs=-1, type=_Path(exists=True, dir_okay=False, path_type=Path))
@_option("--interpreter", type=_Path(dir_okay=False, path_type=Path),
         help="The Python Excel should start (default: pythonw.exe beside this Python).",
         help_zh="Excel 要启动的 Python（默认：本 Python 旁的 pythonw.exe）。")
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
        program = write_workbook_interpreter(workbook, chosen)
        click.echo(f"{'wrote' if en else '已写入'} {workbook} (kamxl.conf): INTERPRETER_WIN = {chosen}")
        if program is not None:
            click.echo(render("saved_by_other", workbook=workbook, application=program or render("other_program")), err=True)
    click.echo("完成：打开 kamxl.xlsm 或 rep_workbook.xlsm，启用宏后即可使用按钮 (done: open a workbook, enable macros, press a button)")


@excel.command("build")
@_option("--out", "out_dir", default="workbook", show_default=True, type=_Path(file_okay=False, path_type=Path),
         help="Folder to write the director's workbook kamxl.xlsm to.", help_zh="总监工作簿 kamxl.xlsm 写入的文件夹。")
@_option("--wrappers", is_flag=True, help="Also regenerate kamxl/excel/vba_sources/xlwings_udfs.bas from kamxl/excel/udfs.py (in a clone).",
         help_zh="同时由 kamxl/excel/udfs.py 重新生成 kamxl/excel/vba_sources/xlwings_udfs.bas（在源码克隆中）。")
@_declared((FORCE,))
def excel_build(out_dir, wrappers, force):
    """Build the director's workbook kamxl.xlsm from the VBA text sources (rep templates: `kamxl templates`).

    Over an existing kamxl.xlsm the values filled in on its 设置 sheet are kept (even with --force)
    and the rest is replaced. A kamxl.xlsm not written by kamxl, one with sheets of your own, or one
    that cannot be read stops the command before anything is written (exit 2) unless --force.

    Example:

    \b
        kamxl excel build --out workbook
    """
    from .director import build_director_workbook, kept_settings_text, settings_to_keep
    from .excel.vba import CONFIG_SHEET, write_udf_wrappers

    target = out_dir / "kamxl.xlsm"
    kept = _refusing(lambda: settings_to_keep(target, force, macro_sheets=(CONFIG_SHEET,)))
    if wrappers:
        click.echo(str(write_udf_wrappers()))
    out_dir.mkdir(parents=True, exist_ok=True)
    click.echo(str(build_director_workbook(target, kept=kept)))
    if (kept_text := kept_settings_text(kept)) is not None:
        click.echo(kept_text)


def run():
    """The `kamxl` command: SIGTERM ends it like Ctrl-C, so no temporary file outlives it.

    Once the command is done, the process leaves without tearing down the interpreter object by object (a roll-up's
    millions of cells took 0.3 s to free): the output is flushed and the exit handlers run (temporary folders are
    removed there), then `os._exit`. A command that raised, or left a thread running, exits the ordinary way.
    """
    import atexit
    import os
    import signal
    import threading

    def _terminate(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _terminate)
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    if threading.active_count() > 1 or not (code is None or isinstance(code, int)):
        sys.exit(code)
    code = _flushed(code)
    atexit._run_exitfuncs()
    os._exit(_flushed(code) or 0)  # flushed again: what an exit handler printed


def _flushed(code: int | None) -> int | None:
    """The exit code once standard output and error are flushed: 120 when one cannot be (a closed pipe), as
    Python's own exit gives; a stream that is not there (started with it closed, pythonw) is passed over."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            code = code or 120
    return code
