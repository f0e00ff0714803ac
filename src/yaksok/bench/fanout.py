"""``yaksok bench fanout``: one notice to N webhook subscribers, beside the receiver's ceiling.

A raw-ASGI receiver (``fanout_receiver``) runs on uvicorn in its own process on 127.0.0.1.
yaksok runs in this process on a fresh SQLite file: N subscriptions to the receiver, then one
notice published while the delivery worker (``workers.delivery.run``, as ``yaksok serve`` runs
it) waits. Figures: deliveries/s, and from the stored deliveries the latency from publish_at
(first, p50, p99); missing = subscribers the receiver never heard from. The ceiling: wrk
POSTing the same body with the same headers to the same receiver, in the same run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

from yaksok.bench.fanout_clients import CANDIDATES, compare
from yaksok.bench.processes import (
    WRK_MISSING,
    BenchError,
    Child,
    apart,
    child,
    free_port,
    machine,
    paused_gc,
    run_async,
)
from yaksok.channels.outbound import Outgoing, TransportOptions
from yaksok.channels.webhook import new_secret
from yaksok.config import Settings
from yaksok.domain.commands import Subscribe, WriteNotice
from yaksok.domain.notice import NoticeKind
from yaksok.domain.subscription import allowed_networks
from yaksok.services import databases, delivery, subscriber_links
from yaksok.services.notices import create_notice
from yaksok.services.runtime import Runtime

# The delivery worker's loop (``workers.delivery.run``), passed in by the command line: the bench
# and the workers are siblings in the layers.
DeliveryLoop = Callable[[Runtime, Settings, asyncio.Event], Coroutine[Any, Any, None]]

WRK_SECONDS = 3
WRK_CONNECTIONS = 64
Progress = Callable[[str], None]


def run_fanout(
    subscribers: int,
    run_delivery: DeliveryLoop,
    progress: Progress,
    compare_clients: int = 0,
    email_subscribers: int = 0,
    pipeline: int = Settings.delivery_pipeline,
    pin: bool = True,
) -> dict[str, Any]:
    """The fan-out's figures; with ``compare_clients`` > 0, also that many webhooks sent by each
    HTTP client candidate alone (``bench.fanout_clients``), under ``clients``; with
    ``email_subscribers`` > 0, one notice mailed to that many through SMTP, under ``email_*``.
    With ``pin`` (and two cores or more) the receiver runs on a core of its own and the sender,
    then wrk, on the others: the receiver stands for subscribers' servers elsewhere, and its
    ceiling and the fan-out are measured alike (``processes.apart``)."""
    if shutil.which("wrk") is None:
        raise BenchError(WRK_MISSING)
    with tempfile.TemporaryDirectory(prefix="yaksok-fanout-") as tmp:
        port = free_port()
        receiver_args = [sys.executable, "-m", "yaksok.bench.fanout_receiver", str(port)]
        with (
            child("receiver", receiver_args, Path(tmp) / "receiver.log") as receiver,
            _placed(receiver, pin) as pinned,
        ):
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base, receiver.alive)
            url = f"sqlite:///{tmp}/fanout.db"
            settings = Settings(
                database_url=url,
                webhook_allow_hosts=("127.0.0.1",),
                delivery_interval=0.2,
                delivery_pipeline=pipeline,
            )
            with databases.opened(url) as rt:
                figures = _measure(rt, settings, base, subscribers, run_delivery, progress, receiver)
            progress(f"receiver ceiling: wrk, {WRK_CONNECTIONS} connections, {WRK_SECONDS} s …")
            figures["receiver_ceiling_per_s"] = _ceiling(base, Path(tmp))
            if compare_clients:
                figures["clients"] = _compare(base, settings, compare_clients, figures, progress)
        if email_subscribers:
            figures.update(_email(email_subscribers, run_delivery, progress, Path(tmp), pin))
    figures["ratio"] = figures["deliveries_per_s"] / figures["receiver_ceiling_per_s"]
    figures["pipeline"] = pipeline
    figures["pinned"] = pinned
    figures["machine"] = machine()
    return figures


def _measure(
    rt: Runtime,
    settings: Settings,
    base: str,
    subscribers: int,
    run_delivery: DeliveryLoop,
    progress: Progress,
    receiver: Child,
) -> dict[str, Any]:
    started = time.perf_counter()
    options = delivery.transport_options(settings, rt)
    target = f"{base}/hooks/yaksok"
    for done in range(0, subscribers, 10_000):
        count = min(10_000, subscribers - done)
        delivery.subscribe_many(rt, [Subscribe(channel="webhook", target=target)] * count, options)
        progress(f"subscribed {done + count}/{subscribers}")
    progress(f"{subscribers} subscriptions in {time.perf_counter() - started:.1f} s; publishing one notice")

    cpu: dict[str, float] = {}

    async def fan_out() -> tuple[str, float]:
        stop = asyncio.Event()
        worker = asyncio.create_task(run_delivery(rt, settings, stop))
        await asyncio.sleep(0.3)  # the worker is idle, waiting for a publication
        cpu.update(process=-time.process_time(), loop=-time.thread_time(), receiver=-receiver.cpu_seconds())
        notice = await asyncio.to_thread(create_notice, rt, _notice(("board", "webhook")))
        elapsed = await _until_received(base, subscribers, progress)
        cpu["process"] += time.process_time()
        cpu["loop"] += time.thread_time()
        cpu["receiver"] += receiver.cpu_seconds()
        stop.set()
        await worker
        return notice.id, elapsed

    with paused_gc():
        notice_id, elapsed = run_async(fan_out())
    counted = _get(f"{base}/_count")
    result = delivery.figures(rt, notice_id)
    missing = subscribers - min(int(counted["distinct"]), result.delivered)
    return {
        "subscribers": subscribers,
        "deliveries_per_s": result.delivered / elapsed if elapsed else 0.0,
        "elapsed_s": elapsed,
        "first_delivery_s": _s(result.first),
        "p50_s": _s(result.p50),
        "p99_s": _s(result.p99),
        "missing": missing,
        "received": counted["received"],
        "duplicates": int(counted["received"]) - int(counted["distinct"]),
        "pending": result.pending,
        "failed": result.failed,
        "client": "yaksok lean asyncio sender (httptools parser)",
        # CPU per delivery while the fan-out ran (µs): the bench's process (the delivery worker:
        # its event loop, and the threads that read and write the store), and the receiver.
        "sender_cpu_us": _per(cpu["process"], result.delivered),
        "sender_loop_cpu_us": _per(cpu["loop"], result.delivered),
        "receiver_cpu_us": _per(cpu["receiver"], result.delivered),
    }


def _per(seconds: float, deliveries: int) -> float:
    return seconds * 1e6 / deliveries if deliveries else 0.0


@contextlib.contextmanager
def _placed(receiver: Child, pin: bool) -> Iterator[dict[str, list[int]] | None]:
    if not pin:
        yield None
        return
    with apart(receiver.process.pid) as pinned:
        yield pinned


def _email(
    subscribers: int, run_delivery: DeliveryLoop, progress: Progress, tmp: Path, pin: bool
) -> dict[str, Any]:
    """One notice to ``subscribers`` confirmed email subscribers, sent through yaksok's SMTP
    transport to an aiosmtpd sink (``bench.smtp_sink``, its own process) that parses and counts
    each message; on a fresh SQLite file. Figures as for webhooks, prefixed ``email_``."""
    smtp_port, http_port = free_port(), free_port()
    sink_args = [sys.executable, "-m", "yaksok.bench.smtp_sink", str(smtp_port), str(http_port)]
    with child("smtp sink", sink_args, tmp / "sink.log") as sink, _placed(sink, pin):
        base = f"http://127.0.0.1:{http_port}"
        _wait_until_up(base, sink.alive)
        url = f"sqlite:///{tmp}/email.db"
        settings = Settings(
            database_url=url,
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            email_from="notices@yaksok.example",
            delivery_interval=0.2,
        )
        with databases.opened(url) as rt:
            options = delivery.transport_options(settings, rt)
            commands = [Subscribe(channel="email", target=f"r{i}@example.com") for i in range(subscribers)]
            made = delivery.subscribe_many(rt, commands, options)
            subscriber_links.confirm_many(rt, [m.id for m in made])
            progress(f"{subscribers} confirmed email subscriptions; publishing one notice")
            cpu: dict[str, float] = {}

            async def mail_out() -> tuple[str, float]:
                stop = asyncio.Event()
                worker = asyncio.create_task(run_delivery(rt, settings, stop))
                await asyncio.sleep(0.3)
                cpu.update(process=-time.process_time(), sink=-sink.cpu_seconds())
                notice = await asyncio.to_thread(create_notice, rt, _notice(("board", "email")))
                elapsed = await _until_received(base, subscribers, progress, what="mailed")
                cpu["process"] += time.process_time()
                cpu["sink"] += sink.cpu_seconds()
                stop.set()
                await worker
                return notice.id, elapsed

            with paused_gc():
                notice_id, elapsed = run_async(mail_out())
            counted = _get(f"{base}/_count")
            result = delivery.figures(rt, notice_id)
    return {
        "email_subscribers": subscribers,
        "email_per_s": result.delivered / elapsed if elapsed else 0.0,
        "email_elapsed_s": elapsed,
        "email_first_s": _s(result.first),
        "email_p50_s": _s(result.p50),
        "email_p99_s": _s(result.p99),
        "email_missing": subscribers - min(int(counted["distinct"]), result.delivered),
        "email_duplicates": int(counted["received"]) - int(counted["distinct"]) - int(counted["unparsed"]),
        "email_unparsed": counted["unparsed"],
        "email_sender_cpu_us": _per(cpu["process"], result.delivered),
        "email_sink_cpu_us": _per(cpu["sink"], result.delivered),
    }


def _notice(channels: tuple[str, ...]) -> WriteNotice:
    return WriteNotice(
        kind=NoticeKind.ANNOUNCEMENT,
        titles={"en": "Pre-orders open", "ko": "예약 판매 시작"},
        bodies={"en": "Pre-orders for the iPad open now.", "ko": "아이패드 예약 판매를 시작합니다."},
        channels=channels,
        publish_now=True,
    )


def _compare(
    base: str, settings: Settings, count: int, figures: dict[str, Any], progress: Progress
) -> dict[str, dict[str, Any]]:
    sample = _get(f"{base}/_sample")
    body = sample["body"].encode()
    secret = new_secret()
    target = f"{base}/hooks/yaksok"
    messages = [Outgoing(f"msg_cmp{i}", target, secret, body) for i in range(count)]
    options = TransportOptions(allow=allowed_networks(settings.webhook_allow_hosts))
    progress(
        f"client comparison: {count} webhooks each through yaksok's sender and {', '.join(CANDIDATES)} …"
    )
    with paused_gc():
        results = run_async(compare(target, messages, options, figures["receiver_ceiling_per_s"]))
    for name, result in results.items():
        shown = result.get("error") or f"{result['per_s']:.0f}/s, ratio {result['ratio']:.2f}, " + (
            f"{result['cpu_us_per_delivery']:.0f} µs CPU per delivery"
        )
        progress(f"  {name}: {shown}")
    return results


def _s(value: Any) -> float:
    return float("inf") if value is None else float(value.total_seconds())


async def _until_received(
    base: str, expected: int, progress: Progress, limit: float = 90.0, what: str = "delivered"
) -> float:
    """Seconds from now until the receiver has heard from every subscriber (or ``limit``)."""
    started = time.perf_counter()
    last = -1
    while time.perf_counter() - started < limit:
        counted = await asyncio.to_thread(_get, f"{base}/_count")
        distinct = int(counted["distinct"])
        if distinct != last:
            progress(f"{what} {distinct}/{expected}")
            last = distinct
        if distinct >= expected:
            break
        await asyncio.sleep(0.05)
    # The publication happened ~when the poll started; figures come from the stored latencies.
    return time.perf_counter() - started


def _ceiling(base: str, tmp: Path) -> float:
    sample = _get(f"{base}/_sample")
    if not sample:
        raise BenchError("the receiver got no webhook: nothing to measure its ceiling with")
    _post(f"{base}/_reset")
    script = tmp / "post.lua"
    headers = "".join(
        f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n" for k, v in sample["headers"].items()
    )
    script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(sample["body"])}\n{headers}')
    out = subprocess.run(
        ["wrk", "-t1", f"-c{WRK_CONNECTIONS}", f"-d{WRK_SECONDS}s", "-s", str(script),
         f"{base}{sample['path']}"],
        capture_output=True, text=True, check=True, timeout=WRK_SECONDS + 30,
    ).stdout  # fmt: skip
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise BenchError(f"wrk said nothing of requests/s: {out[-200:]}")


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())


def _post(url: str) -> None:
    with urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=10):
        pass


def _wait_until_up(base: str, alive: Callable[[], bool]) -> None:
    for _ in range(100):
        if not alive():
            break
        try:
            _get(f"{base}/_count")
            return
        except OSError:
            time.sleep(0.1)
    raise BenchError("the receiver did not start")
