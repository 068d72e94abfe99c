from ascent.tasks.mle.metrics import align, macro_f1


def grade(submission, answers) -> float:
    rows = align(submission, answers, "id")
    return macro_f1(rows["choice_true"], rows["choice"])
