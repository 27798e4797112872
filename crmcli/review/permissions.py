"""`crm check --since REV`: did each commit's author change only fields their role may edit?

Commit by commit since REV, the author's e-mail names a member, the member a role, and every
record field the commit changed is checked against the role's `read_only` list. Members and
roles are read from crm.yaml as it was at REV, so a branch cannot grant itself rights; a
restricted author who edits `roles` or `members` is reported too. Deleting a record (by hand
or `crm rm`) changes every field it had: its read-only values go with it. The committer is
read as well as the author: for a restricted role they must be the same member (else the
commit is reported), and a restricted committer's rights are checked too.

A merge commit is held responsible for what it did not take from its parents: a value that
differs from every parent (its conflict resolution), and a change made on one parent that it
dropped (`git merge -s ours`): a field one parent changed from the merge base and no other
changed differently must keep that parent's value.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from crmcli.core.layout import WORKSPACE_FILE
from crmcli.core.model import Member, Project, Role
from crmcli.core.yamlio import (
    MAX_CONFIG_BYTES,
    YamlReadError,
    decode_text,
    key_positions,
    locate,
)
from crmcli.engine.reader import role_of
from crmcli.errors import CrmError, Problem, Severity
from crmcli.git.log import EMPTY_TREE, NO_OBJECT, Commit, read_log
from crmcli.git.sources import (
    FileChange,
    GitFiles,
    GitSource,
    merge_base,
    resolve_commit,
    shallow_hint,
)
from crmcli.i18n import _, quoted
from crmcli.review.sides import Side
from crmcli.secrets.cipher import is_sealed
from crmcli.secrets.keyfile import KEY_FILE

_MISSING = object()


@dataclass(frozen=True, slots=True)
class FieldEdit:
    path: str  # relative to the workspace
    key: str
    old: Any
    new: Any
    object_id: str  # the blob that holds the new value (the old one if deleted), for its line
    deleted: bool = False  # the record file was deleted
    dropped: bool = False  # a merge kept `new`, dropping the change to `old` of another parent


def check_since(root: Path, since: str) -> list[Problem]:
    """A problem for every field a commit since `since` changed against its author's role,
    and for every commit whose author is not a member."""
    base = resolve_commit(root, since)
    head = resolve_commit(root, "HEAD")
    if merge_base(root, base, head) is None:
        raise CrmError(
            _(
                "{since} and HEAD share no history here, so the commits since it are unknown{hint}"
            ).format(since=since, hint=shallow_hint(root))
        )
    return _Checker(root, base).run(head)


class _Checker:
    def __init__(self, root: Path, base: str) -> None:
        self.root = root
        self.base = base
        self.files = GitFiles(root)
        self.trusted = Side(root, GitSource(root, base))  # members, roles, schemas at REV
        self.problems: list[Problem] = []

    def run(self, head: str) -> list[Problem]:
        for commit in read_log(
            self.files.repository, "--reverse", "--topo-order", f"{self.base}..{head}"
        ):
            self._check_commit(commit)
        return self.problems

    def _check_commit(self, commit: Commit) -> None:
        edits = list(self._edits(commit))
        if not edits:
            return
        self._check_sealing(commit, edits)
        author = self._member(commit.email)
        if author is None:
            self._unknown_author(commit)
            return
        committer = self._member(commit.committer_email)
        restricted = [m for m in (author, committer) if m is not None and self._restricted(m)]
        if committer is not author and restricted:
            self._mismatch(commit, author, committer)
        for member in [author, *(m for m in restricted if m is not author)]:
            self._check_edits(commit, member, edits)

    def _restricted(self, member: Member) -> bool:
        role = role_of(self.trusted.workspace, member)
        return role is not None and bool(role.read_only or role.hidden)

    def _check_edits(self, commit: Commit, member: Member, edits: Sequence[FieldEdit]) -> None:
        role = role_of(self.trusted.workspace, member)
        if role is None:
            return
        for edit in edits:
            if edit.path == WORKSPACE_FILE:
                if role.read_only or role.hidden:
                    self._report(commit, member, role, edit, self._config_message(edit))
                continue
            project_key = edit.path.partition("/")[0]
            if f"{project_key}.{edit.key}" in role.read_only:
                self._report(commit, member, role, edit, self._field_message(edit, role))

    def _check_sealing(self, commit: Commit, edits: Sequence[FieldEdit]) -> None:
        """A plain value written into a hidden field of a workspace whose hidden values are
        encrypted (by anyone: the value is in the history for every clone to read)."""
        hidden = self.trusted.loader.sealing.fields
        plain = [
            edit
            for edit in edits
            if not edit.deleted
            and f"{edit.path.partition('/')[0]}.{edit.key}" in hidden
            and edit.new not in (None, "")
            and not is_sealed(edit.new)
        ]
        if plain and GitSource(self.root, commit.id).is_file(KEY_FILE):
            for edit in plain:
                self._report_plain(commit, edit)

    def _report_plain(self, commit: Commit, edit: FieldEdit) -> None:
        located = self.trusted.locate(edit.path)
        assert located is not None
        project, record_id = located
        line, column = self._position(edit)
        message = _(
            "commit {commit} by {author} <{email}> wrote {field} of {record} in plain text, "
            "but it is a hidden field whose values are encrypted: run crm fmt to encrypt it "
            "(the plain value stays in the history)"
        ).format(
            commit=commit.short,
            author=commit.author,
            email=commit.email,
            field=f"{project.key}.{edit.key}",
            record=self._record_name(edit, project, record_id),
        )
        self.problems.append(
            Problem(edit.path, line, column, Severity.ERROR, "hidden-value-plain", message)
        )

    def _member(self, email: str) -> Member | None:
        for member in self.trusted.workspace.config.members.values():
            if member.email and member.email.casefold() == email.casefold():
                return member
        return None

    # what a commit changed

    def _edits(self, commit: Commit) -> Iterator[FieldEdit]:
        """The fields the commit changed: against its parent, or for a merge, what it did not
        take from its parents (a new value, or a parent's change dropped)."""
        parents = commit.parents or (EMPTY_TREE,)
        if len(parents) == 1:
            yield from self._edits_against(parents[0], commit.id).values()
            return
        per_parent = [self._edits_against(parent, commit.id) for parent in parents]
        from_base = self._edits_against(self._base_of(parents), commit.id)
        for key in dict.fromkeys(key for edits in per_parent for key in edits):
            edit = next(edits[key] for edits in per_parent if key in edits)
            blamed = _merge_edit(edit, [edits.get(key) for edits in per_parent], from_base.get(key))
            if blamed is not None:
                yield blamed

    def _base_of(self, parents: Sequence[str]) -> str:
        """What the parents of a merge share (the empty tree for unrelated histories)."""
        base = parents[0]
        for parent in parents[1:]:
            base = merge_base(self.root, base, parent) or EMPTY_TREE
        return base

    def _edits_against(self, parent: str, commit: str) -> dict[tuple[str, str], FieldEdit]:
        edits = {}
        for change in self.files.diff(parent, commit):
            relative = change.path[len(self.files.prefix) :]
            if not self._is_watched(relative):
                continue
            for edit in self._file_edits(change, relative):
                edits[(edit.path, edit.key)] = edit
        return edits

    def _is_watched(self, relative: str) -> bool:
        return relative == WORKSPACE_FILE or self.trusted.locate(relative) is not None

    def _file_edits(self, change: FileChange, relative: str) -> list[FieldEdit]:
        if change.new_object == NO_OBJECT:
            return self._deleted(change, relative)
        old = self._data(change.old_object) if change.status != "A" else {}
        new = self._data(change.new_object)
        if old is None or new is None:
            return []  # unreadable YAML is `crm check`'s to report
        keys = ("roles", "members") if relative == WORKSPACE_FILE else (*old, *new)
        return [
            FieldEdit(relative, str(key), old.get(key), new.get(key), change.new_object)
            for key in dict.fromkeys(keys)
            if old.get(key, _MISSING) != new.get(key, _MISSING)
        ]

    def _deleted(self, change: FileChange, relative: str) -> list[FieldEdit]:
        """A deleted record file (by hand or `crm rm`): each of its values goes with it."""
        old = self._data(change.old_object)
        if relative == WORKSPACE_FILE or not old:
            return []
        return [
            FieldEdit(relative, str(key), value, None, change.old_object, deleted=True)
            for key, value in old.items()
        ]

    def _data(self, object_id: str) -> dict[str, Any] | None:
        if object_id == NO_OBJECT:
            return {}
        try:
            data = self.files.read_document(object_id, MAX_CONFIG_BYTES).data
        except YamlReadError:
            return None
        return data if isinstance(data, dict) else None

    # reporting

    def _field_message(self, edit: FieldEdit, role: Role) -> str:
        located = self.trusted.locate(edit.path)
        assert located is not None
        project, record_id = located
        name = self._record_name(edit, project, record_id)
        definition = project.fields.get(edit.key)
        label = definition.label if definition else edit.key
        if edit.deleted:
            message = _(
                "deleted {record}, and with it {field} ({before}), which the {role} role may "
                "not edit"
            )
        elif edit.dropped:
            message = _(
                "kept {after} as {field} of {record}, dropping the change to {before} made on "
                "another parent of the merge, which the {role} role may not edit"
            )
        else:
            message = _(
                "changed {field} of {record} ({before} → {after}), which the {role} role may "
                "not edit"
            )
        return message.format(
            field=label,
            record=name,
            before=self.trusted.presenter.value(project, edit.key, edit.old) or "—",
            after=self.trusted.presenter.value(project, edit.key, edit.new) or "—",
            role=role.name,
        )

    def _record_name(self, edit: FieldEdit, project: Project, record_id: str) -> str:
        data = self._data(edit.object_id) or {}
        name = data.get("name") if isinstance(data.get("name"), str) else record_id
        return f"{project.record_name} {quoted(name)} ({project.key}/{record_id})"

    def _config_message(self, edit: FieldEdit) -> str:
        return _("changed {section} in {file}, which only an unrestricted role may do").format(
            section=edit.key, file=WORKSPACE_FILE
        )

    def _report(
        self, commit: Commit, member: Member, role: Role, edit: FieldEdit, message: str
    ) -> None:
        email = commit.email if self._member(commit.email) is member else commit.committer_email
        line, column = self._position(edit)
        self.problems.append(
            Problem(
                edit.path,
                line,
                column,
                Severity.ERROR,
                "read-only-field",
                _("commit {commit} by {author} <{email}> ({role}): {message}").format(
                    commit=commit.short,
                    author=member.name,
                    email=email,
                    role=role.name,
                    message=message,
                ),
            )
        )

    def _position(self, edit: FieldEdit) -> tuple[int, int]:
        try:
            text = decode_text(self.files.read_object(edit.object_id, MAX_CONFIG_BYTES))
        except YamlReadError:
            return (1, 1)
        return locate(key_positions(text), (edit.key,))

    def _mismatch(self, commit: Commit, author: Member, committer: Member | None) -> None:
        """Who wrote a commit and who committed it differ, for a restricted role: git lets
        anyone write any author, so the rights of either cannot be trusted alone."""
        self._about_members(
            "author-committer-mismatch",
            _(
                "commit {commit} was written by {author} <{email}> but committed by "
                "{committer} <{committer_email}>; for a restricted role the author and the "
                "committer must be the same member"
            ).format(
                commit=commit.short,
                author=author.name,
                email=commit.email,
                committer=committer.name if committer else commit.committer,
                committer_email=commit.committer_email,
            ),
        )

    def _unknown_author(self, commit: Commit) -> None:
        self._about_members(
            "unknown-author",
            _(
                "commit {commit} by {author} <{email}> changed records, but no member of "
                "the workspace has this e-mail, so their rights are unknown "
                "(add them to members with a role)"
            ).format(commit=commit.short, author=commit.author, email=commit.email),
        )

    def _about_members(self, code: str, message: str) -> None:
        """A problem at `members:` of crm.yaml: who may do what is decided there."""
        line, column = self.trusted.loader.log.position(WORKSPACE_FILE, ("members",))
        self.problems.append(Problem(WORKSPACE_FILE, line, column, Severity.ERROR, code, message))


def _merge_edit(
    edit: FieldEdit, per_parent: Sequence[FieldEdit | None], from_base: FieldEdit | None
) -> FieldEdit | None:
    """What a merge is responsible for in one field, given how it differs from each parent
    and from the merge base (None: no difference): a value no parent had, or, where the
    parents that changed the field from the base agree, anything but their value (a change
    dropped)."""
    kept = edit.new
    theirs = [kept if difference is None else difference.old for difference in per_parent]
    original = kept if from_base is None else from_base.old
    changed = [value for value in theirs if value != original]
    if any(value != changed[0] for value in changed):  # a conflict: any parent's value will do
        return None if kept in theirs else edit
    expected = changed[0] if changed else original
    if kept == expected:
        return None
    return replace(edit, old=expected, dropped=kept in theirs)
