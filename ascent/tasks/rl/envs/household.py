"""`household`: put an object in or on a receptacle, in a small house built with TextWorld.

In the spirit of ALFWorld (which runs on TextWorld too): rooms in a row joined east-west,
receptacles that are containers (opened before use) or supporters, portable objects on or in
them, and a goal "put the mug in the cabinet". Houses are built with TextWorld's `GameMaker` and
compiled with its bundled Inform 7 at prepare time; several goals are played in each house, and
success is read from the game state's facts (`in(mug, cabinet)`), so one compiled game serves many
episodes. A room is described tersely from the game's facts (`describe`), in place of
TextWorld's generated prose; what actions answer is TextWorld's own text. The expert plans the
walk, the opening, the taking and the putting from the house's layout or from any state of a
running game (which also gives the episode's `progress`), and its actions are checked against
the real game by the tests.
"""

from __future__ import annotations

import json
import random
import re
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from ascent.tasks.rl.envs.base import EnvError, Environment, Episode

ROOMS = ["kitchen", "living room", "bedroom", "bathroom", "study", "pantry", "hallway"]
CONTAINERS = ["cabinet", "drawer", "fridge", "wardrobe", "chest", "microwave", "safe", "basket"]
SUPPORTERS = ["table", "countertop", "shelf", "desk", "dresser", "sofa", "stool"]
OBJECTS = ["mug", "apple", "book", "towel", "plate", "spoon", "candle", "pen", "pillow", "vase",
           "bowl", "remote control", "soap bar", "key", "potato", "cellphone"]  # fmt: skip
_PROMPT_TAIL = re.compile(r"\s*>[^\n]*$")
_BLANKS = re.compile(r"\n{3,}")


class Receptacle(BaseModel):
    name: str
    kind: Literal["container", "supporter"]
    room: str
    closed: bool = False

    @property
    def prep(self) -> str:
        return "in" if self.kind == "container" else "on"


class Layout(BaseModel):
    """A house: rooms from west to east, the player's room, receptacles, objects' places."""

    rooms: list[str]
    start: str
    receptacles: list[Receptacle]
    objects: dict[str, str]  # object -> receptacle

    def receptacle(self, name: str) -> Receptacle:
        return next(r for r in self.receptacles if r.name == name)


class Goal(BaseModel):
    seed: int
    game: str  # file name of the compiled game, in the games folder
    object: str
    receptacle: str
    prep: Literal["in", "on"]

    @property
    def text(self) -> str:
        return f"put the {self.object} {self.prep} the {self.receptacle}."


def make_layout(rng: random.Random, n_rooms: int = 2, per_room: int = 2, n_objects: int = 4):
    rooms = rng.sample(ROOMS, n_rooms)
    containers = rng.sample(CONTAINERS, n_rooms * per_room)
    supporters = rng.sample(SUPPORTERS, n_rooms * (per_room + 1))
    receptacles = []
    for i, room in enumerate(rooms):
        # every room has a supporter; the rest are containers or supporters
        receptacles.append(Receptacle(name=supporters[i], kind="supporter", room=room))
        for j in range(per_room - 1):
            if rng.random() < 0.6:
                name = containers[i * per_room + j]
                closed = rng.random() < 0.5
                receptacles.append(
                    Receptacle(name=name, kind="container", room=room, closed=closed)
                )
            else:
                name = supporters[n_rooms + i * per_room + j]
                receptacles.append(Receptacle(name=name, kind="supporter", room=room))
    objects = {o: rng.choice(receptacles).name for o in rng.sample(OBJECTS, n_objects)}
    return Layout(rooms=rooms, start=rng.choice(rooms), receptacles=receptacles, objects=objects)


