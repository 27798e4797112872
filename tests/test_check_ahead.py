"""The rules of one record applied in the parse workers (`rules_ahead`), with the same outcome.

A cold `crm check` of a large project has the workers that parse its files apply the rules
that need no other record; this process applies the rest (references, depends_on) in the
order of each record's keys. Every record problem keeps its file, line, column, code and
message: the report is byte for byte the single process's (CRM_PROCESSES=1).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crmcli.check.workspace import rules_ahead
from crmcli.core.loader import Loader
from crmcli.core.parse_pool import POOL_FROM
from crmcli.fields.context import FieldContext
from crmcli.fields.record import NOTHING_AHEAD, RecordChecker

from .conftest import crm
from .generated_workspace import generate
from .test_parse_pool import with_the_pool

SEALED = "zz-sealed.yaml"
BROKEN = {  # each breaks rules of one record, some of them rules that read other records
    "zz-amount.yaml": "name: Lots\nlist: Won\nclient: {client}\namount: lots\nconfidence: 9\n",
    "zz-dangling.yaml": "name: Nobody's\nlist: Won\nclient: no-such-client\namount: 5\n",
    "zz-lost.yaml": "name: Lost one\nlist: Lost\nclient: {client}\n",
    "zz-unknown.yaml": "name: Typo\nlist: Won\nclient: {client}\namont: 5\nprofit: 3\n",
    "zz-nothing.yaml": "name: Bare\n",
    "zz-dates.yaml": 'name: Dates\nlist: Won\nclient: [{client}]\nclose_date: "someday"\n',
    "Zz_Bad_Id.yaml": "name: Capitals\nlist: Won\nclient: {client}\nproposal: not a url\n",
    # a hidden field's sealed value is opened (here: left out) after parsing: checked here
    SEALED: "name: Sealed\nlist: Won\nclient: {client}\ncost: enc:v1:damaged\n",
}


def broken_project(root: Path) -> Path:
    """A generated workspace whose large project holds the BROKEN records."""
    generate(root, clients=40, deals=POOL_FROM + 20)
    client = sorted((root / "clients").glob("[!_]*.yaml"))[0].stem
    for name, text in BROKEN.items():
        (root / "opportunities" / name).write_text(text.format(client=client))
    return root


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return broken_project(tmp_path_factory.mktemp("ahead"))


def test_a_cold_check_reports_what_one_process_reports(large: Path) -> None:
    alone = crm("-C", large, "check", "--format", "json", "--no-cache", env={"CRM_PROCESSES": "1"})
    pooled = crm("-C", large, "check", "--format", "json", "--no-cache", env={"CRM_PROCESSES": "2"})
    shutil.rmtree(large / ".crm", ignore_errors=True)
    cold = crm("-C", large, "check", "--format", "json", env={"CRM_PROCESSES": "2"})
    warm = crm("-C", large, "check", "--format", "json", env={"CRM_PROCESSES": "2"})
    assert alone.returncode == pooled.returncode == cold.returncode == warm.returncode == 1
    assert pooled.stdout == alone.stdout == cold.stdout == warm.stdout
    for code in ("wrong-type", "dangling-reference", "required", "unknown-field", "bad-id"):
        assert f'"{code}"' in alone.stdout


def checked_in_workers(root: Path) -> dict[str, tuple[bool, list[str], list[str]]]:
    """Per opportunity: whether a worker checked it, the codes the worker found, and whether
    the issues from there equal those found here."""
    loader = Loader(root, check_ahead=rules_ahead)
    workspace = loader.load()
    project = workspace.projects["opportunities"]
    checker = RecordChecker(FieldContext(workspace, project))
    answers = {}
    for record in project.records.values():
        found = loader.checked_ahead.get(record.path, NOTHING_AHEAD) or NOTHING_AHEAD
        ahead = [i.code for issues in found.values.values() for i in issues]
        here = checker.issues(record)
        answers[record.path] = (
            record.path in loader.checked_ahead,
            ahead + [i.code for i in found.record],
            [repr(i) for i in here] == [repr(i) for i in checker.issues(record, found)],
        )
    return answers


def test_workers_apply_the_rules_that_need_no_other_record(large: Path) -> None:
    answers = with_the_pool(lambda: checked_in_workers(large))
    assert len(answers) == POOL_FROM + 20 + len(BROKEN)
    unread = [p for p, (read, _codes, _same) in answers.items() if not read]
    assert unread == [f"opportunities/{SEALED}"]
    assert all(same for _read, _codes, same in answers.values())
    codes = {path.rpartition("/")[2]: codes for path, (_read, codes, _same) in answers.items()}
    assert codes["zz-amount.yaml"] == ["wrong-type", "wrong-type"]  # amount, confidence
    assert codes["zz-dangling.yaml"] == []  # a reference is checked where every record is
    assert codes["zz-lost.yaml"] == ["required"]
    assert codes["zz-unknown.yaml"] == ["unknown-field", "computed-field-in-record"]
    assert codes["zz-nothing.yaml"] == ["required", "no-list"]
    assert codes["Zz_Bad_Id.yaml"] == ["invalid-url", "bad-id"]
