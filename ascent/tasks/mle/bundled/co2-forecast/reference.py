"""Reference solution: quadratic trend + month-of-year effects, by least squares on all history."""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

parser = argparse.ArgumentParser()
parser.add_argument("--data", type=Path, required=True)
parser.add_argument("--out", type=Path, required=True)
args = parser.parse_args()

train = pd.read_csv(args.data / "train.csv", parse_dates=["date"])
test = pd.read_csv(args.data / "test.csv", parse_dates=["date"])
origin = train["date"].max()


def design(dates: pd.Series) -> np.ndarray:
    """Decades since the last training month (and its square), plus one column per month."""
    t = ((dates.dt.year - origin.year) * 12 + dates.dt.month - origin.month).to_numpy() / 120.0
    months = np.eye(12)[dates.dt.month.to_numpy() - 1]
    return np.column_stack([t, t**2, months])


coef, *_ = np.linalg.lstsq(design(train["date"]), train["co2"].to_numpy(), rcond=None)
submission = pd.DataFrame({"id": test["id"], "co2": design(test["date"]) @ coef})
submission.to_csv(args.out, index=False)
