"""FT-Agent: a fine-tuning project run as an engineer would.

Each iteration is planned (data recipe, training recipe, the expected effect), validated
fail-fast on a micro-batch before the full run, and followed by feedback analysis at two levels:
execution (a failed run's error classified as OOM, CONFIG, DATA, DIVERGED, TIMEOUT or ENV and
repaired with that error's usual fix) and behaviour (format failures, per-category errors,
under- and overfitting, suspicious data sources). What worked and what failed is remembered
across iterations.
"""

from __future__ import annotations

from ascent.agents.core import AgentContext, Journal, Node
from ascent.agents.gome import Gome
from ascent.agents.memory import Memory
from ascent.agents.search import SearchAgent, scores
from ascent.drivers.models import (
    DebugRequest,
    DiagnoseRequest,
    Diagnosis,
    Hypothesis,
    ImplementRequest,
    ProposeRequest,
)
from ascent.errors import DriverError

CODE_PROBLEMS = {"config", "env"}


class FtAgent(SearchAgent):
    name = "ftagent"
    description = "Plans each fine-tuning iteration, fails fast on a micro-batch, learns from two-level feedback."

    def run(self, ctx: AgentContext) -> None:
        max_steps = self.options.get("max_steps")
        journal = ctx.load()
        memory = Memory.model_validate(journal.state.get("memory", {}))
        iteration = int(journal.state.get("iteration", 0))
        if not journal.nodes:
            node = self._draft(ctx, journal, 0)
            self._after(ctx, journal, memory, node, iteration)
        while not ctx.should_stop(reserve=self._reserve(journal)) and (
            max_steps is None or iteration < max_steps
        ):
            iteration += 1
            best = self.best(journal, ctx)
            if best is None:
                node = self._draft(ctx, journal, iteration)
                self._after(ctx, journal, memory, node, iteration)
                continue
            node = self._iterate(ctx, journal, memory, best, iteration)
            if node is not None:
                self._after(ctx, journal, memory, node, iteration)
        self.finalize(ctx, journal)

    def _draft(self, ctx: AgentContext, journal: Journal, index: int) -> Node:
        """A first recipe, with the user's `recipe` overrides (e.g. a smaller run) applied."""
        recipe = self.options.get("recipe") or {}
        if not recipe:
            return self.draft(ctx, journal, index, 0)
        from ascent.drivers.models import DraftRequest

        solution = ctx.driver.draft(DraftRequest(brief=ctx.brief, index=index))
        solution = ctx.skills.apply(solution, recipe, ctx.brief)
        node = journal.add(trace=0, action="draft", solution=solution)
        ctx.step("plan", iteration=0, recipe=solution.summary, expected_effect="a first baseline")
        self.run_node(ctx, node)
        ctx.step("draft", node=node.id, summary=solution.summary, **scores(node))
        return node

    # -- one iteration ---------------------------------------------------------------------------
    def _iterate(
        self, ctx: AgentContext, journal: Journal, memory: Memory, best: Node, iteration: int
    ) -> Node | None:
        assert best.outcome is not None
        try:
            diagnosis = ctx.driver.diagnose(
                DiagnoseRequest(
                    brief=ctx.brief,
                    solution=best.solution,
                    outcome=best.outcome,
                    history=[_history(n) for n in journal.nodes][-8:],
                )
            )
        except DriverError as exc:
            ctx.step("driver_error", call="diagnose", error=str(exc))
            diagnosis = None
        ctx.step(
            "behaviour_feedback",
            iteration=iteration,
            node=best.id,
            diagnosis=diagnosis.model_dump() if diagnosis else None,
            public_categories=best.outcome.extra.get("public_details", {}).get("categories"),
            dev_categories=best.outcome.extra.get("categories"),
        )
        try:
            proposals = ctx.driver.propose(
                ProposeRequest(
                    brief=ctx.brief,
                    solution=best.solution,
                    outcome=best.outcome,
                    diagnosis=diagnosis,
                    successes=memory.summary(0),
                    failures=memory.failed(0),
                )
            )
        except DriverError as exc:
            ctx.step("driver_error", call="propose", error=str(exc))
            return None
        choice = Gome._choose(proposals, memory, 0, iteration, use_memory=True)
        try:
            solution = ctx.driver.implement(
                ImplementRequest(brief=ctx.brief, solution=best.solution, hypothesis=choice)
            )
        except DriverError as exc:
            ctx.step("driver_error", call="implement", change=choice.change, error=str(exc))
            memory.record_failure(0, choice.change)
            return None
        ctx.step(
            "plan",
            iteration=iteration,
            parent=best.id,
            change=choice.change,
            recipe=solution.summary,
            expected_effect=choice.rationale,
            expected_gain=choice.expected_gain,
        )
        node = journal.add(
            parent=best.id,
            action="improve",
            solution=solution,
            hypothesis=choice,
            diagnosis=diagnosis,
            depth=best.depth + 1,
        )
        self.run_node(ctx, node)
        return node

    def run_node(self, ctx: AgentContext, node: Node) -> None:
        """Micro-batch first; a failure is classified and repaired with its own fix."""
        for quick in (True, False):
            for attempt in range(self.max_fixes + 1):
                if ctx.should_stop():
                    return
                node.outcome = ctx.evaluate(node, quick=quick)
                if node.outcome.ok:
                    break
                if attempt == self.max_fixes or not self._repair(ctx, node, quick, attempt):
                    return

    def _repair(self, ctx: AgentContext, node: Node, quick: bool, attempt: int) -> bool:
        assert node.outcome is not None
        try:
            analysis = ctx.driver.diagnose(
                DiagnoseRequest(brief=ctx.brief, solution=node.solution, outcome=node.outcome)
            )
        except DriverError:
            analysis = Diagnosis(problem="the run failed", direction="config")
        fix: Hypothesis | None = None
        try:
            if analysis.direction in CODE_PROBLEMS:
                node.solution = ctx.driver.debug(
                    DebugRequest(brief=ctx.brief, solution=node.solution, outcome=node.outcome)
                )
            else:
                proposals = ctx.driver.propose(
                    ProposeRequest(
                        brief=ctx.brief,
                        solution=node.solution,
                        outcome=node.outcome,
                        diagnosis=analysis,
                    )
                )
                fix = proposals[0]
                node.solution = ctx.driver.implement(
                    ImplementRequest(brief=ctx.brief, solution=node.solution, hypothesis=fix)
                )
        except DriverError as exc:
            ctx.step("driver_error", call="repair", error=str(exc))
            return False
        ctx.step(
            "execution_feedback",
            node=node.id,
            quick=quick,
            attempt=attempt + 1,
            problem=analysis.problem,
            direction=analysis.direction,
            fix=fix.change if fix else "repair the code",
            error=(node.outcome.error or "")[-400:],
        )
        return True

    def _after(
        self, ctx: AgentContext, journal: Journal, memory: Memory, node: Node, iteration: int
    ) -> None:
        parent = journal.get(node.parent) if node.parent is not None else None
        if node.hypothesis is not None and parent is not None and parent.outcome is not None:
            gain = ctx.gain(
                node.outcome.valid_score if node.ok else None, parent.outcome.valid_score
            )
            if node.ok and gain > 0:
                memory.record_success(
                    node.hypothesis.kind, node.hypothesis.change, gain, 0, iteration
                )
            else:
                memory.record_failure(0, node.hypothesis.change)
            ctx.step(
                "feedback",
                node=node.id,
                change=node.hypothesis.change,
                gain=gain,
                accepted=node.ok and gain > 0,
                **scores(node),
            )
        self.maybe_submit(ctx, journal, node, reserve=0)
        memory.share(iteration)
        journal.state.update({"memory": memory.model_dump(), "iteration": iteration})
        ctx.save(journal)

    @staticmethod
    def _reserve(journal: Journal) -> float:
        seconds = sorted(n.outcome.seconds for n in journal.nodes if n.ok)
        return 5.0 + (seconds[len(seconds) // 2] if seconds else 30.0)


def _history(node: Node) -> dict:
    return {
        "node": node.id,
        "change": node.hypothesis.change if node.hypothesis else None,
        "dev_score": node.outcome.valid_score if node.outcome else None,
        "ok": node.ok,
    }
