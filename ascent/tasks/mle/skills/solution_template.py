"""A tabular ML solution, configured by TASK and PLAN below.

    python solution.py [--quick] [--out output/submission.csv]

Reads train.csv and test.csv from $DATA_PATH, estimates its score on the task metric by
cross-validation on train.csv, trains on all of it, writes predictions for test.csv, and prints
one line `ASCENT_RESULT {...}` with the validation score, its spread and the training score.
--quick runs the same code on a small sample with fewer folds and rounds: a fail-fast check.
"""

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn import metrics
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit
from sklearn.multioutput import MultiOutputRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

warnings.filterwarnings("ignore")

TASK = {}  # TASK
PLAN = {}  # PLAN

CLASSIFICATION = {"binary", "multiclass", "image", "ordinal"}
MULTI_OUTPUT_NATIVE = {"random_forest", "extra_trees", "ridge", "knn", "trend_linear"}


def load():
    data = os.environ.get("DATA_PATH", "public")
    ids = {TASK["id_column"]: str}
    return pd.read_csv(f"{data}/train.csv", dtype=ids), pd.read_csv(f"{data}/test.csv", dtype=ids)


def add_features(frame, plan):
    out = frame.drop(columns=[c for c in plan.get("drop_columns", []) if c in frame.columns])
    for column in list(out.columns):
        text = out[column].dropna().astype(str).head(20)
        textual = out[column].dtype.kind in "OSU" or str(out[column].dtype).startswith("str")
        if not (textual and len(text) and text.str.match(r"^\d{4}-\d{2}-\d{2}").all()):
            continue
        dates = pd.to_datetime(out[column], errors="coerce")
        if plan.get("date_features", True):
            out[column + "_year"] = dates.dt.year
            out[column + "_month"] = dates.dt.month
            out[column + "_index"] = (dates - pd.Timestamp("1900-01-01")).dt.days / 365.25
        if plan.get("trend_features"):
            out[column + "_month_name"] = dates.dt.month.astype(str)
        out = out.drop(columns=column)
    return out


def preprocessor(x, plan):
    numeric = [c for c in x.columns if pd.api.types.is_numeric_dtype(x[c])]
    categorical = [
        c for c in x.columns if c not in numeric and x[c].nunique() <= plan.get("one_hot_max", 30)
    ]
    steps = [
        SimpleImputer(
            strategy=plan.get("impute", "median"),
            add_indicator=plan.get("missing_indicators", False),
        )
    ]
    if plan.get("scale", True):
        steps.append(StandardScaler())
    return ColumnTransformer(
        [
            ("num", make_pipeline(*steps), numeric),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                categorical,
            ),
        ]
    )


def make_model(plan, classification, quick):
    p = dict(plan.get("params", {}))
    seed = plan.get("seed", 0)
    name = plan["model"]
    if quick:
        for key in ("n_estimators", "max_iter"):
            if key in p:
                p[key] = min(p[key], 40)
    weight = plan.get("class_weight")
    if name == "hist_gb":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        cls = HistGradientBoostingClassifier if classification else HistGradientBoostingRegressor
        extra = {"class_weight": weight} if classification and weight else {}
        return cls(random_state=seed, **extra, **p)
    if name == "lightgbm":
        import lightgbm

        cls = lightgbm.LGBMClassifier if classification else lightgbm.LGBMRegressor
        extra = {"class_weight": weight} if classification and weight else {}
        return cls(random_state=seed, verbose=-1, n_jobs=1, **extra, **p)
    if name in ("random_forest", "extra_trees"):
        from sklearn import ensemble

        prefix = "RandomForest" if name == "random_forest" else "ExtraTrees"
        cls = getattr(ensemble, prefix + ("Classifier" if classification else "Regressor"))
        extra = {"class_weight": weight} if classification and weight else {}
        return cls(random_state=seed, n_jobs=1, **extra, **p)
    if name == "logistic":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(max_iter=3000, class_weight=weight, **p)
    if name in ("ridge", "trend_linear"):
        from sklearn.linear_model import Ridge, RidgeClassifier

        return RidgeClassifier(**p) if classification else Ridge(**p)
    if name == "knn":
        from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

        return (KNeighborsClassifier if classification else KNeighborsRegressor)(**p)
    if name == "svm":
        from sklearn.svm import SVC, SVR

        return SVC(probability=True, random_state=seed, **p) if classification else SVR(**p)
    if name == "naive_bayes":
        from sklearn.naive_bayes import GaussianNB

        return GaussianNB(**p)
    raise ValueError(f"unknown model {name}")


def metric(y_true, pred):
    name, classes = TASK["metric"], TASK.get("classes") or []
    if name == "auc":
        return metrics.roc_auc_score(y_true == classes[-1], pred)
    if name == "log_loss":
        if pred.ndim == 1:
            return metrics.log_loss(y_true == classes[-1], np.clip(pred, 1e-15, 1 - 1e-15))
        return metrics.log_loss(y_true, np.clip(pred, 1e-15, 1), labels=classes)
    if name == "accuracy":
        return metrics.accuracy_score(y_true, pred)
    if name == "macro_f1":
        return metrics.f1_score(y_true, pred, average="macro")
    if name == "qwk":
        return metrics.cohen_kappa_score(y_true, pred, labels=classes, weights="quadratic")
    errors = np.asarray(y_true, float) - np.asarray(pred, float)
    if errors.ndim == 1:
        errors = errors[:, None]
    if name in ("mae", "mcmae"):
        return float(np.mean(np.abs(errors)))
    return float(np.mean(np.sqrt(np.mean(errors**2, axis=0))))


