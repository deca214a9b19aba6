"""The monthly e-mail: the roll-up to the assessors (总经理、人力资源部), each rep their own scorecard.

Messages are built with the `email` package (subject and file names encoded for any mail
client, RFC 2047 / RFC 2231) and sent with smtplib. The password is looked up when sending —
`KAMXL_SMTP_PASSWORD`, then the system credential store — and never stored, printed or put in
an error. The CLI's `mail` command and the director's workbook's 发送 button both call `send_month`: they only
gather the request (from options or from the 设置 sheet) and show the report.
"""

import html
import os
import re
import smtplib
import ssl
import tempfile
import time
from functools import partial
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formataddr, formatdate, getaddresses, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Mapping, Sequence

from . import parsing
from .errors import KamxlError
from .io.outputs.redact import write_without_personal
from .io.inputs.rollup_reader import read_rollup
from .messages import os_error_text, render
from .options import DEFAULT_PORTS, SMTP_SECURITY
from .rollup_model import RollupDigest
from .scorecard import RepCard, rep_card, scorecard_workbook
from .settings import DEFAULTS, Settings

SECURITY_MODES = SMTP_SECURITY
PASSWORD_ENV = "KAMXL_SMTP_PASSWORD"
KEYRING_SERVICE = "kamxl-smtp"  # keyring set kamxl-smtp USER
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class MailError(KamxlError):
    "A message could not be sent"


class MailRequestError(MailError):
    "What was asked cannot be mailed as it stands (no recipient, a bad address, a missing setting)"

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key  # the option (kamxl.options) whose value is wrong; None when something is missing


class SmtpSettingsError(MailRequestError):
    "The SMTP settings are missing or not valid"


class MissingPassword(MailError):
    "The SMTP user has no password in the environment or the credential store"


class AuthenticationFailed(MailError):
    "The mail server refused the user name or password"


class RecipientsRefused(MailError):
    "The mail server refused one or more recipients"

    def __init__(self, message: str, refused: Sequence[str]):
        super().__init__(message)
        self.refused = tuple(refused)


class ServerUnreachable(MailError):
    "The mail server cannot be reached"


class TlsFailed(MailError):
    "The secure connection to the mail server failed"


class ConnectionDropped(MailError):
    "The mail server kept dropping the connection"


class MessageRejected(MailError):
    "The mail server rejected the sender or the message"


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send; the password is never held here (see `smtp_password`)."""
    host: str
    port: int | None = None  # None: 587 for starttls, 465 for ssl, 25 for none
    user: str | None = None
    from_address: str | None = None  # the option smtp_from; None: the user, when it is an address
    security: str = "starttls"
    cafile: str | None = None  # a company CA to trust besides the system's
    timeout: float = 30.0
    attempts: int = 3  # a dropped connection or a 4xx reply is tried again, with back-off
    backoff: float = 2.0  # seconds before the 2nd attempt, doubled each time

    @classmethod
    def from_options(cls, values: Mapping[str, Any]) -> "SmtpSettings":
        """The settings from the SMTP options by their keys (kamxl.options): the CLI's and the 设置 sheet's alike."""
        return cls(str(values.get("smtp_host") or ""), values.get("smtp_port") or None, values.get("smtp_user") or None,
                   values.get("smtp_from") or None, str(values.get("smtp_security") or "starttls"),
                   str(values["smtp_ca_file"]) if values.get("smtp_ca_file") else None)

    def check(self, lang: str = "zh") -> "SmtpSettings":
        """The settings, or SmtpSettingsError naming what is missing or wrong."""
        if not (self.host or "").strip():
            raise SmtpSettingsError(render("mail_no_host", lang))
        if self.security not in SECURITY_MODES:
            raise SmtpSettingsError(render("mail_bad_security", lang, value=self.security), "smtp_security")
        if not self.effective_from:
            raise SmtpSettingsError(render("mail_no_sender", lang))
        check_addresses([self.effective_from], lang, "smtp_from")
        return self

    @property
    def effective_port(self) -> int:
        return int(self.port) if self.port else DEFAULT_PORTS.get(self.security, 25)

    @property
    def effective_from(self) -> str | None:
        """The address mail goes from: `from_address`, else the user when it is an address."""
        return self.from_address or (self.user if self.user and "@" in self.user else None)

    @property
    def server(self) -> str:
        return f"{self.host}:{self.effective_port}"


def smtp_password(smtp: SmtpSettings) -> str | None:
    """The password: `KAMXL_SMTP_PASSWORD`, else the credential store's entry `kamxl-smtp` / user."""
    password = os.environ.get(PASSWORD_ENV)
    if password:
        return password
    if not smtp.user:
        return None
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, smtp.user)
    except Exception:  # no backend, a locked store: the same as no entry
        return None


