"""Monte-Carlo tree search over solutions: select by UCT, expand with an undirected change,
evaluate, back up a reward in [0, 1] (the node's validation score, scaled between the worst and
best scores seen). The exploration constant is `c` (default 1.4)."""

from __future__ import annotations

import math

import numpy as np

from ascent.agents.core import AgentContext, Journal, Node
from ascent.agents.search import SearchAgent, scores
from ascent.drivers.models import ProposeRequest
from ascent.errors import DriverError


class Mcts(SearchAgent):
    name = "mcts"
    description = "UCT tree search over solutions with undirected expansions."

    def run(self, ctx: AgentContext) -> None:
        drafts = int(self.options.get("drafts", 2))
        c = float(self.options.get("c", 1.4))
        max_steps = self.options.get("max_steps")
        journal = ctx.load()
        rng = np.random.default_rng([ctx.seed, 7, len(journal.nodes)])
        while (
            sum(1 for n in journal.nodes if n.action == "draft") < drafts and not ctx.should_stop()
        ):
            node = self.draft(ctx, journal, sum(1 for n in journal.nodes if n.action == "draft"), 0)
            self._backup(journal, node, ctx)
            self.maybe_submit(ctx, journal, node)
            ctx.save(journal)
        steps = sum(1 for n in journal.nodes if n.action != "draft")
        while not ctx.should_stop() and (max_steps is None or steps < max_steps):
            steps += 1
            leaf = self._select(journal, c)
            if leaf is None:
                node = self.draft(ctx, journal, len(journal.nodes), 0)
            else:
                try:
                    proposals = ctx.driver.propose(
                        ProposeRequest(
                            brief=ctx.brief,
                            solution=leaf.solution,
                            outcome=leaf.outcome,
                            diagnosis=None,
                            failures=self.tried_from(journal, leaf),
                        )
                    )
                except DriverError as exc:
                    ctx.step("driver_error", call="propose", error=str(exc))
                    continue
                options = [h for h in proposals if not h.edit.get("ensemble")] or proposals
                choice = options[int(rng.integers(0, len(options)))]
                if choice.edit.get("ensemble"):
                    continue
                node = self.improve(ctx, journal, leaf, choice, None)
                if node is None:
                    continue
                ctx.step(
                    "expand", node=node.id, parent=leaf.id, change=choice.change, **scores(node)
                )
            self._backup(journal, node, ctx)
            self.maybe_submit(ctx, journal, node)
            ctx.save(journal)
        self.finalize(ctx, journal)

    def _select(self, journal: Journal, c: float) -> Node | None:
        """Walk down from the drafts by UCT to a node to expand (only valid nodes expand)."""
        level = [n for n in journal.nodes if n.parent is None and n.ok]
        if not level:
            return None
        total = sum(n.visits for n in level) + 1
        node = max(level, key=lambda n: _uct(n, total, c))
        while True:
            children = [k for k in journal.nodes if k.parent == node.id and k.ok]
            if not children or _uct(node, node.visits + 1, c) >= max(
                _uct(k, node.visits + 1, c) for k in children
            ):
                return node
            node = max(children, key=lambda k: _uct(k, node.visits + 1, c))

    def _backup(self, journal: Journal, node: Node, ctx: AgentContext) -> None:
        valid = [n.outcome.valid_score for n in journal.nodes if n.ok]
        reward = 0.0
        if node.ok and valid:
            low, high = min(valid), max(valid)
            scaled = 0.5 if high == low else (node.outcome.valid_score - low) / (high - low)
            reward = scaled if ctx.higher_is_better else 1 - scaled
        current: Node | None = node
        while current is not None:
            current.visits += 1
            current.value += reward
            current = journal.get(current.parent) if current.parent is not None else None


def _uct(node: Node, parent_visits: int, c: float) -> float:
    if node.visits == 0:
        return math.inf
    return node.value / node.visits + c * math.sqrt(math.log(max(parent_visits, 1)) / node.visits)
