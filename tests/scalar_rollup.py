"""The roll-up's per-row derivation as it was before the columnar rewrite: the oracle the columnar code is held to.

Row by row, calling the scalar rules of kamxl/rules/ directly (what the UDFs call). Tests run a whole
consolidation with these functions patched in to build the "before" roll-up, then compare it cell for
cell with the columnar one. Not used by kamxl itself.
"""

from collections import defaultdict
from datetime import date

import pandas as pd

from kamxl import parsing
from kamxl.consolidate import linked_groups
from kamxl.rules.activity import missing_roles, trip_days, valid_info_rate
from kamxl.rules.grading import customer_grade, man_qualified, value_score
from kamxl.rules.periods import Period
from kamxl.rules.visits import is_overdue, next_visit_due
from kamxl.schema import FACTORS, LOST_STAGE


def _last_visits(visits: pd.DataFrame, until: date) -> dict[tuple[str, str], date]:
    last: dict[tuple[str, str], date] = {}
    for file, cid, day in zip(visits["file"], visits["customer_id"], visits["date"]):
        if day is not None and day <= until:
            key = (file, cid)
            if key not in last or day > last[key]:
                last[key] = day
    return last


def _derive_customers(customers: pd.DataFrame, visits: pd.DataFrame, contacts: pd.DataFrame, warnings: dict,
                      period: Period, settings) -> pd.DataFrame:
    """Score, grade, last and next visit, overdue, MAN, decision-chain gaps and the row's warnings — from the rules."""
    last = _last_visits(visits, period.end)
    roles: dict = defaultdict(set)
    for file, cid, role in zip(contacts["file"], contacts["customer_id"], contacts["role"]):
        roles[(file, cid)].add(role)
    regional: dict = defaultdict(float)
    if settings.grade_method == "share" and not settings.regional_sales:
        for region, amount in zip(customers["region"], customers["annual_purchase"]):
            regional[region] += amount or 0.0
    factor_keys = [k for k, _, _ in FACTORS]
    scores, grades, lasts, dues, overdue, man, checks, chain = [], [], [], [], [], [], [], []
    for row in customers.itertuples(index=False):
        values = row._asdict()
        score = value_score({k: values[k] for k in factor_keys}, settings)
        grade = customer_grade(score, values["annual_purchase"], settings.regional_sales or regional.get(values["region"]),
                               settings)
        seen = last.get((values["file"], values["customer_id"]))
        counted = values["stage"] != LOST_STAGE and (values["created_on"] is None or values["created_on"] <= period.end)
        scores.append(score)
        grades.append(grade)
        lasts.append(seen)
        dues.append(next_visit_due(seen, values["created_on"], grade, settings) if counted else None)
        overdue.append(counted and is_overdue(seen, values["created_on"], grade, period.end, settings))
        man.append(man_qualified(values["man_money"], values["man_authority"], values["man_need"]))
        checks.append(warnings.get((values["file"], values["row"]), ""))
        chain.append("、".join(missing_roles(roles.get((values["file"], values["customer_id"]), ()))))
    out = customers.copy()
    out["value_score"], out["grade"], out["last_visit"], out["next_visit_due"] = scores, grades, lasts, dues
    out["overdue"], out["man_qualified"], out["check"], out["chain_missing"] = overdue, man, checks, chain
    return out


def find_duplicates(customers: pd.DataFrame) -> list[dict]:
    """Every row's code checked and name normalised, every row linked (the columnar version links only shared keys)."""
    codes = [c if c and parsing.parse_credit_code(c).ok else None for c in customers["credit_code"]]
    names = [parsing.normalise_company_name(x) for x in customers["name"]]
    reps, ids, raw_names = list(customers["rep"]), list(customers["customer_id"]), list(customers["name"])
    out = []
    for members in linked_groups(codes, names):
        key = next((codes[i] for i in members if codes[i]), None) or names[members[0]]
        out.append({"key": key, "customers": [{"rep": reps[i], "customer_id": ids[i], "name": raw_names[i]} for i in members]})
    out.sort(key=lambda g: (-len({c["rep"] for c in g["customers"]}), g["key"] or ""))
    return out


def _in_period(visits: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The visits dated within the period (the others stay in the data, uncounted)."""
    return visits[[day is not None and day in period for day in visits["date"]]] if len(visits) else visits


def _activity(period_visits: pd.DataFrame) -> dict[str, dict]:
    """Per rep, the period's visits, valid-information rate and days on a trip."""
    by_rep: dict = defaultdict(list)
    for rep, day, on_trip, valid in zip(period_visits["rep"], period_visits["date"], period_visits["on_trip"],
                                        period_visits["valid_info"]):
        by_rep[rep].append((day, on_trip, valid))
    return {rep: {"visits": len(rows), "valid_info_rate": valid_info_rate([v for _, _, v in rows]),
                  "trip_days": trip_days((d, t) for d, t, _ in rows)} for rep, rows in by_rep.items()}


