"""Test agent for level-3 RL tasks, standard library only.

Plays EPISODES training episodes through the environment API: the first replays an expert
demonstration from public/demonstrations.jsonl, the others answer with the first valid action.
Asks for a seed that is not a training seed (and notes the refusal), writes what it saw to
output/env_log.json, then submits a copy of the base model.
"""

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

EPISODES = 3
workspace = Path(os.environ["WORKSPACE"])
url, token = os.environ["GRADING_SERVER_URL"], os.environ["ASCENT_TOKEN"]


def call(route, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url + route,
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


demos = [
    json.loads(x) for x in (workspace / "public" / "demonstrations.jsonl").read_text().splitlines()
]
facts = json.loads((workspace / "public" / "environment.json").read_text())
log = {"episodes": [], "info": call("/env/info")[1]}
for k in range(EPISODES):
    demo = demos[k] if k == 0 else None
    seed = demo["seed"] if demo else facts["train_seeds"][k]
    status, started = call("/env/reset", {"seed": seed})
    assert status == 200, started
    episode_id, observation, steps = started["episode_id"], started["observation"], []
    for turn in range(facts["max_steps"]):
        if demo:
            action = demo["steps"][turn]["action"]
        else:
            action = (observation["admissible_actions"] or ["look"])[0]
        status, result = call("/env/step", {"episode_id": episode_id, "action": action})
        assert status == 200, result
        steps.append(action)
        observation = result["observation"]
        if result["done"]:
            break
    log["episodes"].append(
        {"id": episode_id, "seed": seed, "steps": steps, "success": result["success"]}
    )
log["held_out"] = call("/env/reset", {"seed": -12345})
(workspace / "output" / "env_log.json").write_text(json.dumps(log, indent=1))

model = workspace / "output" / "model"
shutil.copytree(os.environ["BASE_MODEL"], model, dirs_exist_ok=True)
done = subprocess.run(
    [str(workspace / "submit"), str(model), "--final"], capture_output=True, text=True
)
print(done.stdout, done.stderr)
sys.exit(done.returncode)
