"""Sweeps: grids of runs (tasks x agent variants x seeds) on a local process pool or on Ray.

- `spec`: the sweep spec (YAML or flags) and its cells.
- `state`: the sweep folder `$ASCENT_HOME/sweeps/<id>/` (spec, cell -> run mapping, attempts).
- `sweep`: creating a sweep and running it: retries of infrastructure failures, resume, cancel.
- `base`, `local`, `ray_executor`: the executors; `cellproc`: what one cell's process does.
- `indexing`: the head's SQLite index brought up to date from run folders.
- `results`: normalised scores, medal rates and costs with standard errors, as md/csv/json.
"""
