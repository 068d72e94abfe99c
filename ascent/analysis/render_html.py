"""report.html: one self-contained file (inline CSS and SVG, no script, no external resource).

Templates are autoescaped: every string from the record, agent output above all, is rendered
as text. Only the SVG plots, which matplotlib generated and escaped, are inserted as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ascent.analysis import plots
from ascent.analysis.render_md import LABELS
from ascent.analysis.schema import RunReport
from ascent.analysis.text import metric_value, num


@dataclass(frozen=True)
class RunPlots:
    trajectory: Markup
    timeline: Markup
    resources: Markup | None


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("ascent.analysis", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(num=num, fmt=metric_value, labels=LABELS)
    return env


def run_plots(report: RunReport) -> RunPlots:
    resources = plots.resources_svg(report)
    return RunPlots(
        trajectory=Markup(plots.trajectory_svg(report)),
        timeline=Markup(plots.timeline_svg(report)),
        resources=Markup(resources) if resources else None,
    )


def render_html(report: RunReport, run_plots_: RunPlots | None = None) -> str:
    template = environment().get_template("report.html.j2")
    return template.render(r=report, plots=run_plots_ or run_plots(report))