def check_addresses(addresses: Sequence[str], lang: str = "zh", key: str | None = None) -> list[str]:
    """The addresses (a value may hold several, split by , ; or ；), each checked: MailRequestError names a bad one
    (and the option `key` they came from)."""
    good = []
    for raw in addresses:
        for piece in re.split(r"[,;，；]", raw or ""):
            if not piece.strip():
                continue
            name, address = parseaddr(piece.strip())
            if not address or parsing.parse_email(address).problem:
                raise MailRequestError(render("mail_bad_address", lang, address=piece.strip()), key)
            good.append(formataddr((name, address)) if name else address)
    return good


@dataclass
class Delivery:
    """One message: to whom, whether it went (or was written), and why not."""
    to: tuple[str, ...]
    rep: str | None = None  # a rep's scorecard; None for the roll-up
    sent: bool = False
    refused: tuple[str, ...] = ()
    error: str | None = None
    eml: str | None = None

    @property
    def ok(self) -> bool:
        return (self.sent or self.eml is not None) and not self.refused and not self.error


@dataclass
class MailReport:
    """What was sent, written or not sent, message by message."""
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(d.ok for d in self.deliveries)

    @property
    def reps_not_sent(self) -> list[str]:
        return [d.rep for d in self.deliveries if d.rep and not d.ok]

    @property
    def reps_sent(self) -> list[str]:
        return [d.rep for d in self.deliveries if d.rep and d.ok]


# ---------------------------------------------------------------- messages

def _percent(value) -> str:
    """A ratio recorded in percent (89.492537) as the mail shows it: 89.5%."""
    return f"{value:.1f}%" if isinstance(value, (int, float)) and not isinstance(value, bool) else "—"


def total_note(result, lang: str = "zh", rating: bool = True) -> str:
    """What stands beside a total: its rating and, when it was scaled over fewer points, over how many."""
    parts = [result.rating] if rating and result.rating else []
    if result.scaled:
        parts.append(render("scaled_total", lang, possible=result.possible, full=result.full))
    return render("mail_total_note", lang, parts=render("note_separator", lang).join(parts)) if parts else ""


def _who(results, lang: str) -> str:
    return ("、" if lang != "en" else ", ").join(f"{r.rep} {r.total:.1f}{total_note(r, lang)}" for r in results)


def _workbook_state(result, lang: str) -> str:
    code = {"no_workbook": "rep_no_workbook", "unreadable": "rep_unreadable"}.get(result.status)
    return f"{result.rep}{render('mail_total_note', lang, parts=render(code, lang))}" if code else result.rep


def rollup_figures(digest: RollupDigest, lang: str = "zh") -> list[tuple[str, str]]:
    """The month's key figures as (label, text) lines, for both bodies: read by key, never from visible text."""
    t = partial(render, lang=lang)
    ranked = digest.ranked
    best = [r for r in ranked if r.total == max(x.total or 0 for x in ranked)] if ranked else []  # ranked: totals only
    weakest = [r for r in ranked if r.total == min(x.total or 0 for x in ranked)] if ranked else []
    warned = [r for r in ranked if r.warning]
    missing = [*(_workbook_state(digest.result_of(rep), lang) for rep in digest.reps_without_workbook()),
               *(f"{s.file}（{s.reason}）" for s in digest.failed_files() if not s.rep)]
    figures = digest.figures
    count = lambda key, fallback: str(figures[key]) if isinstance(figures.get(key), int) else str(fallback)
    return [
        (t("mail_sales"), _percent(figures.get("sales_completion"))),
        (t("mail_collection"), _percent(figures.get("collection"))),
        (t("mail_best"), _who(best, lang) or "—"),
        (t("mail_weakest"), _who(weakest, lang) or "—"),
        (t("mail_warned"), _who(warned, lang) or t("mail_none")),
        (t("mail_overdue"), count("overdue", len(digest.overdue))),
        (t("mail_problems"), count("problems", len(digest.problems))),
        (t("mail_missing"), ("、" if lang != "en" else ", ").join(missing) or t("mail_none")),
    ]


