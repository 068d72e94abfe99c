"""Household RL benchmark (model: SmolLM2-135M-Instruct): held-out success of the base model,
after an SFT warm-up on expert demonstrations, and after GRPO on online rollouts from the
warm-up; then batched against one-episode-at-a-time rollout throughput.

    python benchmarks/rl.py [--model smollm2-135m-instruct|tiny-random-llama]
                            [--sft-steps 36] [--grpo-steps 12] [--eval-episodes 20] ...

Targets: the final stage at least +40 pp over the base within 30 CPU-minutes of training, and
batched rollouts at least 3x the steps a second of one episode at a time. Prints a table (stage,
held-out success, training and evaluation CPU-seconds) and a PASS or MISS line for each target.

What runs is ascentlab's own route, not a side implementation: the demonstrations are expert
episodes of the household task's *training* seeds played through the environment code (one
`{prompt, action}` row a step, the prompt being the exact text the graded model sees), written
as `public/demonstrations.jsonl`; each training stage is the RL skills' TRL script
(`ascent/tasks/rl/skills/train_template.py`) rendered from a plan (route `sft`, then route `grpo`
with the environment reward shaped by progress, on the SFT model) and run as a subprocess, its
environment being the prepared household task played in-process through
`rlbench.household_client` (the `/env` API's contract). Held-out success is `rollout` on the task's held-out seeds, as `EnvGrader` plays
them. CPU-seconds are the processes' user + system time (both cores count), so they do not
depend on how loaded the machine is.

Uses $ASCENT_HOME (prepares the household task there once, ~1 minute; converts SmolLM2 once).
Run time: with SmolLM2 and the defaults, 39 minutes on 2 idle cores (run it alone: the
throughput passes are timed, and torch processes sharing two cores spin); with
`--model tiny-random-llama` and tiny sizes, 43 minutes under heavy shared load
(docs/rl-envs.md, "Household RL benchmark").
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlbench import ENV_VAR, Throughput, load_for_rollouts, measure_throughput

from ascent.tasks.ft.checks import inspect_model_dir
from ascent.tasks.ft.evaluate import load_model
from ascent.tasks.rl.envs import open_environment
from ascent.tasks.rl.envs.base import Environment
from ascent.tasks.rl.envs.rollout import (
    ModelPolicy,
    Trajectory,
    expert_policy_rollout,
    rollout,
    success_rate,
)
from ascent.tasks.rl.skills import RlPlan, RlSkills

BENCH = Path(__file__).resolve().parent
LIFT_TARGET, CPU_BUDGET, RATIO_TARGET = 0.40, 30 * 60.0, 3.0


@dataclass
class Settings:
    """The recipe and the sizes of one benchmark run."""

    sft_steps: int = 36  # 288 rows: 1.3 epochs of the ~230 expert steps of the 64 training seeds
    sft_lr: float = 1e-4
    sft_method: str = "full"
    batch_size: int = 8
    max_length: int = 640
    grpo_steps: int = 12
    grpo_lr: float = 1e-4  # LoRA
    group: int = 4
    progress_weight: float = 0.5  # GRPO reward shaping by the environment's progress
    lora_r: int = 16
    max_turns: int = 8
    rollout_seeds: int = 8  # training seeds GRPO collects its online rollouts from
    check_seeds: int = 2  # training seeds each script plays after training, as its own check
    eval_episodes: int = 0  # 0: every held-out seed
    throughput_episodes: int = 10
    batch: int = 10
    rounds: int = 1
    threads: int = 1  # the training scripts' (one thread spends the fewest CPU-seconds)
    rollout_threads: int = 2  # held-out evaluation and throughput, in this process
    debug: bool = False  # the training script's micro-batch mode (tests)


@dataclass
class Stage:
    name: str
    model: Path
    success: float
    episodes: int
    train_cpu: float
    eval_cpu: float
    extra: dict[str, Any] = field(default_factory=dict)
    trajectories: list[Trajectory] = field(default_factory=list)


@dataclass
class Report:
    stages: list[Stage]
    throughput: Throughput | None
    demonstrations: int


def note(message: str) -> None:
    """Progress on stderr: a run lasts many minutes."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def expert_rows(env: Environment, seeds: list[int]) -> list[dict[str, str]]:
    """One `{prompt, action}` row per expert step of each training seed: the prompt is the
    observation's own prompt, the format the graded model is evaluated with."""
    rows = []
    for seed in seeds:
        trajectory = expert_policy_rollout(env, seed)
        rows += [{"prompt": s.prompt, "action": s.action} for s in trajectory.steps]
    return rows