def goals_of(layout: Layout, game: str, seeds: list[int]) -> list[Goal]:
    """One goal per seed: an object and a receptacle it is not in yet, all different."""
    options = [(o, r) for o, at in layout.objects.items() for r in layout.receptacles
               if r.name != at]  # fmt: skip
    if len(seeds) > len(options):
        raise EnvError(f"a house has {len(options)} goals, not {len(seeds)}")
    drawn = random.Random(seeds[0] if seeds else 0).sample(options, len(seeds))
    return [
        Goal(seed=seed, game=game, object=obj, receptacle=rec.name, prep=rec.prep)
        for seed, (obj, rec) in zip(seeds, drawn, strict=True)
    ]


class HouseState(BaseModel):
    """What the expert's plan depends on: the player's room, where the goal's object is (a
    receptacle, a room's floor, or `I` when carried) and which containers stand open."""

    here: str
    holder: str
    opened: frozenset[str]


def start_state(layout: Layout, goal: Goal) -> HouseState:
    opened = {r.name for r in layout.receptacles if r.kind == "container" and not r.closed}
    return HouseState(
        here=layout.start, holder=layout.objects[goal.object], opened=frozenset(opened)
    )


def read_state(facts, goal: Goal) -> HouseState | None:
    """The state of a running game, from TextWorld's facts (`at(P, room)`, `in(mug, I)`...);
    None if the facts do not place the player and the object."""
    here, holder, opened = _room(facts), "", set()
    for fact in facts:
        args = [a.name for a in fact.arguments]
        if fact.name in ("in", "on", "at") and args[0] == goal.object:
            holder = args[1]
        elif fact.name == "open":
            opened.add(args[0])
    if not here or not holder:
        return None
    return HouseState(here=here, holder=holder, opened=frozenset(opened))


def expert_plan(layout: Layout, goal: Goal, state: HouseState | None = None) -> list[str]:
    """From `state` (the start by default): walk to the object, open its container, take it,
    walk to the target, open it, put the object there."""
    state = state or start_state(layout, goal)
    plan: list[str] = []
    here = state.here
    opened = set(state.opened)

    def walk(to: str) -> None:
        nonlocal here
        a, b = layout.rooms.index(here), layout.rooms.index(to)
        plan.extend(["go east" if b > a else "go west"] * abs(b - a))
        here = to

    def open_if_closed(rec: Receptacle) -> None:
        if rec.kind == "container" and rec.name not in opened:
            plan.append(f"open {rec.name}")
            opened.add(rec.name)

    target = layout.receptacle(goal.receptacle)
    if state.holder == target.name:
        return plan
    if state.holder in layout.rooms:  # dropped on the floor
        walk(state.holder)
        plan.append(f"take {goal.object}")
    elif state.holder != "I":
        source = layout.receptacle(state.holder)
        walk(source.room)
        open_if_closed(source)
        plan.append(f"take {goal.object} from {source.name}")
    walk(target.room)
    open_if_closed(target)
    verb = "insert" if target.kind == "container" else "put"
    plan.append(f"{verb} {goal.object} {'into' if verb == 'insert' else 'on'} {target.name}")
    return plan


def build_game(layout: Layout, path: Path, seed: int):
    """A TextWorld game maker holding the layout, not yet built nor compiled."""
    import textworld
    from textworld import GameOptions

    options = GameOptions()
    options.seeds = seed
    maker = textworld.GameMaker(options)
    rooms = {name: maker.new_room(name) for name in layout.rooms}
    for west, east in zip(layout.rooms, layout.rooms[1:], strict=False):
        maker.connect(rooms[west].east, rooms[east].west)
    maker.set_player(rooms[layout.start])
    made = {}
    for rec in layout.receptacles:
        entity = maker.new(type="c" if rec.kind == "container" else "s", name=rec.name)
        if rec.kind == "container":
            entity.add_property("closed" if rec.closed else "open")
        rooms[rec.room].add(entity)
        made[rec.name] = entity
    for obj, at in layout.objects.items():
        made[at].add(maker.new(type="o", name=obj))
    return maker


