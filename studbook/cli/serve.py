"""``studbook serve``: the web application (pages, forms and the JSON API) with uvicorn."""

from __future__ import annotations

import click

from .app import AppContext, pass_app


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--proxy-headers", is_flag=True,
              help="Trust X-Forwarded-For/-Proto from the reverse proxy at --forwarded-allow-ips.")
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True,
              help="Proxies whose X-Forwarded-* headers are trusted (with --proxy-headers).")
@pass_app
def serve(app: AppContext, host: str, port: int, proxy_headers: bool, forwarded_allow_ips: str) -> None:
    """Serve the studbook on the web: registrars' forms, animal pages, the coordinators' dashboard, /api/.

    Configured by environment variables (docs/web.md): STUDBOOK_DB (or --db), STUDBOOK_SECRET_KEY
    (required in production), STUDBOOK_SECURE_COOKIES=1 behind TLS, STUDBOOK_SESSION_HOURS,
    STUDBOOK_LOGIN_RATE. Log in as a user made with `studbook user add`.
    """
    import uvicorn

    from ..db import require_head
    from ..web.app import create_app
    from ..web.settings import WebSettings

    settings = WebSettings.from_env(app.db)
    require_head(settings.db_url)
    if settings.ephemeral_key:
        click.echo("Warning: STUDBOOK_SECRET_KEY is not set: a random key is used and logins end when the server "
                   "stops (set it in production, see docs/web.md).", err=True)
    click.echo(f"studbook serving {_shown(settings.db_url)} on http://{host}:{port}/ (Ctrl+C to stop)", err=True)
    uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=proxy_headers,
                forwarded_allow_ips=forwarded_allow_ips, log_level="info", server_header=False)


def _shown(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
