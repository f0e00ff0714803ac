"""The names of domain values (notice kinds, reservation states, verdicts, change kinds,
precisions, outcomes, policy rules, scorecard figures) in Korean and English, as the pages show
them."""

from __future__ import annotations

NOTICE_KINDS = {
    "en": {
        "announcement": "Announcement",
        "change": "Change",
        "clarification": "Clarification",
        "shipping_update": "Shipping update",
        "apology": "Apology",
        "general": "General",
    },
    "ko": {
        "announcement": "공지",
        "change": "일정 변경",
        "clarification": "사실 확인",
        "shipping_update": "배송 안내",
        "apology": "사과",
        "general": "일반",
    },
}

RESERVATION_STATES = {
    "en": {"queued": "Reserved", "waitlisted": "On the waitlist", "cancelled": "Cancelled"},
    "ko": {"queued": "예약 완료", "waitlisted": "대기자 명단", "cancelled": "취소됨"},
}

VERDICTS = {
    "en": {"false": "false", "unconfirmed": "unconfirmed", "correct": "correct"},
    "ko": {"false": "사실 아님", "unconfirmed": "미확인", "correct": "사실"},
}

CHANGE_KINDS = {
    "en": {
        "": "first promise",
        "delay": "delay",
        "advance": "advance",
        "cancel": "cancel",
        "clarify": "clarify",
    },
    "ko": {"": "최초 약속", "delay": "연기", "advance": "앞당김", "cancel": "취소", "clarify": "구체화"},
}

PRECISIONS = {
    "en": {
        "exact": "exact date and time announced",
        "day": "date announced, time not yet announced",
        "month": "month announced, date and time not yet announced",
        "unannounced": "not yet announced",
    },
    "ko": {
        "exact": "날짜와 시각 발표",
        "day": "날짜 발표, 시간 미정",
        "month": "월 발표, 날짜·시간 미정",
        "unannounced": "일정 미정",
    },
}

OUTCOMES = {
    "en": {
        "kept": "kept",
        "kept_short_notice": "kept, short notice",
        "broken": "broken",
        "revised": "changed with due notice",
        "pending": "pending",
        "cancelled": "cancelled",
        "none": "no promise yet",
    },
    "ko": {
        "kept": "지킴",
        "kept_short_notice": "지킴 (촉박한 공지)",
        "broken": "어김",
        "revised": "사전 공지 후 변경",
        "pending": "진행 중",
        "cancelled": "취소",
        "none": "아직 약속 없음",
    },
}

RULES = {
    "en": {
        "policy.lead_time": "announced with less than the minimum lead time",
        "policy.reason_required": "changed without a public reason",
        "policy.late_change": "changed too close to the old time",
    },
    "ko": {
        "policy.lead_time": "최소 사전 공지 기간 미달",
        "policy.reason_required": "사유 없는 변경",
        "policy.late_change": "기존 일정 직전 변경",
    },
}

SCORE_LABELS = {
    "en": {
        "made": "Promises made",
        "kept": "Kept",
        "kept_short_notice": "Kept on short notice",
        "broken": "Broken",
        "revised": "Changed with due notice",
        "pending": "Pending",
        "exact_time_share": "Announced with an exact time",
        "time_not_announced": "Promises without a time",
        "lead_median": "Median lead time",
        "lead_min": "Shortest lead time",
        "late_changes": "Late changes",
        "overrides": "Policy overrides",
        "lateness_median": "Publication lateness (median)",
        "lateness_max": "Publication lateness (worst)",
        "notices_published": "Notices published",
        "apologies_owed": "Apologies owed",
        "apologies_on_time": "Apologies on time",
        "hours": "{value} h",
        "seconds": "{value} s",
    },
    "ko": {
        "made": "약속 수",
        "kept": "지킴",
        "kept_short_notice": "촉박한 공지로 지킴",
        "broken": "어김",
        "revised": "사전 공지 후 변경",
        "pending": "진행 중",
        "exact_time_share": "정확한 시각 발표 비율",
        "time_not_announced": "시각 없는 약속",
        "lead_median": "사전 공지 기간 (중앙값)",
        "lead_min": "사전 공지 기간 (최단)",
        "late_changes": "촉박한 변경",
        "overrides": "정책 예외",
        "lateness_median": "게시 지연 (중앙값)",
        "lateness_max": "게시 지연 (최대)",
        "notices_published": "게시된 공지",
        "apologies_owed": "필요한 사과",
        "apologies_on_time": "제때 한 사과",
        "hours": "{value}시간",
        "seconds": "{value}초",
    },
}
