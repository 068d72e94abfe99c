"""Reference solution: RBF support vector machine on the 64 pixel intensities."""

import argparse
from pathlib import Path

import pandas as pd
from sklearn.svm import SVC

parser = argparse.ArgumentParser()
parser.add_argument("--data", type=Path, required=True)
parser.add_argument("--out", type=Path, required=True)
args = parser.parse_args()

train = pd.read_csv(args.data / "train.csv")
test = pd.read_csv(args.data / "test.csv")
pixels = [f"pixel{k}" for k in range(64)]
model = SVC(C=10.0, gamma="scale")
model.fit(train[pixels] / 16.0, train["label"])
submission = pd.DataFrame({"id": test["id"], "label": model.predict(test[pixels] / 16.0)})
submission.to_csv(args.out, index=False)
