"""File completeness (大客户档案完整率): the share of the customer file's fields filled in."""

from typing import Mapping

from ..parsing import is_blank
from ..schema import CUSTOMERS

PROFILE_FIELDS = tuple(c.key for c in CUSTOMERS.columns if c.profile)


def completeness(values: Mapping[str, object]) -> float:
    """Filled profile fields ÷ all profile fields, 0–1 (a wrong value still counts as filled; 校验 flags it)."""
    filled = sum(1 for key in PROFILE_FIELDS if not is_blank(values.get(key)))
    return filled / len(PROFILE_FIELDS)
