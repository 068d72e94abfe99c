"""Reference solution: impute, one-hot, logistic regression."""

import argparse
from pathlib import Path

import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

parser = argparse.ArgumentParser()
parser.add_argument("--data", type=Path, required=True)
parser.add_argument("--out", type=Path, required=True)
args = parser.parse_args()

train = pd.read_csv(args.data / "train.csv")
test = pd.read_csv(args.data / "test.csv")
numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "year"]
categorical = ["island", "sex"]
model = make_pipeline(
    make_column_transformer(
        (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        (
            make_pipeline(
                SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
            ),
            categorical,
        ),
    ),
    LogisticRegression(C=3.0, max_iter=2000),
)
model.fit(train[numeric + categorical], train["species"])
proba = model.predict_proba(test[numeric + categorical])
submission = pd.DataFrame(proba, columns=model.classes_)
submission.insert(0, "id", test["id"])
submission.to_csv(args.out, index=False)
