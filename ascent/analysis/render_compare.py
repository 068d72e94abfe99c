"""Comparison reports as Markdown and self-contained HTML."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from ascent.analysis import plots
from ascent.analysis.compare import CompareReport, RateStat
from ascent.analysis.render_html import environment
from ascent.analysis.schema import RunReport
from ascent.analysis.text import md_inline, num


def rate_text(stat: RateStat) -> str:
    if stat.mean is None:
        return "-"
    sem = f" ± {stat.sem:.0%}" if stat.sem is not None else ""
    return f"{stat.mean:.0%}{sem}"


def render_compare_md(result: CompareReport) -> str:
    lines = [
        f"# {md_inline(result.title)}",
        "",
        f"- runs: {len(result.runs)} · tasks: {', '.join(result.tasks)}",
        "- medal rates are over ended runs, on the private split; ± is the standard error of "
        "the mean (sample standard deviation / √n)",
        "",
        "## Medal rates",
        "",
        "| group | n | any medal | gold | above median | valid final |",
        "|---|---|---|---|---|---|",
    ]
    for g in result.groups:
        lines.append(
            f"| {md_inline(g.group)} | {g.n} | {rate_text(g.any_medal)} | {rate_text(g.gold)} | "
            f"{rate_text(g.above_median)} | {rate_text(g.valid_final)} |"
        )
    lines += [
        "",
        "## Runs",
        "",
        "| run | task | agent | status | final (private) | medal | best (public) | valid rate | failures |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result.runs:
        valid = "-" if r.valid_rate is None else f"{r.valid_rate:.0%}"
        lines.append(
            f"| {r.run_id} | {r.task_id} | {md_inline(r.agent)} | {r.status} | {num(r.final_score)} | "
            f"{r.medal or '-'} | {num(r.best_public)} | {valid} | {', '.join(r.failures) or '-'} |"
        )
    return "\n".join(lines) + "\n"


def compare_plots(result: CompareReport, reports: Sequence[RunReport]) -> dict[str, Markup]:
    svgs = {}
    for task in result.tasks:
        members = [r for r in reports if r.task_id == task]
        svgs[task] = Markup(plots.compare_trajectories_svg(members, f"{task} · best so far"))
    return svgs


def medal_plot(result: CompareReport) -> Markup:
    bars = [
        plots.RateBar(
            group=g.group,
            rates={
                "any medal": (g.any_medal.mean, g.any_medal.sem),
                "gold": (g.gold.mean, g.gold.sem),
                "above median": (g.above_median.mean, g.above_median.sem),
            },
            n=g.n,
        )
        for g in result.groups
    ]
    return Markup(plots.medal_rates_svg(bars))


def render_compare_html(result: CompareReport, reports: Sequence[RunReport]) -> str:
    template = environment().get_template("compare.html.j2")
    return template.render(
        c=result,
        trajectories=compare_plots(result, reports),
        medals=medal_plot(result),
        rate=rate_text,
        run_link=None,
    )
