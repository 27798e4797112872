"""Shared pieces of the workspace generators: a fast YAML record writer and the sales model.

The record writer formats record files by hand (no YAML dumper) in the style people write them:
block mappings, short flow lists for tags and history entries, plain scalars where YAML reads
them back as the same string, double quotes otherwise.

The sales model simulates how a deal travels through the pipeline (stage by stage, on working
days, Paris time) and derives the records that follow from won deals: delivery projects and
invoices.
"""

from __future__ import annotations

import json
import math
import random
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import yaml
from slugify import slugify

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)
FIRST_DAY = date(2025, 5, 1)
LAST_DAY = date(2026, 11, 15)
MANAGER = "alice"  # moves some deals herself and does the invoicing

OPEN_STAGES = (
    "Unqualified",
    "Qualification",
    "Proposal writing",
    "Proposal sent",
    "Negotiations",
    "Contract pending signature",
)
MAX_DAYS = {  # as in opportunities/_project.yaml; Unqualified's only paces the simulation
    "Unqualified": 10,
    "Qualification": 21,
    "Proposal writing": 14,
    "Proposal sent": 14,
    "Negotiations": 21,
    "Contract pending signature": 10,
}
SOURCES = ("Referral", "Website", "Cold call", "Trade show", "LinkedIn")
LOST_REASONS = ("Price", "Timing", "Competitor", "No budget", "No response")
MAX_HISTORY = 6
Record = dict[str, Any]
RecordsByProject = dict[str, list[Record]]  # records by project folder

# --------------------------------------------------------------------------- YAML writing

