"""Training-route detection for ft/rl runs, from code snapshots and agent.log.

A route is the sequence of training stages a snapshot's code runs (SFT, DPO, GRPO, PPO...),
whether the model is adapted with LoRA (or QLoRA) or fully fine-tuned, and whether completions
are filtered before SFT (rejection sampling). It is read from the code: calls to TRL trainers
and configs, peft adapters, and `trl <algo>` command lines in scripts. agent.log adds
corroborating evidence (trainer names and reward metrics it printed); it never sets the route.

A script that declares its plan in a top-level literal (`PLAN = {"route": ..., "method": ...}`,
as the scripts the family skills render do) and dispatches on it holds the code of every route
but runs one: the declaration narrows the trainers found in the code to that route's stages
(it can drop stages, never add one) and says whether the adapter is LoRA. The route of a
submission is read from the code beside the submitted model when that folder has any (an agent
keeping one script per candidate, `solutions/node_0003/train.py` -> `.../model`), else from the
whole snapshot.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field

from ascent.analysis.gitview import SnapshotRepo
from ascent.analysis.logs import LogView
from ascent.analysis.schema import (
    LogLine,
    Route,
    RouteUse,
    SnapshotRoute,
    TrainingRoutes,
    TrajectoryPoint,
)
from ascent.record import events as ev

TRAINERS = {
    "SFTTrainer": "sft",
    "DPOTrainer": "dpo",
    "GRPOTrainer": "grpo",
    "PPOTrainer": "ppo",
    "RLOOTrainer": "rloo",
    "ORPOTrainer": "orpo",
    "KTOTrainer": "kto",
    "CPOTrainer": "cpo",
    "OnlineDPOTrainer": "online_dpo",
    "RewardTrainer": "reward_model",
    "Trainer": "sft",  # transformers' Trainer on a causal LM: supervised fine-tuning
}
CONFIGS = {
    "SFTConfig",
    "DPOConfig",
    "GRPOConfig",
    "PPOConfig",
    "RLOOConfig",
    "ORPOConfig",
    "KTOConfig",
    "TrainingArguments",
}
ADAPTERS = {"LoraConfig", "get_peft_model", "PeftModel", "prepare_model_for_kbit_training"}
QUANTISED = {"BitsAndBytesConfig"}
STAGE_NAMES = {
    "sft": "SFT",
    "dpo": "DPO",
    "grpo": "GRPO",
    "ppo": "PPO",
    "rloo": "RLOO",
    "orpo": "ORPO",
    "kto": "KTO",
    "cpo": "CPO",
    "online_dpo": "online DPO",
    "reward_model": "reward model",
}
_NEEDLES = (*TRAINERS, *CONFIGS, *ADAPTERS, *QUANTISED, "trl ", "peft", "rejection")
_TRL_CLI = re.compile(r"(?:^|[\s;&|])trl\s+(sft|dpo|grpo|ppo|rloo|orpo|kto)\b", re.M)
_TRAINER_CALL = re.compile(r"\b(" + "|".join(t for t in TRAINERS if t != "Trainer") + r")\s*\(")
_REJECTION = re.compile(r"rejection|best_of_n|best-of-n", re.I)
_FILTER_HINT = re.compile(r"reward|correct|verif|accept", re.I)
_LOG_STAGE = re.compile(
    r"\b(SFTTrainer|DPOTrainer|GRPOTrainer|PPOTrainer|RLOOTrainer|ORPOTrainer|KTOTrainer)\b"
)
# Routes a plan may declare, and the stages each runs, in order.
DECLARED_ROUTES: dict[str, tuple[str, ...]] = {
    "sft": ("sft",),
    "sft_rejection": ("sft",),
    "grpo": ("grpo",),
    "dpo": ("dpo",),
    "sft_then_grpo": ("sft", "grpo"),
    "ppo": ("ppo",),
}
_CODE_SUFFIXES = (".py", ".sh", ".ipynb", ".yaml", ".yml", ".toml", ".cfg", ".txt", "Makefile")


@dataclass
class FileFindings:
    uses: list[RouteUse] = field(default_factory=list)
    lora: bool = False
    quantised: bool = False
    adapter_config: dict = field(default_factory=dict)
    rejection: bool = False


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _literal_kwargs(call: ast.Call) -> dict:
    out: dict = {}
    for kw in call.keywords:
        if kw.arg is None:
            continue
        try:
            value = ast.literal_eval(kw.value)
        except (ValueError, SyntaxError, TypeError, RecursionError):
            value = ast.unparse(kw.value)[:80]
        if isinstance(value, list | tuple | set | dict):
            value = json.dumps(value if not isinstance(value, set) else sorted(value))[:120]
        out[kw.arg] = value
    return out


def scan_python(path: str, source: str) -> FileFindings:
    found = FileFindings()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return scan_text(path, source)
    configs: list[tuple[int, dict]] = []
    generates = False
    identifiers: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            identifiers.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            identifiers.add(node.name)
        elif isinstance(node, ast.arg):
            identifiers.add(node.arg)
        elif isinstance(node, ast.Attribute):
            identifiers.add(node.attr)
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        kwargs = {kw.arg for kw in node.keywords}
        if name in TRAINERS:
            found.uses.append(
                RouteUse(stage=TRAINERS[name], trainer=name, file=path, line=node.lineno)
            )
            found.lora |= "peft_config" in kwargs
        elif name in CONFIGS:
            configs.append((node.lineno, _literal_kwargs(node)))
        elif name in ADAPTERS:
            found.lora = True
            if name == "LoraConfig":
                found.adapter_config = _literal_kwargs(node)
        elif name == "generate":
            generates = True
        found.quantised |= name in QUANTISED or bool(kwargs & {"load_in_4bit", "load_in_8bit"})
    # A trainer's config is the last one built before it.
    for use in sorted(found.uses, key=lambda u: u.line):
        before = [c for line, c in configs if line <= use.line]
        if before:
            use.config = {k: v for k, v in before[-1].items() if _plain(v)}
    names = " ".join(sorted(identifiers))
    sft = any(u.stage == "sft" for u in found.uses)
    found.rejection = sft and (
        bool(_REJECTION.search(names)) or (generates and bool(_FILTER_HINT.search(names)))
    )
    return _apply_declared(found, _declared_plan(tree))


def _declared_plan(tree: ast.Module) -> dict:
    """The top-level `PLAN = {...}` literal of a script, if it has one."""
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "PLAN"
            and isinstance(node.value, ast.Dict)
        ):
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, SyntaxError, TypeError, RecursionError):
                return {}
            return value if isinstance(value, dict) else {}
    return {}


def _apply_declared(found: FileFindings, plan: dict) -> FileFindings:
    stages = DECLARED_ROUTES.get(str(plan.get("route")))
    if stages is not None:
        kept = [u for u in found.uses if u.stage in stages]
        if kept:  # a declaration that matches no trainer in the code is not believed
            found.uses = kept
            found.rejection = plan["route"] == "sft_rejection"
    if plan.get("method") in ("lora", "full") and found.uses:
        found.lora = plan["method"] == "lora"
        if not found.lora:
            found.adapter_config = {}
    return found


def _plain(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def scan_text(path: str, text: str) -> FileFindings:
    """Shell scripts, configs and unparsable Python: `trl <algo>` commands and trainer names."""
    found = FileFindings()
    if path.endswith(".py"):  # Python that does not parse: trainer calls by name
        for match in _TRAINER_CALL.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            trainer = match.group(1)
            found.uses.append(
                RouteUse(stage=TRAINERS[trainer], trainer=trainer, file=path, line=line)
            )
    for match in _TRL_CLI.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        found.uses.append(
            RouteUse(stage=match.group(1), trainer=f"trl {match.group(1)}", file=path, line=line)
        )
    found.lora = bool(re.search(r"--use_peft\b|--lora_r\b|\bLoraConfig\b", text))
    found.quantised = bool(re.search(r"--load_in_4bit\b|--load_in_8bit\b", text))
    return found


def scan_file(path: str, data: bytes) -> FileFindings:
    text = data.decode("utf-8", errors="replace")
    if path.endswith(".ipynb"):
        try:
            cells = json.loads(text).get("cells", [])
            text = "\n".join(
                "".join(c.get("source", ""))
                for c in cells
                if c.get("cell_type") == "code" and not "".join(c.get("source", "")).startswith("!")
            )
        except (ValueError, AttributeError):
            return FileFindings()
        return scan_python(path, text)
    if path.endswith(".py"):
        return scan_python(path, text)
    return scan_text(path, text)


def combine(
    findings: list[FileFindings], first_seen: dict[str, int], launch: dict[str, int]
) -> Route | None:
    uses = [u for f in findings for u in f.uses]
    if not uses:
        return None
    # Order: the snapshot a stage first appeared in, then the order a launcher script runs the
    # files in, then file and line.
    ordered = sorted(
        uses,
        key=lambda u: (first_seen.get(u.stage, 0), launch.get(u.file, len(launch)), u.file, u.line),
    )
    stages = list(dict.fromkeys(u.stage for u in ordered))
    lora = any(f.lora for f in findings)
    adapter = ("qlora" if any(f.quantised for f in findings) else "lora") if lora else "full"
    rejection = any(f.rejection for f in findings)
    return Route(
        stages=stages,
        adapter=adapter,
        rejection_sampling=rejection,
        name=route_name(stages, adapter, rejection),
    )


def launch_order(texts: dict[str, str], targets: list[str]) -> dict[str, int]:
    """The order in which a launcher (a script naming two or more training files) runs them."""
    names = {t: t.rsplit("/", 1)[-1] for t in dict.fromkeys(targets)}
    if len(names) < 2:
        return {}
    for launcher in sorted(texts):
        text = texts[launcher]
        found = {t: text.find(n) for t, n in names.items() if t != launcher and n in text}
        if len(found) >= 2:
            ranked = sorted(found, key=lambda t: found[t])
            return {t: rank for rank, t in enumerate(ranked)}
    return {}


def route_name(stages: list[str], adapter: str, rejection: bool) -> str:
    names = [STAGE_NAMES.get(s, s) for s in stages]
    if rejection and "sft" in stages:
        names[stages.index("sft")] = "rejection sampling + SFT"
    if len(stages) > 1 and stages[0] == "sft" and stages[1] in ("grpo", "ppo", "rloo", "dpo"):
        names[0] = names[0].replace("SFT", "SFT warm-up")
    suffix = {"lora": "LoRA", "qlora": "QLoRA", "full": "full fine-tuning"}.get(adapter, "")
    return " → ".join(names) + (f" ({suffix})" if suffix else "")


def detect_routes(
    repo: SnapshotRepo,
    snapshots: list[ev.CodeSnapshot],
    points: list[TrajectoryPoint],
    log: LogView,
    final_id: str | None,
    sources: dict[str, str] | None = None,
) -> TrainingRoutes | None:
    """`sources`: the path each submission was made from (submission id -> path)."""
    if not repo.available or not snapshots:
        return None
    cache: dict[str, FileFindings] = {}
    texts: dict[str, str] = {}
    first_seen: dict[str, int] = {}
    per_commit: dict[str, SnapshotRoute] = {}
    per_file: dict[str, list[tuple[str, FileFindings]]] = {}
    history: list[SnapshotRoute] = []
    for index, snap in enumerate(snapshots):
        if snap.commit in per_commit:
            continue
        files = [(p, b) for p, b in repo.tree(snap.commit) if p.endswith(_CODE_SUFFIXES)]
        paths = {b: p for p, b in files}
        for blob, data in repo.read_blobs(b for b in paths if b not in cache).items():
            texts[blob] = data.decode("utf-8", errors="replace")
            cache[blob] = (
                scan_file(paths[blob], data)
                if any(n.encode() in data for n in _NEEDLES)
                else FileFindings()
            )
        findings = [_relocate(cache.get(b, FileFindings()), p) for p, b in files]
        per_file[snap.commit] = [(p, f) for (p, _), f in zip(files, findings, strict=True)]
        for f in findings:
            for use in f.uses:
                first_seen.setdefault(use.stage, index)
        launch = launch_order(
            {p: texts.get(b, "") for p, b in files}, [u.file for f in findings for u in f.uses]
        )
        route = combine(findings, first_seen, launch)
        if route is None:
            continue
        adapter_config = next((f.adapter_config for f in findings if f.adapter_config), {})
        current = SnapshotRoute(
            commit=snap.commit,
            seq=snap.seq,
            route=route,
            uses=[u for f in findings for u in f.uses],
            adapter_config={k: v for k, v in adapter_config.items() if _plain(v)},
        )
        per_commit[snap.commit] = current
        if not history or history[-1].route != route:
            history.append(current)
    log_stages, log_lines = _log_evidence(log)
    if not history and not log_stages:
        return None
    return TrainingRoutes(
        snapshots=history,
        final_route=_route_at(per_commit, per_file, points, final_id, sources or {}),
        best_route=_route_at(per_commit, per_file, points, _best_id(points), sources or {}),
        log_stages=log_stages,
        log_evidence=log_lines,
    )


def _relocate(found: FileFindings, path: str) -> FileFindings:
    """Cached findings are per blob; the same content may live under another path."""
    if all(u.file == path for u in found.uses):
        return found
    uses = [u.model_copy(update={"file": path}) for u in found.uses]
    return FileFindings(uses, found.lora, found.quantised, found.adapter_config, found.rejection)


def _best_id(points: list[TrajectoryPoint]) -> str | None:
    improved = [p for p in points if p.improved]
    return improved[-1].submission_id if improved else None


def _route_at(
    per_commit: dict[str, SnapshotRoute],
    per_file: dict[str, list[tuple[str, FileFindings]]],
    points: list[TrajectoryPoint],
    submission_id: str | None,
    sources: dict[str, str],
) -> Route | None:
    point = next((p for p in points if p.submission_id == submission_id), None)
    if point is None or point.snapshot is None:
        return None
    source = sources.get(submission_id or "")
    if source:
        beside = _beside(per_file.get(point.snapshot, []), source)
        if beside:
            return combine(beside, {}, {})
    found = per_commit.get(point.snapshot)
    return found.route if found else None


def _beside(files: list[tuple[str, FileFindings]], source: str) -> list[FileFindings]:
    """Training code in the deepest folder of the snapshot that holds the submitted path."""
    target = "/" + source.strip("/") + "/"
    best: tuple[int, list[FileFindings]] = (0, [])
    for path, found in files:
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        if not found.uses or not folder or "/" + folder + "/" not in target:
            continue
        depth = folder.count("/") + 1
        if depth > best[0]:
            best = (depth, [found])
        elif depth == best[0]:
            best[1].append(found)
    return best[1]


def _log_evidence(log: LogView) -> tuple[list[str], list[LogLine]]:
    hits = log.matching(_LOG_STAGE, limit=200)
    stages: dict[str, None] = {}
    for index in hits:
        for match in _LOG_STAGE.finditer(log.lines[index]):
            stages.setdefault(TRAINERS[match.group(1)], None)
    return list(stages), [log.line(i) for i in hits[:10]]
