"""Score of one reply to a HumanEval problem: pass@1, 1.0 when the program passes every check
of the problem's `check(candidate)`, else 0.0.

The reply's code is the fenced ```python block that defines the entry point (else its first
block, else the whole reply); a reply that only continues the prompt (a function body, the
original HumanEval completion format) is appended to the prompt. The program runs through
`ascent.tasks.rl.codeexec`: in a separate, sandboxed process (bubblewrap where it works, no
network), never in the grader's own process, with 10 seconds for all the checks of a problem.
"""

from ascent.tasks.rl.codeexec import run_tests_report
from ascent.tasks.rl.kit import program_for

TIMEOUT_SECONDS = 10.0
SCORE_WORKERS = 2  # replies scored at once, each in its own sandboxed process


def score(prediction: str, example: dict) -> float:
    entry_point = str(example.get("entry_point", ""))
    program = program_for(str(example.get("stub", "")), prediction, entry_point)
    if not program.strip():
        return 0.0
    report = run_tests_report(
        program, str(example["tests"]), TIMEOUT_SECONDS, entry_point=entry_point
    )
    passed = report.total > 0 and report.passed == report.total
    return 1.0 if passed and report.setup_error is None and not report.timed_out else 0.0
