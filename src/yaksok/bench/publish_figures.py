"""The publishing bench's options, its measurements, and the figures it reports (``--json``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from yaksok.bench.observe import Heard, Schedule, Visibility
from yaksok.bench.processes import machine
from yaksok.bench.stats import ratio, summary_ms
from yaksok.config import Settings
from yaksok.services import databases


@dataclass(frozen=True)
class PublishOptions:
    notices: int = 50
    clients: int = 1000
    spacing: float = 0.1  # seconds between due times
    database_url: str = ""  # empty: a fresh SQLite file in a temporary directory
    lead: float = 2.0  # seconds from scheduling to the first due time


@dataclass(frozen=True)
class YaksokRun:
    """What was measured of ``yaksok serve``; durations in seconds."""

    schedule: Schedule
    heard: Heard  # SSE arrivals against each notice's publish_at
    after_publication: list[float]  # SSE arrivals against each notice's actual publication
    lateness: list[float]  # published_at − publish_at, from the ledger, per published notice
    timer_lateness: list[float]  # the bare timer at the same instants
    board: Visibility
    feed: Visibility
    frame_bytes: int  # mean size of yaksok's notice frames


def figures(
    options: PublishOptions, clients: int, run: YaksokRun, bare: Heard, seconds: float
) -> dict[str, Any]:
    lateness = summary_ms(run.lateness)
    timer = summary_ms(run.timer_lateness)
    delivery = summary_ms(run.heard.latencies)
    bare_delivery = summary_ms(bare.latencies)
    pages = {"board": run.board, "feed": run.feed}
    return {
        "bench": "publish",
        "notices": options.notices,
        "clients": clients,
        "clients_requested": options.clients,
        "spacing_ms": round(options.spacing * 1000),
        "database": databases.backend(options.database_url),
        "scheduler_interval_ms": round(scheduler_interval() * 1000),
        "published": len(run.lateness),
        "lateness_ms": lateness,
        "sse_delivery_ms": delivery,
        "sse_after_publication_ms": summary_ms(run.after_publication),
        "sse_first_client_ms": summary_ms(run.heard.first.values()),
        "sse_fan_out_ms": summary_ms(run.heard.fan_out()),
        "board_visible_ms": summary_ms(run.board.delays(run.schedule)),
        "feed_visible_ms": summary_ms(run.feed.delays(run.schedule)),
        "baseline_timer_lateness_ms": timer,
        "baseline_sse_delivery_ms": bare_delivery,
        "baseline_sse_first_client_ms": summary_ms(bare.first.values()),
        "baseline_sse_fan_out_ms": summary_ms(bare.fan_out()),
        "sse_delivery_ratio": ratio(delivery, bare_delivery),
        "sse_delivery_p50_ratio": ratio(delivery, bare_delivery, "p50"),
        "lateness_ratio": ratio(lateness, timer),
        "missing": run.heard.missing,
        "duplicates": run.heard.duplicates,
        "baseline_missing": bare.missing,
        "baseline_duplicates": bare.duplicates,
        "not_visible": {name: options.notices - len(page.seen) for name, page in pages.items()},
        "page_requests": {name: page.requests for name, page in pages.items()},
        "page_failures": {name: page.failed for name, page in pages.items()},
        "frame_bytes": run.frame_bytes,
        "seconds": round(seconds, 1),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }


def scheduler_interval() -> float:
    """The interval the server ran with: ``yaksok serve`` read the same environment (and would
    not have started had it been invalid)."""
    return Settings.from_env(database_url="unused").scheduler_interval
