"""`crm init`: a ready workspace from a template (the agency sales CRM), in a language.

The template is written once, in English (`templates/sales/`); a small file per language
(`templates/sales/languages/fr.yaml`) gives its formats, the words of that language for every
English text of the template (project names, stages, tags, options, field labels, dashboard
titles, reminders) and the example records. Field keys stay ASCII in every language, so
formulas and filters read the same. The one member is the person running `crm init`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from crmcli.core.layout import AUTOMATIONS_FILE, DASHBOARDS_DIR, PROJECT_FILE, WORKSPACE_FILE
from crmcli.core.state_dir import STATE_DIR
from crmcli.editing.ids import free_id, make_id
from crmcli.errors import CrmError, UsageError
from crmcli.git.run import config_value, git
from crmcli.i18n import _
from crmcli.i18n.lists import value_list

TEMPLATES = {"sales": "templates/sales"}
LANGUAGES = ("en", "fr", "ru")
GITIGNORE_LINE = f"{STATE_DIR}/"
PLACEHOLDER_MEMBER = "me"  # the member key the template's files name
PLACEHOLDER_EMAIL = "me@example.com"
EXPRESSION_KEYS = frozenset({"when", "where", "expr", "measure"})  # list names in quotes
_QUOTED = re.compile(r"'([^']*)'")


@dataclass(frozen=True, slots=True)
class Person:
    """Who runs `crm init`: the workspace's one member."""

    key: str
    name: str
    email: str
    from_git: bool


@dataclass
class Created:
    """What `crm init` did, for the command to tell."""

    files: list[Path] = field(default_factory=list)
    member: Person | None = None
    git_initialised: bool = False


def init_workspace(
    target: Path,
    template: str = "sales",
    with_examples: bool = False,
    language: str = "en",
) -> Created:
    """Create a workspace in `target` (and a git repository when it is in none)."""
    if template not in TEMPLATES:
        raise UsageError(
            _("unknown template “{name}”; available: {names}").format(
                name=template, names=value_list(TEMPLATES)
            )
        )
    if language not in LANGUAGES:
        raise UsageError(
            _("unknown language “{name}”; available: {names}").format(
                name=language, names=value_list(LANGUAGES)
            )
        )
    if (target / WORKSPACE_FILE).exists():
        raise CrmError(_("{path} is already a crm workspace").format(path=target))
    source = Path(str(resources.files("crmcli").joinpath(TEMPLATES[template])))
    pack = _yaml().load((source / "languages" / f"{language}.yaml").read_text(encoding="utf-8"))
    target.mkdir(parents=True, exist_ok=True)
    created = Created(member=_person(target))
    words = {**pack["words"], PLACEHOLDER_MEMBER: created.member.key}
    created.files.append(_write_workspace_file(source, target, pack, created.member, words))
    for relative in _configuration_files(source):
        created.files.append(_translated_copy(source / relative, target / relative, words))
    if with_examples:
        created.files.extend(_write_examples(target, pack["examples"], created.member))
    created.files.append(_ensure_gitignore(target))
    created.git_initialised = _ensure_repository(target)
    return created


def _configuration_files(source: Path) -> list[Path]:
    found = [Path(AUTOMATIONS_FILE)] if (source / AUTOMATIONS_FILE).is_file() else []
    found += sorted(p.relative_to(source) for p in (source / DASHBOARDS_DIR).glob("*.yaml"))
    found += sorted(p.relative_to(source) for p in source.glob(f"*/{PROJECT_FILE}"))
    return found


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # a translated option list stays on its line, as the template has it
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _dump(data: Any, destination: Path) -> Path:
    import io

    destination.parent.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    _yaml().dump(data, out)
    destination.write_text(out.getvalue(), encoding="utf-8")
    return destination


def _translated_copy(source: Path, destination: Path, words: dict[str, str]) -> Path:
    data = _yaml().load(source.read_text(encoding="utf-8"))
    _translate(data, words)
    return _dump(data, destination)


def _translate(node: Any, words: dict[str, str], key: Any = None) -> None:
    """Every string value (never a key) that is an English text of the template becomes its
    word in the language; in expressions, the quoted list names (`list == 'Won'`)."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for item_key, value in list(items):
        inner_key = item_key if isinstance(node, dict) else key
        if isinstance(value, str):
            translated = _word(value, words, inner_key in EXPRESSION_KEYS)
            node[item_key] = type(value)(translated) if translated != value else value
        elif isinstance(value, dict | list):
            _translate(value, words, inner_key)


def _word(text: str, words: dict[str, str], expression: bool) -> str:
    if text in words:
        return words[text]
    if expression:
        return _QUOTED.sub(lambda m: "'" + words.get(m.group(1), m.group(1)) + "'", text)
    return text


def _write_workspace_file(
    source: Path, target: Path, pack: Any, member: Person, words: dict[str, str]
) -> Path:
    data = _yaml().load((source / WORKSPACE_FILE).read_text(encoding="utf-8"))
    settings = pack["workspace"]
    data["name"] = target.name or settings["name"]
    for key in ("locale", "currency", "timezone"):
        data[key] = settings[key]
    entry = data["members"].pop(PLACEHOLDER_MEMBER)
    entry["name"], entry["email"] = member.name, member.email
    data["members"][member.key] = entry
    _translate(data["roles"], words)
    return _dump(data, target / WORKSPACE_FILE)


def _person(target: Path) -> Person:
    """The member from git's `user.name` and `user.email`, else `me` with a placeholder."""
    name = config_value(target, "user.name")
    email = config_value(target, "user.email")
    key = (make_id(name) if name else "") or PLACEHOLDER_MEMBER
    return Person(key, name or "Me", email or PLACEHOLDER_EMAIL, bool(name and email))


def _write_examples(target: Path, examples: Any, member: Person) -> list[Path]:
    """Example records written as `crm add` writes them (canonical order, created, history),
    by the member; ids come from their names, references name records by their name."""
    from crmcli.editing.editor import Editor

    editor = Editor(target, member.key)
    ids: dict[str, dict[str, str]] = {}
    for project, records in examples.items():
        taken = ids.setdefault(project, {})
        for record in records:
            taken[record["name"]] = free_id(make_id(record["name"]), set(taken.values()))
    written = []
    for project_key, records in examples.items():
        project = editor.project(project_key)
        references = {
            key: f.target_project for key, f in project.fields.items() if f.type == "reference"
        }
        for record in records:
            data = {**record, "assignee": member.key}
            for key, target_project in references.items():
                if key in data:
                    data[key] = ids[str(target_project)][data[key]]
            path = target / project_key / f"{ids[project_key][record['name']]}.yaml"
            path.write_text(editor.new_record_text(project, data), encoding="utf-8")
            written.append(path)
    return written


def _ensure_repository(target: Path) -> bool:
    """`git init` when the folder is in no repository; nothing is committed."""
    if git(target, "rev-parse", "--is-inside-work-tree", check=False).strip() == "true":
        return False
    git(target, "init", "--quiet")
    return True


def _ensure_gitignore(target: Path) -> Path:
    path = target / ".gitignore"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    if GITIGNORE_LINE not in lines:
        lines.append(GITIGNORE_LINE)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
