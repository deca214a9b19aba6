"""Customer value score and grade (客户分级, seeds 001 and 003) and MAN qualification."""

from functools import cache
from typing import Mapping

from ..schema import FACTORS, GRADES, UNGRADED
from ..settings import Settings


def value_score(factors: Mapping[str, int | None], settings: Settings) -> float | None:
    """Σ wᵢ·sᵢ / (5·Σ wᵢ) × 100 over the seven factors (1–5); cost, risks, difficulty count as 6 − x.

    None when a weighted factor is blank or outside 1–5: an incomplete assessment is not graded.
    """
    total = weight_sum = 0.0
    for key, inverse, weight in _weighted_factors(settings):
        rating = factors.get(key)
        if rating is None or not 1 <= rating <= 5:
            return None
        total += weight * ((6 - rating) if inverse else rating)
        weight_sum += weight
    if weight_sum == 0:
        return None
    return round(total / (5 * weight_sum) * 100, 2)


@cache
def _weighted_factors(settings: Settings) -> tuple[tuple[str, bool, float], ...]:
    """(key, inverse, weight) of each factor the settings weigh (weight 0 leaves a factor out)."""
    weights = ((key, inverse, getattr(settings, f"weight_{key}")) for key, _label, inverse in FACTORS)
    return tuple(w for w in weights if w[2] != 0)


def grade_by_score(score: float | None, settings: Settings) -> str:
    """A ≥ 80, B ≥ 60, C ≥ 40, else D (defaults); no score → 未评级."""
    if score is None:
        return UNGRADED
    for grade, floor in zip(GRADES, (settings.grade_a, settings.grade_b, settings.grade_c)):
        if score >= floor:
            return grade
    return "D"


def grade_by_share(annual_purchase: float | None, regional_sales: float | None, settings: Settings) -> str:
    """Seed 003: A ≥ 20 % of regional sales, B 10–20 %, C below 10 % (no D in this method)."""
    if annual_purchase is None or not regional_sales:
        return UNGRADED
    share = annual_purchase / regional_sales * 100
    if share >= settings.share_a:
        return "A"
    return "B" if share >= settings.share_b else "C"


def customer_grade(score: float | None, annual_purchase: float | None, regional_sales: float | None, settings: Settings) -> str:
    """The grade by the method the settings choose."""
    if settings.grade_method == "share":
        return grade_by_share(annual_purchase, regional_sales, settings)
    return grade_by_score(score, settings)


def man_qualified(money: bool | None, authority: bool | None, need: bool | None) -> bool | None:
    """MAN principle: a prospect lacking Money, Authority or Need is not qualified; unknown if any is blank."""
    answers = (money, authority, need)
    if any(a is False for a in answers):
        return False
    return None if any(a is None for a in answers) else True
