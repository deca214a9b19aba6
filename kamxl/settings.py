"""Every number of the rules, as one settings model with the handbook's defaults.

The director changes them on the KPI workbook's `参数` sheet (label / value / meaning rows; each setting's short
Chinese label is its field's title, the English key is accepted too) or in a TOML file (English keys). Unknown
names and bad values are errors that name the setting as it was written.
"""

import re
import tomllib
from pathlib import Path
from typing import Any, Iterable, Literal

import pydantic

from .errors import SettingsError
from .messages import Text, os_error_text, render
from .schema import FACTORS, KPIS, KpiDefinition  # noqa: F401 (KpiDefinition re-exported)


def _field(default: Any, meaning: str, label: str, **kw: Any) -> Any:
    """A setting: its default, its meaning (说明) and its short Chinese label (参数 on the KPI workbook's 参数 sheet)."""
    return pydantic.Field(default, description=meaning, title=label, **kw)


# The weight and KPI fields are declared one by one below so that mypy and readers see them; their defaults,
# meanings and bounds come from the schema's FACTORS and KPIS, and a test checks the declared names match them.
def _weight(key: str) -> Any:
    label = next(label for k, label, _ in FACTORS if k == key)
    return _field(1.0, f"评估因素「{label}」的权重", f"权重·{label}", ge=0, le=100)


def _kpi(key: str) -> KpiDefinition:
    return next(k for k in KPIS if k.key == key)


def _unit(k: KpiDefinition) -> str:
    return "%" if k.ratio else "次"


# every number has a sane range: beyond it the setting is refused by name, never a crash in a rule
def _points(key: str) -> Any:
    k = _kpi(key)
    return _field(k.points, f"{k.label}：满分", f"{k.label}·满分", ge=0, le=100)


def _standard(key: str) -> Any:
    k = _kpi(key)
    return _field(k.standard, f"{k.label}：标准（{_unit(k)}）", f"{k.label}·标准", ge=0, le=10_000)


def _step(key: str) -> Any:
    k = _kpi(key)
    return _field(k.step, f"{k.label}：每{'低于' if k.higher_is_better else '超出'}多少{_unit(k)}扣分", f"{k.label}·档距", gt=0, le=10_000)


def _deduction(key: str) -> Any:
    k = _kpi(key)
    return _field(1, f"{k.label}：每档扣几分", f"{k.label}·每档扣分", ge=0, le=100)


