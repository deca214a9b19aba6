"""The options of `kamxl consolidate` and `kamxl mail` and the cells of the director's 设置 sheet, declared once.

Each `Option` says everything about one setting: its key (the Python name everywhere: the click parameter,
the `DirectorSettings` field, the `MailRequest` field), its command-line flag and environment variable, its
type and default, its help in both languages, and its labelled cell on the 设置 sheet. The CLI builds its
click options and both languages' `--help` from here; `director.py` builds and reads the 设置 sheet from here.

Pure: no click, openpyxl or xlsxwriter here.
"""

from dataclasses import dataclass, replace
from typing import Literal

# what kind of value an option takes; the CLI and the 设置 parser each turn a kind into their own type
Kind = Literal[
    "text",       # free text
    "flag",       # on / off
    "period",     # 2026-10, 2026-Q4, 2026 (the CLI: also a range 2025-11..2026-10)
    "file",       # an existing file
    "folder",     # an existing folder
    "target",     # a file or folder to write (it need not exist)
    "new_file",   # a file to write (it need not exist)
    "addresses",  # e-mail addresses, several by repeating the option or separated by , ; ，；
    "email",      # one e-mail address
    "port",       # a TCP port, 1–65535
    "choice",     # one of `choices`
]

SMTP_SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}  # a port left blank follows the security


@dataclass(frozen=True)
class Option:
    """One setting: on the command line (`flags`), on the 设置 sheet (`cell`), or both."""
    key: str
    kind: Kind
    en: str = ""  # --help in English, for an option with flags
    zh: str = ""  # --help in Chinese
    flags: tuple[str, ...] = ()
    envvar: str | None = None
    default: object = None
    default_text: tuple[str, str] | None = None  # (en, zh): the default in words, when it is not one value
    choices: tuple[str, ...] = ()
    required: bool = False  # on the command line
    multiple: bool = False  # the flag may be repeated
    cell: str | None = None  # the 设置 sheet's label
    cell_help: str = ""  # beside the cell, and in the message box when the cell is wrong
    cell_required: bool = False

    def help(self, lang: str) -> str:
        """The `--help` text in `lang`, with the environment variable and the default, if any, in brackets."""
        text = (self.en if lang == "en" else self.zh).rstrip("。.")
        notes = [f"{'or' if lang == 'en' else '或'} {self.envvar}"] if self.envvar else []
        default = self.default_text[lang != "en"] if self.default_text else self.default
        if default not in (None, False, ()):
            notes.append(f"{'default: ' if lang == 'en' else '默认：'}{default}")
        if lang == "en":
            return f"{text} ({'; '.join(notes)})." if notes else f"{text}."
        return f"{text}（{'；'.join(notes)}）。" if notes else f"{text}。"

    def but(self, **changes) -> "Option":
        """This option as another command words it (the same key, flag and cell)."""
        return replace(self, **changes)


# ---------------------------------------------------------------- what consolidating needs

TEAM_FOLDER = Option(
    "team_folder", "folder", cell="团队文件夹", cell_required=True,
    cell_help="团队工作簿所在文件夹的完整路径，如 D:\\大客户部\\2026-10（可写相对本工作簿的路径）")
PERIOD = Option(
    "period", "period", flags=("--period",), required=True,
    en="Month 2026-10, quarter 2026-Q4 or year 2026; a range 2025-11..2026-10 writes one roll-up per period",
    zh="期间：月 2026-10、季度 2026-Q4 或年 2026；范围 2025-11..2026-10 为每个期间各写一个汇总表",
    cell="期间", cell_help="写 2026-10、2026-Q4 或 2026；留空为上个月")
OUT = Option(
    "out", "target", flags=("--out",), required=True,
    en="The roll-up workbook to write (with a range of periods: the folder to write them into)",
    zh="要写入的汇总工作簿（期间为范围时：写入的文件夹）")
