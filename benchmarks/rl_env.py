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

from rlbench import load_for_rollouts, measure_throughput

from ascent.config import get_paths
from ascent.tasks.ft.models import ensure_base_model
from ascent.tasks.prepare import prepare_task
from ascent.tasks.registry import Registry
from ascent.tasks.rl.envs import open_environment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="tiny-random-llama")
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    import torch

    paths = get_paths().ensure()
    prepared = prepare_task(Registry(plugins=False).get("household"), paths)
    env = open_environment(prepared.private)
    seeds = env.config.train_seeds[: args.episodes]
    model, tokenizer = load_for_rollouts(ensure_base_model(args.model, paths))
    measured = measure_throughput(env, seeds, model, tokenizer, args.batch, args.rounds)
    print("\n".join(measured.lines()))
    print(f"model {args.model}, batch {args.batch}, torch threads {torch.get_num_threads()}")
    print(
        f"throughput ratio (steps/s batched / one-at-a-time): {measured.ratio:.2f}x (target >= 3x)"
    )
    print("PASS" if measured.ratio >= 3 else "MISS")


if __name__ == "__main__":
    main()
