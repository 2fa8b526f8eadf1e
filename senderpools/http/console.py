"""The web console: a static single-page app served from the package, fully offline.

``/console`` is the app's HTML shell; ``/console/static/...`` its ES modules, stylesheet and icon.
The app talks to the server only through the public ``/v1`` API (HTTP Basic credentials held in the
browser's sessionStorage); nothing here authenticates or reads data. Every console response carries a
strict Content-Security-Policy: scripts, styles and connections from this origin only, no inline code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from senderpools.errors import NotFound
from senderpools.http.app import App, PageRoute
from senderpools.http.asgi import Request, Response, redirect
from senderpools.http.render import error_response

STATIC_DIR = Path(__file__).resolve().parent.parent / "console" / "static"
CONSOLE_PATH = "/console"
STATIC_PREFIX = "/console/static/"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-cache",  # revalidate with the ETag: a server upgrade is picked up at once
}

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


@cache
def assets() -> dict[str, Asset]:
    """Every servable file, by its path under ``static/``: a fixed set, so no request can name another file."""
    found = {}
    for path in sorted(STATIC_DIR.rglob("*")):
        media_type = MEDIA_TYPES.get(path.suffix)
        if path.is_file() and media_type is not None:
            body = path.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            found[path.relative_to(STATIC_DIR).as_posix()] = Asset(body, media_type, etag)
    return found


def _serve(request: Request, asset: Asset) -> Response:
    headers = [*SECURITY_HEADERS.items(), ("ETag", asset.etag)]
    if asset.etag in (tag.strip() for tag in (request.header(b"if-none-match") or "").split(",")):
        return Response(status=304, headers=headers, media_type=None)
    return Response(asset.body, headers=headers, media_type=asset.media_type)


async def console_page(request: Request, app: App) -> Response:
    return _serve(request, assets()["index.html"])


async def console_slash(request: Request, app: App) -> Response:
    return redirect(CONSOLE_PATH)


async def static_file(request: Request, app: App) -> Response:
    asset = assets().get(request.path_params["path"])
    if asset is None:
        response = error_response(NotFound("There is no such console file."), app.base_url(request))
        response.headers += SECURITY_HEADERS.items()
        return response
    return _serve(request, asset)


async def root(request: Request, app: App) -> Response:
    """A browser opening the server's address lands in the console."""
    return redirect(CONSOLE_PATH, status=307)


routes = [
    PageRoute("GET", "/", root),
    PageRoute("GET", CONSOLE_PATH, console_page),
    PageRoute("GET", CONSOLE_PATH + "/", console_slash),
    PageRoute("GET", STATIC_PREFIX + "{path:path}", static_file),
]
