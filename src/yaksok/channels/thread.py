"""A notice cut into a numbered thread of posts, each within one network's limit by that
network's own counting: pure logic, no I/O.

Text is cut between words, preferring the end of a sentence; a word longer than a whole post is
cut between graphemes (``regex``'s ``\\X``), never inside one. A URL or a rendered time in any
language (``2010-11-09 20:00 KST (11:00 UTC)``, ``2010년 11월 9일 (화) 오후 8:00 KST (11:00 UTC)``)
is never cut. A thread's posts end with ``i/n``; the first carries the link to the full notice.
The pieces, joined, are the text as given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import regex

Count = Callable[[str], int]

URL = regex.compile(r"https?://[^\s<>\"]+")
# Times as channels.when writes them in every language (exact, day or month precision):
# English as domain.promise.Promise.describe, Korean and Japanese with their own date words.
_ZONE = r"[A-Za-z0-9+\-]+"
_ISO_DATE = r"\d{4}-\d{2}-\d{2}"
_KO_DATE = r"\d{4}년 \d{1,2}월 \d{1,2}일"
_JA_DATE = r"\d{4}年\d{1,2}月\d{1,2}日"
_CLOCK = r"\d{1,2}:\d{2}"
_NOT_ANNOUNCED = r" \([^()\n]{1,40}\)"


def _beside(day: str) -> str:
    """The wall time's zone, then UTC beside it (with its date when that differs)."""
    return rf" {_ZONE}(?: \((?:{day} )?{_CLOCK} UTC\))?"


TIME = regex.compile(
    rf"{_ISO_DATE} {_CLOCK}{_beside(_ISO_DATE)}"
    rf"|\d{{4}}-\d{{2}}(?:-\d{{2}})?{_NOT_ANNOUNCED}"
    rf"|{_KO_DATE} \(\w\) (?:오전|오후) {_CLOCK}{_beside(_KO_DATE)}"
    rf"|\d{{4}}년 \d{{1,2}}월(?: \d{{1,2}}일 \(\w\))?{_NOT_ANNOUNCED}"
    rf"|{_JA_DATE}\(\w\) {_CLOCK}{_beside(_JA_DATE)}"
    rf"|\d{{4}}年\d{{1,2}}月(?:\d{{1,2}}日\(\w\))?{_NOT_ANNOUNCED}"
)
# A chunk: a time (spaces inside), or a run of non-space, with the whitespace after it.
_CHUNK = regex.compile(rf"(?:{TIME.pattern}|\S+)\s*|\s+")
_SENTENCE_END = regex.compile(r"[.!?。…]$")
_GRAPHEME = regex.compile(r"\X")


def graphemes(text: str) -> int:
    """User-perceived characters (extended grapheme clusters)."""
    return len(_GRAPHEME.findall(text))


def mastodon_length(text: str, url_length: int = 23) -> int:
    """Mastodon's count: graphemes, each URL counted as ``url_length`` (its
    ``characters_reserved_per_url``)."""
    return graphemes(URL.sub("x" * url_length, text))


def x_length(text: str) -> int:
    """X's weighted count (twitter-text v3: CJK and emoji weigh 2, a URL 23)."""
    from twitter_text import parse_tweet  # ~0.27 s to import (its emoji tables): only X needs it

    return int(parse_tweet(text).weightedLength)


@dataclass(frozen=True)
class Rules:
    """How one network counts and how much a post holds."""

    limit: int
    count: Count


MASTODON = Rules(500, mastodon_length)
BLUESKY = Rules(300, graphemes)
X = Rules(280, x_length)


def atoms(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that are never cut: URLs and rendered times."""
    return [m.span() for pattern in (URL, TIME) for m in pattern.finditer(text)]


def _post(piece: str, index: int, total: int, link: str) -> str:
    text = piece.strip()
    if index == 0 and link:
        text = f"{text}\n{link}" if text else link
    return f"{text} {index + 1}/{total}"


def split(text: str, rules: Rules, link: str = "") -> list[str]:
    """``text`` as posts within ``rules``: one post (with ``link`` after it) if it fits, else a
    numbered thread whose first post carries ``link``."""
    whole = f"{text.strip()}\n\n{link}" if link else text.strip()
    if rules.count(whole) <= rules.limit:
        return [whole]
    pieces = thread_pieces(text, rules, link)
    return [_post(piece, index, len(pieces), link) for index, piece in enumerate(pieces)]


def thread_pieces(text: str, rules: Rules, link: str = "") -> list[str]:
    """The pieces a thread's posts hold (joined, they are ``text``).

    Pieces are packed by adding up each word's count, each word counted once (counting a post
    whole for every word added is quadratic: seconds for a long notice on X); the sum is never
    less than the whole's count, as words end in whitespace. Every post is then counted whole,
    and should one not fit, the thread is packed again counting each candidate post whole."""
    chunks, counts = _counted_chunks(text, rules, _overheads(rules, link, 999))
    widest = 9
    while True:
        pieces = _pack_by_sums(chunks, counts, rules.limit, _overheads(rules, link, widest))
        if len(pieces) <= widest:
            total = len(pieces)
            if all(rules.count(_post(p, i, total, link)) <= rules.limit for i, p in enumerate(pieces)):
                return pieces
            break
        widest = widest * 10 + 9
    widest = 9
    while True:
        pieces = _pack(text, rules, link, widest)
        if len(pieces) <= widest:
            return pieces
        widest = widest * 10 + 9


def _overheads(rules: Rules, link: str, widest: int) -> tuple[int, int]:
    """What the numbering (and, on the first post, the link) adds to a post's count."""
    numbering = f" {widest}/{widest}"
    first = rules.count(f"x\n{link}{numbering}" if link else f"x{numbering}") - 1
    return first, rules.count(f"x{numbering}") - 1


