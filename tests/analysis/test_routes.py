"""Training-route detection on synthetic snapshot repositories made by the real Snapshotter."""

from __future__ import annotations

from pathlib import Path

from ascent.analysis.gitview import SnapshotRepo
from ascent.analysis.logs import LogView
from ascent.analysis.routes import detect_routes
from ascent.analysis.schema import TrajectoryPoint
from ascent.record import events as ev
from ascent.record.snapshots import Snapshotter

SFT_LORA = """
from peft import LoraConfig
from trl import SFTConfig, SFTTrainer

config = SFTConfig(output_dir="out", learning_rate=2e-4, num_train_epochs=1)
peft = LoraConfig(r=16, lora_alpha=32, target_modules=["q_proj", "v_proj"])
trainer = SFTTrainer(model=BASE, args=config, train_dataset=data, peft_config=peft)
trainer.train()
"""
DPO_FULL = """
from trl import DPOConfig, DPOTrainer

args = DPOConfig(output_dir="out", beta=0.1)
DPOTrainer(model=model, ref_model=None, args=args, train_dataset=pairs).train()
"""
GRPO_QLORA = """
import transformers
from peft import LoraConfig, get_peft_model
from trl import GRPOConfig, GRPOTrainer

quant = transformers.BitsAndBytesConfig(load_in_4bit=True)
model = get_peft_model(load(quant), LoraConfig(r=8))
args = GRPOConfig(output_dir="out", num_generations=8, max_completion_length=256)
GRPOTrainer(model=model, reward_funcs=[exact_match], args=args, train_dataset=prompts).train()
"""
WARMUP_THEN_GRPO = """
from trl import GRPOConfig, GRPOTrainer, SFTConfig, SFTTrainer

SFTTrainer(model=BASE, args=SFTConfig(output_dir="warm", max_steps=50), train_dataset=demos).train()
GRPOTrainer(model="warm", reward_funcs=[score], args=GRPOConfig(output_dir="rl"), train_dataset=prompts).train()
"""
REJECTION = """
from trl import SFTTrainer

def rejection_sample(model, prompts, n=8):
    keep = []
    for prompt in prompts:
        outs = model.generate(prompt, num_return_sequences=n)
        keep += [o for o in outs if reward(prompt, o) > 0.5]
    return keep

SFTTrainer(model=BASE, train_dataset=rejection_sample(BASE, prompts)).train()
"""
PPO = """
from trl import PPOConfig, PPOTrainer
PPOTrainer(args=PPOConfig(output_dir="o", kl_coef=0.05), model=policy, ref_model=ref, reward_model=rm)
"""


class Repo:
    """A workspace whose code is snapshotted like the harness does, with the events it emits."""

    def __init__(self, root: Path) -> None:
        self.workspace = root / "workspace"
        self.workspace.mkdir(parents=True)
        self.git_dir = root / "snapshots.git"
        self.snapshotter = Snapshotter(self.git_dir, self.workspace)
        self.events: list[ev.CodeSnapshot] = []

    def snapshot(self, files: dict[str, str], reason: str = "periodic") -> str:
        for name, text in files.items():
            path = self.workspace / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        snap = self.snapshotter.snapshot(reason)
        assert snap is not None
        seq = len(self.events) * 2 + 1
        self.events.append(
            ev.CodeSnapshot(
                seq=seq, commit=snap.commit, reason=reason, files=snap.files, changed=snap.changed
            )
        )
        return snap.commit

    def routes(self, points=(), log: str = "", final: str | None = None, sources=None):
        return detect_routes(
            SnapshotRepo(self.git_dir), self.events, list(points), LogView(log), final, sources
        )


def point(sid: str, commit: str, score: float, improved: bool) -> TrajectoryPoint:
    return TrajectoryPoint(
        submission_id=sid, seq=None, seconds=1.0, status="ok", valid=True, score=score,
        best_so_far=score, improved=improved, snapshot=commit,
    )  # fmt: skip


def final_route(tmp_path: Path, files: dict[str, str]):
    repo = Repo(tmp_path)
    commit = repo.snapshot(files)
    result = repo.routes([point("s0001", commit, 0.5, True)], final="s0001")
    assert result is not None
    return result


def test_sft_with_lora_and_its_configuration(tmp_path):
    result = final_route(tmp_path, {"train.py": SFT_LORA})
    route = result.final_route
    assert route.stages == ["sft"] and route.adapter == "lora" and route.name == "SFT (LoRA)"
    [snap] = result.snapshots
    assert snap.adapter_config["r"] == 16 and snap.adapter_config["lora_alpha"] == 32
    [use] = snap.uses
    assert (use.trainer, use.file, use.line) == ("SFTTrainer", "train.py", 7)
    assert use.config == {"output_dir": "out", "learning_rate": 2e-4, "num_train_epochs": 1}


def test_dpo_with_full_fine_tuning(tmp_path):
    route = final_route(tmp_path, {"dpo.py": DPO_FULL}).final_route
    assert route.stages == ["dpo"] and route.adapter == "full"
    assert route.name == "DPO (full fine-tuning)"


def test_grpo_with_qlora(tmp_path):
    result = final_route(tmp_path, {"rl/grpo.py": GRPO_QLORA})
    assert result.final_route.name == "GRPO (QLoRA)"
    assert result.snapshots[0].uses[0].config["num_generations"] == 8