class Settings(pydantic.BaseModel):
    """The rules' numbers; defaults from the handbook (domain.md)."""

    model_config = pydantic.ConfigDict(extra="forbid", validate_assignment=True, frozen=True)

    grade_method: Literal["value", "share"] = _field("value", "分级方法：value=价值评估得分，share=占地区销售额比例", "分级方法")
    grade_a: float = _field(80, "A 级最低评估得分", "A级·最低评估得分", ge=0, le=100)
    grade_b: float = _field(60, "B 级最低评估得分", "B级·最低评估得分", ge=0, le=100)
    grade_c: float = _field(40, "C 级最低评估得分", "C级·最低评估得分", ge=0, le=100)
    share_a: float = _field(20, "share 法：A 级最低占地区销售额（%）", "A级·最低销售额占比", ge=0, le=100)
    share_b: float = _field(10, "share 法：B 级最低占地区销售额（%）", "B级·最低销售额占比", ge=0, le=100)
    regional_sales: float = _field(0, "share 法：地区销售额（万元）；0 = 按数据中同地区客户年采购额合计", "地区销售额", ge=0, le=1e8)
    cadence_a: int = _field(30, "A 级客户拜访周期（天）", "A级·拜访周期", ge=0, le=3650)
    cadence_b: int = _field(60, "B 级客户拜访周期（天）", "B级·拜访周期", ge=0, le=3650)
    cadence_c: int = _field(90, "C 级客户拜访周期（天）", "C级·拜访周期", ge=0, le=3650)
    cadence_d: int = _field(0, "D 级客户拜访周期（天）；0 = 不要求", "D级·拜访周期", ge=0, le=3650)
    rating_excellent: float = _field(90, "评级「优秀」最低总分", "优秀·最低总分", ge=0, le=100)
    rating_good: float = _field(75, "评级「良好」最低总分", "良好·最低总分", ge=0, le=100)
    rating_pass: float = _field(60, "评级「合格」最低总分", "合格·最低总分", ge=0, le=100)
    warning_below: float = _field(60, "总分低于此值给予口头警告", "口头警告·总分低于", ge=0, le=100)
    min_trip_days: int = _field(15, "每月最少出差天数（第13条）；季度、年度按月数累计", "每月最少出差天数", ge=0, le=31)

    # one weight per value-assessment factor (schema.FACTORS)
    weight_f_share: float = _weight("f_share")
    weight_f_cost: float = _weight("f_cost")
    weight_f_risk: float = _weight("f_risk")
    weight_f_value: float = _weight("f_value")
    weight_f_payment_risk: float = _weight("f_payment_risk")
    weight_f_supply: float = _weight("f_supply")
    weight_f_difficulty: float = _weight("f_difficulty")
    # four numbers per KPI (schema.KPIS)
    points_sales_completion: int = _points("sales_completion")
    standard_sales_completion: float = _standard("sales_completion")
    step_sales_completion: float = _step("sales_completion")
    deduction_sales_completion: float = _deduction("sales_completion")
    points_collection: int = _points("collection")
    standard_collection: float = _standard("collection")
    step_collection: float = _step("collection")
    deduction_collection: float = _deduction("collection")
    points_development: int = _points("development")
    standard_development: float = _standard("development")
    step_development: float = _step("development")
    deduction_development: float = _deduction("development")
    points_settlement: int = _points("settlement")
    standard_settlement: float = _standard("settlement")
    step_settlement: float = _step("settlement")
    deduction_settlement: float = _deduction("settlement")
    points_expense: int = _points("expense")
    standard_expense: float = _standard("expense")
    step_expense: float = _step("expense")
    deduction_expense: float = _deduction("expense")
    points_churn: int = _points("churn")
    standard_churn: float = _standard("churn")
    step_churn: float = _step("churn")
    deduction_churn: float = _deduction("churn")
    points_completeness: int = _points("completeness")
    standard_completeness: float = _standard("completeness")
    step_completeness: float = _step("completeness")
    deduction_completeness: float = _deduction("completeness")
    points_complaints: int = _points("complaints")
    standard_complaints: float = _standard("complaints")
    step_complaints: float = _step("complaints")
    deduction_complaints: float = _deduction("complaints")

    @pydantic.model_validator(mode="after")
    def _ordered_thresholds(self) -> "Settings":
        if not self.grade_a >= self.grade_b >= self.grade_c:
            raise ValueError("grade_a ≥ grade_b ≥ grade_c")
        if not self.share_a >= self.share_b:
            raise ValueError("share_a ≥ share_b")
        if not self.rating_excellent >= self.rating_good >= self.rating_pass:
            raise ValueError("rating_excellent ≥ rating_good ≥ rating_pass")
        return self


DEFAULTS = Settings()


def with_settings(text: str, settings: Settings = DEFAULTS) -> str:
    """`text` with the settings it names in braces filled in (`A≥{grade_a}` → `A≥80`): a help text quotes the numbers
    in force, never a copy of the defaults that goes stale when the director changes 参数."""
    shown = {key: f"{value:g}" if isinstance(value, float) else str(value) for key, value in settings.model_dump().items()}
    return text.format_map(shown)


def settings_rows(settings: Settings = DEFAULTS) -> list[tuple[str, object, str]]:
    """(key, value, meaning) rows, as on the KPI workbook's 参数 sheet."""
    return [(key, getattr(settings, key), info.description or "") for key, info in Settings.model_fields.items()]


def setting_label(key: str, lang: str = "zh") -> str:
    """A setting's name in the 参数 column: its short Chinese label, or its English key in an English workbook."""
    return key if lang == "en" else Settings.model_fields[key].title or key


def _folded(name: str) -> str:
    return re.sub(r"\s+", "", name).replace("・", "·").lower()


# what a 参数 row or a TOML line may call a setting: its label (as on the sheet) or its English key
_SETTING_NAMES = {_folded(info.title or key): key for key, info in Settings.model_fields.items()} | {
    key: key for key in Settings.model_fields}


def setting_key(name: object) -> str | None:
    """The setting `name` names (its Chinese label or its English key, spaces and case aside), or None."""
    return _SETTING_NAMES.get(_folded(str(name)))


