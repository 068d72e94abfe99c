"""The live view of a run in the terminal: time, submissions, best score, last event."""

from __future__ import annotations

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from ascent.harness.budget import Budget
from ascent.harness.sandbox import sanitize
from ascent.record.events import Event

_PRINTED = {"run_start", "submission", "refusal", "error", "final_grade", "run_end"}


class RunPanel:
    def __init__(
        self, console: Console, title: str, budget: Budget, higher_is_better: bool
    ) -> None:
        self.console = console
        self.title = title
        self.budget = budget
        self.sign = 1 if higher_is_better else -1
        self.best: float | None = None
        self.last = "starting"
        self.live: Live | None = None

    def on_event(self, event: Event) -> None:
        if event.kind == "submission":
            score = event.score  # type: ignore[union-attr]
            if (
                event.valid
                and score is not None
                and (  # type: ignore[union-attr]
                    self.best is None or self.sign * score > self.sign * self.best
                )
            ):
                self.best = score
            text = f"submission {event.submission_id}: {event.status}"  # type: ignore[union-attr]
            if score is not None:
                text += f" {score:.5f}"
        elif event.kind == "resources":
            return
        else:
            text = event.kind
        self.last = sanitize(text)[:120]
        if self.live is None and event.kind in _PRINTED:
            self.console.print(f"[dim]{self.title}[/] {self.last}", highlight=False)

    def render(self) -> Panel:
        elapsed, total = self.budget.elapsed(), self.budget.wall_seconds
        table = Table.grid(padding=(0, 2))
        table.add_row(
            "time",
            ProgressBar(total=total, completed=min(elapsed, total), width=30),
            f"{elapsed:.0f}s / {total:.0f}s",
        )
        table.add_row(
            "submissions", "", f"{self.budget.submissions_used} / {self.budget.max_submissions}"
        )
        table.add_row("best (public)", "", "-" if self.best is None else f"{self.best:.5f}")
        table.add_row("last event", "", Text(self.last))
        return Panel(Group(table), title=self.title, title_align="left")

    def __enter__(self) -> RunPanel:
        if self.console.is_terminal:
            self.live = Live(
                self.render(), console=self.console, refresh_per_second=4, transient=False
            )
            self.live.__enter__()
        return self

    def refresh(self) -> None:
        if self.live is not None:
            self.live.update(self.render())

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.update(self.render())
            self.live.__exit__(None, None, None)
            self.live = None
