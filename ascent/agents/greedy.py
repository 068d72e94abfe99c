"""Greedy tree search in the style of AIDE: a few drafts, then at each step either debug a
failing node (with probability `p_debug`, up to `max_debug_depth`) or improve the best node
with an undirected change. Nodes are ranked by their local validation score alone.
Options: drafts, p_debug, max_debug_depth, max_steps, recipe (plan overrides of every draft)."""

from __future__ import annotations

import numpy as np

from ascent.agents.core import AgentContext
from ascent.agents.search import SearchAgent, scores
from ascent.drivers.models import DebugRequest, ProposeRequest
from ascent.errors import DriverError


class Greedy(SearchAgent):
    name = "greedy"
    description = "AIDE-style tree search: drafts, then debug or greedily improve the best node."
    max_fixes = 0  # debugging is a search step of its own here

    def run(self, ctx: AgentContext) -> None:
        drafts = int(self.options.get("drafts", 3))
        p_debug = float(self.options.get("p_debug", 0.5))
        max_depth = int(self.options.get("max_debug_depth", 3))
        max_steps = self.options.get("max_steps")
        journal = ctx.load()
        rng = np.random.default_rng([ctx.seed, len(journal.nodes)])
        while (
            sum(1 for n in journal.nodes if n.action == "draft") < drafts and not ctx.should_stop()
        ):
            node = self.draft(ctx, journal, sum(1 for n in journal.nodes if n.action == "draft"), 0)
            self.maybe_submit(ctx, journal, node)
            ctx.save(journal)
        steps = sum(1 for n in journal.nodes if n.action != "draft")
        while not ctx.should_stop() and (max_steps is None or steps < max_steps):
            steps += 1
            buggy = [
                n
                for n in journal.nodes
                if not n.ok
                and n.depth < max_depth
                and not any(c.parent == n.id for c in journal.nodes)
            ]
            best = self.best(journal, ctx)
            if buggy and (best is None or rng.random() < p_debug):
                target = buggy[int(rng.integers(0, len(buggy)))]
                if target.outcome is None:
                    continue
                try:
                    solution = ctx.driver.debug(
                        DebugRequest(
                            brief=ctx.brief, solution=target.solution, outcome=target.outcome
                        )
                    )
                except DriverError as exc:
                    ctx.step("driver_error", call="debug", error=str(exc))
                    continue
                node = journal.add(
                    trace=0,
                    parent=target.id,
                    action="debug",
                    solution=solution,
                    depth=target.depth + 1,
                )
                self.run_node(ctx, node)
                ctx.step("debug", node=node.id, parent=target.id, **scores(node))
            elif best is not None:
                try:
                    proposals = ctx.driver.propose(
                        ProposeRequest(
                            brief=ctx.brief,
                            solution=best.solution,
                            outcome=best.outcome,
                            diagnosis=None,
                            failures=self.tried_from(journal, best),
                        )
                    )
                except DriverError as exc:
                    ctx.step("driver_error", call="propose", error=str(exc))
                    continue
                choice = proposals[int(rng.integers(0, len(proposals)))]
                if choice.edit.get("ensemble"):
                    continue
                node = self.improve(ctx, journal, best, choice, None)
                if node is None:
                    continue
                ctx.step(
                    "improve", node=node.id, parent=best.id, change=choice.change, **scores(node)
                )
            else:
                node = self.draft(ctx, journal, len(journal.nodes), 0)
            self.maybe_submit(ctx, journal, node)
            ctx.save(journal)
        self.finalize(ctx, journal)
