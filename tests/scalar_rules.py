"""The roll-up's figures worked out row by row with the scalar rules of kamxl/rules/ (the functions the UDFs call).

The oracle the roll-up's column-at-a-time derivation is compared with (tests/rules/test_columnar.py,
tests/test_columnar_rollup.py). Nothing here is patched into kamxl: tests compute these figures beside
what kamxl computed and compare the two.
"""

from collections import defaultdict

import pandas as pd

from kamxl import parsing
from kamxl.consolidate import linked_groups
from kamxl.rules.activity import missing_roles, trip_days, valid_info_rate
from kamxl.rules.grading import customer_grade, man_qualified, value_score
from kamxl.rules.periods import Period
from kamxl.rules.visits import is_overdue, next_visit_due
from kamxl.schema import FACTORS, LOST_STAGE

CUSTOMER_FIGURES = ["value_score", "grade", "last_visit", "next_visit_due", "overdue", "man_qualified", "chain_missing"]


def customer_figures(customers: pd.DataFrame, visits: pd.DataFrame, contacts: pd.DataFrame, period: Period,
                     settings) -> pd.DataFrame:
    """Per customer row (same index): score, grade, last and next visit, overdue, MAN and decision-chain gaps."""
    last: dict = {}
    for file, cid, day in zip(visits["file"], visits["customer_id"], visits["date"]):
        if day is not None and day <= period.end and ((file, cid) not in last or day > last[(file, cid)]):
            last[(file, cid)] = day
    roles: dict = defaultdict(set)
    for file, cid, role in zip(contacts["file"], contacts["customer_id"], contacts["role"]):
        roles[(file, cid)].add(role)
    regional: dict = defaultdict(float)
    if settings.grade_method == "share" and not settings.regional_sales:
        for region, amount in zip(customers["region"], customers["annual_purchase"]):
            regional[region] += amount or 0.0
    rows = []
    for row in customers.to_dict("records"):
        key = (row["file"], row["customer_id"])
        score = value_score({k: row[k] for k, _, _ in FACTORS}, settings)
        grade = customer_grade(score, row["annual_purchase"], settings.regional_sales or regional.get(row["region"]),
                               settings)
        seen = last.get(key)
        # a lost customer, or one put on file after the period, is neither due nor overdue
        counted = row["stage"] != LOST_STAGE and (row["created_on"] is None or row["created_on"] <= period.end)
        rows.append({"value_score": score, "grade": grade, "last_visit": seen,
                     "next_visit_due": next_visit_due(seen, row["created_on"], grade, settings) if counted else None,
                     "overdue": counted and is_overdue(seen, row["created_on"], grade, period.end, settings),
                     "man_qualified": man_qualified(row["man_money"], row["man_authority"], row["man_need"]),
                     "chain_missing": "、".join(missing_roles(roles.get(key, ())))})
    return pd.DataFrame(rows, columns=CUSTOMER_FIGURES, index=customers.index, dtype=object)


def activity(visits: pd.DataFrame, period: Period) -> dict[str, dict]:
    """Per rep with a visit in the period: the period's visits, valid-information rate and days on a trip."""
    by_rep: dict = defaultdict(list)
    for rep, day, on_trip, valid in zip(visits["rep"], visits["date"], visits["on_trip"], visits["valid_info"]):
        if day is not None and day in period:
            by_rep[rep].append((day, on_trip, valid))
    return {rep: {"visits": len(rows), "valid_info_rate": valid_info_rate([v for _, _, v in rows]),
                  "trip_days": trip_days((d, t) for d, t, _ in rows)} for rep, rows in by_rep.items()}


def duplicates(customers: pd.DataFrame) -> list[dict]:
    """The duplicate groups with every row's code checked and name normalised one by one, and every row linked."""
    codes = [c if c and parsing.parse_credit_code(c).ok else None for c in customers["credit_code"]]
    names = [parsing.normalise_company_name(x) for x in customers["name"]]
    reps, ids, raw_names = list(customers["rep"]), list(customers["customer_id"]), list(customers["name"])
    out = []
    for members in linked_groups(codes, names):
        key = next((codes[i] for i in members if codes[i]), None) or names[members[0]]
        out.append({"key": key, "customers": [{"rep": reps[i], "customer_id": ids[i], "name": raw_names[i]} for i in members]})
    out.sort(key=lambda g: (-len({c["rep"] for c in g["customers"]}), g["key"] or ""))
    return out
