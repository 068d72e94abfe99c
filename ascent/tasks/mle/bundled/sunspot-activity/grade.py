from ascent.tasks.mle.metrics import align, rmse


def grade(submission, answers) -> float:
    rows = align(submission, answers, "id")
    return rmse(rows["sunspots_true"], rows["sunspots"])