def evaluate(env: Environment, seeds: list[int], model_dir: Path, base: Path, batch: int):
    """Held-out success of a model directory (full model or adapter over `base`), played the
    way the grader plays it; (success, trajectories, CPU-seconds)."""
    started = time.process_time()
    info = inspect_model_dir(model_dir, base, max_mb=4096)
    model, tokenizer = load_model(info, base)
    policy = ModelPolicy(model, tokenizer, env.config.max_new_tokens)
    trajectories = rollout(env, seeds, policy, batch_size=batch, split="test")
    return success_rate(trajectories), trajectories, time.process_time() - started


def train(
    workspace: Path, base: Path, plan: RlPlan, private: Path, settings: Settings
) -> tuple[Path, float, dict[str, Any]]:
    """Render `plan` into the RL skills' training script and run it on `base`, as the sandbox
    runs an agent's solution; (model dir, CPU-seconds, the script's result)."""
    skills = RlSkills()
    facts = {"task_id": "household", "family": "rl", "level": 3}
    description = "Reply with one action of at most **16 new tokens**."
    solution = skills.solution(plan, skills.brief(workspace, facts, description))
    script = workspace / f"train-{plan.route}.py"
    script.write_text(solution.code)
    home = workspace / ".home"
    home.mkdir(exist_ok=True)
    out = workspace / "output" / plan.route
    variables = {
        **os.environ,
        "DATA_PATH": str(workspace / "public"),
        "BASE_MODEL": str(base),
        "HOME": str(home),
        "OMP_NUM_THREADS": str(settings.threads),
        "TRL_EXPERIMENTAL_SILENCE": "1",
        "HF_HUB_OFFLINE": "1",
        "ASCENT_RL_ENV": "rlbench:household_client",
        ENV_VAR: str(private),
        "PYTHONPATH": os.pathsep.join([str(BENCH), *filter(None, [os.environ.get("PYTHONPATH")])]),
    }
    before = children_cpu()
    done = subprocess.run(
        skills.command(str(script), str(out), quick=settings.debug),
        capture_output=True,
        text=True,
        env=variables,
        cwd=workspace,
        check=False,
    )
    cpu = children_cpu() - before
    outcome = skills.outcome(done.returncode, done.stdout + done.stderr, 0.0, settings.debug)
    if not outcome.ok:
        tail = (done.stdout + done.stderr)[-3000:]
        raise RuntimeError(f"the {plan.route} stage failed:\n{tail}")
    return out, cpu, outcome.extra


