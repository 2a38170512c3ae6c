"""Word lists for the demo catalog: categories with their nouns, qualifiers, options and price ranges."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    name: str
    code: str
    nouns: tuple[str, ...]
    qualifiers: tuple[str, ...]
    options: tuple[str, ...]  # variant titles: sizes, colours, weights
    price_range: tuple[int, int]  # minor units
    tax_kind: str  # "standard", "reduced" or "zero"


CATEGORIES: tuple[Category, ...] = (
    Category(
        "Apparel",
        "APP",
        (
            "T-Shirt",
            "Hoodie",
            "Sweatshirt",
            "Jacket",
            "Jeans",
            "Chinos",
            "Polo Shirt",
            "Beanie",
            "Scarf",
            "Socks",
            "Rain Coat",
            "Cardigan",
            "Shorts",
            "Dress",
            "Blouse",
            "Vest",
        ),
        (
            "Organic Cotton",
            "Merino",
            "Classic",
            "Slim Fit",
            "Relaxed",
            "Vintage",
            "Recycled",
            "Linen",
            "Heavyweight",
            "Everyday",
            "Alpine",
            "Harbour",
            "Weekend",
            "Studio",
        ),
        tuple(
            f"{size} / {colour}"
            for colour in ("Black", "Navy", "Grey", "Olive", "Sand", "Red")
            for size in ("XS", "S", "M", "L", "XL", "XXL")
        ),
        (1499, 12999),
        "standard",
    ),
    Category(
        "Grocery",
        "GRO",
        (
            "Coffee Beans",
            "Ground Coffee",
            "Green Tea",
            "Black Tea",
            "Olive Oil",
            "Honey",
            "Pasta",
            "Rice",
            "Granola",
            "Chocolate Bar",
            "Jam",
            "Peanut Butter",
            "Sea Salt",
            "Balsamic Vinegar",
            "Oat Biscuits",
        ),
        (
            "Organic",
            "Fair Trade",
            "Single Origin",
            "Wildflower",
            "Extra Virgin",
            "Wholegrain",
            "Dark",
            "Smoked",
            "Stone Ground",
            "Highland",
            "Sicilian",
            "Nordic",
            "Farmhouse",
        ),
        ("250 g", "500 g", "1 kg", "100 g", "750 ml", "Pack of 6"),
        (199, 2499),
        "reduced",
    ),
    Category(
        "Hardware",
        "HW",
        (
            "Hammer",
            "Screwdriver Set",
            "Tape Measure",
            "Spirit Level",
            "Pliers",
            "Utility Knife",
            "Wood Screws",
            "Wall Plugs",
            "Drill Bit Set",
            "Sandpaper",
            "Workbench Clamp",
            "Hex Key Set",
        ),
        (
            "Professional",
            "Compact",
            "Heavy Duty",
            "Precision",
            "Magnetic",
            "Stainless",
            "Carbon Steel",
            "Ergonomic",
            "Folding",
            "Contractor",
        ),
        ("Small", "Medium", "Large", "Set of 3", "Set of 10"),
        (299, 8999),
        "standard",
    ),
    Category(
        "Stationery",
        "STA",
        (
            "Notebook",
            "Ballpoint Pen",
            "Fountain Pen",
            "Sketchbook",
            "Pencil Set",
            "Sticky Notes",
            "Desk Planner",
            "Envelope Pack",
            "Highlighter",
            "Ring Binder",
            "Paper Clips",
        ),
        (
            "A5 Dotted",
            "A4 Lined",
            "Recycled",
            "Hardcover",
            "Pocket",
            "Archival",
            "Kraft",
            "Premium",
            "Student",
            "Linen Bound",
        ),
        ("Black", "Blue", "Red", "Green", "Yellow", "Assorted"),
        (99, 3999),
        "standard",
    ),
    Category(
        "Books",
        "BK",
        (
            "Cookbook",
            "Field Guide",
            "Atlas",
            "Novel",
            "Poetry Collection",
            "Travel Guide",
            "Biography",
            "Children's Picture Book",
            "Puzzle Book",
            "History of Tea",
        ),
        (
            "Illustrated",
            "Pocket",
            "Collected",
            "Complete",
            "Essential",
            "Little",
            "Big",
            "Seasonal",
            "Coastal",
            "Mountain",
        ),
        ("Paperback", "Hardcover"),
        (699, 4999),
        "zero",
    ),
    Category(
        "Home",
        "HOM",
        (
            "Mug",
            "Candle",
            "Tea Towel",
            "Cushion Cover",
            "Plant Pot",
            "Serving Bowl",
            "Glass Carafe",
            "Cutting Board",
            "Throw Blanket",
            "Coaster Set",
            "Picture Frame",
            "Doormat",
        ),
        (
            "Stoneware",
            "Hand-Poured",
            "Oak",
            "Ceramic",
            "Wool",
            "Terracotta",
            "Speckled",
            "Nordic",
            "Rustic",
            "Minimal",
            "Botanical",
            "Enamel",
        ),
        ("White", "Charcoal", "Sage", "Terracotta", "Small", "Large"),
        (399, 9999),
        "standard",
    ),
)

TAX_RATES: tuple[tuple[str, str, str], ...] = (
    ("standard", "Standard rate", "20"),
    ("reduced", "Reduced rate", "5.5"),
    ("zero", "Zero rate", "0"),
)

LOCATIONS: tuple[tuple[str, str], ...] = (("MAIN", "Main Street Store"), ("WH", "Warehouse"))

STAFF: tuple[tuple[str, str, str], ...] = (
    ("Alex Manager", "manager", "1234"),
    ("Sam Cashier", "cashier", "1111"),
    ("Jo Warehouse", "warehouse", "2222"),
)
