"""Gome: gradient-style search for ML engineering.

Each step of each trace: diagnose the trace's best solution (the gradient: problem, evidence,
direction, expected gain, confidence); propose hypotheses in that direction; score them with
the success memory (momentum) and skip recent failures and changes that lead back to a plan
already run (asking the driver again when all do); implement the best; run it fail-fast,
then in full; accept it as the trace's new best if local validation improves, else remember the
failure; submit when it beats everything submitted. Several traces start from deliberately
different drafts, run side by side, share their memories at intervals, and end in a merge (an
ensemble of the trace bests, joined by the best model of another kind when the bests are all
one kind, e.g. boosted trees), submitted when it is as good as the best member within that
member's standard error. The final submission is chosen by local validation with the
one-standard-error rule (`robust_choice`): of the candidates validation cannot tell apart, the
ensemble, else the steadiest across folds.

Options: traces (K), diagnosis (on/off), memory (on/off), share_every (rounds), max_steps,
recipe (plan overrides applied to every draft, e.g. a smaller run).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from ascent.agents.core import AgentContext, Journal, Node
from ascent.agents.memory import Memory
from ascent.agents.search import SearchAgent, robust_choice, scores
from ascent.drivers.models import (
    DiagnoseRequest,
    Diagnosis,
    Hypothesis,
    ProposeRequest,
    TaskBrief,
)
from ascent.errors import DriverError
from ascent.tasks.skills import Skills

MOMENTUM_WEIGHT = 0.5


class Gome(SearchAgent):
    name = "gome"
    description = (
        "Gradient-style search: diagnosis as gradient, success memory as momentum, parallel traces."
    )

    def run(self, ctx: AgentContext) -> None:
        traces = int(self.options.get("traces", 2))
        use_diagnosis = bool(self.options.get("diagnosis", True))
        use_memory = bool(self.options.get("memory", True))
        share_every = int(self.options.get("share_every", 2))
        max_steps = self.options.get("max_steps")
        journal = ctx.load()
        memory = Memory.model_validate(journal.state.get("memory", {}))
        best: dict[int, int] = {int(k): v for k, v in journal.state.get("best", {}).items()}
        round_ = int(journal.state.get("round", 0))

        if not journal.nodes:
            drafts = [
                journal.add(trace=t, action="draft", solution=self._draft_solution(ctx, journal, t))
                for t in range(traces)
            ]
            self._run_all(ctx, drafts)
            for node in drafts:
                ctx.step(
                    "draft",
                    trace=node.trace,
                    node=node.id,
                    summary=node.solution.summary,
                    **scores(node),
                )
                if node.ok:
                    best[node.trace] = node.id
            for node in sorted(
                (n for n in drafts if n.ok),
                key=lambda n: n.outcome.valid_score,
                reverse=ctx.higher_is_better,
            )[:1]:
                self.maybe_submit(ctx, journal, node)
            self._save(ctx, journal, memory, best, round_)

        steps = sum(1 for n in journal.nodes if n.action != "draft")
        while not ctx.should_stop(reserve=self._reserve(journal, traces)) and (
            max_steps is None or steps < max_steps
        ):
            planned: list[Node] = []
            for trace in range(traces):
                if trace not in best:  # a trace whose draft failed starts over
                    node = journal.add(
                        trace=trace,
                        action="draft",
                        solution=self._draft_solution(ctx, journal, trace + traces * (round_ + 1)),
                    )
                    planned.append(node)
                    continue
                node = self._plan_step(
                    ctx,
                    journal,
                    memory,
                    journal.get(best[trace]),
                    round_,
                    use_diagnosis,
                    use_memory,
                )
                if node is not None:
                    planned.append(node)
            if not planned:
                break
            self._run_all(ctx, planned)
            for node in planned:  # in trace order: the same trajectory whatever the timing
                steps += 1
                self._judge(ctx, journal, memory, best, node, round_, use_memory)
            round_ += 1
            if round_ % share_every == 0:
                memory.share(round_)
                ctx.step("share_memory", round=round_, successes=len(memory.successes))
            self._save(ctx, journal, memory, best, round_)

        self._merge(ctx, journal, best)
        self._save(ctx, journal, memory, best, round_)
        self.finalize(ctx, journal)

    # -- one step --------------------------------------------------------------------------------
    def _plan_step(
        self,
        ctx: AgentContext,
        journal: Journal,
        memory: Memory,
        parent: Node,
        round_: int,
        use_diagnosis: bool,
        use_memory: bool,
    ) -> Node | None:
        diagnosis: Diagnosis | None = None
        assert parent.outcome is not None
        if use_diagnosis:
            try:
                diagnosis = ctx.driver.diagnose(
                    DiagnoseRequest(
                        brief=ctx.brief,
                        solution=parent.solution,
                        outcome=parent.outcome,
                        history=[_history(n) for n in journal.nodes if n.trace == parent.trace][
                            -8:
                        ],
                    )
                )
            except DriverError as exc:
                ctx.step("driver_error", call="diagnose", error=str(exc))
        request = ProposeRequest(
            brief=ctx.brief,
            solution=parent.solution,
            outcome=parent.outcome,
            diagnosis=diagnosis,
            successes=memory.summary(parent.trace) if use_memory else [],
            failures=memory.failed(parent.trace) if use_memory else [],
        )
        try:
            proposals = ctx.driver.propose(request)
            if use_memory:
                proposals = self._new_proposals(ctx, journal, memory, parent, request, proposals)
        except DriverError as exc:
            ctx.step("driver_error", call="propose", error=str(exc))
            return None
        choice = self._choose(proposals, memory, parent.trace, round_, use_memory)
        ctx.step(
            "diagnose",
            trace=parent.trace,
            node=parent.id,
            diagnosis=diagnosis.model_dump() if diagnosis else None,
            hypotheses=[h.change for h in proposals],
            chosen=choice.change,
        )
        if choice.edit.get("ensemble"):
            others = [journal.get(i) for i in self._bests(journal, ctx, exclude=parent.id)]
            solution = ctx.skills.ensemble(
                [parent.solution, *[n.solution for n in others]], ctx.brief
            )
            if solution is None:
                memory.record_failure(parent.trace, choice.change)
                return None
            return journal.add(
                trace=parent.trace,
                parent=parent.id,
                action="improve",
                solution=solution,
                hypothesis=choice,
                diagnosis=diagnosis,
                depth=parent.depth + 1,
            )
        try:
            from ascent.drivers.models import ImplementRequest

            solution = ctx.driver.implement(
                ImplementRequest(brief=ctx.brief, solution=parent.solution, hypothesis=choice)
            )
        except DriverError as exc:
            ctx.step("driver_error", call="implement", change=choice.change, error=str(exc))
            memory.record_failure(parent.trace, choice.change)
            return None
        return journal.add(
            trace=parent.trace,
            parent=parent.id,
            action="improve",
            solution=solution,
            hypothesis=choice,
            diagnosis=diagnosis,
            depth=parent.depth + 1,
        )

    def _new_proposals(
        self,
        ctx: AgentContext,
        journal: Journal,
        memory: Memory,
        parent: Node,
        request: ProposeRequest,
        proposals: list[Hypothesis],
    ) -> list[Hypothesis]:
        """The proposals that lead to a plan not run yet. When every one leads back to a known
        plan (the diagnosis' direction is used up), they count as tried and the driver is asked
        once more, so the step goes elsewhere rather than paying again for a known result; if
        that answer is all known plans too, the first answer stands."""
        untried = self._untried(ctx.skills, ctx.brief, journal, parent, proposals)
        if untried or not proposals:
            return untried or proposals
        for hypothesis in proposals:
            memory.record_failure(parent.trace, hypothesis.change)
        ctx.step(
            "already_tried",
            trace=parent.trace,
            node=parent.id,
            changes=[h.change for h in proposals],
        )
        again = ctx.driver.propose(
            request.model_copy(update={"failures": memory.failed(parent.trace)})
        )
        return self._untried(ctx.skills, ctx.brief, journal, parent, again) or proposals

    @staticmethod
    def _untried(
        skills: Skills,
        brief: TaskBrief,
        journal: Journal,
        parent: Node,
        proposals: list[Hypothesis],
    ) -> list[Hypothesis]:
        """The proposals whose edited plan no node has run yet: the journal remembers every
        plan tried, so a change that leads back to one (another trace's draft, an edit undone)
        is not paid for twice. Changes whose plan cannot be worked out here are kept."""
        tried = {_plan_key(n.solution.plan) for n in journal.nodes if n.outcome is not None}
        untried = []
        for hypothesis in proposals:
            if hypothesis.edit.get("ensemble") or not hypothesis.edit or not parent.solution.plan:
                untried.append(hypothesis)
                continue
            try:
                edited = skills.apply(parent.solution, hypothesis.edit, brief)
            except ValueError:
                untried.append(hypothesis)
                continue
            if _plan_key(edited.plan) not in tried:
                untried.append(hypothesis)
        return untried

    @staticmethod
    def _choose(
        proposals: list[Hypothesis], memory: Memory, trace: int, round_: int, use_memory: bool
    ) -> Hypothesis:
        def score(h: Hypothesis) -> float:
            value = h.expected_gain * h.confidence
            if use_memory:
                value += (
                    MOMENTUM_WEIGHT
                    * abs(h.expected_gain or 1e-6)
                    * memory.momentum(h.kind, trace, round_)
                )
            return value

        return max(proposals, key=score)  # ties: the driver's order

    def _judge(
        self,
        ctx: AgentContext,
        journal: Journal,
        memory: Memory,
        best: dict[int, int],
        node: Node,
        round_: int,
        use_memory: bool,
    ) -> None:
        if node.action == "draft":
            ctx.step(
                "draft",
                trace=node.trace,
                node=node.id,
                summary=node.solution.summary,
                **scores(node),
            )
            if node.ok:
                best[node.trace] = node.id
                self.maybe_submit(ctx, journal, node)
            return
        parent = journal.get(node.parent)  # type: ignore[arg-type]
        hypothesis = node.hypothesis
        assert hypothesis is not None and parent.outcome is not None
        gain = ctx.gain(node.outcome.valid_score if node.ok else None, parent.outcome.valid_score)
        accepted = node.ok and gain > 0
        if accepted:
            best[node.trace] = node.id
            memory.record_success(hypothesis.kind, hypothesis.change, gain, node.trace, round_)
            self.maybe_submit(ctx, journal, node)
        elif use_memory:
            memory.record_failure(node.trace, hypothesis.change)
        ctx.step(
            "feedback",
            trace=node.trace,
            node=node.id,
            parent=parent.id,
            change=hypothesis.change,
            accepted=accepted,
            gain=gain,
            **scores(node),
            reason="validation improved"
            if accepted
            else ("the run failed" if not node.ok else "validation did not improve"),
        )

    def _merge(self, ctx: AgentContext, journal: Journal, best: dict[int, int]) -> None:
        """Ensemble the traces' bests (plus the best of another kind of model when they are
        all one kind: averaging similar models cancels little), and submit the ensemble when
        it is as good as the best member within that member's standard error."""
        ids = sorted(set(best.values()))
        if len(ids) < 2 or ctx.should_stop(reserve=5):
            return
        ids += self._other_kind(ctx.skills, journal, ids, ctx.higher_is_better)
        members = [journal.get(i) for i in ids]
        solution = ctx.skills.ensemble([n.solution for n in members], ctx.brief)
        if solution is None:
            return
        top = max(
            members,
            key=lambda n: n.outcome.valid_score if ctx.higher_is_better else -n.outcome.valid_score,
        )
        node = journal.add(
            trace=top.trace, parent=top.id, action="merge", solution=solution, depth=top.depth + 1
        )
        self.run_node(ctx, node)
        improved = node.ok and ctx.better(node.outcome.valid_score, top.outcome.valid_score)
        close = node.ok and robust_choice([top, node], ctx.higher_is_better) is node
        ctx.step(
            "merge", node=node.id, members=ids, improved=improved, as_good=close, **scores(node)
        )
        if close:
            self.maybe_submit(ctx, journal, node, reserve=0, robust=True)

    @staticmethod
    def _other_kind(
        skills: Skills, journal: Journal, ids: list[int], higher_is_better: bool
    ) -> list[int]:
        """The best single model of another kind, if the models `ids` are all one kind (say
        boosted trees: hist_gb and LightGBM err alike, and their average cancels little)."""
        kinds = {skills.model_kind(journal.get(i).solution) for i in ids}
        if len(kinds) != 1 or None in kinds:
            return []
        others = [
            n for n in journal.nodes if n.ok and skills.model_kind(n.solution) not in (*kinds, None)
        ]
        if not others:
            return []
        sign = 1.0 if higher_is_better else -1.0
        return [max(others, key=lambda n: sign * n.outcome.valid_score).id]  # type: ignore[union-attr,operator]

    # -- helpers -------------------------------------------------------------------------------
    @staticmethod
    def _reserve(journal: Journal, traces: int) -> float:
        """Time kept back for the final merge: about three runs, from what runs took so far."""
        seconds = sorted(n.outcome.seconds for n in journal.nodes if n.ok)
        typical = seconds[len(seconds) // 2] if seconds else 10.0
        return 5.0 + (3 * typical if traces > 1 else 0.0)

    def _draft_solution(self, ctx: AgentContext, journal: Journal, index: int):
        from ascent.drivers.models import DraftRequest

        avoid = [n.solution.summary for n in journal.nodes if n.action == "draft"]
        try:
            solution = ctx.driver.draft(DraftRequest(brief=ctx.brief, index=index, avoid=avoid))
        except DriverError as exc:
            ctx.step("driver_error", call="draft", error=str(exc))
            solution = ctx.skills.draft(ctx.brief, index, ctx.seed)
        return self.with_recipe(ctx, solution)

    def _run_all(self, ctx: AgentContext, nodes: list[Node]) -> None:
        if len(nodes) == 1:
            self.run_node(ctx, nodes[0])
            return
        with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
            list(pool.map(lambda n: self.run_node(ctx, n), nodes))

    def _bests(self, journal: Journal, ctx: AgentContext, exclude: int) -> list[int]:
        good = [
            n
            for n in journal.nodes
            if n.ok and n.id != exclude and not n.solution.plan.get("members")
        ]
        good.sort(key=lambda n: n.outcome.valid_score, reverse=ctx.higher_is_better)
        seen, out = set(), []
        for n in good:
            if n.solution.summary not in seen:
                seen.add(n.solution.summary)
                out.append(n.id)
        return out[:2]

    @staticmethod
    def _save(
        ctx: AgentContext, journal: Journal, memory: Memory, best: dict[int, int], round_: int
    ) -> None:
        journal.state.update({"memory": memory.model_dump(), "best": best, "round": round_})
        ctx.save(journal)


def _plan_key(plan: dict) -> str:
    """A plan's identity for "tried before": its seed aside, a plan is the same idea."""
    return json.dumps({k: v for k, v in plan.items() if k != "seed"}, sort_keys=True, default=str)


def _history(node: Node) -> dict:
    return {
        "node": node.id,
        "action": node.action,
        "change": node.hypothesis.change if node.hypothesis else None,
        "valid_score": node.outcome.valid_score if node.outcome else None,
        "ok": node.ok,
    }
