"""The customer rules over whole columns (numpy), for the roll-up of a department's tens of thousands of rows.

Each function here is the column form of a scalar rule in this package, which stays the definition:
tests/rules/test_columnar.py checks every one against its scalar rule on generated values. The
arithmetic is done in the scalar rule's order on float64 (the same IEEE operations, so the same
results), rounding goes through Python's `round`, and per-category constants (a grade's cadence, the
decision-chain gaps of a set of roles) are taken from the scalar rule itself.
Dates are day ordinals (`date.toordinal()`), with 0 for a blank.
"""

from datetime import date
from itertools import product
from typing import Mapping, Sequence

import numpy as np

from .. import parsing
from ..schema import GRADES, UNGRADED
from ..settings import Settings
from .activity import KEY_ROLES, missing_roles, valid_info_rate
from .grading import _weighted_factors
from .visits import cadence_days

NO_DAY = 0  # a blank date as an ordinal (date.min is 1)


def value_scores(factors: Mapping[str, Sequence], settings: Settings) -> list[float | None]:
    """`grading.value_score` of every row: `factors` maps each factor key to its column of ratings."""
    weighted = _weighted_factors(settings)
    n = len(next(iter(factors.values()))) if factors else 0
    total = np.zeros(n)
    valid = np.ones(n, dtype=bool)
    weight_sum = 0.0
    for key, inverse, weight in weighted:
        column = factors[key]
        rating = np.array(column, dtype=float)  # a blank is NaN, which fails the 1–5 test as it does in the rule
        with np.errstate(invalid="ignore"):
            valid &= (rating >= 1) & (rating <= 5)
        total = total + weight * ((6 - rating) if inverse else rating)
        weight_sum += weight
    if weight_sum == 0:
        return [None] * n
    scores = total / (5 * weight_sum) * 100
    return [round(s, 2) if ok else None for s, ok in zip(scores.tolist(), valid.tolist())]


def grades_by_score(scores: Sequence[float | None], settings: Settings) -> np.ndarray:
    """`grading.grade_by_score` of every score (None → 未评级), as an array of grade strings."""
    values = np.array([np.nan if s is None else s for s in scores], dtype=float)
    floors = (settings.grade_a, settings.grade_b, settings.grade_c)
    with np.errstate(invalid="ignore"):
        conditions = [np.isnan(values)] + [values >= floor for floor in floors]
    return np.select(conditions, [UNGRADED, *GRADES[:3]], "D").astype(object)