def fit_predict(plan, x_train, y_train, x_test, quick):
    """Predictions in the task's format: P(last class), class probabilities, labels or numbers."""
    members = plan.get("members") or [plan]
    outputs = [_fit_one(member, x_train, y_train, x_test, quick) for member in members]
    if TASK["prediction"] == "label" and TASK["task_type"] in CLASSIFICATION:
        if len(outputs) == 1:
            return outputs[0]
        stacked = pd.DataFrame(np.column_stack(outputs))
        return stacked.mode(axis=1)[0].to_numpy()
    return np.mean(outputs, axis=0)


def _fit_one(plan, x_train, y_train, x_test, quick):
    classification = TASK["task_type"] in CLASSIFICATION and not plan.get("ordinal_as_regression")
    classes = [str(c) for c in TASK.get("classes") or []]
    xt, xs = add_features(x_train, plan), add_features(x_test, plan)
    model = make_model(plan, classification, quick)
    y = y_train
    if TASK["task_type"] == "ordinal" and not classification:
        y = pd.Series(y_train).map({c: i for i, c in enumerate(classes)}).to_numpy(float)
    elif not classification and plan.get("log_target"):
        y = np.log1p(np.asarray(y_train, float))
    multi = not classification and np.ndim(y) == 2 and plan["model"] not in MULTI_OUTPUT_NATIVE
    pipeline = make_pipeline(
        preprocessor(xt, plan), MultiOutputRegressor(model) if multi else model
    )
    pipeline.fit(xt, y)
    if classification and TASK["prediction"] == "probability":
        proba = pipeline.predict_proba(xs)
        order = [
            list(pipeline.classes_).index(c) if c in pipeline.classes_ else None for c in classes
        ]
        full = np.column_stack([proba[:, i] if i is not None else np.zeros(len(xs)) for i in order])
        return full[:, -1] if len(TASK["submission_columns"]) == 1 else full
    prediction = pipeline.predict(xs)
    if TASK["task_type"] == "ordinal" and not classification:
        index = np.clip(np.rint(prediction), 0, len(classes) - 1).astype(int)
        return np.array(classes)[index]
    if not classification and plan.get("log_target"):
        prediction = np.expm1(prediction)
    return prediction if classification else np.asarray(prediction, float)


def time_order(frame):
    """A sortable time key: the first date column, else a numeric year/time column."""
    for column in frame.columns:
        text = frame[column].dropna().astype(str).head(20)
        if len(text) and text.str.match(r"^\d{4}-\d{2}-\d{2}").all():
            return pd.to_datetime(frame[column], errors="coerce").to_numpy()
    for column in frame.columns:
        if column.lower() in ("year", "time", "t", "date", "period"):
            return frame[column].to_numpy()
    return np.arange(len(frame))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--out", default=os.path.join(os.environ.get("OUTPUT_DIR", "output"), "submission.csv")
    )
    args = parser.parse_args()
    started = time.time()
    train, test = load()
    targets, id_column = TASK["target_columns"], TASK["id_column"]
    if args.quick:
        train = train.sample(n=min(len(train), 300), random_state=0)
    classification = TASK["task_type"] in CLASSIFICATION
    y = (
        train[targets[0]].astype(str).to_numpy()
        if classification
        else train[targets].to_numpy(float)
    )
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    x = train.drop(columns=[*targets, id_column])
    x_test = test.drop(columns=[id_column])
    folds = 2 if args.quick else PLAN.get("folds", 5)
    if TASK["task_type"] == "forecast":
        # Validate on the most recent stretches, training on what came before: like the test.
        order = np.argsort(time_order(x), kind="stable")
        x, y = x.iloc[order].reset_index(drop=True), y[order]
        splitter = TimeSeriesSplit(folds).split(x)
    elif classification and min(pd.Series(y).value_counts()) >= folds:
        splitter = StratifiedKFold(folds, shuffle=True, random_state=0).split(x, y)
    else:
        splitter = KFold(folds, shuffle=True, random_state=0).split(x)
    valid, trained = [], []
    for fit_rows, val_rows in splitter:
        x_fit, y_fit = x.iloc[fit_rows], y[fit_rows]
        valid.append(
            metric(y[val_rows], fit_predict(PLAN, x_fit, y_fit, x.iloc[val_rows], args.quick))
        )
        if len(trained) < 1:
            trained.append(metric(y_fit, fit_predict(PLAN, x_fit, y_fit, x_fit, args.quick)))
    prediction = fit_predict(PLAN, x, y, x_test, args.quick)
    submission = pd.DataFrame({id_column: test[id_column]})
    columns = TASK["submission_columns"]
    values = np.asarray(prediction)
    if values.ndim == 1:
        values = values[:, None]
    for j, column in enumerate(columns):
        submission[column] = values[:, j]
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    submission.to_csv(args.out, index=False)
    result = {
        "valid_score": float(np.mean(valid)),
        "valid_std": float(np.std(valid)),
        "train_score": float(np.mean(trained)),
        "seconds": round(time.time() - started, 3),
        "rows": len(train),
        "submission": args.out,
        "constant_prediction": bool(np.all(values == values[0])),
    }
    print("ASCENT_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
