"""GraphiQL without a network: strawberry's page loads React and GraphiQL from a CDN, so
with no network it stays on "Loading...". The same files ship in `api/static/graphiql`
(their paths mirror the CDN's), and the page is rewritten to load them from the app."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

CDN = "https://unpkg.com/"
STATIC_DIRECTORY = Path(__file__).with_name("static") / "graphiql"
mount_path = "/graphiql-static"
_ASSET_RE = re.compile(r'(?:src|href)="(/[^"]+)"')


def offline_page(html: str) -> str:
    """The page with every CDN address replaced by the app's own copy."""
    return html.replace(CDN, f"{mount_path}/")


def assets_of(html: str) -> list[str]:
    """The local paths the rewritten page loads (for checks and tests)."""
    return [path for path in _ASSET_RE.findall(html) if path.startswith(mount_path)]


def missing_assets(html: str) -> list[str]:
    prefix = len(mount_path) + 1
    return [path for path in assets_of(html) if not (STATIC_DIRECTORY / path[prefix:]).is_file()]


def static_mount() -> Mount:
    return Mount(mount_path, app=StaticFiles(directory=STATIC_DIRECTORY), name="graphiql-static")
