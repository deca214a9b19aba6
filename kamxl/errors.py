"""Exceptions raised in the domain's own terms; only the CLI and the Excel shell translate them."""


class KamxlError(Exception):
    "Root of every error kamxl raises on purpose"


class SettingsError(KamxlError):
    "A setting is unknown or its value is not allowed"


class PeriodError(KamxlError):
    "A period is not a month (2026-10), a quarter (2026-Q4) or a year (2026)"


class UnreadableWorkbook(KamxlError):
    "A file cannot be read as a workbook (locked, encrypted, corrupt, not a workbook)"

    def __init__(self, path, code: str, skipped: bool = False, **params):
        from .messages import render

        self.path = str(path)
        self.code = code
        self.skipped = skipped
        self.params = tuple(params.items())  # (name, value) pairs for the message, as a Problem carries them
        super().__init__(f"{self.path}: {render(code, **params)}")

    def __reduce__(self):  # crosses process boundaries with its parameters
        return _unreadable, (self.path, self.code, self.skipped, self.params)

    def reason(self, lang: str | None = None) -> str:
        from .messages import render

        return render(self.code, lang=lang, **dict(self.params))


def _unreadable(path, code, skipped, params):
    return UnreadableWorkbook(path, code, skipped, **dict(params))
