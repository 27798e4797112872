"""A project's record data kept by field as well as by record, so that a command reading every
record decodes only the fields it looks at.

`crm list opportunities --where "amount > 49000"` reads one field of a hundred thousand
records: decoding each record whole (its dates, its history) costs forty times what decoding
the `amount` of all of them does. So besides each file's row, the index keeps one pickled
list per field of the project (`ColumnSet`, in the records' order), with the order of each
record's keys, and a served record's data is a `ColumnData`: a real dict with the record's
keys in its file's order, whose values are fetched from their field's list when first read
(and all at once by anything that reads them all: items, comparing, copying, printing).

The lists are rebuilt when a project's records change; in between, the few files that
changed since (the `overlay`) are read from their own rows, so an edit never costs a
rebuild of a hundred thousand values.
"""

from __future__ import annotations

import copyreg
import io
import pickle
from collections.abc import Callable, Iterable, Iterator
from datetime import timezone
from typing import Any

from crmcli.core.collector import collector_paused
from crmcli.core.history_stamps import Stamped, history_stamps
from crmcli.core.model import Project, Record
from crmcli.index.pickles import loads
from crmcli.index.store import INDEX_FAULTS

IDS = "ids"  # column names: the record ids, then each record's key order, then "d:" + field key
ORDERS = "orders"
DATA = "d:"
STAMPS = "stamps"  # each record's history as dating reads it (`core/history_stamps.py`)
REBUILD_AFTER = 0.02  # share of a project's records read from their rows before a rebuild


def column_blobs(records: Iterable[Record]) -> Iterator[tuple[str, bytes]]:
    """The columns of a project's readable records, in the loader's order: (name, pickle)
    pairs, each pickled when asked for, so that a save holds one column's pickle at a time."""
    ids: list[str] = []
    orders: dict[tuple[str, ...], int] = {}
    order_of: list[int] = []
    values: dict[str, list[Any]] = {}
    for position, record in enumerate(records):
        ids.append(record.id)
        keys = tuple(record.data)
        order_of.append(orders.setdefault(keys, len(orders)))
        for key in keys:
            column = values.get(key)
            if column is None:
                column = values[key] = [None] * position
            column.append(record.data[key])
        for column in values.values():
            if len(column) <= position:
                column.append(None)
    yield IDS, _tree_dumps(ids)
    yield ORDERS, _tree_dumps((list(orders), order_of))
    yield STAMPS, _tree_dumps([history_stamps(value) for value in values.get("history", ())])
    while values:
        key, column = values.popitem()
        yield DATA + key, _tree_dumps(column)


# A time zone pickled by its offset and name, not through copyreg's generic path: a third of
# the time of pickling a column of dates and times.
_ZONES = {**copyreg.dispatch_table, timezone: lambda zone: (timezone, zone.__getinitargs__())}


def _tree_dumps(value: Any) -> bytes:
    """A pickle of a column, with pickle's memo: the records of a parse worker's chunk share
    their equal texts, dates and time zones (`core/shared_values.py`), so a value written once
    is referred to after, and read back once. On 10,000 deals: half the size, twice as fast
    to write, and five times as fast to read as without the memo."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _ZONES
    pickler.dump(value)
    return out.getvalue()


def rebuilt_columns(
    projects: dict[str, Project], overlays: dict[str, frozenset[str]], changed: dict[str, set[str]]
) -> dict[str, Iterable[tuple[str, bytes]] | None]:
    """The projects whose columns are built again (`overlays`, each project's files read from
    their rows, updated in place): those with none yet, and those where too many files
    changed (`changed`) since they were built; None for a project that is gone."""
    rebuilt: dict[str, Iterable[tuple[str, bytes]] | None] = {
        key: None for key in overlays if key not in projects
    }
    for key in rebuilt:
        del overlays[key]
    for key, project in projects.items():
        overlay = overlays.get(key)
        if overlay is not None:
            overlay = overlay | changed[key]
            if len(overlay) <= max(50, REBUILD_AFTER * len(project.records)):
                overlays[key] = overlay
                continue
        rebuilt[key] = column_blobs(project.records.values())
        overlays[key] = frozenset()
    return rebuilt


class ColumnSet:
    """The columns of one project as the index saved them, each decoded when first read.
    `blob` gives a column's pickle by name: all of them from one save, never from two."""

    def __init__(
        self,
        blob: Callable[[str], bytes | None],
        from_files: Callable[[str, list[str]], list[Any]] | None = None,
    ) -> None:
        self._blob = blob
        self._from_files: Callable[[str, list[str]], list[Any]] | None = None
        self._decoded: dict[str, list[Any]] = {}
        self.ids: list[str] = self._column(IDS)  # a fault here is the caller's to handle
        orders, order_of = self._column(ORDERS) or ([], [])
        self._orders = [dict.fromkeys(keys, _UNREAD) for keys in orders]
        self._order_of: list[int] = order_of
        # a field's column fetched after the index failed: its values as the files give them
        self._from_files = from_files

    def _column(self, name: str) -> list[Any]:
        column = self._decoded.get(name)
        if column is None:
            try:
                blob = self._blob(name)
                with collector_paused():
                    column = loads(blob) if blob is not None else []
            except INDEX_FAULTS:
                if name == STAMPS:
                    column = []  # none stored: the timeline reads the histories
                elif self._from_files is None:
                    raise
                else:
                    column = self._from_files(name.removeprefix(DATA), self.ids)
            self._decoded[name] = column
        return column

    def column(self, key: str) -> list[Any]:
        """A field's values, in the records' order (empty: no record has the field)."""
        return self._column(DATA + key)

    def value(self, key: str, position: int) -> Any:
        return self._column(DATA + key)[position]

    def stamps(self, position: int) -> Stamped | None:
        """The stamps of a record's history as this save derived them from its column; None
        when it did not (an index saved before they were, a history read by the workspace's
        time zone, a fault)."""
        column = self._column(STAMPS)
        return column[position] if position < len(column) else None

    def data(self, position: int) -> ColumnData:
        return ColumnData(self, position, self._orders[self._order_of[position]])


