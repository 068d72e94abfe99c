"""Rules for fine-tuning tasks, at two levels.

Execution: a failed run's error is classified (OOM, CONFIG, DATA, DIVERGED, TIMEOUT, ENV) and
mapped to its usual fix. Behaviour: with a run that worked, look first at the data (sources that
disagree with the others are likely mislabeled; sources whose prompts cannot be put in the
evaluation format teach the wrong format), then at the answers' format, then at fitting (loss
still high: train more; loss near zero but dev poor: less, or more data), then capacity.
"""

from __future__ import annotations

import re
from typing import Any

from ascent.drivers.models import Diagnosis, Hypothesis, Outcome, TaskBrief
from ascent.tasks.ft.skills.plan import FtPlan

DIRECTIONS = (
    "data",
    "format",
    "underfit",
    "overfit",
    "capacity",
    "oom",
    "config",
    "diverged",
    "timeout",
    "tune",
)

# A source whose answers agree with the other sources' less often than this looks mislabeled.
AGREEMENT_MIN = 0.9
# A source whose prompts' dev-vocabulary share is below this fraction of the closest source's is
# about something else, even when its prompts are phrased like the evaluation's.
OFF_DOMAIN_SHARE = 0.6

ERRORS: list[tuple[str, str, str]] = [
    # (kind, pattern, direction)
    ("OOM", r"out of memory|MemoryError|Killed|oom", "oom"),
    ("DIVERGED", r"DIVERGED|\bnan\b|\binf\b", "diverged"),
    ("TIMEOUT", r"timed out", "timeout"),
    (
        "DATA",
        r"num_samples=0|sequences? (are|is) longer|exceeds? (the )?max(imum)? length",
        "length",
    ),
    ("DATA", r"DATA:|KeyError|JSONDecodeError|ParserError|no training examples|empty", "data"),
    (
        "ENV",
        r"ModuleNotFoundError|ImportError|No such file or directory: .*(base_model|BASE_MODEL)",
        "env",
    ),
    ("CONFIG", r"TypeError|ValueError|unexpected keyword|AttributeError|config", "config"),
]


def classify_error(error: str | None) -> tuple[str, str]:
    """(kind, direction) of an execution error."""
    text = error or ""
    for kind, pattern, direction in ERRORS:
        if re.search(pattern, text, re.I):
            return kind, direction
    return "UNKNOWN", "config"


def suspicious_sources(brief: TaskBrief, plan: FtPlan) -> list[tuple[str, str]]:
    """Sources still in use that look mislabeled or off-format, with the reason."""
    used = plan.sources or sorted(brief.profile.get("sources", {}))
    profile = brief.profile.get("sources", {})
    found: list[tuple[str, str]] = []
    disagreeing = []
    similarities = [s["dev_similarity"] for s in profile.values() if s.get("dev_similarity")]
    closest = max(similarities, default=None)
    for name, stats in profile.items():
        if name not in used:
            continue
        agreement, shared = stats.get("agreement"), stats.get("shared_prompts", 0)
        similarity = stats.get("dev_similarity")
        # Correct labels of the same question agree; one disagreement in ten is already a lot.
        if agreement is not None and shared >= 5 and agreement < AGREEMENT_MIN:
            disagreeing.append(name)
            found.append(
                (name, f"its answers agree with other sources only {agreement:.0%} of the time")
            )
        elif stats.get("well_formed", 1.0) < 0.6:
            found.append((name, f"only {stats['well_formed']:.0%} of its answers are well-formed"))
        elif stats.get("eval_format", 0) < 0.05 and not stats.get("normalisable") and not agreement:
            found.append(
                (name, "its prompts neither follow the evaluation format nor can be rewritten")
            )
        elif closest and similarity is not None and similarity < OFF_DOMAIN_SHARE * closest:
            found.append(
                (
                    name,
                    f"its prompts share only {similarity:.0%} of their words with dev: off-domain",
                )
            )
    # Two sources that disagree with each other look equally bad by agreement alone: with no
    # majority to settle it, trust the structured export over text typed in by hand.
    structured = [n for n in disagreeing if profile[n].get("normalisable")]
    if structured and len(structured) < len(disagreeing):
        found = [(n, why) for n, why in found if n not in structured]
    return found


def draft_edit(brief: TaskBrief, plan: FtPlan) -> dict[str, Any]:
    """Look at the data before the first training: leave out the sources its profile already
    shows to be mislabeled or off-format, as long as some source is left to train on."""
    bad = {name for name, _ in suspicious_sources(brief, plan)}
    used = plan.sources or sorted(brief.profile.get("sources", {}))
    if not bad or not [n for n in used if n not in bad]:
        return {}
    return {"drop_sources": sorted(bad)}