def _plain(paragraphs_before: list[str], lines: list[tuple[str, str]], paragraphs_after: list[str], lang: str) -> str:
    colon = ": " if lang == "en" else "："
    return "\n".join([paragraphs_before[0], "", *paragraphs_before[1:], *(f"- {k}{colon}{v}" for k, v in lines), "",
                      *paragraphs_after]) + "\n"


def _html(title: str, paragraphs_before: list[str], lines: list[tuple[str, str]], paragraphs_after: list[str]) -> str:
    """A plain, self-contained HTML body: inline styles, no external image or stylesheet."""
    e = html.escape
    rows = "".join(f'<tr><th style="text-align:left;padding:4px 12px 4px 0;color:#1F4E78">{e(k)}</th>'
                   f'<td style="padding:4px 0">{e(v)}</td></tr>' for k, v in lines)
    before = "".join(f"<p>{e(p)}</p>" for p in paragraphs_before)
    after = "".join(f'<p style="color:#595959">{e(p)}</p>' for p in paragraphs_after)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{e(title)}</title></head>'
            f'<body style="font-family:\'Microsoft YaHei\',\'PingFang SC\',sans-serif;font-size:14px">'
            f'{before}<table style="border-collapse:collapse">{rows}</table>{after}</body></html>')


def _message(subject: str, from_address: str | None, to: Sequence[str], cc: Sequence[str], text: str, html_body: str,
             attachment: bytes, filename: str) -> EmailMessage:
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["Subject"] = subject
    if from_address:
        msg["From"] = from_address
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=(from_address or "kamxl.localhost").rsplit("@", 1)[-1].strip("> "))
    msg.set_content(text)
    msg.add_alternative(html_body, subtype="html")
    msg.add_attachment(attachment, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=filename)
    return msg


def rollup_attachment(rollup: str | Path, include_personal: bool = False) -> bytes:
    """The roll-up's bytes as mailed: without the contacts' personal fields unless asked."""
    rollup = Path(rollup)
    if include_personal:
        return rollup.read_bytes()
    with tempfile.TemporaryDirectory(prefix="kamxl-mail-") as tmp:
        return write_without_personal(rollup, Path(tmp) / "rollup.xlsx").read_bytes()


def rollup_message(rollup: str | Path, to: Sequence[str], from_address: str | None = None, *, cc: Sequence[str] = (),
                   subject: str | None = None, include_personal: bool = False, lang: str = "zh",
                   digest: RollupDigest | None = None) -> EmailMessage:
    """The assessors' message: key figures in both bodies, the roll-up attached."""
    digest = digest or read_rollup(rollup, lang)
    t = partial(render, lang=lang)
    period = digest.period.label if digest.period else ""
    subject = " ".join((subject or t("mail_subject", period=period)).split())  # one line: a header cannot hold a break
    lines = rollup_figures(digest, lang)
    before = [t("mail_greeting"), t("mail_intro", period=period)]
    after = [t("mail_personal_included") if include_personal else t("mail_personal_left_out"), t("mail_signature")]
    filename = t("mail_attachment", period=period or Path(rollup).stem)
    return _message(subject, from_address, to, cc, _plain(before, lines, after, lang), _html(subject, before, lines, after),
                    rollup_attachment(rollup, include_personal), filename)


def rep_message(card: RepCard, to: Sequence[str], from_address: str | None = None, lang: str = "zh") -> EmailMessage:
    """A rep's message: their own total, rank and rating, their scorecard attached. No colleague appears."""
    t = partial(render, lang=lang)
    subject = t("mail_rep_subject", rep=card.rep, period=card.period)
    r = card.result
    lines: list[tuple[str, str]] = []
    if r and r.total is not None:
        lines += [(t("mail_rep_total"), f"{r.total:.1f}{total_note(r, lang, rating=False)}"),
                  (t("mail_rep_rank"), card.rank_text or "—"),
                  (t("mail_rep_rating"), r.rating or "—")]
        if card.previous and card.total_change is not None:
            lines.append((t("mail_rep_change"), f"{card.total_change:+.1f}（{card.previous_rank_text or '—'}）"))
    before = [t("mail_rep_greeting", rep=card.rep), t("mail_rep_intro", period=card.period)]
    if not (r and r.total is not None):
        before.append(t("mail_rep_no_result"))
    elif r.warning:
        before.append(t("mail_rep_warning"))
    if not card.has_workbook:
        before.append(t("mail_rep_no_workbook"))
    after = [t("mail_rep_overdue", count=len(card.overdue)), t("mail_rep_problems", count=len(card.problems)),
             t("mail_signature")]
    return _message(subject, from_address, to, (), _plain(before, lines, after, lang), _html(subject, before, lines, after),
                    scorecard_workbook(card, lang), t("mail_rep_attachment", rep=card.rep, period=card.period))


