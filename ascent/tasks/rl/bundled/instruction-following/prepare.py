"""Instruction following with verifiable constraints, judged pairwise against references.

Each instruction asks for advice on an everyday topic ("Give some tips for cooking rice.") with
one or two constraints in the usual phrasings of instruction-following benchmarks: a number of
bullet points or sentences, a word limit, a word to include, a first word, a closing phrase,
lowercase only, no commas, a title in double angular brackets. Replies are built from six
pieces of advice per topic.

References come from a simulated reference model: mostly right, sometimes with one flaw (a
broken constraint, a single piece of advice), so that a good model can beat them.

The judge (`ascent.tasks.rl.judge`) is trained here on preference pairs between candidate
replies of known kinds (right, broken constraint, off-topic, half off-topic, constraints
ignored, cut off, repetitive, padded with filler, echoing the instruction, empty, gibberish),
labelled by a simulated annotator that prefers the better reply and, like real annotators,
longer ones; it is saved into private/ and never shown to the agent.

Splits: train and dev from one generator seed, the held-out test set from another, with no
instruction in common; the judge's training instructions come from a third seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from ascent.tasks.rl import judge, kit

TOPICS: dict[str, list[str]] = {
    "saving money on groceries": [
        "Plan your meals for the week before you go shopping.",
        "Write a shopping list and stick to it in the store.",
        "Buy store brands instead of famous brand names.",
        "Compare unit prices on the shelf labels.",
        "Buy fruit and vegetables that are in season.",
        "Never go food shopping when you are hungry.",
    ],
    "sleeping better": [
        "Go to bed and get up at the same time every day.",
        "Keep your bedroom dark and cool and quiet.",
        "Avoid coffee and tea in the late afternoon.",
        "Put your phone away an hour before bed.",
        "Get some daylight and exercise during the day.",
        "Keep naps short and take them before three o'clock.",
    ],
    "keeping houseplants alive": [
        "Check the soil with a finger before you water.",
        "Use pots with drainage holes so roots do not rot.",
        "Place each plant where it gets the right amount of light.",
        "Water less often in winter when plants grow slowly.",
        "Wipe dust off the leaves once a month.",
        "Move a plant to a bigger pot when roots fill the old one.",
    ],
    "learning a new language": [
        "Practise a little every day instead of a lot once a week.",
        "Learn the most common words first.",
        "Listen to podcasts and songs in the language.",
        "Speak with native speakers as early as you can.",
        "Use flashcards with spaced repetition for vocabulary.",
        "Do not be afraid of making mistakes when you speak.",
    ],
    "preparing for a job interview": [
        "Research the company and its products beforehand.",
        "Prepare short stories that show your skills.",
        "Practise answering common questions out loud.",
        "Prepare two or three questions to ask the interviewer.",
        "Plan your route so that you arrive ten minutes early.",
        "Send a short thank you note after the interview.",
    ],
    "running your first 5k race": [
        "Follow a training plan that builds up slowly over weeks.",
        "Alternate running and walking in the first sessions.",
        "Buy comfortable running shoes that fit your feet.",
        "Rest at least one day between hard runs.",
        "Start the race slower than you think you should.",
        "Drink water before the race but not too much.",
    ],
    "cooking rice": [
        "Rinse the rice in cold water until it runs clear.",
        "Use the right ratio of water for your kind of rice.",
        "Bring the water to a boil before lowering the heat.",
        "Keep the lid on while the rice simmers.",
        "Let the rice rest for ten minutes after cooking.",
        "Fluff the rice gently with a fork before serving.",
    ],
    "staying focused while studying": [
        "Turn off notifications on your phone and computer.",
        "Study in short blocks with small breaks between them.",
        "Keep your desk clear of things you do not need.",
        "Set a clear goal for each study session.",
        "Study the hardest subject when your energy is highest.",
        "Drink water and eat a light snack to keep your energy up.",
    ],
    "reducing food waste": [
        "Check your fridge before you buy more food.",
        "Store leftovers in clear containers so you see them.",
        "Freeze bread and fruit before they go bad.",
        "Cook smaller portions when you eat alone.",
        "Turn vegetable scraps into soup or stock.",
        "Learn the difference between best before and use by dates.",
    ],
    "keeping a bicycle in good shape": [
        "Check the tyre pressure every week.",
        "Clean and oil the chain after riding in the rain.",
        "Test the brakes before every ride.",
        "Tighten loose bolts as soon as you notice them.",
        "Store the bike indoors away from rain and snow.",
        "Take it to a shop for a full service once a year.",
    ],
    "writing a clear email": [
        "Write a subject line that says what the email is about.",
        "Put the most important point in the first sentence.",
        "Keep paragraphs short and use simple words.",
        "Say clearly what you want the reader to do.",
        "Read the email once more before you send it.",
        "Reply to questions in the same order they were asked.",
    ],
    "making friends in a new city": [
        "Join a club or a class about something you enjoy.",
        "Say yes to invitations even when you feel shy.",
        "Volunteer for a local cause you care about.",
        "Talk to your neighbours and coworkers.",
        "Invite people for coffee instead of waiting to be invited.",
        "Be patient because friendships take time to grow.",
    ],
    "taking better photos with a phone": [
        "Clean the camera lens before you take a picture.",
        "Use natural light and avoid the flash.",
        "Hold the phone steady with both hands.",
        "Tap the screen to focus on your subject.",
        "Use the grid lines to follow the rule of thirds.",
        "Take several shots and keep the best one.",
    ],
    "packing for a trip": [
        "Make a packing list a few days before you leave.",
        "Choose clothes that you can combine in many ways.",
        "Roll your clothes to save space in the suitcase.",
        "Keep medicine and documents in your hand luggage.",
        "Check the weather forecast for your destination.",
        "Leave some space for things you buy on the way.",
    ],
    "starting a vegetable garden": [
        "Choose a spot that gets at least six hours of sunlight.",
        "Start small with a few easy vegetables.",
        "Improve the soil with compost before planting.",
        "Water deeply in the morning rather than a little every evening.",
        "Pull weeds while they are still small.",
        "Plant lettuce and radishes for quick results.",
    ],
    "cleaning a kitchen quickly": [
        "Put away everything that is out of place first.",
        "Load the dishwasher or wash the dishes right away.",
        "Wipe the counters from the back to the front.",
        "Clean the stove while it is still a little warm.",
        "Empty the rubbish bin and replace the bag.",
        "Sweep the floor last because crumbs fall down.",
    ],
    "drinking more water": [
        "Carry a reusable bottle with you all day.",
        "Drink a glass of water with every meal.",
        "Add lemon or cucumber slices for some flavour.",
        "Set reminders on your phone to take a sip.",
        "Start each morning with a full glass of water.",
        "Eat fruit and vegetables that contain a lot of water.",
    ],
    "managing a small budget": [
        "Write down everything you spend for one month.",
        "Pay your fixed bills first when you get paid.",
        "Set aside a small amount for savings every month.",
        "Cancel subscriptions that you rarely use.",
        "Wait a day before buying anything expensive.",
        "Keep a small emergency fund for surprises.",
    ],
    "caring for a new puppy": [
        "Take the puppy outside often to learn where to go.",
        "Give it a quiet place to sleep and rest.",
        "Reward good behaviour with praise and small treats.",
        "Visit a vet for vaccines in the first weeks.",
        "Let the puppy meet calm people and other dogs.",
        "Keep training sessions short and fun.",
    ],
    "speaking in public": [
        "Know your first few sentences by heart.",
        "Practise the talk several times in front of a mirror.",
        "Speak more slowly than you do in conversation.",
        "Look at a few friendly faces in the audience.",
        "Use short pauses instead of filler words.",
        "Breathe deeply before you walk on stage.",
    ],
    "organising a small desk": [
        "Keep only the things you use every day on the desk.",
        "Use a tray for papers that need attention.",
        "Put cables together with clips or ties.",
        "Store supplies in a drawer organiser.",
        "Clear the desk at the end of each day.",
        "Add a small lamp so that you can see well.",
    ],
    "choosing a good password": [
        "Use a long passphrase made of several random words.",
        "Never use the same password on two websites.",
        "Avoid names and birthdays that people can guess.",
        "Store your passwords in a password manager.",
        "Turn on two factor login where you can.",
        "Change a password at once if a website was hacked.",
    ],
    "baking bread at home": [
        "Weigh the flour and water instead of using cups.",
        "Knead the dough until it feels smooth and elastic.",
        "Let the dough rise in a warm place until it doubles.",
        "Preheat the oven well before baking.",
        "Put a tray of water in the oven for a crisp crust.",
        "Let the bread cool before you slice it.",
    ],
    "staying safe while hiking": [
        "Tell someone where you are going and when you will return.",
        "Check the weather before you leave.",
        "Carry enough water and some snacks.",
        "Wear sturdy shoes with a good grip.",
        "Stay on marked trails and carry a map.",
        "Turn back early if the weather gets worse.",
    ],
    "saving energy at home": [
        "Switch off lights when you leave a room.",
        "Wash clothes in cold water when you can.",
        "Unplug chargers that are not in use.",
        "Lower the heating by one degree.",
        "Use LED bulbs instead of old light bulbs.",
        "Close curtains at night to keep the heat inside.",
    ],
    "reading more books": [
        "Carry a book or an e-reader with you everywhere.",
        "Read for twenty minutes before going to sleep.",
        "Stop reading books that you do not enjoy.",
        "Join a book club to find new titles.",
        "Listen to audiobooks while you walk or commute.",
        "Set a simple goal such as one book a month.",
    ],
    "keeping a journal": [
        "Write at the same time every day to build the habit.",
        "Start with just three sentences a day.",
        "Write about what you are grateful for.",
        "Do not worry about spelling or style.",
        "Read old entries to see how you have changed.",
        "Keep the journal somewhere you will see it.",
    ],
    "learning to swim as an adult": [
        "Take lessons with a patient instructor.",
        "Start by getting used to putting your face in the water.",
        "Learn to float before you learn strokes.",
        "Practise breathing out slowly under water.",
        "Swim in the shallow end until you feel safe.",
        "Go to the pool twice a week to make progress.",
    ],
    "planning a birthday party": [
        "Set a budget before you plan anything else.",
        "Send invitations at least two weeks in advance.",
        "Choose a theme that the guest of honour loves.",
        "Order the cake a few days before the party.",
        "Plan a few simple games or activities.",
        "Ask friends to help with setup and cleaning.",
    ],
    "commuting by bike": [
        "Plan a route that uses quiet streets and bike lanes.",
        "Wear bright clothes and use lights at night.",
        "Keep a spare tube and a small pump in your bag.",
        "Leave a change of clothes at work.",
        "Lock the bike with a strong lock to something solid.",
        "Follow traffic rules and signal before you turn.",
    ],
}


# -- instructions -----------------------------------------------------------------------------

TEMPLATES = [
    "Give some tips for {topic}.",
    "What should a beginner know about {topic}?",
    "Write a short guide to {topic}.",
    "Explain how to get better at {topic}.",
]
CATEGORIES = ["format", "length", "content", "style"]
KINDS = {
    "format": ["bullets", "sentences", "title"],
    "length": ["max_words"],
    "content": ["include", "start", "end"],
    "style": ["lowercase", "no_commas"],
}
CLASHES = {frozenset(p) for p in [("bullets", "sentences"), ("sentences", "end")]}
STARTS = {"Remember": "Remember to ", "Try": "Try to ", "Always": "Always "}
ENDS = ["Good luck!", "Hope this helps.", "Enjoy the process.", "That is all."]
NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}
SIZES = {"train": 600, "dev": 60, "test": 160}
JUDGE_INSTRUCTIONS = 300
PAIRS_PER_INSTRUCTION = 5


@dataclass(frozen=True)
class Spec:
    topic: str
    template: int
    constraints: tuple[tuple[str, str], ...]  # (kind, parameter)
    category: str

    @property
    def kinds(self) -> dict[str, str]:
        return dict(self.constraints)

    def text(self) -> str:
        parts = [TEMPLATES[self.template].format(topic=self.topic)]
        for kind, value in self.constraints:
            parts.append(_phrase(kind, value))
        return " ".join(parts)


def _phrase(kind: str, value: str) -> str:
    if kind == "bullets":
        return f"Use exactly {value} bullet points."
    if kind == "sentences":
        return f"Write exactly {NUMBER_WORDS[int(value)]} sentences."
    if kind == "title":
        return "Give your answer a title wrapped in double angular brackets, like <<title>>."
    if kind == "max_words":
        return f"Answer in at most {value} words."
    if kind == "include":
        return f'Include the word "{value}".'
    if kind == "start":
        return f'Start your answer with the word "{value}".'
    if kind == "end":
        return f'End your answer with the phrase "{value}".'
    if kind == "lowercase":
        return "Write your whole answer in lowercase letters."
    return "Do not use any commas."


def _parameter(kind: str, topic: str, rng: random.Random) -> str:
    if kind == "bullets":
        return str(rng.randint(2, 5))
    if kind == "sentences":
        return str(rng.randint(2, 4))
    if kind == "max_words":
        return str(rng.choice([20, 25, 30, 40]))
    if kind == "include":
        return rng.choice(_include_words(topic))
    if kind == "start":
        return rng.choice(sorted(STARTS))
    if kind == "end":
        return rng.choice(ENDS)
    return ""


def _include_words(topic: str) -> list[str]:
    found = sorted(
        {
            w.lower()
            for fact in TOPICS[topic]
            for w in judge.words(fact)
            if len(w) >= 5 and w.lower() not in judge.STOPWORDS and w.lower() not in topic
        }
    )
    return found


def make_spec(rng: random.Random, category: str) -> Spec:
    topic = rng.choice(sorted(TOPICS))
    first = rng.choice(KINDS[category])
    constraints = [(first, _parameter(first, topic, rng))]
    if rng.random() < 0.6:
        others = [
            k
            for kinds in KINDS.values()
            for k in kinds
            if k != first and frozenset((k, first)) not in CLASHES
        ]
        second = rng.choice(others)
        constraints.append((second, _parameter(second, topic, rng)))
    return Spec(topic, rng.randrange(len(TEMPLATES)), tuple(constraints), category)


# -- replies ------------------------------------------------------------------------------------


def compose(
    spec: Spec,
    facts: list[str],
    rng: random.Random,
    broken: str | None = None,
) -> str:
    """A reply made of `facts` that follows the instruction's constraints, except `broken`."""
    kinds = spec.kinds
    items = list(facts)
    if "start" in kinds and broken != "start" and items:
        items[0] = STARTS[kinds["start"]] + items[0][0].lower() + items[0][1:]
    if "no_commas" in kinds and broken == "no_commas" and len(items) >= 2:
        items[:2] = [items[0].rstrip(".") + ", and " + items[1][0].lower() + items[1][1:]]
    if "bullets" in kinds:
        text = "\n".join(f"- {item}" for item in items)
    else:
        text = " ".join(items)
    if "end" in kinds and broken != "end":
        text += ("\n" if "bullets" in kinds else " ") + kinds["end"]
    if "title" in kinds and broken != "title":
        text = f"<<{spec.topic.title()}>>\n" + text
    if "lowercase" in kinds and broken != "lowercase":
        text = text.lower()
    elif broken == "lowercase":
        text = text[0].upper() + text[1:] if text else text
    return text


