"""``yaksok replay`` and ``yaksok demo``: a scenario run through the same services, on a simulated clock."""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import click

from yaksok.cli.options import SourceError, opened, readable_sources, redacted, yaksok_errors
from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.replay import Scenario, load_scenario
from yaksok.replay.report import ReplayReport, render, when
from yaksok.replay.runner import run
from yaksok.services import databases, ledger
from yaksok.services.runtime import Runtime, counting_ids

SHIPPED_SCENARIO = "kt-ipad-2010.yaml"
DEMO_DATABASE = "yaksok-demo.db"


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object on the last line.")
@click.option(
    "--lang", type=click.Choice(["en", "ko"]), default="en", show_default=True, help="Text language."
)
@click.option(
    "--db",
    "database_url",
    metavar="URL",
    default=None,
    help="Replay into this (empty) database instead of a temporary SQLite file that is deleted after.",
)
def replay(file: Path, as_json: bool, lang: str, database_url: str | None) -> None:
    """Replay a scenario FILE and show what yaksok does at each step.

    The timeline runs on a simulated clock through the same services a server runs: the policy
    refuses or flags each move, scheduled notices and update slots go out at their own times, and
    the final scorecard and ledger check are printed at the end.
    """
    started = time.perf_counter()
    scenario = _load(file)
    with _replay_runtime(database_url) as rt:
        report = _replay_into(rt, scenario)
    elapsed = time.perf_counter() - started
    if as_json:
        document = {**report.to_dict(), "elapsed_seconds": round(elapsed, 3)}
        click.echo(json.dumps(document, ensure_ascii=False))
    else:
        click.echo(render(report, lang, elapsed))


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=int, default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--db",
    "database_url",
    metavar="URL",
    default=None,
    help=f"Database for the demo. Default: ./{DEMO_DATABASE}, replaced on each run. A SQLite file is "
    "replaced only if it is empty or an earlier demo; any other database must be empty.",
)
@click.option(
    "--scenario",
    "scenario_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help=f"Scenario to replay (default: the shipped {SHIPPED_SCENARIO}).",
)
def demo(host: str, port: int, database_url: str | None, scenario_file: Path | None) -> None:
    """Replay the 2010 KT iPad launch into a fresh database, then serve it.

    The replay runs on a simulated clock and ends its update slots when the timeline ends; the
    server then runs on the real clock, so the board shows the 2010 history as it was left. A
    ledger checkpoint is signed before serving.
    """
    scenario = _load(scenario_file or shipped_scenario())
    url = database_url or f"sqlite:///{Path.cwd() / DEMO_DATABASE}"
    with readable_sources():
        databases.replace_demo_database(url, scenario.launch.slug)
    with opened(url) as rt:
        report = _replay_into(rt, scenario)
        # The replay ran on a copy with a simulated clock; rt keeps the real one, as in production.
        signed = ledger.checkpoint(rt)
        with yaksok_errors():
            settings = Settings.from_env(database_url=url, host=host, port=port)
        _print_demo_summary(report, url, settings, signed, scenario)
        from yaksok.cli.serve import serve_app  # the web app: only the demo serves it, not a replay

        serve_app(rt, settings)


def shipped_scenario() -> Path:
    """The reference scenario: packaged with yaksok when installed with it, else the repository's."""
    packaged = resources.files("yaksok") / "scenarios" / SHIPPED_SCENARIO
    candidates = [
        Path(str(packaged)),
        Path(__file__).resolve().parents[3] / "scenarios" / SHIPPED_SCENARIO,  # a source checkout
        Path.cwd() / "scenarios" / SHIPPED_SCENARIO,
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise SourceError(f"cannot find the shipped scenario {SHIPPED_SCENARIO}; give one with --scenario FILE")


def _load(file: Path) -> Scenario:
    with yaksok_errors():
        return load_scenario(file)


def _replay_into(rt: Runtime, scenario: Scenario) -> ReplayReport:
    """Replay on a simulated clock with counting ids, on ``rt``'s database."""
    replaying = dataclasses.replace(rt, clock=SimulatedClock(scenario.starts_at), new_id=counting_ids())
    with yaksok_errors():
        return run(scenario, replaying)


@contextmanager
def _replay_runtime(database_url: str | None) -> Iterator[Runtime]:
    if database_url is not None:
        with opened(database_url) as rt:
            yield rt
        return
    # The database is closed before its folder goes: Windows cannot delete an open file.
    with (
        tempfile.TemporaryDirectory(prefix="yaksok-replay-") as folder,
        opened(f"sqlite:///{Path(folder) / 'replay.db'}") as rt,
    ):
        yield rt


def _print_demo_summary(
    report: ReplayReport, url: str, settings: Settings, signed: int | None, scenario: Scenario
) -> None:
    counts, promises = report.counts, report.scorecard["promises"]
    base = settings.public_url
    lines = [
        f"yaksok demo: {scenario.title.en}",
        f"  replayed {counts['steps']} steps into {redacted(url)}: {counts['refused']} refused, "
        f"{counts['overridden']} overridden, {counts['clarifications']} clarification(s), "
        f"{counts['published']} notices published",
        f"  promises: {promises['made']} made, {promises['kept']} kept, {promises['broken']} broken",
        f"  ledger: {report.ledger['entries']} entries, "
        + ("intact" if report.ledger["intact"] else report.ledger["verification"])
        + ("" if signed is None else f", checkpoint signed at seq {signed}"),
        f"  the replay's clock stopped at {when(scenario.ends_at, scenario.launch.zone)}; "
        "the server runs on the real clock",
        "",
        f"  board      {base}/",
        f"  launch     {base}/launches/{report.launch}",
        f"  scorecard  {base}/scorecard",
        f"  feed       {base}/feed.atom",
        f"  calendar   {base}/calendar.ics",
        f"  ledger     {base}/ledger   (check it: yaksok ledger verify {base})",
    ]
    if report.lookup:
        lines.append(f"  a reservation from the opening crowd: {base}{report.lookup}")
    lines.append("")
    click.echo("\n".join(lines))