_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@` ")
_FLOW_UNSAFE = frozenset(":,[]{}")
_NUMERIC_START = frozenset("0123456789+-.")
_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers
_RESERVED = frozenset({"y", "n", "yes", "no", "on", "off"})  # booleans to some YAML readers


@lru_cache(maxsize=65536)
def quote(text: str, flow: bool = False) -> str:
    """Return `text` as a YAML scalar: plain when that reads back as the same string."""
    plain = (
        text.isprintable()
        and text[:1] not in _INDICATORS
        and text[-1:] not in " :"
        and ": " not in text
        and " #" not in text
        and not (flow and _FLOW_UNSAFE.intersection(text))
        and text.lower() not in _RESERVED
        and not (text[0] in _NUMERIC_START and " " not in text)  # YAML 1.2 numbers, dates
        and not any(regexp.match(text) for _, regexp in _RESOLVERS.get(text[:1], ()))
    )
    return text if plain else json.dumps(text, ensure_ascii=False)  # JSON string = YAML "..."


def scalar(value: Any, flow: bool = False) -> str:
    """Format one scalar value (str, bool, number, date, datetime)."""
    if isinstance(value, str):
        return quote(value, flow)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return str(value)
    raise TypeError(f"cannot format {value!r}")


def flow_map(entry: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {scalar(v, flow=True)}" for k, v in entry.items()) + "}"


def dump_record(record: dict[str, Any]) -> str:
    """Format a record in key order; None and empty lists are left out."""
    lines: list[str] = []
    for key, value in record.items():
        if value is None or value == []:
            continue
        if isinstance(value, list) and isinstance(value[0], dict):
            lines.append(f"{key}:")
            lines.extend(f"  - {flow_map(entry)}" for entry in value)
        elif isinstance(value, list):
            lines.append(f"{key}: [{', '.join(scalar(v, flow=True) for v in value)}]")
        elif isinstance(value, str) and "\n" in value:
            indicator = "|" if value.endswith("\n") and not value.endswith("\n\n") else "|-"
            lines.append(f"{key}: {indicator}")
            lines.extend(f"  {line}" if line else "" for line in value.rstrip("\n").split("\n"))
        else:
            lines.append(f"{key}: {scalar(value)}")
    return "\n".join(lines) + "\n"


@cache
def _word_slug(word: str) -> str:
    return slugify(word)


def fast_slug(text: str) -> str:
    """slugify(text), computed word by word through a cache: same result, far faster when
    names share words (slugify takes ~80 µs on any non-ASCII text)."""
    return "-".join(slug for slug in map(_word_slug, text.split()) if slug)


def unique_slug(name: str, taken: set[str]) -> str | None:
    """The record id for `name`, or None when another record already has it."""
    slug = fast_slug(name)
    if not slug or slug in taken:
        return None
    taken.add(slug)
    return slug


# --------------------------------------------------------------------------- time


def moment(rng: random.Random, day: date) -> datetime:
    """A moment during office hours on `day`, moved to Monday when `day` is a weekend day."""
    if day.weekday() >= 5:
        day += timedelta(days=7 - day.weekday())
    minutes = rng.randint(8 * 60 + 30, 18 * 60 + 45)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=PARIS)


def created_day(rng: random.Random) -> date:
    """A creation day in the sales period; a growing agency gets more leads later on."""
    span = (LAST_DAY - FIRST_DAY).days
    share = rng.random() if rng.random() < 0.5 else math.sqrt(rng.random())
    return FIRST_DAY + timedelta(days=round(share * span))


def entry(stage: str, at: datetime, by: str) -> dict[str, Any]:
    return {"list": stage, "at": at, "by": by}


# --------------------------------------------------------------------------- deals


@dataclass(frozen=True)
class Service:
    label: str
    tags: tuple[str, ...]
    low: int
    high: int


SERVICES = (
    Service("Site web", ("website",), 4000, 25000),
    Service("Refonte du site", ("website",), 6000, 40000),
    Service("Site e-commerce", ("website", "seo"), 12000, 80000),
    Service("Site vitrine et SEO", ("website", "seo"), 5000, 18000),
    Service("Identité visuelle", ("branding",), 3000, 20000),
    Service("Refonte du logo", ("branding",), 1500, 6000),
    Service("Charte graphique", ("branding",), 2500, 12000),
    Service("Audit SEO", ("seo",), 1500, 6000),
    Service("Référencement local", ("seo",), 1500, 8000),
    Service("Campagne SEO", ("seo",), 3000, 15000),
    Service("Gestion Facebook", ("facebook-management",), 2000, 12000),
    Service("Community management", ("facebook-management",), 2400, 18000),
    Service("Lancement de marque", ("branding", "website", "facebook-management"), 15000, 70000),
    Service("Refonte : phase 2", ("website",), 3000, 20000),
)
DESCRIPTIONS = {
    "website": (
        "Site bilingue FR/EN sous WordPress, une douzaine de pages.",
        "Refonte complète : maquettes, intégration, migration des contenus.",
        "Le client veut pouvoir modifier ses pages lui-même.",
        "Hébergement et maintenance à chiffrer en option.",
    ),
    "branding": (
        "Logo, palette et typographies ; déclinaisons papeterie.",
        "Trois pistes créatives demandées avant le comité de direction.",
        "Nouvelle identité pour les 20 ans de l'entreprise.",
    ),
    "seo": (
        "Audit technique puis plan de contenus sur six mois.",
        "Objectif : première page sur les requêtes locales.",
        "Suivi mensuel des positions avec rapport au client.",
    ),
    "facebook-management": (
        "Trois publications par semaine et modération des commentaires.",
        "Budget publicitaire géré par le client, à part.",
        "Contrat annuel, reconduction tacite.",
    ),
}
SIZE_FACTOR = {"Small": 0.6, "Medium": 1.0, "Large": 1.5, "Enterprise": 2.2}
CONFIDENCE = {
    "Unqualified": (1, 2),
    "Qualification": (1, 3),
    "Proposal writing": (2, 3),
    "Proposal sent": (2, 4),
    "Negotiations": (3, 5),
    "Contract pending signature": (4, 5),
    "Won": (4, 5),
    "Lost": (1, 3),
    "N/A": (1, 2),
}


def client_size(employees: int) -> str:
    if employees < 20:
        return "Small"
    if employees < 250:
        return "Medium"
    return "Large" if employees < 1000 else "Enterprise"


def deal_path(rng: random.Random) -> list[str]:
    """The stages a deal will go through if nothing stops it, ending with its outcome."""
    fate = rng.choices(("Won", "Lost", "N/A"), weights=(40, 47, 13))[0]
    start = 0 if rng.random() < 0.65 else 1
    if fate == "Won":
        last = 5
    elif fate == "Lost":
        last = rng.choices(range(1, 6), weights=(20, 8, 35, 27, 10))[0]
    else:
        last = min(start + rng.randint(0, 1), 1)
    path = list(OPEN_STAGES[min(start, last) : last + 1])
    while len(path) + 1 > MAX_HISTORY:  # small deals skip a stage
        path.remove(rng.choice(("Proposal writing", "Negotiations")))
    return [*path, fate]


def dwell_days(rng: random.Random, stage: str) -> int:
    """How long a deal stays in a stage; now and then far longer than it should."""
    limit = MAX_DAYS[stage]
    if rng.random() < 0.12:
        return rng.randint(limit + 3, limit + 45)
    return rng.randint(1, limit)


def simulate_history(rng: random.Random, created: datetime, assignee: str) -> list[dict[str, Any]]:
    """Walk a deal along its path from `created` and stop where it stands today."""
    history: list[dict[str, Any]] = []
    at = created
    for stage in deal_path(rng):
        by = assignee if rng.random() < 0.8 else MANAGER
        history.append(entry(stage, at, by))
        if stage not in MAX_DAYS:
            break
        at = moment(rng, at.date() + timedelta(days=dwell_days(rng, stage)))
        if at > NOW:
            break
    return history


def deal_amount(rng: random.Random, service: Service, size: str) -> int:
    raw = math.exp(rng.uniform(math.log(service.low), math.log(service.high)))
    amount = min(80000, max(1500, raw * SIZE_FACTOR[size]))
    step = 100 if amount < 10000 else 500
    return int(round(amount / step) * step)


@dataclass(frozen=True)
class DealSeed:
    """What a deal is about, before its fields are drawn."""

    id: str
    name: str
    client: dict[str, Any]
    service: Service
    assignee: str


def deal_record(
    rng: random.Random, seed: DealSeed, history: list[dict[str, Any]]
) -> dict[str, Any]:
    """An opportunity record with every field its stage calls for, in file key order.

    `files_received` and `contracts` are left empty for the caller, who writes the files.
    """
    stage = history[-1]["list"]
    last_at: datetime = history[-1]["at"]
    is_open = stage in MAX_DAYS
    client = seed.client
    amount = deal_amount(rng, seed.service, client_size(client["employees"]))
    reached = {e["list"] for e in history}
    close = last_at.date() + timedelta(days=rng.randint(14, 75)) if is_open else last_at.date()
    due = TODAY + timedelta(days=rng.randint(-6, 14)) if is_open and rng.random() < 0.5 else None
    tags = [t for t in seed.service.tags if rng.random() < 0.8] or [seed.service.tags[0]]
    description = rng.choice(DESCRIPTIONS[tags[0]]) if rng.random() < 0.3 else None
    return {
        "name": seed.name,
        "list": stage,
        "tags": tags,
        "assignee": seed.assignee,
        "due": due,
        "client": client["id"],
        "amount": amount,
        "cost": int(amount * rng.uniform(0.41, 0.74)) // 10 * 10,
        "confidence": rng.randint(*CONFIDENCE[stage]),
        "close_date": close,
        "source": client["source"] if rng.random() < 0.7 else rng.choice(SOURCES),
        "client_size": client_size(client["employees"]),
        "proposal": (
            f"https://docs.atelier.example/propositions/{seed.id}.pdf"
            if "Proposal sent" in reached
            else None
        ),
        "lost_reason": rng.choice(LOST_REASONS) if stage == "Lost" else None,
        "files_received": None,
        "contracts": None,
        "description": description,
        "created": history[0]["at"],
        "updated": touched(rng, last_at, is_open),
        "history": history,
    }


def touched(rng: random.Random, last_at: datetime, still_active: bool) -> datetime:
    """When a record was last saved: its last move, or a later edit while it is active."""
    if not still_active or rng.random() < 0.5:
        return last_at
    later = moment(rng, last_at.date() + timedelta(days=rng.randint(1, 10)))
    return later if later <= NOW else last_at


def won_at(deal: dict[str, Any]) -> datetime:
    return deal["history"][-1]["at"]


def client_history(
    rng: random.Random, created: datetime, assignee: str, deals: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Prospect until the first won deal; past client after a long quiet spell."""
    history = [entry("Prospects", created, assignee)]
    won = sorted(won_at(d) for d in deals if d["list"] == "Won")
    if not won:
        return history
    history.append(entry("Active clients", max(won[0], created), assignee))
    last_activity = max(d["history"][-1]["at"] for d in deals)
    quiet_since = moment(rng, last_activity.date() + timedelta(days=120))
    if all(d["list"] not in MAX_DAYS for d in deals) and quiet_since < NOW - timedelta(days=90):
        history.append(entry("Past clients", quiet_since, MANAGER))
    return history


# --------------------------------------------------------------------------- delivery, invoices


def delivery_record(rng: random.Random, deal: dict[str, Any]) -> dict[str, Any] | None:
    """The delivery project of a won deal, or None when it has not started yet."""
    kickoff = moment(rng, won_at(deal).date() + timedelta(days=rng.randint(1, 6)))
    if kickoff > NOW:
        return None
    start = moment(rng, kickoff.date() + timedelta(days=rng.randint(3, 10))).date()
    duration = min(150, 20 + deal["amount"] * 25 // 10000)
    deadline = start + timedelta(days=duration)
    steps = [
        ("In progress", start),
        ("Client review", deadline - timedelta(days=max(5, duration // 7))),
        ("Delivered", deadline + timedelta(days=rng.randint(-3, 12))),
    ]
    history = [entry("Kickoff", kickoff, deal["assignee"])]
    for stage, day in steps:
        at = moment(rng, day)
        if at > NOW or at <= history[-1]["at"]:
            break
        history.append(entry(stage, at, deal["assignee"]))
    estimated = max(10, round(deal["cost"] / 55 / 5) * 5)
    progress = min(1.0, max(0.0, (TODAY - start).days / duration))
    spent = 0 if history[-1]["list"] == "Kickoff" else estimated * progress
    if history[-1]["list"] == "Delivered":
        spent = estimated * rng.uniform(0.8, 1.35)
    return {
        "name": deal["name"],
        "list": history[-1]["list"],
        "assignee": deal["assignee"],
        "opportunity": deal["id"],
        "start": start,
        "deadline": deadline,
        "hours_estimated": estimated,
        "hours_spent": round(spent),
        "created": kickoff,
        "updated": touched(rng, history[-1]["at"], history[-1]["list"] != "Delivered"),
        "history": history,
    }


@dataclass
class PlannedInvoice:
    deal: dict[str, Any]
    amount: int
    issued_on: date


def plan_invoices(rng: random.Random, deal: dict[str, Any]) -> list[PlannedInvoice]:
    """A deposit and a balance (one invoice for small deals); only those issued by today."""
    amount: int = deal["amount"]
    first = won_at(deal).date() + timedelta(days=rng.randint(1, 7))
    if amount < 5000:
        parts = [(amount, first)]
    else:
        deposit = int(amount * rng.choice((0.3, 0.4, 0.5)))
        balance_day = first + timedelta(days=min(150, 20 + amount * 25 // 10000))
        parts = [(deposit, first), (amount - deposit, balance_day)]
    return [PlannedInvoice(deal, a, day) for a, day in parts if day <= TODAY + timedelta(days=2)]


def invoice_records(rng: random.Random, planned: Iterable[PlannedInvoice]) -> list[dict[str, Any]]:
    """Number the invoices per year in issue order and give each its payment status."""
    records: list[dict[str, Any]] = []
    per_year: dict[int, int] = {}
    for plan in sorted(planned, key=lambda p: (p.issued_on, p.deal["id"])):
        year = plan.issued_on.year
        per_year[year] = per_year.get(year, 0) + 1
        number = f"FA-{year}-{per_year[year]:03d}"
        history, paid_on = invoice_history(rng, plan.issued_on)
        records.append(
            {
                "name": number,
                "list": history[-1]["list"],
                "assignee": MANAGER,
                "opportunity": plan.deal["id"],
                "amount": plan.amount,
                "issued_on": plan.issued_on,
                "paid_on": paid_on,
                "number": number,
                "created": history[0]["at"],
                "updated": history[-1]["at"],
                "history": history,
            }
        )
    return records


def invoice_history(
    rng: random.Random, issued_on: date
) -> tuple[list[dict[str, Any]], date | None]:
    """Draft, sent, then paid, or overdue a month after issue; and the payment day."""
    drafted = moment(rng, issued_on - timedelta(days=rng.randint(0, 2)))
    drafted = min(drafted, NOW - timedelta(hours=1))
    history = [entry("Draft", drafted, MANAGER)]
    if issued_on >= TODAY - timedelta(days=2):
        return history, None
    sent = max(moment(rng, issued_on), drafted + timedelta(minutes=5))
    history.append(entry("Sent", sent, MANAGER))
    delay = rng.randint(5, 55)
    paid_on = issued_on + timedelta(days=delay)
    paid_at = max(moment(rng, paid_on), sent + timedelta(minutes=5))
    if rng.random() > 0.08 and paid_at <= NOW:
        history.append(entry("Paid", paid_at, MANAGER))
        return history, paid_at.date()
    overdue_at = moment(rng, issued_on + timedelta(days=31))
    if overdue_at <= NOW:
        history.append(entry("Overdue", overdue_at, MANAGER))
    return history, None


# --------------------------------------------------------------------------- contacts, files

LANDLINE_PREFIX = {  # ARCEP numbers reserved for fiction: valid, and nobody's
    "Paris": "01 99 00",
    "Lyon": "04 65 71",
    "Marseille": "04 65 71",
    "Bordeaux": "05 36 49",
    "Lille": "03 53 01",
    "Nantes": "02 61 91",
}


def french_phone(rng: random.Random, city: str, region: str) -> str:
    """A valid French landline, in national format or (one in four) E.164."""
    prefix = LANDLINE_PREFIX.get(city) or LANDLINE_PREFIX[region]
    number = f"{prefix} {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"
    return "+33 " + number[1:] if rng.random() < 0.25 else number


def russian_phone(rng: random.Random, city: str) -> str:
    area = "812" if city == "Санкт-Петербург" else "495"
    return f"+7 {area} {rng.randint(200, 999)}-{rng.randint(0, 99):02d}-{rng.randint(0, 99):02d}"


def tiny_pdf(title: str) -> bytes:
    """A one-page PDF (a few hundred bytes) showing `title`, with a correct xref table."""
    text = title.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    content = b"BT /F1 14 Tf 72 770 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


# --------------------------------------------------------------------------- workspace

# The members of crm.yaml: who owns which region, who sells, who is away (since, stand-in).
REGION_OWNERS = {
    "Paris": ("alice", "olga"),
    "Lyon": ("bruno",),
    "Marseille": ("karim",),
    "Bordeaux": ("camille",),
    "International": ("olga",),
}
SELLERS = ("bruno", "olga", "karim")
AWAY = {"camille": (date(2026, 9, 15), "bruno")}


def owner_of(rng: random.Random, client: dict[str, Any], created: datetime) -> str:
    """Mostly the client's owner, sometimes another seller; never someone on leave."""
    owner: str = client["assignee"] if rng.random() < 0.8 else rng.choice(SELLERS)
    if owner in AWAY and created.date() >= AWAY[owner][0]:
        return AWAY[owner][1]
    return owner


def attach_files(
    rng: random.Random, deals: list[dict[str, Any]], briefs: float, contracts: float
) -> dict[str, bytes]:
    """Client briefs on a share of deals past qualification, signed contracts on a share of
    won deals; returns the PDFs by path."""
    files: dict[str, bytes] = {}
    for deal in deals:
        reached = {e["list"] for e in deal["history"]}
        if "Proposal writing" in reached and rng.random() < briefs:
            path = f"files/briefs/{deal['id']}.pdf"
            files[path] = tiny_pdf(f"Brief - {deal['id']}")
            deal["files_received"] = [path]
        if deal["list"] == "Won" and rng.random() < contracts:
            path = f"files/contracts/{deal['id']}.pdf"
            files[path] = tiny_pdf(f"Contrat signe - {deal['id']}")
            deal["contracts"] = [path]
    return files


def finish_client(rng: random.Random, client: dict[str, Any], deals: list[dict[str, Any]]) -> None:
    """Set the client's list, dates and history from its deals."""
    first = min((d["created"] for d in deals), default=moment(rng, created_day(rng)))
    created = min(first, moment(rng, first.date() - timedelta(days=rng.randint(1, 20))))
    history = client_history(rng, created, client["assignee"], deals)
    client["list"] = history[-1]["list"]
    client["created"] = created
    client["updated"] = touched(rng, history[-1]["at"], still_active=True)
    client["history"] = history


def cover_for_away(record: dict[str, Any]) -> dict[str, Any]:
    """Hand a record that starts while its assignee is on leave to the stand-in."""
    owner = record["assignee"]
    if owner in AWAY and record["created"].date() >= AWAY[owner][0]:
        stand_in = AWAY[owner][1]
        record["assignee"] = stand_in
        for step in record["history"]:
            step["by"] = stand_in
    return record


def make_deliveries(
    rng: random.Random, deals: list[dict[str, Any]], count: int
) -> list[dict[str, Any]]:
    """Delivery projects for the latest won deals (every one of them in the sample)."""
    won = sorted((d for d in deals if d["list"] == "Won"), key=won_at, reverse=True)
    stride = max(1, len(won) // (2 * count))  # a big workspace: spread over the latest half
    records: list[dict[str, Any]] = []
    for deal in won[::stride]:
        record = delivery_record(rng, deal)
        if record is not None:
            records.append({"id": deal["id"], **cover_for_away(record)})
        if len(records) == count:
            break
    return records


def make_invoices(
    rng: random.Random, deals: list[dict[str, Any]], count: int
) -> list[dict[str, Any]]:
    """About `count` invoices for won deals, numbered FA-YYYY-NNN in issue order."""
    won = [d for d in deals if d["list"] == "Won"]
    planned: list[PlannedInvoice] = []
    for deal in rng.sample(won, len(won)):
        if len(planned) >= count:
            break
        planned.extend(plan_invoices(rng, deal))
    return [{"id": slugify(r["name"]), **r} for r in invoice_records(rng, planned)]


def check_phones(clients: list[dict[str, Any]]) -> None:
    for client in clients:
        number = phonenumbers.parse(client["phone"], "FR")
        if not phonenumbers.is_valid_number(number):
            raise SystemExit(f"{client['id']}: invalid phone number {client['phone']!r}")


def record_text(record: dict[str, Any], verify: bool) -> str:
    """The file text of a record (its "id" is the file name), optionally checked to read
    back as the same data."""
    fields = {k: v for k, v in record.items() if k != "id"}
    text = dump_record(fields)
    if verify and yaml.safe_load(text) != {k: v for k, v in fields.items() if v not in (None, [])}:
        raise SystemExit(f"{record['id']}: YAML does not read back as written:\n{text}")
    return text


def prepare(out: Path) -> None:
    """Empty `out`, refusing to touch a non-empty folder that is not a workspace."""
    if out.exists():
        if any(out.iterdir()) and not (out / "crm.yaml").exists():
            raise SystemExit(f"{out} is not empty and has no crm.yaml; not overwriting it")
        shutil.rmtree(out)
    out.mkdir(parents=True)


def write(
    out: Path,
    static: dict[str, str],
    projects: RecordsByProject,
    files: dict[str, bytes],
    verify: bool,
) -> None:
    """Write a workspace: schema and other static files, records, attached files."""
    prepare(out)
    for rel, text in static.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text, encoding="utf-8")
    for project, records in projects.items():
        folder = out / project
        folder.mkdir(exist_ok=True)
        for record in records:
            text = record_text(record, verify)
            (folder / f"{record['id']}.yaml").write_text(text, encoding="utf-8")
    for rel, data in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)


def summary(projects: RecordsByProject) -> str:
    """Record counts per project and list."""
    lines = []
    for project, records in projects.items():
        per_list: dict[str, int] = {}
        for record in records:
            per_list[record["list"]] = per_list.get(record["list"], 0) + 1
        detail = ", ".join(f"{name} {n}" for name, n in per_list.items())
        lines.append(f"{project}: {len(records)} ({detail})")
    return "\n".join(lines)