def _facts(
    spec: Spec, rng: random.Random, broken: str | None, count: int | None = None
) -> list[str]:
    kinds = spec.kinds
    pool = list(TOPICS[spec.topic])
    rng.shuffle(pool)
    if "bullets" in kinds:
        n = int(kinds["bullets"])
    elif "sentences" in kinds:
        n = int(kinds["sentences"])
    else:
        n = count or rng.randint(2, 4)
    if broken in ("bullets", "sentences"):
        n = n + 1 if n < 6 and (n <= 2 or rng.random() < 0.5) else n - 1
    if "include" in kinds:
        word = kinds["include"]
        having = [f for f in pool if word in f.lower()]
        others = [f for f in pool if word not in f.lower()]
        pool = others if broken == "include" else having[:1] + others + having[1:]
    return pool[: max(1, min(n, len(pool)))]


def reply(
    spec: Spec, rng: random.Random, broken: str | None = None, count: int | None = None
) -> str:
    """A reply that follows every constraint but `broken`, trimmed to a word limit (or, when
    the limit is what is broken, made to exceed it)."""
    facts = _facts(spec, rng, broken, count)
    text = compose(spec, facts, rng, broken)
    limit = spec.kinds.get("max_words")
    if limit is not None:
        if broken == "max_words":
            extra = [f for f in TOPICS[spec.topic] if f not in facts]
            while len(judge.words(text)) <= int(limit) and extra:
                facts.append(extra.pop())
                text = compose(spec, facts, rng, broken)
        else:
            while len(judge.words(text)) > int(limit) and len(facts) > 1:
                facts.pop()
                text = compose(spec, facts, rng, broken)
    return text


