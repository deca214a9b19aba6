"""File completeness (大客户档案完整率): the share of the customer file's fields filled in."""

from typing import Mapping

from ..schema import CUSTOMERS

PROFILE_FIELDS = tuple(c.key for c in CUSTOMERS.columns if c.profile)


def completeness(values: Mapping[str, object]) -> float:
    """Filled profile fields ÷ all profile fields, 0–1; a value that failed to parse counts as empty."""
    filled = sum(1 for key in PROFILE_FIELDS if values.get(key) not in (None, ""))
    return round(filled / len(PROFILE_FIELDS), 4)
