"""Hidden values (crmcli/secrets) as the loader meets them: the workspace's sealing, each
record's sealed values opened as it enters the model, and what could not be opened reported
once per workspace."""

from __future__ import annotations

from crmcli.core.model import Record, WorkspaceConfig
from crmcli.core.problems import ProblemLog
from crmcli.core.sources import FileSource
from crmcli.core.yamlio import MAX_CONFIG_BYTES, YamlReadError, decode_text
from crmcli.errors import Severity
from crmcli.i18n import _, counted, ngettext
from crmcli.secrets.keyfile import KEY_FILE
from crmcli.secrets.sealing import Sealing


def workspace_sealing(source: FileSource, config: WorkspaceConfig) -> Sealing:
    """The fields roles hide, and the key file's text (None: missing; "": unreadable)."""
    fields = frozenset(name for role in config.roles.values() for name in role.hidden)
    text = None
    if fields and source.is_file(KEY_FILE):
        try:
            text = decode_text(source.read_bytes(KEY_FILE, MAX_CONFIG_BYTES))
        except (OSError, YamlReadError):
            text = ""
    return Sealing(fields, text)


def open_hidden_values(record: Record, sealing: Sealing, log: ProblemLog) -> None:
    """Open the record's sealed values; one that cannot be opened is left out (unknown)."""
    for key, code in sealing.open_fields(record.project, record.data, record.sealed):
        message = _left_out_message(code)
        if message:
            name = f"{record.project}.{key}"
            log.add(
                record.path, (key,), f"hidden-value-{code}", message.format(field=name), field=name
            )


def _left_out_message(code: str) -> str | None:
    """Why a hidden value was left out, by its code (looked up only when one is: the loader
    opens every record)."""
    if code == "plain":
        return _(
            "{field} is a hidden field but this value is written in plain text: "
            "run crm fmt to encrypt it."
        )
    if code == "damaged":
        return _("The encrypted value of {field} is damaged and cannot be read.")
    if code == "other-key":
        return _(
            "The value of {field} was encrypted with another key than this workspace's "
            "(another workspace's, or one rotated away); it cannot be read."
        )
    return None


def report_sealing(sealing: Sealing, log: ProblemLog) -> None:
    """Once per workspace: the key file missing or unreadable, values left unknown."""
    if sealing.enabled and sealing.key_file() is None:
        log.add_at(KEY_FILE, 1, 1, "secrets-key-file", sealing.why_no_key())
    if sealing.locked and sealing.key_file_text is None:
        log.add_at(
            KEY_FILE,
            1,
            1,
            "secrets-key-file-missing",
            ngettext(
                "{count} hidden value is encrypted but {file} is missing, so no one can "
                "read it; restore the file from git.",
                "{count} hidden values are encrypted but {file} is missing, so no one can "
                "read them; restore the file from git.",
                sealing.locked,
            ).format(count=counted(sealing.locked), file=KEY_FILE),
        )
    elif sealing.locked:
        log.add_at(
            KEY_FILE,
            1,
            1,
            "hidden-values-locked",
            ngettext(
                "{count} hidden value cannot be read without the key to hidden fields; "
                "it was not checked.",
                "{count} hidden values cannot be read without the key to hidden fields; "
                "they were not checked.",
                sealing.locked,
            ).format(count=counted(sealing.locked)),
            Severity.NOTICE,
        )