def write_eml(message: EmailMessage, path: str | Path) -> Path:
    """The message as an .eml file (atomically), for review before sending."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".eml", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(message.as_bytes())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# ---------------------------------------------------------------- sending

def _scrub(text: str, password: str | None) -> str:
    """A server reply or OS error as text, with the password (and its AUTH encodings) cut out."""
    if not password:
        return text
    import base64

    for secret in (password, base64.b64encode(password.encode()).decode()):
        text = text.replace(secret, "***")
    return text


def _connect(smtp: SmtpSettings, lang: str) -> smtplib.SMTP:
    context = ssl.create_default_context(cafile=smtp.cafile) if smtp.security != "none" else None
    if smtp.security == "ssl":
        return smtplib.SMTP_SSL(smtp.host, smtp.effective_port, timeout=smtp.timeout, context=context)
    client = smtplib.SMTP(smtp.host, smtp.effective_port, timeout=smtp.timeout)
    if smtp.security == "starttls":
        try:
            client.ehlo()
            if not client.has_extn("starttls"):
                raise TlsFailed(render("mail_no_starttls", lang, server=smtp.server))
            client.starttls(context=context)
            client.ehlo()
        except BaseException:
            client.close()
            raise
    return client


def _login(client: smtplib.SMTP, user: str, password: str):
    """Log in: AUTH PLAIN in UTF-8 when offered (smtplib encodes ASCII only, and after one refusal tries
    the next mechanism, which some servers answer by hanging); else smtplib's own choice."""
    import base64

    client.ehlo_or_helo_if_needed()
    if "plain" not in client.esmtp_features.get("auth", "").lower().split():
        client.login(user, password)
        return
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode("ascii")
    code, reply = client.docmd("AUTH", "PLAIN " + token)
    if code == 334:  # a server that wants the credentials after an empty challenge
        code, reply = client.docmd(token)
    if code not in (235, 503):  # 503: already authenticated
        raise smtplib.SMTPAuthenticationError(code, reply)


def send_message(message: EmailMessage, smtp: SmtpSettings, password: str | None = None, lang: str = "zh") -> None:
    """Send one message, trying again on a dropped connection or a 4xx reply; a MailError subclass when it
    could not go (RecipientsRefused, with `.refused`, when a recipient was refused: the others did get it)."""
    smtp.check(lang)
    password = password or resolve_password(smtp, lang)
    server = smtp.server

    def refused_error(refused: dict) -> RecipientsRefused:
        addresses = "、".join(f"{a}（{_scrub(_reply(*reply), password)}）" for a, reply in refused.items())
        return RecipientsRefused(render("mail_refused", lang, server=server, addresses=addresses), tuple(refused))

    failure: MailError
    for attempt in range(1, max(1, smtp.attempts) + 1):
        try:
            with _connect(smtp, lang) as client:
                if smtp.user:
                    assert password is not None  # resolve_password: a user has one, or MissingPassword
                    _login(client, smtp.user, password)
                refused = client.send_message(message, from_addr=smtp.effective_from)
            if refused:
                raise refused_error(refused)
            return
        except smtplib.SMTPAuthenticationError:
            raise AuthenticationFailed(render("mail_auth", lang, server=server, user=smtp.user)) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise refused_error(exc.recipients) from None
        except smtplib.SMTPSenderRefused as exc:
            raise MessageRejected(render("mail_sender_refused", lang, server=server, sender=smtp.effective_from,
                                         reply=_scrub(_reply(exc.smtp_code, exc.smtp_error), password))) from None
        except smtplib.SMTPResponseException as exc:
            failure = MessageRejected(render("mail_rejected", lang, server=server,
                                             reply=_scrub(_reply(exc.smtp_code, exc.smtp_error), password)))
            if not 400 <= exc.smtp_code < 500:  # 5xx is final; 4xx is "try again later"
                raise failure from None
        except smtplib.SMTPNotSupportedError:  # login asked of a server offering none
            raise AuthenticationFailed(render("mail_no_auth", lang, server=server)) from None
        except ssl.SSLError as exc:
            reason = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or str(exc)
            raise TlsFailed(render("mail_tls", lang, server=server, reason=_scrub(reason, password))) from None
        except (smtplib.SMTPServerDisconnected, ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            failure = ConnectionDropped(render("mail_dropped", lang, server=server, attempts=smtp.attempts))
        except TimeoutError:
            failure = ServerUnreachable(render("mail_unreachable", lang, server=server,
                                               reason=render("errno_ETIMEDOUT", lang)))
        except OSError as exc:  # refused, unknown host, no route: trying again will not help
            raise ServerUnreachable(render("mail_unreachable", lang, server=server,
                                           reason=os_error_text(exc).render(lang))) from None
        if attempt < smtp.attempts:
            time.sleep(smtp.backoff * 2 ** (attempt - 1))
    raise failure


def _reply(code: int, text) -> str:
    """A server reply as text."""
    return f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}".strip()


