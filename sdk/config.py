"""What one service instance serves: which rule file, which sites (keys, origins, tokens), who is online.

Plain dataclasses so a host application can build them in code (``sdk.create_app(ServiceConfig(...))``)
and ``clickto serve`` can build them from its command line.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import idna

from clickto.ids import ID, ID_RULE
from clickto.ports import DEFAULT_PORTS
from sdk.presence import check_name

DEFAULT_ASSETS_DIR = Path(__file__).with_name("js")


def check_site_key(key: str) -> None:
    """ValueError unless ``key`` is a site key the tag can send (``clickto.ids.ID``)."""
    if not ID.match(key):
        raise ValueError(f"site key '{key}' must be {ID_RULE} (the tag sends it with every event)")


def normalize_origin(text: str) -> str:
    """``text`` as browsers send it in ``Origin`` (lower-case scheme and host, no default port), or ValueError
    when it is no origin (a path, a query): such an entry would never match a page."""
    text = text.strip()
    if text == "*":
        return text
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"origin '{text}' has an invalid port") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"origin '{text}' must look like https://shop.example[:port] or be *")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"origin '{text}' must be scheme://host[:port] only (no path: pages of "
                         f"{parts.scheme}://{parts.netloc} send that as their origin)")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    elif not host.isascii():   # browsers send an internationalised host in its punycode form (IDNA 2008, UTS 46
        try:                   # non-transitional: faß.de is xn--fa-hia.de; Python's "idna" codec says fass.de)
            host = idna.encode(host, uts46=True, transitional=False).decode("ascii")
        except idna.IDNAError:
            raise ValueError(f"origin '{text}' has a host name that is not valid IDNA") from None
    scheme = parts.scheme.lower()
    return f"{scheme}://{host}" + ("" if port in (None, DEFAULT_PORTS[scheme]) else f":{port}")


@dataclass(frozen=True)
class PersonToken:
    """A presence token that may only switch one person in one pool on or off."""

    pool: str
    person: str


@dataclass
class SiteConfig:
    """One shop: its public key (``data-site``), the page origins allowed to call the service, its tokens.

    ``origins`` are exact ``scheme://host[:port]`` strings (``"*"`` allows any origin, for development).
    ``people`` maps a per-person presence token to the pool and person it may switch.
    """

    key: str
    origins: list[str] = field(default_factory=list)
    admin_token: str | None = None
    people: dict[str, PersonToken | tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("SiteConfig.key must not be empty")
        check_site_key(self.key)
        self.origins = [normalize_origin(origin) for origin in self.origins]
        self.people = {token: value if isinstance(value, PersonToken) else PersonToken(*value)
                       for token, value in self.people.items()}
        for person in self.people.values():   # a token naming what presence refuses could never be used
            check_name("pool", person.pool)
            check_name("person", person.person)

    def allows_origin(self, origin: str) -> bool:
        return "*" in self.origins or origin in self.origins


@dataclass
class ServiceConfig:
    """Everything ``create_app`` needs. Defaults follow the issue: 30 min idle sessions, 64 KB bodies."""

    rules_path: Path
    sites: list[SiteConfig]
    presence: Mapping[str, Mapping[str, list[str]]] = field(default_factory=dict)  # site -> pool -> people online
    session_ttl: float = 1800.0            # seconds of inactivity before a session is forgotten
    max_sessions: int = 100_000            # LRU cap on live sessions in the memory store
    max_body_bytes: int = 64 * 1024        # request bodies above this get 413
    max_events_per_batch: int = 500
    max_streams: int = 10_000              # open SSE connections per process
    max_streams_per_session: int = 16      # tabs of one visitor
    max_conversations: int = 10_000        # kept in memory per site (oldest dropped)
    ping_interval: float = 15.0            # SSE comment ping
    reload_interval: float = 0.5           # rule-file mtime poll; 0 disables hot reload
    sweep_interval: float = 60.0           # how often expired sessions are dropped
    assets_dir: Path = DEFAULT_ASSETS_DIR  # where clickto.js and clickto-panel.js are read from
    cache_max_age: int = 300               # Cache-Control max-age of the tag
    export_dir: Path | None = None         # finished sessions appended to DIR/SITE.csv (training rows)
    export_max_rows: int = 200_000         # rows per export file before it rotates to SITE.old.csv
    export_memory_rows: int = 10_000       # newest rows per site kept in memory (served without export_dir)
    stats_min_sessions: int = 200          # finished sessions before site statistics are provided
    stats_max_pages: int = 5000            # pages tracked per site for the statistics

    def __post_init__(self) -> None:
        self.rules_path = Path(self.rules_path)
        self.assets_dir = Path(self.assets_dir)
        self.export_dir = Path(self.export_dir) if self.export_dir is not None else None
        keys = [site.key for site in self.sites]
        self._by_key = {site.key: site for site in self.sites}
        self.refused_origins_logged: OrderedDict[tuple[str, str], None] = OrderedDict()   # see sdk.http
        self.refused_lines: tuple[int, int] = (0, 0)   # (minute, lines logged in it), see sdk.http
        if len(set(keys)) != len(keys):
            raise ValueError(f"duplicate site keys in ServiceConfig.sites: {keys}")
        for site_key in self.presence:
            if site_key not in keys:
                raise ValueError(f"presence names unknown site '{site_key}' (sites: {', '.join(keys)})")

    def site(self, key: str) -> SiteConfig | None:
        return self._by_key.get(key)