def test_ppo(tmp_path):
    result = final_route(tmp_path, {"ppo.py": PPO})
    assert result.final_route.stages == ["ppo"]
    assert result.snapshots[0].uses[0].config["kl_coef"] == 0.05


def test_sft_warm_up_then_grpo_in_one_file(tmp_path):
    route = final_route(tmp_path, {"train.py": WARMUP_THEN_GRPO}).final_route
    assert route.stages == ["sft", "grpo"]
    assert route.name == "SFT warm-up → GRPO (full fine-tuning)"


def test_warm_up_then_grpo_across_snapshots(tmp_path):
    repo = Repo(tmp_path)
    first = repo.snapshot({"sft.py": SFT_LORA})
    second = repo.snapshot({"grpo.py": GRPO_QLORA})
    result = repo.routes(
        [point("s0001", first, 0.4, True), point("s0002", second, 0.6, True)], final="s0001"
    )
    assert [s.route.name for s in result.snapshots] == [
        "SFT (LoRA)",
        "SFT warm-up → GRPO (QLoRA)",
    ]
    # s0002 set the last new best; the agent chose s0001 as final
    assert result.final_route.name == "SFT (LoRA)"
    assert result.best_route.name == "SFT warm-up → GRPO (QLoRA)"


def test_a_launcher_script_orders_stages_across_files(tmp_path):
    files = {
        "a_grpo.py": GRPO_QLORA,
        "z_sft.py": SFT_LORA,
        "run.sh": "set -e\npython z_sft.py\npython a_grpo.py\n",
    }
    route = final_route(tmp_path, files).final_route
    assert route.stages == ["sft", "grpo"]


def test_rejection_sampling_before_sft(tmp_path):
    route = final_route(tmp_path, {"rft.py": REJECTION}).final_route
    assert route.rejection_sampling and route.name == "rejection sampling + SFT (full fine-tuning)"
    # plain SFT that generates for evaluation only is not rejection sampling
    plain = SFT_LORA + "\nprint(model.generate(prompt))\n"
    assert not final_route(tmp_path / "plain", {"train.py": plain}).final_route.rejection_sampling


def test_trl_command_lines_and_unparsable_python(tmp_path):
    files = {
        "run.sh": "trl dpo --model_name_or_path base --use_peft --lora_r 16\n",
        "broken.py": "from trl import GRPOTrainer\nGRPOTrainer(model=m,\n",
    }
    result = final_route(tmp_path, files)
    assert set(result.final_route.stages) == {"dpo", "grpo"}
    assert result.final_route.adapter == "lora"


def test_log_mentions_are_evidence_not_the_route(tmp_path):
    repo = Repo(tmp_path)
    repo.snapshot({"notes.md": "plan: try GRPOTrainer later\n", "main.py": "print(1)\n"})
    log = "loading\n[GRPOTrainer] step 10 reward 0.2\n"
    result = repo.routes(log=log)
    assert result.snapshots == [] and result.final_route is None
    assert result.log_stages == ["grpo"]
    assert [ln.number for ln in result.log_evidence] == [2]


def test_code_without_training_has_no_route(tmp_path):
    repo = Repo(tmp_path)
    repo.snapshot({"model.py": "from sklearn.linear_model import Ridge\nRidge().fit(x, y)\n"})
    assert repo.routes() is None


def rl_script(**plan) -> str:
    """A script the RL skills render: the code of every route, dispatched on PLAN."""
    from ascent.drivers.models import TaskBrief
    from ascent.tasks.rl.skills import RlPlan, RlSkills

    brief = TaskBrief(task_id="t", family="rl", description="", profile={"reward": "numeric"})
    return RlSkills().solution(RlPlan(**plan), brief).code


def test_a_declared_plan_narrows_a_script_holding_every_route(tmp_path):
    cases = {
        ("sft", "lora"): "SFT (LoRA)",
        ("sft_rejection", "lora"): "rejection sampling + SFT (LoRA)",
        ("grpo", "full"): "GRPO (full fine-tuning)",
        ("dpo", "lora"): "DPO (LoRA)",
        ("sft_then_grpo", "full"): "SFT warm-up → GRPO (full fine-tuning)",
    }
    for (route, method), name in cases.items():
        files = {"train.py": rl_script(route=route, method=method)}
        assert final_route(tmp_path / route, files).final_route.name == name
    # a declaration naming no trainer of the code is not believed
    lying = "PLAN = {'route': 'grpo'}\n" + SFT_LORA
    assert final_route(tmp_path / "lying", {"train.py": lying}).final_route.stages == ["sft"]


def test_a_submission_takes_the_route_of_the_code_beside_it(tmp_path):
    repo = Repo(tmp_path)
    first = repo.snapshot({"solutions/node_0000/train.py": rl_script(route="sft_rejection")})
    second = repo.snapshot({"solutions/node_0001/train.py": rl_script(route="sft_then_grpo")})
    points = [point("s0001", first, 0.2, True), point("s0002", second, 0.5, True)]
    sources = {
        "s0001": "/workspace/solutions/node_0000/model",
        "s0002": "/workspace/solutions/node_0001/model",
    }
    result = repo.routes(points, final="s0001", sources=sources)
    assert result.final_route.name == "rejection sampling + SFT (LoRA)"
    assert result.best_route.name == "SFT warm-up → GRPO (LoRA)"
    # without the sources, the snapshot's code as a whole
    whole = repo.routes(points, final="s0002").final_route
    assert whole.stages == ["sft", "grpo"] and whole.rejection_sampling
