"""How the index writes values: pickles of exactly what the loader produced (dates, decimals,
nested lists), read back admitting only plain value types, so that an index file that came
from elsewhere (committed by force, copied) cannot make unpickling run anything."""

from __future__ import annotations

import datetime
import decimal
import io
import pickle
from typing import Any

from crmcli.errors import Problem, Severity


def dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


class _Unpickler(pickle.Unpickler):
    """Pickles of plain values only: an index file that came from elsewhere (committed by
    force, copied) cannot make unpickling run anything."""

    def find_class(self, module: str, name: str) -> Any:
        found = _ALLOWED.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name}")
        return found


_ALLOWED: dict[tuple[str, str], Any] = {
    ("datetime", "date"): datetime.date,
    ("datetime", "datetime"): datetime.datetime,
    ("datetime", "time"): datetime.time,
    ("datetime", "timedelta"): datetime.timedelta,
    ("datetime", "timezone"): datetime.timezone,
    ("decimal", "Decimal"): decimal.Decimal,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("crmcli.errors", "Problem"): Problem,
    ("crmcli.errors", "Severity"): Severity,
}


def loads(blob: bytes) -> Any:
    return _Unpickler(io.BytesIO(blob)).load()


NO_PROBLEMS = pickle.dumps([], protocol=pickle.HIGHEST_PROTOCOL)
