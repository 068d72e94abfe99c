"""Fixture agent: reads the data, then computes and holds memory until the deadline."""

import os
import time
from pathlib import Path

WS = Path(os.environ["WORKSPACE"])
(WS / "search.py").write_text("# exhaustive search over every feature subset\n")
print("searching every feature subset; this will take a while", flush=True)
held = []
start = time.monotonic()
while True:
    if len(held) < 40:
        held.append(bytearray(4 * 2**20))  # grows to 160 MB
    deadline = time.monotonic() + 0.25
    while time.monotonic() < deadline:
        sum(range(10_000))
    if int(time.monotonic() - start) % 5 == 0:
        print(f"still searching after {time.monotonic() - start:.0f} s", flush=True)
        time.sleep(0.01)
