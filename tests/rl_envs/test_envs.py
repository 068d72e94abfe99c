"""Environment rules on real TextWorld games and the generated shop: experts win, seeds replay
identically, malformed actions, step limits, and the batched rollout runner."""

from __future__ import annotations

import itertools

import pytest

from ascent.tasks.rl.envs.base import EnvError, parse_action
from ascent.tasks.rl.envs.rollout import expert_policy_rollout, one_at_a_time, rollout
from ascent.tasks.rl.envs.shopping import satisfaction
from tests.rl_envs.conftest import HOUSE_SEEDS, SHOP_TEST, SHOP_TRAIN


def play(env, seed, actions):
    episode = env.episode()
    first = episode.reset(seed)
    results = [episode.step(a) for a in actions]
    episode.close()
    return first, results


def test_household_expert_solves_every_goal(household):
    goals = {household.goal(s).text for s in HOUSE_SEEDS}
    assert len(goals) == len(HOUSE_SEEDS)  # a house's goals differ from each other
    for seed in HOUSE_SEEDS:
        trajectory = expert_policy_rollout(household, seed)
        assert trajectory.success and trajectory.done_reason == "success", trajectory
        assert trajectory.reward == 1.0 and trajectory.steps[-1].reward == 1.0
        assert all(s.reward == 0.0 for s in trajectory.steps[:-1])


def test_household_progress_rises_with_the_expert_and_falls_on_a_detour(household):
    for seed in HOUSE_SEEDS:
        episode = household.episode()
        progress = [episode.reset(seed).progress]
        progress += [episode.step(a).observation.progress for a in episode.expert()]
        episode.close()
        assert progress[0] == 0.0 and progress[-1] == 1.0, progress
        assert all(a < b for a, b in itertools.pairwise(progress)), progress
    seed = HOUSE_SEEDS[0]
    thing = household.goal(seed).object
    episode = household.episode()
    episode.reset(seed)
    plan = episode.expert()
    taken = next(i for i, a in enumerate(plan) if a.startswith("take "))
    held = [episode.step(a) for a in plan[: taken + 1]][-1].observation.progress
    dropped = episode.step(f"drop {thing}")
    assert "drop" in dropped.observation.text.lower() and dropped.observation.progress < held
    assert episode.step("").observation.progress == dropped.observation.progress  # malformed
    assert episode.step(f"take {thing}").observation.progress == held
    finish = [episode.step(a) for a in plan[taken + 1 :]]
    assert finish[-1].success and finish[-1].observation.progress == 1.0
    episode.close()


def test_household_rooms_are_described_from_the_game_state(household):
    seed = HOUSE_SEEDS[0]
    layout = household.layout(household.goal(seed).game)
    episode = household.episode()
    text = episode.reset(seed).text
    assert text.startswith(f"You are in the {layout.start}. You see ")
    for rec in (r for r in layout.receptacles if r.room == layout.start):
        closed = rec.kind == "container" and rec.closed
        assert (f"a {rec.name} (closed)" in text) == closed, text
        things = [o for o, at in layout.objects.items() if at == rec.name]
        assert all((f"a {o}" in text) != closed for o in things), text  # hidden when closed
    side = "east" if layout.rooms.index(layout.start) == 0 else "west"
    assert text.endswith(f"Exits: {side}.")
    other = next(r for r in layout.rooms if r != layout.start)
    moved = episode.step(f"go {side}").observation.text
    assert moved.startswith(f"You are in the {other}.") and "Classic" not in moved
    episode.close()


def test_household_replays_a_seed_identically(household):
    seed = HOUSE_SEEDS[1]
    actions = ["go east", "take mug", "go west", "open fridge", "look"]
    first_a, steps_a = play(household, seed, actions)
    first_b, steps_b = play(household, seed, actions)
    assert first_a == first_b and first_a.goal in first_a.prompt
    assert [s.model_dump() for s in steps_a] == [s.model_dump() for s in steps_b]
    assert first_a.goal != household.episode().reset(HOUSE_SEEDS[2]).goal