def satisfied(spec: Spec, text: str) -> float:
    rules = judge.constraints(spec.text())
    return sum(rule.check(text) for rule in rules) / len(rules) if rules else 1.0


def quality(spec: Spec, text: str, on_topic: float) -> float:
    """The hidden quality the simulated annotators compare (never shipped)."""
    share = satisfied(spec, text)
    n_facts = min(len(judge.sentences(text)), 4)
    return 2.0 * share + (1.0 if share == 1.0 else 0.0) + 1.5 * on_topic + 0.25 * n_facts


def reference(spec: Spec, rng: random.Random) -> str:
    """The reference answer shipped with an instruction: usually right, sometimes with one
    flaw (a broken constraint, or a single piece of advice), as a reference model's would be."""
    for _ in range(20):
        if rng.random() < 0.7:
            text = reply(spec, rng)
            if satisfied(spec, text) == 1.0:
                return text
        else:
            kinds = [k for k, _ in spec.constraints]
            return reply(spec, rng, broken=rng.choice(kinds))
    return reply(spec, rng)


def variant(spec: Spec, rng: random.Random) -> tuple[str, float]:
    """A candidate reply of some kind, and its hidden quality."""
    kind = rng.choice(
        ["good", "good", "more", "broken", "broken", "offtopic", "mixed", "plain", "degraded"]
    )
    if kind in ("good", "more"):
        text = reply(spec, rng, count=rng.randint(1, 5) if kind == "more" else None)
        return text, quality(spec, text, 1.0)
    if kind == "broken":
        text = reply(spec, rng, broken=rng.choice([k for k, _ in spec.constraints]))
        return text, quality(spec, text, 1.0)
    if kind in ("offtopic", "mixed"):
        other = rng.choice([t for t in sorted(TOPICS) if t != spec.topic])
        foreign = Spec(other, spec.template, spec.constraints, spec.category)
        text = reply(foreign, rng)
        if kind == "mixed":
            own = reply(spec, rng)
            lines = own.split("\n") if "\n" in own else judge.sentences(own)
            text = own if not lines else text + ("\n" if "\n" in own else " ") + lines[-1]
            return text, quality(spec, text, 0.5)
        return text, quality(spec, text, 0.0)
    if kind == "plain":
        text = " ".join(rng.sample(TOPICS[spec.topic], rng.randint(2, 4)))
        return text, quality(spec, text, 1.0)
    good = reply(spec, rng)
    how = rng.choice(judge.DEGRADATIONS)
    text = judge.degrade(good, how, rng, spec.text())
    return text, quality(spec, good, 1.0) - judge.PENALTY[how]


