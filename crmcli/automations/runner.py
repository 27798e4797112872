"""The Runner: which rules fire — for the schedule of `crm remind`, or for events of an edit
or of the commits `crm automate` reads — and doing their actions: messages through apprise,
record changes through the `Editor` (validated and written atomically like any edit). Each
delivery is remembered right after it succeeded, so a failed one is tried again next run and
a sent one never twice.

Loops are cut short: in reply to one event (and to what automations did about it) a rule
fires at most once per record, so rules whose own `move` or `set` trigger each other cannot go
round forever.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from crmcli.automations import workload
from crmcli.automations.actions import Action, Assign, Move, Notify, SetFields, Tag
from crmcli.automations.assignment import Assigner
from crmcli.automations.conditions import CONDITION, RuleScope, evaluate
from crmcli.automations.events import Trigger, edit_event_id, find_record
from crmcli.automations.messages import MessageContext, message_variables
from crmcli.automations.outcomes import DONE, FAILED, PLANNED, SENT, SKIPPED, Report
from crmcli.automations.pending import pending_entry, trigger_of, why_dropped
from crmcli.automations.recipients import recipients
from crmcli.automations.rules import Rule, read_rules
from crmcli.automations.standing import Standing
from crmcli.automations.state import AutomationState
from crmcli.core.config_schema import check_config_file
from crmcli.core.layout import AUTOMATIONS_FILE
from crmcli.core.model import Record, Workspace
from crmcli.core.problems import ProblemLog
from crmcli.editing.change import Change
from crmcli.editing.editor import Editor
from crmcli.engine.compute import Engine
from crmcli.engine.reader import reader_for
from crmcli.errors import CrmError, Problem
from crmcli.fields.formatting import Formatter
from crmcli.git.timeline import Timeline
from crmcli.i18n import _
from crmcli.i18n.lists import clause_list, value_list


def rules_or_refuse(workspace: Workspace, engine: Engine, log: ProblemLog) -> list[Rule]:
    """The rules, or CrmError listing what is wrong in automations.yaml (nothing is run)."""
    before = len(log.problems)
    if AUTOMATIONS_FILE in workspace.config_files:
        check_config_file(workspace.config_files[AUTOMATIONS_FILE], log)
    rules = read_rules(workspace, engine, log)
    problems = [
        p
        for p in log.problems[before:] + workspace.problems
        if p.path == AUTOMATIONS_FILE and p.is_error
    ]
    if problems:
        raise CrmError(
            _("automations.yaml has errors; nothing was run (see crm check)"),
            problems=sorted(set(problems), key=Problem.sort_key),
        )
    return rules


class Runner:
    """One run: the rules read once, the rules that fire, their actions done (or only listed
    with --dry-run) and reported; automations act for the workspace, not for whoever runs it."""

    def __init__(
        self,
        root: Path,
        state: AutomationState,
        now: datetime,
        dry_run: bool = False,
        editor: Editor | None = None,
        standing: Standing | None = None,
    ) -> None:
        self.root = root
        self.standing = standing
        self.state = state
        self.now = now
        self.dry_run = dry_run
        self.editor = editor or Editor(root)
        workspace = self.editor.workspace
        self.log = ProblemLog(root)
        self.engine = Engine(workspace, self.log, now.date())
        # whoever runs this reads every outcome printed; automations act for the workspace
        actor = self.editor.actor
        self.reader = reader_for(workspace, actor, self.engine)
        self.editor.actor = None
        if standing is None:
            self.rules = rules_or_refuse(workspace, self.engine, self.log)
        else:
            self.rules = standing.rules(
                now.date(), lambda: rules_or_refuse(workspace, self.engine, self.log)
            )
        self.zone = ZoneInfo(workspace.config.timezone)
        self.times = Timeline(root, self.zone)
        self.formatter = Formatter.for_workspace(workspace.config)
        self.link = workspace.config.record_link
        self.report = Report()
        loads = standing.loads if standing is not None else None  # they live on, if it does
        self.assigner = Assigner(root, workspace, state, now, dry_run, self.report, loads)
        self._fired: set[tuple[int, str, str]] = set()
        self._chains = itertools.count(1)
        self._chain = 0
        self._queue: deque[Trigger] = deque()

    # schedule rules: crm remind

    def remind(self, workspace: Workspace, engine: Engine) -> Report:
        """Send what schedule rules have due, evaluated over a fully computed workspace."""
        listed: dict[str, list[Record]] = {}  # each project's records listed once for all rules
        for rule in self.rules:
            if rule.trigger != "schedule":
                continue
            project = workspace.projects[rule.project.key]
            scope = RuleScope(engine, project, Record("", "", "", {}), self.now, self.times)
            if project.key not in listed:
                listed[project.key] = list(project.records.values())
            for record in listed[project.key]:
                scope.focus(record)
                if self._holds(rule, rule.when, scope):
                    episode = (
                        f"{record.list_name or ''}@{self.times.entered_list(record).isoformat()}"
                    )
                    self._chain = next(self._chains)
                    self._run_actions(rule, scope, None, episode)
        self._drain()
        return self.report

    # event rules: crm add/move/set and crm automate

    def on_change(self, change: Change) -> Report:
        """Run the rules triggered by an edit that was just written."""
        chain = next(self._chains)
        for event in change.events:
            record = find_record(self.editor.workspace, event.project, event.record_id)
            if record is not None:
                event_name = edit_event_id(event, record)
                self._queue.append(Trigger(event, self.now, event_name, chain=chain))
        self._drain()
        return self.report

    def on_triggers(self, triggers: Iterable[Trigger]) -> Report:
        for trigger in triggers:
            trigger.chain = next(self._chains)
            self._queue.append(trigger)
        self._drain()
        return self.report

    def _drain(self) -> None:
        while self._queue:
            trigger = self._queue.popleft()
            for rule in self.rules:
                if rule.matches(trigger.event):
                    self._fire(rule, trigger)

    def _fire(self, rule: Rule, trigger: Trigger) -> None:
        key = (trigger.chain, rule.name, trigger.event.ref)
        if key in self._fired:
            return  # a rule fires once per record in a chain of events: no loops
        workspace = trigger.workspace or self.editor.workspace
        project = workspace.projects.get(trigger.event.project)
        record = project.records.get(trigger.event.record_id) if project else None
        if project is None or record is None:
            return
        engine = self.engine if trigger.workspace is None else Engine(workspace, self.log)
        scope = RuleScope(engine, project, record, trigger.moment, self.times)
        if self._holds(rule, rule.when, scope):
            self._fired.add(key)
            self._chain = trigger.chain
            self._run_actions(rule, scope, trigger, None)

    def _holds(self, rule: Rule, condition: Any, scope: RuleScope) -> bool:
        if condition is None:
            return True
        return bool(evaluate(condition, scope, self.report, rule, CONDITION))

    # actions

    def _run_actions(
        self, rule: Rule, scope: RuleScope, trigger: Trigger | None, episode: str | None
    ) -> None:
        for index, action in enumerate(rule.actions):
            if isinstance(action, Notify):
                self._notify(rule, action, scope, trigger, episode)
            else:
                self._change(rule, index, action, scope, trigger, episode)

    def _done_before(self, entry: dict[str, Any], rule: Rule) -> bool:
        """Whether the state says this delivery already happened (this episode / period)."""
        known = self.state.get(**{k: v for k, v in entry.items() if k not in ("at", "episode")})
        if known is None:
            return False
        if entry["kind"] != "reminder":
            return True
        if known.get("episode") != entry["episode"]:
            return False
        return rule.repeat is None or self.now < datetime.fromisoformat(known["at"]) + rule.repeat

    def _entry(
        self, rule: Rule, record: Record, target: str, trigger: Trigger | None, episode: str | None
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {"rule": rule.name, "record": record.ref, "to": target}
        if trigger is None:
            entry.update(kind="reminder", episode=episode)
        else:
            entry.update(kind="event", event=trigger.id)
        entry["at"] = self.now.isoformat()
        return entry

    def _notify(
        self,
        rule: Rule,
        action: Notify,
        scope: RuleScope,
        trigger: Trigger | None,
        episode: str | None,
    ) -> None:
        record = scope.record
        found, unreached = recipients(self.editor.workspace.config, rule, action, record)
        for nobody in unreached:
            self.report.add(nobody.status, rule, record, nobody.target, nobody.reason)
        for recipient in found:
            for number, url in enumerate(recipient.urls, start=1):
                key = recipient.key if number == 1 else f"{recipient.key}#{number}"
                entry = self._entry(rule, record, key, trigger, episode)
                if self._done_before(entry, rule):
                    continue
                self._deliver(rule, action, scope, trigger, recipient.member, key, url, entry)

    # notifications owed by past events: crm remind and crm automate

    def retry_pending(self) -> None:
        """Deliver the event notifications whose delivery failed before (pending lines)."""
        for entry in self.state.pending():
            self._retry(entry)

    def _retry(self, entry: dict[str, Any]) -> None:
        trigger = trigger_of(entry)
        rule = next((r for r in self.rules if r.name == entry["rule"]), None)
        event = trigger.event if trigger else None
        record = (
            find_record(self.editor.workspace, event.project, event.record_id) if event else None
        )
        reached = self._pending_recipient(rule, record, entry["to"]) if rule and record else None
        if trigger is None or rule is None or record is None or reached is None:
            self.report.add_for(SKIPPED, entry, why_dropped(trigger, rule, record))
            if not self.dry_run:
                self.state.drop(entry)
            return
        action, member, url = reached
        project = self.editor.workspace.projects[record.project]
        scope = RuleScope(self.engine, project, record, trigger.moment, self.times)
        delivery = self._entry(rule, record, entry["to"], trigger, None)
        self._deliver(rule, action, scope, trigger, member, entry["to"], url, delivery)

    def _pending_recipient(
        self, rule: Rule, record: Record, key: str
    ) -> tuple[Notify, str | None, str] | None:
        """The notify action, member and URL a pending line's recipient key stands for."""
        name, _hash, number = key.partition("#")
        position = int(number) - 1 if number.isdigit() else 0
        config = self.editor.workspace.config
        for action in rule.actions:
            if not isinstance(action, Notify):
                continue
            for recipient in recipients(config, rule, action, record)[0]:
                if recipient.key == name and position < len(recipient.urls):
                    return action, recipient.member, recipient.urls[position]
        return None

    def _deliver(
        self,
        rule: Rule,
        action: Notify,
        scope: RuleScope,
        trigger: Trigger | None,
        member: str | None,
        target: str,
        url: str,
        entry: dict[str, Any],
    ) -> None:
        from crmcli.automations.notify import (
            MessageTemplateError,
            deliver,
            redact,
            render,
            render_message,
        )

        context = MessageContext(rule.name, trigger.event if trigger else None, member)
        try:
            hidden = self.reader.hidden | self._hidden_from(member)
            variables = message_variables(scope, self.formatter, context, self.link, hidden)
            if action.subject:  # one bound for both: a message's body and subject
                body, title = render_message([action.message, action.subject], variables)
            else:
                body, title = render(action.message, variables), rule.name
        except MessageTemplateError as error:
            self.report.add(
                FAILED,
                rule,
                scope.record,
                target,
                _("message: {reason}").format(reason=error.message),
            )
            return
        if self.dry_run:
            self.report.add(PLANNED, rule, scope.record, target, body)
            return
        problem = deliver(url, title, body, self.editor.workspace.config.env)
        if problem:
            self.report.add(FAILED, rule, scope.record, target, problem)
            if trigger is not None:  # owed: delivered by the next crm remind / crm automate
                self.state.remember(pending_entry(entry, trigger))
            return
        self.state.remember(entry)
        self.report.add(SENT, rule, scope.record, target, f"{body} ({redact(url)})")

    def _hidden_from(self, member: str | None) -> frozenset[str]:
        """The fields a recipient member may not see (none for a channel)."""
        workspace = self.editor.workspace
        found = workspace.config.members.get(member) if member else None
        return reader_for(workspace, found, self.engine).hidden if found else frozenset()

    def _change(
        self,
        rule: Rule,
        index: int,
        action: Action,
        scope: RuleScope,
        trigger: Trigger | None,
        episode: str | None,
    ) -> None:
        # the record as it is in the working tree (the one actions change)
        record = find_record(self.editor.workspace, scope.record.project, scope.record.id)
        target = f"action:{index + 1}"
        if record is None:
            self.report.add(SKIPPED, rule, scope.record, target, _("the record no longer exists"))
            return
        entry = self._entry(rule, record, target, trigger, episode)
        if self._done_before(entry, rule):
            return
        try:
            change = self._apply(rule, action, scope, record)
        except CrmError as error:
            self.report.add(FAILED, rule, record, target, error.message)
            return
        if change is None or (isinstance(change, Change) and not change.paths):
            return
        if self.dry_run:
            self.report.add(PLANNED, rule, record, target, change)
            return
        self.state.remember(entry)
        self.report.add(DONE, rule, record, target, change.summary)
        self.report.written.extend(change.paths)
        record = self._reload(record)
        for event in change.events:
            event_name = edit_event_id(event, record)
            self._queue.append(Trigger(event, self.now, event_name, chain=self._chain))

    def _apply(self, rule: Rule, action: Action, scope: RuleScope, record: Record) -> Any:
        """Make the change through the Editor (or describe it with --dry-run); None: nothing
        to do."""
        ref = record.ref
        if isinstance(action, Move):
            if record.list_name == action.list_name:
                return None
            if self.dry_run:
                return _("move to {list}").format(list=action.list_name)
            return self.editor.move(ref, action.list_name)
        if isinstance(action, Tag):
            tags = [t for t in record.tags if t not in action.remove]
            tags += [t for t in action.add if t not in tags]
            if tags == record.tags:
                return None
            if self.dry_run:
                return _("tags: {tags}").format(tags=value_list(tags))
            return self.editor.set(
                ref, [f"tags={','.join(tags)}"] if tags else [], [] if tags else ["tags"]
            )
        if isinstance(action, SetFields):
            if self.dry_run:
                return clause_list(f"{k} = {v}" for k, v in action.values.items())
            change = self.editor.set(ref, [f"{k}={v}" for k, v in action.values.items()])
            return change if change.paths else None
        assert isinstance(action, Assign)
        member = self.assigner.choose(rule, action, scope, record)
        if member is None:
            return None
        if self.dry_run:
            return _("assign to {member}").format(member=member)
        change = self.editor.set(ref, [f"assignee={member}"])
        if action.strategy == "least_loaded" and self.standing is None:
            # a standing process counts in memory; the cache lists the folder when next opened
            workload.record_assignment(self.root, scope.project, self._reload(record))
        return change

    def _reload(self, record: Record) -> Record:
        """The record as just written (the lazy workspace cached the version before)."""
        from crmcli.core.yamlio import MAX_RECORD_BYTES, parse, read_text

        data = parse(read_text(self.root / record.path, MAX_RECORD_BYTES)).data
        fresh = Record(record.project, record.id, record.path, data)
        self.editor.workspace.projects[record.project].records[record.id] = fresh
        self.engine.records_changed()
        return fresh
