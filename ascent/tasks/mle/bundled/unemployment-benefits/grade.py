from ascent.tasks.mle.metrics import align, binary_log_loss


def grade(submission, answers) -> float:
    rows = align(submission, answers, "id")
    return binary_log_loss(rows["ui_true"] == "yes", rows["ui"])
