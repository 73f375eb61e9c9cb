"""The one error type users see: what went wrong, with which file, and what to do."""

from __future__ import annotations

from pathlib import Path


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
