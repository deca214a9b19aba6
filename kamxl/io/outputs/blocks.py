"""The body blocks of the roll-up's sheet tables, as the writer and its helper processes load them.

Kept apart from rollup_writer (which needs pandas) so that a helper process making a detail sheet's body
(xlsx_stream) imports only what loading a spilled block needs.
"""

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ..machinery.spill import Part
from .xlsx_stream import Portable


@dataclass
class Body:
    """A block's columns in the table's order, from its columns by key (lists, or a frame's Series)."""

    keys: list
    blank_nan: frozenset  # keys whose NaN is a blank (a file lacking the column)
    name_key: str | None = None  # 客户名称: filled from `names` when the block lacks it
    names: Mapping[str, Mapping] | None = None  # file → customer id → 客户名称

    def __call__(self, columns: Any, length: int) -> list[list]:
        """`columns`: a mapping of key to values, or a frame."""
        return [self._values(columns, key, length) for key in self.keys]

    def _values(self, columns: Any, key, length: int) -> list:
        if key == self.name_key and self.names is not None and key not in columns:
            names = self.names
            return [names.get(file, {}).get(customer) for file, customer in
                    zip(self._values(columns, "file", length), self._values(columns, "customer_id", length))]
        if key not in columns:
            return [None] * length
        out = columns[key]
        out = out if isinstance(out, list) else out.tolist()
        return [None if v != v else v for v in out] if key in self.blank_nan else out

    def of_file(self, file: str) -> "Body":
        """The same body, knowing only the names of `file`'s customers (a block of one file's rows)."""
        names = None if self.names is None else {file: self.names.get(file, {})}
        return Body(self.keys, self.blank_nan, self.name_key, names)


@dataclass
class PartBlock(Portable):
    """A run of one workbook's rows of a detail sheet (spilled to disk, or small), as a block of the table's body:
    at most `spill.RUN_ROWS` rows, whatever the file's size."""

    part: Part
    body: Body
    run: int
    rows: int

    def __call__(self) -> Sequence[Sequence]:
        return self.body(self.part.load_run(self.run), self.rows)


def part_blocks(part: Part, body: Body) -> list[tuple[int, PartBlock]]:
    """A workbook's rows of a detail sheet as the table's blocks, run by run: (rows, loader)."""
    body = body.of_file(part.file)
    return [(rows, PartBlock(part, body, run, rows)) for run, rows in enumerate(part.runs())]
