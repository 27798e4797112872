"""Likely duplicates within a project: blocking on normalised keys, then scoring candidates.

Never all pairs: records meet only when they share a bucket (one e-mail address, one phone
number, one website, or a word of their normalised name). Inside a name bucket, rapidfuzz
scores every pair at C speed; a word shared by more than `NAME_BUCKET_LIMIT` records (“cafe”)
says nothing and is not a bucket (the whole normalised name always is), and neither is a website shared by more than
`WEBSITE_BUCKET_LIMIT` (a host such as docs.google.com, not one company).

Which fields are compared comes from the schema: every `email`, `phone` and `url` field the
reader may see, and the name. A project is person-centric when its `record_name` names a person
(Contact, Person, Lead, Personne, Контакт…): there colleagues share their company's website, so
a shared website alone scores below the default threshold. Numbers in names identify:
“Agence 12” and “Agence 13” are never alike.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import ChainMap, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from crmcli.core.collector import collector_paused
from crmcli.core.model import Project, Workspace
from crmcli.duplicates.normalise import domain_key, email_key, name_key, phone_key
from crmcli.i18n import _
from crmcli.i18n.lists import clause_list
from crmcli.index.key_tables import KeyRow  # kind (email, phone, website, name, word), field, key

DEFAULT_MIN_SCORE = 70
SAME_EMAIL, SAME_PHONE, SAME_NAME = 100, 95, 90
SAME_WEBSITE, SAME_WEBSITE_OF_PEOPLE = 80, 50
SIMILAR_NAME_RATIO = 88  # rapidfuzz ratio of the normalised names, 0..100
NAME_BUCKET_LIMIT = 1000
WEBSITE_BUCKET_LIMIT = 20
PERSON_WORDS = frozenset(
    {
        "contact", "contacts", "person", "people", "lead", "leads", "individual", "member",
        "personne", "particulier", "kontakt", "chelovek", "persona", "litso", "klient-fizlitso",
    }
)  # fmt: skip

_OF_THE_NAME = ("name", "word")  # kinds of keys compared whoever reads
MaySee = Callable[[str], bool]  # may this field of the project be compared for the reader?


@dataclass(frozen=True, slots=True)
class Reason:
    kind: str  # email, phone, website, name
    score: int
    text: str


@dataclass(frozen=True, slots=True)
class Match:
    """Two records that are likely one: `records` are PROJECT/ID, the best reason first."""

    records: tuple[str, str]
    reasons: tuple[Reason, ...]

    @property
    def score(self) -> int:
        """The best reason's score, and 5 more for each other reason (at most 100)."""
        best = max(reason.score for reason in self.reasons)
        return min(100, best + 5 * (len(self.reasons) - 1))

    @property
    def reason(self) -> str:
        return clause_list(reason.text for reason in self.reasons)

    @property
    def exact(self) -> bool:
        """Same e-mail or phone: what `crm check --duplicates` reports."""
        return any(reason.kind in ("email", "phone") for reason in self.reasons)


Bucket = tuple[str, str]  # kind (email, phone, website, name, word), normalised key


class Keys(NamedTuple):
    """What one record is compared on: its normalised name, and the buckets it is in (two
    records share an e-mail, a phone or a website when they share its bucket). A tuple:
    20,000 of them are made from the stored keys by `crm duplicates`."""

    name: str
    buckets: frozenset[Bucket]


@dataclass(frozen=True, slots=True)
class Others:
    """Records kept out of a finder (the index keeps their keys) that a new record meets: their
    ids in each of its buckets, and the keys of those it is compared with (a bucket too large
    to say anything needs none)."""

    buckets: Mapping[Bucket, list[str]]
    keys: Mapping[str, Keys]


def is_person_centric(project: Project) -> bool:
    return any(word in PERSON_WORDS for word in name_key(project.record_name).split())


