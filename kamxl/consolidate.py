"""Consolidation: the team's workbooks + the KPI workbook → the department roll-up for a period.

Reading is spread over processes (the files are independent); every figure is then recomputed
here from the accepted rows with the rules in `rules/` — nothing cached in a workbook is used.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from itertools import chain
from pathlib import Path
from typing import AbstractSet, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from . import parsing
from .errors import KamxlError, SettingsError
from .gather import Gathered, NoInput, gather  # noqa: F401 (NoInput: raised by consolidate)
from .io.inputs.batch import Failure, original_first, settle
from .io.inputs.files import readable_name, readable_path
from .io.machinery.isolation import Spawned, collector_paused, release_freed_memory
from .io.inputs.previous import PreviousAccount, history, read_previous_accounts
from .io.inputs.reader import KpiWorkbook, RepWorkbook, roster_files
from .io.machinery.spill import DETAILS, Detail, Part, SpillFolder
from .messages import Joined, Text, render
from .problems import Problem, Severity, messages_by_row
from .rules import columnar
from .rules.activity import KEY_ROLES, valid_info_rate
from .rules.kpi import KPI_INPUTS as KPI_RATIO_INPUTS
from .rules.kpi import Scorecard, ratio_percent, scorecard
from . import rollup_schema as rs
from .rollup_model import Rollup, RepScore, SourceFile
from .rows import RejectedRow
from .rules.periods import Period
from .schema import CUSTOMERS, FACTORS, GRADES, KPI_INPUTS, KPIS, LOST_STAGE, REP_SHEETS, STAGES, UNGRADED
from .settings import DEFAULTS, Settings

SHEET_KEYS = tuple(s.key for s in REP_SHEETS)
_KPI_AMOUNTS = tuple(c.key for c in KPI_INPUTS.inputs if c.key not in ("period", "rep"))


class TwoKpiWorkbooks(KamxlError):
    "Two different KPI workbooks among the inputs and no --kpi to choose"


# ---------------------------------------------------------------- customers


def _pair_codes(*pairs: tuple[pd.Series, pd.Series]) -> list[np.ndarray]:
    """One integer per (file, customer id) pair, the same across the given frames' columns."""
    files, _ = pd.factorize(np.concatenate([np.asarray(f, dtype=object) for f, _ in pairs]), use_na_sentinel=False)
    ids, _ = pd.factorize(np.concatenate([np.asarray(c, dtype=object) for _, c in pairs]), use_na_sentinel=False)
    codes = files.astype(np.int64) * (int(ids.max(initial=0)) + 1) + ids
    return np.split(codes, np.cumsum([len(f) for f, _ in pairs])[:-1])


def _derive_customers(customers: pd.DataFrame, visits: pd.DataFrame, contacts: pd.DataFrame, warnings: dict,
                      period: Period, settings: Settings) -> pd.DataFrame:
    """Score, grade, last and next visit, overdue, MAN, decision-chain gaps and the row's warnings — from the rules.

    Column by column (rules/columnar.py): per-row Python was 0.9 s of a 50-rep roll-up.
    """
    n = len(customers)
    customer_key, visit_key, contact_key = _pair_codes((customers["file"], customers["customer_id"]),
                                                       (visits["file"], visits["customer_id"]),
                                                       (contacts["file"], contacts["customer_id"]))
    # the last visit up to the period end, per (file, customer)
    visit_days = columnar.ordinals(visits["date"].tolist())
    counted_visits = (visit_days != columnar.NO_DAY) & (visit_days <= period.end.toordinal())
    latest = pd.Series(visit_days[counted_visits]).groupby(visit_key[counted_visits]).max()
    last = latest.reindex(customer_key, fill_value=columnar.NO_DAY).to_numpy(dtype=np.int64)
    # the key roles among each customer's contacts, as bit masks
    roles = np.asarray(contacts["role"].tolist(), dtype=object)
    masks = np.zeros(n, dtype=np.int64)
    for bit, role in enumerate(KEY_ROLES):
        present = contact_key[roles == role]
        masks |= np.isin(customer_key, present).astype(np.int64) << bit

    factors = {k: customers[k].tolist() for k, _, _ in FACTORS}
    scores = columnar.value_scores(factors, settings) if n else []
    purchases, regions = customers["annual_purchase"].tolist(), customers["region"].tolist()
    if settings.grade_method == "share" and not settings.regional_sales:
        regional: dict = defaultdict(float)
        for region, amount in zip(regions, purchases):
            regional[region] += amount or 0.0
        regional_sales = [regional.get(r) for r in regions]
    else:
        regional_sales = [settings.regional_sales] * n
    grades = columnar.customer_grades(scores, purchases, regional_sales, settings)
    created = columnar.ordinals(customers["created_on"].tolist())
    counted = (np.array([s != LOST_STAGE for s in customers["stage"].tolist()], dtype=bool)
               & ((created == columnar.NO_DAY) | (created <= period.end.toordinal())))
    due = np.where(counted, columnar.next_visits_due(last, created, grades, settings), columnar.NO_DAY)

    out = customers  # the caller's own concatenation: the columns are added to it, not to a copy (200 reps: 50 MB)
    out["value_score"], out["grade"] = scores, grades.tolist()
    out["last_visit"], out["next_visit_due"] = columnar.dates(last), columnar.dates(due)
    out["overdue"] = (counted & columnar.overdue(due, period.end)).tolist()
    out["man_qualified"] = columnar.man_qualified_many(customers["man_money"].tolist(), customers["man_authority"].tolist(),
                                                       customers["man_need"].tolist())
    out["check"] = [warnings.get(key, "") for key in zip(customers["file"].tolist(), customers["row"].tolist())]
    out["chain_missing"] = columnar.missing_roles_text(masks).tolist()
    return out


