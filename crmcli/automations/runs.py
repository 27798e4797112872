"""The three ways automations run: `crm remind` (schedule rules over the whole workspace),
`crm automate --since REV` (events read from git), and after `crm add/move/set` (the events of
the edit). Each opens the automations' state, runs a `Runner` and saves what it delivered."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from crmcli.automations import workload
from crmcli.automations.actions import Assign
from crmcli.automations.events import triggers_since
from crmcli.automations.outcomes import Report
from crmcli.automations.rules import Rule
from crmcli.automations.runner import Runner
from crmcli.automations.standing import Standing
from crmcli.automations.state import DEFAULT_STATE_FILE, AutomationState
from crmcli.automations.state_guard import guard, note_lines
from crmcli.core.collector import collector_paused
from crmcli.core.layout import AUTOMATIONS_FILE
from crmcli.core.left_out import left_out_records, refuse_left_out
from crmcli.core.model import Project, RecordEvent, Workspace
from crmcli.editing.change import Change
from crmcli.editing.editor import Editor
from crmcli.index.session import open_indexed


@dataclass(slots=True)
class RunOptions:
    now: datetime
    dry_run: bool = False
    state_file: str | None = None
    acting_as: str | None = None  # who runs it, and so reads every outcome printed
    strict: bool = False  # a record that cannot be read stops the run before anything is sent
    cache: bool = True  # the index in .crm/ may answer (--no-cache: every file is read)
    reset_state: bool = False  # an emptied state file starts again from nothing, on purpose


def state_path(root: Path, workspace: Workspace, option: str | None) -> tuple[Path, str]:
    """--state-file, else `state_file` of crm.yaml, else .crm/; (path, path as shown)."""
    chosen = option or workspace.config.state_file or DEFAULT_STATE_FILE
    path = Path(chosen)
    if not path.is_absolute():
        path = root / path
    return path, str(chosen)


def _open_state(
    root: Path, workspace: Workspace, option: str | None, now: datetime, reset: bool = False
) -> AutomationState:
    """The state, refused when it is empty or missing but held lines before (state_guard)."""
    path, label = state_path(root, workspace, option)
    state = AutomationState.load(path, label)
    guard(root, state, now.isoformat(), reset)
    return state


def _finish(runner: Runner, save: bool, tidy: bool = True) -> Report:
    runner.times.close()
    if save and not runner.dry_run and tidy:
        # untidy (a form server, edit after edit): the marker keeps the count guard() noted, a
        # lower bound the next tidy run makes exact, rather than a rewrite per submission
        runner.state.save()
        note_lines(runner.root, runner.state)
    return runner.report


def remind(root: Path, options: RunOptions) -> Report:
    from crmcli.automations.state import exclusive_run

    with exclusive_run(root), collector_paused():  # every record stays in memory to the end
        editor = Editor(root, options.acting_as)
        state = _open_state(
            root, editor.workspace, options.state_file, options.now, options.reset_state
        )
        runner = Runner(root, state, options.now, options.dry_run, editor)
        runner.retry_pending()
        if not any(rule.trigger == "schedule" for rule in runner.rules):
            return _finish(runner, save=True)
        opened = open_indexed(root, options.now.date(), options.cache)
        workspace, engine = opened.workspace, opened.engine
        runner.report.left_out = left_out_records(workspace)
        if options.strict:
            refuse_left_out(runner.report.left_out)
        # a dry run writes only what its own answers need: the counts its schedule rules read
        counted = [r for r in runner.rules if r.trigger == "schedule" or not options.dry_run]
        for key in least_loaded_projects(counted):
            workload.refresh_from_loaded(root, workspace.projects[key])
        runner.remind(workspace, engine)
        return _finish(runner, save=True)


def automate(root: Path, since: str, options: RunOptions) -> Report:
    from crmcli.automations.state import exclusive_run

    with exclusive_run(root):
        editor = Editor(root, options.acting_as)
        state = _open_state(root, editor.workspace, options.state_file, options.now)
        runner = Runner(root, state, options.now, options.dry_run, editor)
        runner.retry_pending()
        if any(rule.trigger != "schedule" for rule in runner.rules):
            runner.on_triggers(triggers_since(root, since, runner.zone))
        return _finish(runner, save=True)


def after_edit(
    root: Path,
    change: Change,
    now: datetime,
    editor: Editor | None = None,
    tidy: bool = True,
    standing: Standing | None = None,
) -> Report | None:
    """Run the event rules an edit triggered (None when there are no automations).

    `editor`: the one that wrote the edit, when it lives on (the form server), so that the
    workspace is not read again; it keeps acting as its member afterwards. Each delivery is
    appended to the state file as it happens; `tidy` then rewrites the file sorted, one line
    per key. A server taking edit after edit passes tidy=False: the rewrite costs as much as
    the file is long, and the next `crm remind`, `crm automate` or `crm add` tidies it; it also
    passes what its automations keep between edits (`standing`)."""
    if not change.events or not (root / AUTOMATIONS_FILE).is_file():
        return None
    editor = editor or Editor(root)
    if not _may_match(editor.workspace, change.events):
        return None  # the usual case: no rule watches this, so nothing is checked or loaded
    actor = editor.actor
    try:
        return _run_after_edit(root, change, now, editor, tidy, standing)
    finally:
        editor.actor = actor  # the Runner acts for the workspace, not for the editor's member


def _run_after_edit(
    root: Path, change: Change, now: datetime, editor: Editor, tidy: bool, standing: Standing | None
) -> Report | None:
    path, label = state_path(root, editor.workspace, None)
    if standing is None:
        state = _open_state(root, editor.workspace, None, now)
    else:
        state = standing.state(path, lambda: _open_state(root, editor.workspace, None, now))
    runner = Runner(root, state, now, editor=editor, standing=standing)
    if not any(rule.matches(e) for rule in runner.rules for e in change.events):
        return None
    runner.on_change(change)
    if runner.state.changed and _is_committable(root, path):
        runner.report.written.append(label)  # kept in the repository: commit it with the edit
    report = _finish(runner, save=True, tidy=tidy)
    if standing is not None:
        standing.keep(state)
    return report


def _may_match(workspace: Workspace, events: list[RecordEvent]) -> bool:
    file = workspace.config_files.get(AUTOMATIONS_FILE)
    rules = file.data.get("rules") if file and isinstance(file.data, dict) else None
    watched = {(r.get("on"), r.get("project")) for r in rules or [] if isinstance(r, dict)}
    return any((event.kind, event.project) in watched for event in events)


def _is_committable(root: Path, path: Path) -> bool:
    from crmcli.core.state_dir import STATE_DIR

    try:
        relative = path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return relative.parts[:1] != (STATE_DIR,)


def warm_up(
    root: Path, editor: Editor, standing: Standing, now: datetime, projects: Collection[str]
) -> None:
    """What the first edit of a standing process would pay, paid before it takes any: the
    rules compiled, the open records counted for those of its `projects` a rule assigns least
    loaded. Rules with errors are left to that edit, which says why nothing ran."""
    from crmcli.automations.runner import rules_or_refuse
    from crmcli.core.problems import ProblemLog
    from crmcli.engine.compute import Engine
    from crmcli.errors import CrmError

    workspace, log = editor.workspace, ProblemLog(root)
    engine = Engine(workspace, log, now.date())
    try:
        rules = standing.rules(now.date(), lambda: rules_or_refuse(workspace, engine, log))
    except CrmError:
        return
    for key, project in least_loaded_projects(rules).items():
        if key in projects:
            standing.loads[key] = workload.open_records_by_member(root, project)


def least_loaded_projects(rules: Iterable[Rule]) -> dict[str, Project]:
    """The projects whose records some rule assigns least loaded, by key: only their open
    records are ever counted."""
    return {
        rule.project.key: rule.project
        for rule in rules
        for action in rule.actions
        if isinstance(action, Assign) and action.strategy == "least_loaded"
    }