def generate_games(
    games_dir: Path,
    layout_seeds: list[int],
    goals_per_game: int,
    seed_of: Callable[[int, int], int],
    part: str = "train",
) -> list[Goal]:
    """Build, compile and describe one house per layout seed; `seed_of(layout_seed, k)` names
    the k-th episode seed of a house. Compiles run two at a time (Inform 7 is a subprocess)."""
    games_dir.mkdir(parents=True, exist_ok=True)
    makers, goals = [], []
    for layout_seed in layout_seeds:
        layout = make_layout(random.Random(layout_seed))
        name = f"house-{layout_seed}"
        (games_dir / f"{name}.layout.json").write_text(layout.model_dump_json(indent=1))
        makers.append((build_game(layout, games_dir / f"{name}.z8", layout_seed), name))
        seeds = [seed_of(layout_seed, k) for k in range(goals_per_game)]
        goals += goals_of(layout, f"{name}.z8", seeds)
    # Text generation (build) is not thread-safe; the Inform 7 compiler runs two at a time.
    built = [(maker.build(), name) for maker, name in makers]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda b: _compile(b[0], games_dir / f"{b[1]}.z8"), built))
    for stray in games_dir.glob("*.ni"):
        stray.unlink()  # Inform 7 source: not needed to play
    for stray in games_dir.glob("*.i6"):
        stray.unlink()
    (games_dir / f"goals-{part}.json").write_text(
        json.dumps([g.model_dump() for g in goals], indent=1)
    )
    return goals


def _compile(game, path: Path) -> None:
    import textworld
    from textworld.generator import compile_game

    options = textworld.GameOptions()
    options.path = str(path)
    options.force_recompile = True
    compile_game(game, options)


