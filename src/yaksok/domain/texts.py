"""Per-language texts: each launch publishes in its own languages (``Launch.languages``), any of
the languages yaksok can carry, which are the interface's: Korean, English and Japanese."""

from __future__ import annotations

from collections.abc import Sequence

from yaksok.domain import codes
from yaksok.domain.errors import InvalidInput

LANGUAGES = ("ko", "en", "ja")  # the interface's languages too (web.pages.i18n.LANGUAGES)
DEFAULT_LANGUAGES = ("ko", "en")  # a launch's languages unless set; the first is its primary
NAMES = {"ko": "Korean", "en": "English", "ja": "Japanese"}


def check_texts(
    texts: dict[str, str], what: str, *, required: bool = True, languages: Sequence[str] = LANGUAGES
) -> dict[str, str]:
    """Per-language texts: in ``languages`` only (a launch's, or every known one), at least one
    non-empty when required."""
    unknown = set(texts) - set(LANGUAGES)
    if unknown:
        raise InvalidInput(f"{what}: unknown language {sorted(unknown)[0]!r}", code=codes.INVALID_LANGUAGE)
    foreign = sorted(set(texts) - set(languages))
    if foreign:
        raise InvalidInput(
            f"{what}: {foreign[0]!r} is not one of this launch's languages ({', '.join(languages)})",
            code=codes.INVALID_TEXT_LANGUAGE,
            details={"language": foreign[0], "languages": list(languages)},
        )
    cleaned = {lang: text.strip() for lang, text in texts.items() if text and text.strip()}
    if required and not cleaned:
        named = " or ".join(NAMES[lang] for lang in languages)
        raise InvalidInput(f"{what} needs text in {named}", code=codes.INVALID_TEXT_REQUIRED)
    return cleaned


def check_languages(languages: Sequence[str]) -> tuple[str, ...]:
    """A launch's languages: known ones, at least one, none twice; the first is its primary."""
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown:
        raise InvalidInput(
            f"unknown language {unknown[0]!r}; one of {', '.join(LANGUAGES)}", code=codes.INVALID_LANGUAGE
        )
    if not languages or len(set(languages)) != len(languages):
        raise InvalidInput(
            "a launch's languages are at least one, each once (the first is its primary)",
            code=codes.INVALID_LANGUAGES,
        )
    return tuple(languages)


def fallback_order(lang: str, languages: Sequence[str] | None = None) -> tuple[str, ...]:
    """The languages to try, best first, for a reader of ``lang``: theirs if the launch publishes
    in it, then the launch's primary and its other languages, then any other. ``languages``
    None: a text of no launch, in the reader's language if it has one."""
    launch = LANGUAGES if languages is None else languages
    order = [lang] if lang in launch else []
    order += [other for other in (*launch, *LANGUAGES) if other not in order]
    return tuple(order)


def shown_language(texts: dict[str, str], lang: str, languages: Sequence[str] | None = None) -> str:
    """The language ``pick_text`` shows a reader of ``lang`` in ("" when there is no text)."""
    return next((other for other in fallback_order(lang, languages) if texts.get(other)), "")


def pick_text(texts: dict[str, str], lang: str, languages: Sequence[str] | None = None) -> str:
    """The text for a reader of ``lang``: in their language if the launch (of ``languages``)
    publishes in it, else in the launch's primary, else in any it has. Every page and channel
    falls back this one way."""
    shown = shown_language(texts, lang, languages)
    return texts[shown] if shown else ""


def as_texts(value: dict[str, str] | str, lang: str = "en") -> dict[str, str]:
    """Per-language texts from either form callers may give: a plain string is taken as
    written in ``lang`` (English unless said), as texts stored before they were per-language."""
    return {lang: value} if isinstance(value, str) else dict(value)
