"""Renames that are compare-and-swap steps: exchange two files, or rename without replacing.

Linux's renameat2 (through ctypes: a system call, nothing hand-written) does each atomically:
RENAME_EXCHANGE swaps two names, so the caller then holds exactly the file it replaced;
RENAME_NOREPLACE fails if the target exists. Where it is missing (not Linux, glibc before 2.28,
a file system without it) the same results come from a hard link and renames: still whole
files, with a window of microseconds where a concurrent edit could slip in.
"""

from __future__ import annotations

import errno
import functools
import os
from collections.abc import Callable

StrPath = str | os.PathLike[str]
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_UNSUPPORTED = (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP)


def swap(first: StrPath, second: StrPath) -> None:
    """Exchange two files' names atomically (each must exist)."""
    if _renameat2(first, second, _RENAME_EXCHANGE):
        return
    parked = f"{first}.swap"
    os.link(second, parked)
    os.replace(first, second)  # noqa: PTH105 — str paths: imports rename by the thousand
    os.replace(parked, first)  # noqa: PTH105


def move_no_replace(source: StrPath, target: StrPath) -> None:
    """Rename `source` to `target`; FileExistsError if `target` exists."""
    if _renameat2(source, target, _RENAME_NOREPLACE):
        return
    os.link(source, target)
    os.unlink(source)  # noqa: PTH108


def _renameat2(source: StrPath, target: StrPath, flags: int) -> bool:
    """True when done; False when the system has no renameat2 for these files."""
    function = _libc_renameat2()
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags) == 0:
        return True
    import ctypes

    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(target))


@functools.cache
def _libc_renameat2() -> Callable[..., int] | None:
    """libc's renameat2 (glibc 2.28+), looked up once; None where there is none."""
    import ctypes

    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function
