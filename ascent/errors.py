"""One exception hierarchy for the whole project.

Every message says what was wrong and what to do about it; the CLI prints it on one line and exits
with code 2. Three outcomes are never mixed: an invalid submission (the agent's fault), a grader or
harness failure (ours, or the task author's), and success.
"""

from __future__ import annotations


class AscentError(Exception):
    """Base class: a failure with a message fit for the user."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(AscentError):
    """Bad settings: a flag, an environment variable or a config file."""


class TaskNotFound(AscentError):
    """No task with this id in any registry source."""


class TaskSpecError(AscentError):
    """A task folder that breaks the task contract (task.yaml, prepare.py, grade.py...)."""


class TaskPrepareError(AscentError):
    """The task's own prepare step failed."""


class InvalidSubmission(AscentError):
    """A malformed submission. The agent's fault: it is told why, and it costs a submission."""


class GraderError(AscentError):
    """The grader itself failed (a bug, missing answers). Never turned into a score."""


class StoreError(AscentError):
    """The run store cannot be opened or written."""


class SandboxError(AscentError):
    """The sandbox cannot be set up or failed while running."""


class BudgetExhausted(AscentError):
    """The run has no time or submissions left."""


class AgentError(AscentError):
    """An agent definition or adapter is unusable."""


class DriverError(AscentError):
    """A reasoning driver failed (bad answer after retries, endpoint down...)."""
