"""Reading and checking an MLE submission CSV before any metric sees it.

Every check raises `InvalidSubmission` with one line that says what is wrong and how to fix it.
Messages may quote the submission's own content, never the answers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ascent.errors import InvalidSubmission
from ascent.tasks.spec import MleSpec

_EXAMPLES = 3


# Submissions at least this large are parsed with pyarrow: measured faster from ~8 MB up
# (below, the C reader without a text-id conversion wins; 2.7 MB: 9 ms against 13 ms).
PYARROW_FROM_BYTES = 8_000_000


def read_submission(path: Path, spec: MleSpec) -> pd.DataFrame:
    """Parse a submission file: size-checked before parsing, ids kept as text."""
    size = path.stat().st_size
    limit = int(spec.max_submission_mb * 1024 * 1024)
    if size > limit:
        raise InvalidSubmission(
            f"the submission is {size / 1e6:.1f} MB, over the limit of {spec.max_submission_mb} MB"
        )
    if size == 0:
        raise InvalidSubmission("the submission file is empty; write a CSV with a header row")
    data = path.read_bytes()
    if b"\x00" in data:
        raise InvalidSubmission("the submission is not a text CSV file (it holds NUL bytes)")
    first_line = data.split(b"\n", 1)[0]
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidSubmission("the submission is not UTF-8 text; write a plain CSV") from None
    header = next(csv.reader([first_line.decode("utf-8-sig")]), None)
    if not header or all(not h.strip() for h in header):
        raise InvalidSubmission("the submission has no header row; the first line names columns")
    if len(header) > 10 * (len(spec.submission_columns) + 1) + 100:
        raise InvalidSubmission(
            f"the submission has {len(header)} columns; expected {len(spec.submission_columns) + 1}"
        )
    try:
        frame = _parse(data, spec.id_column, large=size >= PYARROW_FROM_BYTES)
    except (pd.errors.ParserError, ValueError, pa.ArrowException) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidSubmission(f"the submission is not a valid CSV: {first}") from None
    return frame


def _parse(data: bytes, id_column: str, large: bool) -> pd.DataFrame:
    """Parse CSV bytes keeping the ids' exact text ("007" stays "007")."""
    if large:  # pyarrow's reader pays a thread-pool start-up that only large files win back
        return pd.read_csv(io.BytesIO(data), dtype={id_column: str}, engine="pyarrow")
    # Asking for text ids costs the C reader as much as the whole parse; ids that are text
    # already need no second look, numeric-looking ones are read again as text.
    frame = pd.read_csv(io.BytesIO(data), engine="c")
    if id_column in frame.columns and not pd.api.types.is_string_dtype(frame[id_column]):
        text = pd.read_csv(io.BytesIO(data), engine="c", usecols=[id_column], dtype=str)
        frame[id_column] = text[id_column].to_numpy()
    return frame


@dataclass(frozen=True)
class SampleIds:
    """The ids of sample_submission.csv in order, with each id's position, for fast checks."""

    ids: pd.Series
    position: dict[str, int]

    @classmethod
    def from_values(cls, values: pd.Series) -> SampleIds:
        ids = clean_ids(values)
        return cls(ids, {v: i for i, v in enumerate(ids.tolist())})

    def locate(self, ids: pd.Series) -> np.ndarray:
        """Position of each id in the sample (-1 if unknown); same order is the fast path."""
        if same_ids(ids, self.ids):
            return np.arange(len(ids))
        return np.fromiter((self.position.get(v, -1) for v in ids.tolist()), np.int64, len(ids))


def clean_ids(values: pd.Series) -> pd.Series:
    """Ids as stripped text, index reset."""
    return values.astype(str).str.strip().reset_index(drop=True)


def same_ids(a: pd.Series, b: pd.Series) -> bool:
    """Vectorised: equal length and equal ids row by row."""
    return len(a) == len(b) and bool((a.array == b.array).all())


def validate_submission(frame: pd.DataFrame, sample: SampleIds, spec: MleSpec) -> pd.DataFrame:
    """Check a parsed submission against the sample ids; return it typed, in sample order."""
    expected = [spec.id_column, *spec.submission_columns]
    _check_columns(list(frame.columns), expected)
    if frame[spec.id_column].isna().any():
        raise InvalidSubmission(f"the id column '{spec.id_column}' has empty values")
    if len(frame) != len(sample.ids):
        raise InvalidSubmission(
            f"the submission has {len(frame)} rows; expected {len(sample.ids)} "
            f"(one per id in test.csv, as in sample_submission.csv)"
        )
    ids = clean_ids(frame[spec.id_column])
    if same_ids(ids, sample.ids):  # the usual case: the sample's ids, in its order
        return _typed_frame(frame, sample.ids, spec)
    positions = sample.locate(ids)
    known = positions[positions >= 0]
    counts = np.bincount(known, minlength=len(sample.ids))
    if (counts > 1).any():
        repeated = sample.ids[counts > 1]
        raise InvalidSubmission(
            f"{len(repeated)} ids appear more than once, e.g. {_examples(repeated)}"
        )
    if len(known) < len(ids):
        unknown = ids[positions < 0]
        raise InvalidSubmission(
            f"{len(unknown)} ids are not in test.csv, e.g. {_examples(unknown)}; "
            "use the ids of sample_submission.csv"
        )
    order = np.empty(len(ids), dtype=np.int64)
    order[positions] = np.arange(len(ids))
    return _typed_frame(frame.iloc[order], sample.ids, spec)


