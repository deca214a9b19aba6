"""File completeness (大客户档案完整率): the share of the customer file's fields filled in."""

from typing import Iterable, Mapping, Sequence

from ..parsing import is_blank
from ..schema import CUSTOMERS

PROFILE_FIELDS = tuple(c.key for c in CUSTOMERS.columns if c.profile)


def completeness(values: Mapping[str, object]) -> float:
    """Filled profile fields ÷ all profile fields, 0–1 (a wrong value still counts as filled; 校验 flags it)."""
    filled = sum(1 for key in PROFILE_FIELDS if not is_blank(values.get(key)))
    return filled / len(PROFILE_FIELDS)


def completeness_column(columns: Mapping[str, Sequence], rows: int,
                        distinct: Mapping[str, Iterable] | None = None) -> list[float]:
    """`completeness` of each row, from the raw profile columns present (a missing column counts as blank):
    each distinct value is judged once (`distinct`: a column's distinct values, when the caller has them)."""
    filled = [0] * rows
    for key in PROFILE_FIELDS:
        raws = columns.get(key)
        if raws is None:
            continue
        known = distinct.get(key) if distinct else None
        blank = {v: is_blank(v) for v in (dict.fromkeys(raws) if known is None else known)}
        filled = [f if blank[v] else f + 1 for f, v in zip(filled, raws)]
    return [f / len(PROFILE_FIELDS) for f in filled]
