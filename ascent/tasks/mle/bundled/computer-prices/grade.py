from ascent.tasks.mle.metrics import align, mae


def grade(submission, answers) -> float:
    rows = align(submission, answers, "id")
    return mae(rows["price_true"], rows["price"])
