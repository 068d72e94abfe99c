"""The report's pictures as inline SVG (matplotlib, no pyplot state: safe in the web server).

Score over time with every submission and the best so far, the events timeline, resources,
and for comparisons overlaid best-so-far curves and medal rates with SEM error bars.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ascent.analysis.schema import RunReport

INK, MUTED, ACCENT, GOOD, BAD, WARN = (
    "#1f2933",
    "#8a94a6",
    "#2563eb",
    "#16a34a",
    "#dc2626",
    "#d97706",
)
PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d"]
LANES = [
    ("run", ("run_start", "run_end", "final_grade", "agent_step")),
    ("submission", ("submission",)),
    ("snapshot", ("code_snapshot",)),
    ("command", ("command",)),
    ("llm call", ("llm_call",)),
    ("refusal", ("refusal",)),
    ("error", ("error",)),
    ("resources", ("resources",)),
]
_RC = {
    "svg.fonttype": "none",
    "font.size": 9,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
}
_HEADER = re.compile(r"^.*?(?=<svg)", re.S)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)


def _few_ticks(ax, x: bool = True, y: bool = True) -> None:
    """Fewer ticks: tick labels are most of the drawing time."""
    if x:
        ax.xaxis.set_major_locator(MaxNLocator(6))
    if y:
        ax.yaxis.set_major_locator(MaxNLocator(5))


def _svg(fig: Figure, salt: str) -> str:
    buf = io.StringIO()
    with rc_context({"svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return _METADATA.sub("", _HEADER.sub("", buf.getvalue(), count=1), count=1)


def _figure(width: float, height: float, **margins: float) -> Figure:
    """Fixed margins (in inches) instead of a layout engine: one draw instead of three."""
    fig = Figure(figsize=(width, height))
    left, right = margins.get("left", 0.75), margins.get("right", 0.15)
    top, bottom = margins.get("top", 0.3), margins.get("bottom", 0.45)
    fig.subplots_adjust(
        left=left / width,
        right=1 - right / width,
        top=1 - top / height,
        bottom=bottom / height,
        wspace=margins.get("wspace", 0.2),
    )
    return fig


def trajectory_svg(report: RunReport) -> str:
    with rc_context(_RC):
        fig = _figure(8.5, 3.2, left=0.9, right=1.75)
        ax = fig.add_subplot()
        points = report.trajectory
        valid = [p for p in points if p.valid and p.score is not None]
        end = max([report.used_seconds, *(p.seconds for p in points)], default=1.0) or 1.0
        if valid:
            xs = [p.seconds for p in valid] + [end]
            best = [p.best_so_far for p in valid]
            ax.step(xs, [*best, best[-1]], where="post", color=ACCENT, lw=1.6, label="best so far")
            plain = [p for p in valid if not p.improved]
            better = [p for p in valid if p.improved]
            ax.scatter(
                [p.seconds for p in plain],
                [p.score for p in plain],
                s=28,
                facecolors="white",
                edgecolors=INK,
                zorder=3,
                label="submission",
            )
            ax.scatter(
                [p.seconds for p in better],
                [p.score for p in better],
                s=34,
                color=ACCENT,
                zorder=4,
                label="new best",
            )
            for p in valid if len(valid) <= 15 else []:
                ax.annotate(
                    p.submission_id,
                    (p.seconds, p.score),
                    xytext=(3, 4),
                    textcoords="offset points",
                    fontsize=7,
                    color=MUTED,
                )
        invalid = [p for p in points if not p.valid]
        if invalid:
            ax.scatter(
                [p.seconds for p in invalid],
                [0.03] * len(invalid),
                marker="x",
                s=30,
                color=BAD,
                transform=ax.get_xaxis_transform(),
                zorder=4,
                label="invalid / error",
            )
        final = report.final
        if final and final.valid and final.score is not None:
            at = next((p.seconds for p in points if p.submission_id == final.submission_id), end)
            ax.scatter(
                [at],
                [final.score],
                marker="*",
                s=140,
                color=WARN,
                zorder=5,
                label=f"final, private split ({final.medal or 'no medal'})",
            )
        for boundary in _segment_starts(report)[1:]:
            ax.axvline(boundary, color=MUTED, ls=":", lw=1)
            ax.text(
                boundary,
                0.98,
                " resumed",
                transform=ax.get_xaxis_transform(),
                fontsize=7,
                color=MUTED,
                va="top",
            )
        if not valid:
            ax.text(
                0.5, 0.5, "no valid submission", transform=ax.transAxes, ha="center", color=MUTED
            )
            ax.set_yticks([])
        direction = "higher" if report.higher_is_better else "lower"
        ax.set_xlim(0, end * 1.04)
        _few_ticks(ax)
        ax.set_xlabel("active seconds")
        ax.set_ylabel(f"{report.metric} (public split)")
        ax.set_title(f"Score over time · {direction} is better", loc="left", fontsize=10)
        if points:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
        return _svg(fig, f"trajectory-{report.run_id}")


def _segment_starts(report: RunReport) -> list[float]:
    return [t.seconds for t in report.timeline if t.kind == "run_start"]


def timeline_svg(report: RunReport) -> str:
    with rc_context(_RC):
        lanes = [
            (name, kinds) for name, kinds in LANES if any(t.kind in kinds for t in report.timeline)
        ]
        fig = _figure(8.5, 0.8 + 0.24 * max(len(lanes), 1), left=0.9, right=1.75)
        ax = fig.add_subplot()
        colours = {}
        for p in report.trajectory:
            if p.seq is not None:
                colours[p.seq] = GOOD if p.valid else BAD
        for row, (_, kinds) in enumerate(lanes):
            items = [t for t in report.timeline if t.kind in kinds]
            ax.scatter(
                [t.seconds for t in items],
                [row] * len(items),
                marker="|",
                s=120,
                color=[
                    colours.get(t.seq, BAD if t.kind in ("refusal", "error") else INK)
                    for t in items
                ],
            )
        ax.set_yticks(range(len(lanes)), [name for name, _ in lanes])
        ax.set_ylim(-0.6, len(lanes) - 0.4)
        ax.invert_yaxis()
        ax.set_xlim(0, max(report.used_seconds, 1.0) * 1.04)
        _few_ticks(ax, y=False)
        ax.set_xlabel("active seconds")
        ax.set_title("Events", loc="left", fontsize=10)
        return _svg(fig, f"timeline-{report.run_id}")


def resources_svg(report: RunReport) -> str | None:
    """CPU time, memory and disk on one axis, each as a share of its own peak (named in the
    legend): one set of ticks instead of three keeps the drawing fast."""
    samples = report.resources
    if not samples:
        return None
    series = [
        ("CPU time", [s.cpu_seconds for s in samples], "s", ACCENT, "--"),
        ("memory", [s.rss_mb for s in samples], "MB", WARN, "-"),
        ("disk", [s.disk_mb for s in samples], "MB", GOOD, "-"),
    ]
    with rc_context(_RC):
        fig = _figure(8.5, 2.4, left=0.9, right=2.1)
        ax = fig.add_subplot()
        xs = [s.seconds for s in samples]
        for label, values, unit, colour, style in series:
            peak = max(values)
            ys = [v / peak if peak else 0.0 for v in values]
            ax.plot(
                xs, ys, color=colour, lw=1.4, ls=style, label=f"{label} (max {peak:.3g} {unit})"
            )
        ax.set_ylim(0, 1.08)
        ax.set_yticks([0, 0.5, 1], ["0", "½", "max"])
        ax.set_ylabel("share of max")
        ax.xaxis.set_major_locator(MaxNLocator(6))
        ax.set_xlim(0, max(report.used_seconds, xs[-1], 1.0) * 1.04)
        ax.set_xlabel("active seconds")
        ax.set_title("Resources", loc="left", fontsize=10)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return _svg(fig, f"resources-{report.run_id}")


@dataclass(frozen=True)
class RateBar:
    group: str
    rates: dict[str, tuple[float | None, float | None]]  # name -> (mean, sem)
    n: int


def compare_trajectories_svg(reports: Sequence[RunReport], title: str) -> str:
    with rc_context(_RC):
        fig = _figure(8.5, 3.4, right=1.9)
        ax = fig.add_subplot()
        drawn = 0
        for i, report in enumerate(reports):
            valid = [p for p in report.trajectory if p.valid and p.best_so_far is not None]
            colour = PALETTE[i % len(PALETTE)]
            label = f"{report.agent} · {report.run_id.rsplit('.', 1)[-1]}"
            if not valid:
                continue
            drawn += 1
            end = max(report.used_seconds, valid[-1].seconds)
            xs = [p.seconds for p in valid] + [end]
            ys = [p.best_so_far for p in valid]
            ax.step(xs, [*ys, ys[-1]], where="post", color=colour, lw=1.4, label=label)
            ax.scatter([p.seconds for p in valid], [p.score for p in valid], s=10, color=colour)
        _few_ticks(ax)
        ax.set_xlabel("active seconds")
        metric = reports[0].metric if reports else ""
        ax.set_ylabel(f"best {metric} so far (public split)")
        ax.set_title(title, loc="left", fontsize=10)
        if drawn:
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        else:
            ax.text(
                0.5, 0.5, "no valid submission", transform=ax.transAxes, ha="center", color=MUTED
            )
        return _svg(fig, f"compare-{title}")


def medal_rates_svg(bars: Sequence[RateBar]) -> str:
    names = ["any medal", "gold", "above median"]
    with rc_context(_RC):
        fig = _figure(8.5, 3.0, right=1.4, bottom=0.6)
        ax = fig.add_subplot()
        width = 0.8 / len(names)
        for j, name in enumerate(names):
            xs = [i + (j - (len(names) - 1) / 2) * width for i in range(len(bars))]
            means = [b.rates.get(name, (None, None))[0] or 0.0 for b in bars]
            sems = [b.rates.get(name, (None, None))[1] or 0.0 for b in bars]
            ax.bar(
                xs,
                means,
                width * 0.92,
                yerr=sems,
                capsize=3,
                color=PALETTE[j],
                label=name,
                error_kw={"elinewidth": 1, "ecolor": INK},
            )
        ax.set_xticks(range(len(bars)), [f"{b.group}\n(n={b.n})" for b in bars], fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("rate over runs (private split)")
        ax.set_title(
            "Medal rates · error bars: standard error of the mean", loc="left", fontsize=10
        )
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return _svg(fig, "medal-rates")
