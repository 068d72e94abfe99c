"""The example agent: everything it knows comes from INSTRUCTIONS.md and the public data.

It parses the machine-readable task facts, trains two models (gradient boosting and a linear
model), submits both through the grading API and chooses the better one as final.
"""

import json
import os
import re
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.multioutput import MultiOutputRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

WORKSPACE = Path(os.environ.get("WORKSPACE", "."))
CLASSIFICATION = {"binary", "multiclass", "image", "ordinal"}


def read_facts() -> dict:
    text = (WORKSPACE / "INSTRUCTIONS.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", text, re.S)
    if block is None:
        raise SystemExit("INSTRUCTIONS.md has no task facts block")
    return yaml.safe_load(block.group(1))


def features(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in frame.columns:
        if (
            frame[column].dtype == object
            and frame[column].astype(str).str.match(r"^\d{4}-\d{2}-\d{2}").all()
        ):
            dates = pd.to_datetime(frame[column], errors="coerce")
            out[column + "_year"], out[column + "_month"] = dates.dt.year, dates.dt.month
            out[column + "_t"] = (dates - pd.Timestamp("1900-01-01")).dt.days
            out = out.drop(columns=column)
    return out


def preprocessor(x: pd.DataFrame) -> ColumnTransformer:
    numeric = [c for c in x.columns if pd.api.types.is_numeric_dtype(x[c])]
    categorical = [c for c in x.columns if c not in numeric and x[c].nunique() <= 50]
    return ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
                ),
                categorical,
            ),
        ]
    )


def models(facts: dict) -> dict:
    if facts["task_type"] in CLASSIFICATION:
        return {
            "boosting": HistGradientBoostingClassifier(max_iter=200, learning_rate=0.08),
            "linear": LogisticRegression(max_iter=3000, C=1.0),
        }
    boosting = HistGradientBoostingRegressor(max_iter=300, learning_rate=0.05)
    if len(facts["target_columns"]) > 1:
        boosting = MultiOutputRegressor(boosting)
    return {"boosting": boosting, "linear": Ridge(alpha=1.0)}


def predict(facts: dict, model, train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    id_column, targets = facts["id_column"], facts["target_columns"]
    x_train = features(train.drop(columns=[id_column, *targets]))
    x_test = features(test.drop(columns=[id_column]))
    pipeline = make_pipeline(preprocessor(x_train), model)
    submission = pd.DataFrame({id_column: test[id_column]})
    columns = facts["submission_columns"]
    if facts["task_type"] in CLASSIFICATION:
        y = train[targets[0]].astype(str)
        pipeline.fit(x_train, y)
        if facts["prediction"] == "probability":
            proba = pd.DataFrame(
                pipeline.predict_proba(x_test), columns=[str(c) for c in pipeline.classes_]
            )
            if len(columns) == 1:
                submission[columns[0]] = proba[str(facts["classes"][-1])].to_numpy()
            else:
                for column in columns:
                    submission[column] = proba[column].to_numpy() if column in proba else 0.0
        else:
            submission[columns[0]] = pipeline.predict(x_test)
        return submission
    y = train[targets].to_numpy(dtype=float)
    pipeline.fit(x_train, y if len(targets) > 1 else y[:, 0])
    predictions = np.asarray(pipeline.predict(x_test)).reshape(len(test), -1)
    for j, column in enumerate(columns):
        submission[column] = predictions[:, j]
    return submission


def call(route: str, payload: dict) -> dict:
    request = urllib.request.Request(
        os.environ["GRADING_SERVER_URL"] + route,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={
            "Authorization": "Bearer " + os.environ["ASCENT_TOKEN"],
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read() or b"{}")


def main() -> None:
    facts = read_facts()
    print(f"task {facts['task_id']}: {facts['task_type']}, metric {facts['metric']}", flush=True)
    data = Path(facts["data_path"])
    train = pd.read_csv(data / "train.csv", dtype={facts["id_column"]: str})
    test = pd.read_csv(data / "test.csv", dtype={facts["id_column"]: str})
    deadline = float(os.environ.get("ASCENT_DEADLINE", time.time() + 3600))
    output = Path(facts["output_dir"])
    results = []
    for name, model in models(facts).items():
        if time.time() > deadline - 10:
            print("stopping: close to the deadline", flush=True)
            break
        path = output / f"submission_{name}.csv"
        predict(facts, model, train, test).to_csv(path, index=False)
        answer = call("/submit", {"path": str(path)})
        print(
            f"{name}: {answer.get('status')} score={answer.get('score')} {answer.get('error') or ''}",
            flush=True,
        )
        if answer.get("valid") and answer.get("score") is not None:
            results.append((answer["score"], answer["submission_id"]))
    if results:
        best = max(results) if facts["higher_is_better"] else min(results)
        call("/select", {"submission_id": best[1]})
        print(f"final: {best[1]} (public score {best[0]:.5f})", flush=True)


if __name__ == "__main__":
    main()
