"""DeepSearchQA is graded by playing the submitted model on the held-out questions
(`ascent.tasks.rl.envs.grading.EnvGrader`); `score` is the reward of one finished episode."""


def score(prediction: str, example: dict) -> float:
    return 1.0 if example.get("success") else 0.0
