"""`ascent serve`: a read-only web UI over the runs of one ascentlab home (FastAPI + jinja2)."""
