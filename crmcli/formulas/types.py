"""Static types of expressions, to catch `amount - name` at the schema line."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any

from crmcli.formulas.compiler import Expression
from crmcli.formulas.functions import FUNCTIONS, Function
from crmcli.formulas.values import (
    ANY,
    BOOL,
    CONSTANT_NAMES,
    DATE,
    LIST,
    NUMBER,
    TEXT,
    FormulaError,
    is_number,
)
from crmcli.i18n import _

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
            if lowered in CONSTANT_NAMES or node.id in ("True", "False", "None"):
                return _constant_type(CONSTANT_NAMES.get(lowered))
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
            self._expect(operand, {NUMBER}, _("cannot negate {kind}"))
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
            message = _("cannot add {left} and {right} in “{code}”")
        elif isinstance(node.op, ast.Sub):
            allowed = {(NUMBER, NUMBER): NUMBER, (DATE, DATE): NUMBER, (DATE, NUMBER): DATE}
            message = _("cannot subtract {left} and {right} in “{code}”")
        else:
            allowed = {(NUMBER, NUMBER): NUMBER}
            message = _("cannot multiply or divide {left} and {right} in “{code}”")
        if pair not in allowed:
            raise FormulaError(
                "type-error",
                message.format(
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
                self._expect(
                    argument_type,
                    expected,
                    _("{function} cannot take {kind}"),
                    function=function.name,
                )
        if function.name == "IF" and len(argument_types) >= 2:
            return _join(*argument_types[1:])
        if function.name in ("MIN", "MAX", "COALESCE") and argument_types:
            return _join(*argument_types)
        return function.result

    def _expect(self, actual: str, allowed: set[str], message: str, **names: str) -> None:
        """message: a whole sentence with {kind}, the type that is not allowed."""
        if actual not in allowed and actual != ANY:
            raise FormulaError("type-error", message.format(kind=_type_word(actual), **names))


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
