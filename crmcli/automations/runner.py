"""Running automations: `crm remind` (schedule rules), the events of `crm add/move/set`, and
`crm automate --since REV` (events read from git).

Planning decides what is due — with the rules of `automations.py` and the state file — and
applying does it: messages through apprise, record changes through the `Editor` (validated
and written atomically like any edit). Each delivery is remembered right after it
succeeded, so a failed one is tried again next run and a sent one never twice.

Loops are cut short: in reply to one event (and to what automations did about it) a rule
fires at most once per record, so rules whose own `move` or `set` trigger each other cannot go
round forever.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from crmcli.automations import workload
from crmcli.automations.rules import (
    Action,
    Assign,
    MessageContext,
    Move,
    Notify,
    Rule,
    RuleScope,
    SetFields,
    Tag,
    event_id,
    history_moment,
    member_attribute,
    message_variables,
    read_rules,
)
from crmcli.automations.state import DEFAULT_STATE_FILE, AutomationState
from crmcli.core.config_schema import check_config_file
from crmcli.core.loader import AUTOMATIONS_FILE, Loader
from crmcli.core.model import Project, Record, RecordEvent, Workspace
from crmcli.core.problems import ProblemLog
from crmcli.editing.change import Change
from crmcli.editing.editor import Editor
from crmcli.engine.compute import Engine
from crmcli.engine.reader import reader_for
from crmcli.errors import CrmError, Problem
from crmcli.fields.formatting import Formatter
from crmcli.formulas.values import FormulaError
from crmcli.git.log import EMPTY_TREE
from crmcli.git.timeline import Timeline
from crmcli.i18n import _

SENT, FAILED, SKIPPED, PLANNED, DONE = "sent", "failed", "skipped", "planned", "done"
_IGNORED_FIELDS = frozenset({"history", "updated", "created"})


@dataclass(frozen=True, slots=True)
class Outcome:
    """One thing a run did, or would do with --dry-run, or could not do."""

    status: str
    rule: str
    record: str
    target: str
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "status": self.status,
            "rule": self.rule,
            "record": self.record,
            "to": self.target,
            "detail": self.detail,
        }


@dataclass(slots=True)
class Trigger:
    """An event with the moment it happened and the name it is remembered by."""

    event: RecordEvent
    moment: datetime
    id: str
    workspace: Workspace | None = None  # where to read the record (default: the working tree)
    chain: int = 0  # the first event of a chain and what automations did in reply share it


@dataclass(slots=True)
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    written: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == FAILED]


def state_path(root: Path, workspace: Workspace, option: str | None) -> tuple[Path, str]:
    """--state-file, else `state_file` of crm.yaml, else .crm/; (path, path as shown)."""
    chosen = option or workspace.config.state_file or DEFAULT_STATE_FILE
    path = Path(chosen)
    if not path.is_absolute():
        path = root / path
    return path, str(chosen)


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
    def __init__(
        self,
        root: Path,
        state: AutomationState,
        now: datetime,
        dry_run: bool = False,
        editor: Editor | None = None,
    ) -> None:
        self.root = root
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
        self.rules = rules_or_refuse(workspace, self.engine, self.log)
        self.zone = ZoneInfo(workspace.config.timezone)
        self.times = Timeline(root, self.zone)
        self.formatter = Formatter.for_workspace(workspace.config)
        self.link = workspace.config.record_link
        self.report = Report()
        self._fired: set[tuple[int, str, str]] = set()
        self._chains = itertools.count(1)
        self._chain = 0
        self._queue: deque[Trigger] = deque()
        self._loads: dict[str, dict[str, int]] = {}

    # schedule rules: crm remind

    def remind(self, workspace: Workspace, engine: Engine) -> Report:
        """Send what schedule rules have due, evaluated over a fully computed workspace."""
        for rule in self.rules:
            if rule.trigger != "schedule":
                continue
            project = workspace.projects[rule.project.key]
            scope = RuleScope(engine, project, Record("", "", "", {}), self.now, self.times)
            for record in project.records.values():
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
            record = self._record(event)
            if record is not None:
                event_name = self._event_id(event, record, "")
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
        try:
            return bool(condition(scope))
        except FormulaError as error:
            self._outcome(FAILED, rule, scope.record, _("condition"), error.message)
            return False

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
        for target, member, urls in self._recipients(action, scope, rule):
            for number, url in enumerate(urls, start=1):
                key = target if number == 1 else f"{target}#{number}"
                entry = self._entry(rule, record, key, trigger, episode)
                if self._done_before(entry, rule):
                    continue
                self._deliver(rule, action, scope, trigger, member, key, url, entry)

    def _recipients(
        self, action: Notify, scope: RuleScope, rule: Rule
    ) -> Iterator[tuple[str, str | None, tuple[str, ...]]]:
        config = self.editor.workspace.config  # the rules were checked against it
        seen = set()
        for target in action.targets:
            if target.startswith("channel:"):
                name = target.removeprefix("channel:")
                recipient = (target, None, (config.channels[name],))
            else:
                member_id = scope.record.data.get("assignee") if target == "assignee" else target
                member = config.members.get(str(member_id)) if member_id else None
                if member is None:
                    self._outcome(SKIPPED, rule, scope.record, target, _("no assignee"))
                    continue
                if not member.notify:
                    self._outcome(
                        SKIPPED,
                        rule,
                        scope.record,
                        member.id,
                        _("{member} has no notify URL in crm.yaml").format(member=member.name),
                    )
                    continue
                recipient = (member.id, member.id, member.notify)
            if recipient[0] not in seen:
                seen.add(recipient[0])
                yield recipient

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
        from crmcli.automations.notify import MessageTemplateError, deliver, redact, render

        context = MessageContext(rule.name, trigger.event if trigger else None, member)
        try:
            hidden = self.reader.hidden | self._hidden_from(member)
            variables = message_variables(scope, self.formatter, context, self.link, hidden)
            body = render(action.message, variables)
            title = render(action.subject, variables) if action.subject else rule.name
        except MessageTemplateError as error:
            self._outcome(
                FAILED,
                rule,
                scope.record,
                target,
                _("message: {reason}").format(reason=error.message),
            )
            return
        if self.dry_run:
            self._outcome(PLANNED, rule, scope.record, target, body)
            return
        problem = deliver(url, title, body)
        if problem:
            self._outcome(FAILED, rule, scope.record, target, problem)
            return
        self.state.remember(entry)
        self._outcome(SENT, rule, scope.record, target, f"{body} ({redact(url)})")

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
        record = self._current(scope.record)
        target = f"action:{index + 1}"
        if record is None:
            self._outcome(SKIPPED, rule, scope.record, target, _("the record no longer exists"))
            return
        entry = self._entry(rule, record, target, trigger, episode)
        if self._done_before(entry, rule):
            return
        try:
            change = self._apply(rule, action, scope, record)
        except CrmError as error:
            self._outcome(FAILED, rule, record, target, error.message)
            return
        if change is None or (isinstance(change, Change) and not change.paths):
            return
        if self.dry_run:
            self._outcome(PLANNED, rule, record, target, change)
            return
        self.state.remember(entry)
        self._outcome(DONE, rule, record, target, change.summary)
        self.report.written.extend(change.paths)
        record = self._reload(record)
        for event in change.events:
            event_name = self._event_id(event, record, "")
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
                return _("tags: {tags}").format(tags=", ".join(tags))
            return self.editor.set(
                ref, [f"tags={','.join(tags)}"] if tags else [], [] if tags else ["tags"]
            )
        if isinstance(action, SetFields):
            if self.dry_run:
                return ", ".join(f"{k} = {v}" for k, v in action.values.items())
            change = self.editor.set(ref, [f"{k}={v}" for k, v in action.values.items()])
            return change if change.paths else None
        assert isinstance(action, Assign)
        member = self._choose(rule, action, scope, record)
        if member is None:
            return None
        if self.dry_run:
            return _("assign to {member}").format(member=member)
        change = self.editor.set(ref, [f"assignee={member}"])
        if action.strategy == "least_loaded":
            workload.record_assignment(self.root, scope.project, self._reload(record))
        return change

    # assignment

    def _choose(self, rule: Rule, action: Assign, scope: RuleScope, record: Record) -> str | None:
        if record.data.get("assignee") and not action.overwrite:
            return None
        members = scope.engine.workspace.config.members
        weights = dict(action.weights)
        for route in action.routes:
            if self._holds(rule, route.when, scope):
                weights = {m: action.weights.get(m, 1) for m in route.members}
                break
        candidates = [
            m for m, w in weights.items() if w > 0 and m in members and not members[m].away
        ]
        for attribute, expression in action.criteria:
            value = self._value(rule, expression, scope)
            matching = [
                m for m in candidates if _matches(member_attribute(members[m], attribute), value)
            ]
            candidates = matching or candidates  # no one covers it: anyone of the pool
        if not candidates:
            self._outcome(SKIPPED, rule, record, _("assign"), _("no available member to assign"))
            return None
        if action.strategy == "least_loaded":
            return self._least_loaded(scope.project, weights, candidates)
        return self._round_robin(rule, weights, candidates)

    def _value(self, rule: Rule, expression: Any, scope: RuleScope) -> Any:
        try:
            return expression(scope)
        except FormulaError as error:
            self._outcome(FAILED, rule, scope.record, _("assign"), error.message)
            return None

    def _round_robin(self, rule: Rule, weights: dict[str, int], candidates: list[str]) -> str:
        turns = weighted_turns(weights)
        known = self.state.get(kind="round_robin", rule=rule.name)
        position = known["position"] if known else 0
        for step in range(len(turns)):
            member = turns[(position + step) % len(turns)]
            if member in candidates:
                entry = {
                    "kind": "round_robin",
                    "rule": rule.name,
                    "position": (position + step + 1) % len(turns),
                    "at": self.now.isoformat(),
                }
                self.state.remember(entry, persist=not self.dry_run)
                return member
        return candidates[0]

    def _least_loaded(
        self, project: Project, weights: dict[str, int], candidates: list[str]
    ) -> str:
        loads = self._loads.get(project.key)
        if loads is None:
            loads = self._loads[project.key] = workload.open_records_by_member(
                self.root, self.editor.workspace.projects[project.key]
            )
        chosen = min(candidates, key=lambda m: (loads.get(m, 0) / weights[m], candidates.index(m)))
        loads[chosen] = loads.get(chosen, 0) + 1
        return chosen

    # helpers

    def _record(self, event: RecordEvent) -> Record | None:
        project = self.editor.workspace.projects.get(event.project)
        try:
            return project.records[event.record_id] if project else None
        except KeyError:
            return None

    def _current(self, record: Record) -> Record | None:
        """The record as it is in the working tree (the one actions change)."""
        project = self.editor.workspace.projects.get(record.project)
        try:
            return project.records[record.id] if project else None
        except KeyError:
            return None

    def _reload(self, record: Record) -> Record:
        """The record as just written (the lazy workspace cached the version before)."""
        from crmcli.core.yamlio import MAX_RECORD_BYTES, parse, read_text

        data = parse(read_text(self.root / record.path, MAX_RECORD_BYTES)).data
        fresh = Record(record.project, record.id, record.path, data)
        self.editor.workspace.projects[record.project].records[record.id] = fresh
        self.engine.records_changed()
        return fresh

    def _event_id(self, event: RecordEvent, record: Record, fallback: str) -> str:
        return event_id(event, record, history_moment(record, event.to_list), fallback)

    def _outcome(self, status: str, rule: Rule, record: Record, target: str, detail: Any) -> None:
        text = detail.summary if isinstance(detail, Change) else str(detail)
        self.report.outcomes.append(Outcome(status, rule.name, record.ref, target, text))


def _matches(member_value: Any, record_value: Any) -> bool:
    if record_value is None or member_value is None:
        return False
    wanted = record_value if isinstance(record_value, list) else [record_value]
    have = member_value if isinstance(member_value, list) else [member_value]
    return any(str(a).casefold() == str(b).casefold() for a in have for b in wanted)


def weighted_turns(weights: dict[str, int] | Any) -> list[str]:
    """Members in turn, each as often as its weight, spread out (smooth weighted
    round-robin): {alice: 2, bruno: 1} → alice, bruno, alice."""
    active = {m: w for m, w in weights.items() if w > 0}
    total = sum(active.values())
    current = dict.fromkeys(active, 0)
    turns = []
    for _turn in range(total):
        for member, weight in active.items():
            current[member] += weight
        chosen = max(current, key=lambda m: current[m])
        current[chosen] -= total
        turns.append(chosen)
    return turns


# events from git: crm automate --since REV


def triggers_since(root: Path, since: str, zone: ZoneInfo) -> list[Trigger]:
    """created / moved / changed events of the commits after `since`, oldest first."""
    from crmcli.git.log import read_log
    from crmcli.git.sources import GitSource

    GitSource(root, since)  # refuses an unknown revision clearly
    triggers: list[Trigger] = []
    for commit in read_log(root, "--reverse", "--no-merges", f"{since}..HEAD", paths=["."]):
        parent = commit.parents[0] if commit.parents else None
        moment = commit.committed.astimezone(zone)
        triggers.extend(_commit_triggers(root, commit.id, parent, moment))
    return triggers


def _commit_triggers(
    root: Path, commit: str, parent: str | None, moment: datetime
) -> Iterator[Trigger]:
    from crmcli.git.sources import GitSource

    new_source = GitSource(root, commit)
    new = Loader(root, new_source).load(lazy=True)
    old = Loader(root, GitSource(root, parent)).load(lazy=True) if parent else None
    changes = new_source.changed_files(parent or EMPTY_TREE)
    for status, path, _old_path in changes:
        project_key, slash, name = path.partition("/")
        project = new.projects.get(project_key)
        if not slash or project is None or "/" in name or not name.endswith(".yaml"):
            continue
        if name.startswith("_") or status not in ("A", "M"):
            continue
        record_id = name[:-5]
        try:
            record = project.records[record_id]
        except KeyError:
            continue  # not valid YAML in that commit: crm check says why
        before = _old_record(old, project_key, record_id) if status == "M" else None
        for event in _record_events(project_key, record, before):
            moved_at = None
            if event.kind == "moved" and before is not None:
                grew = len(_history(record)) > len(_history(before))
                moved_at = history_moment(record, event.to_list) if grew else None
            yield Trigger(event, moment, event_id(event, record, moved_at, commit), new)


def _old_record(old: Workspace | None, project_key: str, record_id: str) -> Record | None:
    project = old.projects.get(project_key) if old else None
    try:
        return project.records[record_id] if project else None
    except KeyError:
        return None


def _history(record: Record) -> list[Any]:
    history = record.data.get("history")
    return history if isinstance(history, list) else []


def _record_events(project: str, record: Record, before: Record | None) -> list[RecordEvent]:
    if before is None:
        return [
            RecordEvent(
                "created", project, record.id, to_list=record.list_name, fields=tuple(record.data)
            )
        ]
    events = []
    if before.list_name != record.list_name:
        events.append(RecordEvent("moved", project, record.id, before.list_name, record.list_name))
    keys = (set(before.data) | set(record.data)) - _IGNORED_FIELDS - {"list"}
    changed = tuple(sorted(k for k in keys if before.data.get(k) != record.data.get(k)))
    if changed:
        events.append(RecordEvent("changed", project, record.id, fields=changed))
    return events


# entry points for the CLI


@dataclass(slots=True)
class RunOptions:
    now: datetime
    dry_run: bool = False
    state_file: str | None = None


def _open_state(root: Path, workspace: Workspace, option: str | None) -> AutomationState:
    path, label = state_path(root, workspace, option)
    return AutomationState.load(path, label)


def _finish(runner: Runner, save: bool) -> Report:
    runner.times.close()
    if save and not runner.dry_run:
        runner.state.save()
    return runner.report


def remind(root: Path, options: RunOptions) -> Report:
    from crmcli.automations.state import exclusive_run

    with exclusive_run(root):
        editor = Editor(root)
        state = _open_state(root, editor.workspace, options.state_file)
        runner = Runner(root, state, options.now, options.dry_run, editor)
        if not any(rule.trigger == "schedule" for rule in runner.rules):
            return _finish(runner, save=False)
        loader = Loader(root)
        workspace = loader.load()
        engine = Engine(workspace, loader.log, options.now.date())
        engine.run()
        for project in workspace.projects.values():
            workload.refresh_from_loaded(root, project)
        runner.remind(workspace, engine)
        return _finish(runner, save=True)


def automate(root: Path, since: str, options: RunOptions) -> Report:
    from crmcli.automations.state import exclusive_run

    with exclusive_run(root):
        editor = Editor(root)
        state = _open_state(root, editor.workspace, options.state_file)
        runner = Runner(root, state, options.now, options.dry_run, editor)
        if any(rule.trigger != "schedule" for rule in runner.rules):
            runner.on_triggers(triggers_since(root, since, runner.zone))
        return _finish(runner, save=True)


def after_edit(root: Path, change: Change, now: datetime) -> Report | None:
    """Run the event rules an edit triggered (None when there are no automations)."""
    if not change.events or not (root / AUTOMATIONS_FILE).is_file():
        return None
    editor = Editor(root)
    if not _may_match(editor.workspace, change.events):
        return None  # the usual case: no rule watches this, so nothing is checked or loaded
    state = _open_state(root, editor.workspace, None)
    runner = Runner(root, state, now, editor=editor)
    if not any(rule.matches(e) for rule in runner.rules for e in change.events):
        return None
    runner.on_change(change)
    path, label = state_path(root, editor.workspace, None)
    if runner.state.changed and _is_committable(root, path):
        runner.report.written.append(label)  # kept in the repository: commit it with the edit
    return _finish(runner, save=True)


def _may_match(workspace: Workspace, events: list[RecordEvent]) -> bool:
    file = workspace.config_files.get(AUTOMATIONS_FILE)
    rules = file.data.get("rules") if file and isinstance(file.data, dict) else None
    watched = {(r.get("on"), r.get("project")) for r in rules or [] if isinstance(r, dict)}
    return any((event.kind, event.project) in watched for event in events)


def _is_committable(root: Path, path: Path) -> bool:
    from crmcli.core.loader import STATE_DIR

    try:
        relative = path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return relative.parts[:1] != (STATE_DIR,)
