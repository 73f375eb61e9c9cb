"""The one error type users see: what went wrong, with which file, and what to do."""

from __future__ import annotations

import errno
import signal
from pathlib import Path
from typing import Any


class PipelineError(Exception):
    """A failure the user can act on; printed as one line, never as a traceback.

    ``exit_code`` follows the CLI convention: 1 = this input could not be processed,
    2 = usage or configuration error.
    """

    def __init__(
        self, what: str, path: Path | str | None = None, fix: str = "", exit_code: int = 1
    ) -> None:
        self.what = what
        self.path = str(path) if path is not None else None
        self.fix = fix
        self.exit_code = exit_code
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        fix = f" — {self.fix}" if self.fix else ""
        return f"{where}{self.what}{fix}"


class ConfigError(PipelineError):
    """Invalid settings or event sidecar (exit code 2)."""

    def __init__(self, what: str, path: Path | str | None = None, fix: str = "") -> None:
        super().__init__(what, path, fix, exit_code=2)


class BusyError(PipelineError):
    """Another process is working on this recording right now (not a failure of the input)."""


class Stopped(KeyboardInterrupt):
    """SIGTERM — systemd stopping the service, ``timeout``, ``kill`` — unwound as Ctrl-C is:
    temporary files removed, locks released, ffmpeg stopped, finished stages kept."""


def _stop(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a second one must not cut the unwinding
    raise Stopped


def stop_on_sigterm() -> None:
    """Make SIGTERM raise ``Stopped`` in this process (its main thread)."""
    signal.signal(signal.SIGTERM, _stop)


def was_stopped() -> bool:
    """Whether this process has been stopped by SIGTERM (it ignores any more since)."""
    return signal.getsignal(signal.SIGTERM) == signal.SIG_IGN


def describe_os_error(exc: OSError) -> PipelineError:
    """An operating-system failure (disk full, read-only folder, …) as one actionable line."""
    where = exc.filename
    if exc.errno == errno.ENOSPC:
        return PipelineError(
            "the disk is full", where, "free some space and run again (finished stages are kept)"
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return PipelineError(
            f"cannot write to the output folder ({exc.strerror})",
            where,
            "choose a writable --out / --summaries folder",
            exit_code=2,
        )
    return PipelineError(exc.strerror or str(exc), where, "check the file and the folder")
