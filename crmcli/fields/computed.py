"""Fields the engine computes from other fields: `lookup`, `referenced_by`, `rollup` and
`formula`. Nothing is stored, so nothing is checked or typed in; how a formula sees a lookup,
rollup or formula depends on what it reads, which the engine works out."""

from __future__ import annotations

from typing import Any

from crmcli.errors import InvalidValueError
from crmcli.fields.base import FieldType
from crmcli.fields.context import FieldContext
from crmcli.i18n import _


class Computed(FieldType):
    __slots__ = ()

    def parse(self, text: str, context: FieldContext) -> Any:
        raise InvalidValueError(
            _(
                "{label} is computed ({kind}) and cannot be set; change the fields it comes from"
            ).format(label=self.field.label, kind=self.field.type)
        )


class Lookup(Computed):
    __slots__ = ()


class ReferencedBy(Computed):
    """The records of another project whose reference names this one."""

    __slots__ = ()
    formula_type = "list"


class Rollup(Computed):
    __slots__ = ()


class Formula(Computed):
    __slots__ = ()
