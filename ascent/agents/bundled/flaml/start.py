"""FLAML AutoML as a baseline agent: one AutoML search per target within the time left, then a
single submission, chosen as final. Reads only INSTRUCTIONS.md and the public data."""

import json
import os
import re
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from flaml import AutoML

WORKSPACE = Path(os.environ.get("WORKSPACE", "."))
CLASSIFICATION = {"binary", "multiclass", "image", "ordinal"}
METRICS = {
    "auc": "roc_auc",
    "log_loss": "log_loss",
    "accuracy": "accuracy",
    "macro_f1": "macro_f1",
    "rmse": "rmse",
    "mae": "mae",
    "mcrmse": "rmse",
    "mcmae": "mae",
    "qwk": "accuracy",
}
MARGIN = 25.0  # seconds kept for predicting, writing and submitting


def facts() -> dict:
    text = (WORKSPACE / "INSTRUCTIONS.md").read_text()
    return yaml.safe_load(re.search(r"```yaml\n(.*?)```", text, re.S).group(1))


def features(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in frame.columns:
        text = frame[column].dropna().astype(str).head(20)
        if (
            len(text)
            and not pd.api.types.is_numeric_dtype(frame[column])
            and text.str.match(r"^\d{4}-\d{2}-\d{2}").all()
        ):
            dates = pd.to_datetime(frame[column], errors="coerce")
            out[column + "_year"], out[column + "_month"] = dates.dt.year, dates.dt.month
            out[column + "_t"] = (dates - pd.Timestamp("1900-01-01")).dt.days
            out = out.drop(columns=column)
        elif not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].astype("category")
    return out


def submit(path: Path) -> dict:
    request = urllib.request.Request(
        os.environ["GRADING_SERVER_URL"] + "/submit",
        method="POST",
        data=json.dumps({"path": str(path), "final": True}).encode(),
        headers={
            "Authorization": "Bearer " + os.environ["ASCENT_TOKEN"],
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def main() -> None:
    f = facts()
    data = Path(f["data_path"])
    train = pd.read_csv(data / "train.csv", dtype={f["id_column"]: str})
    test = pd.read_csv(data / "test.csv", dtype={f["id_column"]: str})
    x = features(train.drop(columns=[f["id_column"], *f["target_columns"]]))
    x_test = features(test.drop(columns=[f["id_column"]]))
    for column in x.columns:
        if str(x[column].dtype) == "category":
            categories = pd.api.types.union_categoricals(
                [x[column], x_test[column].astype("category")]
            ).categories
            x[column] = pd.Categorical(x[column], categories=categories)
            x_test[column] = pd.Categorical(x_test[column], categories=categories)
    deadline = float(os.environ.get("ASCENT_DEADLINE", time.time() + 600))
    classification = f["task_type"] in CLASSIFICATION
    targets = f["target_columns"]
    submission = pd.DataFrame({f["id_column"]: test[f["id_column"]]})
    columns = f["submission_columns"]
    per_target = max(10.0, (deadline - time.time() - MARGIN) / len(targets))
    for j, target in enumerate(targets):
        automl = AutoML()
        y = train[target].astype(str) if classification else train[target].astype(float)
        automl.fit(
            x,
            y,
            task="classification" if classification else "regression",
            metric=METRICS.get(f["metric"], "auto"),
            time_budget=per_target,
            n_jobs=int(os.environ.get("OMP_NUM_THREADS", "2")),
            verbose=0,
            seed=0,
        )
        print(f"{target}: best {automl.best_estimator} loss {automl.best_loss:.5f}", flush=True)
        if classification and f["prediction"] == "probability":
            proba = pd.DataFrame(
                automl.predict_proba(x_test), columns=[str(c) for c in automl.classes_]
            )
            if len(columns) == 1:
                submission[columns[0]] = proba[str(f["classes"][-1])].to_numpy()
            else:
                for column in columns:
                    submission[column] = proba[column].to_numpy() if column in proba else 0.0
        else:
            prediction = automl.predict(x_test)
            submission[columns[j]] = prediction if classification else np.asarray(prediction, float)
    out = Path(f["output_dir"]) / "submission.csv"
    submission.to_csv(out, index=False)
    answer = submit(out)
    print(
        f"submitted: {answer.get('status')} score={answer.get('score')} {answer.get('error') or ''}",
        flush=True,
    )


if __name__ == "__main__":
    main()
