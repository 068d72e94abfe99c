"""ALFWorld adapter: the real ALFWorld games, played through the `alfworld` package.

ALFWorld's text games are TextWorld games (`game.tw-pddl`, one per trial under
`json_2.1.1/<split>/<task type>/<trial>/`), downloaded by the user with `alfworld-download`
into `$ALFWORLD_DATA`. The adapter starts each game with ALFWorld's own wrappers (the demangler
that names objects `mug 1`, `countertop 2`, and its game-file infos), reads the goal from the
opening text (`Your task is to: ...`), counts a won game as success, and takes the expert's
actions from the game's policy commands (ALFWorld's "planner" expert). Any other TextWorld game
with a quest (`.z8`, `.ulx`) is played the same way without the demangler, which is how the
adapter is tested here, where ALFWorld's data cannot be downloaded.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

from ascent.tasks.rl.envs.base import EnvError, Environment, Episode
from ascent.tasks.rl.envs.household import clean

GAMES_FILE = "alfworld_games.json"
SPLITS = {"train": "train", "test": "valid_unseen"}
_TASK = re.compile(r"Your task is to:\s*(.+)", re.I)


def find_games(root: Path, split: str) -> list[Path]:
    """The game files of one split (`train`, `valid_seen`, `valid_unseen`), sorted: ALFWorld's
    `game.tw-pddl`, or compiled TextWorld games (`game.z8`, `game.ulx`) laid out the same way."""
    base = root / "json_2.1.1" / split
    if not base.is_dir():
        return []
    return sorted(
        p for name in ("game.tw-pddl", "game.z8", "game.ulx") for p in base.glob(f"*/*/{name}")
    )


def write_games(private: Path, games: dict[int, Path]) -> None:
    table = {str(seed): str(path) for seed, path in games.items()}
    (private / GAMES_FILE).write_text(json.dumps(table, indent=1), encoding="utf-8")


class AlfworldEpisode(Episode):
    def __init__(self, env: AlfworldEnvironment) -> None:
        super().__init__(env.config)
        self.env = env
        self._game = None
        self._expert: list[str] = []

    def _start(self, seed: int) -> tuple[str, str, list[str]]:
        import textworld

        path = self.env.game(seed)
        wrappers = []
        if path.suffix == ".tw-pddl":  # ALFWorld's own games need its name demangler
            from alfworld.agents.environment.alfred_tw_env import AlfredDemangler, AlfredInfos

            wrappers = [AlfredDemangler(), AlfredInfos]
        infos = textworld.EnvInfos(
            admissible_commands=True, won=True, lost=True, policy_commands=True, objective=True
        )
        self.close()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._game = textworld.start(str(path), request_infos=infos, wrappers=wrappers)
            state = self._game.reset()
        text = clean(state.feedback)
        found = _TASK.search(text)
        goal = found.group(1).strip() if found else (state.objective or "").strip()
        self._expert = list(state.policy_commands or [])
        return goal, text, list(state.admissible_commands or [])

    def _act(self, action: str) -> tuple[str, float, bool, list[str]]:
        assert self._game is not None
        state, _score, over = self._game.step(action)
        won = bool(state.won)
        return (
            clean(state.feedback) or "Nothing happens.",
            1.0 if won else 0.0,
            over or won,
            list(state.admissible_commands or []),
        )

    def expert(self) -> list[str]:
        if self.seed is None:
            raise EnvError("reset the episode before asking for the expert's actions")
        return list(self._expert)

    def close(self) -> None:
        if self._game is not None:
            self._game.close()
            self._game = None


class AlfworldEnvironment(Environment):
    name = "alfworld"

    def __init__(self, config, data_dir: Path) -> None:
        super().__init__(config, data_dir)
        try:
            table = json.loads((data_dir / GAMES_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise EnvError(f"the ALFWorld game list in {data_dir} cannot be read") from exc
        self._games = {int(seed): Path(path) for seed, path in table.items()}

    def game(self, seed: int) -> Path:
        path = self._games.get(seed)
        if path is None:
            raise EnvError(f"no ALFWorld episode has seed {seed}")
        if not path.is_file():
            raise EnvError(
                f"the ALFWorld game {path} is gone",
                hint="download the data again (alfworld-download)",
            )
        return path

    def episode(self) -> AlfworldEpisode:
        return AlfworldEpisode(self)
