"""Report generation time: report.json, report.md and report.html (with its three plots) for 20
recorded runs, then one comparison report over all of them. Target: the 20 reports in < 10 s.

The runs are copies of the recorded runs in tests/fixtures/runs (a gold run, an agent with a
traceback, an invalid submission, a diverging loss and refused requests, a timeout, a run killed
and resumed), renamed so each is its own run; or the runs of an existing home with --home.

    python benchmarks/report.py [--runs 20] [--home PATH] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "runs"


def copy_runs(target: Path, count: int) -> list[Path]:
    sources = sorted(p for p in FIXTURES.iterdir() if (p / "run.json").is_file())
    runs = []
    for i in range(count):
        source = sources[i % len(sources)]
        run_id = f"{source.name}.b{i:02d}"
        run_dir = target / run_id
        shutil.copytree(source, run_dir)
        state = json.loads((run_dir / "run.json").read_text())
        state["run_id"] = run_id
        (run_dir / "run.json").write_text(json.dumps(state))
        runs.append(run_dir)
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="How many runs (default 20).")
    parser.add_argument("--home", type=Path, help="Report the runs of this ascent home instead.")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args()

    started = time.perf_counter()
    from ascent.analysis.build import analyse_run, write_report
    from ascent.analysis.compare import compare, write_compare
    from ascent.tasks.registry import Registry

    registry = Registry()
    imported = time.perf_counter() - started

    with tempfile.TemporaryDirectory(prefix="ascent-bench-") as tmp:
        if args.home:
            runs = sorted(p for p in (args.home / "runs").iterdir() if (p / "run.json").is_file())
            runs = runs[: args.runs]
        else:
            runs = copy_runs(Path(tmp) / "runs", args.runs)
        analyse = render = 0.0
        reports = []
        total_start = time.perf_counter()
        for run_dir in runs:
            t0 = time.perf_counter()
            report = analyse_run(run_dir, registry=registry)
            t1 = time.perf_counter()
            write_report(run_dir, report)
            t2 = time.perf_counter()
            analyse += t1 - t0
            render += t2 - t1
            reports.append(report)
        total = time.perf_counter() - total_start
        t0 = time.perf_counter()
        write_compare(Path(tmp) / "reports", "all", compare(reports, "all runs"), reports)
        comparison = time.perf_counter() - t0

    figures = {
        "runs": len(runs),
        "reports_seconds": round(total, 2),
        "per_run_seconds": round(total / max(len(runs), 1), 3),
        "analysis_seconds": round(analyse, 2),
        "render_and_write_seconds": round(render, 2),
        "comparison_seconds": round(comparison, 2),
        "imports_seconds": round(imported, 2),
        "target_seconds": 10,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"{figures['runs']} reports (json + md + html with 3 plots each)")
        print(f"  total            {total:6.2f} s   (target < 10 s)")
        print(f"  per run          {figures['per_run_seconds']:6.3f} s")
        print(f"  analysis         {analyse:6.2f} s   metrics, failures, routes, snapshots")
        print(f"  render + write   {render:6.2f} s   plots, markdown, html")
        print(f"  comparison       {comparison:6.2f} s   one report over all runs")
        print(f"  imports          {imported:6.2f} s   (not counted above)")
    return 0 if total < 10 else 1


if __name__ == "__main__":
    sys.exit(main())
