"""A project's records read the first time they are asked for (`OnDemandRecords`): from the
files (`LazyRecords`, editing commands and `crm show`) or from the index (`crmcli.index`), so
a command about one record never reads the other hundred thousand."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, MutableMapping
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from crmcli.core.model import Project, Record
from crmcli.core.parse_pool import parse_files
from crmcli.core.yamlio import MAX_RECORD_BYTES

if TYPE_CHECKING:
    from crmcli.core.loader import Loader


def is_safe_id(record_id: str) -> bool:
    """An id that names a file inside its project folder: no separators, no leading dot."""
    return (
        bool(record_id)
        and "/" not in record_id
        and "\\" not in record_id
        and not record_id.startswith((".", "_"))
        and "\0" not in record_id
    )


class OnDemandRecords(MutableMapping[str, Record]):
    """A project's records, each read the first time it is asked for: from where, and which
    ids there are, subclasses say (`_read`, `_listed`). Records the command sets or deletes
    stay as it left them."""

    def __init__(self, project_key: str) -> None:
        self._project_key = project_key
        self._cache: dict[str, Record] = {}
        self._removed: set[str] = set()
        self._ids: list[str] | None = None

    def _relative(self, record_id: str) -> str:
        return f"{self._project_key}/{record_id}.yaml"

    def _read(self, record_id: str) -> Record | None:
        raise NotImplementedError

    def _listed(self) -> set[str]:
        raise NotImplementedError

    def __getitem__(self, record_id: str) -> Record:
        record = self._cache.get(record_id)
        if record is None and record_id not in self._removed:
            record = self._read(record_id)
            if record is not None:
                self._cache[record_id] = record
        if record is None:
            raise KeyError(record_id)
        return record

    def __setitem__(self, record_id: str, record: Record) -> None:
        self._cache[record_id] = record
        self._removed.discard(record_id)
        self._ids = None

    def __delitem__(self, record_id: str) -> None:
        self._cache.pop(record_id, None)
        self._removed.add(record_id)
        self._ids = None

    def forget(self, record_id: str) -> None:
        """Read the record again when next asked for (its file changed: a long-running
        process, such as the form server, noticed)."""
        self._cache.pop(record_id, None)
        self._removed.discard(record_id)
        self._ids = None

    def _all_ids(self) -> list[str]:
        if self._ids is None:
            ids = (self._listed() | set(self._cache)) - self._removed
            self._ids = sorted(ids, key=lambda record_id: record_id + ".yaml")  # as load() does
        return self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(self._all_ids())

    def __len__(self) -> int:
        return len(self._all_ids())


class LazyRecords(OnDemandRecords):
    """A project's records, each read from disk the first time it is asked for.

    Membership is a file-existence test, so validating a reference costs one stat, and
    commands that touch one record never read the other hundred thousand.
    """

    def __init__(self, loader: Loader, project: Project) -> None:
        super().__init__(project.key)
        self._loader = loader
        self._dates = date_fields(project)

    def __contains__(self, record_id: object) -> bool:
        if (
            not isinstance(record_id, str)
            or not is_safe_id(record_id)
            or record_id in self._removed
        ):
            return False
        return record_id in self._cache or self._loader.source.is_file(self._relative(record_id))

    def _read(self, record_id: str) -> Record | None:
        if record_id not in self:
            return None
        record = self._loader.read_record(self._project_key, self._relative(record_id))
        if record is not None:
            read_dates(record.data, self._dates)
        return record

    def _listed(self) -> set[str]:
        return {
            name[:-5]
            for name in self._loader._yaml_files(self._project_key)
            if not name.startswith("_")
        }

    def values(self) -> list[Record]:  # type: ignore[override]
        """Every record that can be read (reading them all: only for rare fallbacks)."""
        loader = self._loader
        unread = [self._relative(i) for i in self._all_ids() if i not in self._cache]
        if loader.reuse is not None:  # what the index gives back is not parsed
            unread = [relative for relative in unread if not loader.reuse.reusable(relative)]
        prepare = partial(read_dates, fields=self._dates) if self._dates else None
        loader._parsed = parse_files(loader.source, unread, MAX_RECORD_BYTES, prepare)
        prefetch = getattr(loader.source, "prefetch", None)
        if prefetch is not None:  # a git revision reads its blobs in batches, not one by one
            prefetch(unread, MAX_RECORD_BYTES)
        found = []
        for record_id in self._all_ids():
            try:
                found.append(self[record_id])
            except KeyError:
                continue
        return found


def date_fields(project: Project) -> list[tuple[str, Any]]:
    parsers = {"date": date.fromisoformat, "datetime": datetime.fromisoformat}
    return [(f.key, parsers[f.type]) for f in project.fields.values() if f.type in parsers]


def read_dates(data: dict[Any, Any], fields: list[tuple[str, Any]]) -> None:
    """A quoted "2025-10-15", or 2025-10-15 10:00 without seconds, is text to YAML but a date
    to its field: keep it as one so formulas, sorting and reports see a date. Text that is no
    date stays text, for the field's validator to report."""
    for key, parse_date in fields:
        value = data.get(key)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                data[key] = parse_date(value)
