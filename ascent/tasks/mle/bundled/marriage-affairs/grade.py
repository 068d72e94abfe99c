from ascent.tasks.mle.metrics import align, auc


def grade(submission, answers) -> float:
    rows = align(submission, answers, "id")
    return auc(rows["affair_true"].astype(int), rows["affair"])
