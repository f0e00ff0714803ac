"""Per-language texts: yaksok writes everything public in Korean and English."""

from __future__ import annotations

from yaksok.domain import codes
from yaksok.domain.errors import InvalidInput

LANGUAGES = ("ko", "en")


def check_texts(texts: dict[str, str], what: str, *, required: bool = True) -> dict[str, str]:
    """Per-language texts: known languages only, at least one non-empty when required."""
    unknown = set(texts) - set(LANGUAGES)
    if unknown:
        raise InvalidInput(f"{what}: unknown language {sorted(unknown)[0]!r}", code=codes.INVALID_LANGUAGE)
    cleaned = {lang: text.strip() for lang, text in texts.items() if text and text.strip()}
    if required and not cleaned:
        raise InvalidInput(f"{what} needs text in Korean or English", code=codes.INVALID_TEXT_REQUIRED)
    return cleaned


def pick_text(texts: dict[str, str], lang: str) -> str:
    """The text in ``lang``, else any other language the author wrote."""
    if texts.get(lang):
        return texts[lang]
    return next((texts[other] for other in LANGUAGES if texts.get(other)), "")


def as_texts(value: dict[str, str] | str, lang: str = "en") -> dict[str, str]:
    """Per-language texts from either form callers may give: a plain string is taken as
    written in ``lang`` (English unless said), as texts stored before they were per-language."""
    return {lang: value} if isinstance(value, str) else dict(value)
