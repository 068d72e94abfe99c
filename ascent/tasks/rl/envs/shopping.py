"""`shopping`: find and buy the product an instruction asks for, in a generated catalogue.

In the spirit of WebShop: a search page, a results page (five products a page, ranked by word
overlap with the query), product pages with options to choose, and `buy`. Actions:
`search[words]`, `click[<product id>]`, `choose[<option>: <value>]`, `next`, `back`, `buy`.
The reward, given at `buy`, is the share of the instruction's requirements the bought product
meets: its category, its material, each option asked for (chosen on the page), and the price
limit; success is all of them. The catalogue is generated from the task's seed at prepare time;
each episode seed draws one instruction for a product that exists.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from pydantic import BaseModel

from ascent.tasks.rl.envs.base import EnvError, Environment, Episode

CATEGORIES = {
    "t-shirt": ["size"], "hoodie": ["size"], "sneakers": ["size"], "backpack": [],
    "mug": [], "water bottle": [], "desk lamp": [], "headphones": [], "notebook": [],
    "phone case": [], "scarf": [], "wallet": [],
}  # fmt: skip
MATERIALS = ["cotton", "wool", "leather", "steel", "bamboo", "ceramic", "canvas", "plastic"]
COLORS = ["red", "blue", "black", "white", "green", "grey", "yellow", "navy"]
SIZES = ["s", "m", "l", "xl"]
BRANDS = ["Nordby", "Kestrel", "Aurum", "Pike & Co", "Lumen", "Ostrava", "Brio", "Tamsin"]
PAGE = 5
_ACTION = re.compile(r"^(search|click|choose)\[(.*)\]$|^(next|back|buy)$")


class Product(BaseModel):
    id: str
    title: str
    category: str
    material: str
    price: float
    options: dict[str, list[str]]


class Instruction(BaseModel):
    seed: int
    category: str
    material: str
    options: dict[str, str]
    max_price: float

    @property
    def text(self) -> str:
        wanted = ", ".join(f"{k} {v}" for k, v in self.options.items())
        return (
            f"buy a {self.material} {self.category}"
            + (f" ({wanted})" if wanted else "")
            + f" for less than {self.max_price:.0f} dollars."
        )


def make_catalogue(seed: int, n: int = 240) -> list[Product]:
    rng = random.Random(seed)
    products = []
    for i in range(n):
        category = rng.choice(sorted(CATEGORIES))
        material = rng.choice(MATERIALS)
        options = {"color": sorted(rng.sample(COLORS, rng.randint(2, 4)))}
        if "size" in CATEGORIES[category]:
            options["size"] = [s for s in SIZES if rng.random() < 0.7] or ["m"]
        brand = rng.choice(BRANDS)
        products.append(
            Product(
                id=f"P{seed % 100:02d}{i:04d}",
                title=f"{brand} {material} {category}",
                category=category,
                material=material,
                price=float(rng.randint(8, 120)),
                options=options,
            )
        )
    return products


def make_instruction(catalogue: list[Product], seed: int) -> Instruction:
    """An instruction some product of the catalogue satisfies."""
    rng = random.Random(seed)
    product = rng.choice(catalogue)
    options = {k: rng.choice(v) for k, v in product.options.items()}
    return Instruction(
        seed=seed,
        category=product.category,
        material=product.material,
        options=options,
        max_price=product.price + rng.choice([1, 5, 10]),
    )


def satisfaction(product: Product, chosen: dict[str, str], wanted: Instruction) -> float:
    checks = [product.category == wanted.category, product.material == wanted.material]
    checks += [chosen.get(k) == v for k, v in wanted.options.items()]
    checks.append(product.price <= wanted.max_price)
    return sum(checks) / len(checks)


def rank(catalogue: list[Product], query: str) -> list[Product]:
    words = set(re.findall(r"[a-z0-9-]+", query.lower()))

    def overlap(p: Product) -> int:
        return len(words & set(re.findall(r"[a-z0-9-]+", p.title.lower())))

    hits = [p for p in catalogue if overlap(p) > 0]
    return sorted(hits, key=lambda p: (-overlap(p), p.price, p.id))


class ShoppingEpisode(Episode):
    def __init__(self, env: ShoppingEnvironment) -> None:
        super().__init__(env.config)
        self.env = env
        self.wanted: Instruction | None = None
        self.page = "search"
        self.results: list[Product] = []
        self.offset = 0
        self.product: Product | None = None
        self.chosen: dict[str, str] = {}

    def _start(self, seed: int) -> tuple[str, str, list[str]]:
        self.wanted = self.env.instruction(seed)
        self.page, self.results, self.offset, self.product, self.chosen = "search", [], 0, None, {}
        return self.wanted.text, f"Instruction: {self.wanted.text}\n[Search]", self._actions()

    def _act(self, action: str) -> tuple[str, float, bool, list[str]]:
        assert self.wanted is not None
        match = _ACTION.match(action.strip())
        if match is None:
            text = "Invalid action: use search[...], click[...], choose[...], next, back or buy."
            return text, 0.0, False, self._actions()
        verb = match.group(1) or match.group(3)
        arg = (match.group(2) or "").strip()
        if verb == "search" and self.page == "search" and arg:
            self.results, self.offset, self.page = rank(self.env.catalogue, arg), 0, "results"
        elif verb == "next" and self.page == "results" and self.offset + PAGE < len(self.results):
            self.offset += PAGE
        elif verb == "click" and self.page == "results" and arg in self._listed():
            self.product = self.env.products[arg]
            self.chosen, self.page = {}, "product"
        elif verb == "choose" and self.page == "product" and self._option(arg):
            pass
        elif verb == "back" and self.page in ("results", "product"):
            self.page = "search" if self.page == "results" else "results"
        elif verb == "buy" and self.page == "product":
            assert self.product is not None
            reward = satisfaction(self.product, self.chosen, self.wanted)
            return f"You bought {self.product.title}.", reward, True, []
        else:
            return f"Nothing happens: {action} is not possible here.", 0.0, False, self._actions()
        return self._render(), 0.0, False, self._actions()

    def _listed(self) -> list[str]:
        return [p.id for p in self.results[self.offset : self.offset + PAGE]]

    def _option(self, arg: str) -> bool:
        assert self.product is not None
        name, _, value = (part.strip() for part in arg.partition(":"))
        if value not in self.product.options.get(name, []):
            return False
        self.chosen[name] = value
        return True

    def _render(self) -> str:
        if self.page == "search":
            return "[Search]"
        if self.page == "results":
            if not self.results:
                return "No products match. [Back to search]"
            shown = self.results[self.offset : self.offset + PAGE]
            rows = [f"[{p.id}] {p.title} - ${p.price:.0f}" for p in shown]
            return (
                f"Results {self.offset + 1}-{self.offset + len(shown)} of {len(self.results)}:\n"
                + "\n".join(rows)
            )
        assert self.product is not None
        options = "; ".join(f"{k}: {', '.join(v)}" for k, v in self.product.options.items())
        chosen = ", ".join(f"{k}: {v}" for k, v in self.chosen.items()) or "none"
        return (
            f"{self.product.title} - ${self.product.price:.0f}\nOptions: {options}\n"
            f"Chosen: {chosen}\n[Buy] [Back]"
        )

    def _actions(self) -> list[str]:
        if self.page == "search":
            return ["search[<words>]"]
        if self.page == "results":
            more = ["next"] if self.offset + PAGE < len(self.results) else []
            return [f"click[{i}]" for i in self._listed()] + more + ["back"]
        assert self.product is not None
        choices = [f"choose[{k}: {v}]" for k, vs in self.product.options.items() for v in vs]
        return [*choices, "buy", "back"]

    def expert(self) -> list[str]:
        """Search for material and category, page to the first product that meets every
        requirement, choose the options asked for, buy."""
        if self.wanted is None:
            raise EnvError("reset the episode before asking for the expert's actions")
        wanted = self.wanted
        query = f"{wanted.material} {wanted.category}"
        plan = [f"search[{query}]"]
        for index, product in enumerate(rank(self.env.catalogue, query)):
            offered = all(v in product.options.get(k, []) for k, v in wanted.options.items())
            if offered and satisfaction(product, dict(wanted.options), wanted) == 1.0:
                plan += ["next"] * (index // PAGE) + [f"click[{product.id}]"]
                plan += [f"choose[{k}: {v}]" for k, v in wanted.options.items()]
                return [*plan, "buy"]
        raise EnvError(f"no product meets instruction {wanted.seed}")


class ShoppingEnvironment(Environment):
    name = "shopping"

    def __init__(self, config, data_dir: Path) -> None:
        super().__init__(config, data_dir)
        path = data_dir / "catalogue.jsonl"
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise EnvError(f"the shopping catalogue {path} cannot be read") from exc
        self.catalogue = [Product.model_validate_json(line) for line in lines if line.strip()]
        self.products = {p.id: p for p in self.catalogue}
        self._known = set(config.train_seeds) | set(config.test_seeds)

    def instruction(self, seed: int) -> Instruction:
        if seed not in self._known:
            raise EnvError(f"no shopping episode has seed {seed}")
        return make_instruction(self.catalogue, seed)

    def episode(self) -> ShoppingEpisode:
        return ShoppingEpisode(self)


def write_catalogue(data_dir: Path, catalogue: list[Product]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(p.model_dump()) for p in catalogue]
    (data_dir / "catalogue.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
