"""Messages: Jinja2 templates rendered in a sandbox, delivered through apprise URLs.

Templates come from `automations.yaml`, which anyone with write access to the repository can
change, so they render in Jinja2's `SandboxedEnvironment`: no attribute starting with `_`,
no calling into Python's internals. A name that does not exist is an error (StrictUndefined),
never an empty string in a message sent to a client-facing channel.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from crmcli.automations.url_memo import apprise_understands
from crmcli.i18n import _
from crmcli.i18n.lists import clause_list

_SECRET_IN_URL = re.compile(r"(://[^/:@]*:)[^@/]*@")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class MessageTemplateError(Exception):
    """A template that cannot be compiled or rendered; line is within the template."""

    def __init__(self, code: str, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line


@dataclass(frozen=True, slots=True)
class TemplateNames:
    """What a template reads: top-level variables, and attributes of each of them."""

    variables: frozenset[str]
    attributes: frozenset[tuple[str, str]]


@cache
def _environment() -> Any:
    from crmcli.automations.sandbox import bounded_environment

    return bounded_environment()


@lru_cache(maxsize=256)  # a long-lived server runs the same rules' templates again and again
def compile_template(source: str) -> Any:
    """A Jinja2 template, or MessageTemplateError for a syntax error or a reach outside the sandbox."""
    from jinja2 import TemplateSyntaxError

    environment = _environment()
    try:
        tree = environment.parse(source)
    except TemplateSyntaxError as error:
        raise MessageTemplateError(
            "template-syntax",
            _("the template cannot be read: {reason}").format(reason=error.message),
            error.lineno or 1,
        ) from None
    _refuse_internals(tree)
    _refuse_excess(tree)
    return environment.from_string(tree)


def _refuse_internals(tree: Any) -> None:
    from jinja2 import nodes

    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        name = node.attr if isinstance(node, nodes.Getattr) else _constant(node.arg)
        if isinstance(name, str) and name.startswith("_"):
            raise MessageTemplateError(
                "template-unsafe",
                _(
                    "the template reaches for “{name}”, which is outside the sandbox: "
                    "templates may read record fields and the variables listed in the README"
                ).format(name=name),
                node.lineno,
            )


def _refuse_excess(tree: Any) -> None:
    """What the template asks for beyond the sandbox's limits, found while compiling: a
    constant such as `10 ** 300000000`, a width of a billion, `str.format`."""
    from jinja2 import nodes

    from crmcli.automations.sandbox import TemplateLimitError, check_limits_of

    for node in tree.find_all((nodes.BinExpr, nodes.Call, nodes.Filter, nodes.Getattr)):
        if isinstance(node, nodes.Getattr) and node.attr in ("format", "format_map"):
            raise MessageTemplateError(
                "template-unsafe",
                _(
                    "the template calls “{name}”, which templates may not use: write the "
                    "values with {{{{ }}}} and filters"
                ).format(name=node.attr),
                node.lineno,
            )
        try:
            check_limits_of(node)
        except TemplateLimitError as error:
            raise MessageTemplateError("template-limit", str(error), node.lineno) from None


def _constant(node: Any) -> Any:
    from jinja2 import nodes

    return node.value if isinstance(node, nodes.Const) else None


@lru_cache(maxsize=256)
def template_names(source: str) -> TemplateNames:
    """The variables a (valid) template reads, for `crm check` to compare with what exists."""
    from jinja2 import meta, nodes

    tree = _environment().parse(source)
    attributes = set()
    for node in tree.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name):
            attributes.add((node.node.name, node.attr))
    for node in tree.find_all(nodes.Getitem):
        key = _constant(node.arg)
        if isinstance(node.node, nodes.Name) and isinstance(key, str):
            attributes.add((node.node.name, key))
    return TemplateNames(frozenset(meta.find_undeclared_variables(tree)), frozenset(attributes))


def render(template: Any, context: Mapping[str, Any]) -> str:
    """Render within the sandbox's limits; MessageTemplateError when it reads a missing name
    or an unsafe attribute, or asks for more time, memory or text than a message may take."""
    return render_message([template], context)[0]


def render_message(templates: Sequence[Any], context: Mapping[str, Any]) -> list[str]:
    """The texts of one message (its body, its subject), in order, rendered within one bound
    of the sandbox: setting the bounds up costs more than rendering a short text, and
    `crm remind` renders thousands of messages. Errors as for `render`, the first one met."""
    from jinja2 import TemplateError, UndefinedError
    from jinja2.sandbox import SecurityError

    from crmcli.automations.sandbox import TemplateLimitError, bounded

    try:
        with bounded():
            return [_text(template, context) for template in templates]
    except TemplateLimitError as error:
        raise MessageTemplateError("template-limit", str(error)) from None
    except MemoryError:
        raise MessageTemplateError(
            "template-limit", _("the template needs more memory than a message may take")
        ) from None
    except RecursionError:
        raise MessageTemplateError(
            "template-limit", _("the template calls itself too deeply")
        ) from None
    except SecurityError as error:
        raise MessageTemplateError("template-unsafe", str(error)) from None
    except UndefinedError as error:
        raise MessageTemplateError("template-undefined", str(error)) from None
    except TemplateError as error:
        raise MessageTemplateError("template-error", str(error)) from None
    except (ArithmeticError, LookupError, TypeError, ValueError) as error:
        raise MessageTemplateError("template-error", str(error)) from None


def _text(template: Any, context: Mapping[str, Any]) -> str:
    from crmcli.automations.sandbox import MAX_MESSAGE_CHARS, TemplateLimitError

    parts, size = [], 0
    for part in template.generate(context):
        size += len(part)
        if size > MAX_MESSAGE_CHARS:
            raise TemplateLimitError(
                _("the message would be longer than {limit} characters").format(
                    limit=MAX_MESSAGE_CHARS
                )
            )
        parts.append(part)
    return "".join(parts).strip()


def redact(url: str) -> str:
    """A notification URL as it may appear in messages and logs: without its password."""
    return _SECRET_IN_URL.sub(r"\1****@", url)


def variables_not_allowed(url: str, allowed: Sequence[str]) -> list[str]:
    """The ${NAME}s of a URL that the allow-list (`env:` of crm.yaml, else CRM_*) does not
    name: a rule's author must not be able to send $AWS_SECRET_ACCESS_KEY to a webhook."""
    return [
        name
        for name in dict.fromkeys(_VARIABLE.findall(url))
        if not any(fnmatchcase(name, pattern) for pattern in allowed)
    ]


