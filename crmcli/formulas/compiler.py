"""The expression language of formulas, `where` filters and automation conditions.

Expressions use Python's syntax, parsed by the standard `ast` module; only a whitelist of
nodes is accepted and each is compiled into a closure once, so evaluation never touches
`eval`. Values follow spreadsheet habits: an empty field is None, arithmetic with None gives
None (except text concatenation, where None is ""), comparisons with None are false, IF and
and/or evaluate only the branch they need.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from crmcli.i18n import _

MAX_EXPRESSION_LENGTH = 2000
MAX_NESTING = 100  # well under Python's recursion limit, which compiling and evaluating use

# Static types of values, used to catch `amount - name` at the schema line.
NUMBER, TEXT, DATE, BOOL, LIST, ANY = "number", "text", "date", "bool", "list", "any"


class Scope(Protocol):
    """What an expression reads: names, dotted paths through references, and today's date."""

    today: date

    def get(self, name: str) -> Any: ...

    def path(self, names: tuple[str, ...]) -> Any: ...


class FormulaError(Exception):
    """An expression that cannot be compiled or evaluated; code names the kind."""

    def __init__(self, code: str, message: str, column: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.column = column


Evaluator = Callable[[Scope], Any]


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    implementation: Callable[..., Any]
    min_args: int
    max_args: int | None
    result: str = ANY
    needs_scope: bool = False
    lazy: bool = False  # receives evaluators, not values (IF)


@dataclass(frozen=True)
class Expression:
    source: str
    tree: ast.expr
    names: frozenset[str]
    paths: frozenset[tuple[str, ...]]
    evaluate: Evaluator = field(repr=False)

    def __call__(self, scope: Scope) -> Any:
        return self.evaluate(scope)


# value helpers


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    if value is None:
        return _("empty")
    if isinstance(value, bool):
        return _("yes/no")
    if is_number(value):
        return _("number")
    if isinstance(value, str):
        return _("text")
    if isinstance(value, date):
        return _("date")
    if isinstance(value, list):
        return _("list")
    return type(value).__name__


def _type_error(verb: str, left: Any, right: Any) -> FormulaError:
    return FormulaError(
        "type-error",
        _("cannot {verb} {left} and {right}").format(
            verb=verb, left=_kind(left), right=_kind(right)
        ),
    )


def _as_date(value: Any) -> Any:
    return value.date() if isinstance(value, datetime) else value


def _add(left: Any, right: Any) -> Any:
    if left is None or right is None:
        other = right if left is None else left
        return other if isinstance(other, str) else None
    if is_number(left) and is_number(right):
        return left + right
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    if isinstance(left, date) and is_number(right):
        return _as_date(left) + timedelta(days=right)
    if isinstance(left, list) and isinstance(right, list):
        return left + right
    raise _type_error(_("add"), left, right)


def _subtract(left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    if is_number(left) and is_number(right):
        return left - right
    if isinstance(left, date) and isinstance(right, date):
        return (_as_date(left) - _as_date(right)).days
    if isinstance(left, date) and is_number(right):
        return _as_date(left) - timedelta(days=right)
    raise _type_error(_("subtract"), left, right)


def _numeric(verb: str, function: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(left: Any, right: Any) -> Any:
        if left is None or right is None:
            return None
        if not (is_number(left) and is_number(right)):
            raise _type_error(verb, left, right)
        if right == 0 and function is not operator.mul:
            raise FormulaError("division-by-zero", _("division by zero"))
        return function(left, right)

    return apply


def _ordering(function: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(left: Any, right: Any) -> bool:
        if left is None or right is None:
            return False
        left, right = _as_date(left), _as_date(right)
        if (is_number(left) and is_number(right)) or type(left) is type(right):
            return function(left, right)
        raise _type_error(_("compare"), left, right)

    return compare


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, date) and isinstance(right, date):
        return _as_date(left) == _as_date(right)
    return left == right


def _contains(item: Any, container: Any) -> bool:
    if container is None or item is None:
        return False
    if isinstance(container, str):
        if not isinstance(item, str):
            raise _type_error(_("search"), item, container)
        return item.casefold() in container.casefold()
    if isinstance(container, list):
        return item in container
    raise _type_error(_("search"), item, container)


_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: _add,
    ast.Sub: _subtract,
    ast.Mult: _numeric(_("multiply"), operator.mul),
    ast.Div: _numeric(_("divide"), operator.truediv),
    ast.FloorDiv: _numeric(_("divide"), operator.floordiv),
    ast.Mod: _numeric(_("divide"), operator.mod),
}
_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: _equal,
    ast.NotEq: lambda a, b: not _equal(a, b),
    ast.Lt: _ordering(operator.lt),
    ast.LtE: _ordering(operator.le),
    ast.Gt: _ordering(operator.gt),
    ast.GtE: _ordering(operator.ge),
    ast.In: _contains,
    ast.NotIn: lambda a, b: not _contains(a, b),
}
_CONSTANT_NAMES = {"true": True, "false": False, "null": None, "none": None}


# functions


def _flatten(values: Iterable[Any]) -> list[Any]:
    flat: list[Any] = []
    for value in values:
        if isinstance(value, list):
            flat.extend(_flatten(value))
        elif value is not None:
            flat.append(value)
    return flat


def _numbers(name: str, values: Iterable[Any]) -> list[float]:
    numbers = _flatten(values)
    for value in numbers:
        if not is_number(value):
            raise FormulaError(
                "type-error",
                _("{function} needs numbers, not {kind}").format(function=name, kind=_kind(value)),
            )
    return numbers


def _round(value: Any, digits: Any = 0) -> Any:
    if value is None:
        return None
    if not is_number(value) or not isinstance(digits, int):
        raise FormulaError("type-error", _("ROUND needs a number"))
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return int(rounded) if digits <= 0 else float(rounded)


def _extreme(name: str, pick: Callable[[list[Any]], Any]) -> Callable[..., Any]:
    def apply(*values: Any) -> Any:
        flat = _flatten(values)
        if not flat:
            return None
        try:
            return pick([_as_date(v) for v in flat])
        except TypeError:
            raise FormulaError(
                "type-error", _("{function} needs values of one kind").format(function=name)
            ) from None

    return apply


def _sum(*values: Any) -> Any:
    return sum(_numbers("SUM", values))


def _average(*values: Any) -> Any:
    numbers = _numbers("AVG", values)
    return sum(numbers) / len(numbers) if numbers else None


def _length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str | list):
        return len(value)
    raise FormulaError(
        "type-error", _("LEN needs text or a list, not {kind}").format(kind=_kind(value))
    )


