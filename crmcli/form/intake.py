"""A submission becomes a record: answers read, a likely duplicate flagged, the record written
by the editor (lock, unique id, atomic write), the `created` automations run (assignment,
notification), and with --commit a commit that says what came in.

Submissions are taken one at a time: the record's id is free when it is taken, and the
automations (least-loaded assignment, their state) see each record before the next."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from crmcli.editing.change import Change
from crmcli.engine.reader import workspace_now
from crmcli.errors import CrmError
from crmcli.form.answers import Answer, Answers, read_answers
from crmcli.form.duplicates import flag_duplicate
from crmcli.form.live import Opened, ServedWorkspace
from crmcli.i18n import _

log = logging.getLogger("crmcli.form")
FORM_ERROR = ""  # the key of an error about the whole submission, not one field


@dataclass(slots=True)
class Submitted:
    answers: Answers
    change: Change | None = None  # None: not written, the answers say why


class Intake:
    def __init__(self, served: ServedWorkspace, commit: bool = False) -> None:
        self.served = served
        self.commit = commit
        self._one_at_a_time = threading.Lock()

    def submit(self, project_key: str, raw: Mapping[str, Answer]) -> Submitted:
        with self._one_at_a_time, self.served.writing() as opened:
            answers = read_answers(opened.forms[project_key], raw, opened.context(project_key))
            if not answers.valid:
                return Submitted(answers)
            try:
                change = self._create(opened, project_key, answers)
            except CrmError as error:
                answers.errors[FORM_ERROR] = error.message
                return Submitted(answers)
            self._run_automations(change, opened)
            self.served.wrote(change.written)
            if self.commit:
                self._commit(change)
            return Submitted(answers, change)

    def _create(self, opened: Opened, project_key: str, answers: Answers) -> Change:
        editor = opened.editor
        project = editor.workspace.projects[project_key]
        values = dict(answers.values)
        list_name = opened.forms[project_key].list_name
        if list_name:
            values["list"] = list_name
        finder = opened.contacts[project_key]
        likely = [
            match
            for match in finder.matches({**values, "name": answers.name}, "")
            if opened.still_there(match.records[1])
        ]
        if likely:
            flag_duplicate(project, values, likely[0], workspace_now(editor.workspace))
        change = editor.create(project, answers.name, values)
        finder.add(str(change.record).partition("/")[2], {**values, "name": answers.name})
        return change

    def _run_automations(self, change: Change, opened: Opened) -> None:
        from crmcli.automations.runs import after_edit

        now = workspace_now(opened.editor.workspace)
        try:
            report = after_edit(
                self.served.root, change, now, opened.editor, tidy=False, standing=opened.standing
            )
        except CrmError as error:  # the record is written; the log says why no rule ran
            log.warning(_("no automation ran: {reason}").format(reason=error.message))
            return
        if report is None:
            return
        for outcome in report.failed:
            log.warning(
                _("automation “{rule}” could not reach {target}: {reason}").format(
                    rule=outcome.rule, target=outcome.target, reason=outcome.detail
                )
            )
        change.written.extend(p for p in report.written if p not in change.written)

    def _commit(self, change: Change) -> None:
        from crmcli.git.run import commit_paths

        message = _("Web form: {summary}").format(summary=change.summary)
        try:
            commit_paths(self.served.root, change.paths, message)
        except CrmError as error:  # the record is on disk: say so, and that it is not committed
            log.warning(
                _("{summary}: written, but not committed: {reason}").format(
                    summary=change.summary, reason=error.message
                )
            )
