"""`crm fmt`: record files in the canonical layout, so that diffs show only real changes.

The canonical layout is the key order of the schema (the one `crm add` writes: built-in
fields, the project's own fields, then created/updated/history; unknown keys last) and
quotes only where YAML needs them. Everything else stays as the file has it: comments
(a comment above a key moves with that key), blank lines, indentation, flow or block style,
block text. A file is rewritten only if it still reads as exactly the same data.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crmcli.core.loader import Loader
from crmcli.core.model import Project
from crmcli.core.yamlio import MAX_RECORD_BYTES, YamlReadError, parse, read_text
from crmcli.editing.canonical import canonical_keys
from crmcli.editing.journal import Transaction
from crmcli.editing.lock import workspace_lock
from crmcli.editing.writer import RecordFile
from crmcli.errors import CrmError, Problem, Severity
from crmcli.i18n import _
from crmcli.secrets.cipher import is_sealed
from crmcli.secrets.sealing import Sealing


@dataclass(slots=True)
class FormatResult:
    checked: int = 0
    changed: list[str] = field(default_factory=list)  # rewritten, or to rewrite with --check
    problems: list[Problem] = field(default_factory=list)  # files left as they are


def format_workspace(root: Path, check_only: bool = False) -> FormatResult:
    """Rewrite (or with check_only, list) the record files not in the canonical layout: the
    rewritten files are one journaled write, all of them or none."""
    workspace = Loader(root).load(lazy=True)
    result = FormatResult()
    with workspace_lock(root), Transaction(root) as transaction:
        for project in workspace.projects.values():
            for record_id in list(project.records):
                relative = f"{project.key}/{record_id}.yaml"
                result.checked += 1
                _format_file(
                    root,
                    project,
                    relative,
                    None if check_only else transaction,
                    result,
                    workspace.sealing,
                )
    return result


def _format_file(
    root: Path,
    project: Project,
    relative: str,
    transaction: Transaction | None,
    result: FormatResult,
    sealing: Sealing,
) -> None:
    path = root / relative
    try:
        text = read_text(path, MAX_RECORD_BYTES)
        before = parse(text)
    except YamlReadError as error:
        result.problems.append(
            Problem(relative, error.line, error.column, Severity.ERROR, error.code, error.message)
        )
        return
    if not isinstance(before.data, dict) or before.duplicates:
        return  # `crm check` says why; there is no layout to fix
    document = RecordFile(path, relative, text)
    formatted = canonical_text(document, project)
    if formatted != text and parse(formatted).data != before.data:
        result.problems.append(
            Problem(
                relative,
                1,
                1,
                Severity.WARNING,
                "fmt-unsafe",
                _("the canonical layout would read differently; the file is left as it is"),
            )
        )
        return
    if _seal_plain_values(document, project, sealing, relative, result):
        formatted = document.render()
    if formatted == text:
        return
    result.changed.append(relative)
    if transaction is not None:
        transaction.write(path, formatted.encode("utf-8"), document.original_sha)


def _seal_plain_values(
    document: RecordFile, project: Project, sealing: Sealing, relative: str, result: FormatResult
) -> bool:
    """Encrypt hidden values written in plain text (by hand); without the key they stay and
    the file is named."""
    if not sealing.enabled:
        return False
    sealed = False
    for key, definition in project.fields.items():
        value = document.get(key)
        if definition.computed or not sealing.covers(project.key, key) or is_sealed(value):
            continue
        if value is None or value == "":
            continue
        try:
            document.set(key, sealing.written(project.key, key, value))
        except CrmError as error:
            result.problems.append(
                Problem(relative, 1, 1, Severity.WARNING, "hidden-value-plain", error.message)
            )
            return sealed
        sealed = True
    return sealed


def canonical_text(document: RecordFile, project: Project) -> str:
    mapping = document.document
    _attach_comments_to_next_key(mapping)
    order = [key for key in canonical_keys(project) if key in mapping]
    order += [key for key in mapping if key not in order]
    for key in order:
        mapping.move_to_end(key)
    _plain_quotes(mapping)
    return document.render()


def _attach_comments_to_next_key(mapping: Any) -> None:
    """ruamel keeps a comment line with the key above it; a person writes it about the key
    below, so move it there before keys are reordered."""
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    keys = list(mapping)
    for key, following in itertools.pairwise(keys):
        item = mapping.ca.items.get(key)
        token = item[2] if item else None
        if token is None:
            continue
        end_of_line, newline, below = token.value.partition("\n")
        if below:
            token.value = end_of_line + newline
            slot = mapping.ca.items.setdefault(following, [None, None, None, None])
            slot[1] = [CommentToken(below, CommentMark(0), None), *(slot[1] or [])]


def _plain_quotes(node: Any) -> None:
    """Drop the quotes the file used, so ruamel quotes only what needs it (plain writes
    bypass ruamel's keeping of the old quote style)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.compat import ordereddict
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    quoted = (SingleQuotedScalarString, DoubleQuotedScalarString)
    if isinstance(node, CommentedMap):
        for key, value in list(node.items()):
            if isinstance(value, quoted):
                ordereddict.__setitem__(node, key, str.__str__(value))
            else:
                _plain_quotes(value)
    elif isinstance(node, CommentedSeq):
        for index, value in enumerate(node):
            if isinstance(value, quoted):
                list.__setitem__(node, index, str.__str__(value))
            else:
                _plain_quotes(value)