def preference_pairs(seed: int) -> list[judge.Preference]:
    rng = random.Random(seed)
    pairs = []
    for i in range(JUDGE_INSTRUCTIONS):
        spec = make_spec(rng, CATEGORIES[i % len(CATEGORIES)])
        instruction = spec.text()
        for _ in range(PAIRS_PER_INSTRUCTION):
            if rng.random() < 0.6:
                ref_text = reference(spec, rng)
                ref_quality = quality(spec, ref_text, 1.0)
            else:
                ref_text, ref_quality = variant(spec, rng)
            text, q = variant(spec, rng)
            label = judge.annotate(q, ref_quality, text, ref_text, rng)
            pairs.append(judge.Preference(instruction, text, ref_text, label))
    return pairs


# -- the task files -----------------------------------------------------------------------------


def _split(seed: int) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {"train": [], "dev": [], "test": []}
    per = {k: v // len(CATEGORIES) for k, v in SIZES.items()}
    for index, category in enumerate(CATEGORIES):

        def draw(rng: random.Random, category: str = category) -> tuple[str, dict[str, str]]:
            spec = make_spec(rng, category)
            return spec.text(), {
                "prompt": spec.text(),
                "reference": reference(spec, rng),
                "category": category,
            }

        (train, dev), test = kit.disjoint(
            draw, seed * 10 + index, [per["train"], per["dev"]], per["test"]
        )
        out["train"] += train
        out["dev"] += dev
        out["test"] += test
    rng = random.Random(seed)
    for rows in out.values():
        rng.shuffle(rows)
    return out


def prepare(raw: Path, public: Path, private: Path, seed: int = 5151) -> None:
    splits = _split(seed)
    for split, folder in (("train", public), ("dev", public), ("test", private)):
        rows = [{"id": f"{split}-{i:04d}", **item} for i, item in enumerate(splits[split])]
        kit.write_jsonl(folder / f"{split}.jsonl", rows)
    judge.train(preference_pairs(seed + 77)).save(private / judge.JUDGE_FILE)