def _counted_chunks(text: str, rules: Rules, overheads: tuple[int, int]) -> tuple[list[str], list[int]]:
    chunks: list[str] = []
    counts: list[int] = []
    room = rules.limit - max(overheads)
    for match in _CHUNK.finditer(text):
        chunk = match[0]
        count = rules.count(chunk)
        word = chunk.rstrip()
        if count <= room or URL.fullmatch(word) or TIME.fullmatch(word):
            chunks.append(chunk)
            counts.append(count)
            continue
        run = ""
        for cluster in _GRAPHEME.findall(chunk):
            if run and rules.count(run + cluster) > room:
                chunks.append(run)
                counts.append(rules.count(run))
                run = ""
            run += cluster
        chunks.append(run)
        counts.append(rules.count(run))
    return chunks, counts


def _pack_by_sums(chunks: list[str], counts: list[int], limit: int, overheads: tuple[int, int]) -> list[str]:
    def room(index: int) -> int:
        return limit - overheads[min(index, 1)]

    pieces: list[str] = []
    current: list[int] = []  # indexes into chunks
    used = 0
    sentence_end = 0
    for index, chunk in enumerate(chunks):
        if used + counts[index] <= room(len(pieces)) or not current:
            current.append(index)
            used += counts[index]
            if _SENTENCE_END.search(chunk.rstrip()) or "\n" in chunk:
                sentence_end = len(current)
            continue
        cut = len(current)
        # Back to the sentence's end unless that leaves the post less than half full.
        if sentence_end and sum(counts[i] for i in current[:sentence_end]) * 2 >= limit:
            cut = sentence_end
        pieces.append("".join(chunks[i] for i in current[:cut]))
        current = [*current[cut:], index]
        used = sum(counts[i] for i in current)
        sentence_end = 0
        while len(current) > 1 and used > room(len(pieces)):
            pieces.append("".join(chunks[i] for i in current[:-1]))
            current = current[-1:]
            used = counts[index]
    if current:
        pieces.append("".join(chunks[i] for i in current))
    return pieces


def _pack(text: str, rules: Rules, link: str, widest: int) -> list[str]:
    def fits(piece: str, index: int) -> bool:
        return rules.count(_post(piece, index, widest, link)) <= rules.limit

    chunks = _chunks(text, fits)
    pieces: list[str] = []
    current: list[str] = []
    sentence_end = 0  # chunks in ``current`` up to the last sentence's end
    for chunk in chunks:
        if fits("".join(current) + chunk, len(pieces)) or not current:
            current.append(chunk)
            if _SENTENCE_END.search(chunk.rstrip()) or "\n" in chunk:
                sentence_end = len(current)
            continue
        cut = len(current)
        # Back to the sentence's end unless that leaves the post less than half full.
        if sentence_end and rules.count("".join(current[:sentence_end])) * 2 >= rules.limit:
            cut = sentence_end
        pieces.append("".join(current[:cut]))
        current = [*current[cut:], chunk]
        sentence_end = 0
        while current and not fits("".join(current), len(pieces)) and len(current) > 1:
            pieces.append("".join(current[:-1]))
            current = current[-1:]
    if current:
        pieces.append("".join(current))
    return pieces


def _chunks(text: str, fits: Callable[[str, int], bool]) -> list[str]:
    """Words (a time is one word) with the whitespace after them; a word too long for any post
    is cut into runs of graphemes that fit, unless it is a URL or a time."""
    chunks: list[str] = []
    for match in _CHUNK.finditer(text):
        chunk = match[0]
        word = chunk.rstrip()
        if fits(chunk, 0) or URL.fullmatch(word) or TIME.fullmatch(word):
            chunks.append(chunk)
            continue
        run = ""
        for cluster in _GRAPHEME.findall(chunk):
            if run and not fits(run + cluster, 0):
                chunks.append(run)
                run = ""
            run += cluster
        chunks.append(run)
    return chunks
