"""Typed errors that every service raises instead of crashing."""


class ServiceError(Exception):
    """Base class of every error a service reports to the app or the CLI."""


class ParseError(ServiceError):
    """Text or JSON read from a target could not be understood."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class CommandFailed(ServiceError):
    """A command ran but failed, timed out, or does not exist on the target."""


class TargetUnavailable(ServiceError):
    """The target cannot be read at all (unreachable, refused, unknown key...)."""
