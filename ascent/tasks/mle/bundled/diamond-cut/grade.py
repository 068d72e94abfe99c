from ascent.tasks.mle.metrics import align, qwk

CLASSES = ["Fair", "Good", "Very Good", "Premium", "Ideal"]


def grade(submission, answers) -> float:
    rows = align(submission, answers, "id")
    return qwk(rows["cut_true"].astype(str), rows["cut"].astype(str), labels=CLASSES)
