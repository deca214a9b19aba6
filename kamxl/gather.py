"""What a roll-up is made from: every input workbook read, and last period's roll-up found — before any figure.

Nothing here loads pandas: `kamxl consolidate` reads the team's files with this while the roll-up's own
code (consolidate.py, pandas and numpy: half a second) is loaded beside the reading workers.
"""

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterable

from .errors import KamxlError, UnreadableWorkbook
from .io.inputs.batch import Failure, Outcome, read_files
from .io.inputs.excel_file import inspect, load, sheet_names_of
from .io.inputs.files import collect_inputs
from .io.machinery.isolation import collector_paused
from .io.inputs.previous import checked_previous, find_rollups, last_periods_rollup
from .io.machinery.spill import SpillFolder
from .messages import render
from .rollup_model import RollupFigures
from .rules.periods import Period, parse_period
from .schema import KPI_INPUTS


class NoInput(KamxlError):
    "No input file could be found"


class NotKpiWorkbook(KamxlError):
    "The file named with --kpi is not a readable KPI workbook (a rep workbook, a CSV, an encrypted or corrupt file)"


def checked_kpi(path: Path) -> None:
    """Refuse a --kpi that cannot be the KPI workbook before anything is read: scores would be empty without a word,
    and a rep workbook would be read as KPI and its customers lost. Only the zip and workbook.xml are looked at."""
    try:
        package = load(path)
        inspect(package, area=False, only=(KPI_INPUTS.name,))
        names = sheet_names_of(package)
    except UnreadableWorkbook as exc:
        raise NotKpiWorkbook(render("kpi_unreadable", file=path.name, reason=exc.reason())) from exc
    if KPI_INPUTS.name not in names:
        raise NotKpiWorkbook(render("kpi_not_kpi_workbook", file=path.name))


def _refuse_failed_kpi(outcome: Outcome, path: Path) -> None:
    """A --kpi that passed the first look but could not be read (a damaged sheet) is refused as well; a bad 参数
    sheet is the settings' own error (consolidate raises SettingsError for it)."""
    if isinstance(outcome, Failure) and outcome.code != "settings_error":
        raise NotKpiWorkbook(render("kpi_unreadable", file=path.name, reason=outcome.reason()))


@dataclass
class Gathered:
    """The inputs of one roll-up, read."""

    period: Period
    outcomes: list[Outcome]  # each input file's reading, in the order of `paths`
    paths: list[Path]
    kpi_path: Path | None  # the KPI workbook named with --kpi
    spill: SpillFolder  # where the workers put the detail rows
    previous: RollupFigures | None  # last period's roll-up, found or named
    earlier: list = field(default_factory=list)  # every roll-up found, for 趋势


@collector_paused()
def gather(inputs: Iterable, period: str | Period, kpi: str | Path | None = None, previous: str | Path | None = None,
           today: date | None = None, workers: int | None = None, exclude: Iterable = (),
           progress: Callable[[int, int], None] | None = None, search: Iterable = (),
           meanwhile: Callable[[], None] | None = None) -> Gathered:
    """Read every input (see `consolidate.consolidate`); `meanwhile` runs here while the workers read."""
    period = period if isinstance(period, Period) else parse_period(period)
    inputs, exclude = list(inputs), list(exclude)  # each is walked twice: inputs, then earlier roll-ups
    today = today or date.today()
    # a wrong --previous is said before any workbook is read
    earlier = find_rollups([*inputs, *search], exclude=exclude)
    previous_figures = checked_previous(previous, period) if previous else last_periods_rollup(earlier, period)
    excluded = {Path(p).resolve() for p in exclude}  # the roll-up being written is never an input
    paths = [p for p in collect_inputs(inputs) if p.resolve() not in excluded]
    kpi_path = Path(kpi) if kpi else None
    if kpi_path is not None:
        checked_kpi(kpi_path)
    if kpi_path is not None and all(p.resolve() != kpi_path.resolve() for p in paths):
        paths.insert(0, kpi_path)
    if not paths:
        raise NoInput(render("no_workbooks"))

    kinds = {p: "kpi" if kpi_path is not None and p.resolve() == kpi_path.resolve() else "auto" for p in paths}
    spill = SpillFolder()  # the detail rows go to disk as each workbook is read: memory grows with customers only
    outcomes = read_files(paths, kinds, today, workers, progress=progress, spill=spill.path, meanwhile=meanwhile)
    if kpi_path is not None:
        try:
            _refuse_failed_kpi(next(o for p, o in zip(paths, outcomes) if kinds[p] == "kpi"), kpi_path)
        except NotKpiWorkbook:
            spill.close()
            raise
    return Gathered(period, outcomes, paths, kpi_path, spill, previous_figures, earlier)