def _each_distinct(rule, values: list) -> list:
    """`rule` of every value, computed once per distinct value."""
    results = {v: rule(v) for v in dict.fromkeys(values)}
    return [results[v] for v in values]


def find_duplicates(customers: pd.DataFrame) -> list[dict]:
    """The same company kept more than once: linked by credit code, else by normalised name."""
    raw_codes, raw_names = customers["credit_code"].tolist(), customers["name"].tolist()
    all_names = pd.Series(_each_distinct(parsing.normalise_company_name, raw_names), dtype=object)
    valid = columnar.credit_codes_ok(raw_codes) & np.fromiter(map(bool, raw_codes), bool, len(raw_codes))
    all_codes = pd.Series(raw_codes, dtype=object).where(valid, None)
    # only these rows can be linked (linked_groups' rules): a valid code another row has too, or a name that two
    # rows have and one of them without a valid code; every row of such a name is kept, so its first stays first
    shared_name = all_names.notna() & all_names.duplicated(keep=False)
    linking_names = set(all_names[shared_name & ~valid])
    linkable = (valid & all_codes.duplicated(keep=False)) | all_names.isin(linking_names)
    rows = np.flatnonzero(linkable.to_numpy()).tolist()
    codes, names = all_codes[linkable].tolist(), all_names[linkable].tolist()
    reps, ids = customers["rep"].tolist(), customers["customer_id"].tolist()
    out = []
    for members in linked_groups(codes, names):
        key = next((codes[i] for i in members if codes[i]), None) or names[members[0]]
        out.append({"key": key, "customers": [{"rep": reps[rows[i]], "customer_id": ids[rows[i]], "name": raw_names[rows[i]]}
                                              for i in members]})
    out.sort(key=lambda g: (-len({c["rep"] for c in g["customers"]}), g["key"] or ""))
    return out


def linked_groups(codes: list[str | None], names: list[str | None]) -> list[list[int]]:
    """Rows (by position) of one company, two or more: the same valid credit code, or, without a code, the same name."""
    n = len(codes)
    parent = list(range(n))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(a, b):
        parent[root(a)] = root(b)

    first_code: dict[str, int] = {}
    by_name: dict[str, list[int]] = defaultdict(list)
    for i, (code, name) in enumerate(zip(codes, names)):
        if code:
            if code in first_code:
                join(i, first_code[code])
            else:
                first_code[code] = i
        if name:
            by_name[name].append(i)
    for members in by_name.values():
        # without a code, the name is the key: it joins the first company of that name
        uncoded = [i for i in members if not codes[i]]
        for i in uncoded:
            if members[0] != i:
                join(i, members[0])
            elif len(members) > 1:
                join(i, members[1])
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        groups[root(i)].append(i)
    return [members for members in groups.values() if len(members) > 1]


# ---------------------------------------------------------------- KPIs


def _kpi_inputs_for(kpi: KpiWorkbook | None, period: Period) -> tuple[dict[str, dict], dict[str, list[str]]]:
    """Per rep, the KPI inputs of the period: its own row if there is one (2026-Q4), else its months summed;
    and per rep summed from months, the months of the period without a row (named, never taken as zero)."""
    if kpi is None:
        return {}, {}
    exact: dict[str, dict] = {}
    summed: dict[str, dict] = {}
    months: dict[str, set] = defaultdict(set)
    for record in kpi.kpi.frame.to_dict("records"):
        row_period = record["period"]
        if not period.covers(row_period):
            continue
        target = exact if row_period == period else summed
        acc = target.setdefault(record["rep"], {k: None for k in _KPI_AMOUNTS})
        for key in _KPI_AMOUNTS:
            if record[key] is not None:
                acc[key] = (acc[key] or 0) + record[key]
        months[record["rep"]].update(m.label for m in row_period.months())
    missing = {rep: [m.label for m in period.months() if m.label not in months[rep]]
               for rep in summed if rep not in exact}
    return summed | exact, {rep: m for rep, m in missing.items() if m}


def _churn(previous: list[PreviousAccount] | None, customers: pd.DataFrame, period: Period,
           without_workbook: AbstractSet[str] = frozenset()) -> dict[str, dict]:
    """Per rep: accounts at the start (last roll-up, not lost), lost since (gone or now 流失), new in the period.

    A new account is one created (建档日期) within the period and not lost: known without last period's roll-up.
    Start and lost need it: without it they are None, never 0. A rep without a usable workbook this period has
    no lost accounts to count (their accounts are unknown, not gone): left out of churn.
    """
    created = columnar.ordinals(customers["created_on"].tolist())
    new_in_period = ((created >= period.start.toordinal()) & (created <= period.end.toordinal())
                     & np.array([s != LOST_STAGE for s in customers["stage"].tolist()], dtype=bool))
    known = 0 if previous is not None else None
    out: dict[str, dict] = defaultdict(lambda: {"start": known, "lost": known, "new": 0})
    for rep, is_new in zip(customers["rep"].tolist(), new_in_period.tolist()):
        out[rep]["new"] += int(is_new)
    if previous is not None:
        now = {(r, c): s for r, c, s in zip(customers["rep"].tolist(), customers["customer_id"].tolist(),
                                             customers["stage"].tolist())}
        for acc in previous:
            if acc.rep in without_workbook:
                continue
            counts = out[acc.rep]
            if acc.stage == LOST_STAGE:
                continue
            counts["start"] += 1
            if now.get((acc.rep, acc.customer_id), LOST_STAGE) == LOST_STAGE:
                counts["lost"] += 1
    return dict(out)


