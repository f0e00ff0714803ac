"""``yaksok social``: social accounts and chat webhooks, as the admin API sets them up."""

from __future__ import annotations

import sys

import click

from yaksok.cli.options import database_option, opened, resolve_database, yaksok_errors
from yaksok.config import Settings
from yaksok.domain.notice import NoticeKind
from yaksok.domain.social import CHATS, NETWORKS
from yaksok.services import delivery
from yaksok.services import social as accounts


@click.group()
def social() -> None:
    """Social accounts and chat webhooks notices are posted to (/api/v1/social/accounts)."""


@social.command("add")
@click.argument("network", type=click.Choice(NETWORKS + CHATS))
@click.argument("target")
@click.option(
    "--credentials-stdin",
    is_flag=True,
    help="Read the credentials (a token; Bluesky: 'handle app-password') from the first line of "
    "standard input; never on the command line, where the shell history would keep them.",
)
@click.option(
    "--launch", "launches", multiple=True, help="Only this launch's notices (repeatable); none: all."
)
@click.option(
    "--kind", "kinds", multiple=True, type=click.Choice([k.value for k in NoticeKind]), help="Only this kind."
)
@click.option("--language", type=click.Choice(["ko", "en", "ja"]), default="en", show_default=True)
@database_option()
def social_add(
    network: str,
    target: str,
    credentials_stdin: bool,
    launches: tuple[str, ...],
    kinds: tuple[str, ...],
    language: str,
    database_url: str | None,
) -> None:
    """Post published notices that list NETWORK's channel to an account (TARGET: the instance's,
    PDS's or API's base URL) or a chat webhook (TARGET: its URL). Prints the account's id."""
    credentials = sys.stdin.readline().strip() if credentials_stdin else ""
    url = resolve_database(database_url)
    with opened(url) as rt, yaksok_errors():
        options = delivery.transport_options(Settings.from_env(database_url=url), rt)
        made = accounts.add_account(
            rt,
            options,
            network=network,
            target=target,
            credentials=credentials,
            language=language,
            launches=launches,
            kinds=[NoticeKind(k) for k in kinds],
        )
    click.echo(made.id)


@social.command("list")
@database_option()
def social_list(database_url: str | None) -> None:
    """List accounts, tab-separated: id, network, state, queued, failed, target. Never a credential."""
    with opened(resolve_database(database_url)) as rt:
        found = accounts.accounts(rt)
    for account in found:
        s = account.subscription
        click.echo(f"{s.id}\t{s.channel}\t{s.state}\t{account.queued}\t{account.failed}\t{s.target}")
