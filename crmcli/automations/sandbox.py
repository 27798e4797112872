"""The bounded sandbox of message templates: what a template may compute, how deep, how long
and how big, so that a rule's message can neither hang `crm check`, `crm remind` or a
`crm move` nor fill the memory.

Jinja2's sandbox stops a template from reaching Python's internals but not from asking for
`10 ** 300000000` (which jinja2 would even fold while compiling), `'x' * 10**9`, a macro that
calls itself forever or a width of a billion. The costly operations are refused before they
run: the intercepted operators (`**`, `*`, `%`) are never folded and check their operands,
every call and filter refuses a number larger than a message may be long and a text result
larger than that, macros nest at most `MAX_DEPTH` deep, and `str.format`/`format_map` are not
available (templates have `{{ }}` and filters). What slips through — a loop that runs long, a
string grown in steps — meets a deadline and a memory ceiling while the message renders
(`bounded`). Refusing in-process keeps an edit fast: no subprocess is started per message.
"""

from __future__ import annotations

import functools
import os
import re
import resource
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from crmcli.i18n import _

MAX_MESSAGE_CHARS = 100_000  # longer than any message a person reads; also the largest width
MAX_NUMBER_DIGITS = 4_000  # Python refuses to print longer integers anyway
MAX_DEPTH = 50  # macro calls inside macro calls
MESSAGE_SECONDS = 2.0  # one message renders in far less than this
MEMORY_HEADROOM = 512 * 1024 * 1024  # what one message may allocate while it renders
_PERCENT_SPEC = re.compile(r"%[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_REFUSED_METHODS = frozenset({"format", "format_map"})


class TemplateLimitError(Exception):
    """A template asked for more than a message may compute; the message says what."""


class TemplateTimeoutError(TemplateLimitError):
    """The message did not finish rendering in time."""


def bounded_environment() -> Any:
    """A new sandboxed text environment with the limits of this module."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class BoundedEnvironment(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"**", "*", "%"})

        def __init__(self) -> None:
            super().__init__(undefined=StrictUndefined, autoescape=False)
            self.filters = {name: _bounded(f) for name, f in self.filters.items()}
            self.depth = 0

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            check_operation(operator, left, right)
            return super().call_binop(context, operator, left, right)

        def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
            if isinstance(obj, str) and attr in _REFUSED_METHODS:
                return False
            return bool(super().is_safe_attribute(obj, attr, value))

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
            _check_arguments(args, kwargs)
            if __self.depth >= MAX_DEPTH:
                raise TemplateLimitError(
                    _("the template calls macros more than {depth} deep").format(depth=MAX_DEPTH)
                )
            __self.depth += 1
            try:
                result = super().call(__context, __obj, *args, **kwargs)
            finally:
                __self.depth -= 1
            return _checked_result(result)

    return BoundedEnvironment()


def check_operation(operator: str, left: Any, right: Any) -> None:
    """Refuse `**`, `*` or `%` whose result would be too large to compute or to send."""
    if operator == "**" and _whole(left) and _whole(right) and right > 0 and abs(left) > 1:
        if right * (abs(left).bit_length() - 1) * 0.30103 > MAX_NUMBER_DIGITS:
            raise TemplateLimitError(
                _(
                    "the template raises {base} to the power {power}: the number is too large"
                ).format(base=left, power=_short(right))
            )
    elif operator == "*":
        _check_product(left, right)
    elif operator == "%" and isinstance(left, str):
        check_percent_format(left)


def _check_product(left: Any, right: Any) -> None:
    if _whole(left) and _whole(right):
        if (left.bit_length() + right.bit_length()) * 0.30103 > MAX_NUMBER_DIGITS:
            raise TemplateLimitError(_("the template multiplies numbers that are too large"))
        return
    for sequence, times in ((left, right), (right, left)):
        repeated = isinstance(sequence, str | list | tuple) and _whole(times)
        if repeated and len(sequence) * times > MAX_MESSAGE_CHARS:
            raise TemplateLimitError(
                _(
                    "the template repeats a text {times} times: a message may be at most "
                    "{limit} characters long"
                ).format(times=_short(times), limit=MAX_MESSAGE_CHARS)
            )


def check_percent_format(text: str) -> None:
    """`'%0999999999d' % 1` asks for a billion characters: widths stay below a message's size."""
    for match in _PERCENT_SPEC.finditer(text):
        for number in match.groups():
            if number == "*" or (number and int(number) > MAX_MESSAGE_CHARS):
                raise TemplateLimitError(
                    _("the template formats with a width larger than a message may be long")
                )


def check_limits_of(node: Any) -> None:
    """The limits checked while compiling, for what the template writes as constants: an
    operator (`10 ** 300000000`), the numbers given to a call or a filter (`center(10**9)`)."""
    from jinja2 import nodes

    if isinstance(node, nodes.BinExpr):
        left, right = _folded(node.left), _folded(node.right)
        if left is not _UNKNOWN and right is not _UNKNOWN:
            check_operation(node.operator, left, right)
    elif isinstance(node, nodes.Call | nodes.Filter):
        if isinstance(node, nodes.Filter) and node.name == "format" and node.node is not None:
            check_operation("%", _folded(node.node), None)
        values = [_folded(argument) for argument in (*node.args, *(k.value for k in node.kwargs))]
        _check_arguments(tuple(v for v in values if v is not _UNKNOWN), {})


_UNKNOWN = object()
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "**": lambda a, b: a**b,
    "*": lambda a, b: a * b,
    "%": lambda a, b: a % b,
}


