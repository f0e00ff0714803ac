"""Admin API for stock and allocation: batches (recorded and moved by editors), allocation runs,
and the last run's summary. Every change is in the ledger."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from msgspec import Meta
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from yaksok.domain import codes
from yaksok.domain.allocation import MAX_UNITS, BatchKind, Run, StockBatch
from yaksok.domain.commands import MoveBatch, RecordBatch
from yaksok.domain.errors import InvalidInput, NotFound
from yaksok.services import allocation
from yaksok.services.auth import Role
from yaksok.services.runtime import Runtime
from yaksok.web.api.operation import Call, Doc, DocumentedRoute, operation
from yaksok.web.api.responses import Out
from yaksok.web.api.schemas import Body
from yaksok.web.errors import REQUEST_INVALID_PARAMETER, BadRequest

PREFIX = "/api/v1"
Day = Annotated[str, Meta(description="a calendar date, YYYY-MM-DD", examples=["2026-12-01"])]


class StockBatchIn(Body):
    sku: str
    units: Annotated[int, Meta(ge=1, le=MAX_UNITS)]
    date: Day
    kind: BatchKind = BatchKind.SHIP
    store: Annotated[str, Meta(max_length=64, description="the store, for a pickup batch")] | None = None

    def to_command(self, slug: str) -> RecordBatch:
        return RecordBatch(
            launch_slug=slug,
            sku=self.sku,
            units=self.units,
            date=_day(self.date),
            kind=self.kind,
            store=self.store,
        )


class BatchMove(Body):
    date: Day
    reason: Annotated[str, Meta(min_length=1, max_length=500, description="why, shown to customers")]


class StockBatchOut(Out):
    number: int
    sku: str
    units: int
    date: str
    kind: BatchKind
    store: str | None


class StockBatchesOut(Out):
    batches: list[StockBatchOut]


class AllocationRunOut(Out):
    launch: str
    run: int
    ran_at: str
    ledger_seq: int
    reservations: Annotated[int, Meta(description="reservations in line (not cancelled)")]
    scheduled: int
    changed: Annotated[int, Meta(description="reservations whose expected date changed in this run")]
    passes: int
    assignment_hash: str
    batches: Annotated[dict[str, str], Meta(description="each batch's date in this run, by number")]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"a date is YYYY-MM-DD, not {text[:40]!r}", code=codes.STOCK_BATCH_INVALID
        ) from None


def _batch(batch: StockBatch) -> StockBatchOut:
    return StockBatchOut(
        number=batch.number,
        sku=batch.sku,
        units=batch.units,
        date=batch.date.isoformat(),
        kind=batch.kind,
        store=batch.store,
    )


def run_view(run: Run) -> AllocationRunOut:
    return AllocationRunOut(
        launch=run.launch_slug,
        run=run.number,
        ran_at=run.ran_at.isoformat(),
        ledger_seq=run.ledger_seq,
        reservations=run.reservations,
        scheduled=run.scheduled,
        changed=run.changed,
        passes=run.passes,
        assignment_hash=run.assignment_hash,
        batches={str(n): d.isoformat() for n, d in sorted(run.batch_dates.items())},
    )


def record_batch(call: Call[StockBatchIn]) -> StockBatchOut:
    return _batch(allocation.record_batch(call.rt, call.body.to_command(call.path["slug"])))


def list_batches(call: Call[None]) -> StockBatchesOut:
    return StockBatchesOut(batches=[_batch(b) for b in allocation.batches_of(call.rt, call.path["slug"])])


def move_batch(call: Call[BatchMove]) -> StockBatchOut:
    number = call.path["number"]
    if not number.isdigit():
        raise NotFound(f"no stock batch {number[:20]!r}", code=codes.STOCK_BATCH_NOT_FOUND)
    command = MoveBatch(
        launch_slug=call.path["slug"], number=int(number), date=_day(call.body.date), reason=call.body.reason
    )
    return _batch(allocation.move_batch(call.rt, command))


def run_allocation(call: Call[None]) -> AllocationRunOut:
    return run_view(allocation.run_allocation(call.rt, call.path["slug"]).run)


def last_run(call: Call[None]) -> AllocationRunOut:
    run = allocation.last_run(call.rt, call.path["slug"])
    if run is None:
        raise NotFound("the launch has had no allocation run yet", code=codes.ALLOCATION_NO_RUN)
    return run_view(run)


def reservation_order(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    raw = request.query_params.get("through", "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        raise BadRequest("through must be a whole number (a run's through)", code=REQUEST_INVALID_PARAMETER)
    text = allocation.public_order(rt, request.path_params["slug"], int(raw))
    return Response(text, media_type="text/plain; charset=utf-8")


def routes() -> list[BaseRoute]:
    launch = f"{PREFIX}/launches/{{slug}}"
    editor, viewer = Role.EDITOR, Role.VIEWER
    return [
        operation("POST", f"{launch}/stock-batches", record_batch, role=editor, tag="stock", status=201,
                  summary="Record a stock batch: SKU, units, ship (or pickup) date, store for pickup "
                  "(recorded in the ledger; dates change at the next allocation run)", body=StockBatchIn),
        operation("GET", f"{launch}/stock-batches", list_batches, role=viewer, tag="stock",
                  summary="The launch's stock batches by number"),
        operation("PUT", f"{launch}/stock-batches/{{number}}/date", move_batch, role=editor, tag="stock",
                  summary="Move a batch to another date, with a public reason (recorded in the ledger)",
                  body=BatchMove),
        operation("POST", f"{launch}/allocations", run_allocation, role=editor, tag="stock", status=201,
                  summary="Run allocation: queued reservations in sequence order to batches in date "
                  "order, per SKU (and pickup store); recorded in the ledger"),
        operation("GET", f"{launch}/allocations/last", last_run, role=viewer, tag="stock",
                  summary="The summary of the launch's last allocation run"),
        DocumentedRoute("/launches/{slug}/reservation-order", reservation_order, method="GET", doc=Doc(
            "The public reservation order through a sequence: `sequence,sku,quantity,store` lines "
            "(no customer data); its SHA-256 is a run's order_digest", "ledger", None,
            query=(("through", "the last sequence, as an allocation.run entry's through"),),
            media_type="text/plain")),
    ]  # fmt: skip
