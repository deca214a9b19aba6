"""Benchmark: the Python side of each UDF call on a 2,000-row customer sheet (target: under 20 ms).

xlwings adds its own few milliseconds per call (xlwings issue #1976); the templates keep the
calls per recalculation to a handful whatever the row count, so this is what a recalculation costs.
"Cold" is the first call in a fresh Excel session, "warm" a recalculation after one edit.

    python benchmarks/udfs.py --rows 2000
"""

import argparse
import random
import timeit
from datetime import date

from kamxl.demo import DemoOptions, _customers
from kamxl.excel import functions as f
from kamxl.rules.completeness import PROFILE_FIELDS
from kamxl.schema import CUSTOMERS, FACTORS


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    rows = _customers(random.Random(1), 1, DemoOptions(customers=args.rows), date(2026, 10, 31), [])
    table = [[c.label for c in CUSTOMERS.inputs]] + [[r.get(c.key) for c in CUSTOMERS.inputs] for r in rows]
    factors = [[r[k] for k, _, _ in FACTORS] for r in rows]
    scores = f.value_scores(factors)
    created = [[r["created_on"]] for r in rows]
    grades = f.grades(scores)

    def edited_table():  # one cell changed, as after a rep's edit
        table[1 + random.randrange(args.rows)][1] = f"新名称{random.random()}"
        return table

    calls = {
        "KAM_CHECK (cold)": (lambda: f._CHECK_MEMO.clear() or f.check_customers(table)),
        "KAM_CHECK (warm, one edit)": (lambda: f.check_customers(edited_table())),
        "KAM_VALUE_SCORE": lambda: f.value_scores(factors),
        "KAM_GRADE": lambda: f.grades(scores),
        "KAM_NEXT_VISIT": lambda: f.next_visits(created, created, grades),
        "KAM_OVERDUE": lambda: f.overdue(created, created, grades, "2026-10-31"),
        "KAM_COMPLETENESS": lambda: f.completeness_of([[r.get(k) for k in PROFILE_FIELDS] for r in rows]),
        "KAM_CHECK_CREDIT_CODE": lambda: f.check_credit_code([[r["credit_code"]] for r in rows]),
        "KAM_KPI_POINTS": lambda: f.kpi_points_of("销售计划完成率", [[90]] * args.rows, [[100]] * args.rows),
        "KAM_RATING": lambda: f.ratings(scores),
    }
    print(f"{'UDF on ' + str(args.rows) + ' rows':<30} {'min ms':>8} {'median ms':>10}")
    for name, call in calls.items():
        times = sorted(timeit.repeat(call, number=1, repeat=args.repeat))
        print(f"{name:<30} {times[0] * 1000:>8.1f} {times[len(times) // 2] * 1000:>10.1f}")


if __name__ == "__main__":
    main()
