"""How problems and tables are printed: text, json, csv, github annotations."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from crmcli.core.terminal import visible
from crmcli.core.yamlio import jsonable
from crmcli.errors import Problem
from crmcli.transfer.cells import neutralise_formula, write_csv_rows


class ProblemFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


class TableFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def display_path(root: Path, relative: str) -> str:
    """A problem's file as the user can open it from where they stand."""
    absolute = root / relative
    try:
        return os.path.relpath(absolute)
    except ValueError:  # another drive on Windows
        return str(absolute)


def problem_line(root: Path, problem: Problem) -> str:
    """A problem as text; the record values it quotes cannot act on the terminal."""
    return (
        f"{display_path(root, problem.path)}:{problem.line}:{problem.column}: "
        f"{problem.severity}[{problem.code}]: {visible(problem.message)}"
    )


def _github_escape(text: str, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def github_annotation(root: Path, problem: Problem) -> str:
    kind = "error" if problem.is_error else "warning"
    file = _github_escape(display_path(root, problem.path), property_value=True)
    title = _github_escape(problem.code, property_value=True)
    return (
        f"::{kind} file={file},line={problem.line},col={problem.column},title={title}::"
        f"{_github_escape(problem.message)}"
    )


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def sarif_log(root: Path, problems: Sequence[Problem]) -> dict[str, Any]:
    """Problems as a SARIF 2.1.0 log, for code-scanning dashboards (GitHub, GitLab, Azure)."""
    from crmcli import __version__

    rules = sorted({p.code for p in problems})
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "crm",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/crmcli/",
                        "rules": [{"id": code, "name": code} for code in rules],
                    }
                },
                "results": [_sarif_result(root, p, rules.index(p.code)) for p in problems],
            }
        ],
    }


def _sarif_result(root: Path, problem: Problem, rule_index: int) -> dict[str, Any]:
    return {
        "ruleId": problem.code,
        "ruleIndex": rule_index,
        "level": "error" if problem.is_error else "warning",
        "message": {"text": problem.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": Path(display_path(root, problem.path)).as_posix(),
                        "uriBaseId": "%SRCROOT%",
                    },
                    "region": {
                        "startLine": max(problem.line, 1),
                        "startColumn": max(problem.column, 1),
                    },
                }
            }
        ],
    }


def write_problems(
    root: Path, problems: Sequence[Problem], fmt: ProblemFormat, out: TextIO
) -> None:
    if fmt is ProblemFormat.sarif:
        json.dump(sarif_log(root, problems), out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    if fmt is ProblemFormat.json:
        json.dump(
            [{**p.to_dict(), "file": display_path(root, p.path)} for p in problems],
            out,
            ensure_ascii=False,
            indent=2,
        )
        out.write("\n")
        return
    render = github_annotation if fmt is ProblemFormat.github else problem_line
    for problem in problems:
        out.write(render(root, problem) + "\n")


def write_json(data: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    json.dump(jsonable(data), out, ensure_ascii=False, indent=2)
    out.write("\n")


def write_csv(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO | None = None
) -> None:
    neutralised = ([neutralise_formula(cell) for cell in row] for row in rows)
    write_csv_rows(out or sys.stdout, [headers, *neutralised])


def write_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO | None = None
) -> None:
    """A table for a terminal: control characters in the cells are shown as escapes."""
    from tabulate import tabulate

    cells = [[visible(c) if isinstance(c, str) else c for c in row] for row in rows]
    table = tabulate(
        cells, headers=[visible(h) for h in headers], tablefmt="simple", disable_numparse=True
    )
    (out or sys.stdout).write(table + "\n")
