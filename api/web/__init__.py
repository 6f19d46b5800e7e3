"""The web pages of the service: Overzicht, Weekvoorstel, Wat-als, Huishouden and Regio, in Dutch.

The pages are an app shell (HTML, CSS and small JavaScript modules shipped in this package;
nothing is loaded from elsewhere). They hold no data: after login the browser keeps the
token in sessionStorage and calls the ``/v1`` API with it, so every figure stays behind a
role. The pages and their files are served without a token, with a strict
Content-Security-Policy: only this origin, no inline scripts, no framing.

Every page is ``pages/_layout.html`` (head, navigation, login corner) around its own content
in ``pages/<name>.html``; the pages are put together once, when the app starts.

With single sign-on for the pages (``MATCHER_OIDC_CLIENT_ID`` beside the issuer), the layout
carries the provider's issuer, the client id, the scopes and the resource indicator in
``<meta>`` tags (data, not script), and the page's script signs in with the authorization
code flow and PKCE (``static/js/sso.js``). The Content-Security-Policy then lets the page
reach the issuer's origin too, for its discovery document and token endpoint: nothing else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.settings import Settings

HERE = Path(__file__).parent
PAGES = {
    "/": "overzicht.html",
    "/weekvoorstel": "weekvoorstel.html",
    "/wat-als": "wat-als.html",
    "/huishouden": "huishouden.html",
    "/regio": "regio.html",
    "/corporatie": "corporatie.html",
}
TITLES = {
    "/": "Overzicht",
    "/weekvoorstel": "Weekvoorstel",
    "/wat-als": "Wat-als",
    "/huishouden": "Huishouden",
    "/regio": "Regio",
    "/corporatie": "Corporatie",
}
# Which role a page's link is for (the shell hides the others): a corporation's staff member
# sees its own page only, and the municipality's roles never see it.
NAV_ROLE = {"/corporatie": "corporation"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src {connect}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP.format(connect="'self'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def sso_for_pages(settings: Settings | None) -> dict[str, str]:
    """What the pages need to sign in with the identity provider; empty when they do not."""
    if settings is None or not settings.oidc_issuer or not settings.oidc_client_id:
        return {}
    sso = {"issuer": settings.oidc_issuer, "client-id": settings.oidc_client_id, "scope": settings.oidc_scope}
    if settings.oidc_resource:
        sso["resource"] = settings.oidc_resource
    return sso


def headers_for(settings: Settings | None) -> dict[str, str]:
    """The pages' headers; with sign-on for the pages the issuer's origin may be fetched from."""
    sso = sso_for_pages(settings)
    if not sso:
        return SECURITY_HEADERS
    parts = urlsplit(sso["issuer"])
    return {**SECURITY_HEADERS, "Content-Security-Policy": CSP.format(connect=f"'self' {parts.scheme}://{parts.netloc}")}


def render(path: str, settings: Settings | None = None) -> str:
    """The page at ``path``: the layout with its title, its script module, the navigation
    (the page itself marked current), the sign-on settings and its content."""
    layout = Template((HERE / "pages" / "_layout.html").read_text(encoding="utf-8"))
    current = {other: ' aria-current="page"' if other == path else "" for other in PAGES}
    nav = "\n".join(
        f'      <li data-min-role="{NAV_ROLE.get(other, "viewer")}"><a href="{other}"{current[other]}>{TITLES[other]}</a></li>'
        for other in PAGES
    )
    content = (HERE / "pages" / PAGES[path]).read_text(encoding="utf-8")
    sso = "".join(
        f'\n<meta name="sso-{name}" content="{escape(value, quote=True)}">' for name, value in sso_for_pages(settings).items()
    )
    return layout.substitute(title=TITLES[path], module=Path(PAGES[path]).stem, nav=nav, content=content.rstrip("\n"), sso=sso)


def _page(html: str) -> Callable[[], HTMLResponse]:
    """A handler that answers with ``html``. It takes no parameters: FastAPI would read any
    parameter of a handler from the query string."""

    def page() -> HTMLResponse:
        return HTMLResponse(html, media_type="text/html; charset=utf-8")

    return page


def _is_web(path: str) -> bool:
    return path in PAGES or path.startswith("/static/")


def install(app: FastAPI, settings: Settings | None = None) -> None:
    """Serve the pages at /, /weekvoorstel, /wat-als, /huishouden and /regio and their files under /static."""
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    headers = headers_for(settings)

    for path, name in PAGES.items():
        app.add_api_route(
            path, _page(render(path, settings)), methods=["GET", "HEAD"], include_in_schema=False, name=f"page:{name}"
        )

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        if _is_web(request.url.path):
            for key, value in headers.items():
                response.headers.setdefault(key, value)
        return response