class DuplicateFinder:
    """The buckets of one project's records; `pairs()` for the project, `matches()` for a new one."""

    def __init__(self, workspace: Workspace, project: Project, may_see: MaySee) -> None:
        self.project = project
        self.region = workspace.config.phone_region
        self.may_see = functools.cache(may_see)  # asked for every key of every record
        self.fields = {
            kind: [f for f in project.fields.values() if f.type == kind]
            for kind in ("email", "phone", "url")
        }
        self.person_centric = is_person_centric(project)
        self.keys: dict[str, Keys] = {}
        self.buckets: dict[tuple[str, str], list[str]] = defaultdict(list)

    def key_rows(self, data: Mapping[str, Any]) -> list[KeyRow]:
        """Every key of a record, whoever reads it: (kind, field, key), as the index keeps them."""
        found: list[KeyRow] = []
        for kind, normalise in (("email", email_key), ("website", domain_key)):
            for definition in self.fields["url" if kind == "website" else kind]:
                value = data.get(definition.key)
                for item in value if isinstance(value, list) else [value]:
                    key = normalise(item)
                    if key:
                        found.append((kind, definition.key, key))
        for definition in self.fields["phone"]:
            key = phone_key(data.get(definition.key), definition.phone_region or self.region)
            if key:
                found.append(("phone", definition.key, key))
        name = name_key(data.get("name"))
        if name:
            found.append(("name", "name", name))
            found.extend(("word", "name", word) for word in _words(name))
        return found

    def compared(self, kind: str, field: str) -> bool:
        """Whether a key of this field is compared for the reader (the name always is)."""
        return kind in _OF_THE_NAME or self.may_see(field)

    def keys_from(self, rows: Iterable[KeyRow]) -> Keys:
        """What a record is compared on, from its keys, as the reader may see them."""
        buckets = frozenset(
            (kind, key) for kind, field, key in rows if kind in _OF_THE_NAME or self.may_see(field)
        )
        return Keys(next((key for kind, key in buckets if kind == "name"), ""), buckets)

    def keys_of(self, data: Mapping[str, Any]) -> Keys:
        return self.keys_from(self.key_rows(data))

    def add(self, record_id: str, data: Mapping[str, Any]) -> None:
        self.add_keys(record_id, self.keys_of(data))

    def add_keys(self, record_id: str, keys: Keys) -> None:
        self.keys[record_id] = keys
        for bucket in keys.buckets:
            self.buckets[bucket].append(record_id)

    def add_all(self) -> DuplicateFinder:
        with collector_paused():  # every record's keys, no cycle among them
            for record_id, record in self.project.records.items():
                self.add(record_id, record.data)
        return self

    def pairs(
        self, min_score: int = DEFAULT_MIN_SCORE, kinds: Collection[str] | None = None
    ) -> list[Match]:
        """Every likely duplicate pair of the project, best first; a pair met in several
        buckets is scored once. `kinds`: only the pairs sharing a bucket of these kinds."""
        candidates: set[tuple[str, str]] = set()
        for (kind, _key), ids in self.buckets.items():
            if len(ids) < 2 or (kinds is not None and kind not in kinds):
                continue
            if kind == "word":
                candidates.update(_similar_names(ids, self.keys))
            elif kind != "website" or len(ids) <= WEBSITE_BUCKET_LIMIT:
                candidates.update(_ordered(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :])
        found = [self._match(a, b) for a, b in candidates]
        return _best_first(m for m in found if m is not None and m.score >= min_score)

    def matches(
        self,
        data: Mapping[str, Any],
        label: str,
        min_score: int = DEFAULT_MIN_SCORE,
        others: Others | None = None,
    ) -> list[Match]:
        """The project's records that a new record (`label`, not added) likely duplicates,
        best first; the other record is the second of each match. `others`: records of the
        project not in the finder, met in the new record's buckets."""
        keys = self.keys_of(data)
        known = self.keys if others is None else ChainMap(self.keys, others.keys)
        candidates: set[str] = set()
        for bucket in keys.buckets:
            ids = self.buckets.get(bucket, [])
            if others is not None:
                ids = ids + others.buckets.get(bucket, [])
            if bucket[0] == "word":
                if len(ids) <= NAME_BUCKET_LIMIT:
                    candidates.update(_alike(keys.name, ids, known))
            elif bucket[0] != "website" or len(ids) <= WEBSITE_BUCKET_LIMIT:
                candidates.update(ids)
        found = []
        for other in candidates - {label.partition("/")[2]}:
            reasons = self._reasons(keys, known[other])
            if reasons:
                found.append(Match((label, f"{self.project.key}/{other}"), reasons))
        return _best_first(m for m in found if m.score >= min_score)

    def _match(self, first: str, second: str) -> Match | None:
        reasons = self._reasons(self.keys[first], self.keys[second])
        if not reasons:
            return None
        project = self.project.key
        return Match((f"{project}/{first}", f"{project}/{second}"), reasons)

    def _reasons(self, first: Keys, second: Keys) -> tuple[Reason, ...]:
        """Why two records are likely one, the best reason first (none: they are not)."""
        reasons = []
        for kind, value in sorted(first.buckets & second.buckets):  # by kind, then value
            score, text = self._shared(kind)
            if text:
                reasons.append(Reason(kind, score, text.format(value=value)))
        name = _name_reason(first.name, second.name)
        if name is not None:
            reasons.append(name)
        reasons.sort(key=lambda reason: -reason.score)
        return tuple(reasons)

    def _shared(self, kind: str) -> tuple[int, str]:
        """The score and reason of a key two records share ("" for the name and its words:
        names are compared by `_name_reason`)."""
        if kind == "email":
            return SAME_EMAIL, _("same e-mail address {value}")
        if kind == "phone":
            return SAME_PHONE, _("same phone number {value}")
        if kind == "website":
            return (
                SAME_WEBSITE_OF_PEOPLE if self.person_centric else SAME_WEBSITE,
                _("same website {value}"),
            )
        return 0, ""


