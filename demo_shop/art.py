"""Product pictures drawn from data: a small inline SVG per product, no image files, no network.

Each product names a drawing (``art``) and a hue; the drawing is a handful of shapes in that hue's
palette, so every product looks distinct and the shop needs no external assets.
"""

from __future__ import annotations

from markupsafe import Markup

from demo_shop.catalogue import Product

DRAWINGS: dict[str, str] = {
    "rod": '<path d="M30 150 L210 30" stroke="{dark}" stroke-width="5" stroke-linecap="round"/>'
           '<rect x="34" y="128" width="36" height="14" rx="6" transform="rotate(-33 52 135)" fill="{main}"/>'
           '<circle cx="80" cy="118" r="11" fill="{accent}"/><path d="M210 30 Q225 90 200 120" stroke="{dark}" '
           'stroke-width="1.5" fill="none"/>',
    "reel": '<circle cx="120" cy="95" r="48" fill="{main}"/><circle cx="120" cy="95" r="30" fill="{light}"/>'
            '<circle cx="120" cy="95" r="10" fill="{dark}"/><rect x="112" y="30" width="16" height="20" fill="{dark}"/>'
            '<path d="M168 95 h30" stroke="{dark}" stroke-width="8" stroke-linecap="round"/>'
            '<circle cx="200" cy="95" r="9" fill="{accent}"/>',
    "lure": '<ellipse cx="115" cy="90" rx="60" ry="24" fill="{main}"/><path d="M175 90 l30 -22 v44 z" fill="{accent}"/>'
            '<circle cx="80" cy="84" r="6" fill="#fff"/><circle cx="80" cy="84" r="3" fill="{dark}"/>'
            '<path d="M100 116 q10 25 -6 30" stroke="{dark}" stroke-width="3" fill="none"/>',
    "waders": '<path d="M80 30 h80 v60 l-8 60 h-26 l-6 -50 l-6 50 h-26 l-8 -60 z" fill="{main}"/>'
              '<path d="M86 30 l-10 -14 M154 30 l10 -14" stroke="{dark}" stroke-width="5"/>'
              '<rect x="105" y="45" width="30" height="22" rx="3" fill="{accent}"/>',
    "net": '<circle cx="100" cy="80" r="50" fill="none" stroke="{main}" stroke-width="9"/>'
           '<path d="M60 60 l80 40 M60 100 l80 -40 M100 30 v100 M52 80 h96" stroke="{accent}" stroke-width="2"/>'
           '<path d="M135 115 L200 160" stroke="{dark}" stroke-width="11" stroke-linecap="round"/>',
    "box": '<rect x="50" y="55" width="140" height="90" rx="8" fill="{main}"/><rect x="50" y="45" width="140" '
           'height="22" rx="6" fill="{dark}"/><rect x="105" y="38" width="30" height="12" rx="4" fill="{accent}"/>'
           '<path d="M85 80 v50 M120 80 v50 M155 80 v50" stroke="{light}" stroke-width="3"/>',
    "camera": '<rect x="40" y="55" width="160" height="95" rx="12" fill="{dark}"/><rect x="60" y="40" width="50" '
              'height="22" rx="4" fill="{dark}"/><circle cx="120" cy="102" r="36" fill="{main}"/>'
              '<circle cx="120" cy="102" r="22" fill="#1c2128"/><circle cx="112" cy="94" r="6" fill="#fff" '
              'opacity=".6"/><rect x="165" y="66" width="22" height="10" rx="3" fill="{accent}"/>',
    "lens": '<rect x="60" y="55" width="120" height="80" rx="10" fill="{dark}"/><rect x="60" y="70" width="120" '
            'height="14" fill="{main}"/><rect x="60" y="102" width="120" height="8" fill="{accent}"/>'
            '<ellipse cx="180" cy="95" rx="12" ry="40" fill="#1c2128"/>',
    "tripod": '<rect x="95" y="25" width="50" height="22" rx="6" fill="{dark}"/><circle cx="120" cy="55" r="10" '
              'fill="{accent}"/><path d="M120 60 L70 160 M120 60 L170 160 M120 60 L120 165" stroke="{main}" '
              'stroke-width="7" stroke-linecap="round"/>',
    "backpack": '<rect x="70" y="40" width="100" height="120" rx="24" fill="{main}"/><rect x="85" y="95" width="70" '
                'height="45" rx="8" fill="{accent}"/><path d="M95 40 q25 -30 50 0" stroke="{dark}" stroke-width="7" '
                'fill="none"/><rect x="85" y="60" width="70" height="8" rx="4" fill="{dark}"/>',
    "boot": '<path d="M80 30 h50 v80 l60 20 q12 5 10 25 h-130 z" fill="{main}"/><rect x="70" y="148" width="132" '
            'height="14" rx="5" fill="{dark}"/><path d="M95 50 h30 M95 65 h30 M95 80 h30" stroke="{accent}" '
            'stroke-width="4"/>',
    "tent": '<path d="M30 155 L120 40 L210 155 z" fill="{main}"/><path d="M120 40 L95 155 h50 z" fill="{dark}"/>'
            '<path d="M20 155 h200" stroke="{accent}" stroke-width="5"/>',
    "poles": '<path d="M90 25 L110 165 M150 25 L130 165" stroke="{main}" stroke-width="6" stroke-linecap="round"/>'
             '<rect x="80" y="22" width="18" height="36" rx="6" fill="{dark}"/><rect x="142" y="22" width="18" '
             'height="36" rx="6" fill="{dark}"/><circle cx="108" cy="150" r="9" fill="{accent}"/>'
             '<circle cx="132" cy="150" r="9" fill="{accent}"/>',
    "bottle": '<rect x="90" y="50" width="60" height="115" rx="18" fill="{main}"/><rect x="100" y="25" width="40" '
              'height="30" rx="6" fill="{dark}"/><rect x="90" y="90" width="60" height="24" fill="{accent}"/>',
    "stove": '<rect x="85" y="100" width="70" height="60" rx="14" fill="{main}"/><path d="M70 95 h100" stroke="{dark}" '
             'stroke-width="7"/><path d="M105 90 q-10 -25 10 -45 q-2 25 15 30 q8 -12 2 -25 q22 20 8 40 z" '
             'fill="{accent}"/>',
    "beans": '<path d="M70 40 h100 l10 120 h-120 z" fill="{main}"/><rect x="70" y="32" width="100" height="14" '
             'fill="{dark}"/><ellipse cx="120" cy="105" rx="22" ry="30" fill="#5b3a24"/><path d="M120 78 q-10 27 0 '
             '54" stroke="{light}" stroke-width="3" fill="none"/>',
    "grinder": '<rect x="85" y="70" width="70" height="90" rx="10" fill="{main}"/><rect x="80" y="55" width="80" '
               'height="20" rx="6" fill="{dark}"/><path d="M120 55 V35 h50" stroke="{dark}" stroke-width="6" '
               'fill="none"/><circle cx="172" cy="35" r="10" fill="{accent}"/>',
    "kettle": '<path d="M70 80 q50 -30 100 0 v70 h-100 z" fill="{main}"/><path d="M70 100 q-35 -5 -45 -60" '
              'stroke="{dark}" stroke-width="6" fill="none"/><path d="M170 90 q30 0 25 40" stroke="{dark}" '
              'stroke-width="9" fill="none"/><rect x="60" y="150" width="120" height="12" rx="4" fill="{accent}"/>',
    "dripper": '<path d="M65 50 h110 l-30 70 h-50 z" fill="{main}"/><rect x="70" y="120" width="100" height="10" '
               'rx="4" fill="{dark}"/><rect x="85" y="132" width="70" height="30" rx="6" fill="{accent}"/>',
    "espresso": '<rect x="60" y="30" width="120" height="130" rx="12" fill="{main}"/><rect x="60" y="30" width="120" '
                'height="30" rx="10" fill="{dark}"/><rect x="95" y="75" width="50" height="12" rx="4" fill="{dark}"/>'
                '<rect x="100" y="115" width="40" height="35" rx="5" fill="#fff"/><circle cx="160" cy="45" r="7" '
                'fill="{accent}"/>',
}


def palette(hue: int) -> dict[str, str]:
    return {
        "bg": f"hsl({hue} 45% 93%)",
        "light": f"hsl({hue} 40% 80%)",
        "main": f"hsl({hue} 45% 42%)",
        "accent": f"hsl({(hue + 35) % 360} 70% 55%)",
        "dark": "#2b2f36",
    }


def product_svg(product: Product, css_class: str = "product-art") -> Markup:
    """An inline, decorative SVG for ``product`` (hidden from screen readers: the name is in the text)."""
    colours = palette(product.hue)
    shapes = DRAWINGS[product.art].format(**colours)
    return Markup(
        f'<svg class="{css_class}" viewBox="0 0 240 180" role="img" aria-hidden="true" focusable="false" '
        f'xmlns="http://www.w3.org/2000/svg"><rect width="240" height="180" fill="{colours["bg"]}"/>{shapes}</svg>'
    )
