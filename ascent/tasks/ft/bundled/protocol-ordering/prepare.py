"""Putting the shuffled steps of a lab protocol back in order.

Each protocol of this file is a canonical sequence of steps, each step with two wordings. A
question takes 4 or 5 steps of one protocol (in their canonical order), picks a wording for each,
shuffles them (never leaving them in order) and labels them A-E; the answer is the labels in the
canonical order. `solve` maps the steps of any prompt of the task back to their positions.
"""

from __future__ import annotations

import random
from pathlib import Path

from ascent.tasks.ft import kit

TEMPLATE = (
    "Order the steps of this {protocol} protocol.\n{steps}\nAnswer with the letters in order."
)
LETTERS = "ABCDE"

PROTOCOLS: dict[str, list[tuple[str, str]]] = {
    "PCR": [
        ("Thaw the primers, dNTPs and buffer on ice.", "Let the PCR reagents thaw on ice."),
        (
            "Mix template DNA, primers, dNTPs and polymerase in a tube.",
            "Combine the template, primers, nucleotides and Taq polymerase.",
        ),
        ("Heat to 95 °C to denature the DNA.", "Separate the DNA strands at 95 °C."),
        ("Cool to 55 °C so the primers anneal.", "Let the primers bind at 55 °C."),
        ("Warm to 72 °C so the polymerase extends.", "Extend the new strands at 72 °C."),
        ("Repeat the cycle about 30 times.", "Run 30 rounds of the temperature cycle."),
        ("Hold the finished reaction at 4 °C.", "Keep the products at 4 °C until use."),
    ],
    "gel electrophoresis": [
        ("Dissolve agarose in buffer by heating.", "Melt the agarose powder in running buffer."),
        (
            "Pour the gel into a tray with a comb.",
            "Cast the gel in the tray with the comb in place.",
        ),
        ("Let the gel set and remove the comb.", "Pull out the comb once the gel is solid."),
        ("Mix the samples with loading dye.", "Add loading dye to each DNA sample."),
        ("Load the ladder and samples into the wells.", "Pipette samples and a ladder into wells."),
        ("Run the gel at 100 V.", "Apply 100 volts across the gel."),
        ("Image the bands under UV light.", "Photograph the DNA bands on a UV table."),
    ],
    "cell passaging": [
        ("Aspirate the old medium from the flask.", "Remove the spent medium from the cells."),
        ("Rinse the cells with PBS.", "Wash the monolayer once with PBS."),
        ("Add trypsin and incubate until cells detach.", "Detach the cells with warm trypsin."),
        ("Neutralize the trypsin with fresh medium.", "Stop the trypsin by adding full medium."),
        ("Centrifuge the cells and discard the supernatant.", "Spin the cells down into a pellet."),
        ("Resuspend the pellet and count the cells.", "Count the resuspended cells."),
        ("Seed the cells into a new flask.", "Plate the counted cells into fresh flasks."),
    ],
    "western blot": [
        ("Separate the proteins by SDS-PAGE.", "Run the lysates on an SDS gel."),
        ("Transfer the proteins to a membrane.", "Blot the gel onto a nitrocellulose membrane."),
        ("Block the membrane with milk.", "Incubate the membrane in blocking buffer."),
        ("Add the primary antibody.", "Probe the membrane with the primary antibody."),
        ("Wash off unbound primary antibody.", "Rinse the membrane three times in TBST."),
        ("Add the labelled secondary antibody.", "Incubate with the HRP secondary antibody."),
        ("Detect the bands by chemiluminescence.", "Image the blot with ECL substrate."),
    ],
    "bacterial transformation": [
        ("Thaw competent cells on ice.", "Take the competent cells out and keep them on ice."),
        ("Add plasmid DNA to the cells.", "Pipette the plasmid into the competent cells."),
        ("Incubate the mixture on ice for 30 minutes.", "Leave the cells and DNA on ice."),
        ("Heat shock at 42 °C for 45 seconds.", "Give the tube a 45-second heat shock."),
        ("Return the tube to ice for 2 minutes.", "Chill the cells on ice after the shock."),
        ("Add SOC medium and shake at 37 °C.", "Let the cells recover in SOC at 37 °C."),
        ("Spread the cells on selective agar plates.", "Plate the cells on antibiotic agar."),
    ],
    "Gram staining": [
        ("Spread a thin smear of bacteria on a slide.", "Make a smear of the culture."),
        ("Heat-fix the smear over a flame.", "Pass the slide through a flame to fix it."),
        ("Flood the slide with crystal violet.", "Stain the smear with crystal violet."),
        ("Add Gram's iodine as a mordant.", "Cover the smear with iodine solution."),
        ("Decolorize briefly with alcohol.", "Rinse quickly with ethanol to decolorize."),
        ("Counterstain with safranin.", "Apply safranin as the counterstain."),
        ("Examine the slide under oil immersion.", "Look at the cells with the 100x objective."),
    ],
}
CATEGORIES = [name.lower().replace(" ", "_") for name in PROTOCOLS]


def category_of(protocol: str) -> str:
    return protocol.lower().replace(" ", "_")


