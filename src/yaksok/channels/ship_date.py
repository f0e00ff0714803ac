"""A customer's own ship date in words: the personal message sent when it is set or moves.

The same words in the email's subject, text and HTML, in the customer's language, with the
dates written as ``channels.when.day`` writes them on the lookup page.
"""

from __future__ import annotations

import html
import json
from datetime import date

from yaksok.channels.when import format_day
from yaksok.domain.personal_message import ShipDate


def _day(iso: str | None, lang: str) -> str | None:
    return None if iso is None else format_day(date.fromisoformat(iso), lang)


_REASONS = {
    "ko": {
        "first_scheduled": "처음으로 일정이 정해졌습니다 ({batch}차 물량).",
        "batch_added": "{batch}차 물량이 새로 등록되었습니다.",
        "batch_moved": "{batch}차 물량의 일정이 바뀌었습니다.",
        "cancellation_ahead": "앞 순서의 예약이 취소되어 물량이 생겼습니다.",
        "line_changed": "대기 순서에 변동이 있었습니다.",
    },
    "ja": {
        "first_scheduled": "初めて日程が決まりました（第{batch}便の在庫）。",
        "batch_added": "第{batch}便の在庫が新たに登録されました。",
        "batch_moved": "第{batch}便の在庫の日程が変わりました。",
        "cancellation_ahead": "前の順番の予約が取り消され、在庫が空きました。",
        "line_changed": "前の順番に変動がありました。",
    },
    "en": {
        "first_scheduled": "your reservation was scheduled for the first time (stock batch {batch}).",
        "batch_added": "stock batch {batch} was recorded.",
        "batch_moved": "stock batch {batch} was rescheduled.",
        "cancellation_ahead": "cancellations ahead of you freed units.",
        "line_changed": "the line ahead of you changed.",
    },
}


def reason(ship: ShipDate, lang: str) -> str:
    """Why the date was set or moved, in a sentence."""
    words = _REASONS.get(lang, _REASONS["en"])
    return words.get(ship.reason, ship.reason).format(batch=ship.reason_batch)


def headline(ship: ShipDate, lang: str) -> str:
    """One sentence: ``Your reservation #48,213 ships on Tue 30 November 2010.``"""
    number, when, was = f"#{ship.sequence:,}", _day(ship.date, lang), _day(ship.previous, lang)
    if lang == "ko":
        if when is None:
            return f"예약 {number}의 출고일이 아직 정해지지 않았습니다 (이전 안내: {was})."
        verb = f"{ship.pickup_store} 매장에서 수령 가능합니다" if ship.pickup_store else "출고됩니다"
        moved = f" (이전 안내: {was})" if was else ""
        return f"예약 {number}은(는) {when}에 {verb}{moved}."
    if lang == "ja":
        if when is None:
            return f"ご予約 {number} の出荷日は未定になりました（以前のお知らせ: {was}）。"
        verb = f"{ship.pickup_store} 店舗でお受け取りいただけます" if ship.pickup_store else "出荷されます"
        moved = f"（以前のお知らせ: {was}）" if was else ""
        return f"ご予約 {number} は{when}に{verb}{moved}。"
    if when is None:
        return f"Your reservation {number} is no longer scheduled (you were told {was})."
    verb = f"is ready for pickup at {ship.pickup_store} on" if ship.pickup_store else "ships on"
    moved = f" (it was {was})" if was else ""
    return f"Your reservation {number} {verb} {when}{moved}."


def email_body(ship: ShipDate, lang: str, launch_title: str, lookup_url: str) -> bytes:
    """The message as the email transport takes it (subject, text, HTML, language)."""
    lead = headline(ship, lang)
    if lang == "ko":
        why, look = f"사유: {reason(ship, lang)}", "예약 조회 (예약할 때 받은 비밀 코드가 필요합니다):"
    elif lang == "ja":
        why, look = f"理由: {reason(ship, lang)}", "予約の照会（予約時に受け取った秘密のコードが必要です）:"
    else:
        why, look = f"Why: {reason(ship, lang)}", "Look up your reservation (with the secret you got):"
    text = f"{lead}\n\n{why}\n\n{look}\n{lookup_url}\n"
    page = (
        f"<p><strong>{html.escape(lead)}</strong></p><p>{html.escape(why)}</p>"
        f'<p>{html.escape(look)} <a href="{html.escape(lookup_url)}">{html.escape(lookup_url)}</a></p>'
    )
    parts = {"language": lang, "subject": f"{launch_title}: {lead}", "text": text, "html": page}
    return json.dumps(parts, ensure_ascii=False).encode()
