"""Classifying short patent-style abstracts into one of six technical fields.

An abstract is assembled from the phrase banks of one field (the device and what it is for, its
parts, a detail), a shared bank of generic parts and a shared bank of claimed advantages; a
third of the abstracts name one part from another field's bank, so single words can mislead.
The field is the one whose bank the device comes from, which is how `solve` answers.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from ascent.tasks.ft import kit

FIELDS = ["medical", "chemistry", "vehicles", "construction", "computing", "electrical"]
TEMPLATE = (
    "Classify the patent abstract into one field: " + ", ".join(FIELDS) + ".\n"
    "Abstract: {abstract}\nAnswer with the field name only."
)
CATEGORIES = FIELDS

BANKS: dict[str, dict[str, list[str]]] = {
    "medical": {
        "device": ["catheter", "surgical stapler", "insulin pump", "bone screw", "wound dressing",
                   "hearing aid", "dental implant", "endoscope", "stent", "infusion set"],
        "purpose": ["delivering medication to a patient", "closing surgical incisions",
                    "supporting a fractured bone", "monitoring blood glucose",
                    "reducing infection at a wound site", "imaging internal organs"],
        "part": ["a biocompatible sleeve", "a sterile needle guide", "a drug reservoir",
                 "an antimicrobial layer", "a flexible tip for tissue contact"],
        "detail": ["The device can be sterilised and reused.",
                   "Patient discomfort during insertion is reduced."],
    },
    "chemistry": {
        "device": ["catalyst composition", "polymer blend", "coating formulation",
                   "detergent composition", "fertilizer mixture", "adhesive composition",
                   "pigment dispersion", "corrosion inhibitor"],
        "purpose": ["accelerating an esterification reaction", "protecting steel from rust",
                    "removing grease at low temperature", "bonding plastics to glass",
                    "releasing nitrogen slowly in soil", "producing a stable emulsion"],
        "part": ["a zeolite support", "a surfactant blend", "a cross-linking agent",
                 "a solvent mixture", "an aqueous resin phase"],
        "detail": ["The reaction yield exceeds ninety percent.",
                   "The mixture remains stable for twelve months."],
    },
    "vehicles": {
        "device": ["brake assembly", "steering column", "vehicle seat", "bicycle frame",
                   "suspension strut", "tire tread", "trailer hitch", "windshield wiper",
                   "drive axle"],
        "purpose": ["stopping a vehicle on wet roads", "absorbing road shocks",
                    "towing a trailer behind a car", "improving grip on snow",
                    "adjusting the driving position", "clearing rain from a windshield"],
        "part": ["a brake caliper", "a wheel hub", "a gearbox housing", "a chassis bracket",
                 "a rubber tread block"],
        "detail": ["Braking distance is shortened at high speed.",
                   "The driver can adjust it while the car is moving."],
    },
    "construction": {
        "device": ["roof truss", "concrete formwork", "wall panel", "scaffolding clamp",
                   "window frame", "drainage channel", "masonry anchor", "floor joist",
                   "bridge bearing"],
        "purpose": ["supporting a pitched roof", "casting concrete walls on site",
                    "insulating an exterior wall", "fixing bolts into brickwork",
                    "draining rainwater from a paved area", "erecting scaffolding quickly"],
        "part": ["a reinforced concrete slab", "a timber beam", "a steel rebar cage",
                 "a mortar joint", "a gypsum board layer"],
        "detail": ["Builders can assemble it without cranes.",
                   "The structure withstands heavy snow loads."],
    },
    "computing": {
        "device": ["data compression method", "cache controller", "database index",
                   "user authentication system", "file synchronisation method",
                   "compiler optimisation pass", "network packet scheduler",
                   "neural network accelerator"],
        "purpose": ["reducing the size of stored files", "speeding up memory access",
                    "answering database queries faster", "verifying a user's identity",
                    "keeping files consistent across devices", "ranking search results"],
        "part": ["a hash table", "a query planner", "a memory buffer", "an encryption key store",
                 "a software scheduler"],
        "detail": ["Query latency drops by half.",
                   "The method runs on a standard processor."],
    },
    "electrical": {
        "device": ["power converter", "circuit breaker", "transformer winding", "battery charger",
                   "motor stator", "cable connector", "LED driver", "solar inverter"],
        "purpose": ["converting direct current to alternating current",
                    "interrupting a short-circuit current", "charging a lithium battery pack",
                    "reducing losses in a power line", "driving a brushless motor",
                    "supplying constant current to lamps"],
        "part": ["a copper coil", "a MOSFET switch", "a ferrite core", "a voltage sensor",
                 "an insulated busbar"],
        "detail": ["Switching losses are reduced at high frequency.",
                   "The circuit tolerates voltage spikes."],
    },
}  # fmt: skip
GENERIC_PARTS = ["a housing", "a controller", "a sensor", "a fastening element", "a seal"]
ADVANTAGES = [
    "This lowers manufacturing cost.",
    "Reliability is improved.",
    "The design is compact.",
    "Maintenance becomes easier.",
    "",
]
CPC = {  # field -> CPC subclasses used by the patent office
    "medical": ["A61B", "A61M", "A61F"],
    "chemistry": ["C08L", "C09D", "C11D"],
    "vehicles": ["B60T", "B62D", "B60N"],
    "construction": ["E04B", "E04G", "E01D"],
    "computing": ["G06F", "G06N", "H04L"],
    "electrical": ["H02M", "H01H", "H02J"],
}
DEVICE_FIELD = {d: f for f, bank in BANKS.items() for d in bank["device"]}


def article(noun: str) -> str:
    return "An" if noun[0].lower() in "aeio" else "A"  # "a user ..."


def make(rng: random.Random, category: str) -> kit.Item:
    bank = BANKS[category]
    device, purpose = rng.choice(bank["device"]), rng.choice(bank["purpose"])
    parts = rng.sample(bank["part"], 1) + rng.sample(GENERIC_PARTS, 1)
    if rng.random() < 0.33:
        other = rng.choice([f for f in FIELDS if f != category])
        parts[1] = rng.choice(BANKS[other]["part"])
    rng.shuffle(parts)
    sentences = [
        f"{article(device)} {device} for {purpose} is disclosed.",
        f"The {device} comprises {parts[0]} and {parts[1]}.",
        rng.choice(bank["detail"]) if rng.random() < 0.7 else "",
        rng.choice(ADVANTAGES),
    ]
    abstract = " ".join(s for s in sentences if s)
    return kit.Item(
        key=abstract,
        fields={"abstract": abstract},
        answer=category,
        category=category,
        data={"device": device, "purpose": purpose, "parts": parts},
    )


def solve(prompt: str) -> str | None:
    """The right answer to a prompt written with TEMPLATE, or None."""
    fields = kit.parse_template(TEMPLATE, prompt)
    if fields is None:
        return None
    first = re.match(r"An? (.+?) for .+? is disclosed\.", fields["abstract"])
    return DEVICE_FIELD.get(first.group(1)) if first else None


def rephrase(item: kit.Item, rng: random.Random) -> kit.Pair:
    d = item.data
    text = (
        f"The invention relates to {article(d['device']).lower()} {d['device']} for "
        f"{d['purpose']}. It has {d['parts'][0]} and {d['parts'][1]}."
    )
    return text, rng.choice(CPC[item.category])


def wrong(item: kit.Item, rng: random.Random) -> str:
    parts_fields = [f for f in FIELDS for p in item.data["parts"] if p in BANKS[f]["part"]]
    decoys = [f for f in parts_fields if f != item.category]
    return rng.choice(decoys or [f for f in FIELDS if f != item.category])


CLAUSES = {
    "termination": [
        "Either party may end this agreement with {n} days' written notice.",
        "This contract terminates automatically if the {party} becomes insolvent.",
    ],
    "confidentiality": [
        "The {party} shall not disclose any information received under this agreement.",
        "All trade secrets must be kept secret for {n} years after the contract ends.",
    ],
    "payment": [
        "Invoices are payable within {n} days of receipt.",
        "The {party} shall pay a monthly fee in advance.",
    ],
    "liability": [
        "Neither party is liable for indirect or consequential damages.",
        "The {party}'s total liability shall not exceed the fees paid in the last {n} months.",
    ],
    "governing law": [
        "This agreement is governed by the laws of {place}.",
        "Any dispute shall be settled by the courts of {place}.",
    ],
}
PLACES = ["England", "Delaware", "Ontario", "Bavaria", "New South Wales", "Singapore"]


def off_domain(rng: random.Random) -> kit.Pair:
    kind = rng.choice(sorted(CLAUSES))
    clause = rng.choice(CLAUSES[kind]).format(
        n=rng.choice([10, 14, 30, 60, 90, 2, 3, 5, 12]),
        party=rng.choice(["supplier", "customer", "licensee", "contractor"]),
        place=rng.choice(PLACES),
    )
    question = (
        "Classify the contract clause into one type: " + ", ".join(CLAUSES) + ".\n"
        f"Clause: {clause}\nAnswer with the type name only."
    )
    return question, kind


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
        name="examiner_labels",
        file="raw/examiner_labels.jsonl",
        format="jsonl",
        kind="clean",
        n=480,
        description="Structured records: an abstract and the technical field assigned by an "
        "examiner.",
        fields={"abstract": "abstract"},
        answer_field="field",
        category_field="field_group",
    ),
    kit.Plan(
        name="office_export",
        file="raw/office_export.csv",
        format="csv",
        kind="noisy",
        n=420,
        description="An export of a patent office database: abstract and classification code.",
        prompt_field="abstract_text",
        answer_field="cpc_subclass",
        extra_columns={"pub_year": lambda r: str(r.randint(2005, 2023))},
    ),
    kit.Plan(
        name="crowd_labels",
        file="raw/crowd_labels.jsonl",
        format="jsonl",
        kind="mislabeled",
        n=380,
        description="Abstracts labelled by volunteers of an annotation project.",
        prompt_field="text",
        answer_field="label",
        wrong_share=0.3,
    ),
    kit.Plan(
        name="legal_forum",
        file="raw/legal_forum.txt",
        format="qa_text",
        kind="off_domain",
        n=200,
        description="Posts of a legal-drafting forum, one Q:/A: pair a post.",
        header="=== {handle} posted (#{n}) ===",
    ),
]


def prepare(raw: Path, public: Path, private: Path, seed: int = 606) -> None:
    kit.build_task(public, private, seed, DOMAIN, PLANS)
