"""Random search: independent drafts (model families and seeds vary), the best submitted."""

from __future__ import annotations

from ascent.agents.core import AgentContext
from ascent.agents.search import SearchAgent


class RandomSearch(SearchAgent):
    name = "random"
    description = "Independent drafts, no search: the baseline every search must beat."

    def run(self, ctx: AgentContext) -> None:
        max_steps = self.options.get("max_steps")
        journal = ctx.load()
        while not ctx.should_stop() and (max_steps is None or len(journal.nodes) < max_steps):
            node = self.draft(ctx, journal, len(journal.nodes), 0)
            self.maybe_submit(ctx, journal, node)
            ctx.save(journal)
        self.finalize(ctx, journal)
