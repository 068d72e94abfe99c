"""A run's budget: wall-clock seconds and submissions, both counted across resumes.

Time spent while the harness was down does not count: each segment of a run (the first start,
each resume) adds only its own active time. The submission counter is reserved atomically, so
concurrent submits can never exceed the limit.
"""

from __future__ import annotations

import threading
import time


class Budget:
    def __init__(
        self,
        wall_seconds: float,
        max_submissions: int,
        used_seconds: float = 0.0,
        used_submissions: int = 0,
    ) -> None:
        self.wall_seconds = float(wall_seconds)
        self.max_submissions = int(max_submissions)
        self._used_before = float(used_seconds)
        self._segment_start = time.monotonic()
        self._wall_start = time.time()
        self._submissions = int(used_submissions)
        self._lock = threading.Lock()

    def elapsed(self) -> float:
        return self._used_before + (time.monotonic() - self._segment_start)

    def remaining_seconds(self) -> float:
        return max(0.0, self.wall_seconds - self.elapsed())

    def expired(self) -> bool:
        return self.remaining_seconds() <= 0

    def deadline_unix(self) -> float:
        """The deadline as Unix time, for `ASCENT_DEADLINE` inside the sandbox."""
        return self._wall_start + (self.wall_seconds - self._used_before)

    @property
    def submissions_used(self) -> int:
        return self._submissions

    def remaining_submissions(self) -> int:
        return max(0, self.max_submissions - self._submissions)

    def reserve_submission(self) -> bool:
        """Take one submission if any is left; True when taken."""
        with self._lock:
            if self._submissions >= self.max_submissions:
                return False
            self._submissions += 1
            return True
