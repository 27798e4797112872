"""Build a large workspace to benchmark crmcli: the sample's schema, with many more records.

    python benchmarks/make_big_workspace.py OUTDIR [--clients 20000] [--opportunities 100000]
                                                   [--seed 1]

crm.yaml, the four _project.yaml files, automations.yaml and the dashboard are copied from
sample-workspace/. Clients get generated names (French, some Russian in Cyrillic, some
international), valid phone numbers, e-mail addresses and URLs; opportunities follow the same
sales model as the sample (crmgen.py). A few hundred delivery projects and invoices complete it.
Record files are formatted by hand, not by a YAML dumper, for speed.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, count
from pathlib import Path

from crmgen import (
    REGION_OWNERS,
    SERVICES,
    DealSeed,
    Record,
    RecordsByProject,
    Service,
    attach_files,
    check_phones,
    created_day,
    deal_record,
    fast_slug,
    finish_client,
    french_phone,
    make_deliveries,
    make_invoices,
    moment,
    owner_of,
    russian_phone,
    simulate_history,
    summary,
    unique_slug,
    write,
)

SAMPLE = Path(__file__).resolve().parent.parent / "sample-workspace"
COPIED = (
    "crm.yaml",
    "clients/_project.yaml",
    "opportunities/_project.yaml",
    "delivery/_project.yaml",
    "invoices/_project.yaml",
    "automations.yaml",
    "dashboards/sales.yaml",
    ".gitignore",
)


def words(text: str) -> tuple[str, ...]:
    """Split a comma-separated list of names (a name may contain spaces)."""
    return tuple(word.strip() for word in text.split(","))


SURNAMES = words(
    "Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, Simon,"
    " Laurent, Lefebvre, Michel, Garcia, David, Bertrand, Roux, Vincent, Fournier, Morel, Girard,"
    " André, Lefèvre, Mercier, Dupont, Lambert, Bonnet, François, Martinez, Legrand, Garnier,"
    " Faure, Rousseau, Blanc, Guérin, Muller, Henry, Roussel, Nicolas, Perrin, Morin, Mathieu,"
    " Clément, Gauthier, Dumont, Lopez, Fontaine, Chevalier, Robin, Masson, Sanchez, Gérard,"
    " Nguyen, Boyer, Denis, Lemaire, Duval, Joly, Gautier, Roger, Roche, Roy, Noël, Meyer, Lucas,"
    " Meunier, Pérez, Marchand, Dufour, Blanchard, Barbier, Brun, Dumas, Brunet, Schmitt, Leroux,"
    " Colin, Fernandez, Renard, Arnaud, Rolland, Caron, Aubert, Giraud, Leclerc, Vidal, Bourgeois,"
    " Renaud, Lemoine, Picard, Gaillard, Leclercq, Lacroix, Fabre, Dupuis, Olivier, Rodriguez,"
    " Da Silva, Hubert, Guillot, Rivière, Le Gall, Guillaume, Adam, Rey, Moulin, Gonzalez, Berger,"
    " Lecomte, Ménard, Fleury, Deschamps, Carpentier, Benoît, Maillard, Marchal, Aubry, Vasseur,"
    " Le Roux, Renault, Jacquet, Collet, Prévost, Poirier, Charpentier, Royer, Huet, Baron, Dupuy,"
    " Pons, Carré, Breton, Rémy, Schneider, Perret, Lebrun, Benali, Haddad, Ben Amar, Diallo"
)
FIRST_NAMES = words(
    "Marie, Nathalie, Isabelle, Sylvie, Catherine, Sophie, Camille, Julie, Claire, Léa, Chloé,"
    " Manon, Inès, Jean, Pierre, Michel, Philippe, Nicolas, Julien, Thomas, Antoine, Hugo, Lucas,"
    " Mathieu, Karim, Yann, Hélène, Élodie, Amélie, Agathe, Céline, Émilie, Laurent, Olivier,"
    " Sébastien, François, Rémi, Théo, Anne-Sophie, Jean-Marc, Fatima, Mamadou"
)
TRADES = words(
    "Boulangerie, Atelier, Cabinet, Garage, Studio, Maison, Librairie, Pharmacie, Brasserie, Hôtel,"
    " Cave, Fromagerie, Agence, Clinique, Menuiserie, Imprimerie, Domaine, Château, Épicerie,"
    " Fleuriste, Salon, Auberge, Laboratoire, Transports, Groupe, Association, Fondation,"
    " Chocolaterie, Bistrot, Galerie"
)
SUFFIXES = words(
    "& Fils, Conseil, Industries, Immobilier, Frères, et Associés, Distribution, SAS, Logistique,"
    " Design, Services, Bâtiment, Énergie, Paysages, Traiteur"
)
PLACES = words(
    "du Port, de la Gare, des Lilas, du Marché, de la Place, du Centre, des Arts, du Lac,"
    " de l'Horloge, du Parc, des Halles, Saint-Michel, Saint-Jean, du Moulin, des Quais,"
    " du Vieux-Port, des Tilleuls"
)
STARTUP_WORDS = words("Nexa, Kiwi, Lumen, Alto, Orbi, Pivot, Zest, Nova, Qubit, Oria, Vega, Flux")
STARTUP_SUFFIXES = words("Cloud, Labs, Robotics, Data, Paiements, Santé, Mobility, AI")
RU_PREFIXES = words("Студия, Группа, Дом, Мастерская, Агентство, Торговый дом, Завод")
RU_WORDS = words(
    "Ромашка, Север, Волна, Берёза, Восток, Звезда, Радуга, Сокол, Маяк, Кедр, Луч, Орбита, Заря,"
    " Ладога, Байкал, Енисей, Алтай, Нева, Парус, Янтарь"
)
RU_CITIES = (  # city, postcode, streets
    ("Москва", "125009", ("ул. Тверская", "ул. Арбат", "ул. Садовая", "пр. Мира")),
    ("Санкт-Петербург", "191186", ("Невский проспект", "Литейный проспект", "ул. Рубинштейна")),
)
STREETS = words(
    "rue de la République, avenue Jean-Jaurès, boulevard Victor-Hugo, rue Nationale,"
    " place de la Mairie, rue du Général-Leclerc, rue Pasteur, avenue Foch, rue de la Paix,"
    " cours Lafayette, rue Saint-Honoré, impasse des Tilleuls, chemin des Vignes"
)

CITIES = {  # region -> (city, postcode; "{n}" is an arrondissement)
    "Paris": (
        ("Paris", "750{n:02d}"),
        ("Lille", "59000"),
        ("Vincennes", "94300"),
        ("Montreuil", "93100"),
        ("Versailles", "78000"),
    ),
    "Lyon": (
        ("Lyon", "6900{n}"),
        ("Villeurbanne", "69100"),
        ("Grenoble", "38000"),
        ("Saint-Étienne", "42000"),
        ("Annecy", "74000"),
    ),
    "Marseille": (
        ("Marseille", "130{n:02d}"),
        ("Nice", "06000"),
        ("Aix-en-Provence", "13100"),
        ("Toulon", "83000"),
        ("Montpellier", "34000"),
    ),
    "Bordeaux": (
        ("Bordeaux", "33000"),
        ("Nantes", "44000"),
        ("Toulouse", "31000"),
        ("La Rochelle", "17000"),
        ("Biarritz", "64200"),
    ),
}
DELIVERIES = 300
INVOICES = 400
REGION_WEIGHTS = {"Paris": 38, "Lyon": 20, "Marseille": 15, "Bordeaux": 15, "International": 12}


@dataclass(frozen=True)
class Abroad:
    city: str
    tld: str
    name_suffix: str
    address: str  # "{n}" is the street number
    phone: str  # {a}: 200-999, {b} {c} {d}: 00-99; valid numbers whatever the digits


ABROAD = (
    Abroad("Berlin", "de", "GmbH", "Oranienstraße {n}\n10999 Berlin\nAllemagne\n",
           "+49 30 {a} {b:02d}{c:02d}"),
    Abroad("London", "co.uk", "Ltd", "{n} Shoreditch High Street\nLondon E1 6JE\nRoyaume-Uni\n",
           "+44 20 7946 0{a:03d}"),  # Ofcom's range for drama
    Abroad("Bruxelles", "be", "SPRL", "Rue de la Madeleine {n}\n1000 Bruxelles\nBelgique\n",
           "+32 2 5{b:02d} {c:02d} {d:02d}"),
    Abroad("Genève", "ch", "SA", "Rue du Rhône {n}\n1204 Genève\nSuisse\n",
           "+41 22 3{b:02d} {c:02d} {d:02d}"),
)  # fmt: skip
ENGLISH_WORDS = words("Thames, Harbour, Copper, Maple, Northern, Bright, Silver, Oak, Riverside")
ENGLISH_TRADES = words("Coffee Roasters, Bike Works, Design, Foods, Furniture, Studios, Print")
CATEGORY_OF_TRADE = {
    "Cabinet": "Tech",
    "Agence": "Tech",
    "Studio": "Tech",
    "Laboratoire": "Industry",
    "Transports": "Industry",
    "Groupe": "Industry",
    "Menuiserie": "Industry",
    "Imprimerie": "Industry",
    "Domaine": "Industry",
    "Château": "Industry",
    "Association": "Non-profit",
    "Fondation": "Non-profit",
    "Hôtel": "Hospitality",
    "Brasserie": "Hospitality",
    "Auberge": "Hospitality",
    "Bistrot": "Hospitality",
}
INDUSTRIES = {
    "Retail": ("Commerce de détail", "Artisanat", "Mode", "Alimentation"),
    "Industry": ("Industrie", "BTP", "Logistique", "Viticulture", "Énergie"),
    "Public sector": ("Collectivité", "Enseignement", "Santé", "Culture"),
    "Non-profit": ("Association", "Fondation", "Économie sociale"),
    "Tech": ("Logiciel", "Conseil", "Agence web", "Fintech"),
    "Hospitality": ("Hôtellerie", "Restauration", "Tourisme", "Loisirs"),
}
CITY_BODIES = ("Mairie de", "Office de Tourisme de", "Musée des Beaux-Arts de", "CCAS de")
SCHOOLS = ("Collège", "Lycée", "École", "Médiathèque", "Conservatoire")
NAMESAKES = words(
    "Victor-Hugo, Jules-Ferry, Jean-Jaurès, Jean-Moulin, Louis-Pasteur, Marie-Curie, Simone-Veil,"
    " Émile-Zola, Jacques-Prévert, Georges-Brassens, Albert-Camus, Colette, Molière, Voltaire,"
    " Jean-de-La-Fontaine, Olympe-de-Gouges, Aimé-Césaire, George-Sand"
)
SOURCES = ("Referral", "Website", "Cold call", "Trade show", "LinkedIn")


@dataclass(frozen=True)
class Identity:
    """Who a generated client is: its name and where it is."""

    name: str
    region: str
    city: str
    category: str
    tld: str
    address: str
    phone: str


def french_identity(rng: random.Random, region: str) -> Identity:
    city, postcode = rng.choice(CITIES[region])
    postcode = postcode.format(n=rng.randint(1, 9 if "{n}" in postcode else 20))
    roll = rng.random()
    if roll < 0.03:
        name, category = of_city(rng.choice(CITY_BODIES), city), "Public sector"
    elif roll < 0.06:
        name, category = f"{rng.choice(SCHOOLS)} {rng.choice(NAMESAKES)}", "Public sector"
    elif roll < 0.14:
        name, category = f"{rng.choice(STARTUP_WORDS)} {rng.choice(STARTUP_SUFFIXES)}", "Tech"
    elif roll < 0.16:
        name, category = f"Le Comptoir #{rng.randint(1, 99)}", "Hospitality"
    elif roll < 0.45:
        name, category = f"{rng.choice(SURNAMES)} {rng.choice(SUFFIXES)}", "Industry"
    else:
        trade = rng.choice(TRADES)
        tail = rng.choice(SURNAMES) if rng.random() < 0.6 else rng.choice(PLACES)
        name, category = f"{trade} {tail}", CATEGORY_OF_TRADE.get(trade, "Retail")
    street = f"{rng.randint(1, 180)} {rng.choice(STREETS)}\n{postcode} {city}\n"
    phone = french_phone(rng, city, region)
    return Identity(name, region, city, category, "fr", street, phone)


def russian_identity(rng: random.Random) -> Identity:
    city, postcode, streets = rng.choice(RU_CITIES)
    name = f"{rng.choice(RU_PREFIXES)} {rng.choice(RU_WORDS)}"
    address = f"{rng.choice(streets)}, {rng.randint(1, 120)}\n{postcode} {city}\nRussie\n"
    category = rng.choice(("Retail", "Industry", "Tech"))
    return Identity(name, "International", city, category, "ru", address, russian_phone(rng, city))


def foreign_identity(rng: random.Random) -> Identity:
    if rng.random() < 0.4:
        return russian_identity(rng)
    place = rng.choice(ABROAD)
    name = f"{rng.choice(ENGLISH_WORDS)} {rng.choice(ENGLISH_TRADES)} {place.name_suffix}"
    address = place.address.format(n=rng.randint(1, 90))
    b, c, d = (rng.randint(0, 99) for _ in range(3))
    phone = place.phone.format(a=rng.randint(200, 999), b=b, c=c, d=d)
    category = rng.choice(("Retail", "Industry", "Tech", "Hospitality"))
    return Identity(name, "International", place.city, category, place.tld, address, phone)


def of_city(body: str, city: str) -> str:
    """ "Office de Tourisme de" + "Annecy" -> "Office de Tourisme d'Annecy"."""
    if body.endswith(" de") and city[0] in "AEIOUÉaeiou":
        return f"{body[:-3]} d'{city}"
    return f"{body} {city}"


def candidate_names(who: Identity) -> Iterator[str]:
    """The client's name, then with its city, then numbered, until one is free."""
    yield who.name
    base = who.name if who.city in who.name else f"{who.name} {who.city}"
    if base != who.name:
        yield base
    yield from (f"{base} {n}" for n in count(2))


