"""Fixture agent: iterates on train.py for penguin-species, making typical mistakes on the way.

1. a typo in the data path (a traceback), 2. labels instead of probabilities (invalid),
3. gradient descent with a step size far too large (the loss diverges; not submitted),
4. class priors, 5. logistic regression, 6. 1-nearest neighbour (worse), 7. the logistic
regression file again (a duplicate), 8. a path outside the workspace and a forged token
(refused), 9. gradient boosting averaged with logistic regression, chosen as final.
"""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

WS = Path(os.environ["WORKSPACE"])

HEADER = """import numpy as np
import pandas as pd

train = pd.read_csv("public/{train}")
test = pd.read_csv("public/test.csv")
classes = ["Adelie", "Chinstrap", "Gentoo"]
numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
x = train[numeric].fillna(train[numeric].median())
xt = test[numeric].fillna(train[numeric].median())
"""

VERSIONS = {
    "typo": HEADER.format(train="train.cvs") + "print('never reached')\n",
    "labels": HEADER.format(train="train.csv")
    + """out = pd.DataFrame({"id": test["id"], "species": "Adelie"})
out.to_csv("output/labels.csv", index=False)
""",
    "gd": HEADER.format(train="train.csv")
    + """y = np.eye(3)[train["species"].map({c: i for i, c in enumerate(classes)}).to_numpy()]
w = np.zeros((x.shape[1], 3))
lr = 5.0
for epoch in range(1, 7):
    z = x.to_numpy() @ w
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.mean(np.sum(y * np.log(p), axis=1))
    print(f"epoch {epoch} loss={loss:.4f}", flush=True)
    w -= lr * x.to_numpy().T @ (p - y)
""",
    "priors": HEADER.format(train="train.csv")
    + """prior = train["species"].value_counts(normalize=True).reindex(classes)
out = pd.DataFrame({"id": test["id"]})
for c in classes:
    out[c] = prior[c]
out.to_csv("output/priors.csv", index=False)
""",
    "logistic": HEADER.format(train="train.csv")
    + """from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
model.fit(x, train["species"])
out = pd.DataFrame(model.predict_proba(xt), columns=model.classes_)
out.insert(0, "id", test["id"])
out.to_csv("output/logistic.csv", index=False)
""",
    "knn": HEADER.format(train="train.csv")
    + """from sklearn.neighbors import KNeighborsClassifier

model = KNeighborsClassifier(n_neighbors=1).fit(x, train["species"])
proba = np.clip(model.predict_proba(xt), 0.02, 0.98)
out = pd.DataFrame(proba / proba.sum(axis=1, keepdims=True), columns=model.classes_)
out.insert(0, "id", test["id"])
out.to_csv("output/knn.csv", index=False)
""",
    "blend": HEADER.format(train="train.csv")
    + """from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

linear = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(x, train["species"])
boost = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05).fit(x, train["species"])
proba = 0.7 * linear.predict_proba(xt) + 0.3 * boost.predict_proba(xt)
out = pd.DataFrame(proba, columns=linear.classes_)
out.insert(0, "id", test["id"])
out.to_csv("output/blend.csv", index=False)
""",
}


def train(version: str) -> int:
    (WS / "train.py").write_text(VERSIONS[version])
    code = subprocess.run([sys.executable, "train.py"], cwd=WS, check=False).returncode
    print(f"[{version}] train.py exited with {code}", flush=True)
    time.sleep(1.2)  # lets a periodic code snapshot see this version
    return code


def submit(path: str, *flags: str) -> None:
    subprocess.run(
        [str(WS / "submit"), path, *flags], cwd=WS, check=False, stdout=subprocess.DEVNULL
    )
    print(f"submitted {path} {' '.join(flags)}".strip(), flush=True)


def forged_status() -> None:
    request = urllib.request.Request(os.environ["GRADING_SERVER_URL"] + "/status")
    request.add_header("Authorization", "Bearer not-the-token")
    try:
        urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as exc:
        print(f"status with a forged token: HTTP {exc.code}", flush=True)


train("typo")
if train("labels") == 0:
    submit("output/labels.csv")
train("gd")
for version in ("priors", "logistic", "knn"):
    if train(version) == 0:
        submit(f"output/{version}.csv")
submit("output/logistic.csv")
submit("/etc/hostname")
forged_status()
if train("blend") == 0:
    submit("output/blend.csv", "--final")
print("done", flush=True)
