"""How a figure stands against its KPI standard, for the dashboard's colours: met, close or missed."""

from decimal import Decimal

from ..settings import Settings
from .kpi import kpi_rules

MET, CLOSE, MISSED = "met", "close", "missed"


def standing(key: str, value, settings: Settings) -> str | None:
    """met: at or beyond the standard; close: short by less than one deduction step (no point lost yet); else missed."""
    if value is None:
        return None
    rule = kpi_rules(settings)[key]
    gap = rule.gap(Decimal(str(value)))
    if gap <= 0:
        return MET
    return CLOSE if gap < rule.step else MISSED


def standard_text(key: str, settings: Settings) -> str:
    """The standard as a director reads it: ≥ 100%, ≤ 5%, ≤ 0 次."""
    rule = kpi_rules(settings)[key]
    sign = "≥" if rule.definition.higher_is_better else "≤"
    unit = "%" if rule.definition.ratio else " 次"
    return f"{sign} {rule.standard.normalize():f}{unit}"
