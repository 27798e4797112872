"""One piece of work done by a forked child while this process does another: the child
inherits everything it needs (nothing is sent to it), makes its bytes, sends them through a
pipe and leaves without running anything else (no exit handlers, no flushing of what it
inherited). A detached child is left to finish work that nobody waits for (`detached`).
Callers decide whether forking is safe and worth it (`parse_pool.fork_workers`).
"""

from __future__ import annotations

import gc
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# What reading a pickle a child sent may raise when the child sent less, or something else.
_UNREADABLE = (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError)


@dataclass(frozen=True, slots=True)
class Child:
    pid: int
    pipe: int  # the end this process reads

    def result(self) -> bytes | None:
        """What the child sent, or None if it did not finish its work."""
        try:
            with os.fdopen(self.pipe, "rb") as answer:
                sent = answer.read()
        except OSError:
            sent = b""
        finally:
            _pid, status = os.waitpid(self.pid, 0)
        return sent if os.waitstatus_to_exitcode(status) == 0 else None

    def answer(self) -> Any:
        """The value a child of `answering` computed; None if it did not send it whole."""
        sent = self.result()
        try:
            return pickle.loads(sent) if sent else None
        except _UNREADABLE:
            return None


def answering(work: Callable[[], Any]) -> Child | None:
    """A forked child computing `work()`, whose value `Child.answer` gives back; None if it
    cannot start."""
    return started(lambda: pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL))


def started(work: Callable[[], bytes]) -> Child | None:
    """A forked child doing `work`; None if it cannot start (this process then does it)."""
    try:
        readable, writable = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(readable)
        os.close(writable)
        return None
    if pid == 0:  # the child
        code = 1
        try:
            os.close(readable)
            with os.fdopen(writable, "wb") as out:
                out.write(work())
            code = 0
        finally:
            os._exit(code)
    os.close(writable)
    return Child(pid, readable)


def detached(work: Callable[[], None]) -> bool:
    """Start `work` in a grandchild that this process neither waits for nor has to reap, so
    that it outlives a command which has given its answer; False if it cannot start. It
    reads and writes no terminal (its standard streams are /dev/null, so a pipe reading this
    command's output ends with this command), and is in a session of its own: a Ctrl-C at the
    prompt afterwards does not stop it."""
    try:
        pid = os.fork()
    except OSError:
        return False
    if pid == 0:  # the child: it starts the grandchild and leaves at once
        code = 1
        try:
            if os.fork() == 0:
                _detached_work(work)
            code = 0
        finally:
            os._exit(code)
    _pid, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _detached_work(work: Callable[[], None]) -> None:
    code = 1
    try:
        gc.disable()  # a collection would touch, and so copy, every page of the parent's
        os.setsid()
        quiet = os.open(os.devnull, os.O_RDWR)
        for stream in (0, 1, 2):
            os.dup2(quiet, stream)
        work()
        code = 0
    finally:
        os._exit(code)
