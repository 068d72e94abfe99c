"""Operations shared by the search agents: draft, improve, repair, submit, choose the final.

Every candidate is run fail-fast first (a quick run on a small sample) and only then in full,
so a broken edit costs seconds, not minutes.
"""

from __future__ import annotations

import logging
import math

from ascent.agents.core import Agent, AgentContext, Journal, Node
from ascent.drivers.models import (
    DebugRequest,
    Diagnosis,
    DraftRequest,
    Hypothesis,
    ImplementRequest,
    Solution,
)
from ascent.errors import DriverError

log = logging.getLogger(__name__)

SUBMISSION_RESERVE = 1  # keep one for the final merge


class SearchAgent(Agent):
    max_fixes = 2

    def draft(self, ctx: AgentContext, journal: Journal, index: int, trace: int) -> Node:
        avoid = [n.solution.summary for n in journal.nodes if n.action == "draft"]
        try:
            solution = ctx.driver.draft(DraftRequest(brief=ctx.brief, index=index, avoid=avoid))
        except DriverError as exc:
            ctx.step("driver_error", call="draft", error=str(exc))
            solution = ctx.skills.draft(ctx.brief, index, ctx.seed)
        solution = self.with_recipe(ctx, solution)
        node = journal.add(trace=trace, action="draft", solution=solution)
        self.run_node(ctx, node)
        ctx.step("draft", trace=trace, node=node.id, summary=solution.summary, **_scores(node))
        return node

    def with_recipe(self, ctx: AgentContext, solution: Solution) -> Solution:
        """A draft with the user's `recipe` option (plan overrides, e.g. a smaller run) applied;
        later steps edit that plan, so the overrides carry through the search."""
        recipe = self.options.get("recipe") or {}
        if not recipe:
            return solution
        try:
            return ctx.skills.apply(solution, recipe, ctx.brief)
        except ValueError as exc:
            ctx.step("recipe_ignored", recipe=recipe, error=str(exc)[:300])
            return solution

    def improve(
        self,
        ctx: AgentContext,
        journal: Journal,
        parent: Node,
        hypothesis: Hypothesis,
        diagnosis: Diagnosis | None,
        solution: Solution | None = None,
    ) -> Node | None:
        if solution is None:
            try:
                solution = ctx.driver.implement(
                    ImplementRequest(
                        brief=ctx.brief, solution=parent.solution, hypothesis=hypothesis
                    )
                )
            except DriverError as exc:
                ctx.step("driver_error", call="implement", change=hypothesis.change, error=str(exc))
                return None
        node = journal.add(
            trace=parent.trace,
            parent=parent.id,
            action="improve",
            solution=solution,
            hypothesis=hypothesis,
            diagnosis=diagnosis,
            depth=parent.depth + 1,
        )
        self.run_node(ctx, node)
        return node

    def run_node(self, ctx: AgentContext, node: Node) -> None:
        """Quick run, repair while it fails (up to `max_fixes`), then the full run."""
        for quick in (True, False):
            for attempt in range(self.max_fixes + 1):
                if ctx.should_stop():
                    return
                node.outcome = ctx.evaluate(node, quick=quick)
                if node.outcome.ok:
                    break
                ctx.step(
                    "run_failed",
                    trace=node.trace,
                    node=node.id,
                    quick=quick,
                    error=(node.outcome.error or "")[-600:],
                )
                if attempt == self.max_fixes:
                    return
                try:
                    node.solution = ctx.driver.debug(
                        DebugRequest(brief=ctx.brief, solution=node.solution, outcome=node.outcome)
                    )
                except DriverError as exc:
                    ctx.step("driver_error", call="debug", error=str(exc))
                    return
                ctx.step("debug", trace=node.trace, node=node.id, attempt=attempt + 1)

    @staticmethod
    def tried_from(journal: Journal, node: Node) -> list[str]:
        """The changes already made to `node` (its children's), so that an expansion asks for
        something else: a tree search sees the node's children, as AIDE's prompt shows the
        attempts made so far."""
        return [
            child.hypothesis.change
            for child in journal.nodes
            if child.parent == node.id and child.hypothesis is not None
        ]

    def best(self, journal: Journal, ctx: AgentContext, trace: int | None = None) -> Node | None:
        found = None
        for node in journal.nodes:
            if (
                node.ok
                and (trace is None or node.trace == trace)
                and (
                    found is None or ctx.better(node.outcome.valid_score, found.outcome.valid_score)
                )
            ):
                found = node
        return found

    def maybe_submit(
        self,
        ctx: AgentContext,
        journal: Journal,
        node: Node,
        reserve: int = SUBMISSION_RESERVE,
        robust: bool = False,
    ) -> bool:
        """Submit when the node beats every submitted node on local validation (`robust`: when
        the final choice among them and it would be it, see `robust_choice`)."""
        if not node.ok or ctx.remaining_submissions() <= reserve:
            return False
        submitted = [n for n in journal.nodes if n.submission_id is not None and n.ok]
        if robust:
            if robust_choice([*submitted, node], ctx.higher_is_better) is not node:
                return False
        elif any(
            not ctx.better(node.outcome.valid_score, n.outcome.valid_score) for n in submitted
        ):
            return False
        result = ctx.submit(node)
        if result is None:
            return False
        ctx.step(
            "submit",
            trace=node.trace,
            node=node.id,
            submission=result.submission_id,
            valid=result.valid,
            public_score=result.score,
            error=result.error,
        )
        return result.valid

    def finalize(self, ctx: AgentContext, journal: Journal) -> None:
        """Choose the final submission by local validation, not by the public split: the public
        split is small and was seen many times, so its best is partly luck. Among submitted
        nodes as good as the best within its standard error, the most robust one wins
        (`robust_choice`)."""
        submitted = [n for n in journal.nodes if n.submission_id is not None and n.ok]
        if not submitted:
            best = self.best(journal, ctx)
            if best is not None and ctx.remaining_submissions() > 0:
                self.maybe_submit(ctx, journal, best, reserve=0)
                submitted = [best] if best.submission_id else []
        if not submitted:
            return
        chosen = robust_choice(submitted, ctx.higher_is_better)
        ctx.select_submission(chosen.submission_id)  # type: ignore[arg-type]
        ctx.step(
            "final",
            node=chosen.id,
            submission=chosen.submission_id,
            valid_score=chosen.outcome.valid_score,  # type: ignore[union-attr]
            public_score=chosen.public_score,
        )


