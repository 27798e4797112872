"""Issue 19, point 3: `crm agenda` lists a member's next steps, expected close dates and aging
deals for the coming days; `--format ics` is an iCalendar document that `icalendar` parses,
one event per item, with UIDs that stay the same from run to run, times in the workspace time
zone and the record's link in each event. Hidden fields stay out of it."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from . import repos
from .conftest import crm, plain
from .day_fixtures import ENV, FILES, day_repo


def events(document: bytes | str) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(document)
    return list(calendar.walk("VEVENT"))


def ics(root: Path, *args: str, env: dict[str, str] | None = None) -> bytes:
    out = root.parent / "agenda.ics"
    result = crm("agenda", "--format", "ics", "--out", out, *args, cwd=root, env=env or ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    return out.read_bytes()


def test_the_agenda_table_lists_the_members_days_in_order(tmp_path: Path) -> None:
    root = day_repo(tmp_path / "ws")
    result = crm("agenda", cwd=root, env=ENV)
    assert result.returncode == 0, result.stderr
    lines = plain(result.stdout).splitlines()
    assert lines[0].split() == ["day", "what", "record"]
    assert [line.split("  ")[0] for line in lines[2:]] == [
        "1 déc. 2026",
        "2 déc. 2026",
        "4 déc. 2026",
    ]
    assert "Aging: Acme — Website, 41 days in Proposal sent" in lines[2]
    assert "Send the revised quote (Initech — Mobile app" in lines[3]
    assert "Expected to close: Acme — Website" in lines[4]
    # the won deal and Bruno's deal are not on Alice's agenda
    assert "Umbrella" not in result.stdout and "Globex" not in result.stdout


def test_an_overdue_step_is_on_today_and_days_bound_the_agenda(tmp_path: Path) -> None:
    root = day_repo(tmp_path / "ws")
    result = crm(
        "agenda", "--member", "bruno", "--days", "1", "--format", "json", cwd=root, env=ENV
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["member"], data["from"], data["to"]) == ("bruno", "2026-12-01", "2026-12-01")
    assert [(i["kind"], i["day"], i["overdue"]) for i in data["items"]] == [
        ("next_step", "2026-12-01", True)
    ]
    assert data["items"][0]["summary"] == (
        "Call the CTO (Globex — SEO audit), overdue since 28 nov. 2026"
    )
    short = crm("agenda", "--days", "1", "--format", "json", cwd=root, env=ENV)
    assert [i["kind"] for i in json.loads(short.stdout)["items"]] == ["aging"]


def test_ics_has_one_event_per_item_in_the_workspace_time_zone_with_the_link(
    tmp_path: Path,
) -> None:
    root = day_repo(tmp_path / "ws")
    found = events(ics(root))
    assert [str(e["summary"]) for e in found] == [
        "Aging: Acme — Website, 41 days in Proposal sent",
        "Send the revised quote (Initech — Mobile app with a long name that will not fit on a card)",
        "Expected to close: Acme — Website",
    ]
    paris = ZoneInfo("Europe/Paris")
    starts = [e.decoded("dtstart") for e in found]
    assert starts[1] == datetime(2026, 12, 2, 9, 0, tzinfo=paris)
    assert all(str(s.tzinfo) == "Europe/Paris" and s.time() == time(9, 0) for s in starts)
    assert found[1]["dtstart"].params["TZID"] == "Europe/Paris"
    link = (root / "opportunities/initech-app.yaml").resolve().as_uri()
    assert str(found[1]["url"]) == link
    assert link in str(found[1]["description"])
    assert icalendar.Calendar.from_ical(ics(root)).walk("VTIMEZONE")  # the zone travels along


def test_uids_are_stable_across_runs_and_when_a_step_moves(tmp_path: Path) -> None:
    root = day_repo(tmp_path / "ws")
    first = {str(e["summary"]): str(e["uid"]) for e in events(ics(root))}
    later = {**ENV, "CRM_NOW": "2026-12-01T12:00:00+01:00"}
    second = {str(e["summary"]): str(e["uid"]) for e in events(ics(root, env=later))}
    assert first == second
    assert len(set(first.values())) == 3
    assert all(uid.endswith("@crmcli") for uid in first.values())
    step_uid = first[
        "Send the revised quote (Initech — Mobile app with a long name that will not fit on a card)"
    ]
    moved = crm(
        "next",
        "opportunities/initech-app",
        "Send the quote",
        "--due",
        "2026-12-03",
        cwd=root,
        env=ENV,
    )
    assert moved.returncode == 0, moved.stderr
    after = {str(e["summary"]): str(e["uid"]) for e in events(ics(root))}
    assert (
        after["Send the quote (Initech — Mobile app with a long name that will not fit on a card)"]
        == step_uid
    )


def test_record_link_of_the_workspace_is_the_events_link(tmp_path: Path) -> None:
    crm_yaml = FILES["crm.yaml"].replace(
        "roles:", "record_link: https://git.example/crm/blob/main/{path}\n        roles:"
    )
    root = day_repo(tmp_path / "ws", {"crm.yaml": crm_yaml})
    found = events(ics(root))
    assert (
        str(found[1]["url"]) == "https://git.example/crm/blob/main/opportunities/initech-app.yaml"
    )


def test_a_reader_who_may_not_see_next_steps_gets_none(tmp_path: Path) -> None:
    root = day_repo(tmp_path / "ws")
    as_junior = {**ENV, "CRM_USER": "bruno"}
    own = crm("agenda", "--format", "json", cwd=root, env=as_junior)
    assert own.returncode == 0, own.stderr
    assert json.loads(own.stdout)["items"] == []  # his only item is a next step
    alices = events(ics(root, "--member", "alice", env=as_junior))
    assert [str(e["summary"]) for e in alices] == [
        "Aging: Acme — Website, 41 days in Proposal sent",
        "Expected to close: Acme — Website",
    ]
    assert "revised quote" not in ics(root, "--member", "alice", env=as_junior).decode()


def test_bad_input_is_refused_clearly(tmp_path: Path) -> None:
    root = day_repo(tmp_path / "ws")
    unknown = crm("agenda", "--member", "zoe", cwd=root, env=ENV)
    assert unknown.returncode != 0 and "“zoe” is not a member" in unknown.stderr
    repos.git(root, "config", "user.email", "visitor@elsewhere.example")
    nobody = crm("agenda", cwd=root, env={**ENV, "CRM_USER": ""})
    assert nobody.returncode == 2 and "name one with --member" in nobody.stderr
    nowhere = crm("agenda", "--out", tmp_path / "missing" / "a.ics", cwd=root, env=ENV)
    assert nowhere.returncode == 2 and "does not exist" in nowhere.stderr
    assert "Traceback" not in unknown.stderr + nobody.stderr + nowhere.stderr
    assert not (tmp_path / "missing").exists()
    assert (
        date(2026, 12, 1).isoformat() in crm("agenda", "--format", "json", cwd=root, env=ENV).stdout
    )
