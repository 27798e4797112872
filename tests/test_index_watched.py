"""The state of the documents that `files` fields name, as the index keeps it: for every kind
of path (a file, a folder, a missing one, links inside and out, a linked folder, `..`), what
`Path.is_file` and `os.path.realpath` say of it."""

from __future__ import annotations

import os
from pathlib import Path

from crmcli.index.freshness import watched_state


def test_each_document_is_seen_as_is_file_and_realpath_see_it(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    docs = root / "docs"
    docs.mkdir(parents=True)
    (docs / "contract.pdf").write_bytes(b"%PDF")
    (docs / "folder.pdf").mkdir()
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(b"%PDF")
    (docs / "inside-link.pdf").symlink_to(docs / "contract.pdf")
    (docs / "outside-link.pdf").symlink_to(outside)
    (docs / "dangling.pdf").symlink_to(docs / "nowhere.pdf")
    (root / "linked").symlink_to(docs)
    (docs / "plain.txt").write_text("x", encoding="utf-8")
    paths = [
        "docs/contract.pdf",
        "docs/folder.pdf",
        "docs/missing.pdf",
        "missing/folder/file.pdf",
        "docs/inside-link.pdf",
        "docs/outside-link.pdf",
        "docs/dangling.pdf",
        "linked/contract.pdf",
        "docs/../docs/plain.txt",
        "docs/contract.pdf/inside",
        "docs/",
    ]
    expected = []
    for item in sorted(paths):
        try:
            os.lstat(root / item)
        except FileNotFoundError:
            pass
        except OSError:  # a file taken for a folder: the record's problem, nothing to watch
            expected.append((item, False, ""))
            continue
        expected.append((item, (root / item).is_file(), os.path.realpath(root / item)))
    assert watched_state(root, paths) == expected
    assert [is_file for _item, is_file, _real in expected].count(True) == 5
