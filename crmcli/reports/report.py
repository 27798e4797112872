"""`crm dashboard`: load the workspace (now, or as it stood at a git revision or date), check
the dashboard file, compute its figures, draw the charts, and write the HTML and PNG files.

Everything is computed and drawn before the first file is written, and each file is replaced
atomically, so a failing run leaves the previous report as it was.

`--as-of REV` reads the workspace from that commit, and “today” is the commit's date.
`--as-of DATE` reads it from the last commit made on or before that day (in the workspace
time zone), and “today” is that day: relative periods and stale deals count from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crmcli.core.collector import collector_paused
from crmcli.core.config_schema import check_config_file
from crmcli.core.layout import DASHBOARDS_DIR
from crmcli.core.left_out import left_out_records, refuse_left_out
from crmcli.core.loader import Loader
from crmcli.core.model import Workspace
from crmcli.core.problems import ProblemLog, did_you_mean
from crmcli.core.sources import DiskSource, FileSource
from crmcli.editing.atomic import replace_all
from crmcli.engine.compute import Engine, compute
from crmcli.engine.reader import identify_reader, workspace_now
from crmcli.engine.workspace import OpenWorkspace
from crmcli.errors import CrmError, Problem, UsageError
from crmcli.git.log import read_log
from crmcli.git.sources import GitSource, find_commit
from crmcli.git.timeline import Timeline
from crmcli.i18n import _
from crmcli.i18n.lists import value_list
from crmcli.index.session import IndexedWorkspace, open_indexed
from crmcli.reports.checks import check_dashboard
from crmcli.reports.data import Options, compute_dashboard
from crmcli.reports.figures import DashboardData
from crmcli.reports.period import parse_period_option
from crmcli.reports.spec import Dashboard, dashboard_names

REPORTS_DIR = Path(".crm") / "reports"


@dataclass(frozen=True, slots=True)
class ReportRequest:
    name: str
    out: Path | None = None
    period: str | None = None
    tags: tuple[str, ...] = ()
    role: str | None = None
    as_of: str | None = None
    acting_as: str | None = None
    strict: bool = False  # a record that cannot be read is an error, nothing is written
    cache: bool = True  # the index in .crm/ may answer (--no-cache: every file is read)


@dataclass(frozen=True, slots=True)
class Report:
    html: Path
    overview: Path
    charts: tuple[Path, ...]
    data: DashboardData


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """Where the workspace is read from, and the day the report is “as of”."""

    source: FileSource
    today: date | None
    commit: str | None  # the commit read; None for the working tree


def build_report(root: Path, request: ReportRequest) -> Report:
    if request.out is not None and request.out.exists() and not request.out.is_dir():
        raise CrmError(_("--out: {path} is a file, not a folder").format(path=request.out))
    with collector_paused():  # every record stays in memory to the end: nothing to collect
        return _drawn_report(root, request)


def _drawn_report(root: Path, request: ReportRequest) -> Report:
    data = dashboard_data(root, request)
    from crmcli.fields.formatting import Formatter
    from crmcli.reports.drawing import draw_images
    from crmcli.reports.html import render_html

    formatter = Formatter(data.locale, data.currency)
    images, overview = draw_images(data, formatter)
    page = render_html(data, images, formatter)  # while a child may still draw the overview
    folder = request.out or root / REPORTS_DIR / data.name
    html = folder / f"{data.name}.html"
    whole = folder / f"{data.name}.png"
    charts = {
        folder / f"{data.name}-{i + 1:02d}-{_slug(data.figures[i].title)}.png": png
        for i, png in images.items()
    }
    _write_all(folder, {html: page.encode("utf-8"), whole: overview.png(), **charts})
    return Report(html, whole, tuple(charts), data)


def dashboard_data(root: Path, request: ReportRequest) -> DashboardData:
    """The figures of a dashboard: what `build_report` draws, without drawing."""
    period = parse_period_option(request.period) if request.period else None
    snapshot = _snapshot(root, request.as_of)
    opened: OpenWorkspace | None = None
    if snapshot.commit is None:  # the working tree: the index answers
        today = workspace_now(Loader(root).load(only_projects=set())).date()
        opened = open_indexed(root, today, request.cache)
        workspace, engine = opened.workspace, opened.engine
    else:
        loader = Loader(root, snapshot.source)
        workspace = loader.load()
        today = snapshot.today or workspace_now(workspace).date()
        engine = compute(workspace, loader.log, today)
    dashboard = _checked_dashboard(root, workspace, engine, workspace.problems, request.name)
    _refuse_unknown_tags(workspace, dashboard, request.tags)
    options = Options(
        today=today,
        period=period,
        tags=request.tags,
        reader=identify_reader(workspace, engine, request.acting_as, request.role),
        revision=snapshot.commit[:12] if snapshot.commit else None,
    )
    left_out = left_out_records(workspace)
    if request.strict:
        refuse_left_out(left_out)
    timeline = Timeline(root, _zone(workspace), snapshot.commit)
    setup = _child_setup(opened) if opened is not None else None
    try:
        data = compute_dashboard(workspace, engine, dashboard, timeline, options, setup)
    finally:
        timeline.close()
    return replace(data, left_out=tuple(left_out))


def _child_setup(opened: OpenWorkspace) -> Callable[[], None]:
    """What a child forked to compute charts does first: connect to the index on its own."""
    index = opened.index if isinstance(opened, IndexedWorkspace) else None
    return index.store.reconnect if index is not None else lambda: None


# where and when


def _snapshot(root: Path, as_of: str | None) -> _Snapshot:
    if not as_of:
        return _Snapshot(DiskSource(root), None, None)
    day = _day(as_of)
    if day is not None:
        return _snapshot_on(root, day)
    source = GitSource(root, as_of)
    committed = read_log(root, "-1", source.commit)[0].committed
    zone = _zone(Loader(root, source).load(only_projects=set()))
    return _Snapshot(source, committed.astimezone(zone).date(), source.commit)


def _snapshot_on(root: Path, day: date) -> _Snapshot:
    if find_commit(root) is None:
        raise CrmError(
            _("--as-of {day}: the workspace is not in a git repository with commits").format(
                day=day.isoformat()
            )
        )
    zone = _zone(Loader(root).load(only_projects=set()))
    end = datetime.combine(day + timedelta(days=1), time(), zone)
    found = read_log(root, "-1", f"--before={end.isoformat()}", "HEAD")
    if not found:
        raise CrmError(
            _("--as-of {day}: there is no commit on or before that day").format(day=day.isoformat())
        )
    return _Snapshot(GitSource(root, found[0].id), day, found[0].id)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _zone(workspace: Workspace) -> ZoneInfo:
    try:
        return ZoneInfo(workspace.config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


# what is asked


def _checked_dashboard(
    root: Path, workspace: Workspace, engine: Engine, load_problems: list[Problem], name: str
) -> Dashboard:
    name = name.removeprefix(DASHBOARDS_DIR + "/").removesuffix(".yaml")
    path = f"{DASHBOARDS_DIR}/{name}.yaml"
    unreadable = [p for p in load_problems if p.path == path]
    if unreadable:
        raise CrmError(_("{path} cannot be read").format(path=path), problems=unreadable)
    file = workspace.config_files.get(path)
    if file is None:
        names = dashboard_names(workspace.config_files, DASHBOARDS_DIR)
        raise UsageError(
            _("no dashboard “{name}” (no {path}){hint}; dashboards: {names}").format(
                name=name,
                path=path,
                hint=did_you_mean(name, names),
                names=value_list(names) or _("none"),
            )
        )
    log = ProblemLog(root)
    log.remember_positions(path, file.positions)
    check_config_file(file, log)
    dashboard = check_dashboard(engine, path, file.data, log)
    errors = sorted((p for p in log.problems if p.is_error), key=Problem.sort_key)
    if errors:
        raise CrmError(
            _("{path} has problems; nothing was written").format(path=path), problems=errors
        )
    return dashboard


def _refuse_unknown_tags(workspace: Workspace, dashboard: Dashboard, tags: tuple[str, ...]) -> None:
    keys = {*dashboard.projects, *(k for w in dashboard.widgets for k in w.projects)}
    known = {t for k in keys if (p := workspace.projects.get(k)) for t in p.tags}
    for tag in tags:
        if tag not in known:
            raise UsageError(
                _("--tag: no tag “{tag}” in the dashboard's projects{hint}").format(
                    tag=tag, hint=did_you_mean(tag, sorted(known))
                )
            )


# writing


def _slug(title: str) -> str:
    from slugify import slugify

    return slugify(title, max_length=40) or "chart"


def _write_all(folder: Path, files: dict[Path, bytes]) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        replace_all(files)
    except OSError as error:
        raise CrmError(
            _("cannot write the report to {path}: {reason}").format(
                path=folder, reason=error.strerror or error
            )
        ) from None
