"""Post-hoc analysis of runs: metrics, failure taxonomy, training routes, plots and reports.

Everything here reads a run folder (run.json, events.jsonl, the submission ledger, agent.log,
snapshots.git) and never writes into it except the report files. Modules:

- `clock`: active time of a run across its segments (a killed-and-resumed run does not count
  the time the harness was down).
- `loader`: a run folder as typed, read-only data (`RunData`); `gitview`: its code snapshots;
  `logs`: its agent.log as data.
- `trajectory`, `timeline`, `metrics`, `taxonomy`, `routes`, `narrative`: what is computed.
- `schema`: the versioned `report.json` models; `build` assembles and writes a `RunReport`;
  `reports` finds runs and reuses fresh reports.
- `plots`, `text`, `render_md`, `render_html`: the pictures and the two human-readable reports.
- `compare`, `render_compare`: reports across runs or a sweep; `export`: MLflow.
"""
