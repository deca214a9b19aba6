"""Problems in data are values, not exceptions: one per bad cell, row or file."""

from dataclasses import dataclass, field
from enum import StrEnum

from .messages import language, render


class Severity(StrEnum):
    REJECTED = "rejected"  # the row cannot be used; it goes to 数据问题 with all its raw values
    WARNING = "warning"  # the row is used; the cell is flagged
    FAILED = "failed"  # the whole file could not be read

    def label(self, lang: str | None = None) -> str:
        zh, en = {"rejected": ("拒收", "rejected"), "warning": ("警告", "warning"), "failed": ("无法读取", "unreadable")}[self]
        return en if (lang or language()) == "en" else zh


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    sheet: str | None
    row: int | None  # the Excel row number, as the rep sees it
    column: str | None  # the column label
    value: str | None  # the raw value, as text
    code: str
    severity: Severity
    params: tuple = field(default=())

    def message(self, lang: str | None = None) -> str:
        return render(self.code, lang, **dict(self.params))

    def where(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(self.sheet)
        if self.row:
            parts.append(f"第{self.row}行")
        if self.column:
            parts.append(self.column)
        return " / ".join(parts)

    def as_dict(self, lang: str | None = None) -> dict:
        return {"file": self.file, "sheet": self.sheet, "row": self.row, "column": self.column,
                "value": self.value, "severity": str(self.severity), "code": self.code, "message": self.message(lang)}


def messages_by_row(problems, lang: str | None = None) -> dict[tuple[str, int], str]:
    """Each row's problems as one line, 「列：问题；列：问题」, keyed by (file, row) — what a 校验 cell shows."""
    lines: dict[tuple[str, int], list[str]] = {}
    for p in problems:
        if p.row:
            lines.setdefault((p.file, p.row), []).append(f"{p.column}：{p.message(lang)}" if p.column else p.message(lang))
    return {key: "；".join(parts) for key, parts in lines.items()}
