"""Errors pitrctl shows as messages (never tracebacks): what went wrong and what to do."""

from __future__ import annotations


class PitrctlError(Exception):
    """A failure the operator can act on. ``hint`` says what to do next."""

    def __init__(self, message: str, hint: str = "", exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def as_dict(self) -> dict[str, str]:
        return {"error": self.message, "hint": self.hint}
