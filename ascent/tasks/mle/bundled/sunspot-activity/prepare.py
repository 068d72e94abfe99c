"""Yearly sunspot numbers (statsmodels `sunspots`, 1700-2008): forecast the last 30 years."""

from pathlib import Path

import numpy as np
import statsmodels.api as sm

from ascent.tasks.mle.kit import constant_submission, random_ids, write_competition

HORIZON = 30
LAGS = range(30, 41)


def prepare(raw: Path, public: Path, private: Path, seed: int = 41) -> None:
    data = sm.datasets.sunspots.load_pandas().data
    frame = data.rename(columns={"YEAR": "year", "SUNACTIVITY": "sunspots"})
    frame["year"] = frame["year"].astype(int)
    series = frame.set_index("year")["sunspots"]
    # Lags of at least HORIZON years always fall in the training period, even for the last test year.
    for lag in LAGS:
        frame.insert(
            len(frame.columns) - 1, f"lag{lag}", series.reindex(frame["year"] - lag).to_numpy()
        )
    rng = np.random.default_rng(seed)
    frame.insert(0, "id", random_ids(len(frame), rng, prefix="y"))
    history, future = frame.iloc[:-HORIZON], frame.iloc[-HORIZON:]
    train = history.iloc[rng.permutation(len(history))].reset_index(drop=True)
    test = future.iloc[rng.permutation(len(future))].reset_index(drop=True)
    sample = constant_submission(
        test["id"], "id", {"sunspots": round(float(train["sunspots"].mean()), 1)}
    )
    write_competition(public, private, train, test, "id", ["sunspots"], sample)