def _percent(part, whole) -> float | None:
    ratio = ratio_percent(part, whole)
    return float(ratio) if ratio is not None else None


def _in_period(visits: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The visits dated within the period (the others stay in the data, uncounted)."""
    if not len(visits):
        return visits
    days = columnar.ordinals(visits["date"].tolist())
    return visits[(days >= period.start.toordinal()) & (days <= period.end.toordinal())]


def _activity(period_visits: pd.DataFrame) -> dict[str, dict]:
    """Per rep, the period's visits, valid-information rate and days on a trip."""
    if not len(period_visits):
        return {}
    rep, reps = pd.factorize(np.asarray(period_visits["rep"].tolist(), dtype=object), use_na_sentinel=False)
    visits = np.bincount(rep, minlength=len(reps))
    valid = np.bincount(rep[np.asarray(period_visits["valid_info"].tolist(), dtype=object) == True],  # noqa: E712
                        minlength=len(reps))
    trip_days = columnar.trip_days_by_group(rep, columnar.ordinals(period_visits["date"].tolist()),
                                            period_visits["on_trip"].tolist(), len(reps))
    rates = columnar.valid_info_rates(valid.tolist(), visits.tolist())
    return {name: {"visits": v, "valid_info_rate": r, "trip_days": t}
            for name, v, r, t in zip(reps.tolist(), visits.tolist(), rates, trip_days)}


def _scores(reps: dict[str, str], kpi_inputs: dict, churn: dict, has_previous: bool, customers: pd.DataFrame,
            activity: dict, unreadable: dict[tuple[str, str], object], period: Period, settings: Settings) -> list[RepScore]:
    """Each rep's scorecard; `reps` maps a rep to their workbook's status (ok, no_workbook, unreadable)."""
    completeness = customers.groupby("rep")["completeness"].mean().to_dict() if len(customers) else {}
    scores = []
    for rep, status in reps.items():
        known = has_previous and status == "ok"
        counts = churn.get(rep, {"start": 0 if known else None, "lost": 0 if known else None, "new": 0})
        churn_percent = _percent(counts["lost"], counts["start"]) if known else None
        comp = completeness.get(rep) if status == "ok" else None
        inputs = kpi_inputs.get(rep, {})
        card = scorecard(inputs, churn_percent, round(comp * 100, 4) if comp is not None else None, settings)
        left_out = _left_out_reasons(card, rep, inputs, unreadable, has_previous, status, period)
        card.reasons = {k: r.render("zh") for k, r in left_out.items()}  # as the roll-up shows them
        in_period = (activity.get(rep, {"visits": 0, "valid_info_rate": None, "trip_days": 0}) if status == "ok"
                     else _UNKNOWN_ACTIVITY)  # unknown, never 0
        scores.append(RepScore(rep, card, kpi_inputs=inputs, churn=counts, activity=in_period, status=status,
                               left_out=left_out))
    ranked = sorted((s for s in scores if s.card.total is not None), key=lambda s: -(s.card.total or 0))
    for s in ranked:
        s.rank = 1 + sum(1 for o in ranked if (o.card.total or 0) > (s.card.total or 0))  # ties share a rank
    return sorted(scores, key=lambda s: (s.rank is None, s.rank or 0, s.rep))


_INPUT_LABELS = {c.key: c.label for c in KPI_INPUTS.columns}
_UNKNOWN_ACTIVITY = {"visits": None, "valid_info_rate": None, "trip_days": None}


def _left_out_reasons(card: Scorecard, rep: str, inputs: dict, unreadable: dict, has_previous: bool, status: str,
                      period: Period) -> dict[str, Text | Joined]:
    """Why each KPI left out of the rep's total could not be scored, in the director's words."""
    reasons: dict[str, Text | Joined] = {}
    for key in card.missing:
        if key == "churn":
            reasons[key] = (Text.of("reason_no_previous") if not has_previous else Text.of("reason_no_workbook")
                            if status != "ok" else Text.of("reason_no_accounts_at_start"))
        elif key == "completeness":
            reasons[key] = Text.of("reason_no_workbook") if status != "ok" else Text.of("reason_no_customers")
        elif not inputs:
            reasons[key] = Text.of("reason_no_kpi_row", period=period.label)
        else:
            pair = KPI_RATIO_INPUTS.get(key, ("complaints",))
            texts = []
            for input_key in pair[::-1]:  # the plan first: it is what a ratio needs most
                label = _INPUT_LABELS[input_key]
                if (rep, input_key) in unreadable:
                    texts.append(Text.of("reason_not_a_number", label=label, value=unreadable[rep, input_key]))
                elif inputs.get(input_key) is None:
                    texts.append(Text.of("reason_blank", label=label))
                elif input_key == pair[-1] and len(pair) == 2 and not inputs[input_key]:
                    texts.append(Text.of("reason_zero", label=label))
            reasons[key] = Joined(tuple(texts)) if texts else Text.of(
                "reason_not_a_number", label=_INPUT_LABELS[pair[-1]], value=inputs.get(pair[-1]))
    return reasons


def _unreadable_kpi_cells(kpi: KpiWorkbook | None, period: Period) -> dict[tuple[str, str], object]:
    """(rep, KPI input key) → the raw text of a KPI cell of the period that is not a number (`一百`, `N/A`)."""
    if kpi is None:
        return {}
    rows = {row: (rep, row_period) for row, rep, row_period in
            zip(kpi.kpi.data.get("row", []), kpi.kpi.data.get("rep", []), kpi.kpi.data.get("period", []))}
    keys = {c.label: c.key for c in KPI_INPUTS.columns}
    out: dict[tuple[str, str], object] = {}
    for problem in kpi.kpi.problems:
        where = rows.get(problem.row)
        key = keys.get(problem.column or "")
        if where and key in _KPI_AMOUNTS and problem.value not in (None, "") and isinstance(where[1], Period) \
                and period.covers(where[1]):
            out[(where[0], key)] = problem.value
    return out


# ---------------------------------------------------------------- the whole run


def _choose_kpi(outcomes: list, kpi_path: Path | None) -> tuple[KpiWorkbook | None, Failure | None]:
    """The KPI workbook named with --kpi, else the only one among the inputs (two different ones: a usage error)."""
    if kpi_path is not None:
        for item in outcomes:
            if Path(item.path).resolve() == kpi_path.resolve():
                if isinstance(item, Failure) and item.code == "settings_error":
                    raise SettingsError(dict(item.params)["detail"])
                return (item, None) if isinstance(item, KpiWorkbook) else (None, item)
        return None, None
    by_hash: dict[str, KpiWorkbook] = {}
    for item in sorted((o for o in outcomes if isinstance(o, KpiWorkbook)), key=lambda o: original_first(o.path)):
        by_hash.setdefault(item.sha256, item)  # of byte-identical copies, the original name (as `settle` keeps it)
    found: list = list(by_hash.values())
    found += [item for item in outcomes if isinstance(item, Failure) and item.code == "settings_error"]
    if len(found) > 1:  # byte-identical copies are one workbook

        raise TwoKpiWorkbooks(render("two_kpi", files="、".join(readable_name(k.path) for k in found)))
    if found and isinstance(found[0], Failure):
        raise SettingsError(dict(found[0].params)["detail"])
    return (found[0] if found else None), None


def _detail(books: list[RepWorkbook], key: str, folder: SpillFolder) -> Detail:
    """A detail sheet's rows of every workbook used, in their order (spilled by the workers, or in memory)."""
    parts = []
    for book in books:
        result = book.sheets[key]
        if not result.accepted:
            continue
        file = readable_name(book.path)
        if result.spilled:
            parts.append(Part(book.rep, file, result.accepted, result.spilled[1], path=result.spilled[0]))
        else:
            parts.append(Part(book.rep, file, result.accepted, list(result.data), data=result.data))
    return Detail(DETAILS[key], parts, folder)


def _frame(books: list[RepWorkbook], key: str) -> pd.DataFrame:
    """A sheet's accepted rows of every workbook used, with 代表 first and the file last (the detail sheets': the
    columns the rules read)."""
    parts = []
    for book in books:
        result = book.sheets[key]
        if result.accepted:
            parts.append((book, result.data, result.accepted))
        result.data = {}  # each row is held once: by the concatenation
    if not parts:
        sheet = next(s for s in REP_SHEETS if s.key == key)
        return pd.DataFrame(columns=["rep"] + [c.key for c in sheet.columns] + ["row", "file"], dtype=object)
    columns = list(parts[0][1])
    if any(list(data) != columns for _, data, _ in parts):  # a workbook with columns of its own: pandas aligns them
        frames = [pd.DataFrame({"rep": book.rep, **data, "file": readable_name(book.path)}, dtype=object)
                  for book, data, _ in parts]
        return pd.concat(frames, ignore_index=True)
    # the same columns in every workbook (the usual case): each column is joined as one list, one frame made
    joined = {"rep": list(chain.from_iterable([book.rep] * n for book, _, n in parts))}
    joined |= {column: list(chain.from_iterable(data[column] for _, data, _ in parts)) for column in columns}
    joined["file"] = list(chain.from_iterable([readable_name(book.path)] * n for book, _, n in parts))
    return pd.DataFrame(joined, dtype=object)


def _as_of_period_end(frames: dict[str, pd.DataFrame], details: dict[str, Detail], period: Period) -> dict[str, Counter]:
    """Leave out what did not exist at the period's end: customers created after it (with their contacts, plans and
    visits), visits dated after it, and plans dated after the next period (a plan is made the period before its
    date: October's roll-up shows November's plan). Returns, per sheet, how many rows of each file were left out."""
    end = period.end.toordinal()
    horizon = {"visit_plan": period.following().end.toordinal(), "daily_report": end}
    customers = frames["customers"]
    created = columnar.ordinals(customers["created_on"].tolist())
    later = (created != columnar.NO_DAY) & (created > end)
    left_out: dict[str, Counter] = {key: Counter() for key in SHEET_KEYS}
    if later.any():
        left_out["customers"].update(customers["file"][later].tolist())
        frames["customers"] = customers[~later].reset_index(drop=True)
    not_yet = set(zip(customers["file"][later].tolist(), customers["customer_id"][later].tolist()))
    for key, dated_by in (("contacts", None), ("visit_plan", "planned_on"), ("daily_report", "date")):
        frame = frames[key]
        if not len(frame):
            continue
        keep = np.ones(len(frame), dtype=bool)
        if not_yet:
            keep &= np.fromiter(((f, c) not in not_yet for f, c in zip(frame["file"].tolist(), frame["customer_id"].tolist())),
                                bool, len(frame))
        if dated_by is not None:
            days = columnar.ordinals(frame[dated_by].tolist())
            keep &= (days == columnar.NO_DAY) | (days <= horizon[key])
        if keep.all():
            continue
        left_out[key].update(frame["file"][~keep].tolist())
        parts = details[key].parts
        assert sum(p.rows for p in parts) == len(keep), "the detail parts and the rule columns are the same rows"
        for part, mask in zip(parts, np.split(keep, np.cumsum([p.rows for p in parts])[:-1])):
            if not mask.all():
                part.keep_only(np.flatnonzero(mask).tolist())
        frames[key] = frame[keep].reset_index(drop=True)
    return left_out


def consolidate(inputs: Iterable, period: str | Period, kpi: str | Path | None = None, previous: str | Path | None = None,
                today: date | None = None, workers: int | None = None, settings: Settings | None = None, exclude: Iterable = (),
                progress: Callable[[int, int], None] | None = None, search: Iterable = ()) -> Rollup:
    """Read every input, recompute every figure for the period, and gather every problem.

    Settings come from `settings` if given, else from the KPI workbook's 参数 sheet, else the defaults.
    Without `previous`, last period's roll-up is looked for among the inputs and in `search` (the
    output folder, --history): by the period written inside it. Those roll-ups also feed 趋势.
    """
    return rollup_of(gather(inputs, period, kpi, previous, today, workers, exclude, progress, search), settings)


@collector_paused()
def rollup_of(gathered: Gathered, settings: Settings | None = None) -> Rollup:
    """The roll-up of inputs read by `gather.gather` (`settings` as for `consolidate`)."""
    period = gathered.period
    used = _sort_inputs(gathered.outcomes, gathered.kpi_path)
    settings = settings or (used.kpi_book.settings if used.kpi_book else DEFAULTS)
    frames, details = _rows_as_of_period_end(used, gathered.spill, period)
    # the duplicates need only the rows as read: found in a fresh process while the rules run here (a forked one
    # would copy this process's pages as either side touches them: 400 MB beside a 260,000-customer table)
    named = frames["customers"][["rep", "customer_id", "name", "credit_code"]]
    release_freed_memory()  # what reading freed, given back before the process starts beside this one
    duplicates = Spawned(find_duplicates, named)
    previous_accounts = read_previous_accounts(gathered.previous.path) if gathered.previous else None
    figures = _figures(used, frames, previous_accounts, period, settings, gathered.kpi_path)
    return Rollup(period, settings, used.sources, figures.customers, details["contacts"], details["visit_plan"],
                  details["daily_report"], used.problems, used.rejected, figures.scores, _found_or_here(duplicates, named),
                  previous_accounts is not None, figures.overview, figures.reps, gathered.previous,
                  history(gathered.earlier, period), figures.warnings)


def _found_or_here(duplicates: Spawned, named: pd.DataFrame) -> list[dict]:
    """The duplicate groups the spawned process found, or, when it could not, found here."""
    found = duplicates.result()
    return find_duplicates(named) if found is None else found


@dataclass
class _Inputs:
    """The inputs sorted out: what became of each file, the rep workbooks and the KPI workbook used, their problems."""

    sources: list[SourceFile]
    books: list[RepWorkbook]
    kpi_book: KpiWorkbook | None
    problems: list[Problem]
    rejected: list[tuple[str, str, RejectedRow]]  # (file, sheet, row)


def _sort_inputs(outcomes: list, kpi_path: Path | None) -> _Inputs:
    """Which workbooks are used (copies settled, the KPI workbook chosen), each file's source line, every problem."""
    kpi_book, kpi_failure = _choose_kpi(outcomes, kpi_path)
    roster = roster_files(kpi_book.team) if kpi_book else {}
    outcomes, problems = settle(outcomes, roster)
    _bound_extras([item for item in outcomes if isinstance(item, RepWorkbook)])  # before their sheets are counted
    known_reps = set(_named_reps(kpi_book))
    sources: list[SourceFile] = []
    books: list[RepWorkbook] = []
    for item in outcomes:
        if isinstance(item, KpiWorkbook):
            if kpi_book is not None and item.sha256 == kpi_book.sha256:  # it, or the original of a copy of it
                kpi_book = item
                sources.append(SourceFile(readable_path(item.path), None, "ok", None, item.sha256, "kpi",
                                          {"kpi": item.kpi.counts, "team": item.team.counts}))
                problems.extend(item.all_problems())
            else:  # with --kpi named, another KPI workbook in the folder is listed, not used
                assert kpi_path is not None  # without --kpi, two different KPI workbooks are refused (_choose_kpi)
                sources.append(SourceFile(readable_path(item.path), None, "skipped", render("other_kpi", other=Path(kpi_path).name),
                                          item.sha256, "kpi"))
        elif isinstance(item, RepWorkbook):
            books.append(item)
            sources.append(SourceFile(readable_path(item.path), item.rep, "ok", None, item.sha256, "rep",
                                      {k: item.sheets[k].counts for k in SHEET_KEYS}))
            problems.extend(item.all_problems())
        else:
            sources.append(_failed_source(item, item is kpi_failure, roster, known_reps))
            if not item.skipped:
                problems.append(item.problem())
    rejected = [(readable_name(b.path), b.sheets[k].sheet.name, r) for b in books for k in SHEET_KEYS for r in b.sheets[k].rejected]
    if kpi_book:
        rejected += [(readable_name(kpi_book.path), s.sheet.name, r) for s in (kpi_book.kpi, kpi_book.team) for r in s.rejected]
    return _Inputs(sources, books, kpi_book, problems, rejected)


EXTRA_CELLS = 4_000_000  # a roll-up sheet's cells in the reps' own extra columns (rows × columns), at the most


def _bound_extras(books: list[RepWorkbook]) -> None:
    """Keep each roll-up sheet's columns of the reps' own within `EXTRA_CELLS`: a column is as deep as the whole
    sheet (a file without it has blanks there), so one workbook's 16,384 columns made every customer of the team that
    wide — past 1 GB in the main process for 3,000 customers. Over the bound, the columns the most rows have are
    kept (of equal ones, the first seen), in their order; each file losing some gets a warning naming them."""
    for spec in (rs.CUSTOMER_TABLE, *rs.DETAIL_TABLES):
        results = [(book, book.sheets[spec.key]) for book in books if book.sheets[spec.key].accepted]
        own = [(book, result, rs.extra_keys(spec, result.spilled[1] if result.spilled else list(result.data)))
               for book, result in results]
        depth: dict = {}  # extra column → the rows of the files that have it, in the order first seen
        for _, result, extras in own:
            for key in extras:
                depth[key] = depth.get(key, 0) + result.accepted
        room = EXTRA_CELLS // max(1, sum(result.accepted for _, result in results))
        if len(depth) <= room:
            continue
        dropped = set(sorted(depth, key=lambda k: -depth[k])[room:])  # a stable sort: of equal ones, the first seen
        for book, result, extras in own:
            gone = [key for key in extras if key in dropped]
            if not gone:
                continue
            if result.spilled:
                result.spilled = (result.spilled[0], [c for c in result.spilled[1] if c not in dropped])
            for key in gone:
                result.data.pop(key, None)
            named = rs.named_columns(gone)
            result.problems.append(Problem(readable_name(book.path), result.sheet.name, None, None, named,
                                           "extra_columns_bounded", Severity.WARNING,
                                           (("count", len(gone)), ("named", named), ("kept", room),
                                            ("cells", EXTRA_CELLS), ("rollup_sheet", spec.sheet))))


def _failed_source(item: Failure, is_kpi: bool, roster: dict[str, str], known_reps: set) -> SourceFile:
    """The source line of a file that failed or was skipped.

    A failed workbook names its rep when it is known (its 说明 sheet, the roster's 文件, or a file named after a rep
    of the roster or KPI sheet): that rep is shown 无法读取; any other failed file adds no rep."""
    kind = "kpi" if is_kpi or item.kpi else "rep"
    stem = parsing.clean_text(Path(readable_path(item.path)).stem)
    rep = item.rep or roster.get(readable_name(item.path)) or (stem if stem in known_reps and not item.skipped
                                                           and kind == "rep" else None)
    return SourceFile(readable_path(item.path), rep, "skipped" if item.skipped else "failed", item.reason(), item.sha256, kind)


def _rows_as_of_period_end(used: _Inputs, spill: SpillFolder, period: Period) -> tuple[dict, dict[str, Detail]]:
    """Every sheet's accepted rows of the workbooks used, as they stood at the period's end: the rule columns as
    frames, the detail sheets' rows as spilled by the workers. Each source's sheets count the rows left out."""
    details = {key: _detail(used.books, key, spill) for key in DETAILS}  # before the books' frames are let go
    frames = {key: _frame(used.books, key) for key in SHEET_KEYS}
    left_out = _as_of_period_end(frames, details, period)
    for source in used.sources:
        if source.kind == "rep" and source.status == "ok":
            for key in SHEET_KEYS:  # accepted = in the roll-up + dated after the period (the counts reconcile)
                source.sheets[key]["after_period"] = left_out[key].get(Path(source.path).name, 0)
    return frames, details


@dataclass
class _Figures:
    customers: pd.DataFrame
    scores: list[RepScore]
    overview: dict
    reps: list[str]
    warnings: list[tuple[str, dict]]


def _figures(used: _Inputs, frames: dict[str, pd.DataFrame], previous_accounts: list[PreviousAccount] | None,
             period: Period, settings: Settings, kpi_path: Path | None) -> _Figures:
    """Every figure of the roll-up, recomputed from the accepted rows with the rules: nothing read, nothing written."""
    kpi_book, has_previous = used.kpi_book, previous_accounts is not None
    customers, no_visits = _customers(frames, used.books, used.problems, period, settings)
    reps = _rep_statuses(kpi_book, used.books, used.sources)
    kpi_inputs, months_missing = _kpi_inputs_for(kpi_book, period)
    period_visits = _in_period(frames["daily_report"], period)
    churn = _churn(previous_accounts, customers, period, {rep for rep, status in reps.items() if status != "ok"})
    activity = _activity(period_visits) | {rep: _UNKNOWN_ACTIVITY for rep in no_visits.values()}
    scores = _scores(reps, kpi_inputs, churn, has_previous, customers, activity,
                     _unreadable_kpi_cells(kpi_book, period), period, settings)
    overview = _overview(customers, period_visits, kpi_inputs, churn, has_previous, used.problems, used.sources)
    warnings = _why_missing(period, kpi_path or (kpi_book.path if kpi_book else None), kpi_book, kpi_inputs, has_previous,
                            frames, period_visits)
    warnings += _incomplete(scores, used.sources, months_missing, has_previous, bool(kpi_inputs), used.problems,
                            used.rejected)
    return _Figures(customers, scores, overview, list(reps), warnings)


def _customers(frames: dict[str, pd.DataFrame], books: list[RepWorkbook], problems: list[Problem], period: Period,
               settings: Settings) -> tuple[pd.DataFrame, dict[str, str]]:
    """客户总表: every customer with the rules' columns; and the workbooks whose 拜访日报 could not be used (file → rep)."""
    warnings = messages_by_row(p for p in problems if p.severity == Severity.WARNING and p.sheet == CUSTOMERS.name)
    customers = _derive_customers(frames["customers"], frames["daily_report"], frames["contacts"], warnings, period, settings)
    # a workbook whose 拜访日报 could not be used: its customers' last visits, and its rep's activity, are unknown
    no_visits = {readable_name(b.path): b.rep for b in books if b.sheets["daily_report"].unusable is not None}
    if no_visits:
        unknown = customers["file"].isin(list(no_visits)).to_numpy()
        for column in ("last_visit", "next_visit_due", "overdue"):
            customers[column] = [None if u else v for u, v in zip(unknown, customers[column].tolist())]
    return customers, no_visits


def _named_reps(kpi_book: KpiWorkbook | None) -> list:
    """The reps the KPI workbook names, its roster first, then its KPI rows (repeats and blanks included)."""
    return [*kpi_book.team.data.get("rep", []), *kpi_book.kpi.data.get("rep", [])] if kpi_book else []


def _rep_statuses(kpi_book: KpiWorkbook | None, books: list[RepWorkbook], sources: list[SourceFile]) -> dict[str, str]:
    """Every rep of the roster, the KPI sheet or a workbook, in that order → ok | no_workbook | unreadable."""
    named = _named_reps(kpi_book)
    used = dict.fromkeys(b.rep for b in books)  # in the files' order (a set's would change from run to run)
    failed = [s.rep for s in sources if s.kind == "rep" and s.status == "failed" and s.rep]
    statuses: dict[str, str] = {}
    for name in [*named, *used, *failed]:
        if name and name not in statuses:
            statuses[name] = "ok" if name in used else "unreadable" if name in failed else "no_workbook"
    return statuses


Warning = tuple[str, dict]


def _incomplete(scores: list[RepScore], sources: list[SourceFile], months_missing: dict[str, list[str]],
                has_previous: bool, has_kpi_rows: bool, problems: Sequence[Problem] = (),
                rejected: Sequence[tuple[str, str, RejectedRow]] = ()) -> list[Warning]:
    """Say who and what is missing: files and sheets that could not be used, reps without a usable workbook, KPIs left
    out of a total, months the KPI rows lack."""
    return (_unusable_sheets(problems, rejected) + _failed_files(sources) + _reps_without_workbook(scores, sources)
            + _kpi_months_missing(months_missing) + _kpis_left_out(scores, has_previous, has_kpi_rows))


def _unusable_sheets(problems: Sequence[Problem], rejected: Sequence[tuple[str, str, RejectedRow]]) -> list[Warning]:
    """Sheets without their header or a required column (every row rejected), and columns read by an alias."""
    warnings: list[Warning] = []
    aliases: dict[tuple[str, str | None], list[Text]] = defaultdict(list)
    for p in problems:
        if p.code == "sheet_unusable":
            warnings.append(("warn_sheet_unusable", {"file": p.file, "sheet": p.sheet, **dict(p.params)}))
        elif p.code == "no_header" and p.sheet:
            rows = sum(1 for file, sheet, _ in rejected if (file, sheet) == (p.file, p.sheet))
            warnings.append(("warn_sheet_no_header", {"file": p.file, "sheet": p.sheet, "rows": rows, **dict(p.params)}))
        elif p.code == "column_alias":
            aliases[(p.file, p.sheet)].append(Text(p.code, p.params))
    return warnings + [("warn_columns_renamed", {"file": file, "sheet": sheet, "mappings": Joined(tuple(mappings))})
                       for (file, sheet), mappings in aliases.items()]


def _failed_files(sources: list[SourceFile]) -> list[Warning]:
    """Rep files that failed and name no rep of the team (they add no rep)."""
    nameless = [f for f in sources if f.status == "failed" and f.kind == "rep" and not f.rep]
    return [("warn_failed_files", {"files": "、".join(f"{readable_name(f.path)}（{f.reason}）" for f in nameless)})] \
        if nameless else []


def _reps_without_workbook(scores: list[RepScore], sources: list[SourceFile]) -> list[Warning]:
    absent = [s.rep for s in scores if s.status == "no_workbook"]
    warnings: list[Warning] = [("warn_no_workbook", {"reps": "、".join(absent)})] if absent else []
    for s in scores:
        if s.status == "unreadable":
            files = "、".join(readable_name(f.path) for f in sources if f.rep == s.rep and f.status == "failed")
            warnings.append(("warn_unreadable_workbook", {"rep": s.rep, "files": files}))
    return warnings


def _kpi_months_missing(months_missing: dict[str, list[str]]) -> list[Warning]:
    """A quarter's or year's months without KPI rows, reps grouped by the months they lack."""
    by_months: dict[str, list[str]] = defaultdict(list)
    for rep, months in months_missing.items():
        by_months["、".join(months)].append(rep)
    return [("warn_kpi_months_missing", {"months": months, "reps": "、".join(reps)}) for months, reps in by_months.items()]


def _kpis_left_out(scores: list[RepScore], has_previous: bool, has_kpi_rows: bool) -> list[Warning]:
    """Each KPI left out of a total with its reason; one left out of every total for the same reason (a column the
    department does not fill) is said once, naming no rep; no previous roll-up (churn) is said elsewhere."""
    labels = {k.key: k.label for k in KPIS}
    scored = [s for s in scores if s.card.total is not None]
    own = {s.rep: {k: r for k, r in s.left_out.items() if has_previous or k != "churn"} for s in scored}
    common = {k: r for k, r in own[scored[0].rep].items()
              if all(own[s.rep].get(k) == r for s in scored)} if len(scored) > 1 else {}
    warnings: list[Warning] = [("warn_kpi_left_out_all", {"kpis": _labelled(common, labels)})] if common else []
    for s in scores:
        rest = {k: r for k, r in own.get(s.rep, {}).items() if k not in common}
        if rest:
            warnings.append(("warn_kpi_left_out", {"rep": s.rep, "kpis": _labelled(rest, labels),
                                                   "possible": s.card.possible, "full": s.card.full}))
        elif s.card.total is None and has_kpi_rows and s.status == "ok" and not s.kpi_inputs:
            warnings.append(("warn_rep_not_scored", {"rep": s.rep}))
    return warnings


def _labelled(reasons: dict, labels: dict[str, str]) -> Joined:
    """KPI（reason）；KPI（reason）— rendered in the language the warning is shown in."""
    return Joined(tuple(Joined((labels[k], "（", r, "）"), "") for k, r in reasons.items()))


def _why_missing(period: Period, kpi_path, kpi_book, kpi_inputs: dict, has_previous: bool, frames: dict,
                 period_visits: pd.DataFrame) -> list[tuple[str, dict]]:
    """Say why: what leaves scores blank, a KPI out of the total, or the period looking like a typo."""
    warnings: list[tuple[str, dict]] = []
    if kpi_path is None:
        warnings.append(("warn_no_kpi_workbook", {}))
    elif kpi_book is not None and not kpi_inputs:
        warnings.append(("warn_no_kpi_rows", {"period": period.label}))
    if not has_previous:
        warnings.append(("warn_no_previous", {"previous": period.previous().label}))
    days = [d for key, column in (("daily_report", "date"), ("customers", "created_on"), ("visit_plan", "planned_on"))
            for d in dict.fromkeys(frames[key][column].tolist()) if isinstance(d, date)]  # each distinct date once
    if days and max(days) < period.start:
        warnings.append(("warn_period_after_data", {"period": period.label, "latest": max(days).isoformat(),
                                                    "end": period.end.isoformat()}))
    visited = {(d.year, d.month) for d in period_visits["date"].tolist() if d is not None}
    empty = [m.label for m in period.months() if (m.start.year, m.start.month) not in visited]
    if empty and len(frames["customers"]):
        warnings.append(("warn_no_visits", {"months": "、".join(empty)}))
    return warnings


def _accounts(churn: dict[str, dict], has_previous: bool) -> dict:
    """The department's accounts at the start, lost, new (created within the period: known without last period's
    roll-up) and the two rates; start, lost and the rates need last period's roll-up (None without it, never 0)."""
    new = sum(c["new"] for c in churn.values())
    if not has_previous:
        return {"churn": None, "new_accounts": None, "accounts_at_start": None, "lost": None, "new": new}
    start, lost = sum(c["start"] or 0 for c in churn.values()), sum(c["lost"] or 0 for c in churn.values())
    return {"churn": _percent(lost, start), "new_accounts": _percent(new, start), "accounts_at_start": start,
            "lost": lost, "new": new}


def _overview(customers, period_visits, kpi_inputs, churn, has_previous, problems, sources) -> dict:
    """The department's figures for the period (总览)."""
    def total(key):
        values = [v.get(key) for v in kpi_inputs.values() if v.get(key) is not None]
        return sum(values) if values else None

    ratios = {key: _percent(total(actual), total(plan)) for key, (actual, plan) in KPI_RATIO_INPUTS.items()}
    a_accounts = [missing == "" for grade, missing in zip(customers["grade"].tolist(), customers["chain_missing"].tolist()) if grade == "A"]
    due = sum(1 for d in customers["next_visit_due"].tolist() if d is not None)  # customers a visit was due for
    overdue = int(sum(bool(x) for x in customers["overdue"].tolist()))
    by_grade = Counter(customers["grade"].tolist())
    severity = Counter(str(p.severity) for p in problems)
    amounts = {key: total(key) for key in _KPI_AMOUNTS if key != "complaints"}
    return {
        "amounts": amounts,
        "sales_completion": ratios["sales_completion"], "collection": ratios["collection"],
        "settlement": ratios["settlement"], "development": ratios["development"], "expense": ratios["expense"],
        **_accounts(churn, has_previous),
        "completeness": round(float(customers["completeness"].mean()) * 100, 1) if len(customers) else None,
        "visit_compliance": round((due - overdue) / due * 100, 1) if due else None,
        "customers": len(customers), "overdue": overdue,
        "by_grade": {g: by_grade.get(g, 0) for g in (*GRADES, UNGRADED)},
        "by_stage": {s: int((customers["stage"] == s).sum()) for s in STAGES} if len(customers) else {},
        "visits": len(period_visits), "valid_info_rate": valid_info_rate(period_visits["valid_info"].tolist()),
        "a_chain_complete": round(sum(a_accounts) / len(a_accounts) * 100, 1) if a_accounts else None,
        "problems": len(problems), "rejected": severity.get("rejected", 0), "warnings": severity.get("warning", 0),
        "failed_files": sum(1 for s in sources if s.status == "failed"),
        "skipped_files": sum(1 for s in sources if s.status == "skipped"),
        "files": len(sources),
    }

