"""The shop's catalogue: categories and products as plain data, plus search.

Prices are integer cents so cart sums are exact; ``euros()`` formats them for people and
``decimal_euros()`` for the ``data-clickto-*`` attributes the tag reads.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    slug: str
    name: str
    blurb: str
    hue: int  # base colour of the category's product art (HSL hue)


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    category: str      # Category.slug
    price_cents: int
    summary: str
    description: str
    art: str           # drawing used by demo_shop.art
    hue: int
    specs: tuple[tuple[str, str], ...] = ()
    featured: bool = False

    @property
    def price(self) -> float:
        return self.price_cents / 100


CATEGORIES: dict[str, Category] = {c.slug: c for c in (
    Category("fishing", "Fishing gear", "Rods, reels and tackle chosen by anglers who fish every weekend.", 200),
    Category("cameras", "Cameras & photo", "Bodies, lenses and support for travel, wildlife and street photography.", 15),
    Category("hiking", "Hiking & camping", "Packs, boots and shelter for day hikes and long trails.", 120),
    Category("coffee", "Coffee", "Freshly roasted beans and the tools to brew them well at home.", 28),
)}


def _p(id: str, name: str, category: str, price_cents: int, summary: str, description: str, art: str,
       hue: int, specs: dict[str, str], featured: bool = False) -> Product:
    return Product(id, name, category, price_cents, summary, description, art, hue, tuple(specs.items()), featured)


PRODUCTS: dict[str, Product] = {p.id: p for p in (
    _p("1", "Tidewater 9' Carbon Fly Rod", "fishing", 18900, "A 5-weight, four-piece rod for rivers and lakes.",
       "A medium-fast carbon blank that loads easily at short range and still reaches the far bank. Four pieces, "
       "so it travels in a 60 cm tube. Comes with a cordura rod case.", "rod", 205,
       {"Length": "9 ft (274 cm)", "Line weight": "#5", "Pieces": "4", "Weight": "96 g"}, featured=True),
    _p("2", "Riverrun 3000 Spinning Reel", "fishing", 7450, "Sealed drag and 6+1 stainless bearings.",
       "A smooth spinning reel for perch, pike and sea trout. The sealed carbon drag keeps working after a dunking, "
       "and the aluminium spool takes braid without a backing.", "reel", 190,
       {"Gear ratio": "5.2:1", "Max drag": "8 kg", "Bearings": "6+1", "Weight": "265 g"}, featured=True),
    _p("3", "Harbour Lure Box, 12 Pieces", "fishing", 3290, "Spoons, spinners and soft baits in one box.",
       "A starter selection of twelve proven lures for predatory fish, in a waterproof box with adjustable dividers.",
       "lure", 350, {"Pieces": "12", "Box": "IP67, 27 x 18 cm"}),
    _p("4", "Stillwater Breathable Chest Waders", "fishing", 21900, "Four-layer membrane, neoprene socks.",
       "Breathable chest waders with taped seams, a fleece-lined hand-warmer pocket and a zipped chest pocket. "
       "Sized for layering in cold water.", "waders", 160,
       {"Membrane": "4-layer", "Feet": "Neoprene stockingfoot", "Sizes": "S-XXL"}),
    _p("5", "Catch & Release Landing Net", "fishing", 4800, "Knotless rubber mesh, magnetic release.",
       "A wooden-frame landing net with knotless rubber mesh that protects the fish's slime coat and never snags flies.",
       "net", 30, {"Frame": "Ash and walnut", "Mesh": "Rubber, knotless", "Length": "68 cm"}),
    _p("6", "Fly Tying Kit Pro", "fishing", 12500, "Vice, tools and materials for 200 flies.",
       "A rotary vice, bobbin, whip finisher, hackle pliers and a curated set of materials for dries, nymphs and "
       "streamers, with a step-by-step booklet.", "box", 260, {"Vice": "Rotary, brass jaws", "Flies": "about 200"}),
    _p("7", "Kestrel M43 Mirrorless Body", "cameras", 89900, "20 MP, in-body stabilisation, weather sealed.",
       "A compact Micro Four Thirds body with five-axis stabilisation, a bright OLED viewfinder and 4K video. "
       "Weather sealed for rain and dust.", "camera", 0,
       {"Sensor": "20 MP Micro Four Thirds", "Stabilisation": "5-axis IBIS", "Video": "4K 60p", "Weight": "414 g"},
       featured=True),
    _p("8", "Fieldcraft Full-Frame Camera", "cameras", 169900, "24 MP full frame, dual card slots.",
       "A full-frame workhorse with fast eye autofocus for people and animals, dual SD slots and a battery that lasts "
       "a wedding day.", "camera", 220,
       {"Sensor": "24 MP full frame", "Autofocus": "Eye AF, 693 points", "Slots": "2 x SD UHS-II"}),
    _p("9", "25mm f/1.7 Prime Lens", "cameras", 24900, "Small, sharp and fast: the everyday lens.",
       "A pancake-sized prime for street and travel that focuses silently and close enough for food on the table.",
       "lens", 40, {"Focal length": "25 mm", "Aperture": "f/1.7-f/22", "Filter": "46 mm"}),
    _p("10", "100-400mm Wildlife Zoom", "cameras", 129900, "Long reach with stabilisation for birds and sport.",
       "A stabilised telephoto zoom with a rotating tripod collar and a weather-sealed barrel.", "lens", 95,
       {"Focal length": "100-400 mm", "Aperture": "f/4.5-6.3", "Weight": "1,115 g"}, featured=True),
    _p("11", "Carbon Travel Tripod", "cameras", 19900, "1.4 kg, folds to 41 cm, ball head included.",
       "A five-section carbon tripod that folds around its ball head and converts into a monopod.", "tripod", 210,
       {"Max height": "158 cm", "Folded": "41 cm", "Load": "10 kg"}),
    _p("12", "Roll-top Camera Backpack 22L", "cameras", 15900, "Side access, padded insert, rain cover.",
       "A roll-top pack with a removable padded insert for a body and three lenses, a laptop sleeve and a rain cover.",
       "backpack", 330, {"Volume": "22 L", "Laptop": "up to 15\"", "Weight": "1.3 kg"}),
    _p("13", "Ridgeline 45L Trekking Pack", "hiking", 17900, "Adjustable back, hip-belt pockets, 1.6 kg.",
       "A trekking pack for multi-day trips with an adjustable back length, a ventilated mesh panel and a "
       "sleeping-bag compartment.", "backpack", 130, {"Volume": "45 L", "Weight": "1.6 kg", "Back": "Adjustable"},
       featured=True),
    _p("14", "Summit Waterproof Hiking Boots", "hiking", 16900, "Waterproof leather, grippy lugged sole.",
       "Mid-cut boots with a waterproof membrane, a stiff sole for rocky trails and a lacing system that locks the "
       "heel on descents.", "boot", 25, {"Upper": "Nubuck leather", "Membrane": "Waterproof", "Weight": "1,240 g/pair"}),
    _p("15", "Two-person Ultralight Tent", "hiking", 32900, "1.3 kg, freestanding, two doors.",
       "A freestanding double-wall tent with two doors and two vestibules, pitched in three minutes.", "tent", 95,
       {"Capacity": "2", "Weight": "1.3 kg", "Season": "3-season"}),
    _p("16", "Trail Running Poles, Carbon", "hiking", 8900, "Foldable, 290 g the pair.",
       "Z-fold carbon poles that pack into a quiver and deploy in one pull.", "poles", 0,
       {"Length": "110-130 cm", "Weight": "290 g/pair"}),
    _p("17", "Insulated Steel Bottle 1L", "hiking", 3400, "Hot for 12 hours, cold for 24.",
       "A vacuum-insulated bottle with a leak-proof lid and a cup.", "bottle", 170,
       {"Volume": "1 L", "Keeps hot": "12 h", "Keeps cold": "24 h"}),
    _p("18", "Compact Gas Stove Kit", "hiking", 6900, "Boils a litre in 3 minutes.",
       "A regulated canister stove with piezo ignition, a 1 L pot and a windscreen.", "stove", 15,
       {"Output": "2.6 kW", "Pot": "1 L", "Weight": "380 g"}, featured=True),
    _p("19", "Ethiopia Yirgacheffe, 1 kg", "coffee", 3890, "Washed, light roast: jasmine, lemon, bergamot.",
       "A floral washed coffee from smallholders around Yirgacheffe, roasted light for filter brewing.", "beans", 40,
       {"Origin": "Ethiopia", "Process": "Washed", "Roast": "Light"}, featured=True),
    _p("20", "Brazil Cerrado Espresso, 1 kg", "coffee", 2990, "Natural, medium-dark: cocoa, hazelnut.",
       "A sweet, low-acid espresso base that works with milk.", "beans", 20,
       {"Origin": "Brazil", "Process": "Natural", "Roast": "Medium-dark"}),
    _p("21", "Conical Burr Hand Grinder", "coffee", 13900, "Stainless burrs, 40 click settings.",
       "A hand grinder with stainless conical burrs and a dual bearing shaft for an even grind from espresso to "
       "French press.", "grinder", 30, {"Burrs": "48 mm stainless", "Settings": "40 clicks", "Capacity": "30 g"},
       featured=True),
    _p("22", "Gooseneck Pour-over Kettle", "coffee", 7900, "Temperature control to the degree.",
       "An electric gooseneck kettle that holds a set temperature for 60 minutes.", "kettle", 0,
       {"Volume": "0.9 L", "Range": "40-100 °C", "Power": "1,200 W"}),
    _p("23", "Ceramic Pour-over Dripper", "coffee", 2400, "Spiral ribs for an even extraction.",
       "A porcelain dripper for one to four cups.", "dripper", 200, {"Cups": "1-4", "Material": "Porcelain"}),
    _p("24", "Home Espresso Machine", "coffee", 59900, "PID temperature control, 58 mm portafilter.",
       "A single-boiler espresso machine with PID, a commercial-size portafilter and a steam wand that can pour "
       "latte art.", "espresso", 10, {"Boiler": "Single, 350 ml", "Portafilter": "58 mm", "Pump": "15 bar"}),
)}


def euros(cents: int) -> str:
    """Price for people: €1,299.00."""
    return f"€{cents / 100:,.2f}"


def decimal_euros(cents: int) -> str:
    """Price for machines: 1299.00 (what data-clickto-price and -cart-value carry)."""
    return f"{cents / 100:.2f}"


def products_in(slug: str) -> list[Product]:
    return [p for p in PRODUCTS.values() if p.category == slug]


def featured() -> list[Product]:
    return [p for p in PRODUCTS.values() if p.featured]


SORTS = {
    "featured": lambda p: (not p.featured, int(p.id)),
    "price-asc": lambda p: p.price_cents,
    "price-desc": lambda p: -p.price_cents,
    "name": lambda p: p.name.lower(),
}


def sort_products(products: list[Product], sort: str) -> list[Product]:
    return sorted(products, key=SORTS.get(sort, SORTS["featured"]))


def search(query: str) -> list[Product]:
    """Products whose name, summary, description or category contain every word of ``query``."""
    words = query.lower().split()
    if not words:
        return []

    def text(p: Product) -> str:
        return f"{p.name} {p.summary} {p.description} {CATEGORIES[p.category].name}".lower()

    return [p for p in PRODUCTS.values() if all(word in text(p) for word in words)]