def _named_values(pairs: Iterable[tuple[str, object]]) -> tuple[dict[str, Any], dict[str, str], list[tuple[str, object]]]:
    """({key: value}, {key: the name it was written as}, [(unknown name, value)]) of the pairs with a value."""
    values: dict[str, Any] = {}
    names: dict[str, str] = {}
    unknown: list[tuple[str, object]] = []
    for name, value in pairs:
        name = str(name).strip()
        if not name or value is None or (isinstance(value, str) and not value.strip()):
            continue
        value = value.strip() if isinstance(value, str) else value
        key = setting_key(name)
        if key is None:
            unknown.append((name, value))
        else:
            values[key], names[key] = value, name
    return values, names, unknown


# pydantic's error types, in the user's words (its own `msg` is English): the type → (message code, its ctx key)
_PYDANTIC_REASONS = {
    "less_than_equal": ("setting_at_most", "le"), "greater_than_equal": ("setting_at_least", "ge"),
    "less_than": ("setting_below", "lt"), "greater_than": ("setting_above", "gt"),
    "int_parsing": ("setting_whole_number", None), "int_from_float": ("setting_whole_number", None),
    "int_type": ("setting_whole_number", None), "float_parsing": ("bad_number", None),
    "float_type": ("bad_number", None), "finite_number": ("bad_number", None),
    "bool_parsing": ("setting_yes_no", None), "bool_type": ("setting_yes_no", None),
    "literal_error": ("setting_one_of", "expected"), "value_error": ("setting_order", "error"),
}


def setting_reason(error: dict) -> Text:
    """Why pydantic refused a setting's value (one of `ValidationError.errors()`), as a message with its bound."""
    code, key = _PYDANTIC_REASONS.get(error["type"], ("setting_invalid", None))
    if key is None:
        return Text.of(code)
    bound = (error.get("ctx") or {}).get(key, "")
    return Text.of(code, value=f"{bound:g}" if isinstance(bound, float) else str(bound))


def settings_from_pairs(pairs: Iterable[tuple[str, object]], source: str = "") -> "Settings":
    """Settings from (name, value) pairs, a name being a setting's label or key; blank values keep their default."""
    where = render("settings_file_prefix", path=source) if source else ""
    values, names, unknown = _named_values(pairs)  # raw values from the sheet or file: pydantic checks and converts them
    errors = [where + render("unknown_setting", key=name) for name, _ in unknown]
    if not errors:
        try:
            return Settings(**values)
        except pydantic.ValidationError as exc:
            for err in exc.errors():
                key = ".".join(str(p) for p in err["loc"])
                reason = setting_reason(dict(err))
                errors.append(where + (render("bad_setting", key=names.get(key, key), value=values.get(key, ""),
                                              reason=reason) if key else render("settings_error", detail=reason)))
    raise SettingsError("\n".join(errors))


def settings_from_toml(path: str | Path) -> "Settings":
    """Settings from a TOML file: flat keys, at the top or under a [kamxl] table."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(render("settings_file_unreadable", path=path, detail=os_error_text(exc))) from exc
    except UnicodeDecodeError as exc:
        raise SettingsError(render("settings_file_unreadable", path=path, detail=Text.of("detail_encoding"))) from exc
    except tomllib.TOMLDecodeError as exc:  # "Invalid statement (at line 3, column 1)": where is all it says
        where = re.search(r"at line (\d+), column (\d+)", str(exc))
        raise SettingsError(render("toml_error_at", path=path, line=where[1], column=where[2]) if where
                            else render("toml_error", path=path)) from exc
    return settings_from_pairs(data.get("kamxl", data).items(), str(path))


def settings_keeping_defaults(pairs: Iterable[tuple[str, object]], source: str = "") -> tuple["Settings", list[tuple[str, object, object]]]:
    """Settings from (name, value) pairs where each bad one keeps its default: (settings, [(name, value, why)]).

    The 参数 sheet of a KPI workbook is read this way: a typo in one setting is a problem on that setting,
    not the end of the month's roll-up.
    """
    values, names, unknown = _named_values(pairs)
    bad: list[tuple[str, object, object]] = [(name, value, "unknown") for name, value in unknown]
    while True:
        try:
            return Settings(**values), bad
        except pydantic.ValidationError as exc:
            keys = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
            if not keys & values.keys():  # a rule across settings (A ≥ B ≥ C): the sheet's values are not used
                bad += [(names[k], v, setting_reason(dict(exc.errors()[0]))) for k, v in values.items()]
                return DEFAULTS, bad
            for err in exc.errors():
                key = str(err["loc"][0]) if err["loc"] else ""
                if key in values:
                    bad.append((names[key], values.pop(key), setting_reason(dict(err))))