def diagnose(brief: TaskBrief, plan: FtPlan | None, outcome: Outcome) -> Diagnosis:
    extra = outcome.extra
    evidence = [f"dev score {outcome.valid_score}", f"{outcome.seconds:.0f} s"]

    def found(
        problem: str, direction: str, gain: float, confidence: float, *more: str
    ) -> Diagnosis:
        return Diagnosis(
            problem=problem,
            evidence=[*evidence, *more],
            direction=direction,
            expected_gain=gain,
            confidence=confidence,
        )

    if not outcome.ok:
        kind, direction = classify_error(outcome.error)
        if kind == "TIMEOUT" and outcome.quick:
            # The micro-batch is the same few examples whatever the recipe: shrinking the recipe
            # cannot make it faster. The machine (model loading) was slow: try it again as it is.
            return found("the micro-batch check ran out of time (TIMEOUT)", "env", 0.0, 0.6)
        return found(f"the run failed ({kind})", direction, 0.05, 0.8, (outcome.error or "")[-300:])
    if plan is not None:
        bad = suspicious_sources(brief, plan)
        if bad:
            return found(
                "some training data looks wrong",
                "data",
                0.05,
                0.7,
                *[f"source {n}: {why}" for n, why in bad],
            )
    well_formed = extra.get("well_formed", 1.0)
    loss = extra.get("train_loss")
    score = outcome.valid_score or 0.0
    if well_formed < 0.8:
        return found(
            "answers are often not in the expected format",
            "format",
            0.1,
            0.7,
            f"{well_formed:.0%} well-formed answers on dev",
        )
    if loss is not None and loss > 0.3:
        return found(
            "the model has not fitted the data yet",
            "underfit",
            0.08,
            0.6,
            f"final training loss {loss:.3f}",
        )
    if loss is not None and loss < 0.02 and score < 0.7:
        return found(
            "training loss is near zero but dev answers are poor: overfitting",
            "overfit",
            0.05,
            0.5,
            f"final training loss {loss:.4f}",
        )
    if plan is not None and plan.method == "lora" and score < 0.9:
        return found("more capacity may help", "capacity", 0.04, 0.4)
    return found("no weakness stands out; tune the learning rate", "tune", 0.02, 0.3)


def wrong_diagnosis(correct: Diagnosis, pick: int) -> Diagnosis:
    opposite = {
        "underfit": "overfit",
        "overfit": "underfit",
        "data": "capacity",
        "format": "overfit",
        "capacity": "overfit",
        "tune": "data",
    }
    direction = opposite.get(correct.direction, DIRECTIONS[pick % len(DIRECTIONS)])
    return Diagnosis(
        problem=f"looks like {direction}",
        evidence=correct.evidence[:1],
        direction=direction,
        expected_gain=correct.expected_gain or 0.01,
        confidence=0.7,
    )


def changes(direction: str, brief: TaskBrief, plan: FtPlan) -> list[Hypothesis]:
    out: list[tuple[str, dict[str, Any], float, str]] = []
    if direction == "data":
        bad = [name for name, _ in suspicious_sources(brief, plan)]
        if bad:
            out.append(
                (
                    f"data:drop:{'+'.join(sorted(bad))}",
                    {"drop_sources": bad},
                    1.0,
                    "drop sources that look mislabeled or off-format",
                )
            )
        out += [
            (
                "data:filter",
                {"filter_pattern": True, "dedupe": True, "normalize_prompts": True},
                0.5,
                "keep well-formed, unique, evaluation-format examples",
            )
        ]
    elif direction == "format":
        out += [
            (
                "format:normalize",
                {"normalize_prompts": True, "filter_pattern": True},
                1.0,
                "train on prompts exactly as they will be asked",
            ),
            ("format:epochs", {"scale": {"epochs": 2}}, 0.8, "more passes teach the format"),
        ]
    elif direction == "underfit":
        out += [
            ("fit:epochs", {"scale": {"epochs": 2}}, 1.0, "train longer"),
            ("fit:lr", {"scale": {"learning_rate": 2}}, 0.7, "larger steps"),
        ]
    elif direction == "overfit":
        out += [
            ("fit:fewer-epochs", {"scale": {"epochs": 0.5}}, 1.0, "stop earlier"),
            ("fit:more-data", {"scale": {"max_examples": 2}}, 0.7, "more examples"),
            ("fit:dropout", {"lora_dropout": 0.15}, 0.4, "more dropout"),
        ]
    elif direction == "capacity":
        out += [
            (
                "capacity:rank",
                {"lora_r": plan.lora_r * 2, "lora_alpha": plan.lora_alpha * 2},
                1.0,
                "a larger LoRA rank",
            ),
            ("capacity:full", {"method": "full", "learning_rate": 5e-5}, 0.6, "full fine-tuning"),
        ]
    elif direction == "oom":
        out += [
            (
                "exec:oom",
                {"scale": {"batch_size": 0.5, "max_length": 0.5}},
                1.0,
                "halve the batch and the sequence length",
            )
        ]
        if not plan.gradient_checkpointing:
            # Recomputing activations in the backward pass saves most of their memory at about a
            # third more compute: the first thing to try, since it keeps the recipe as it is.
            out.insert(
                0,
                (
                    "exec:oom-checkpointing",
                    {"gradient_checkpointing": True},
                    1.2,
                    "recompute activations instead of keeping them (gradient checkpointing)",
                ),
            )
    elif direction == "diverged":
        out += [
            ("exec:diverged", {"scale": {"learning_rate": 0.3}}, 1.0, "a smaller learning rate")
        ]
    elif direction == "length":
        out += [
            (
                "exec:length",
                {"scale": {"max_length": 4}},
                1.0,
                "examples are longer than max_length: raise it",
            )
        ]
    elif direction == "timeout":
        out += [
            ("exec:timeout", {"scale": {"epochs": 0.5, "max_examples": 0.5}}, 1.0, "train less")
        ]
    elif direction in ("config", "env"):
        out += [("exec:reset", {}, 0.5, "go back to the known-good recipe")]
    else:  # tune
        out += [
            ("tune:lr-up", {"scale": {"learning_rate": 1.5}}, 0.6, "slightly larger steps"),
            ("tune:lr-down", {"scale": {"learning_rate": 0.6}}, 0.5, "slightly smaller steps"),
        ]
    return [
        Hypothesis(
            change=c,
            kind=c.split(":")[0],
            rationale=why,
            edit=edit,
            expected_gain=w,
            confidence=0.5,
        )
        for c, edit, w, why in out
    ]


def undirected(brief: TaskBrief, plan: FtPlan) -> list[Hypothesis]:
    pool: list[Hypothesis] = []
    for direction in ("data", "format", "underfit", "overfit", "capacity", "tune"):
        pool += changes(direction, brief, plan)
    return pool