def test_household_malformed_actions_change_nothing_and_end_by_rule(household):
    episode = household.episode()
    start = episode.reset(HOUSE_SEEDS[0])
    bad = episode.step("")
    assert bad.error and "empty" in bad.error and bad.observation.text.startswith("Malformed")
    assert not bad.done and bad.observation.step == 1
    assert bad.observation.admissible_actions == start.admissible_actions
    assert (
        episode.step("go\nwest").error
        == "the action spans several lines; answer with a single line"
    )
    assert "over 160" in episode.step("x" * 400).error
    ended = episode.step("\x07")
    assert ended.done and ended.done_reason == "malformed" and not ended.success
    with pytest.raises(EnvError, match="has ended"):
        episode.step("look")
    episode.close()


def test_household_stops_at_the_step_limit(household):
    _, results = play(household, HOUSE_SEEDS[0], ["dance"] * 8)
    assert [r.done for r in results] == [False] * 7 + [True]
    assert results[-1].done_reason == "step_limit" and results[-1].reward == 0.0
    assert "not a verb" in results[0].observation.text  # passed to the game, not malformed


def test_unknown_seed_and_unreset_episode_are_errors(household, shopping):
    with pytest.raises(EnvError, match="no household episode has seed 5"):
        household.episode().reset(5)
    with pytest.raises(EnvError, match="no shopping episode has seed 5"):
        shopping.episode().reset(5)
    with pytest.raises(EnvError, match="never reset"):
        shopping.episode().step("buy")


def test_shopping_expert_buys_the_right_thing(shopping):
    for seed in SHOP_TRAIN + SHOP_TEST:
        trajectory = expert_policy_rollout(shopping, seed)
        assert trajectory.success and trajectory.reward == 1.0, (seed, trajectory.steps)
    assert set(SHOP_TRAIN).isdisjoint(SHOP_TEST)


def test_shopping_rewards_a_partial_match_partly(shopping):
    seed = SHOP_TRAIN[0]
    episode = shopping.episode()
    episode.reset(seed)
    wanted = episode.wanted
    plan = episode.expert()
    without_options = [a for a in plan if not a.startswith("choose")]
    result = [episode.step(a) for a in without_options][-1]
    assert result.done and result.done_reason == "failure" and not result.success
    expected = satisfaction(episode.product, {}, wanted)
    assert result.reward == pytest.approx(expected) and 0 < expected < 1


def test_shopping_refuses_impossible_actions_without_moving(shopping):
    first, results = play(shopping, SHOP_TRAIN[1], ["buy", "click[P000000]", "jump", "search[]"])
    assert all(not r.done and r.reward == 0 for r in results)
    assert results[0].observation.text.startswith("Nothing happens")
    assert results[2].observation.text.startswith("Invalid action")
    assert results[-1].observation.admissible_actions == first.admissible_actions


@pytest.mark.parametrize(
    "reply, action",
    [
        ("  go east\nand then west", "go east"),
        ("> open cabinet.", "open cabinet"),
        ('"buy"', "buy"),
        ("\n\n", ""),
        ("search[red mug]", "search[red mug]"),
    ],
)
def test_parse_action_reads_the_first_line(reply, action):
    assert parse_action(reply) == action


def first_valid(prompts: list[str]) -> list[str]:
    """A deterministic policy: the first valid action listed in each prompt (else `look`)."""
    replies = []
    for prompt in prompts:
        line = next((x for x in prompt.splitlines() if x.startswith("Valid actions: ")), "")
        options = line.removeprefix("Valid actions: ").split(" | ")
        replies.append(options[0] if options[0] else "look")
    return replies


def test_batched_rollout_matches_one_at_a_time_with_fewer_calls(shopping):
    calls = {"batched": 0, "single": 0}

    def counted(kind):
        def policy(prompts):
            calls[kind] += 1
            return first_valid(prompts)

        return policy

    seeds = SHOP_TEST[:10]
    batched = rollout(shopping, seeds, counted("batched"), batch_size=4)
    single = one_at_a_time(shopping, seeds, counted("single"))
    assert [t.model_dump() for t in batched] == [t.model_dump() for t in single]
    assert [t.seed for t in batched] == seeds
    assert calls["single"] == sum(t.n_steps for t in single)
    assert calls["batched"] < calls["single"] / 2
    assert all(t.done_reason in ("success", "failure", "step_limit") for t in batched)
