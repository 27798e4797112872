"""The expression language of formulas, `where` filters and automation conditions.

Expressions use Python's syntax, parsed by the standard `ast` module; only a whitelist of
nodes is accepted and each is compiled into a closure once, so evaluation never touches
`eval`. IF and and/or evaluate only the branch they need; how values combine is in
`values.py`, the functions in `functions.py`, static types in `types.py`.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crmcli.core.text_forms import nfc
from crmcli.formulas.functions import FUNCTIONS, Function
from crmcli.formulas.values import (
    BINARY,
    COMPARE,
    CONSTANT_NAMES,
    Evaluator,
    FormulaError,
    Scope,
    subtract,
)
from crmcli.i18n import _, ngettext

MAX_EXPRESSION_LENGTH = 2000
MAX_NESTING = 100  # well under Python's recursion limit, which compiling and evaluating use


@dataclass(frozen=True)
class Expression:
    source: str
    tree: ast.expr
    names: frozenset[str]
    paths: frozenset[tuple[str, ...]]
    evaluate: Evaluator = field(repr=False)

    def __call__(self, scope: Scope) -> Any:
        return self.evaluate(scope)


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
        if isinstance(value, str):
            value = nfc(value)  # compared with record texts, which the loader put in NFC
        return lambda scope: value

    def _Name(self, node: ast.Name) -> Evaluator:
        name = _field_name(node.id, node)
        if name.lower() in CONSTANT_NAMES:
            value = CONSTANT_NAMES[name.lower()]
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
        function = BINARY.get(type(node.op))
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
            return lambda scope: subtract(0, operand(scope))
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
            if type(op) not in COMPARE:
                raise FormulaError(
                    "syntax", _("use == and != to compare, not “is”"), node.col_offset
                )
            functions.append(COMPARE[type(op)])

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
                ngettext(
                    "{name}() takes {expected} argument, not {count}",
                    "{name}() takes {expected} arguments, not {count}",
                    function.max_args if function.max_args == function.min_args else 2,
                ).format(name=function.name, expected=_arity(function), count=count),
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