def display_text(value: Any) -> str:
    """A value as text in a formula: 12000.0 → '12000', lists joined with ', '."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(display_text(item) for item in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _text_function(name: str, function: Callable[[str], str]) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise FormulaError(
                "type-error",
                _("{function} needs text, not {kind}").format(function=name, kind=_kind(value)),
            )
        return function(value)

    return apply


def _date_part(name: str, part: str) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, date):
            raise FormulaError(
                "type-error",
                _("{function} needs a date, not {kind}").format(function=name, kind=_kind(value)),
            )
        return getattr(value, part)

    return apply


def _days_between(start: Any, end: Any) -> Any:
    for value in (start, end):
        if value is not None and not isinstance(value, date):
            raise FormulaError(
                "type-error",
                _("DAYS_BETWEEN needs dates, not {kind}").format(kind=_kind(value)),
            )
    return _subtract(end, start)


def _if(
    scope: Scope, condition: Evaluator, then: Evaluator, otherwise: Evaluator | None = None
) -> Any:
    if condition(scope):
        return then(scope)
    return otherwise(scope) if otherwise else None


def _coalesce(scope: Scope, *evaluators: Evaluator) -> Any:
    for evaluator in evaluators:
        value = evaluator(scope)
        if value not in (None, "", []):
            return value
    return None


def _days_until(scope: Scope, value: Any) -> Any:
    return _subtract(value, scope.today)


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("IF", _if, 2, 3, ANY, lazy=True),
        Function("COALESCE", _coalesce, 1, None, ANY, lazy=True),
        Function("ROUND", _round, 1, 2, NUMBER),
        Function("MIN", _extreme("MIN", min), 1, None, ANY),
        Function("MAX", _extreme("MAX", max), 1, None, ANY),
        Function(
            "ABS", lambda v: None if v is None else abs(_numbers("ABS", [v])[0]), 1, 1, NUMBER
        ),
        Function("SUM", _sum, 1, None, NUMBER),
        Function("AVG", _average, 1, None, NUMBER),
        Function("LEN", _length, 1, 1, NUMBER),
        Function("CONCAT", lambda *v: "".join(display_text(x) for x in v), 1, None, TEXT),
        Function("UPPER", _text_function("UPPER", str.upper), 1, 1, TEXT),
        Function("LOWER", _text_function("LOWER", str.lower), 1, 1, TEXT),
        Function("TODAY", lambda scope: scope.today, 0, 0, DATE, needs_scope=True),
        Function("DAYS_BETWEEN", _days_between, 2, 2, NUMBER),
        Function("DAYS_UNTIL", _days_until, 1, 1, NUMBER, needs_scope=True),
        Function("YEAR", _date_part("YEAR", "year"), 1, 1, NUMBER),
        Function("MONTH", _date_part("MONTH", "month"), 1, 1, NUMBER),
        Function("DAY", _date_part("DAY", "day"), 1, 1, NUMBER),
    )
}


# compiling


class _Compiler:
    def __init__(self, functions: Mapping[str, Function]) -> None:
        self.functions = functions
        self.names: set[str] = set()
        self.paths: set[tuple[str, ...]] = set()

    def compile(self, node: ast.AST) -> Evaluator:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise FormulaError(
                "syntax",
                _("“{code}” is not allowed in an expression").format(code=_source_of(node)),
                getattr(node, "col_offset", 0),
            )
        return method(node)

    def _Constant(self, node: ast.Constant) -> Evaluator:
        value = node.value
        if not isinstance(value, str | int | float | bool | type(None)):
            raise FormulaError("syntax", _("unsupported constant {value!r}").format(value=value))
        return lambda scope: value

    def _Name(self, node: ast.Name) -> Evaluator:
        name = _field_name(node.id, node)
        if name.lower() in _CONSTANT_NAMES:
            value = _CONSTANT_NAMES[name.lower()]
            return lambda scope: value
        if name in ("True", "False", "None"):
            value = {"True": True, "False": False, "None": None}[name]
            return lambda scope: value
        self.names.add(name)
        return lambda scope: scope.get(name)

    def _Attribute(self, node: ast.Attribute) -> Evaluator:
        chain: list[str] = []
        current: ast.expr = node
        while isinstance(current, ast.Attribute):
            chain.append(_field_name(current.attr, node))
            current = current.value
        if not isinstance(current, ast.Name):
            raise FormulaError(
                "syntax", _("a dotted name must start with a field name"), node.col_offset
            )
        chain.append(_field_name(current.id, node))
        path = tuple(reversed(chain))
        self.names.add(path[0])
        self.paths.add(path)
        return lambda scope: scope.path(path)

    def _List(self, node: ast.List | ast.Tuple) -> Evaluator:
        items = [self.compile(item) for item in node.elts]
        return lambda scope: [item(scope) for item in items]

    _Tuple = _List

    def _BinOp(self, node: ast.BinOp) -> Evaluator:
        function = _BINARY.get(type(node.op))
        if function is None:
            raise FormulaError(
                "syntax",
                _("the operator in “{code}” is not allowed").format(code=_source_of(node)),
                node.col_offset,
            )
        left, right = self.compile(node.left), self.compile(node.right)
        return lambda scope: function(left(scope), right(scope))

    def _UnaryOp(self, node: ast.UnaryOp) -> Evaluator:
        operand = self.compile(node.operand)
        if isinstance(node.op, ast.Not):
            return lambda scope: not operand(scope)
        if isinstance(node.op, ast.USub):
            return lambda scope: _subtract(0, operand(scope))
        if isinstance(node.op, ast.UAdd):
            return operand
        raise FormulaError("syntax", _("the operator “~” is not allowed"), node.col_offset)

    def _BoolOp(self, node: ast.BoolOp) -> Evaluator:
        values = [self.compile(value) for value in node.values]
        if isinstance(node.op, ast.And):
            return lambda scope: all(value(scope) for value in values)
        return lambda scope: any(value(scope) for value in values)

    def _Compare(self, node: ast.Compare) -> Evaluator:
        operands = [self.compile(node.left), *(self.compile(c) for c in node.comparators)]
        functions = []
        for op in node.ops:
            if type(op) not in _COMPARE:
                raise FormulaError(
                    "syntax", _("use == and != to compare, not “is”"), node.col_offset
                )
            functions.append(_COMPARE[type(op)])

        def compare(scope: Scope) -> bool:
            left = operands[0](scope)
            for function, evaluate in zip(functions, operands[1:], strict=True):
                right = evaluate(scope)
                if not function(left, right):
                    return False
                left = right
            return True

        return compare

    def _IfExp(self, node: ast.IfExp) -> Evaluator:
        test, body, orelse = (
            self.compile(node.test),
            self.compile(node.body),
            self.compile(node.orelse),
        )
        return lambda scope: body(scope) if test(scope) else orelse(scope)

    def _Call(self, node: ast.Call) -> Evaluator:
        function = self._function(node)
        arguments = [self.compile(arg) for arg in node.args]
        implementation = function.implementation
        if function.lazy:
            return lambda scope: implementation(scope, *arguments)
        if function.needs_scope:
            return lambda scope: implementation(scope, *(a(scope) for a in arguments))
        return lambda scope: implementation(*(a(scope) for a in arguments))

    def _function(self, node: ast.Call) -> Function:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise FormulaError(
                "syntax",
                _("only plain function calls such as ROUND(x, 2) are allowed"),
                node.col_offset,
            )
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise FormulaError("syntax", _("“*” is not allowed in a call"), node.col_offset)
        name = node.func.id
        function = self.functions.get(name.upper())
        if function is None:
            from crmcli.core.problems import did_you_mean

            raise FormulaError(
                "unknown-function",
                _("unknown function {name}(){hint}").format(
                    name=name, hint=did_you_mean(name.upper(), self.functions)
                ),
                node.col_offset,
            )
        count = len(node.args)
        if count < function.min_args or (
            function.max_args is not None and count > function.max_args
        ):
            raise FormulaError(
                "wrong-arguments",
                _("{name}() takes {expected} argument(s), not {count}").format(
                    name=function.name, expected=_arity(function), count=count
                ),
                node.col_offset,
            )
        return function


def _field_name(name: str, node: ast.expr) -> str:
    """Field names never start with “__”: Python's internals are not reachable by name."""
    if name.startswith("__"):
        raise FormulaError(
            "syntax",
            _("“{name}” is not allowed in an expression").format(name=name),
            node.col_offset,
        )
    return name