def _folded(node: Any) -> Any:
    """The value of a constant expression, each operator checked before it is computed;
    _UNKNOWN when it depends on the record (or cannot be computed)."""
    from jinja2 import nodes

    if isinstance(node, nodes.BinExpr) and node.operator in _OPERATORS:
        left, right = _folded(node.left), _folded(node.right)
        if left is _UNKNOWN or right is _UNKNOWN:
            return _UNKNOWN
        check_operation(node.operator, left, right)
        try:
            return _OPERATORS[node.operator](left, right)
        except (ArithmeticError, TypeError, ValueError):
            return _UNKNOWN
    try:
        return node.as_const()
    except nodes.Impossible:
        return _UNKNOWN


def _check_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        _checked_result(value)
        if _whole(value) and abs(value) > MAX_MESSAGE_CHARS:
            raise TemplateLimitError(
                _(
                    "the template passes {number} to a function or filter: numbers given to "
                    "them must stay below {limit}"
                ).format(number=_short(value), limit=MAX_MESSAGE_CHARS)
            )


def _checked_result(result: Any) -> Any:
    if isinstance(result, str) and len(result) > MAX_MESSAGE_CHARS:
        raise TemplateLimitError(
            _("the template makes a text longer than {limit} characters").format(
                limit=MAX_MESSAGE_CHARS
            )
        )
    return result


def _bounded(function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter with the limits of calls (jinja2 calls filters directly, not through `call`)."""

    @functools.wraps(function)  # keeps jinja_pass_arg, so the filter gets its context
    def filtered(*args: Any, **kwargs: Any) -> Any:
        _check_arguments(args, kwargs)
        if function.__name__ == "do_format" and args and isinstance(args[0], str):
            check_percent_format(args[0])
        return _checked_result(function(*args, **kwargs))

    return filtered


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _short(number: int) -> str:
    """A number as a message may quote it (a 5,000-digit one is not quoted whole)."""
    if abs(number) < 10**12:
        return str(number)
    return _("a number of about {digits} digits").format(
        digits=int(abs(number).bit_length() * 0.30103)
    )


@contextmanager
def bounded(seconds: float = MESSAGE_SECONDS) -> Iterator[None]:
    """While a message renders: TemplateTimeoutError after `seconds` (in the main thread, where a
    signal can interrupt the loop) and MemoryError beyond `MEMORY_HEADROOM` more memory."""
    with _memory_ceiling(), _deadline(seconds):
        yield


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread receives signals; the refusals above still hold
        return

    def expire(signum: int, frame: Any) -> None:
        raise TemplateTimeoutError(
            _("the template took longer than {seconds} seconds to render").format(seconds=seconds)
        )

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _memory_ceiling() -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    try:
        pages = os.pread(_statm(os.getpid()), 64, 0).split()[0]
        in_use = int(pages) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        yield  # no /proc: the refusals above still hold
        return
    ceiling = in_use + MEMORY_HEADROOM
    if soft != resource.RLIM_INFINITY and soft <= ceiling:
        yield  # already tighter than ours
        return
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@functools.lru_cache(maxsize=1)
def _statm(pid: int) -> int:
    """/proc/self/statm of process `pid`, opened once: `crm remind` renders thousands of
    messages, and opening the file for each cost more than rendering. Keyed by the process,
    since after a fork the inherited descriptor still tells of the parent."""
    return os.open("/proc/self/statm", os.O_RDONLY)
