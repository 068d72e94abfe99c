"""WebShop adapter: the official WebShop catalogue and human instructions in the `shopping`
environment.

WebShop (Yao et al., 2022) ships its data as JSON files (`setup.sh` puts them in `data/`):

- `items_shuffle_1000.json` / `items_shuffle.json`: the catalogue, a list of scraped products
  with `asin`, `name`, `query`, `category`, `product_category` (`A › B › C`), `pricing`
  (`"$12.99"` or a range `"$10.00$25.00"`), `customization_options` (option name -> list of
  `{"value": ...}`), `small_description` (bullet points) and `full_description`;
- `items_ins_v2_1000.json` / `items_ins_v2.json`: asin -> `{"attributes": [...], ...}`, the
  attributes of each product;
- `items_human_ins.json`: asin -> list of human instructions, each with `instruction`,
  `instruction_attributes` and `instruction_options` (option values).

Each human instruction with attributes is one goal. As WebShop does, its price limit is drawn
from the next multiples of ten above the product's price and appended to the instruction. Pages
and actions are the `shopping` environment's (search, results by word overlap, product pages,
`choose[<option>: <value>]`, `buy`); the reward at `buy` follows WebShop's definition: the share
of the goal's attributes, options and price limit the purchase meets, times a type factor (1 when
the product's query, category path or title nouns match the goal's, lower when they do not).
Attribute and option matching is by normalised words instead of WebShop's fuzzy ratio and spaCy
nouns, so scores are close to but not identical with the official environment's.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from pydantic import BaseModel, Field

from ascent.tasks.rl.envs.base import EnvConfig, EnvError
from ascent.tasks.rl.envs.shopping import (
    PAGE,
    Instruction,
    Product,
    ShoppingEnvironment,
    ShoppingEpisode,
    rank,
    write_catalogue,
)

ITEMS_FILE = "webshop_items.jsonl"
GOALS_FILE = "webshop_goals.jsonl"
CATALOGUE_NAMES = ("items_shuffle.json", "items_shuffle_1000.json")
ATTRIBUTE_NAMES = ("items_ins_v2.json", "items_ins_v2_1000.json")
HUMAN_GOALS = "items_human_ins.json"
EXACT_OPTIONS = ("size",)  # WebShop matches sizes exactly, other options loosely
NO_LIMIT = 1_000_000.0
_STOP = frozenset([
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of", "on",
    "or", "the", "to", "with",
])  # fmt: skip


class Item(BaseModel):
    """What the reward reads of one product beyond its page."""

    asin: str
    query: str
    product_category: str
    attributes: list[str]
    text: str = Field(description="Title, bullet points and description, lower case.")


class Goal(BaseModel):
    seed: int
    asin: str
    name: str
    text: str
    attributes: list[str]
    options: list[str]
    price_upper: float


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def option_value(value: str) -> str:
    return value.strip().replace("/", " | ").lower()


def parse_price(pricing: object) -> float:
    """The lowest price of WebShop's `pricing` text; products without one cost 100 there."""
    if isinstance(pricing, str):
        prices = [re.sub(r"[^\d.]", "", p) for p in pricing.split("$")[1:]]
        values = [float(p) for p in prices if re.fullmatch(r"\d+(\.\d+)?|\.\d+", p)]
        if values:
            return values[0]
    return 100.0


def read_products(raw: list[dict], attributes: dict) -> tuple[list[Product], list[Item]]:
    """The catalogue in the shopping environment's terms, and the reward's view of each item;
    records without a 10-character asin or seen before are skipped, as WebShop does."""
    products, items, seen = [], [], set()
    for index, record in enumerate(raw):
        missing = [k for k in ("asin", "name") if not record.get(k)]
        if missing:
            raise EnvError(f"WebShop product {index} lacks {', '.join(missing)}")
        asin = str(record["asin"])
        if asin == "nan" or len(asin) > 10 or asin in seen:
            continue
        seen.add(asin)
        options: dict[str, list[str]] = {}
        for name, contents in (record.get("customization_options") or {}).items():
            if contents:
                options[name.lower()] = [option_value(c["value"]) for c in contents]
        bullets = record.get("small_description") or []
        bullets = bullets if isinstance(bullets, list) else [str(bullets)]
        title = str(record["name"]).strip()
        products.append(
            Product(
                id=asin,
                title=title,
                category=str(record.get("category", "")),
                material="",
                price=parse_price(record.get("pricing")),
                options=options,
            )
        )
        text = " ".join([title, *map(str, bullets), str(record.get("full_description") or "")])
        items.append(
            Item(
                asin=asin,
                query=str(record.get("query", "")).lower().strip(),
                product_category=str(record.get("product_category", "")),
                attributes=list((attributes.get(asin) or {}).get("attributes") or []),
                text=text.lower(),
            )
        )
    return products, items


def price_limit(price: float, rng: random.Random) -> float:
    """WebShop's limit: the larger of two of the four next multiples of ten above the price."""
    above = [10.0 * i for i in range(1, 100) if 10.0 * i > price][:4]
    if len(above) < 2:
        return NO_LIMIT
    return max(rng.sample(above, 2))


