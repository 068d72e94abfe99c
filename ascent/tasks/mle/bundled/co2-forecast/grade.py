from ascent.tasks.mle.metrics import align, mae


def grade(submission, answers) -> float:
    rows = align(submission, answers, "id")
    return mae(rows["co2_true"], rows["co2"])
