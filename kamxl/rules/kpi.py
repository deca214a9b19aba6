"""KPI ratios, points, total score, rating and warning (绩效考核, seed 000).

Ratios are computed in Decimal from the numbers as typed, so 95 % is exactly 95 and the
"every full 5 % below" steps never slip on floating point (0.95 as a float is 0.9499…).
"""

from dataclasses import dataclass, field
import math
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from functools import cache

from ..settings import KPIS, KpiDefinition, Settings

_Q = Decimal("0.000001")


def _dec(x) -> Decimal:
    return Decimal(repr(float(x))) if not isinstance(x, Decimal) else x


def ratio_percent(actual: float | None, plan: float | None) -> Decimal | None:
    """actual ÷ plan × 100, rounded to 6 decimals; None when the plan is 0 or blank, or either is not a finite number."""
    if plan is None or actual is None or not (math.isfinite(float(plan)) and math.isfinite(float(actual))) \
            or float(plan) == 0:
        return None
    with localcontext(Context(prec=800)):  # exact whatever the magnitudes (1e308 / 1e-300 included)
        return (_dec(actual) * 100 / _dec(plan)).quantize(_Q, ROUND_HALF_EVEN)


@dataclass(frozen=True)
class KpiRule:
    definition: KpiDefinition
    points: int
    standard: Decimal
    step: Decimal
    deduction: Decimal

    @property
    def key(self) -> str:
        return self.definition.key

    def gap(self, value) -> Decimal:
        """How far a value falls short of the standard, in the KPI's direction: ≤ 0 when the standard is met."""
        value = _dec(value)
        return (self.standard - value) if self.definition.higher_is_better else (value - self.standard)

    def score(self, value) -> float | None:
        """Points for a value (percent, or a count): full at the standard, `deduction` off per full step away."""
        if value is None or not _dec(value).is_finite():
            return None
        gap = self.gap(value)
        if gap <= 0:
            return float(self.points)
        steps = int(gap / self.step)  # full steps only: 4 % below a 5 % step costs nothing
        points = Decimal(self.points) - steps * self.deduction
        return float(max(points, Decimal(0)))


@cache  # settings are frozen: their rules are built once
def kpi_rules(settings: Settings) -> dict[str, KpiRule]:
    return {
        k.key: KpiRule(k, getattr(settings, f"points_{k.key}"), _dec(getattr(settings, f"standard_{k.key}")),
                       _dec(getattr(settings, f"step_{k.key}")), _dec(getattr(settings, f"deduction_{k.key}")))
        for k in KPIS
    }


def kpi_points(key: str, value, settings: Settings) -> float | None:
    """Points of one KPI for its value (percent, or a count for complaints); None when not scorable."""
    return kpi_rules(settings)[key].score(value)


def total_score(points: dict[str, float | None], settings: Settings) -> float | None:
    """Total on 100 over the KPIs that could be scored: 62 of 75 possible → 82.7; None if none could."""
    rules = kpi_rules(settings)
    scored = {k: p for k, p in points.items() if p is not None and rules[k].points > 0}
    possible = sum(rules[k].points for k in scored)
    if not possible:
        return None
    return round(sum(scored.values()) / possible * 100, 1)


def rating(score: float | None, settings: Settings) -> str | None:
    """优秀 ≥ 90, 良好 ≥ 75, 合格 ≥ 60, else 不合格 (defaults)."""
    if score is None:
        return None
    if score >= settings.rating_excellent:
        return "优秀"
    if score >= settings.rating_good:
        return "良好"
    return "合格" if score >= settings.rating_pass else "不合格"


def warning(score: float | None, settings: Settings) -> bool:
    """A total under the threshold earns a verbal warning (口头警告)."""
    return score is not None and score < settings.warning_below


# the KPI sheet's inputs behind each ratio KPI (actual, plan); churn and completeness come from the workbooks
KPI_INPUTS: dict[str, tuple[str, str]] = {
    "sales_completion": ("sales_actual", "sales_plan"),
    "collection": ("collection_actual", "collection_due"),
    "development": ("development_actual", "development_plan"),
    "settlement": ("settlement_actual", "settlement_plan"),
    "expense": ("expense_actual", "expense_budget"),
}


@dataclass
class Scorecard:
    values: dict[str, float | None]  # percent, or count
    points: dict[str, float | None]
    total: float | None
    rating: str | None
    warning: bool
    missing: list[str]  # KPI keys left out of the total
    reasons: dict[str, str] = field(default_factory=dict)  # KPI key → why it was left out (text a director reads)
    possible: int = 0  # the points the total was scaled over
    full: int = 100  # the points of the whole sheet (Σ of the settings' points)

    @property
    def scaled(self) -> bool:
        """The total is scaled to 100 over fewer points than the full sheet."""
        return self.total is not None and self.possible < self.full


def scorecard(inputs: dict, churn_percent, completeness_percent, settings: Settings) -> Scorecard:
    """Every KPI of one rep: value, points, total on 100 over what could be scored, rating, warning."""
    values: dict[str, float | None] = {}
    for key, (actual, plan) in KPI_INPUTS.items():
        ratio = ratio_percent(inputs.get(actual), inputs.get(plan))
        values[key] = float(ratio) if ratio is not None else None
    values["churn"] = churn_percent
    values["completeness"] = completeness_percent
    values["complaints"] = inputs.get("complaints") if inputs.get("complaints") is not None else (0 if inputs else None)
    rules = kpi_rules(settings)
    points = {k: rules[k].score(v) for k, v in values.items()}
    points = {k.key: points[k.key] for k in KPIS}
    # without a single figure from the KPI sheet there is no assessment: file completeness alone
    # (or churn) would otherwise rate a rep 100 points
    from_kpi_sheet = [points[k] for k in (*KPI_INPUTS, "complaints")]
    total = total_score(points, settings) if any(p is not None for p in from_kpi_sheet) else None
    possible = sum(rules[k].points for k, p in points.items() if p is not None and rules[k].points > 0)
    return Scorecard(values, points, total, rating(total, settings), warning(total, settings),
                     [k for k, p in points.items() if p is None], possible=possible if total is not None else 0,
                     full=sum(r.points for r in rules.values() if r.points > 0))
