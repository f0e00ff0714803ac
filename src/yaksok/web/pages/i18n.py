"""The page language (Korean or English) and the interface words the pages say around the notices.

Notice text itself comes from ``channels.render`` so every channel says the same; the names of
domain values (kinds, verdicts, outcomes) are in ``labels``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

LANGS = ("ko", "en")
DEFAULT_LANG = "en"  # a visitor whose browser asks for neither language reads English
COOKIE = "lang"
_COOKIE_MAX_AGE = 365 * 24 * 3600


def choose_lang(request: Request) -> str:
    """``?lang=`` first, then the remembered choice, then the browser's ``Accept-Language``."""
    for asked in (request.query_params.get("lang"), request.cookies.get(COOKIE)):
        if asked in LANGS:
            return asked
    return from_accept_language(request.headers.get("accept-language", ""))


def from_accept_language(header: str) -> str:
    """The supported language the browser prefers most (RFC 9110 quality values)."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary in LANGS and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANG


def remember(request: Request, response: Response) -> None:
    """Keep an explicit ``?lang=`` choice for the next pages."""
    asked = request.query_params.get("lang")
    if asked in LANGS and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=_COOKIE_MAX_AGE, samesite="lax")


_EN: dict[str, str] = {
    "site_name": "yaksok",
    "tagline": "Launch notices, on time and in the open",
    "nav_board": "Notice board",
    "nav_scorecard": "Scorecard",
    "nav_atom": "Atom feed",
    "nav_calendar": "Calendar",
    "language": "Language",
    "board_title": "Notice board",
    "upcoming": "Upcoming milestones",
    "no_upcoming": "No upcoming milestones.",
    "notices": "Notices",
    "all_kinds": "All",
    "older_notices": "Older notices →",
    "newest_notices": "← Newest notices",
    "filter_by_kind": "Show notices of one kind",
    "no_notices": "No notices published yet.",
    "owed_title": "Apology owed",
    "owed_line": "The promise for {milestone} ({launch}) was broken at {broke_at}.",
    "owed_due": "An apology with the reason and a new plan is owed by {due_by}.",
    "owed_overdue": "It is overdue.",
    "published": "Published",
    "read_more": "Full notice",
    "superseded": "Corrected by a later notice",
    "supersedes": "This notice corrects",
    "superseded_by": "This notice was corrected by",
    "override": "Policy override",
    "verdict": "verdict",
    "override_hint": "Published against the launch's policy; the justification is shown below.",
    "launch_page": "Launch page",
    "milestones": "Milestones",
    "promise": "Promise",
    "outcome": "Outcome",
    "occurred": "Happened at",
    "history": "Promise history",
    "version": "Version",
    "promised": "Promised",
    "announced": "Announced",
    "change": "Change",
    "reason": "Reason",
    "notice": "Notice",
    "your_time": "your time",
    "countdown": "in {d} d {hms}",
    "countdown_passed": "the promised time has passed",
    "no_milestones": "No milestones yet.",
    "launch_feeds": "This launch's feeds",
    "scorecard_title": "Scorecard",
    "scorecard_intro": "Which promises were kept, computed from the public history alone.",
    "scorecard_all": "All launches",
    "drift_title": "Promise drift",
    "drift_intro": (
        "Each point is one version of a promise: when it was announced (across) and the time it "
        "promised (up). A filled dot is an exact time; a hollow bar is a day or month without a time."
    ),
    "no_chart": "No promise with a time yet.",
    "json": "as JSON",
    "not_found_title": "Not found",
    "not_found_text": "There is no such page. It may never have been published.",
    "back_to_board": "Back to the notice board",
    "reservation_title": "Your reservation",
    "reservation_code": "Lookup code",
    "reservation_place": "Place in line",
    "reservation_place_waitlist": "Place on the waitlist",
    "reservation_sequence": "Reserved as number",
    "reservation_state": "Status",
    "reservation_item": "Item",
    "reservation_quantity": "Quantity",
    "reservation_pickup": "Pick-up at",
    "reservation_delivery": "Delivered to your address",
    "reservation_ships": "Expected to ship",
    "reservation_not_scheduled": "not yet scheduled",
    "reservation_waitlisted_note": (
        "Every unit on offer is reserved. You are on the waitlist: units that others cancel go to "
        "the waitlist in order."
    ),
    "reservation_cancel": "Cancel this reservation",
    "reservation_cancel_note": "Cancelling cannot be undone; your units go to the next in line.",
    "reservation_cancelled": "This reservation was cancelled on {at}.",
    "reservation_keep_link": "Keep this page's address: it is the only way back to your reservation.",
    "legend_exact": "exact time",
    "legend_window": "day or month, time not announced",
    "legend_cancel": "cancelled",
    "legend_actual": "actually happened",
    "legend_diagonal": "announced at the promised moment (no notice)",
    "axis_x": "announced ({zone})",
    "axis_y": "promised time ({zone})",
    "chart_label": "Promise drift for {milestone}: {count} promise versions",
    "point_label": "v{version} {promised}, announced {announced}",
    "actual_label": "happened {at}",
}

_KO: dict[str, str] = {
    "site_name": "약속",
    "tagline": "제때, 투명하게 전하는 출시 공지",
    "nav_board": "공지 게시판",
    "nav_scorecard": "약속 성적표",
    "nav_atom": "Atom 피드",
    "nav_calendar": "캘린더",
    "language": "언어",
    "board_title": "공지 게시판",
    "upcoming": "다가오는 일정",
    "no_upcoming": "다가오는 일정이 없습니다.",
    "notices": "공지",
    "all_kinds": "전체",
    "older_notices": "이전 공지 →",
    "newest_notices": "← 최신 공지",
    "filter_by_kind": "종류별로 보기",
    "no_notices": "아직 게시된 공지가 없습니다.",
    "owed_title": "사과 공지 필요",
    "owed_line": "{launch} {milestone} 약속이 {broke_at}에 지켜지지 않았습니다.",
    "owed_due": "사유와 새 일정을 담은 사과 공지를 {due_by}까지 게시해야 합니다.",
    "owed_overdue": "기한이 지났습니다.",
    "published": "게시",
    "read_more": "공지 전문",
    "superseded": "이후 공지로 정정됨",
    "supersedes": "이 공지가 정정하는 공지",
    "superseded_by": "이 공지를 정정한 공지",
    "override": "정책 예외",
    "verdict": "판정",
    "override_hint": "출시 정책에 어긋나게 게시되었습니다. 사유는 아래에 있습니다.",
    "launch_page": "출시 페이지",
    "milestones": "일정",
    "promise": "약속",
    "outcome": "결과",
    "occurred": "실제 시각",
    "history": "약속 변경 이력",
    "version": "버전",
    "promised": "약속한 시각",
    "announced": "발표 시각",
    "change": "변경",
    "reason": "사유",
    "notice": "공지",
    "your_time": "내 시간",
    "countdown": "{d}일 {hms} 남음",
    "countdown_passed": "약속한 시각이 지났습니다",
    "no_milestones": "아직 일정이 없습니다.",
    "launch_feeds": "이 출시의 피드",
    "scorecard_title": "약속 성적표",
    "scorecard_intro": "공개 이력만으로 계산한, 지킨 약속과 어긴 약속입니다.",
    "scorecard_all": "전체 출시",
    "drift_title": "약속 변화",
    "drift_intro": (
        "점 하나가 약속의 한 버전입니다. 가로는 발표한 시각, 세로는 약속한 시각입니다. "
        "채운 점은 정확한 시각, 빈 막대는 시간 없이 날짜나 월만 발표한 약속입니다."
    ),
    "no_chart": "아직 시각이 있는 약속이 없습니다.",
    "json": "JSON",
    "not_found_title": "찾을 수 없음",
    "not_found_text": "없는 페이지입니다. 게시된 적이 없을 수도 있습니다.",
    "back_to_board": "공지 게시판으로",
    "reservation_title": "내 사전 예약",
    "reservation_code": "조회 코드",
    "reservation_place": "대기 순번",
    "reservation_place_waitlist": "대기자 명단 순번",
    "reservation_sequence": "예약 번호",
    "reservation_state": "상태",
    "reservation_item": "상품",
    "reservation_quantity": "수량",
    "reservation_pickup": "수령 매장",
    "reservation_delivery": "택배 배송",
    "reservation_ships": "출고 예정",
    "reservation_not_scheduled": "아직 정해지지 않음",
    "reservation_waitlisted_note": (
        "준비된 수량이 모두 예약되어 대기자 명단에 올랐습니다. 다른 분이 취소한 수량은 "
        "대기 순서대로 돌아갑니다."
    ),
    "reservation_cancel": "예약 취소",
    "reservation_cancel_note": "취소하면 되돌릴 수 없고, 수량은 다음 순번에게 넘어갑니다.",
    "reservation_cancelled": "{at}에 취소된 예약입니다.",
    "reservation_keep_link": "이 페이지 주소를 보관하세요. 예약을 다시 확인할 유일한 방법입니다.",
    "legend_exact": "정확한 시각",
    "legend_window": "날짜·월만 발표 (시간 미정)",
    "legend_cancel": "취소",
    "legend_actual": "실제 시각",
    "legend_diagonal": "약속 시각에 바로 발표 (사전 공지 없음)",
    "axis_x": "발표 시각 ({zone})",
    "axis_y": "약속한 시각 ({zone})",
    "chart_label": "{milestone} 약속 변화: 약속 {count}개 버전",
    "point_label": "v{version} {promised}, 발표 {announced}",
    "actual_label": "실제 {at}",
}

STRINGS: dict[str, dict[str, str]] = {"en": _EN, "ko": _KO}
