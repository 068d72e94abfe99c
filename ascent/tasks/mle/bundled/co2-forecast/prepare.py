"""Mauna Loa CO2 (statsmodels `co2`): forecast the monthly mean of the next 48 months."""

from pathlib import Path

import numpy as np
import statsmodels.api as sm

from ascent.tasks.mle.kit import constant_submission, random_ids, write_competition

HORIZON = 48


def prepare(raw: Path, public: Path, private: Path, seed: int = 23) -> None:
    weekly = sm.datasets.co2.load_pandas().data["co2"]
    monthly = weekly.resample("MS").mean().interpolate().round(2)
    frame = monthly.rename("co2").rename_axis("date").reset_index()
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
    rng = np.random.default_rng(seed)
    frame.insert(0, "id", random_ids(len(frame), rng, prefix="m"))
    train = frame.iloc[:-HORIZON].sample(frac=1.0, random_state=seed).reset_index(drop=True)
    test = frame.iloc[-HORIZON:].sample(frac=1.0, random_state=seed).reset_index(drop=True)
    sample = constant_submission(test["id"], "id", {"co2": round(float(train["co2"].mean()), 2)})
    write_competition(public, private, train, test, "id", ["co2"], sample)
