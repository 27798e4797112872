"""crm.yaml and _project.yaml → typed, checked model objects, once, when they are loaded.

A value that cannot be used (an unknown time zone, a rating whose max is text, a probability
of 1.5) becomes a problem at its line and gives way to a safe default, so that no consumer
needs to doubt the configuration: `crm check` reports the problem, every other command works.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crmcli.core.layout import WORKSPACE_FILE
from crmcli.core.model import (
    BUILTIN_FIELDS,
    COMPUTED_TYPES,
    DEFAULT_ENV,
    DEFAULT_RATING_MAX,
    OUTCOMES,
    REMOVABLE_BUILTINS,
    FieldDef,
    ListDef,
    Member,
    Project,
    Role,
    WorkspaceConfig,
)
from crmcli.core.problems import ProblemLog, did_you_mean
from crmcli.core.yamlio import locate
from crmcli.i18n import _, quoted

DEFAULT_LOCALE = "en_US"
DEFAULT_CURRENCY = "EUR"
DEFAULT_TIMEZONE = "UTC"
VALUE_TYPES = frozenset({"currency", "number"})


# crm.yaml


def workspace_config(data: dict[Any, Any], log: ProblemLog) -> WorkspaceConfig:
    locale = _setting(data, log, "locale", DEFAULT_LOCALE)
    return WorkspaceConfig(
        name=str(data.get("name") or ""),
        locale=locale,
        language=_setting(data, log, "language", locale.partition("_")[0]),
        currency=_setting(data, log, "currency", DEFAULT_CURRENCY),
        timezone=_setting(data, log, "timezone", DEFAULT_TIMEZONE),
        phone_region=_text(data.get("phone_region")) or _region_of(locale),
        state_file=_text(data.get("state_file")),
        record_link=_text(data.get("record_link")),
        members=_members(data.get("members")),
        roles=_roles(data.get("roles")),
        channels={
            str(k): str(v) for k, v in _mapping(data.get("channels")).items() if v is not None
        },
        env=strings(data["env"]) if "env" in data else DEFAULT_ENV,
    )


def _babel_locale(written: str) -> str | None:
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(written.replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def _known_currency(written: str) -> str | None:
    from babel.numbers import list_currencies  # Babel's global data: no locale file to load

    return written if written in list_currencies() else None


def _known_zone(written: str) -> str | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(written)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return written


# key → (its usable spelling or None, the problem's code, the problem's message)
_SETTINGS: dict[str, tuple[Callable[[str], str | None], str, Callable[[str], str]]] = {
    "locale": (
        _babel_locale,
        "unknown-locale",
        lambda written: _("unknown locale “{locale}” (e.g. fr_FR, ru_RU, en_US)").format(
            locale=written
        ),
    ),
    "language": (
        _babel_locale,
        "unknown-language",
        lambda written: _("unknown language “{language}” (e.g. fr, ru, en)").format(
            language=written
        ),
    ),
    "currency": (
        _known_currency,
        "unknown-currency",
        lambda written: _(
            "unknown currency “{currency}” (an ISO code such as EUR, RUB, USD)"
        ).format(currency=written),
    ),
    "timezone": (
        _known_zone,
        "unknown-timezone",
        lambda written: _("unknown time zone “{zone}” (e.g. Europe/Paris)").format(zone=written),
    ),
}


def _setting(data: dict[Any, Any], log: ProblemLog, key: str, default: str) -> str:
    """data[key] in its usable spelling; the default (and a problem) when it has none."""
    written = data.get(key)
    if written is None or written == "":
        return default
    usable, code, message = _SETTINGS[key]
    found = usable(str(written))
    if found is None:
        log.add(WORKSPACE_FILE, (key,), code, message(str(written)))
        return default
    return found


def _region_of(locale: str) -> str | None:
    """fr_FR → FR: national phone numbers are read in the locale's country."""
    parts = locale.split("_")
    return parts[-1].upper() if len(parts) > 1 else None


def _members(raw: Any) -> dict[str, Member]:
    members = {}
    for member_id, spec in _mapping(raw).items():
        data = _mapping(spec)
        members[str(member_id)] = Member(
            id=str(member_id),
            name=str(data.get("name") or member_id),
            email=_text(data.get("email")),
            role=_text(data.get("role")),
            region=_text(data.get("region")),
            away=data.get("away") is True,
            notify=strings(data.get("notify")),
            age=_text(data.get("age")),
            extra=data,
        )
    return members


