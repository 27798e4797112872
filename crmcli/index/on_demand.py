"""What the index serves only when something reads it: computed values, and columns.

`crm list opportunities --where "amount > 49000"` reads a stored field of a hundred thousand
records and no computed one: fetching and unpickling every record's computed values cost it
a quarter of its time. So a served record's `computed` is a `PendingComputed`: an empty dict
until first read, then filled from its project's `StoredComputed`, which fetches the whole
project's values in one query the first time any record needs them.

Columns are fetched the same way, one by one (`ServedSave.column`): a list reads a few
fields of a project that has thirty. A fetch is later than the rest of the serving, so it checks that the index still holds the
state it served from (another command may have saved since); if not, or if the index fails,
the values come from the workspace read from its files, as for any fault while serving.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from crmcli.index.columns import OnDemandDict, filled_first
from crmcli.index.pickles import loads
from crmcli.index.store import INDEX_FAULTS, IndexStore

T = TypeVar("T")


class IndexMovedError(ValueError):
    """The index was saved again since this run started serving from it."""


class ServedSave:
    """The save a run serves from: what it fetches after it started serving must come from
    that same save (`IndexMovedError` otherwise, one of the index's faults)."""

    def __init__(self, store: IndexStore, state: Callable[[], str]) -> None:
        self.store = store
        self._state = state  # this run's own save moves it on

    def fetch(self, query: Callable[[], T]) -> T:
        with self.store.snapshot():
            if self.store.meta("state") != self._state():
                raise IndexMovedError(self._state())
            return query()

    def column(self, project_key: str) -> Callable[[str], bytes | None]:
        """A project's columns by name, each fetched when first read."""
        return lambda name: self.fetch(lambda: self.store.column(project_key, name))


class StoredComputed:
    """The computed values of one project's records, as the save this run serves kept them."""

    def __init__(
        self,
        served: ServedSave,
        project_key: str,
        from_files: Callable[[str], dict[str, Any]],
    ) -> None:
        self._served = served
        self._project_key = project_key
        self._from_files = from_files  # record id → its values, computed from the files
        self._blobs: dict[str, bytes | None] | None = None
        self._failed = False

    def of(self, record_id: str) -> dict[str, Any]:
        if not self._failed:
            try:
                blob = self._fetched().get(record_id)
                return loads(blob) if blob is not None else {}
            except INDEX_FAULTS:
                self._failed = True
        return self._from_files(record_id)

    def _fetched(self) -> dict[str, bytes | None]:
        if self._blobs is None:
            store, key = self._served.store, self._project_key
            rows = self._served.fetch(lambda: store.computed_rows(key))
            self._blobs = {record_id: blob for _path, record_id, blob in rows}
        return self._blobs


class PendingComputed(OnDemandDict):
    """A served record's computed values: fetched from its project's `StoredComputed` the
    first time anything reads or writes them."""

    __slots__ = ("_record_id", "_source")

    def __init__(self, source: StoredComputed, record_id: str) -> None:
        super().__init__()
        self._source: StoredComputed | None = source
        self._record_id = record_id

    def fill(self) -> dict[str, Any]:
        source = self._source
        if source is not None:
            self._source = None
            dict.update(self, source.of(self._record_id))
        return self

    def __iter__(self) -> Iterator[str]:
        # Defined, so that `dict(values)` and `{**values}` copy through keys(), filled.
        return dict.__iter__(self.fill())

    __getitem__ = filled_first("__getitem__")
    __setitem__ = filled_first("__setitem__")
    __delitem__ = filled_first("__delitem__")
    __contains__ = filled_first("__contains__")
    __len__ = filled_first("__len__")
    __ior__ = filled_first("__ior__")
    get = filled_first("get")
    keys = filled_first("keys")
    pop = filled_first("pop")
    setdefault = filled_first("setdefault")
    update = filled_first("update")
    clear = filled_first("clear")