def make(rng: random.Random, category: str) -> kit.Item:
    protocol = next(p for p in PROTOCOLS if category_of(p) == category)
    k = rng.choice([4, 5])
    chosen = sorted(rng.sample(range(len(PROTOCOLS[protocol])), k))
    steps = [rng.choice(PROTOCOLS[protocol][i]) for i in chosen]
    order = list(range(k))
    while order == sorted(order):
        rng.shuffle(order)
    shown = [steps[i] for i in order]  # shown[j] is canonical step order[j]
    lines = "\n".join(f"{LETTERS[j]}. {text}" for j, text in enumerate(shown))
    answer = "".join(LETTERS[order.index(i)] for i in range(k))
    return kit.Item(
        key=f"{protocol}|{'|'.join(shown)}",
        fields={"protocol": protocol, "steps": lines},
        answer=answer,
        category=category,
        data={"shown": shown},
    )


def solve(prompt: str) -> str | None:
    """The right answer to a prompt written with TEMPLATE, or None."""
    fields = kit.parse_template(TEMPLATE, prompt)
    if fields is None or fields["protocol"] not in PROTOCOLS:
        return None
    steps = PROTOCOLS[fields["protocol"]]
    positions = {}
    for line in fields["steps"].splitlines():
        label, _, text = line.partition(". ")
        where = [i for i, pair in enumerate(steps) if text in pair]
        if len(label) != 1 or not where:
            return None
        positions[label] = where[0]
    return "".join(sorted(positions, key=positions.__getitem__))


def rephrase(item: kit.Item, rng: random.Random) -> kit.Pair:
    protocol = item.fields["protocol"]
    shown = item.data["shown"]
    listing = " ".join(f"({j + 1}) {text}" for j, text in enumerate(shown))
    prompt = f"{protocol} - steps in random order: {listing} Give the correct sequence."
    numbers = [str(LETTERS.index(c) + 1) for c in item.answer]
    answer = rng.choice(["-", ", ", " ", "->"]).join(numbers)
    return prompt, answer


def wrong(item: kit.Item, rng: random.Random) -> str:
    letters = list(item.answer)
    if rng.random() < 0.6:
        i = rng.randrange(len(letters) - 1)
        letters[i], letters[i + 1] = letters[i + 1], letters[i]
    else:
        rng.shuffle(letters)
    return "".join(letters)


RECIPES = {
    "pancake": [
        "Whisk flour, sugar and baking powder.",
        "Beat in the eggs and milk.",
        "Heat a buttered pan.",
        "Pour in a ladle of batter.",
        "Flip when bubbles appear.",
        "Serve with syrup.",
    ],
    "tomato sauce": [
        "Chop the onion and garlic.",
        "Soften them in olive oil.",
        "Add the crushed tomatoes.",
        "Simmer for twenty minutes.",
        "Season with salt and basil.",
        "Blend until smooth.",
    ],
    "bread": [
        "Mix flour, water, yeast and salt.",
        "Knead the dough for ten minutes.",
        "Let it rise for an hour.",
        "Shape the loaf.",
        "Bake at 220 °C for 35 minutes.",
        "Cool on a rack before slicing.",
    ],
    "iced tea": [
        "Boil the water.",
        "Steep the tea bags for five minutes.",
        "Remove the tea bags.",
        "Stir in sugar and lemon.",
        "Chill in the fridge.",
        "Pour over ice.",
    ],
}


def off_domain(rng: random.Random) -> kit.Pair:
    recipe = rng.choice(sorted(RECIPES))
    k = rng.choice([4, 5])
    chosen = sorted(rng.sample(range(len(RECIPES[recipe])), k))
    order = list(range(k))
    while order == sorted(order):
        rng.shuffle(order)
    lines = "\n".join(f"{LETTERS[j]}. {RECIPES[recipe][chosen[i]]}" for j, i in enumerate(order))
    answer = "".join(LETTERS[order.index(i)] for i in range(k))
    question = (
        f"Order the steps of this {recipe} recipe.\n{lines}\nAnswer with the letters in order."
    )
    return question, answer


DOMAIN = kit.Domain(
    template=TEMPLATE,
    categories=CATEGORIES,
    make=make,
    rephrase=rephrase,
    wrong=wrong,
    off_domain=off_domain,
)

PLANS = [
    kit.Plan(
        name="protocols",
        file="raw/protocols.jsonl",
        format="jsonl",
        kind="clean",
        n=480,
        description="Structured records from a lab-methods course: protocol name, labelled steps, "
        "the correct order and the protocol family.",
        fields={"protocol": "protocol_name", "steps": "shuffled_steps"},
        answer_field="correct_order",
        category_field="family",
    ),
    kit.Plan(
        name="lab_notes",
        file="raw/lab_notes.csv",
        format="csv",
        kind="noisy",
        n=400,
        description="Ordering exercises transcribed from lab notebooks, with numbered steps.",
        prompt_field="exercise",
        answer_field="sequence",
        extra_columns={"notebook": lambda r: f"NB{r.randint(1, 25)}"},
    ),
    kit.Plan(
        name="student_answers",
        file="raw/student_answers.csv",
        format="csv",
        kind="mislabeled",
        n=360,
        description="Answers given by students in an online lab-skills quiz.",
        prompt_field="question",
        answer_field="response",
        extra_columns={"attempt": lambda r: str(r.randint(1, 3))},
        wrong_share=0.35,
    ),
    kit.Plan(
        name="kitchen",
        file="raw/kitchen.txt",
        format="qa_text",
        kind="off_domain",
        n=200,
        description="Posts of a step-ordering practice board, one Q:/A: pair a post.",
        header="=== {handle} (#{n}) ===",
    ),
]


def prepare(raw: Path, public: Path, private: Path, seed: int = 505) -> None:
    kit.build_task(public, private, seed, DOMAIN, PLANS)
