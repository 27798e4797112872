"""A word of automations.yaml that is not one of its choices — a trigger, an action, a
strategy, a list, a tag — is told in whole sentences with the choices and a “did you mean”,
at the word's line (one helper, `RuleReader.unknown`, writes them all)."""

from __future__ import annotations

from .conftest import BASE_FILES, check, write_files

RULES = """
    rules:
      - name: Typos
        on: moved
        project: opportunities
        to: [Proposal snt]
        do:
          - assign: {strategy: least-loaded}
          - tag: [webite]
          - notfy: alice
      - name: Bad trigger
        on: craeted
        project: opportunities
        do: [{move: Wonn}]
"""

EXPECTED = {
    (5, "unknown-list"): "rule “Typos”: “Proposal snt” is not a list of Opportunities"
    " (did you mean “Proposal sent”?)",
    (7, "unknown-strategy"): "rule “Typos”: unknown strategy “least-loaded”; use one of"
    " round_robin or least_loaded (did you mean “least_loaded”?)",
    (8, "unknown-tag"): "rule “Typos”: “webite” is not a tag of Opportunities"
    " (did you mean “website”?)",
    (9, "unknown-action"): "rule “Typos”: unknown action “notfy”; use one of"
    " assign, notify, set, tag, or move (did you mean “notify”?)",
    (11, "unknown-trigger"): "rule “Bad trigger”: unknown trigger “craeted”; use one of"
    " created, moved, changed, or schedule (did you mean “created”?)",
}


def test_each_unknown_word_is_a_whole_sentence_at_its_line(tmp_path):
    root = write_files(tmp_path / "ws", {**BASE_FILES, "automations.yaml": RULES})
    problems = {
        (p.line, p.code): p.message
        for p in check(root).problems
        if p.path == "automations.yaml" and p.code.startswith("unknown-")
    }
    assert problems == EXPECTED


def test_a_move_to_an_unknown_list_is_checked_once_the_trigger_is_known(tmp_path):
    rules = RULES.replace("on: craeted", "on: created")
    root = write_files(tmp_path / "ws", {**BASE_FILES, "automations.yaml": rules})
    problems = [p for p in check(root).problems if p.code == "unknown-list" and p.line == 13]
    assert [p.message for p in problems] == [
        "rule “Bad trigger”: “Wonn” is not a list of Opportunities (did you mean “Won”?)"
    ]