def read_goals(human: dict, products: list[Product], seed: int) -> list[Goal]:
    """One goal per human instruction with attributes, in catalogue order."""
    by_asin = {p.id: p for p in products}
    items = [(a, by_asin[a]) for a in by_asin if a in human]
    rng = random.Random(seed)
    goals = []
    for asin, product in items:
        for entry in human[asin]:
            attrs = list(entry.get("instruction_attributes") or [])
            if not attrs or not entry.get("instruction"):
                continue
            limit = price_limit(product.price, rng)
            text = str(entry["instruction"]).strip().strip(".")
            if limit < NO_LIMIT:
                text += f", and price lower than {limit:.2f} dollars"
            goals.append(
                Goal(
                    seed=len(goals),
                    asin=asin,
                    name=product.title,
                    text=text,
                    attributes=attrs,
                    options=[option_value(o) for o in entry.get("instruction_options") or []],
                    price_upper=limit,
                )
            )
    return goals


def loose_match(wanted: str, offered: str) -> bool:
    """Every word of the shorter side appears on the other (a stand-in for a fuzzy ratio)."""
    a, b = set(words(wanted)) - _STOP, set(words(offered)) - _STOP
    return bool(a and b) and (a <= b or b <= a)


def type_factor(item: Item, title: str, goal: Goal, goal_item: Item) -> float:
    query_match = item.query == goal_item.query
    path = {x.strip() for x in item.product_category.split("›")}
    goal_path = {x.strip() for x in goal_item.product_category.split("›")}
    category_match = len((path & goal_path) - {""}) >= 2
    wanted = {w for w in words(goal.name) if w not in _STOP and not w.isdigit()}
    got = {w for w in words(title) if w not in _STOP}
    title_score = len(wanted & got) / len(wanted) if wanted else 0.2
    factor = 1.0 if (query_match or category_match or title_score > 0.2) else 0.5
    if title_score == 0.0:
        return 0.0
    return 0.1 if title_score < 0.1 else factor


def reward(
    product: Product, item: Item, chosen: dict[str, str], goal: Goal, goal_item: Item
) -> float:
    """WebShop's reward: (attributes met + options met + price met) / (their number), times the
    type factor."""
    attrs = sum(
        any(loose_match(a, p) for p in item.attributes) or a.lower() in item.text
        for a in goal.attributes
    )
    options = 0
    for name, value in chosen.items():
        if name in EXACT_OPTIONS:
            hit = value in goal.options
        else:
            hit = any(loose_match(g, value) for g in goal.options)
        options += hit or value in item.text
    options = min(options, len(goal.options))
    price = product.price <= goal.price_upper
    total = (attrs + options + price) / (len(goal.attributes) + len(goal.options) + 1)
    return total * type_factor(item, product.title, goal, goal_item)


class WebShopEpisode(ShoppingEpisode):
    env: WebShopEnvironment

    def __init__(self, env: WebShopEnvironment) -> None:
        super().__init__(env)
        self.goal: Goal | None = None

    def _start(self, seed: int) -> tuple[str, str, list[str]]:
        goal = self.env.goal(seed)
        self.goal = goal
        # the shopping pages only need an instruction to exist; the goal is WebShop's
        self.wanted = Instruction(seed=seed, category="", material="", options={}, max_price=0)
        self.page, self.results, self.offset, self.product, self.chosen = "search", [], 0, None, {}
        return goal.text, f"Instruction: {goal.text}\n[Search]", self._actions()

    def _act(self, action: str) -> tuple[str, float, bool, list[str]]:
        if action.strip() == "buy" and self.page == "product":
            assert self.product is not None and self.goal is not None
            score = self.env.score(self.product, self.chosen, self.goal)
            return f"You bought {self.product.title}.", score, True, []
        return super()._act(action)

    def expert(self) -> list[str]:
        """Search the goal product's title, page to it, choose the option values the goal
        names, buy."""
        if self.goal is None:
            raise EnvError("reset the episode before asking for the expert's actions")
        goal, product = self.goal, self.env.products[self.goal.asin]
        query = " ".join(words(product.title)[:12]) or product.id
        ranked = [p.id for p in rank(self.env.catalogue, query)]
        index = ranked.index(product.id)
        plan = [f"search[{query}]", *["next"] * (index // PAGE), f"click[{product.id}]"]
        for wanted in goal.options:
            for name, values in product.options.items():
                value = next((v for v in values if v == wanted), None)
                value = value or next((v for v in values if loose_match(wanted, v)), None)
                if value is not None:
                    plan.append(f"choose[{name}: {value}]")
                    break
        return [*plan, "buy"]


class WebShopEnvironment(ShoppingEnvironment):
    name = "webshop"

    def __init__(self, config: EnvConfig, data_dir: Path) -> None:
        super().__init__(config, data_dir)
        try:
            items = (data_dir / ITEMS_FILE).read_text(encoding="utf-8").splitlines()
            goals = (data_dir / GOALS_FILE).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise EnvError(f"the WebShop data in {data_dir} cannot be read") from exc
        self.items = {i.asin: i for i in map(Item.model_validate_json, filter(None, items))}
        self.goals = {g.seed: g for g in map(Goal.model_validate_json, filter(None, goals))}

    def goal(self, seed: int) -> Goal:
        if seed not in self._known or seed not in self.goals:
            raise EnvError(f"no WebShop episode has seed {seed}")
        return self.goals[seed]

    def score(self, product: Product, chosen: dict[str, str], goal: Goal) -> float:
        return reward(product, self.items[product.id], chosen, goal, self.items[goal.asin])

    def episode(self) -> WebShopEpisode:
        return WebShopEpisode(self)


def write_webshop(
    data_dir: Path, products: list[Product], items: list[Item], goals: list[Goal]
) -> None:
    write_catalogue(data_dir, products)
    for name, rows in ((ITEMS_FILE, items), (GOALS_FILE, goals)):
        text = "\n".join(json.dumps(r.model_dump()) for r in rows) + "\n"
        (data_dir / name).write_text(text, encoding="utf-8")