def _roles(raw: Any) -> dict[str, Role]:
    return {
        str(name): Role(
            name=str(name),
            hidden=frozenset(strings(_mapping(spec).get("hidden"))),
            read_only=frozenset(strings(_mapping(spec).get("read_only"))),
        )
        for name, spec in _mapping(raw).items()
    }


# _project.yaml


def build_project(
    key: str, schema_path: str, data: dict[Any, Any], positions: dict, log: ProblemLog
) -> Project:
    removed = frozenset(strings(_mapping(data.get("defaults")).get("remove"))) & REMOVABLE_BUILTINS
    project = Project(
        key=key,
        name=str(data.get("name") or key),
        record_name=str(data.get("record_name") or _("Record")),
        schema_path=schema_path,
        lists=_lists(data.get("lists"), positions, schema_path, log),
        tags=strings(data.get("tags")),
        removed=removed,
    )
    fields = {k: f for k, f in BUILTIN_FIELDS.items() if k not in removed}
    for field_key, spec in _mapping(data.get("fields")).items():
        field_key = str(field_key)
        if field_key in BUILTIN_FIELDS:
            continue  # reported by checks: a custom field may not redefine a built-in one
        line, column = locate(positions, ("fields", field_key))
        fields[field_key] = _field(field_key, _mapping(spec), line, column, schema_path, log)
    project.fields = fields
    project.value_field = _value_field(project, data.get("value_field"), log)
    project.form_list = _form_list(project, data.get("form_list"), log)
    return project


def _lists(raw: Any, positions: dict, schema_path: str, log: ProblemLog) -> dict[str, ListDef]:
    lists: dict[str, ListDef] = {}
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        spec = item if isinstance(item, dict) else {"name": item}
        name = spec.get("name")
        if not isinstance(name, str) or name in lists:
            continue
        outcome = spec.get("outcome", "open")
        max_days = spec.get("max_days")
        lists[name] = ListDef(
            name=name,
            index=index,
            outcome=outcome if outcome in OUTCOMES else "open",
            probability=_probability(spec.get("probability"), name, index, schema_path, log),
            max_days=max_days
            if isinstance(max_days, int) and not isinstance(max_days, bool)
            else None,
            line=locate(positions, ("lists", index))[0],
        )
    return lists


def _probability(
    value: Any, list_name: str, index: int, schema_path: str, log: ProblemLog
) -> float | None:
    """A list's probability is a fraction from 0 to 1; anything else counts as none."""
    if value is None:
        return None
    if is_number(value) and 0 <= value <= 1:
        return float(value)
    log.add(
        schema_path,
        ("lists", index, "probability"),
        "bad-probability",
        _(
            "the list “{list}” has the probability {value}; write a fraction from 0 to 1 "
            "(0.5 for 50 %)"
        ).format(list=list_name, value=value),
    )
    return None


def _field(
    key: str, spec: dict[Any, Any], line: int, column: int, schema_path: str, log: ProblemLog
) -> FieldDef:
    label = spec.get("label")
    type_ = str(spec.get("type", "text"))
    options = strings(spec.get("options"))
    if type_ in ("select", "multi_select") and not options:
        log.add(
            schema_path,
            ("fields", key),
            "no-options",
            _("field “{field}” is a {kind} without options; list them under options:").format(
                field=key, kind=type_
            ),
        )
    settings, wrong = _computed_settings(key, type_, spec, schema_path, log)
    return FieldDef(
        key=key,
        type=type_,
        label=label if isinstance(label, str) and label else key.replace("_", " "),
        line=line,
        column=column,
        required=spec.get("required") is True,
        required_in=strings(spec.get("required_in")),
        options=options,
        multiple=spec.get("multiple") is True,
        target_project=_text(spec.get("project")),
        display_format=settings.get("format"),
        currency=_text(spec.get("currency")),
        rating_max=_rating_max(key, type_, spec, schema_path, log),
        minimum=spec["min"] if is_number(spec.get("min")) else None,
        maximum=spec["max"] if is_number(spec.get("max")) else None,
        max_length=spec["max_length"] if _whole(spec.get("max_length")) else None,
        phone_region=_text(spec.get("region")),
        description=_text(spec.get("description")),
        through=settings.get("through"),
        source_field=settings.get("field"),
        agg=settings.get("agg"),
        where=settings.get("where"),
        expr=settings.get("expr"),
        backlink_from=settings.get("from"),
        broken=bool(wrong - {"format"}),
        form=_form_flag(key, type_, spec, schema_path, log),
        form_label=_text(spec.get("form_label")),
        help=_text(spec.get("help")),
        placeholder=_text(spec.get("placeholder")),
    )


