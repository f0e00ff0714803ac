"""Shipping news at a launch's shipping cadence slot: each customer whose date was set or moved
since the last slot is told in their language, and everyone reads which numbers ship when.

Runs of the allocation may come at any hour (``services.allocation``); their news waits for the
next slot of the launch's ``shipping_update`` cadence, so nobody refreshes a board all day. The
slot's notice carries the public summary (``summary_section``) and its transaction puts one
personal message per customer told in the outbox, due at the slot (``services.personal_messages``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from yaksok.channels.when import format_day, format_instant
from yaksok.domain.launch import Launch
from yaksok.domain.personal_message import MessageKind, PersonalMessage, ShipDate, ship_date_message_id
from yaksok.domain.shipping_news import LineSummary, NetChange, Span, net_changes, summarise
from yaksok.domain.texts import pick_text
from yaksok.services import personal_messages
from yaksok.store.port import Transaction

MAX_SPANS = 8  # per line in the public summary; the lookup page has every reservation's own date


@dataclass(frozen=True)
class ShippingNews:
    run: int  # the latest allocation run the slot reports
    told: int  # customers put in the outbox at this slot
    unreachable: int  # customers whose date changed but whose contact is not an email address
    lines: list[LineSummary]


def at_slot(tx: Transaction, launch: Launch, slot: datetime) -> ShippingNews | None:
    """The slot's news, its personal messages added to the outbox; None before any allocation."""
    slug = launch.slug
    # A slot filled late (the service was down) reports only the runs made before its hour.
    runs = [run for run in tx.allocations.runs(slug) if run.ran_at <= slot]
    if not runs:
        return None
    told_through = tx.personal_messages.told_through(slug)
    new_runs = [run.number for run in runs if run.number > told_through]
    changes = net_changes(tx.allocations.changed_in(slug, number) for number in new_runs)
    messages = _messages(tx, slug, changes, slot)
    told = personal_messages.tell(tx, messages)
    if new_runs:
        tx.personal_messages.mark_told(slug, new_runs[-1], slot)
    lines = summarise(tx.allocations.line(slug), tx.allocations.current(slug))
    return ShippingNews(runs[-1].number, told, len(changes) - len(messages), lines)


def _messages(tx: Transaction, slug: str, changes: list[NetChange], slot: datetime) -> list[PersonalMessage]:
    if not changes:
        return []
    by_sequence = {change.sequence: change for change in changes}
    messages = []
    for reservation in tx.reservations.for_launch(slug):
        change = by_sequence.get(reservation.sequence)
        if change is None or not personal_messages.emailable(reservation.contact):
            continue
        now = None if change.now is None else change.now.isoformat()
        ship = ShipDate(
            sequence=reservation.sequence,
            code=reservation.code,
            date=now,
            previous=None if change.told is None else change.told.isoformat(),
            pickup_store=reservation.pickup_store,
            reason=change.reason.value,
            reason_batch=change.reason_batch,
        )
        messages.append(
            PersonalMessage(
                id=ship_date_message_id(slug, reservation.sequence, now, slot),
                launch_slug=slug,
                kind=MessageKind.SHIP_DATE,
                contact=reservation.contact,
                language=reservation.language,
                about=ship,
                due_at=slot,
            )
        )
    return messages


def summary_section(news: ShippingNews, launch: Launch, next_slot: datetime, lang: str) -> str:
    """The public summary in Markdown, in ``lang``: per SKU (and pickup store), which reservation
    numbers ship when, and when the next update comes."""
    skus = {sku.code: pick_text(sku.titles, lang, launch.languages) or sku.code for sku in launch.skus}
    nxt = format_instant(next_slot, launch.zone, lang)
    if lang == "ko":
        head = f"**예약 번호별 출고 일정** ({news.run}차 배정 기준)"
        told = f"출고일이 정해지거나 바뀐 고객 {news.told:,}명께 이 시각에 개별 메일로 알려 드렸습니다."
        tail = f"다음 안내: {nxt}. 예약 조회 페이지에서 내 예약의 일정과 변경 이력을 보실 수 있습니다."
    elif lang == "ja":
        head = f"**予約番号ごとの出荷予定**（第{news.run}回の割り当てによる）"
        told = (
            f"出荷日が決まった、または変わったお客様{news.told:,}名に、"
            "この時刻に個別のメールでお知らせしました。"
        )
        tail = f"次回のお知らせ: {nxt}。予約照会ページで、ご自分の予約の予定と変更の履歴をご覧いただけます。"
    else:
        head = f"**Ship dates by reservation number** (allocation run {news.run})"
        told = (
            f"{news.told:,} customers whose date was set or moved were emailed their own date at this hour."
        )
        tail = f"Next update: {nxt}. Each reservation's lookup page shows its date and how it changed."
    items = [f"- {_line_title(line, skus, lang)}: {_spans(line.spans, lang)}" for line in news.lines]
    return "\n\n".join([head, "\n".join(items) or "-", told, tail])


def _line_title(line: LineSummary, skus: dict[str, str], lang: str) -> str:
    title = skus.get(line.sku, line.sku)
    if line.store is None:
        return title
    if lang == "ja":
        return f"{title}（{line.store} 店舗受け取り）"
    return f"{title} ({line.store} 매장 수령)" if lang == "ko" else f"{title} (pickup at {line.store})"


def _spans(spans: tuple[Span, ...], lang: str) -> str:
    shown = list(spans)
    rest = shown.pop() if shown and shown[-1].on is None else None
    words = [_span(span, lang) for span in shown[:MAX_SPANS]]
    if len(shown) > MAX_SPANS:
        words.append("…")
    if rest is not None:
        words.append(
            {"ko": f"#{rest.first:,}부터: 미정", "ja": f"#{rest.first:,}以降: 未定"}.get(
                lang, f"from #{rest.first:,}: not yet scheduled"
            )
        )
    return "; ".join(words)


def _span(span: Span, lang: str) -> str:
    numbers = f"#{span.first:,}" if span.first == span.last else f"#{span.first:,}–#{span.last:,}"
    if span.on is None:
        return f"{numbers}: " + {"ko": "미정", "ja": "未定"}.get(lang, "not yet scheduled")
    return f"{numbers}: {format_day(span.on, lang)}"