def standard_error(node: Node) -> float:
    """The standard error of a node's cross-validated score: its fold spread over the square
    root of its number of folds (0 when the solution reports no spread)."""
    assert node.outcome is not None
    folds = max(1, int(node.solution.plan.get("folds") or 1))
    return (node.outcome.valid_std or 0.0) / math.sqrt(folds)


def robust_choice(nodes: list[Node], higher_is_better: bool) -> Node:
    """The one-standard-error rule: every node whose validation score is within one standard
    error of the best one's is as good as far as validation can tell; of those, take an
    ensemble (more members first: averaging cancels the luck of single models), then the
    smallest fold spread, then the better score. On small data a single model whose folds
    disagree wildly can top validation by luck and lose on held-out data."""
    sign = 1.0 if higher_is_better else -1.0

    def score(n: Node) -> float:
        return sign * n.outcome.valid_score  # type: ignore[union-attr,operator]

    best = max(nodes, key=score)
    close = [n for n in nodes if score(n) >= score(best) - standard_error(best)]
    return min(
        close,
        key=lambda n: (
            -len(n.solution.plan.get("members") or []),
            n.outcome.valid_std or 0.0,  # type: ignore[union-attr]
            -score(n),
            n.id,
        ),
    )


def _scores(node: Node) -> dict:
    if node.outcome is None:
        return {"ok": False}
    return {
        "ok": node.outcome.ok,
        "valid_score": node.outcome.valid_score,
        "train_score": node.outcome.train_score,
        "seconds": round(node.outcome.seconds, 2),
    }


scores = _scores
