"""The interface language of the pages and the console, and the words they say in it.

The words are gettext messages: English in the code (the msgids), translated in the catalogs
``web/locale/<lang>/LC_MESSAGES/messages.po`` (Babel extracts them; docs/operations.md says how
a translator adds a language). The ``.po`` files are compiled in memory when first used, so a
wheel carries only them and nothing can go stale. Notice text itself comes from
``channels.render`` so every channel says the same; its languages are the launch's own
(``Launch.languages``, some of ``domain.texts.LANGUAGES``), whatever the interface speaks.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.requests import Request
from starlette.responses import Response

from yaksok.domain import texts
from yaksok.domain.launch import Launch

SOURCE_LANG = "en"  # the msgids are English: English needs no catalog
LANGS = ("ko", "en", "ja")
CONTENT_LANGS = texts.LANGUAGES  # the languages a launch's notices, titles and feeds may be in
DEFAULT_LANG = "en"  # a visitor whose browser asks for none of LANGS reads English
LANGUAGE_NAMES = {"ko": "한국어", "en": "English", "ja": "日本語"}  # each in its own language
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
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


def content_lang(lang: str) -> str:
    """The content language that goes with interface language ``lang`` (feeds, calendars)."""
    return lang if lang in CONTENT_LANGS else DEFAULT_LANG


def remember(request: Request, response: Response) -> None:
    """Keep an explicit ``?lang=`` choice for the next pages."""
    asked = request.query_params.get("lang")
    if asked in LANGS and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=_COOKIE_MAX_AGE, samesite="lax")


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of ``lang``, compiled from its ``.po`` (fuzzy entries left out, as msgfmt does)."""
    if lang == SOURCE_LANG:
        return gettext.NullTranslations()
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=lang, domain="messages")
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def translate(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


def translate_in(lang: str, context: str, message: str) -> str:
    return translations(lang).pgettext(context, message)


def N_(message: str) -> str:
    """Marks ``message`` for extraction where it is defined; translated where it is shown."""
    return message


@dataclass(frozen=True)
class Label:
    """A message with its gettext context: one English word may name two things ("Change")."""

    context: str
    message: str


def label(context: str, message: str) -> Label:
    """Marks a domain value's name for extraction (``-k label:1c,2``), translated when shown."""
    return Label(context, message)


class Words(Mapping[str, Mapping[str, str]]):
    """Named messages, looked up per language: ``words["ko"]["board_title"]``."""

    def __init__(self, messages: Mapping[str, str | Label]) -> None:
        self._messages = dict(messages)
        self._by_lang: dict[str, dict[str, str]] = {}

    def __getitem__(self, lang: str) -> Mapping[str, str]:
        if lang not in self._by_lang:
            self._by_lang[lang] = self.in_lang(lang)
        return self._by_lang[lang]

    def __iter__(self) -> Iterator[str]:
        return iter(LANGS)

    def __len__(self) -> int:
        return len(LANGS)

    def in_lang(self, lang: str) -> dict[str, str]:
        return {
            key: translate_in(lang, m.context, m.message) if isinstance(m, Label) else translate(lang, m)
            for key, m in self._messages.items()
        }


STRINGS = Words(
    {
        "site_name": N_("yaksok"),
        "tagline": N_("Launch notices, on time and in the open"),
        "nav_board": N_("Notice board"),
        "nav_scorecard": N_("Scorecard"),
        "nav_atom": N_("Atom feed"),
        "nav_calendar": N_("Calendar"),
        "language": N_("Language"),
        "board_title": N_("Notice board"),
        "subscribe_title": N_("Get notices"),
        "subscribe_how": N_("Where to send them"),
        "subscribe_email": N_("By email"),
        "subscribe_webhook": N_("By webhook"),
        "subscribe_address": N_("Email address"),
        "subscribe_url": N_("Webhook URL"),
        "subscribe_contact": N_("Your email, told if the webhook keeps failing (optional)"),
        "subscribe_launches": N_("Launches (none ticked: all of them)"),
        "subscribe_kinds": N_("Kinds of notice (none ticked: all of them)"),
        "subscribe_language": N_("Language of the notices"),
        "subscribe_button": N_("Subscribe"),
        "subscribe_refused": N_("Not subscribed"),
        "subscribed_title": N_("Subscribed"),
        "subscribed_email": N_("We sent a link to {address}: open it to confirm, and notices will follow."),
        "subscribed_webhook": N_(
            "Your webhook will get every notice you chose, signed per Standard Webhooks."
        ),
        "subscribed_secret": N_("Its signing secret, shown only this once:"),
        "manage_title": N_("Your subscription"),
        "manage_saved": N_("Saved: you will get what you chose from now on."),
        "manage_button": N_("Save"),
        "manage_other_channel": N_("Another channel too?"),
        "manage_unsubscribe": N_("Unsubscribe"),
        "upcoming": N_("Upcoming milestones"),
        "no_upcoming": N_("No upcoming milestones."),
        "notices": N_("Notices"),
        "all_kinds": N_("All"),
        "older_notices": N_("Older notices →"),
        "newest_notices": N_("← Newest notices"),
        "filter_by_kind": N_("Show notices of one kind"),
        "no_notices": N_("No notices published yet."),
        "owed_title": N_("Apology owed"),
        "owed_line": N_("The promise for {milestone} ({launch}) was broken at {broke_at}."),
        "owed_due": N_("An apology with the reason and a new plan is owed by {due_by}."),
        "owed_overdue": N_("It is overdue."),
        "published": N_("Published"),
        "read_more": N_("Full notice"),
        "superseded": N_("Corrected by a later notice"),
        "supersedes": N_("This notice corrects"),
        "superseded_by": N_("This notice was corrected by"),
        "posted_on": N_("Also posted on"),
        "override": N_("Policy override"),
        "verdict": N_("verdict"),
        "override_hint": N_("Published against the launch's policy; the justification is shown below."),
        "launch_page": N_("Launch page"),
        "milestones": N_("Milestones"),
        "promise": N_("Promise"),
        "outcome": N_("Outcome"),
        "occurred": N_("Happened at"),
        "history": N_("Promise history"),
        "version": N_("Version"),
        "promised": N_("Promised"),
        "announced": N_("Announced"),
        "change": N_("Change"),
        "reason": N_("Reason"),
        "notice": N_("Notice"),
        "your_time": N_("your time"),
        "countdown": N_("in {d} d {hms}"),
        "countdown_passed": N_("the promised time has passed"),
        "no_milestones": N_("No milestones yet."),
        "launch_feeds": N_("This launch's feeds"),
        "preorder_title": N_("Pre-order"),
        "preorder_not_announced": N_(
            "No opening time is announced yet: the pre-order opens only at an exact time announced ahead."
        ),
        "preorder_announced": N_("The pre-order opens at {at}."),
        "preorder_open": N_(
            "The pre-order is open (since {at}): reservations are taken in order of arrival."
        ),
        "preorder_closed": N_("The pre-order closed at {at}."),
        "preorder_on_offer": N_("On offer"),
        "preorder_limited": N_("limited: {cap} units, then a waitlist"),
        "preorder_limit": N_("At most {limit} units per customer."),
        "preorder_queue": N_(
            "A waiting room is on: join its pre-queue from {at}. Everyone in it before the opening is "
            "put in an order drawn by a shuffle anyone can check; later arrivals follow in order."
        ),
        "preorder_queue_link": N_("Join the waiting room"),
        "push_start": N_("Remind me in this browser"),
        "push_stop": N_("Stop reminding me in this browser"),
        "push_on": N_("This browser will show this launch's reminders and changes."),
        "push_off": N_("This browser will show nothing more of this launch."),
        "push_denied": N_("Notifications are blocked for this site in the browser's settings."),
        "push_failed": N_("This browser could not subscribe; the feeds and the calendar still work."),
        "scorecard_title": N_("Scorecard"),
        "scorecard_intro": N_("Which promises were kept, computed from the public history alone."),
        "scorecard_all": N_("All launches"),
        "drift_title": N_("Promise drift"),
        "drift_intro": N_(
            "Each point is one version of a promise: when it was announced (across) and the time it "
            "promised (up). A filled dot is an exact time; a hollow bar is a day or month without a time."
        ),
        "no_chart": N_("No promise with a time yet."),
        "json": N_("as JSON"),
        "not_found_title": N_("Not found"),
        "not_found_text": N_("There is no such page. It may never have been published."),
        "back_to_board": N_("Back to the notice board"),
        "queue_title": N_("Waiting room"),
        "queue_number": N_("Your number"),
        "queue_ahead": N_("Ahead of you"),
        "queue_wait": N_("Estimated wait"),
        "queue_seconds": N_("seconds"),
        "queue_turn": N_("It is your turn: ask for your admission, then reserve with it."),
        "queue_prequeue": N_(
            "You are in the pre-queue. The order is drawn fairly at the opening; this page then shows "
            "your number."
        ),
        "queue_admit": N_("Get my admission"),
        "queue_nojs": N_("Without JavaScript this page refreshes every 10 seconds."),
        "reservation_title": N_("Your reservation"),
        "reservation_code": N_("Lookup code"),
        "reservation_place": N_("Place in line"),
        "reservation_place_waitlist": N_("Place on the waitlist"),
        "reservation_sequence": N_("Reserved as number"),
        "reservation_state": N_("Status"),
        "reservation_item": N_("Item"),
        "reservation_quantity": N_("Quantity"),
        "reservation_pickup": N_("Pick-up at"),
        "reservation_delivery": N_("Delivered to your address"),
        "reservation_ships": N_("Expected to ship"),
        "reservation_not_scheduled": N_("not yet scheduled"),
        "reservation_ready": N_("Ready for pick-up"),
        "reservation_history": N_("How the expected date changed"),
        "reservation_history_row": N_("{at}: from {old} to {new}, because {reason}"),
        "reservation_waitlisted_note": N_(
            "Every unit on offer is reserved. You are on the waitlist: units that others cancel go "
            "to the waitlist in order."
        ),
        "reservation_cancel": N_("Cancel this reservation"),
        "reservation_cancel_note": N_("Cancelling cannot be undone; your units go to the next in line."),
        "reservation_cancelled": N_("This reservation was cancelled on {at}."),
        "reservation_keep_link": N_("Keep this page's address: it is the only way back to your reservation."),
        "legend_exact": N_("exact time"),
        "legend_window": N_("day or month, time not announced"),
        "legend_cancel": N_("cancelled"),
        "legend_actual": N_("actually happened"),
        "legend_diagonal": N_("announced at the promised moment (no notice)"),
        "axis_x": N_("announced ({zone})"),
        "axis_y": N_("promised time ({zone})"),
        "chart_label": N_("Promise drift for {milestone}: {count} promise versions"),
        "point_label": N_("v{version} {promised}, announced {announced}"),
        "actual_label": N_("happened {at}"),
        "content_note": N_("This launch publishes in {languages}; shown in {shown}."),
        "languages_two": N_("{first} and {second}"),
        "languages_three": N_("{first}, {second} and {third}"),
    }
)

# The content languages by name, in the page's language (``content_note``).
LANGUAGE_WORDS = Words(
    {
        "ko": label("language", "Korean"),
        "en": label("language", "English"),
        "ja": label("language", "Japanese"),
    }
)


def content_note(launch: Launch, lang: str) -> str:
    """A short note when the launch's texts are shown in another language than the page's:
    "This launch publishes in Korean and English; shown in Korean." ("" when the launch
    publishes in the page's language: ``Launch.reading_language``)."""
    if lang in launch.languages:
        return ""
    names = [LANGUAGE_WORDS[lang][code] for code in launch.languages]
    t = STRINGS[lang]
    if len(names) == 1:
        listed = names[0]
    elif len(names) == 2:
        listed = t["languages_two"].format(first=names[0], second=names[1])
    else:
        listed = t["languages_three"].format(first=names[0], second=names[1], third=", ".join(names[2:]))
    shown = LANGUAGE_WORDS[lang][launch.reading_language(lang)]
    return t["content_note"].format(languages=listed, shown=shown)
