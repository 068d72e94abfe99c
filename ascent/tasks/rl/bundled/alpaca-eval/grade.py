"""Score of one reply to an AlpacaEval instruction: the judge's length-controlled verdict, the
probability in [0, 1] that the reply is a better answer than the reference output. The mean
over the held-out instructions is the length-controlled win rate (a reply identical to the
reference scores 0.5).

The judge is the offline learned scorer of `ascent.tasks.rl.judge`, trained when the task was
prepared and saved as `private/judge.json`; `scorer(private_dir)` grades with that file, and
`score` with the same weights carried by each held-out row (`example["judge"]`).
"""

from collections.abc import Callable
from pathlib import Path

from ascent.tasks.rl import judge

_JUDGES: dict[tuple[tuple[str, float], ...], judge.Judge] = {}


def _judge(weights: dict) -> judge.Judge:
    key = tuple(sorted((str(k), float(v)) for k, v in weights.items()))
    if key not in _JUDGES:
        _JUDGES[key] = judge.Judge(dict(key))
    return _JUDGES[key]


def score(prediction: str, example: dict) -> float:
    reply = prediction if isinstance(prediction, str) else ""
    verdict = _judge(example["judge"]).verdict(
        str(example["prompt"]), reply, str(example["reference"]), length_controlled=True
    )
    return min(1.0, max(0.0, verdict))


def scorer(private_dir: Path) -> Callable[[str, dict], float]:
    return judge.scorer(Path(private_dir), length_controlled=True)
