"""The clickto SDK service: ``create_app(ServiceConfig(...))`` returns a Starlette app that serves the tag,
takes event batches, decides with the rules engine and pushes decisions (docs/service.md)."""

from sdk.app import create_app
from sdk.config import PersonToken, ServiceConfig, SiteConfig

__all__ = ["create_app", "ServiceConfig", "SiteConfig", "PersonToken"]