OUTPUT_FOLDER = Option(
    "output_folder", "folder", cell="输出文件夹", cell_help="汇总与模板写到这里；留空为团队文件夹")
KPI = Option(
    "kpi", "file", flags=("--kpi",),
    en="The KPI workbook", zh="考核工作簿",
    default_text=("the one among the inputs holding a 考核指标 sheet", "输入中含「考核指标」表的那个"),
    cell="考核工作簿", cell_help="可选：考核工作簿的完整路径；留空则在团队文件夹中查找")
PREVIOUS = Option(
    "previous", "file", flags=("--previous",),
    en="Last period's roll-up, for churn and new-account rates", zh="上期汇总表，用于流失率和新开发率",
    default_text=("found by its period", "按表内写明的期间自动寻找"),
    cell="上期汇总", cell_help="可选：上期汇总文件的完整路径，用于流失率与新开发率")
HISTORY = Option(
    "history_dir", "folder", flags=("--history",),
    en="A folder of earlier roll-ups for 趋势 (the output folder is always searched)",
    zh="存放往期汇总表的文件夹，用于「趋势」页（输出文件夹总会被查找）")
JSON = Option(
    "json_path", "new_file", flags=("--json",),
    en="Also write the JSON summary here ('-' for stdout)", zh="同时把 JSON 摘要写到此处（'-' 为标准输出）")
SETTINGS = Option(
    "settings_path", "file", flags=("--settings",),
    en="A TOML file of settings, used instead of the KPI workbook's 参数 sheet",
    zh="参数 TOML 文件，代替考核工作簿的「参数」表")
STRICT = Option("strict", "flag", flags=("--strict",), en="Exit 1 when any problem was found",
                zh="只要发现问题就以退出码 1 结束")

CONSOLIDATE_OPTIONS = (PERIOD, OUT, KPI, PREVIOUS, HISTORY, JSON, SETTINGS, STRICT)

# ---------------------------------------------------------------- what mailing needs

RECIPIENTS = Option(
    "recipients", "addresses", flags=("--to",), multiple=True,
    en="Recipient of the roll-up (repeat, or separate with commas): the assessors",
    zh="汇总表的收件人（可重复，或用逗号分隔）：考核人",
    cell="收件人", cell_help="邮箱地址，多个用分号隔开，如 gm@example.com; hr@example.com")
CC = Option(
    "cc", "addresses", flags=("--cc",), multiple=True,
    en="Copy recipient (repeat, or separate with commas)", zh="抄送（可重复，或用逗号分隔）",
    cell="抄送", cell_help="可选：邮箱地址，多个用分号隔开")
SUBJECT = Option("subject", "text", flags=("--subject",), en="Subject", zh="邮件主题",
                 default_text=("大客户部月度汇总 PERIOD", "大客户部月度汇总 期间"))
EML = Option(
    "eml", "target", flags=("--eml",),
    en="Write the message to this .eml file instead of sending (with --per-rep: a folder, one .eml per rep)",
    zh="不发送，把邮件写成此 .eml 文件（配合 --per-rep：写入此文件夹，每位代表一个 .eml）")
PER_REP = Option("per_rep", "flag", flags=("--per-rep",),
                 en="Send each rep on the roster their own one-page scorecard", zh="给名单上每位代表发送本人的一页记分卡")
ONLY = Option("only", "text", flags=("--only",), multiple=True,
              en="With --per-rep: only these reps (repeat), e.g. those not yet sent",
              zh="配合 --per-rep：只发给这些代表（可重复），例如上次未发出的")
INCLUDE_PERSONAL = Option(
    "include_personal", "flag", flags=("--include-personal",),
    en="Keep the contacts' mobile, e-mail, birthday and hobbies in the mailed roll-up",
    zh="发出的汇总表保留联系人的手机、邮箱、生日和爱好")