def recipients(message: EmailMessage) -> tuple[str, ...]:
    return tuple(a for _, a in getaddresses(message.get_all("To", []) + message.get_all("Cc", [])))


def deliver(message: EmailMessage, smtp: SmtpSettings, password: str | None, lang: str = "zh", rep: str | None = None,
            eml: str | Path | None = None) -> Delivery:
    """Send one message (or write it to `eml`) and say how it went; MailError becomes the delivery's error."""
    to = recipients(message)
    if eml is not None:
        return Delivery(to, rep, eml=str(write_eml(message, eml)))
    try:
        send_message(message, smtp, password, lang)
        return Delivery(to, rep, sent=True)
    except RecipientsRefused as exc:
        return Delivery(to, rep, sent=len(exc.refused) < len(to), refused=exc.refused, error=str(exc))
    except MailError as exc:
        return Delivery(to, rep, error=str(exc))


def resolve_password(smtp: SmtpSettings, lang: str = "zh") -> str | None:
    """The password when the settings name a user (MissingPassword when there is none); None without a user."""
    if not smtp.user:
        return None
    password = smtp_password(smtp)
    if not password:
        raise MissingPassword(render("mail_no_password", lang, user=smtp.user))
    return password


@dataclass(frozen=True)
class RepAddress:
    rep: str
    email: str | None


def read_roster(kpi: str | Path):
    """The KPI workbook's roster (团队) as rep addresses (None when blank or not valid), and its settings."""
    from .io.inputs.reader import read_kpi_workbook

    book = read_kpi_workbook(kpi)
    team = book.team.frame
    return [RepAddress(rep, email) for rep, email in zip(team["rep"], team["email"]) if rep], book.settings


def scorecard_messages(rollup: str | Path, roster: Sequence[RepAddress], from_address: str | None = None, *,
                       previous: str | Path | None = None, settings: Settings = DEFAULTS, only: Sequence[str] = (),
                       lang: str = "zh") -> list[tuple[str, EmailMessage | None, str | None]]:
    """(rep, message, why not) for every rep on the roster and in the roll-up; `only` limits them."""
    digest = read_rollup(rollup, lang)
    before = read_rollup(previous, lang) if previous else None
    addresses = {a.rep: a.email for a in roster}
    reps = list(dict.fromkeys([*addresses, *(r.rep for r in digest.results)]))
    out: list[tuple[str, EmailMessage | None, str | None]] = []
    for rep in reps:
        if only and rep not in only:
            continue
        if digest.result_of(rep) is None and not digest.files_of(rep):
            out.append((rep, None, render("mail_not_in_rollup", lang, rep=rep)))
        elif not (address := addresses.get(rep)):
            out.append((rep, None, render("mail_no_address", lang, rep=rep)))
        else:
            card = rep_card(digest, rep, before, settings)
            out.append((rep, rep_message(card, [address], from_address, lang), None))
    return out


def send_scorecards(rollup: str | Path, kpi: str | Path, smtp: SmtpSettings, *, previous: str | Path | None = None,
                    only: Sequence[str] = (), lang: str = "zh", eml_dir: str | Path | None = None,
                    password: str | None = None) -> MailReport:
    """Mail each rep on the KPI workbook's roster their own scorecard (or write `eml_dir`/REP.eml);
    the report names who was and was not sent to. Settings and password problems raise MailError."""
    if eml_dir is None:
        smtp.check(lang)
        password = password or resolve_password(smtp, lang)
    roster, settings = read_roster(kpi)
    report = MailReport()
    for rep, message, why_not in scorecard_messages(rollup, roster, smtp.effective_from, previous=previous,
                                                    settings=settings, only=only, lang=lang):
        if message is None:
            report.deliveries.append(Delivery((), rep, error=why_not))
        else:
            eml = Path(eml_dir) / f"{file_name(rep)}.eml" if eml_dir is not None else None
            report.deliveries.append(deliver(message, smtp, password, lang, rep, eml=eml))
    return report


