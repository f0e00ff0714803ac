"""``yaksok bench``: measure yaksok against a bare baseline taken in the same run."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from yaksok.bench.allocate import AllocateOptions, run_allocate
from yaksok.bench.fanout import run_fanout
from yaksok.bench.full_launch import FullLaunchOptions, run_full_launch
from yaksok.bench.processes import BenchError
from yaksok.bench.publish import run_publish
from yaksok.bench.publish_figures import PublishOptions
from yaksok.bench.reservations import BenchOptions, run_reservations
from yaksok.bench.waiting_room import RoomBenchOptions, run_waiting_room
from yaksok.cli.options import database_option
from yaksok.config import Settings
from yaksok.workers import delivery

PUBLISH_DB_HELP = (
    "Database for the server under test (sqlite:///PATH or postgresql://…). Default: a fresh SQLite "
    "file in a temporary directory, removed afterwards. The bench adds a launch and its notices."
)


@click.group()
def bench() -> None:
    """Benchmarks: each reports its figures beside a bare baseline of the same run, and the ratio.

    The results and how to read them are in docs/benchmarks.md.
    """


@bench.command("publish")
@click.option(
    "--notices", type=click.IntRange(1, 10_000), default=50, show_default=True, help="Notices to schedule."
)
@click.option(
    "--clients", type=click.IntRange(1, 100_000), default=1000, show_default=True, help="Live (SSE) clients."
)
@click.option(
    "--spacing-ms",
    type=click.IntRange(1, 60_000),
    default=100,
    show_default=True,
    help="Milliseconds between two notices' due times.",
)
@database_option(PUBLISH_DB_HELP, from_env=False)
@click.option(
    "--json", "as_json", is_flag=True, help="End with the figures as one JSON object on the last line."
)
def publish(notices: int, clients: int, spacing_ms: int, database_url: str | None, as_json: bool) -> None:
    """Scheduled notices under live load: are they published, and seen, on time?

    Starts `yaksok serve` on a free port, schedules NOTICES notices from ~2 s ahead, SPACING-MS
    apart, and measures: publication lateness (from the ledger), delivery to CLIENTS live clients
    (relative to each notice's time; every client must get every notice once), and when each
    notice shows on GET / and GET /feed.atom. Baselines of the same run: a bare asyncio timer
    firing at the same instants, and a bare SSE broadcaster with no database, same clients and
    frame size. Progress goes to stderr.
    """
    options = PublishOptions(
        notices=notices, clients=clients, spacing=spacing_ms / 1000, database_url=database_url or ""
    )
    try:
        figures = run_publish(options, progress=lambda line: click.echo(line, err=True))
    except BenchError as exc:
        raise click.ClickException(str(exc)) from exc
    # With --json, stdout carries only the JSON line, so that a script can read it whole.
    click.echo(publish_table(figures), err=as_json)
    if as_json:
        click.echo(json.dumps(figures))


@bench.command("reservations")
@database_option(
    "Database for the servers under test (sqlite:///PATH or postgresql://…). Default: a fresh SQLite "
    "file in a temporary directory, removed afterwards. The bench adds two launches.",
    from_env=False,
)
@click.option(
    "--commit-delay-ms",
    type=click.FloatRange(0, 1000),
    default=0.0,
    show_default=True,
    help="Milliseconds added to each flush to disk (each commit for the baseline), to show a slower disk.",
)
@click.option(
    "--duration", type=click.IntRange(1, 60), default=10, show_default=True, help="Seconds per phase."
)
@click.option(
    "--connections", type=click.IntRange(1, 10_000), default=64, show_default=True, help="wrk connections."
)
@click.option(
    "--keys",
    type=click.Choice(["sequential", "random"]),
    default="sequential",
    show_default=True,
    help="Idempotency keys and contacts numbered in order, or random and UUID-like as a real crowd's "
    "clients send them (each lands on its own page of the key and contact indexes: more to write a batch).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="End with the figures as one JSON object on the last line."
)
def reservations(
    database_url: str | None,
    commit_delay_ms: float,
    duration: int,
    connections: int,
    keys: str,
    as_json: bool,
) -> None:
    """Durable reservations against a bare ASGI ceiling and a one-commit-per-request baseline.

    Four phases on 127.0.0.1, each served by uvicorn the same way and loaded by wrk (one thread,
    CONNECTIONS connections, DURATION seconds, a unique Idempotency-Key and contact per request):
    (a) a bare ASGI app answering 201 after reading the body; (b) yaksok's app with an open
    pre-order, reservations group-committed; (c) the same app committing each reservation alone;
    and, to show what the serving process's own path allows, (d) yaksok's app with the route
    answered at once, committing nothing. Needs wrk. Progress goes to stderr.
    """
    options = BenchOptions(
        database_url=database_url or "",
        commit_delay_ms=commit_delay_ms,
        duration=duration,
        connections=connections,
        keys=keys,
    )
    try:
        figures = run_reservations(options, progress=lambda line: click.echo(line, err=True))
    except BenchError as exc:
        raise click.ClickException(str(exc)) from exc
    table = (
        f"req/s: ceiling {figures['ceiling_rps']:.0f}, reserve {figures['reserve_rps']:.0f}, "
        f"baseline {figures['baseline_rps']:.0f}; reserve/ceiling {figures['reserve_to_ceiling']:.2f}, "
        f"reserve/baseline {figures['reserve_to_baseline']:.1f}; "
        f"reserve p50 {figures['reserve_p50_ms']:.1f} ms, p99 {figures['reserve_p99_ms']:.1f} ms; "
        f"errors {figures['errors']} ({figures['database']}, {keys} keys); the route answered at once, "
        f"committing nothing: {figures['route_rps']:.0f} req/s ({figures['route_to_ceiling']:.2f} "
        f"of the ceiling); CPU per request: ceiling "
        f"{figures['ceiling_server_cpu_us']:.0f} µs, reserve {figures['reserve_server_cpu_us']:.0f} µs "
        f"+ writer {figures['reserve_writer_cpu_us']:.0f} µs ({figures['reserve_idle_cores']:.2f} cores idle)"
    )
    click.echo(table, err=as_json)
    if as_json:
        click.echo(json.dumps(figures))


@bench.command("waiting-room")
@click.option(
    "--duration", type=click.IntRange(1, 60), default=10, show_default=True, help="Seconds per phase."
)
@click.option(
    "--connections", type=click.IntRange(1, 10_000), default=64, show_default=True, help="wrk connections."
)
@click.option(
    "--visitors",
    type=click.IntRange(1, 10_000_000),
    default=100_000,
    show_default=True,
    help="Confirmed visitors in the pre-queue.",
)
@click.option(
    "--rate",
    type=click.FloatRange(0.01, 100_000),
    default=1000.0,
    show_default=True,
    help="Admissions a second.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="End with the figures as one JSON object on the last line."
)
def waiting_room_bench(duration: int, connections: int, visitors: int, rate: float, as_json: bool) -> None:
    """Waiting room status polls against a bare ASGI ceiling; opening and admitting a pre-queue.

    On a fresh SQLite file: a launch opening now with VISITORS confirmed entries in its pre-queue;
    the time to close, reveal, shuffle and number it; admission tokens issued per second for every
    number, as a web process issues them (from the room and key of its last refresh). Then two
    phases on 127.0.0.1 loaded by wrk (one thread, CONNECTIONS connections, DURATION seconds):
    (a) a bare ASGI app; (b) yaksok's app answering GET /launches/{slug}/queue/status. Needs wrk.
    Progress goes to stderr.
    """
    options = RoomBenchOptions(duration=duration, connections=connections, visitors=visitors, rate=rate)
    try:
        figures = run_waiting_room(options, progress=lambda line: click.echo(line, err=True))
    except BenchError as exc:
        raise click.ClickException(str(exc)) from exc
    table = (
        f"status polls/s: ceiling {figures['ceiling_rps']:.0f}, status {figures['status_rps']:.0f}, "
        f"status/ceiling {figures['status_to_ceiling']:.2f}, p99 {figures['status_p99_ms']:.1f} ms; "
        f"{visitors} visitors: opened in {figures['open_s']:.2f} s, "
        f"{figures['admissions_per_s']:.0f} admissions/s issued, all admitted by "
        f"{figures['admit_all_scheduled_s']:.0f} s at {rate:g}/s; errors {figures['errors']}"
    )
    click.echo(table, err=as_json)
    if as_json:
        click.echo(json.dumps(figures))


def publish_table(figures: dict[str, Any]) -> str:
    machine = figures["machine"]
    rows = [
        ("publication lateness (ledger)", figures["lateness_ms"]),
        ("  bare asyncio timer, same instants", figures["baseline_timer_lateness_ms"]),
        ("SSE delivery after publish_at", figures["sse_delivery_ms"]),
        ("  counted from publication instead", figures["sse_after_publication_ms"]),
        ("  bare SSE broadcaster, no database", figures["baseline_sse_delivery_ms"]),
        ("SSE first client after publish_at", figures["sse_first_client_ms"]),
        ("  bare SSE broadcaster", figures["baseline_sse_first_client_ms"]),
        ("SSE fan-out, first client to last", figures["sse_fan_out_ms"]),
        ("  bare SSE broadcaster", figures["baseline_sse_fan_out_ms"]),
        ("visible on GET /", figures["board_visible_ms"]),
        ("visible on GET /feed.atom", figures["feed_visible_ms"]),
    ]
    capped = (
        f" (capped from {figures['clients_requested']})"
        if figures["clients"] < figures["clients_requested"]
        else ""
    )
    lines = [
        f"publishing on time: {figures['notices']} notices {figures['spacing_ms']} ms apart, "
        f"{figures['clients']} SSE clients{capped}, {figures['database']}, scheduler every "
        f"{figures['scheduler_interval_ms']} ms; {machine['usable_cpus']} CPUs, Python {machine['python']}",
        f"{'ms':<38}{'p50':>9}{'p99':>9}{'max':>9}",
        *(f"{name:<38}{_ms(s['p50'])}{_ms(s['p99'])}{_ms(s['max'])}" for name, s in rows),
        f"ratios (yaksok ÷ baseline): SSE delivery p99 {_x(figures['sse_delivery_ratio'])}, "
        f"p50 {_x(figures['sse_delivery_p50_ratio'])}; lateness p99 {_x(figures['lateness_ratio'])}",
        f"published {figures['published']}/{figures['notices']}; SSE frames missing {figures['missing']}, "
        f"duplicates {figures['duplicates']}; not visible within 3 s: "
        f"board {figures['not_visible']['board']}, feed {figures['not_visible']['feed']}",
    ]
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return f"{'—':>9}" if value is None else f"{value:>9.1f}"


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


@bench.command("fanout")
@click.option(
    "--subscribers", type=click.IntRange(1, 1_000_000), default=100_000, show_default=True,
    help="Webhook subscribers to tell of one notice.",
)  # fmt: skip
@click.option(
    "--compare-clients", type=click.IntRange(0, 1_000_000), default=0, show_default=True, metavar="N",
    help="Afterwards send N webhooks through yaksok's sender and each installed HTTP client "
    "candidate (aiohttp, niquests, pyreqwest: pip install 'yaksok[bench]') alone, and compare.",
)  # fmt: skip
@click.option(
    "--email-subscribers", type=click.IntRange(0, 1_000_000), default=10_000, show_default=True, metavar="N",
    help="Afterwards mail one notice to N confirmed email subscribers through SMTP, to a local "
    "aiosmtpd sink that parses and counts each message (0: no email phase).",
)  # fmt: skip
@click.option(
    "--pipeline", type=click.IntRange(1, 64), default=Settings.delivery_pipeline, show_default=True,
    metavar="N", help="Webhook requests sent ahead on one connection (as YAKSOK_DELIVERY_PIPELINE).",
)  # fmt: skip
@click.option(
    "--pin/--no-pin", default=True, show_default=True,
    help="Run the receiver (and the SMTP sink) on a core of its own and the sender and wrk on the "
    "others, as if the subscribers' servers were elsewhere (needs two cores or more).",
)  # fmt: skip
@click.option(
    "--json", "as_json", is_flag=True, help="End with the figures as one JSON object on the last line."
)
def fanout(
    subscribers: int, compare_clients: int, email_subscribers: int, pipeline: int, pin: bool, as_json: bool
) -> None:
    """One notice to SUBSCRIBERS webhooks on a local receiver, beside the receiver's ceiling.

    A raw-ASGI receiver on uvicorn (127.0.0.1) answers 204 and counts webhook ids; yaksok, on a
    fresh SQLite file, publishes one notice and its delivery worker sends it, signed, to every
    subscriber. Reports deliveries/s and latency from publish_at (first, p50, p99), and the
    receiver's ceiling measured by wrk with the same body and headers. Progress goes to stderr.
    """
    try:
        figures = run_fanout(
            subscribers,
            delivery.run,
            progress=lambda line: click.echo(line, err=True),
            compare_clients=compare_clients,
            email_subscribers=email_subscribers,
            pipeline=pipeline,
            pin=pin,
        )
    except BenchError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"webhook fan-out to {figures['subscribers']} subscribers: "
        f"{figures['deliveries_per_s']:.0f} deliveries/s, "
        f"receiver ceiling {figures['receiver_ceiling_per_s']:.0f}/s (ratio {figures['ratio']:.2f}); "
        f"from publish_at: first {figures['first_delivery_s'] * 1000:.1f} ms, p50 {figures['p50_s']:.2f} s, "
        f"p99 {figures['p99_s']:.2f} s; missing {figures['missing']}, duplicates {figures['duplicates']}; "
        f"CPU per delivery: sender {figures['sender_cpu_us']:.1f} µs "
        f"(event loop {figures['sender_loop_cpu_us']:.1f}), receiver {figures['receiver_cpu_us']:.1f} µs; "
        + _placement(figures["pinned"]),
        err=as_json,
    )
    if email_subscribers:
        click.echo(
            f"email to {figures['email_subscribers']} subscribers: {figures['email_per_s']:.0f} emails/s; "
            f"from publish_at: first {figures['email_first_s'] * 1000:.1f} ms, "
            f"p50 {figures['email_p50_s']:.2f} s, p99 {figures['email_p99_s']:.2f} s; "
            f"missing {figures['email_missing']}, unparsed {figures['email_unparsed']}; CPU per email: "
            f"sender {figures['email_sender_cpu_us']:.0f} µs, sink {figures['email_sink_cpu_us']:.0f} µs",
            err=as_json,
        )
    if as_json:
        click.echo(json.dumps(figures))


def _placement(pinned: dict[str, list[int]] | None) -> str:
    if pinned is None:
        return "sender and receiver unpinned"
    return f"receiver on CPU {pinned['receiver_cpus']}, sender and wrk on CPU {pinned['sender_cpus']}"


@bench.command("allocate")
@click.option(
    "--reservations", type=click.IntRange(1, 10_000_000), default=1_000_000, show_default=True,
    help="Reservations to allocate.",
)  # fmt: skip
@click.option(
    "--skus", type=click.IntRange(1, 100), default=4, show_default=True, help="SKUs they spread over."
)
@click.option(
    "--batches", type=click.IntRange(1, 10_000), default=40, show_default=True,
    help="Stock batches, spread evenly over the SKUs, a week apart.",
)  # fmt: skip
@click.option(
    "--json", "as_json", is_flag=True, help="End with the figures as one JSON object on the last line."
)
def allocate_bench(reservations: int, skus: int, batches: int, as_json: bool) -> None:
    """One allocation run over RESERVATIONS reservations, beside a per-reservation baseline.

    On a fresh SQLite file: a launch with RESERVATIONS reservations of 1-2 units over SKUS SKUs (one
    in a hundred cancelled) and BATCHES batches holding 95 % of the units. Times yaksok's allocation
    run (read from the store, assign, write the assignment and the history of dates, append the
    ledger entry), and the same on a tenth of the reservations (linearity). The baseline, in the
    same run and database, loops through the store one reservation at a time; it runs on 4,000 and
    8,000 reservations and its time for RESERVATIONS is extrapolated from its per-reservation rate
    (``baseline_measured_reservations`` says on how many). Progress goes to stderr.
    """
    options = AllocateOptions(reservations=reservations, skus=skus, batches=batches)
    figures = with_progress_bar(lambda show: run_allocate(options, show))
    click.echo(
        f"allocation of {figures['reservations']} reservations ({skus} SKUs, {batches} batches): "
        f"{figures['seconds']:.2f} s ({figures['reservations_per_s']:.0f}/s), a tenth in "
        f"{figures['tenth_seconds']:.2f} s (per-reservation ratio {figures['linearity']:.2f}); baseline "
        f"{figures['baseline_seconds']:.1f} s (from {figures['baseline_measured_reservations']} measured), "
        f"ratio {figures['ratio']:.1f}x; same assignment: {figures['baseline_same_assignment']}",
        err=as_json,
    )
    if as_json:
        click.echo(json.dumps(figures))


@bench.command("full-launch")
@click.option(
    "--reservations", type=click.IntRange(2_000, 10_000_000), default=100_000, show_default=True,
    help="Reservations in the full launch (the small one, the baseline, has 1,000).",
)  # fmt: skip
@click.option(
    "--repeats", type=click.IntRange(1, 200), default=20, show_default=True,
    help="Runs of each operation; the median is reported.",
)  # fmt: skip
@database_option(
    "Database to measure (sqlite:///PATH or postgresql://…). Default: a fresh SQLite file in a "
    "temporary directory, removed afterwards. On PostgreSQL the bench works in a new schema, dropped "
    "at the end.",
    from_env=False,
)
@click.option(
    "--json", "as_json", is_flag=True, help="End with the figures as one JSON object on the last line."
)
def full_launch(reservations: int, repeats: int, database_url: str | None, as_json: bool) -> None:
    """A launch day's reads and writes on a full launch, beside the same on a small one.

    Two launches, one SKU each capped at half their reservations (the rest waitlisted): a small
    one of 1,000 reservations (the baseline) and one of RESERVATIONS. On each it times a customer's
    lookup of the last place in each line, the scorecard's figures, a cancellation that promotes
    the head of the waitlist, and a batch of 32 new reservations, and reports each operation's
    median (over REPEATS runs) and the ratio full ÷ small: ~1 where the cost stays flat as the
    pre-order fills. Progress goes to stderr.
    """
    options = FullLaunchOptions(reservations=reservations, repeats=repeats, database_url=database_url or "")
    figures = with_progress_bar(lambda show: run_full_launch(options, show))
    lines = [f"{figures['database']}: {figures['small_reservations']} against {reservations} reservations"]
    for name, timed in figures["operations"].items():
        lines.append(
            f"  {name:<18} {timed['small_ms']:8.2f} ms {timed['full_ms']:8.2f} ms  ratio {timed['ratio']:.2f}"
        )
    click.echo("\n".join(lines), err=as_json)
    if as_json:
        click.echo(json.dumps(figures))


def with_progress_bar(run: Callable[[Callable[[str, int, int], None]], dict[str, Any]]) -> dict[str, Any]:
    """The figures of a bench ``run``, its progress drawn as a ``ProgressBar``; its error as click's."""
    bar = ProgressBar()
    try:
        return run(bar.show)
    except BenchError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        bar.close()


class ProgressBar:
    """A one-line progress bar on stderr: the stage, a bar and the count, redrawn in place."""

    WIDTH = 30

    def __init__(self) -> None:
        self._label = ""

    def show(self, label: str, done: int, total: int) -> None:
        if label != self._label and self._label:
            click.echo("", err=True)
        self._label = label
        filled = self.WIDTH * done // total if total else self.WIDTH
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        click.echo(f"\r{label:<44} [{bar}] {done}/{total}", err=True, nl=False)

    def close(self) -> None:
        if self._label:
            click.echo("", err=True)