def _name_reason(first: str, second: str) -> Reason | None:
    """The same or similar names; “Agence 12” and “Agence 13” are two agencies, however alike."""
    if not first or not second:
        return None
    if first == second:
        return Reason("name", SAME_NAME, _("same name once normalised"))
    from rapidfuzz.fuzz import ratio

    similarity = ratio(first, second, score_cutoff=SIMILAR_NAME_RATIO)
    if not similarity or _NUMBERS.findall(first) != _NUMBERS.findall(second):
        return None
    return Reason(
        "name",
        round(similarity) - 10,
        _("similar names ({similarity}% alike)").format(similarity=round(similarity)),
    )


_NUMBERS = re.compile(r"\d+")


def bucket_limit(kind: str) -> int | None:
    """How many records a bucket of this kind may hold and still say something."""
    return {"word": NAME_BUCKET_LIMIT, "website": WEBSITE_BUCKET_LIMIT}.get(kind)


def _words(name: str) -> list[str]:
    """The words of a normalised name that are buckets."""
    words = name.split()
    return [word for word in words if len(word) >= 3 or len(words) == 1]


def _similar_names(ids: list[str], keys: Mapping[str, Keys]) -> list[tuple[str, str]]:
    """The pairs of one name bucket whose names are alike, scored by rapidfuzz in C.

    Names alike are of near lengths (a ratio of 88 needs the shorter name to be 88/112 of
    the longer at least), so the names are sorted by length and those of one length are
    compared with the lengths they can be alike with only: a third of the bucket's pairs
    (20,000 clients). The queries and the names they are compared with are two lists, so
    that rapidfuzz compares many at once, and the matrix is of bytes, only tested against
    zero: `_reasons` scores the pairs kept."""
    if len(ids) > NAME_BUCKET_LIMIT:
        return []
    named = sorted(((keys[i].name, i) for i in ids), key=lambda item: len(item[0]))
    lengths = [len(name) for name, _id in named]
    found: list[tuple[str, str]] = []
    start = 0
    while start < len(named):
        end = bisect.bisect_right(lengths, lengths[start])
        reach = bisect.bisect_right(lengths, _longest_alike(lengths[start]))
        if reach - start > 1:
            found.extend(_alike_pairs(named[start:end], named[start:reach]))
        start = end
    return found


def _longest_alike(length: int) -> int:
    """The longest name whose ratio with a name of `length` may reach SIMILAR_NAME_RATIO:
    the ratio is at most 2 × shorter / (shorter + longer)."""
    return length * (200 - SIMILAR_NAME_RATIO) // SIMILAR_NAME_RATIO


def _alike_pairs(
    queries: list[tuple[str, str]], names: list[tuple[str, str]]
) -> Iterator[tuple[str, str]]:
    """The pairs (i < j) of `queries` × `names`, both (name, id) and `queries` the first of
    `names`, whose names are alike."""
    import numpy
    from rapidfuzz.fuzz import ratio
    from rapidfuzz.process import cdist

    scores = cdist(
        [name for name, _id in queries],
        [name for name, _id in names],
        scorer=ratio,
        score_cutoff=SIMILAR_NAME_RATIO,
        dtype=numpy.uint8,
    )
    rows, columns = scores.nonzero()
    above = rows < columns
    for row, column in zip(rows[above].tolist(), columns[above].tolist(), strict=True):
        yield _ordered(queries[row][1], names[column][1])


def _alike(name: str, ids: list[str], keys: Mapping[str, Keys]) -> list[str]:
    """The records of one name bucket whose names are like `name`, scored by rapidfuzz in C."""
    from rapidfuzz.fuzz import ratio
    from rapidfuzz.process import extract

    names = [keys[i].name for i in ids]
    found = extract(name, names, scorer=ratio, score_cutoff=SIMILAR_NAME_RATIO, limit=None)
    return [ids[index] for _name, _score, index in found]


def _ordered(first: str, second: str) -> tuple[str, str]:
    return (first, second) if first < second else (second, first)


def _best_first(matches: Iterable[Match]) -> list[Match]:
    return sorted(matches, key=lambda m: (-m.score, m.records))


def project_duplicates(
    workspace: Workspace, project: Project, may_see: MaySee, min_score: int = DEFAULT_MIN_SCORE
) -> list[Match]:
    """The likely duplicate pairs of a project, as the reader may compare them."""
    return DuplicateFinder(workspace, project, may_see).add_all().pairs(min_score)
