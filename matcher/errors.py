"""Input errors that name the file, row and column, so a user can fix the data.

The engine never answers bad input with a traceback or a partial proposal: every
problem found while reading is collected as an :class:`InputProblem` and raised together
as one :class:`InputError`. Rows are numbered as a spreadsheet shows them (the header is
row 1, the first data row is row 2).
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_REPORTED_PROBLEMS = 50


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One thing wrong with the input, located as precisely as the input allows."""

    source: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f", column {self.column}" if self.row is not None else f" column {self.column}"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"source": self.source, "row": self.row, "column": self.column, "message": self.message}


class InputError(ValueError):
    """Raised when the input cannot be solved as given; carries every problem found."""

    def __init__(self, problems: list[InputProblem]) -> None:
        if not problems:
            raise ValueError("InputError needs at least one problem")
        self.problems = problems
        shown = [str(p) for p in problems[:MAX_REPORTED_PROBLEMS]]
        if len(problems) > MAX_REPORTED_PROBLEMS:
            shown.append(f"... and {len(problems) - MAX_REPORTED_PROBLEMS} more problems")
        super().__init__("\n".join(shown))

    @classmethod
    def single(cls, source: str, message: str, row: int | None = None, column: str | None = None) -> InputError:
        return cls([InputProblem(source=source, message=message, row=row, column=column)])


class ProblemCollector:
    """Collects problems while parsing so all of them are reported at once."""

    def __init__(self) -> None:
        self.problems: list[InputProblem] = []

    def add(self, source: str, message: str, row: int | None = None, column: str | None = None) -> None:
        self.problems.append(InputProblem(source=source, message=message, row=row, column=column))

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(self.problems)


class TooLarge(InputError):
    """Input over a size limit a caller set (the service sets limits; the CLI does not)."""

    def __init__(self, source: str, message: str, summary: str) -> None:
        self.summary = summary
        super().__init__([InputProblem(source=source, message=message)])


class TooManyRows(TooLarge):
    """A table with more rows of data than the caller allows."""

    def __init__(self, source: str, count: int, limit: int) -> None:
        self.count = count
        self.limit = limit
        super().__init__(
            source,
            f"{count} rows of data; at most {limit} are accepted",
            f"Too many rows: {source} has {count}, the limit is {limit}.",
        )
