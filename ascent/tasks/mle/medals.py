"""Medal thresholds from a leaderboard, by Kaggle's progression rules as MLE-bench applies them.

| teams      | gold                    | silver        | bronze        |
|------------|-------------------------|---------------|---------------|
| 1-99       | top 10%                 | top 20%       | top 40%       |
| 100-249    | top 10 places           | top 20%       | top 40%       |
| 250-999    | top 10 + 0.2% of teams  | top 50 places | top 100 places|
| 1000+      | top 10 + 0.2% of teams  | top 5%        | top 10%       |

A threshold is the score at that place (places counted from 1, percentages rounded down, at
least place 1). A score equal to a threshold earns the medal, so teams tied with the last medal
place share it. "Above median" is strict. The direction is declared by the task, never guessed
from the order of the leaderboard file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel

from ascent.errors import TaskSpecError

Medal = Literal["gold", "silver", "bronze"]
SCORE_DECIMALS = 5


class Thresholds(BaseModel):
    n_teams: int
    higher_is_better: bool
    gold: float
    silver: float
    bronze: float
    median: float


class MedalReport(Thresholds):
    score: float | None
    medal: Medal | None
    gold_medal: bool
    silver_medal: bool
    bronze_medal: bool
    any_medal: bool
    above_median: bool


def medal_places(n_teams: int) -> tuple[int, int, int]:
    """Places (1-based) whose scores are the gold, silver and bronze thresholds."""
    if n_teams < 1:
        raise ValueError("a leaderboard needs at least one team")
    if n_teams < 100:
        return max(1, int(n_teams * 0.1)), max(1, int(n_teams * 0.2)), max(1, int(n_teams * 0.4))
    if n_teams < 250:
        return 10, max(1, int(n_teams * 0.2)), max(1, int(n_teams * 0.4))
    if n_teams < 1000:
        return 10 + int(n_teams * 0.002), 50, 100
    return 10 + int(n_teams * 0.002), max(1, int(n_teams * 0.05)), max(1, int(n_teams * 0.1))


def thresholds(scores: Sequence[float], higher_is_better: bool) -> Thresholds:
    values = np.asarray([s for s in scores if s is not None and np.isfinite(s)], dtype=float)
    if values.size == 0:
        raise ValueError("a leaderboard needs at least one finite score")
    ranked = np.sort(values)[::-1] if higher_is_better else np.sort(values)
    gold, silver, bronze = (float(ranked[p - 1]) for p in medal_places(len(ranked)))
    return Thresholds(
        n_teams=len(ranked),
        higher_is_better=higher_is_better,
        gold=gold,
        silver=silver,
        bronze=bronze,
        median=float(np.median(ranked)),
    )


def rank(score: float | None, limits: Thresholds) -> MedalReport:
    """Where a score lands. None (no valid submission) earns nothing."""

    def reaches(threshold: float) -> bool:
        if score is None:
            return False
        s = round(score, SCORE_DECIMALS)
        t = round(threshold, SCORE_DECIMALS)
        return s >= t if limits.higher_is_better else s <= t

    medal: Medal | None = None
    for name, threshold in (
        ("gold", limits.gold),
        ("silver", limits.silver),
        ("bronze", limits.bronze),
    ):
        if reaches(threshold):
            medal = name  # type: ignore[assignment]
            break
    above = False
    if score is not None:
        s, m = round(score, SCORE_DECIMALS), round(limits.median, SCORE_DECIMALS)
        above = s > m if limits.higher_is_better else s < m
    return MedalReport(
        **limits.model_dump(),
        score=score,
        medal=medal,
        gold_medal=medal == "gold",
        silver_medal=medal == "silver",
        bronze_medal=medal == "bronze",
        any_medal=medal is not None,
        above_median=above,
    )


def load_leaderboard_scores(path: Path) -> list[float]:
    """Scores of a leaderboard CSV with a `score` column (ours or MLE-bench's)."""
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise TaskSpecError(f"cannot read leaderboard {path}: {exc}") from exc
    if "score" not in frame.columns:
        raise TaskSpecError(f"leaderboard {path} has no 'score' column")
    scores = pd.to_numeric(frame["score"], errors="coerce").dropna()
    if scores.empty:
        raise TaskSpecError(f"leaderboard {path} has no scores")
    return [float(s) for s in scores]