def plans(settings: Settings, train_seeds: list[int]) -> tuple[RlPlan, RlPlan]:
    """The two stages' plans; each script checks itself on the last training seeds and GRPO
    collects rollouts from others spread over the houses (the held-out seeds stay with the
    evaluation)."""
    check = train_seeds[-settings.check_seeds :] if settings.check_seeds else train_seeds[-1:]
    pool = [s for s in train_seeds if s not in check]
    stride = max(1, len(pool) // max(1, settings.rollout_seeds))
    rollout = pool[::stride][: settings.rollout_seeds]
    sft = RlPlan(
        route="sft",
        reward="env",
        method=settings.sft_method,  # type: ignore[arg-type]
        sft_steps=settings.sft_steps,
        sft_learning_rate=settings.sft_lr,
        batch_size=settings.batch_size,
        max_length=settings.max_length,
        max_completion_length=16,
        max_turns=settings.max_turns,
        env_eval_seeds=check,
    )
    grpo = RlPlan(
        route="grpo",
        reward="env",
        method="lora",
        lora_r=settings.lora_r,
        learning_rate=settings.grpo_lr,
        steps=settings.grpo_steps,
        num_generations=settings.group,
        max_completion_length=16,
        max_length=settings.max_length,
        max_turns=settings.max_turns,
        progress_weight=settings.progress_weight,
        env_seeds=rollout,
        env_eval_seeds=check,
    )
    return sft, grpo


def run_benchmark(private: Path, base: Path, work: Path, settings: Settings) -> Report:
    """Base, SFT warm-up and GRPO stages on a prepared household environment, then the
    rollout throughput of the base model."""
    env = open_environment(private)
    held_out = env.seeds("test")
    if settings.eval_episodes:
        held_out = held_out[: settings.eval_episodes]
    train_seeds = env.seeds("train")
    public = work / "public"
    public.mkdir(parents=True, exist_ok=True)
    rows = expert_rows(env, train_seeds)
    (public / "demonstrations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    batch = env.config.eval_batch_size

    note(f"{len(rows)} expert steps; base model on {len(held_out)} held-out episodes")
    stages = []
    rate, trajectories, eval_cpu = evaluate(env, held_out, base, base, batch)
    stages.append(Stage("base", base, rate, len(held_out), 0.0, eval_cpu, {}, trajectories))
    sft_plan, grpo_plan = plans(settings, train_seeds)
    note(f"base {rate:.2f}; SFT warm-up")
    sft_dir, cpu, extra = train(work, base, sft_plan, private, settings)
    note(f"SFT trained ({cpu:.0f} CPU-s); held-out episodes")
    rate, trajectories, eval_cpu = evaluate(env, held_out, sft_dir, base, batch)
    stages.append(Stage("SFT warm-up", sft_dir, rate, len(held_out), cpu, eval_cpu, extra))
    stages[-1].trajectories = trajectories
    note(f"SFT {rate:.2f}; GRPO on online rollouts")
    grpo_dir, cpu, extra = train(work, sft_dir, grpo_plan, private, settings)
    note(f"GRPO trained ({cpu:.0f} CPU-s); held-out episodes")
    rate, trajectories, eval_cpu = evaluate(env, held_out, grpo_dir, sft_dir, batch)
    stages.append(Stage("+ GRPO online", grpo_dir, rate, len(held_out), cpu, eval_cpu, extra))
    stages[-1].trajectories = trajectories

    throughput = None
    if settings.throughput_episodes:
        note(f"GRPO {rate:.2f}; throughput")
        model, tokenizer = load_for_rollouts(base)
        seeds = train_seeds[: settings.throughput_episodes]
        throughput = measure_throughput(
            env, seeds, model, tokenizer, settings.batch, settings.rounds
        )
    for stage in stages:  # for reading what each model did
        name = stage.name.strip("+ ").split()[0].lower()
        lines = [t.model_dump_json() + "\n" for t in stage.trajectories]
        (work / f"held-out-{name}.jsonl").write_text("".join(lines))
    return Report(stages, throughput, len(rows))


def table(report: Report) -> list[str]:
    """The stage table and the PASS / MISS lines of both targets."""
    lines = [
        f"{'stage':<15} {'held-out success':>17} {'train CPU-s':>12} {'total train CPU-s':>18} "
        f"{'eval CPU-s':>11}"
    ]
    total = 0.0
    for stage in report.stages:
        total += stage.train_cpu
        wins = round(stage.success * stage.episodes)
        lines.append(
            f"{stage.name:<15} {f'{stage.success:.2f} ({wins}/{stage.episodes})':>17} "
            f"{stage.train_cpu:>12.0f} {total:>18.0f} {stage.eval_cpu:>11.0f}"
        )
    base, final = report.stages[0], report.stages[-1]
    lift = final.success - base.success
    ok = lift >= LIFT_TARGET and total <= CPU_BUDGET
    lines.append(
        f"lift after GRPO: {lift * 100:+.0f} pp over the base in {total / 60:.1f} CPU-minutes of "
        f"training (target >= +{LIFT_TARGET * 100:.0f} pp within {CPU_BUDGET / 60:.0f}): "
        + ("PASS" if ok else "MISS")
    )
    if report.throughput is not None:
        ratio = report.throughput.ratio
        lines += report.throughput.lines()
        lines.append(
            f"throughput ratio (steps/s batched / one-at-a-time): {ratio:.2f}x "
            f"(target >= {RATIO_TARGET:.0f}x): " + ("PASS" if ratio >= RATIO_TARGET else "MISS")
        )
    return lines


def parse(argv: list[str] | None) -> tuple[argparse.Namespace, Settings]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--work", help="Folder for the workspace (default: a new temporary one).")
    defaults = Settings()
    for name, value in vars(defaults).items():
        if isinstance(value, bool):
            continue
        parser.add_argument("--" + name.replace("_", "-"), type=type(value), default=value)
    args = parser.parse_args(argv)
    settings = Settings(**{k: getattr(args, k) for k in vars(defaults) if hasattr(args, k)})
    return args, settings


def main(argv: list[str] | None = None) -> None:
    import tempfile

    import torch

    from ascent.config import get_paths
    from ascent.tasks.ft.models import ensure_base_model
    from ascent.tasks.prepare import prepare_task
    from ascent.tasks.registry import Registry

    args, settings = parse(argv)
    torch.set_num_threads(settings.rollout_threads)
    started = time.perf_counter()
    paths = get_paths().ensure()
    prepared = prepare_task(Registry(plugins=False).get("household"), paths)
    base = ensure_base_model(args.model, paths)
    work = Path(args.work or tempfile.mkdtemp(prefix="ascent-rl-bench-"))
    report = run_benchmark(prepared.private, base, work, settings)
    print(f"model {args.model}; {report.demonstrations} expert steps from the training seeds")
    print(f"settings: {json.dumps(vars(settings))}")
    for stage in report.stages[1:]:
        shown = {k: v for k, v in stage.extra.items() if not isinstance(v, list | dict)}
        print(f"{stage.name}: {json.dumps(shown)}")
    print("\n".join(table(report)))
    print(f"wall time {time.perf_counter() - started:.0f} s; workspace {work}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
