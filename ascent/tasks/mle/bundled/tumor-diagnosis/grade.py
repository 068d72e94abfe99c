from ascent.tasks.mle.metrics import accuracy, align


def grade(submission, answers) -> float:
    rows = align(submission, answers, "id")
    return accuracy(rows["diagnosis_true"], rows["diagnosis"])
