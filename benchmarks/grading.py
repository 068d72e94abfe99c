"""Grading speed: the full grading path vs. pandas merely reading the same submission file.

For 10k- and 100k-row submissions of a synthetic binary AUC competition, prints the median time
over several repeats (the three measures called in turn within each repeat) of: pandas reading the file; a `Grader` grading it (the grading server's
case: answers loaded once); and a one-shot `grade` call (the CLI's case: answers loaded too).
Target: grading by a `Grader` < 3x the read.

    python benchmarks/grading.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ascent.config import Paths
from ascent.tasks.grading import Grader, grade
from ascent.tasks.prepare import prepare_task
from ascent.tasks.registry import Registry

PREPARE = """
import numpy as np
import pandas as pd


def prepare(raw, public, private, seed=0):
    rng = np.random.default_rng(seed)
    n = {n}
    ids = [f"r{{i}}" for i in rng.permutation(n) + 100000]
    x = rng.normal(size=n)
    y = (x + rng.normal(size=n) > 0).astype(int)
    pd.DataFrame({{"id": ids[:100], "x": x[:100], "y": y[:100]}}).to_csv(public / "train.csv", index=False)
    pd.DataFrame({{"id": ids, "x": x}}).to_csv(public / "test.csv", index=False)
    pd.DataFrame({{"id": ids, "y": 0.5}}).to_csv(public / "sample_submission.csv", index=False)
    pd.DataFrame({{"id": ids, "y": y}}).to_csv(private / "answers.csv", index=False)
"""

GRADE = """
from ascent.tasks.mle.metrics import align, auc


def grade(submission, answers):
    rows = align(submission, answers, "id")
    return auc(rows["y_true"], rows["y"])
"""


def make_task(root: Path, n: int) -> Path:
    folder = root / f"bench-{n}"
    folder.mkdir()
    spec = {
        "id": f"bench-{n}",
        "family": "mle",
        "title": "grading benchmark",
        "metric": {"name": "auc", "higher_is_better": True},
        "mle": {
            "task_type": "binary",
            "id_column": "id",
            "target_columns": ["y"],
            "submission_columns": ["y"],
            "prediction": "probability",
            "classes": ["0", "1"],
        },
    }
    (folder / "task.yaml").write_text(yaml.safe_dump(spec))
    (folder / "description.md").write_text("benchmark\n")
    (folder / "prepare.py").write_text(textwrap.dedent(PREPARE.format(n=n)))
    (folder / "grade.py").write_text(textwrap.dedent(GRADE))
    return folder


def interleaved_medians(fns: list, repeats: int) -> list[float]:
    """Median seconds of each function, called in turn within every repeat, so that a change
    of the machine's load during the run weighs on all of them alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, spent in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print(
        f"{'rows':>8} {'read (ms)':>10} {'Grader (ms)':>12} {'ratio':>7} "
        f"{'one-shot (ms)':>14} {'ratio':>7}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = Paths(root / "home").ensure()
        for n in (10_000, 100_000):
            task = Registry([make_task(root, n)], bundled=False, plugins=False).get(f"bench-{n}")
            prepared = prepare_task(task, paths)
            submission = root / f"sub-{n}.csv"
            ids = pd.read_csv(prepared.public / "sample_submission.csv")["id"]
            rng = np.random.default_rng(1)
            pd.DataFrame({"id": ids, "y": rng.random(len(ids))}).to_csv(submission, index=False)
            result = grade(prepared, submission, "private")
            assert result.valid, result.error
            grader = Grader(prepared)
            read, warm, cold = interleaved_medians(
                [
                    lambda: pd.read_csv(submission),  # noqa: B023
                    lambda: grader.grade(submission, "private"),  # noqa: B023
                    lambda: grade(prepared, submission, "private"),  # noqa: B023
                ],
                args.repeats,
            )
            print(
                f"{n:>8} {read * 1e3:>10.1f} {warm * 1e3:>12.1f} {warm / read:>6.2f}x "
                f"{cold * 1e3:>14.1f} {cold / read:>6.2f}x"
            )


if __name__ == "__main__":
    main()