def new_client(rng: random.Random, taken: set[str]) -> Record:
    """A client record (without list, dates or history) whose id is not taken yet."""
    region = rng.choices(tuple(REGION_WEIGHTS), weights=tuple(REGION_WEIGHTS.values()))[0]
    who = foreign_identity(rng) if region == "International" else french_identity(rng, region)
    client_id, name = next((i, n) for n in candidate_names(who) if (i := unique_slug(n, taken)))
    employees = int(math.exp(rng.uniform(math.log(2), math.log(3000))))
    contact = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}" if rng.random() < 0.6 else None
    domain = f"{client_id[:40].strip('-')}.{who.tld}"
    owners = REGION_OWNERS[region]
    return {
        "id": client_id,
        "name": name,
        "list": None,
        "tags": client_tags(rng, who.category, employees),
        "assignee": owners[rng.randrange(len(owners))],
        "email": f"{fast_slug(contact).replace('-', '.') if contact else 'contact'}@{domain}",
        "phone": who.phone,
        "website": f"https://www.{domain}",
        "address": who.address,
        "source": rng.choice(SOURCES),
        "category": who.category,
        "region": region,
        "industry": rng.choice(INDUSTRIES[who.category]),
        "employees": employees,
        "description": f"Contact : {contact}" if contact else None,
    }


