"""Running yaksok: the web app (with its scheduler), or the scheduler alone."""

from __future__ import annotations

import contextlib
import functools
import logging

import click

from yaksok.cli.options import DB_HELP, database_option, opened, redacted, resolve_database, yaksok_errors
from yaksok.config import Settings
from yaksok.services.databases import backend, sqlite_file
from yaksok.services.runtime import Runtime
from yaksok.web import reservation_writer
from yaksok.web.app import create_app
from yaksok.web.server import run_server
from yaksok.workers import delivery, scheduler


def serve_app(rt: Runtime, settings: Settings) -> None:
    """Serve the whole app, with its scheduler unless settings say not to, until interrupted.

    Reservations are committed by a writer process of their own (``web.reservation_writer``),
    except on a SQLite database in memory, which only this process can see."""
    background = [functools.partial(scheduler.run, rt, settings)] if settings.run_scheduler else []
    if settings.run_delivery:
        background.append(functools.partial(delivery.run, rt, settings))
    _log_to_stderr()
    with contextlib.ExitStack() as stack:
        writer = None
        if backend(settings.database_url) != "sqlite" or sqlite_file(settings.database_url) is not None:
            writer = stack.enter_context(reservation_writer.started(settings.database_url))
        app = create_app(rt, settings, background=background, reservation_writer=writer)
        click.echo(f"yaksok is serving {settings.public_url}/ (Ctrl-C to stop)")
        run_server(app, settings.host, settings.port)


@click.command()
@database_option(DB_HELP + " Migrations are applied on start.")
@click.option("--host", default=None, help="Interface to listen on. Default: $YAKSOK_HOST, else 127.0.0.1.")
@click.option("--port", type=int, default=None, help="Port to listen on. Default: $YAKSOK_PORT, else 8000.")
@click.option(
    "--base-url",
    default=None,
    metavar="URL",
    help="Public URL used in feeds, calendars and links (default: http://HOST:PORT).",
)
def serve(database_url: str | None, host: str | None, port: int | None, base_url: str | None) -> None:
    """Serve the notice board, feeds, live updates, ledger and admin API.

    Applies database migrations on start, then runs the web app with its scheduler (scheduled
    notices, cadence slots, broken promises, ledger checkpoints) in one process.
    """
    url = resolve_database(database_url)
    with yaksok_errors():
        settings = Settings.from_env(database_url=url, host=host, port=port, base_url=base_url)
    with opened(url) as rt:
        click.echo(f"database {redacted(url)} is migrated")
        serve_app(rt, settings)


@click.command()
@database_option(DB_HELP + " Migrations are applied on start.")
def worker(database_url: str | None) -> None:
    """Run the scheduler and the delivery worker without the web app, until SIGINT or SIGTERM.

    Publishes scheduled notices at their time, fills cadence slots, records broken promises,
    signs ledger checkpoints and delivers notices to subscribers (webhooks). Several workers may
    share one PostgreSQL database.
    """
    url = resolve_database(database_url)
    with yaksok_errors():
        settings = Settings.from_env(database_url=url)
    with opened(url) as rt:
        click.echo(f"yaksok worker on {redacted(url)} (Ctrl-C to stop)")
        _log_to_stderr()
        scheduler.run_worker(rt, settings, also=[delivery.run])
    click.echo("yaksok worker stopped")


def _log_to_stderr() -> None:
    # uvicorn configures only its own loggers; the scheduler's (notices published, promises
    # broken, checkpoints signed) should be seen too.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
