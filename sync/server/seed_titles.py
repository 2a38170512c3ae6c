"""Product titles for the demo catalog: brand, product line, qualifier and noun, as shops name things.

A title is "Brand Line Qualifier Noun" ("Kestrel Heritage Merino Hoodie"); tools carry a model code
instead of a line ("Torque Heavy Duty Hammer HX-40") and books are "Qualifier Noun: Subject, by
Author". Each category has some 50,000 to 100,000 possible titles, so a catalog of a few thousand
products rarely repeats one, and one of 100,000 still reads varied.
"""

from __future__ import annotations

import random

from sync.server.seed_words import Category

BRANDS: dict[str, tuple[str, ...]] = {
    "APP": (
        "Northwind", "Fjällmark", "Harbour & Co.", "Oak & Thread", "Kestrel", "Bramble",
        "Tidewater", "Ashby", "Lumen", "Wren & Wool", "Copperline", "Saltmarsh",
    ),
    "GRO": (
        "Bellamy's", "Green Valley", "Mill House", "Old Orchard", "Casa Verde", "Highfield Farm",
        "Little Bee", "Nonna's", "Blue Hills", "Sunridge", "Tern Point", "Willow Creek",
    ),
    "HW": (
        "Torque", "IronCraft", "Stanwell", "Bolt & Anvil", "ProGrip", "Fixwell",
        "Hartmann", "Keystone", "Sterling", "Ridgeback", "Maxwell", "Trueline",
    ),
    "STA": (
        "Papier & Co.", "Inkwell", "Leafline", "Scribe", "Margin", "Quillon",
        "Folio", "Northnote", "Studio Kraft", "Penrose", "Tinta", "Atelier Blanc",
    ),
    "HOM": (
        "Hearth & Home", "Linden", "Nook", "Stillwater", "Kindred", "Loom & Co.",
        "Terra", "Calla", "Driftwood", "Haven", "Larkspur", "Oakleigh",
    ),
}
LINES = (
    "Essentials", "Heritage", "Studio", "Signature", "Everyday", "Select", "Reserve", "Origins",
    "Atelier", "Trail", "Urban", "Coast", "Meadow", "Summit", "Craft", "Prime",
    "Pure", "Field", "Harvest", "Ember", "Luxe", "Basics", "Journey", "Horizon",
)
MODEL_PREFIXES = ("HX", "PR", "TX", "K", "M", "S", "XT", "V", "GX", "RT", "C", "Z")
MODEL_NUMBERS = tuple(range(10, 100, 5))
BOOK_SUBJECTS = (
    "Nordic Baking", "Birds of the Coast", "Mountain Walks", "Wild Flowers", "The Spice Route",
    "Small Gardens", "City Cycling", "Old Harbours", "Night Skies", "Slow Cooking",
    "River Fishing", "Island Life", "Woodland Trees", "Sourdough", "Tea Traditions",
    "Coastal Paths", "Alpine Lakes", "Market Towns", "Seasonal Soups", "Forgotten Railways",
    "Seashells", "Autumn Harvest", "Desert Journeys", "Herb Gardens", "Lighthouses",
    "Winter Stories", "Street Food", "Butterflies", "Castles", "Canal Boats",
)
AUTHORS = (
    "A. Lindqvist", "M. Okafor", "J. Marlowe", "E. Castell", "R. Nakamura", "S. Whitby",
    "L. Moreau", "T. Adeyemi", "H. Brandt", "C. Delacroix", "P. Ferreira", "K. Ashworth",
    "N. Petrova", "D. Calloway", "I. Rossi", "B. Halvorsen", "F. Quinn", "G. Varga",
    "O. Mensah", "V. Sorensen",
)


def product_title(rng: random.Random, cat: Category) -> str:
    qualifier, noun = rng.choice(cat.qualifiers), rng.choice(cat.nouns)
    if cat.code == "BK":
        return f"{qualifier} {noun}: {rng.choice(BOOK_SUBJECTS)}, by {rng.choice(AUTHORS)}"
    brand = rng.choice(BRANDS[cat.code])
    if cat.code == "HW":
        return f"{brand} {qualifier} {noun} {rng.choice(MODEL_PREFIXES)}-{rng.choice(MODEL_NUMBERS)}"
    return f"{brand} {rng.choice(LINES)} {qualifier} {noun}"
