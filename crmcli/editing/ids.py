"""Record ids from names: readable ASCII slugs, `-2`, `-3`… when the id is taken.

An id is the record's file name and what references name, so it must read the same wherever
crm runs: one named transliterator, a bounded length.
"""

from __future__ import annotations

import itertools
from collections.abc import Container, Iterator

MAX_ID_LENGTH = 80


def make_id(name: str) -> str:
    """A readable ASCII id from a name: “Société Générale” → societe-generale, “Ромашка” → romashka."""
    from slugify import slugify

    # one named transliterator: the same ids wherever crm runs (and “auto” retries a missing
    # `unidecode` import on every call, 6× slower: it counts in a 100,000-row import)
    return slugify(name, max_length=MAX_ID_LENGTH, word_boundary=True, backend="text-unidecode")


def candidate_ids(base: str) -> Iterator[str]:
    """`base`, `base-2`, `base-3`…: the ids a name may get, in order."""
    yield base
    yield from (f"{base}-{suffix}" for suffix in itertools.count(2))


def free_id(base: str, taken: Container[str]) -> str:
    """`base`, or `base-2`, `base-3`… the first id not taken."""
    return next(candidate for candidate in candidate_ids(base) if candidate not in taken)