def _nesting(tree: ast.AST) -> int:
    """The depth of the tree, measured without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _arity(function: Function) -> str:
    if function.max_args is None:
        return _("{n} or more").format(n=function.min_args)
    if function.min_args == function.max_args:
        return str(function.min_args)
    return _("{a} to {b}").format(a=function.min_args, b=function.max_args)


def _source_of(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # unparse of an exotic node; the message only needs a hint
        return type(node).__name__


def compile_expression(source: str, functions: Mapping[str, Function] = FUNCTIONS) -> Expression:
    """Parse and compile an expression, or raise FormulaError (syntax, unknown-function…)."""
    if not isinstance(source, str) or not source.strip():
        raise FormulaError("syntax", _("the expression is empty"))
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise FormulaError(
            "syntax",
            _("the expression is longer than {n} characters").format(n=MAX_EXPRESSION_LENGTH),
        )
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except (RecursionError, MemoryError):
        tree = None
    except SyntaxError as error:
        raise FormulaError(
            "syntax",
            _("cannot read the expression “{source}”: {reason}").format(
                source=source.strip(), reason=error.msg
            ),
            (error.offset or 1) - 1,
        ) from None
    if tree is None or _nesting(tree) > MAX_NESTING:
        raise FormulaError(
            "syntax",
            _("the expression is nested more than {n} levels deep").format(n=MAX_NESTING),
        )
    compiler = _Compiler(functions)
    evaluate = compiler.compile(tree)
    return Expression(source, tree, frozenset(compiler.names), frozenset(compiler.paths), evaluate)


# static types


def infer_type(
    expression: Expression,
    type_of_path: Callable[[tuple[str, ...]], str],
    functions: Mapping[str, Function] = FUNCTIONS,
) -> str:
    """The static type of the expression, raising FormulaError on a definite type mismatch."""
    return _TypeInference(type_of_path, functions).infer(expression.tree)


class _TypeInference:
    def __init__(
        self, type_of_path: Callable[[tuple[str, ...]], str], functions: Mapping[str, Function]
    ) -> None:
        self.type_of_path = type_of_path
        self.functions = functions

    def infer(self, node: ast.AST) -> str:
        if isinstance(node, ast.Constant):
            return _constant_type(node.value)
        if isinstance(node, ast.Name):
            lowered = node.id.lower()
            if lowered in _CONSTANT_NAMES or node.id in ("True", "False", "None"):
                return _constant_type(_CONSTANT_NAMES.get(lowered))
            return self.type_of_path((node.id,))
        if isinstance(node, ast.Attribute):
            return self.type_of_path(_attribute_path(node))
        if isinstance(node, ast.List | ast.Tuple):
            for item in node.elts:
                self.infer(item)
            return LIST
        if isinstance(node, ast.BinOp):
            return self._binary(node)
        if isinstance(node, ast.UnaryOp):
            operand = self.infer(node.operand)
            if isinstance(node.op, ast.Not):
                return BOOL
            self._expect(operand, {NUMBER}, _("negate"))
            return NUMBER
        if isinstance(node, ast.BoolOp):
            for value in node.values:
                self.infer(value)
            return BOOL
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.IfExp):
            self.infer(node.test)
            return _join(self.infer(node.body), self.infer(node.orelse))
        if isinstance(node, ast.Call):
            return self._call(node)
        return ANY

    def _binary(self, node: ast.BinOp) -> str:
        left, right = self.infer(node.left), self.infer(node.right)
        if ANY in (left, right):
            return ANY
        pair = (left, right)
        if isinstance(node.op, ast.Add):
            allowed = {
                (NUMBER, NUMBER): NUMBER,
                (TEXT, TEXT): TEXT,
                (DATE, NUMBER): DATE,
                (LIST, LIST): LIST,
            }
            verb = _("add")
        elif isinstance(node.op, ast.Sub):
            allowed = {(NUMBER, NUMBER): NUMBER, (DATE, DATE): NUMBER, (DATE, NUMBER): DATE}
            verb = _("subtract")
        else:
            allowed = {(NUMBER, NUMBER): NUMBER}
            verb = _("multiply or divide")
        if pair not in allowed:
            raise FormulaError(
                "type-error",
                _("cannot {verb} {left} and {right} in “{code}”").format(
                    verb=verb,
                    left=_type_word(left),
                    right=_type_word(right),
                    code=ast.unparse(node),
                ),
            )
        return allowed[pair]

    def _compare(self, node: ast.Compare) -> str:
        types = [self.infer(node.left), *(self.infer(c) for c in node.comparators)]
        for op, left, right in zip(node.ops, types, types[1:], strict=False):
            ordering = isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE)
            if ordering and ANY not in (left, right) and left != right:
                raise FormulaError(
                    "type-error",
                    _("cannot compare {left} with {right} in “{code}”").format(
                        left=_type_word(left), right=_type_word(right), code=ast.unparse(node)
                    ),
                )
        return BOOL

    def _call(self, node: ast.Call) -> str:
        argument_types = [self.infer(arg) for arg in node.args]
        name = node.func.id.upper() if isinstance(node.func, ast.Name) else ""
        function = self.functions.get(name)
        if function is None:
            return ANY
        expected = _ARGUMENT_TYPES.get(function.name)
        if expected:
            for argument_type in argument_types[: len(expected)]:
                self._expect(argument_type, expected, function.name)
        if function.name == "IF" and len(argument_types) >= 2:
            return _join(*argument_types[1:])
        if function.name in ("MIN", "MAX", "COALESCE") and argument_types:
            return _join(*argument_types)
        return function.result

    def _expect(self, actual: str, allowed: set[str], what: str) -> None:
        if actual not in allowed and actual != ANY:
            raise FormulaError(
                "type-error",
                _("{what} cannot take {kind}").format(what=what, kind=_type_word(actual)),
            )


_ARGUMENT_TYPES: dict[str, set[str]] = {
    "ROUND": {NUMBER},
    "ABS": {NUMBER},
    "UPPER": {TEXT},
    "LOWER": {TEXT},
    "YEAR": {DATE},
    "MONTH": {DATE},
    "DAY": {DATE},
    "DAYS_BETWEEN": {DATE},
    "DAYS_UNTIL": {DATE},
    "LEN": {TEXT, LIST},
}


def _attribute_path(node: ast.Attribute) -> tuple[str, ...]:
    chain: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        chain.append(current.attr)
        current = current.value
    if isinstance(current, ast.Name):
        chain.append(current.id)
    return tuple(reversed(chain))


def _constant_type(value: Any) -> str:
    if isinstance(value, bool):
        return BOOL
    if is_number(value):
        return NUMBER
    if isinstance(value, str):
        return TEXT
    return ANY


def _join(*types: str) -> str:
    known = {t for t in types if t != ANY}
    return known.pop() if len(known) == 1 and ANY not in types else ANY


def _type_word(type_name: str) -> str:
    return {
        NUMBER: _("a number"),
        TEXT: _("text"),
        DATE: _("a date"),
        BOOL: _("a yes/no value"),
        LIST: _("a list"),
    }.get(type_name, type_name)
