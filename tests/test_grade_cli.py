"""`ascent grade` on good and bad submissions: one clear line, exit code 2, never a crash."""

import json

import numpy as np
import pandas as pd
import pytest

TASK = "penguin-species"
CLASSES = ["Adelie", "Chinstrap", "Gentoo"]


@pytest.fixture
def sample(prepared):
    return pd.read_csv(prepared(TASK).public / "sample_submission.csv")


@pytest.fixture
def grade_file(cli, shared_paths, tmp_path):
    def run(content, *extra):
        path = tmp_path / "submission.csv"
        if isinstance(content, pd.DataFrame):
            content.to_csv(path, index=False)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return cli("--home", shared_paths.home, "grade", "--task", TASK, path, *extra)

    return run


def _perfect(prepared):
    answers = pd.read_csv(prepared(TASK).private / "answers.csv")
    frame = pd.DataFrame({"id": answers["id"]})
    for c in CLASSES:
        frame[c] = (answers["species"] == c).astype(float)
    return frame


def test_valid_submission_report_as_json(grade_file, prepared):
    result = grade_file(_perfect(prepared), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["valid"] and report["status"] == "ok" and report["split"] == "private"
    assert report["score"] < 1e-6  # perfect probabilities
    medals = report["medals"]
    assert medals["gold_medal"] and medals["any_medal"] and medals["above_median"]
    for key in ("gold", "silver", "bronze", "median", "n_teams"):
        assert key in medals
    assert medals["n_teams"] >= 100


def test_public_split_has_no_medals_and_other_rows(grade_file, prepared):
    public = json.loads(grade_file(_perfect(prepared), "--json", "--split", "public").stdout)
    private = json.loads(grade_file(_perfect(prepared), "--json", "--split", "private").stdout)
    everything = json.loads(grade_file(_perfect(prepared), "--json", "--split", "all").stdout)
    assert public["medals"] is None and public["split"] == "public"
    assert public["n_rows"] + private["n_rows"] == everything["n_rows"]
    assert abs(public["n_rows"] - private["n_rows"]) <= 1


def test_constant_submission_gets_no_medal(grade_file, sample):
    report = json.loads(grade_file(sample, "--json").stdout)
    assert report["valid"] and not report["medals"]["any_medal"]


def _shuffled(frame, seed=0):
    return frame.sample(frac=1, random_state=seed)


def bad_cases(sample: pd.DataFrame) -> dict[str, tuple[object, str]]:
    wrong_ids = sample.copy()
    wrong_ids.loc[0, "id"] = "zzz-not-an-id"
    dupes = sample.copy()
    dupes.loc[1, "id"] = dupes.loc[0, "id"]
    nan = sample.copy()
    nan.loc[3, "Adelie"] = np.nan
    inf = sample.copy()
    inf.loc[3, "Gentoo"] = np.inf
    strings = sample.astype({"Chinstrap": object})
    strings.loc[2, "Chinstrap"] = "high"
    outside = sample.copy()
    outside.loc[0, "Adelie"] = 1.5
    return {
        "empty": ("", "is empty"),
        "not csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text CSV"),
        "missing column": (sample.drop(columns="Gentoo"), "missing column(s) 'Gentoo'"),
        "extra column": (sample.assign(extra=1), "unexpected column(s) 'extra'"),
        "renamed column": (
            sample.rename(columns={"Adelie": "adelie"}),
            "missing column(s) 'Adelie' and unexpected column(s) 'adelie'",
        ),
        "duplicate ids": (dupes, "appear more than once"),
        "unknown ids": (wrong_ids, "not in test.csv"),
        "missing rows": (sample.iloc[:-5], "expected"),
        "extra rows": (pd.concat([sample, sample.iloc[:3]]), "expected"),
        "ten times the rows": (pd.concat([sample] * 10), "expected"),
        "nan": (nan, "missing, NaN or infinite"),
        "inf": (inf, "missing, NaN or infinite"),
        "strings": (strings, "non-numeric values, e.g. 'high'"),
        "probability outside [0,1]": (outside, "outside [0, 1]"),
        "no header": ("\n\n", "no header row"),
    }


BAD_CASES = [
    "empty",
    "not csv",
    "missing column",
    "extra column",
    "renamed column",
    "duplicate ids",
    "unknown ids",
    "missing rows",
    "extra rows",
    "ten times the rows",
    "nan",
    "inf",
    "strings",
    "probability outside [0,1]",
    "no header",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_submission_is_one_clear_line_and_exit_2(grade_file, sample, case):
    content, expected = bad_cases(sample)[case]
    result = grade_file(content)
    assert result.exit_code == 2, (case, result.stdout, result.stderr)
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    message = " ".join(lines)
    assert message.startswith("invalid submission:")
    assert expected in message
    assert "Traceback" not in result.stderr + result.stdout


def test_oversized_file_is_refused_before_parsing(cli, shared_paths, tmp_path):
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as fh:  # sparse: 60 MB long, no disk used, never read
        fh.truncate(60 * 1024 * 1024)
    result = cli("--home", shared_paths.home, "grade", "--task", TASK, huge)
    assert result.exit_code == 2 and "over the limit of 50.0 MB" in result.stderr


def test_invalid_json_report_and_row_order_does_not_matter(grade_file, sample, prepared):
    bad = json.loads(grade_file(sample.drop(columns="Gentoo"), "--json").stdout)
    assert bad["valid"] is False and bad["status"] == "invalid" and bad["score"] is None
    assert bad["medals"]["any_medal"] is False
    ordered = json.loads(grade_file(_perfect(prepared), "--json").stdout)
    shuffled = json.loads(grade_file(_shuffled(_perfect(prepared)), "--json").stdout)
    assert ordered["score"] == shuffled["score"]


def test_errors_do_not_reveal_answers(grade_file, sample, prepared):
    answers = pd.read_csv(prepared(TASK).private / "answers.csv")
    for content, _ in bad_cases(sample).values():
        message = grade_file(content).stderr
        # The answers' row count per species would show up as numbers next to names.
        assert not any(f"{name}: " in message for name in answers["species"].unique())
        assert "answers.csv" not in message and str(prepared(TASK).private) not in message


def test_symlinked_submission_is_refused(cli, shared_paths, prepared, tmp_path):
    link = tmp_path / "link.csv"
    link.symlink_to(prepared(TASK).private / "answers.csv")
    result = cli("--home", shared_paths.home, "grade", "--task", TASK, link)
    assert result.exit_code == 2 and "symbolic link" in result.stderr


def test_fifo_submission_is_refused(cli, shared_paths, tmp_path):
    import os

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    result = cli("--home", shared_paths.home, "grade", "--task", TASK, fifo)
    assert result.exit_code == 2 and "not a regular file" in result.stderr
