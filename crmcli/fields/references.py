"""`reference`: a record of another project, stored by id, typed by id or by exact name."""

from __future__ import annotations

from typing import Any

from crmcli.core.model import Project
from crmcli.core.problems import did_you_mean
from crmcli.errors import InvalidValueError
from crmcli.fields.base import NO_ISSUES, FieldType, Issue, describe
from crmcli.fields.choices import split_list
from crmcli.fields.context import FieldContext
from crmcli.i18n import _
from crmcli.i18n.lists import value_list


def reference_ids(value: Any) -> list[str]:
    """The ids a reference value names, whatever its shape."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


class Reference(FieldType):
    __slots__ = ()
    formula_type = None  # the engine types a reference by the record it names
    reads_records = True

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        target = context.projects.get(self.field.target_project or "")
        if target is None:
            return NO_ISSUES  # the schema problem is reported once, at the schema
        if self.field.multiple:
            if not isinstance(value, list):
                return self.not_a_list(value, _("a list of record ids"))
            items: list[tuple[int | None, Any]] = list(enumerate(value))
        else:
            if isinstance(value, list):
                return self.wrong(
                    value,
                    _("a single record id"),
                    " " + _("(the schema allows several only with multiple: true)"),
                )
            items = [(None, value)]
        return [
            Issue(
                "dangling-reference",
                self._dangling_message(item, target, context),
                () if index is None else (index,),
            )
            for index, item in items
            if not (isinstance(item, str) and item in target.records)
        ]

    def _dangling_message(self, item: Any, target: Project, context: FieldContext) -> str:
        label = self.field.label
        if not isinstance(item, str):
            return _("{label} must name a record by its id, not {value}").format(
                label=label, value=describe(item)
            )
        by_name = next((r.id for r in target.records.values() if r.name == item), None)
        elsewhere = [p for p in context.projects.values() if p is not target and item in p.records]
        if by_name:
            hint = " " + _("(records are referenced by id: write {id})").format(id=by_name)
        elif elsewhere:
            hint = " " + _(
                "(there is a {record} with that id in {project}: wrong project?)"
            ).format(record=elsewhere[0].record_name, project=elsewhere[0].name)
        else:
            hint = did_you_mean(item, target.records)
        return _(
            "{label} refers to {value}, but there is no such {record} in {project}{hint}"
        ).format(
            label=label,
            value=describe(item),
            record=target.record_name,
            project=target.name,
            hint=hint,
        )

    def parse(self, text: str, context: FieldContext) -> Any:
        field = self.field
        target = context.projects.get(field.target_project or "")
        if target is None:
            raise InvalidValueError(
                _("{label}: the schema's target project does not exist").format(label=field.label)
            )
        parts = split_list(text) if field.multiple else [text.strip()]
        index = context.references.get(field.key) if context.references else None
        if index is not None:
            ids = [index.resolve(part, field.label) for part in parts]
        else:
            ids = [resolve_reference(target, part, field.label) for part in parts]
        return ids if field.multiple else ids[0]


def resolve_reference(target: Project, text: str, label: str) -> str:
    """A record of `target` by id, or by exact name (case-insensitive) when no id matches."""
    if text in target.records:
        return text
    from slugify import slugify

    wanted = text.casefold()
    guess = slugify(text)
    if guess and guess in target.records and target.records[guess].name.casefold() == wanted:
        # the fast path: the record whose id is the name's slug, plus the -2, -3… that
        # `crm add` gives to more records of the same name (so a duplicate name is not
        # silently resolved to the first one)
        matches, suffix = [guess], 2
        while f"{guess}-{suffix}" in target.records:
            if target.records[f"{guess}-{suffix}"].name.casefold() == wanted:
                matches.append(f"{guess}-{suffix}")
            suffix += 1
    else:
        matches = [r.id for r in target.records.values() if r.name.casefold() == wanted]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise _ambiguous(target, "name", text, label, matches)
    raise _no_such(target, text, label, did_you_mean(text, target.records))


def _ambiguous(
    target: Project, key: str, text: str, label: str, ids: list[str]
) -> InvalidValueError:
    if key == "name":
        message = _("{label}: several {records} are named “{text}”: {ids}; give the id")
    else:
        message = _("{label}: several {records} have {key} “{text}”: {ids}; give the id")
    return InvalidValueError(
        message.format(
            label=label, records=target.name, key=key, text=text, ids=value_list(sorted(ids))
        )
    )


def _no_such(target: Project, text: str, label: str, hint: str) -> InvalidValueError:
    return InvalidValueError(
        _("{label}: no {record} “{text}” in {project}{hint}").format(
            label=label, record=target.record_name, text=text, project=target.name, hint=hint
        )
    )


class ReferenceIndex:
    """The records of a project by id and by one of their fields (the name unless said
    otherwise), built once so that resolving 100,000 references costs 100,000 dict look-ups.
    Matching ignores case and surrounding spaces; by name, an id matches first."""

    MAX_HINTS = 50  # “did you mean” compares with every id: only for the first few misses

    def __init__(self, target: Project, key: str = "name") -> None:
        self.target = target
        self.key = key
        self._ids = set(target.records) if key == "name" else set()
        self._by_value: dict[str, list[str]] = {}
        for record in target.records.values():
            value = (
                record.id if key == "id" else record.name if key == "name" else record.data.get(key)
            )
            if value is not None and value != "":
                self._by_value.setdefault(_folded(value), []).append(record.id)
        self._hints: dict[str, str] = {}

    def matches(self, value: Any) -> list[str]:
        """The ids of the records whose key field holds `value`."""
        return self._by_value.get(_folded(value), [])

    def resolve(self, text: str, label: str) -> str:
        if text in self._ids:
            return text
        matches = self.matches(text)
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise _ambiguous(self.target, self.key, text, label, matches)
        raise _no_such(self.target, text, label, self._hint(text))

    def _hint(self, text: str) -> str:
        if text not in self._hints and len(self._hints) < self.MAX_HINTS:
            names = self._ids if self.key == "name" else self._by_value
            self._hints[text] = did_you_mean(text, names)
        return self._hints.get(text, "")


def _folded(value: Any) -> str:
    return str(value).strip().casefold()
