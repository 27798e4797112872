"""Issue 14: a bar chart's axis labels are made once per value (reports/charts.py
`_tick_labels`): matplotlib asks for them at every layout and drawing pass. What it gets must
be what formatting each value gives, whatever the value's type, zero's sign included."""

from __future__ import annotations

import numpy as np
import pytest

from crmcli.fields.formatting import Formatter
from crmcli.reports.charts import _tick_labels
from crmcli.reports.figures import Chart, Series, Unit

VALUES = [0.0, -0.0, 0, 1500.0, np.float64(1500.0), 12_345.678, -2e6, np.float64(-0.0)]


def chart(unit: Unit) -> Chart:
    return Chart("bar", "Won", "", ("May",), (Series(None, (1.0,)),), unit, "", "", "", "")


@pytest.mark.parametrize("locale", ["en_US", "fr_FR", "ru_RU"])
@pytest.mark.parametrize("unit", [Unit("money", "EUR"), Unit("count"), Unit("ratio")])
def test_each_label_is_the_one_formatting_its_value_gives(locale: str, unit: Unit) -> None:
    formatter = Formatter(locale, "EUR")
    label = _tick_labels(chart(unit), formatter)
    for _pass in range(3):  # asked again and again, as matplotlib does
        for value in VALUES:
            assert label(value, None) == unit.compact(formatter, value), value
