"""``yaksok launches``: launch settings an operator sets from the server's command line."""

from __future__ import annotations

from datetime import timedelta

import click

from yaksok.cli.options import database_option, opened, resolve_database, yaksok_errors
from yaksok.domain import codes
from yaksok.domain.commands import SetLanguages
from yaksok.domain.errors import InvalidInput
from yaksok.services import launches as launch_service


@click.group()
def launches() -> None:
    """Launch settings (as PUT /api/v1/launches/{slug}/...)."""


@launches.command("reminders")
@click.argument("slug")
@click.option(
    "--hours", required=True, help="Hours before each exact promise, comma-separated: 72,24,1 ('' for none)."
)
@database_option()
def launches_reminders(slug: str, hours: str, database_url: str | None) -> None:
    """Set how long before each exactly promised milestone of SLUG its subscribers are reminded
    (PUT /api/v1/launches/{slug}/reminder-offsets; recorded in the ledger). Pending reminders
    move at once; prints the offsets now in force."""
    with opened(resolve_database(database_url)) as rt, yaksok_errors():
        launch = launch_service.set_reminder_offsets(rt, slug, _offsets(hours))
    click.echo(",".join(f"{o / timedelta(hours=1):g}" for o in launch.policy.reminder_offsets))


@launches.command("languages")
@click.argument("slug")
@click.argument("languages")
@database_option()
def launches_languages(slug: str, languages: str, database_url: str | None) -> None:
    """Set the languages SLUG publishes in, comma-separated, the first its primary, e.g. ja,en
    (PUT /api/v1/launches/{slug}/languages; recorded in the ledger). Prints the languages now
    in force."""
    chosen = tuple(each.strip() for each in languages.split(",") if each.strip())
    with opened(resolve_database(database_url)) as rt, yaksok_errors():
        launch = launch_service.set_languages(rt, SetLanguages(slug=slug, languages=chosen))
    click.echo(",".join(launch.languages))


def _offsets(hours: str) -> list[timedelta]:
    try:
        return [timedelta(hours=float(each)) for each in hours.split(",") if each.strip()]
    except ValueError:
        raise InvalidInput(
            f"--hours is numbers separated by commas, not {hours[:40]!r}", code=codes.POLICY_INVALID
        ) from None