def client_tags(rng: random.Random, category: str, employees: int) -> list[str]:
    tags = []
    if category == "Public sector":
        tags.append("public-sector")
    if category == "Tech" and employees < 50 and rng.random() < 0.5:
        tags.append("startup")
    if category == "Tech" and rng.random() < 0.05:
        tags.append("agency-partner")
    if employees >= 1000:
        tags.append("grand-compte")
    return tags


def deal_name(client: Record, service: Service, year: int, taken: set[str]) -> tuple[str, str]:
    """A deal's id and name: client and service, with the year and a number for repeats."""
    base = f"{client['name']} — {service.label}"
    names = chain((base, f"{base} {year}"), (f"{base} {year} ({n})" for n in count(2)))
    return next((i, n) for n in names if (i := unique_slug(n, taken)))


def make_deals(rng: random.Random, clients: list[Record], total: int) -> list[Record]:
    """`total` deals; a few clients get many (log-normal weights), some get none."""
    weights = [rng.lognormvariate(0, 1) for _ in clients]
    taken: set[str] = set()
    deals = []
    for client in rng.choices(clients, weights=weights, k=total):
        service = rng.choice(SERVICES)
        created = moment(rng, created_day(rng))
        deal_id, name = deal_name(client, service, created.year, taken)
        seed = DealSeed(deal_id, name, client, service, owner_of(rng, client, created))
        history = simulate_history(rng, created, seed.assignee)
        deals.append({"id": deal_id, **deal_record(rng, seed, history)})
    return deals


