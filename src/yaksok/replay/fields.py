"""Reading a scenario's plain data field by field, so every complaint names its place."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from yaksok.domain import codes
from yaksok.domain.errors import InvalidInput
from yaksok.replay.model import NO_TEXT, CadenceSpec, MilestoneSpec, Texts

E = TypeVar("E", bound=StrEnum)

_MISSING = object()


def fail_at(source: str, where: str, field: str | None, problem: str) -> InvalidInput:
    place = f"{where}: {field}" if field else where
    prefix = f"{source}: " if source else ""
    return InvalidInput(
        f"{prefix}{place}: {problem}", code=codes.SCENARIO_INVALID, details={"where": where, "field": field}
    )


class Fields:
    """One mapping of the file, read field by field; ``finish`` refuses fields nobody read."""

    def __init__(self, data: object, source: str, where: str, path: str = "") -> None:
        self.source, self.where, self.path = source, where, path
        if not isinstance(data, Mapping):
            raise fail_at(source, where, path.rstrip(".") or None, "expected a mapping")
        self.data: Mapping[object, object] = data
        self.seen: set[str] = set()

    def fail(self, key: str | None, problem: str) -> InvalidInput:
        field = f"{self.path}{key}" if key else self.path.rstrip(".") or None
        return fail_at(self.source, self.where, field, problem)

    def raw(self, key: str, default: object = _MISSING) -> object:
        self.seen.add(key)
        value = self.data.get(key, default)
        if value is _MISSING:
            raise self.fail(key, "is required")
        return value

    def has(self, key: str) -> bool:
        """Whether ``key`` is given (not absent, not null); either way it counts as read."""
        self.seen.add(key)
        return self.data.get(key) is not None

    def text(self, key: str) -> str:
        value = self.raw(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "expected non-empty text")
        return value.strip()

    def optional_text(self, key: str) -> str:
        return self.text(key) if self.has(key) else ""

    def integer(self, key: str, default: int) -> int:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, "expected a whole number")
        return value

    def texts(self, key: str) -> Texts:
        value = self.raw(key)
        if not isinstance(value, Mapping):
            raise self.fail(key, "expected a mapping of languages {ko: ..., en: ...}")
        for lang in ("ko", "en"):
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                raise self.fail(key, f"missing language {lang!r}")
        extra = sorted(str(k) for k in value if k not in ("ko", "en", "ja"))
        if extra:
            raise self.fail(key, f"unknown language {extra[0]!r} (expected ko and en, and perhaps ja)")
        japanese = value.get("ja", "")
        if not isinstance(japanese, str) or ("ja" in value and not japanese.strip()):
            raise self.fail(key, "expected non-empty text for language 'ja'")
        return Texts(ko=str(value["ko"]).strip(), en=str(value["en"]).strip(), ja=japanese.strip())

    def loose_texts(self, key: str) -> Texts:
        """A reason, justification or claim: ``{ko, en}``, one string for both, or empty."""
        value = self.raw(key, None)
        if value is None or value == "":
            return NO_TEXT
        if isinstance(value, str):
            return Texts(value.strip(), value.strip())
        return self.texts(key)

    def instant(self, key: str) -> datetime:
        value = self.raw(key)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise self.fail(key, f"cannot read {value!r} as a time") from None
        if not isinstance(value, datetime):
            raise self.fail(key, "expected a time such as 2010-11-09T20:00:00+09:00")
        if value.tzinfo is None:
            raise self.fail(key, "needs a UTC offset, e.g. +09:00")
        return value

    def optional_instant(self, key: str) -> datetime | None:
        return self.instant(key) if self.has(key) else None

    def choice(self, key: str, enum: type[E], default: E | None = None) -> E:
        value = self.raw(key, default if default is not None else _MISSING)
        if isinstance(value, bool):  # YAML 1.1 reads a bare ``false`` (a verdict) as a boolean
            value = str(value).lower()
        try:
            return enum(str(value))
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            raise self.fail(key, f"unknown value {value!r} (expected one of: {allowed})") from None

    def optional_choice(self, key: str, enum: type[E]) -> E | None:
        return self.choice(key, enum) if self.has(key) else None

    def sequence(self, key: str, default: list[object] | None = None) -> list[object]:
        value = self.raw(key, default if default is not None else _MISSING)
        if not isinstance(value, list):
            raise self.fail(key, "expected a list")
        return value

    def sub(self, key: str) -> Fields:
        return Fields(self.raw(key), self.source, self.where, f"{self.path}{key}.")

    def subs(self, key: str, default: list[object] | None = None) -> list[Fields]:
        items = self.sequence(key, default)
        return [
            Fields(item, self.source, self.where, f"{self.path}{key}[{i}].") for i, item in enumerate(items)
        ]

    def finish(self) -> None:
        unknown = sorted(str(k) for k in self.data if k not in self.seen)
        if unknown:
            raise self.fail(unknown[0], "unknown field")


K = TypeVar("K", MilestoneSpec, CadenceSpec)


def unique(items: list[K], top: Fields, key: str) -> list[K]:
    seen: set[str] = set()
    for item in items:
        if item.key in seen:
            raise top.fail(key, f"key {item.key!r} appears twice")
        seen.add(item.key)
    return items