def file_name(text: str) -> str:
    """A name safe as a file name on Windows and elsewhere (a rep's name, say)."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", text).strip(". ") or "_"


# ---------------------------------------------------------------- the month's mail: `kamxl mail` and the 发送 button

@dataclass(frozen=True)
class MailRequest:
    """What to mail: the fields are the options of `kamxl mail` by their keys (kamxl.options), the SMTP ones in `smtp`."""
    rollup: Path
    recipients: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str | None = None
    eml: Path | None = None  # write .eml files instead of sending (with per_rep: a folder)
    per_rep: bool = False
    kpi: Path | None = None
    previous: Path | None = None
    only: tuple[str, ...] = ()
    include_personal: bool = False
    smtp: SmtpSettings = SmtpSettings("")
    lang: str = "zh"

    @classmethod
    def from_options(cls, rollup: str | Path, values: Mapping[str, Any], lang: str = "zh") -> "MailRequest":
        """The request from option values by key (the CLI's keyword arguments, the 设置 sheet's fields)."""
        fields: dict[str, Any] = {k: values[k] for k in ("subject", "per_rep", "include_personal") if values.get(k) is not None}
        fields |= {k: tuple(values.get(k) or ()) for k in ("recipients", "cc", "only")}
        fields |= {k: Path(str(values[k])) for k in ("eml", "kpi", "previous") if values.get(k)}
        return cls(Path(rollup), smtp=SmtpSettings.from_options(values), lang=lang, **fields)


def checked(request: MailRequest) -> MailRequest:
    """The request with its addresses checked and split; MailRequestError (naming the option at fault) when it cannot
    be carried out: no recipient, --per-rep without the KPI workbook, an .eml over an input, an SMTP setting missing,
    a rep asked for who is not on the roster."""
    lang, eml = request.lang, request.eml
    if not request.recipients and not request.per_rep:
        raise MailRequestError(render("mail_need_recipient", lang))
    if request.per_rep and not request.kpi:
        raise MailRequestError(render("mail_need_kpi", lang))
    request = replace(request, recipients=tuple(check_addresses(request.recipients, lang, "recipients")),
                      cc=tuple(check_addresses(request.cc, lang, "cc")))
    if eml is not None:
        inputs = {Path(p).resolve() for p in (request.rollup, request.kpi, request.previous) if p}
        if eml.resolve() in inputs:
            raise MailRequestError(render("mail_eml_target", lang), "eml")
        if request.per_rep and eml.is_file():
            raise MailRequestError(render("mail_eml_folder", lang, path=eml), "eml")
    else:
        request.smtp.check(lang)
    if request.per_rep and request.only and request.kpi:  # per_rep has its kpi (checked above)
        on_roster = {a.rep for a in read_roster(request.kpi)[0]}
        unknown = [r for r in request.only if r not in on_roster]
        if unknown:
            raise MailRequestError(render("mail_unknown_rep", lang, rep=unknown[0]), "only")
    return request


def send_month(request: MailRequest) -> MailReport:
    """Mail the month: the roll-up to the recipients and/or each rep their scorecard, or write them as .eml files.

    What `kamxl mail` and the director's workbook's 发送 button both do. A request that cannot be carried out raises
    MailRequestError before anything is sent; a user without a password raises MissingPassword; a message that could
    not go is a delivery with its error in the report, the others still go.
    """
    request = checked(request)
    smtp, lang, eml = request.smtp, request.lang, request.eml
    password = resolve_password(smtp, lang) if eml is None else None
    report = MailReport()
    if request.recipients:
        message = rollup_message(request.rollup, request.recipients, smtp.effective_from, cc=request.cc,
                                 subject=request.subject, include_personal=request.include_personal, lang=lang)
        into_folder = eml is not None and (request.per_rep or eml.is_dir())
        report.deliveries.append(deliver(message, smtp, password, lang,
                                         eml=eml / f"{request.rollup.stem}.eml" if eml is not None and into_folder else eml))
    if request.per_rep:
        assert request.kpi is not None  # checked: --per-rep needs the KPI workbook
        report.deliveries += send_scorecards(request.rollup, request.kpi, smtp, previous=request.previous,
                                             only=request.only, lang=lang, eml_dir=eml, password=password).deliveries
    return report
