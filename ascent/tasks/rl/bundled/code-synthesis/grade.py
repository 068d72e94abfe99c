"""Score of one reply: the fraction of the problem's unit tests its function passes.

The reply's code is the fenced ```python block that defines the function (else its first
block, else the whole reply); a reply that only continues the stub (a function body) is
appended to the stub. The program runs against the tests through `ascent.tasks.rl.codeexec`:
in a separate, sandboxed process (bubblewrap where it works), never in the grader's own process,
with a time limit of 5 seconds for all the tests of one problem.
"""

from ascent.tasks.rl.codeexec import run_tests
from ascent.tasks.rl.kit import program_for

TIMEOUT_SECONDS = 5.0
SCORE_WORKERS = 2  # each reply waits on its own sandboxed process


def score(prediction: str, example: dict) -> float:
    entry_point = str(example.get("entry_point", ""))
    program = program_for(str(example.get("stub", "")), prediction, entry_point)
    if not program.strip():
        return 0.0
    return run_tests(program, str(example["tests"]), TIMEOUT_SECONDS, entry_point=entry_point)