_PORTS_EN = ", ".join(f"{port} for {mode}" for mode, port in DEFAULT_PORTS.items())
_PORTS_ZH = "，".join(f"{mode} 为 {port}" for mode, port in DEFAULT_PORTS.items())
SMTP_HOST = Option("smtp_host", "text", flags=("--smtp-host",), envvar="KAMXL_SMTP_HOST", en="Mail server",
                   zh="邮件服务器", cell="SMTP 服务器", cell_help="发信服务器，如 smtp.exmail.qq.com")
SMTP_PORT = Option("smtp_port", "port", flags=("--smtp-port",), envvar="KAMXL_SMTP_PORT",
                   en="Port", zh="端口", default_text=(_PORTS_EN, _PORTS_ZH),
                   cell="SMTP 端口", cell_help=f"留空则随加密方式：{_PORTS_ZH}")
SMTP_USER = Option(
    "smtp_user", "text", flags=("--smtp-user",), envvar="KAMXL_SMTP_USER",
    en="Login user, none for no login", zh="登录用户名，不填则不登录",
    cell="SMTP 用户", cell_help="登录用户名，一般为邮箱地址；密码不写在这里（用环境变量 KAMXL_SMTP_PASSWORD 或 Windows 凭据管理器）")
SMTP_FROM = Option("smtp_from", "email", flags=("--smtp-from",), envvar="KAMXL_SMTP_FROM",
                   en="Sender address", zh="发件人地址", default_text=("the login user", "登录用户名"),
                   cell="发件人", cell_help="发件邮箱地址；留空为 SMTP 用户")
SMTP_SECURITY_OPTION = Option(
    "smtp_security", "choice", flags=("--smtp-security",), envvar="KAMXL_SMTP_SECURITY", default="starttls",
    choices=SMTP_SECURITY, en="Encryption: starttls, ssl, or none for a relay on the local network",
    zh="加密方式：starttls、ssl，或局域网中继用 none", cell="加密方式", cell_help="starttls、ssl 或 none")
SMTP_CA_FILE = Option("smtp_ca_file", "file", flags=("--smtp-ca-file",), envvar="KAMXL_SMTP_CA_FILE",
                      en="A company CA certificate to trust besides the system's", zh="除系统证书外另行信任的公司 CA 证书")

SMTP_OPTIONS = (SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_FROM, SMTP_SECURITY_OPTION, SMTP_CA_FILE)
MAIL_OPTIONS = (
    RECIPIENTS, CC, SUBJECT, EML, PER_REP,
    KPI.but(en="The KPI workbook: its 团队 sheet's 邮箱 column holds the reps' addresses (needed by --per-rep)",
            zh="考核工作簿：其「团队」表的「邮箱」列为代表的邮箱（--per-rep 需要）", default_text=None),
    PREVIOUS.but(en="Last period's roll-up, for each rep's change from last period",
                 zh="上期汇总表，用于显示每位代表与上期相比的变化", default_text=None),
    ONLY, INCLUDE_PERSONAL, *SMTP_OPTIONS)

# ---------------------------------------------------------------- what demo, templates and excel build need

FORCE = Option(
    "force", "flag", flags=("--force",),
    en="Replace existing files that are not kamxl's own untouched output (edited, or not written by kamxl)",
    zh="替换已存在、但不是 kamxl 写出后未经改动的文件（已被修改，或不是 kamxl 写出的）")

# ---------------------------------------------------------------- the director's 设置 sheet, row by row

# The order is the sheet's: users and their macros know 期间 is B3 and 收件人 B7.
SETTING_CELLS = (TEAM_FOLDER, PERIOD, OUTPUT_FOLDER, KPI, PREVIOUS, RECIPIENTS, CC,
                 SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_FROM, SMTP_SECURITY_OPTION)


def option(key: str, options=(*CONSOLIDATE_OPTIONS, *MAIL_OPTIONS, *SETTING_CELLS)) -> Option:
    """The option of that key (a command's own wording when `options` is that command's)."""
    return next(o for o in options if o.key == key)
