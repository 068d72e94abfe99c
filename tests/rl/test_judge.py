"""The offline pairwise judge: symmetric, length-controlled, deterministic."""

from __future__ import annotations

import random

import pytest

from ascent.tasks.rl import judge

INSTRUCTION = "Give some tips for sleeping better. Use exactly 3 bullet points."
REFERENCE = (
    "- Go to bed at the same time every day.\n"
    "- Keep your bedroom dark and cool.\n"
    "- Avoid coffee in the late afternoon."
)
OTHER = (
    "Give some advice on cooking rice. Answer in at most 20 words.",
    "Rinse the rice in cold water. Use one part rice to two parts water.",
)
# A judge that, like raw annotator preferences, likes long answers.
LENGTH_BIASED = judge.Judge(
    {
        **{k: 0.0 for k in judge.FEATURES},
        "constraints": 2.0,
        "topic": 2.0,
        "precision": 1.5,
        "repetition": -1.0,
        judge.LENGTH: 3.0,
    }
)


def _pairs(seed: int, n: int) -> list[judge.Preference]:
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        instruction, reference = rng.choice([(INSTRUCTION, REFERENCE), OTHER])
        how = rng.choice(judge.DEGRADATIONS)
        worse = judge.degrade(reference, how, rng, instruction)
        label = judge.annotate(0.0, 4.0 - judge.PENALTY[how], worse, reference, rng)
        pairs.append(judge.Preference(instruction, worse, reference, label))
    return pairs


def test_a_reply_identical_to_the_reference_scores_one_half():
    trained = judge.train(_pairs(1, 120))
    for j in (trained, LENGTH_BIASED):
        assert j.verdict(INSTRUCTION, REFERENCE, REFERENCE) == 0.5
        assert j.verdict(INSTRUCTION, REFERENCE, REFERENCE, length_controlled=False) == 0.5


def test_length_padding_gains_nothing_under_length_control():
    padded = REFERENCE + "\n" + " ".join(judge.FILLER[:4])
    raw = LENGTH_BIASED.verdict(INSTRUCTION, padded, REFERENCE, length_controlled=False)
    controlled = LENGTH_BIASED.verdict(INSTRUCTION, padded, REFERENCE)
    assert raw > 0.5 >= controlled
    # The same judge without its length term gives the same length-controlled verdicts.
    no_length = judge.Judge({**LENGTH_BIASED.weights, judge.LENGTH: 0.0})
    assert no_length.verdict(INSTRUCTION, padded, REFERENCE) == controlled


def test_a_trained_judge_prefers_the_reference_to_degraded_replies():
    trained = judge.train(_pairs(3, 200))
    assert trained.train_accuracy > 0.7
    assert trained.verdict(INSTRUCTION, "", REFERENCE) < 0.2
    assert trained.verdict(INSTRUCTION, "zx qq 7#a bbq", REFERENCE) < 0.2
    assert trained.verdict(INSTRUCTION, INSTRUCTION, REFERENCE) < 0.5


def test_training_and_saving_are_deterministic(tmp_path):
    pairs = _pairs(4, 150)
    first = judge.train(pairs).save(tmp_path / "a.json")
    second = judge.train(list(pairs)).save(tmp_path / "b.json")
    assert first.read_bytes() == second.read_bytes()
    (tmp_path / "dir").mkdir()
    saved = judge.train(pairs).save(tmp_path / "dir")
    assert saved.name == judge.JUDGE_FILE
    loaded = judge.load(tmp_path / "dir")
    assert loaded.weights == judge.train(pairs).weights
    assert loaded.verdict(*OTHER, OTHER[1]) == 0.5


def test_a_file_that_is_not_a_judge_is_refused(tmp_path):
    path = tmp_path / "judge.json"
    path.write_text('{"format": "other", "weights": {}}')
    with pytest.raises(ValueError, match="not an ascent-judge"):
        judge.load(path)
    with pytest.raises(ValueError, match="no preference pairs"):
        judge.train([])


def test_constraints_are_read_from_the_instruction():
    names = {
        c.name
        for c in judge.constraints(
            "Explain tides. Use exactly 3 bullet points. Answer in at most 40 words. "
            'Include the word "moon". Do not use any commas.'
        )
    }
    assert names == {"bullets=3", "max_words=40", "include=moon", "no_commas"}
    features = judge.text_features(INSTRUCTION, REFERENCE, REFERENCE)
    assert features["constraints"] == 1.0 and features["reference"] == 1.0