def _typed_frame(frame: pd.DataFrame, ids: pd.Series, spec: MleSpec) -> pd.DataFrame:
    """The submission's rows (already in sample order) with the sample's ids and typed values."""
    columns = {spec.id_column: ids.array}
    for column in spec.submission_columns:
        values = frame[column].reset_index(drop=True)
        columns[column] = _typed_column(values, column, spec).array
    typed = pd.DataFrame(columns, copy=False)
    if spec.prediction == "probability" and len(spec.submission_columns) > 1:
        sums = typed[spec.submission_columns].sum(axis=1)
        if (sums <= 0).any():
            raise InvalidSubmission("some rows have probabilities that sum to 0")
    return typed


def _check_columns(found: list[str], expected: list[str]) -> None:
    seen = [str(c) for c in found]
    dupes = sorted({c for c in seen if seen.count(c) > 1})
    if dupes:
        raise InvalidSubmission(f"column(s) {_names(dupes)} appear more than once")
    missing = [c for c in expected if c not in seen]
    extra = [c for c in seen if c not in expected]
    if missing and extra:
        raise InvalidSubmission(
            f"missing column(s) {_names(missing)} and unexpected column(s) {_names(extra)}; "
            f"the header must be: {','.join(expected)}"
        )
    if missing:
        raise InvalidSubmission(
            f"missing column(s) {_names(missing)}; the header must be: {','.join(expected)}"
        )
    if extra:
        raise InvalidSubmission(
            f"unexpected column(s) {_names(extra)}; the header must be: {','.join(expected)}"
        )


def _typed_column(values: pd.Series, column: str, spec: MleSpec) -> pd.Series:
    if spec.prediction == "label":
        text = values.astype(str).str.strip()
        if values.isna().any():
            raise InvalidSubmission(
                f"column '{column}' has {int(values.isna().sum())} empty values"
            )
        allowed = {str(c) for c in spec.classes or []}
        if allowed:
            text = text.map(lambda v: _canonical_label(v, allowed))
            bad = text[~text.isin(allowed)]
            if len(bad):
                raise InvalidSubmission(
                    f"column '{column}' has {len(bad)} values that are not valid classes, "
                    f"e.g. {_examples(bad)}; valid: {', '.join(sorted(allowed))}"
                )
        return text
    if spec.prediction == "any":
        return _untyped_column(values, column)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        array = values.to_numpy(dtype=float)  # parsed as numbers already: nothing to coerce
    else:
        numbers = pd.to_numeric(values, errors="coerce")
        not_numeric = values[numbers.isna() & values.notna()]
        if len(not_numeric):
            raise InvalidSubmission(
                f"column '{column}' has {len(not_numeric)} non-numeric values, "
                f"e.g. {_examples(not_numeric.astype(str))}"
            )
        array = numbers.to_numpy(dtype=float)
    bad = ~np.isfinite(array)
    if bad.any():
        raise InvalidSubmission(
            f"column '{column}' has {int(bad.sum())} missing, NaN or infinite values"
        )
    if spec.prediction == "probability" and ((array < 0) | (array > 1)).any():
        outside = int(((array < 0) | (array > 1)).sum())
        raise InvalidSubmission(f"column '{column}' has {outside} probabilities outside [0, 1]")
    return pd.Series(array, index=values.index)


def _untyped_column(values: pd.Series, column: str) -> pd.Series:
    """Imported competitions: keep pandas' own types (their grade.py expects them)."""
    if values.isna().any():
        raise InvalidSubmission(f"column '{column}' has {int(values.isna().sum())} empty values")
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric and not np.isfinite(values.to_numpy(dtype=float)).all():
        raise InvalidSubmission(f"column '{column}' has infinite values")
    return values


def _canonical_label(value: str, allowed: set[str]) -> str:
    """Accept `3.0` for class `3`: integer classes written as floats by pandas are common."""
    if value in allowed:
        return value
    try:
        as_float = float(value)
    except ValueError:
        return value
    if as_float.is_integer() and str(int(as_float)) in allowed:
        return str(int(as_float))
    return value


def _names(columns: list[str]) -> str:
    return ", ".join(f"'{c}'" for c in columns)


def _examples(values: pd.Series) -> str:
    shown = [repr(str(v))[:40] for v in values.unique()[:_EXAMPLES]]
    return ", ".join(shown)
