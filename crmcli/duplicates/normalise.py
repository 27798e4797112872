"""What two records are compared on: e-mail, phone, website domain and name, each brought to
one spelling so that the comparison is an equality (or, for names, a fuzzy score).

E-mail addresses are compared case-insensitively and otherwise as written: Gmail's dots and
`+tags` name different mailboxes elsewhere, so they are not merged. Phones become E.164 in the
workspace's region. A website is its host without `www.` or the scheme. A name is
transliterated (“Ёлка” → “elka”), stripped of accents, case and punctuation, and of legal forms
(SARL, GmbH, ООО…), its words sorted so that “Générale Société” is “Société Générale”.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

# Legal forms, as they read once transliterated (ООО → ooo, ИП → ip, АО → ao).
LEGAL_FORMS = frozenset(
    {
        "sarl", "sas", "sasu", "sa", "eurl", "sci", "gmbh", "ag", "ltd", "limited", "inc",
        "llc", "plc", "corp", "ooo", "oao", "zao", "pao", "ip", "ao",
    }
)  # fmt: skip


def email_key(value: object) -> str | None:
    """contact@Acme.fr and CONTACT@acme.fr are one address; j.doe@ and jdoe@ are not."""
    if not isinstance(value, str) or "@" not in value:
        return None
    return value.strip().casefold()


@functools.lru_cache(maxsize=65536)
def phone_key(value: object, region: str | None) -> str | None:
    """The number in E.164 (+33142000000), read in the workspace's region; None if it is not one."""
    import phonenumbers

    if not isinstance(value, str) or not value.strip():
        return None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def domain_key(value: object) -> str | None:
    """https://www.acme.fr/contact and acme.fr are one website: acme.fr."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        host = urlsplit(text if "://" in text else f"//{text}").hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    return host.removeprefix("www.") or None


@functools.lru_cache(maxsize=65536)
def name_key(value: object) -> str:
    """The words of a name, transliterated and without legal forms, sorted: “ООО «Ёлка»” → elka."""
    from slugify import slugify

    if not isinstance(value, str):
        return ""
    words = slugify(value, separator=" ", backend="text-unidecode").split()
    kept = [word for word in words if word not in LEGAL_FORMS] or words
    return " ".join(sorted(kept))
