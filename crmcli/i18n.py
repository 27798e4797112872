"""Message translation. Every user-facing string goes through `_()`."""

import gettext
from pathlib import Path

_translation = gettext.translation(
    "crmcli", localedir=Path(__file__).parent / "locale", fallback=True
)
_ = _translation.gettext
ngettext = _translation.ngettext
