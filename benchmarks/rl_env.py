"""Rollout throughput on the household environment: the same episodes played by the same model,
batched (one `generate` per turn for every live episode) and one episode at a time. Prints
episodes a minute and environment steps a second of each, and their ratio (target >= 3x).

    python benchmarks/rl_env.py [--model tiny-random-llama|smollm2-135m-instruct]
                                [--episodes 10] [--batch 10] [--rounds 2]

Uses $ASCENT_HOME (prepares the household task there once, ~1 minute). The two passes alternate
for `--rounds` rounds and their times are summed, so that a machine whose load changes during the
run weighs on both alike. With SmolLM2 a run takes many minutes on 2 CPU cores: the unbatched pass
dominates.
"""

from __future__ import annotations

import argparse
import time

from ascent.config import get_paths
from ascent.tasks.ft.models import ensure_base_model
from ascent.tasks.prepare import prepare_task
from ascent.tasks.registry import Registry
from ascent.tasks.rl.envs import open_environment
from ascent.tasks.rl.envs.rollout import ModelPolicy, one_at_a_time, rollout, success_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny-random-llama")
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    paths = get_paths().ensure()
    prepared = prepare_task(Registry(plugins=False).get("household"), paths)
    env = open_environment(prepared.private)
    seeds = env.config.train_seeds[: args.episodes]
    folder = ensure_base_model(args.model, paths)
    model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    tokenizer.padding_side = "left"

    runs: dict[str, list] = {"batched": [0.0, 0, 0, []], "one-at-a-time": [0.0, 0, 0, []]}
    for _ in range(args.rounds):
        for name, run in runs.items():
            policy = ModelPolicy(model, tokenizer, env.config.max_new_tokens)
            started = time.perf_counter()
            if name == "batched":
                trajectories = rollout(env, seeds, policy, batch_size=args.batch, split="train")
            else:
                trajectories = one_at_a_time(env, seeds, policy)
            run[0] += time.perf_counter() - started
            run[1] += sum(t.n_steps for t in trajectories)
            run[2] += policy.calls
            run[3] = trajectories
    for name, (seconds, steps, calls, trajectories) in runs.items():
        episodes = len(seeds) * args.rounds
        print(
            f"{name:>14}: {episodes} episodes, {steps} steps, {calls} generate calls, "
            f"{seconds:.1f} s = {episodes / seconds * 60:.1f} episodes/min, "
            f"{steps / seconds:.2f} steps/s, success {success_rate(trajectories):.2f}"
        )
    batched, single = runs["batched"], runs["one-at-a-time"]
    same = sum(
        [s.action for s in a.steps] == [s.action for s in b.steps]
        for a, b in zip(batched[3], single[3], strict=True)
    )
    ratio = (single[0] / single[1]) / (batched[0] / batched[1])
    print(f"model {args.model}, batch {args.batch}, torch threads {torch.get_num_threads()}")
    print(f"episodes with identical actions in both passes: {same}/{len(seeds)}")
    print(f"throughput ratio (steps/s batched / one-at-a-time): {ratio:.2f}x (target >= 3x)")
    print("PASS" if ratio >= 3 else "MISS")


if __name__ == "__main__":
    main()
