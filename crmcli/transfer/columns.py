"""Which field each column of an imported file fills: --map first, then the header itself.

Headers match a field's key, its label or the record's name whatever their case, accents,
spaces and punctuation (“Close Date”, “close_date”, “clôture-date”), so that a file another
tool wrote imports without a --map per column. A column no field matches, or two columns
filling one field, stop the import before any row is read.

Besides the fields, a column may give the moment a record entered its list (`--map "Close
Date=entered"`): it becomes the record's history entry, as `crm move` writes it, so a deal
won in June counts as won in June.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from crmcli.core.model import FieldDef, Project
from crmcli.core.problems import did_you_mean
from crmcli.errors import UsageError
from crmcli.i18n import _, ngettext, quoted
from crmcli.i18n.lists import and_list, value_list
from crmcli.transfer.cells import ID

ENTERED = "entered"
# Not a field: the moment of the record's history entry for the list it is imported into.
ENTERED_FIELD = FieldDef(key=ENTERED, type="datetime", label=ENTERED)


@dataclass(frozen=True, slots=True)
class Column:
    index: int
    header: str
    field: FieldDef | None  # None: the record's id

    @property
    def key(self) -> str:
        return self.field.key if self.field else ID


def map_columns(
    project: Project, headers: Sequence[str], mapping: Mapping[str, str]
) -> tuple[list[Column], list[Column]]:
    """(columns to import, computed columns ignored) by header name, ignoring case and
    accents; `mapping` (header → field, "" to skip) comes first. UsageError for a column no
    field matches, a mapping to no field, or two columns filling one field."""
    explicit = {_normalised(header): target.strip() for header, target in mapping.items()}
    known = {_normalised(h) for h in headers}
    missing = [header for header in mapping if _normalised(header) not in known]
    if missing:
        raise UsageError(
            _("--map: the file has no column “{header}” (columns: {headers}){hint}").format(
                header=missing[0],
                headers=value_list(headers),
                hint=did_you_mean(missing[0], headers),
            )
        )
    by_name = _field_names(project)
    columns, ignored, unmapped = [], [], []
    for index, header in enumerate(headers):
        normalised = _normalised(header)
        if normalised in explicit:
            target = explicit[normalised]
            if not target:
                continue
            definition = _named_field(project, target, header)
        elif normalised in by_name:
            definition = by_name[normalised]
        else:
            if header or index < len(headers) - 1:
                unmapped.append(header)
            continue
        column = Column(index, header, definition)
        if definition is not None and definition.computed:
            if normalised in explicit:
                raise UsageError(
                    _(
                        "--map {header}={field}: {field} is computed ({kind}) and cannot be set"
                    ).format(header=header, field=definition.key, kind=definition.type)
                )
            ignored.append(column)
            continue
        columns.append(column)
    if unmapped:
        _refuse_unmapped(project, unmapped)
    _refuse_doubles(columns)
    return columns, ignored


def _normalised(name: str) -> str:
    """“Close Date”, “close_date” and “clôture-date” compare as “close date”, “cloture date”."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+|_", " ", plain).split())


def _field_names(project: Project) -> dict[str, FieldDef | None]:
    names: dict[str, FieldDef | None] = {ID: None}
    for definition in project.fields.values():
        names.setdefault(_normalised(definition.label), definition)
    for definition in project.fields.values():
        names[_normalised(definition.key)] = definition
    if "name" in project.fields:
        names.setdefault(_normalised(project.record_name), project.fields["name"])
    return names


def _named_field(project: Project, target: str, header: str) -> FieldDef | None:
    if target == ID:
        return None
    if target == ENTERED:
        if "list" not in project.fields or "history" not in project.fields:
            raise UsageError(
                _(
                    "--map {header}=entered: {project} keeps no history of its lists, so "
                    "nothing would say when a record entered one"
                ).format(header=header, project=project.name)
            )
        return ENTERED_FIELD
    definition = project.fields.get(target)
    if definition is None:
        raise UsageError(
            _("--map {header}={field}: {project} has no field “{field}”{hint}").format(
                header=header,
                field=target,
                project=project.name,
                hint=did_you_mean(target, [*project.fields, ID, ENTERED]),
            )
        )
    return definition


def _refuse_unmapped(project: Project, headers: list[str]) -> None:
    fields = [key for key, f in project.fields.items() if not f.computed]
    listed = and_list(
        f"{quoted(header)}{did_you_mean(header, fields)}" if header else _("(no header)")
        for header in headers
    )
    raise UsageError(
        ngettext(
            "no field of {project} matches the column {columns}; map it with "
            '--map "HEADER=field" or skip it with --map "HEADER=" (fields: {fields})',
            "no field of {project} matches the columns {columns}; map each with "
            '--map "HEADER=field" or skip it with --map "HEADER=" (fields: {fields})',
            len(headers),
        ).format(project=project.name, columns=listed, fields=value_list(fields))
    )


def _refuse_doubles(columns: Iterable[Column]) -> None:
    seen: dict[str, Column] = {}
    for column in columns:
        if column.key in seen:
            raise UsageError(
                _(
                    "the columns “{first}” and “{second}” both fill {field}; skip one with "
                    '--map "HEADER="'
                ).format(first=seen[column.key].header, second=column.header, field=column.key)
            )
        seen[column.key] = column
