from ascent.tasks.mle.metrics import accuracy, align


def grade(submission, answers) -> float:
    rows = align(submission, answers, "id")
    return accuracy(rows["label_true"], rows["label"])