_UNREAD: Any = object()  # a value not fetched from its column yet


def filled_first(name: str) -> Callable[..., Any]:
    """The dict method `name` of a dict that fetches what it holds on demand (`fill()`),
    called once everything is fetched."""
    method = getattr(dict, name)

    def whole(self: Any, *args: Any, **kwargs: Any) -> Any:
        return method(self.fill(), *args, **kwargs)

    whole.__name__ = name
    return whole


class OnDemandDict(dict[str, Any]):
    """A dict whose values are fetched when first needed (`fill`): whatever reads them all
    (items, values, comparing, copying, printing, pickling) fetches them first."""

    __slots__ = ()

    def fill(self) -> dict[str, Any]:
        raise NotImplementedError

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self.items()),))

    def __eq__(self, other: object) -> bool:
        return dict.__eq__(self.fill(), other)

    def __ne__(self, other: object) -> bool:
        return dict.__ne__(self.fill(), other)

    __hash__ = None
    values = filled_first("values")
    items = filled_first("items")
    copy = filled_first("copy")
    popitem = filled_first("popitem")
    __repr__ = filled_first("__repr__")
    __or__ = filled_first("__or__")
    __ror__ = filled_first("__ror__")


class ColumnData(OnDemandDict):
    """One record's data: a dict with its keys, in its file's order, whose values are fetched
    from the project's columns when first read; whatever reads them all (items, values,
    comparing, copying, printing) fetches them all first."""

    __slots__ = ("_columns", "_position")

    def __init__(self, columns: ColumnSet, position: int, keys: dict[str, Any]) -> None:
        super().__init__(keys)
        self._columns = columns
        self._position = position

    def _fetch(self, key: str) -> Any:
        value = self._columns.value(key, self._position)
        dict.__setitem__(self, key, value)
        return value

    def fill(self) -> dict[str, Any]:
        for key, value in list(dict.items(self)):
            if value is _UNREAD:
                self._fetch(key)
        return self

    def history_stamps(self) -> Stamped | None:
        """Its history's stamps, stored beside the history column, while the history is the
        column's, unread (`core/history_stamps.py`): the loader may have replaced it since."""
        if dict.get(self, "history") is not _UNREAD:
            return () if "history" not in self else None
        return self._columns.stamps(self._position)

    def __getitem__(self, key: str) -> Any:
        value = dict.__getitem__(self, key)
        return self._fetch(key) if value is _UNREAD else value

    def get(self, key: str, default: Any = None) -> Any:
        value = dict.get(self, key, default)
        return self._fetch(key) if value is _UNREAD else value

    def setdefault(self, key: str, default: Any = None) -> Any:
        value = dict.setdefault(self, key, default)
        return self._fetch(key) if value is _UNREAD else value

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            self[key]  # fetched, so that what is popped is the value
        return dict.pop(self, key, *default)

    def __iter__(self) -> Iterator[str]:
        # Defined, not inherited, so that `dict(data)`, `{**data}` and `f(**data)` copy it
        # through keys() and [] instead of copying the values not fetched yet.
        return dict.__iter__(self)
