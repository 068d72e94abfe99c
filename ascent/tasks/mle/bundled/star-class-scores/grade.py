from ascent.tasks.mle.metrics import align, columnwise, rmse

TARGETS = ["tmathssk", "treadssk"]


def grade(submission, answers) -> float:
    """Mean column-wise RMSE (mcrmse) over the two scores."""
    rows = align(submission, answers, "id")
    truth = rows[[f"{t}_true" for t in TARGETS]].to_numpy(dtype=float)
    return columnwise(rmse, truth, rows[TARGETS].to_numpy(dtype=float))
