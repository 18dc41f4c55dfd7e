"""Northwind Outfitters: the demo shop that shows clickto at work (catalogue, cart, three-step checkout).

``create_app(tag_src, site_key, extra_head)`` builds the shop; ``demo_shop.cli`` runs it together with
the SDK service and the example rules (``clickto demo``).
"""

from demo_shop.app import create_app

__all__ = ["create_app"]