def grades_by_share(annual_purchase: Sequence[float | None], regional_sales: Sequence[float | None],
                    settings: Settings) -> np.ndarray:
    """`grading.grade_by_share` of every row (each row's own regional sales)."""
    n = len(annual_purchase)
    blank = np.fromiter((a is None or not r for a, r in zip(annual_purchase, regional_sales)), bool, n)
    purchase = np.array([np.nan if b else a for a, b in zip(annual_purchase, blank.tolist())], dtype=float)
    regional = np.array([np.nan if b else r for r, b in zip(regional_sales, blank.tolist())], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = purchase / regional * 100
        return np.select([blank, share >= settings.share_a, share >= settings.share_b], [UNGRADED, "A", "B"],
                         "C").astype(object)


def customer_grades(scores: Sequence[float | None], annual_purchase: Sequence[float | None],
                    regional_sales: Sequence[float | None], settings: Settings) -> np.ndarray:
    """`grading.customer_grade` of every row, by the method the settings choose."""
    if settings.grade_method == "share":
        return grades_by_share(annual_purchase, regional_sales, settings)
    return grades_by_score(scores, settings)


def next_visits_due(last_visit: np.ndarray, created_on: np.ndarray, grades: np.ndarray, settings: Settings) -> np.ndarray:
    """`visits.next_visit_due` of every row, as ordinals (NO_DAY: none due)."""
    days = np.zeros(len(grades), dtype=np.int64)
    for grade in (*GRADES, UNGRADED):
        days[grades == grade] = cadence_days(grade, settings) or 0
    since = np.where(last_visit != NO_DAY, last_visit, created_on)
    return np.where((days > 0) & (since != NO_DAY), since + days, NO_DAY)


def overdue(due: np.ndarray, at: date) -> np.ndarray:
    """`visits.is_overdue` of every row from its next visit due (ordinals): due, and `at` is past it."""
    return (due != NO_DAY) & (at.toordinal() > due)


def man_qualified_many(money: Sequence, authority: Sequence, need: Sequence) -> list[bool | None]:
    """`grading.man_qualified` of every row."""
    answers = np.array([money, authority, need], dtype=object).reshape(3, len(money))
    any_false = (answers == False).any(axis=0)  # noqa: E712  (the answers are True, False or None)
    any_blank = (answers == None).any(axis=0)  # noqa: E711
    # numpy's stubs refuse None as a value; numpy takes it (an object array)
    return np.where(any_false, False, np.where(any_blank, None, True)).tolist()  # type: ignore[call-overload]


def missing_roles_text(role_masks: np.ndarray, separator: str = "、") -> np.ndarray:
    """`activity.missing_roles` joined, for rows given as bit masks of the KEY_ROLES present (bit i: KEY_ROLES[i])."""
    texts = np.empty(1 << len(KEY_ROLES), dtype=object)
    for bits in product((0, 1), repeat=len(KEY_ROLES)):
        mask = sum(bit << i for i, bit in enumerate(bits))
        texts[mask] = separator.join(missing_roles(r for r, bit in zip(KEY_ROLES, bits) if bit))
    return texts[role_masks]


def valid_info_rates(valid: Sequence[int], visits: Sequence[int]) -> list[float | None]:
    """`activity.valid_info_rate` of each group, from its count of visits with 有效信息 and of all its visits."""
    return [round(v / n * 100, 1) if n else valid_info_rate([]) for v, n in zip(valid, visits)]


def trip_days_by_group(group: np.ndarray, days: np.ndarray, on_trip: Sequence, groups: int) -> list[int]:
    """`activity.trip_days` of each group (numbered 0 to groups − 1): distinct visit days on a business trip."""
    trip = np.asarray(on_trip, dtype=object).astype(bool) & (days != NO_DAY)
    distinct = np.unique(np.stack([group[trip], days[trip]]), axis=1)[0] if trip.any() else np.zeros(0, np.int64)
    return np.bincount(distinct, minlength=groups).tolist()


# a byte → its value in a credit code (−1: not one of the 31 characters)
_CREDIT_BYTE_VALUES = np.full(256, -1, dtype=np.int64)
_CREDIT_BYTE_VALUES[[ord(ch) for ch in parsing.CREDIT_CHARS]] = np.arange(len(parsing.CREDIT_CHARS))
_CREDIT_WEIGHTS = np.array(parsing._CREDIT_WEIGHTS, dtype=np.int64)


def credit_codes_ok(codes: Sequence) -> np.ndarray:
    """`parsing.parse_credit_code(c).ok` of every value (a blank is ok: it has no problem).

    The common case, 18 ASCII letters and digits, is checked for all such codes at once; any other value goes
    through the scalar rule.
    """
    n = len(codes)
    ok = np.zeros(n, dtype=bool)
    plain = [i for i, c in enumerate(codes) if c.__class__ is str and len(c) == 18 and c.isascii() and c.isalnum()]
    if plain:
        chars = np.frombuffer("".join([codes[i] for i in plain]).upper().encode("ascii"), dtype=np.uint8)
        values = _CREDIT_BYTE_VALUES[chars.reshape(-1, 18)]
        expected = (31 - (values[:, :17] * _CREDIT_WEIGHTS).sum(axis=1) % 31) % 31
        ok[plain] = (values >= 0).all(axis=1) & (values[:, 17] == expected)
    if len(plain) < n:
        rest = np.ones(n, dtype=bool)
        rest[plain] = False
        for i in np.flatnonzero(rest).tolist():
            ok[i] = parsing.parse_credit_code(codes[i]).ok
    return ok


def ordinals(days: Sequence[date | None]) -> np.ndarray:
    """Day ordinals of a column of dates (NO_DAY for a blank); each distinct date converted once (a year of visits
    holds a few hundred)."""
    ordinal = {d: NO_DAY if d is None else d.toordinal() for d in dict.fromkeys(days)}
    return np.fromiter(map(ordinal.__getitem__, days), np.int64, len(days))


def dates(ordinal_days: np.ndarray) -> list[date | None]:
    """The dates of ordinals (None for NO_DAY)."""
    return [None if d == NO_DAY else date.fromordinal(d) for d in ordinal_days.tolist()]