def expand(url: str, allowed: Sequence[str], placeholder: str | None = None) -> str:
    """${NAME} in a URL → the environment variable, so that secrets stay out of crm.yaml;
    KeyError names a variable that is not set (placeholder: use it instead). A variable the
    allow-list does not name is never read: it is left as written."""

    def value(match: re.Match[str]) -> str:
        if variables_not_allowed(match[0], allowed):
            return match[0]
        found = os.environ.get(match[1], placeholder)
        if found is None:
            raise KeyError(match[1])
        return found

    return _VARIABLE.sub(value, url)


def url_problem(url: str, allowed: Sequence[str], root: Path | None = None) -> str | None:
    """Why this URL cannot be used — a variable outside the allow-list, or a URL apprise
    does not understand — or None (apprise's answers are remembered in root's `.crm/`)."""
    refused = variables_not_allowed(url, allowed)
    if refused:
        return _(
            "“{url}” reads the environment variable {name}, which the allow-list does not "
            "name (CRM_* unless crm.yaml lists others under env:), so it is never expanded"
        ).format(url=redact(url), name=refused[0])
    if apprise_understands(expand(url, allowed, "1"), root):
        return None
    return _("“{url}” is not a notification URL that apprise understands").format(url=redact(url))


def deliver(url: str, title: str, body: str, allowed: Sequence[str]) -> str | None:
    """Send one message to one apprise URL; None when it was delivered, else why not."""
    import apprise

    refused = variables_not_allowed(url, allowed)
    if refused:
        return url_problem(url, allowed)
    try:
        expanded = expand(url, allowed)
    except KeyError as missing:
        return _("{url} needs the environment variable {name}, which is not set").format(
            url=redact(url), name=missing.args[0]
        )
    client = apprise.Apprise()
    if not client.add(expanded):
        return url_problem(url, allowed)
    with _captured("apprise") as reasons:
        delivered = bool(client.notify(body=body, title=title))
    if delivered:
        return None
    reason = clause_list(dict.fromkeys(reasons)) or _("no reason given")
    return _("could not deliver to {url}: {reason}").format(url=redact(url), reason=reason)


@contextmanager
def _captured(logger_name: str) -> Iterator[list[str]]:
    """Warnings a library logs while it works, to quote them in our own error message."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(redact(record.getMessage()))

    logger = logging.getLogger(logger_name)
    handler = Collect(logging.WARNING)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False  # ours to report, not printed twice on stderr
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
