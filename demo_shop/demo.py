"""``clickto demo`` in one ASGI app: the shop at ``/``, the SDK service at ``/clickto``, the online toggle.

One process, one port, one origin: the tag is served by the mounted service, so the page talks to it
without CORS. The service's lifespan (rule hot-reload, session sweeper) runs inside the demo's.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount, Route

from demo_shop.app import create_app as create_shop
from demo_shop.online import ONLINE_AT_START, OnlinePage

SERVICE_PREFIX = "/clickto"
ONLINE_PATH = "/admin/online"
DEFAULT_RULES = Path(__file__).with_name("rules.yaml")


def build_demo(rules_path: Path, origins: list[str], admin_token: str, site_key: str = "demo",
               tag: bool = True) -> Starlette:
    """The demo app. Raises ``rules.RuleErrors`` when the rule file is invalid (the CLI checks first).

    ``tag=False``: the shop's pages carry no tag (for ``clickto proxy``, which injects it); the service is
    still mounted at ``/clickto``, for the proxy's ``--server``."""
    from sdk import ServiceConfig, SiteConfig
    from sdk import create_app as create_service

    service = create_service(ServiceConfig(
        rules_path=Path(rules_path),
        sites=[SiteConfig(key=site_key, origins=origins, admin_token=admin_token)],
        presence={site_key: {pool: list(people) for pool, people in ONLINE_AT_START.items()}},
    ))
    shop = create_shop(f"{SERVICE_PREFIX}/clickto.js" if tag else None, site_key, online_path=ONLINE_PATH)
    online = OnlinePage(shop.state.shop.templates, service.state.presence, site_key, admin_token, SERVICE_PREFIX)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Mount() does not run a sub-app's lifespan: enter the service's so it starts and stops cleanly.
        async with service.router.lifespan_context(service):
            yield

    app = Starlette(routes=[
        Mount(SERVICE_PREFIX, app=service),
        Route(ONLINE_PATH, online.page),
        Mount("/", app=shop),
    ], lifespan=lifespan)
    app.state.service = service
    app.state.shop = shop
    return app