def _listing(names: list[str]) -> str:
    names = [f"a {n}" for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def describe(layout: Layout, facts) -> str:
    """The player's room, terse and in a fixed form (as ALFWorld's text is): its receptacles
    with what is visible in or on them, objects on the floor, and its exits. It stands in for
    TextWorld's generated prose, whose flavour sentences only lengthen prompts."""
    where: dict[str, list[str]] = {}
    opened, here = set(), _room(facts)
    for fact in facts:
        args = [a.name for a in fact.arguments]
        if fact.name in ("in", "on", "at") and args[0] in layout.objects:
            where.setdefault(args[1], []).append(args[0])
        elif fact.name == "open":
            opened.add(args[0])
    parts = []
    for rec in (r for r in layout.receptacles if r.room == here):
        held = sorted(where.get(rec.name, []))
        if rec.kind == "container" and rec.name not in opened:
            parts.append(f"a {rec.name} (closed)")
        else:
            inside = f"{rec.prep} it: {_listing(held)}" if held else f"nothing {rec.prep} it"
            parts.append(f"a {rec.name} ({'open; ' if rec.kind == 'container' else ''}{inside})")
    text = f"You are in the {here}. You see {'; '.join(parts)}."
    floor = sorted(where.get(here, []))
    if floor:
        text += f" On the floor: {_listing(floor)}."
    i = layout.rooms.index(here) if here in layout.rooms else -1
    exits = (["west"] if i > 0 else []) + (["east"] if 0 <= i < len(layout.rooms) - 1 else [])
    return text + f" Exits: {', '.join(exits) or 'none'}."


def clean(feedback: str) -> str:
    """Game text without the banner, the `>` prompt and its status line."""
    text = feedback
    if "-= " in text and "$$" in text:  # the banner printed at the start of a game
        text = text[text.index("-= ") :]
    text = _PROMPT_TAIL.sub("", text.rstrip())
    return _BLANKS.sub("\n\n", text).strip()


class HouseholdEpisode(Episode):
    def __init__(self, env: HouseholdEnvironment) -> None:
        super().__init__(env.config)
        self.env = env
        self.goal: Goal | None = None
        self._game = None
        self._first_plan = 0  # expert steps from the start, and from the current state
        self._plan_left: int | None = None
        self._room = ""

    def _start(self, seed: int) -> tuple[str, str, list[str]]:
        import textworld

        self.goal = self.env.goal(seed)
        self.close()
        infos = textworld.EnvInfos(admissible_commands=True, facts=True)
        with warnings.catch_warnings():  # jericho cannot track scores of GameMaker games; unused
            warnings.simplefilter("ignore")
            self._game = textworld.start(
                str(self.env.games_dir / self.goal.game), request_infos=infos
            )
        state = self._game.reset()
        self._first_plan = len(self.expert())
        self._plan_left = self._steps_left(state)
        self._room = _room(state.facts)
        return (
            self.goal.text,
            describe(self.env.layout(self.goal.game), state.facts),
            _admissible(state),
        )

    def _act(self, action: str) -> tuple[str, float, bool, list[str]]:
        assert self._game is not None and self.goal is not None
        state, _score, _over = self._game.step(action)
        text = clean(state.feedback) or "Nothing happens."
        room = _room(state.facts)
        if room != self._room or action.split()[:1] == ["look"]:  # arrived: the new room
            text = describe(self.env.layout(self.goal.game), state.facts)
        self._room = room
        placed = any(
            fact.name == self.goal.prep
            and [a.name for a in fact.arguments] == [self.goal.object, self.goal.receptacle]
            for fact in state.facts
        )
        self._plan_left = self._steps_left(state)
        return text, 1.0 if placed else 0.0, placed, _admissible(state)

    def _steps_left(self, state) -> int | None:
        assert self.goal is not None
        now = read_state(state.facts or [], self.goal)
        layout = self.env.layout(self.goal.game)
        return None if now is None else len(expert_plan(layout, self.goal, now))

    def progress(self) -> float | None:
        """The share of the expert's plan from the start that is done: the expert's steps
        from here, against those from the start (walking away from the goal lowers it)."""
        if self._plan_left is None or not self._first_plan:
            return None
        return min(1.0, max(0.0, 1.0 - self._plan_left / self._first_plan))

    def expert(self) -> list[str]:
        if self.goal is None:
            raise EnvError("reset the episode before asking for the expert's actions")
        return expert_plan(self.env.layout(self.goal.game), self.goal)

    def close(self) -> None:
        if self._game is not None:
            self._game.close()
            self._game = None


def _room(facts) -> str:
    return next((f.arguments[1].name for f in facts or [] if f.name == "at"
                 and f.arguments[0].name == "P"), "")  # fmt: skip


def _admissible(state) -> list[str]:
    skip = ("examine", "look", "inventory")
    return [c for c in state.admissible_commands or [] if not c.startswith(skip)]


class HouseholdEnvironment(Environment):
    name = "household"

    @property
    def games_dir(self) -> Path:
        return self.data_dir / "games"

    def __init__(self, config, data_dir: Path) -> None:
        super().__init__(config, data_dir)
        try:
            files = sorted(self.games_dir.glob("goals-*.json"))
            goals = [g for f in files for g in json.loads(f.read_text())]
        except (OSError, ValueError) as exc:
            raise EnvError(f"the household games in {self.games_dir} cannot be read") from exc
        if not goals:
            raise EnvError(f"no household games in {self.games_dir}; prepare the task again")
        self._goals = {g["seed"]: Goal.model_validate(g) for g in goals}
        self._layouts: dict[str, Layout] = {}

    def goal(self, seed: int) -> Goal:
        try:
            return self._goals[seed]
        except KeyError:
            raise EnvError(f"no household episode has seed {seed}") from None

    def layout(self, game: str) -> Layout:
        if game not in self._layouts:
            path = self.games_dir / game.replace(".z8", ".layout.json")
            self._layouts[game] = Layout.model_validate_json(path.read_text())
        return self._layouts[game]

    def episode(self) -> HouseholdEpisode:
        return HouseholdEpisode(self)
