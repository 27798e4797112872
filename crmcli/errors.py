"""Problems are data; CrmError is for a command that cannot go on."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"  # said, never failing a check: a hidden value read without its key


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in the workspace, located in a file (path relative to the root).

    `field` ("project.field") names the field a problem is about, so that a reader who may not
    see that field is told of the problem without its message, which may quote the value."""

    path: str
    line: int
    column: int
    severity: Severity
    code: str
    message: str
    field: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = str(self.severity)
        if self.field is None:
            del data["field"]
        return data

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)


class CrmError(Exception):
    """A user error that stops a command: shown as a message, never as a traceback."""

    exit_code = 1

    def __init__(self, message: str, *, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []


class UsageError(CrmError):
    """The command line itself is wrong (unknown project, bad option value)."""

    exit_code = 2


class InvalidValueError(CrmError):
    """A value typed for a field cannot be stored: exit 1, like a value `crm check` refuses,
    whatever the field's type (the command line itself was well formed)."""


class WorkspaceNotFoundError(UsageError):
    pass