def build(seed: int, n_clients: int, n_deals: int) -> tuple[RecordsByProject, dict[str, bytes]]:
    rng = random.Random(seed)
    taken: set[str] = set()
    clients = [new_client(rng, taken) for _ in range(n_clients)]
    deals = make_deals(rng, clients, n_deals)
    by_client: dict[str, list[Record]] = defaultdict(list)
    for deal in deals:
        by_client[deal["client"]].append(deal)
    for client in clients:
        finish_client(rng, client, by_client[client["id"]])
    files = attach_files(rng, deals, briefs=0.01, contracts=0.05)
    projects = {
        "clients": clients,
        "opportunities": deals,
        "delivery": make_deliveries(rng, deals, DELIVERIES),
        "invoices": make_invoices(rng, deals, INVOICES),
    }
    return projects, files


def static_files() -> dict[str, str]:
    if not (SAMPLE / "crm.yaml").exists():
        raise SystemExit(f"{SAMPLE} is missing: run benchmarks/make_sample_workspace.py first")
    return {rel: (SAMPLE / rel).read_text(encoding="utf-8") for rel in COPIED}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--clients", type=int, default=20000)
    parser.add_argument("--opportunities", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    projects, files = build(args.seed, args.clients, args.opportunities)
    check_phones(projects["clients"])
    built = time.perf_counter()
    write(args.outdir, static_files(), projects, files, verify=False)
    done = time.perf_counter()
    print(summary(projects))
    print(f"files: {len(files)} PDFs; written to {args.outdir}")
    print(f"time: {built - started:.1f} s to generate, {done - built:.1f} s to write")


if __name__ == "__main__":
    main()
