"""`files`: paths of documents kept inside the workspace, typed separated by commas."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any

from crmcli.fields.base import FieldType, Issue, describe
from crmcli.fields.choices import split_list
from crmcli.fields.context import FieldContext
from crmcli.i18n import _

_MAX_PATH = 4096  # PATH_MAX of Linux: the system refuses longer paths


class Files(FieldType):
    __slots__ = ()
    formula_type = "list"

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        if not isinstance(value, list):
            return self.not_a_list(value, _("a list of file paths"))
        issues = []
        for index, item in enumerate(value):
            reason = _file_problem(item, context.root, context.real_root)
            if reason:
                issues.append(
                    Issue(
                        "bad-file",
                        _("{label}: {value} {reason}").format(
                            label=self.field.label, value=describe(item), reason=reason
                        ),
                        (index,),
                    )
                )
        return issues

    def parse(self, text: str, context: FieldContext) -> Any:
        return split_list(text)


def _file_problem(item: Any, root: Path, real_root: Path) -> str | None:
    if not isinstance(item, str) or not item or "\0" in item:
        return _("is not a file path")
    if len(item) > _MAX_PATH:
        return _("is longer than a file path may be ({limit} characters)").format(limit=_MAX_PATH)
    relative = PurePosixPath(item.replace("\\", "/"))
    if relative.is_absolute() or (len(item) > 1 and item[1] == ":"):
        return _("is an absolute path; give a path inside the workspace")
    if ".." in relative.parts:
        return _("leaves the workspace (“..”); give a path inside it")
    target = root / relative
    real_target = Path(os.path.realpath(target))
    if not real_target.is_relative_to(real_root):
        return _("points outside the workspace through a symbolic link")
    if not target.is_file():
        return _("does not exist in the workspace")
    return None