def _form_flag(
    key: str, type_: str, spec: dict[Any, Any], schema_path: str, log: ProblemLog
) -> bool:
    """`form: true` asks the field on the web form. A computed value cannot be typed in, and
    a visitor may neither point at records nor at files of the workspace."""
    if spec.get("form") is not True:
        return False
    if type_ in COMPUTED_TYPES or type_ in ("reference", "files"):
        log.add(
            schema_path,
            ("fields", key, "form"),
            "not-a-form-field",
            _(
                "field “{field}” ({kind}) cannot be filled in by a visitor, so it cannot be on "
                "the form; remove form: true"
            ).format(field=key, kind=type_),
        )
        return False
    return True


def _form_list(project: Project, written: Any, log: ProblemLog) -> str | None:
    if written is None:
        return None
    if isinstance(written, str) and written in project.lists:
        return written
    log.add(
        project.schema_path,
        ("form_list",),
        "unknown-list",
        _("form_list “{list}” is not a list of {project}{hint}").format(
            list=written, project=project.name, hint=did_you_mean(str(written), project.lists)
        ),
    )
    return None


# the settings of each computed type, all written as text
_COMPUTED_SETTINGS = {
    "formula": ("expr", "format"),
    "lookup": ("through", "field", "format"),
    "rollup": ("through", "field", "agg", "where", "format"),
    "referenced_by": ("from",),
}


def _computed_settings(
    key: str, type_: str, spec: dict[Any, Any], schema_path: str, log: ProblemLog
) -> tuple[dict[str, str], set[str]]:
    """A computed field's settings, and the names of those not written as text (`expr: 5`,
    `agg: [sum]`): each is reported at its line and left out, so that no consumer meets it."""
    settings: dict[str, str] = {}
    wrong: set[str] = set()
    for name in _COMPUTED_SETTINGS.get(type_, ()):
        value = spec.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            settings[name] = value
            continue
        wrong.add(name)
        log.add(
            schema_path,
            ("fields", key, name),
            "bad-setting",
            _("field “{field}”: “{setting}” must be text, not {value}").format(
                field=key, setting=name, value=value
            ),
        )
    return settings, wrong


def _rating_max(
    key: str, type_: str, spec: dict[Any, Any], schema_path: str, log: ProblemLog
) -> int:
    top = spec.get("max")
    if type_ != "rating" or top is None:
        return DEFAULT_RATING_MAX
    if _whole(top) and top > 0:
        return int(top)
    log.add(
        schema_path,
        ("fields", key, "max"),
        "bad-rating-max",
        _(
            "the rating “{field}” has the max {value}; write a whole number such as 5 "
            "(until then it counts as {default})"
        ).format(
            field=key,
            value=quoted(top) if isinstance(top, str) else top,
            default=DEFAULT_RATING_MAX,
        ),
    )
    return DEFAULT_RATING_MAX


def _value_field(project: Project, written: Any, log: ProblemLog) -> str | None:
    """The declared value field, else the first currency field (none when there is none)."""
    first_currency = next((f.key for f in project.custom_fields if f.type == "currency"), None)
    if written is None:
        return first_currency
    chosen = project.fields.get(str(written))
    if chosen is not None and (chosen.type in VALUE_TYPES or chosen.shown_as in VALUE_TYPES):
        return chosen.key
    value_keys = [f.key for f in project.custom_fields if f.type in VALUE_TYPES]
    log.add(
        project.schema_path,
        ("value_field",),
        "bad-value-field",
        _("value_field “{field}” is not a currency or number field of {project}{hint}").format(
            field=written, project=project.name, hint=did_you_mean(str(written), value_keys)
        ),
    )
    return first_currency


# lenient reading of YAML values


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(item) for item in value if isinstance(item, str | int | float))
    return ()
