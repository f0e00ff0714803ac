"""Notices cut into threads: every post within its network's count, nothing lost, nothing cut
inside a grapheme, a URL or a rendered time."""

from __future__ import annotations

import re

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from yaksok.channels import thread
from yaksok.channels.thread import BLUESKY, MASTODON, Rules, X

LINK = "https://yaksok.example/notices/n42"
ALL = (MASTODON, BLUESKY, X)
NUMBER = re.compile(r" \d+/\d+$")


def unnumbered(post: str, index: int) -> str:
    text = NUMBER.sub("", post)
    return text.replace(f"\n{LINK}", "", 1) if index == 0 else text


words = st.sampled_from(
    [
        "예약",
        "판매가",
        "시작됩니다.",
        "Pre-orders",
        "open",
        "at",
        "2010-11-09 20:00 KST (11:00 UTC)",
        "2010년 11월 9일 (화) 오후 8:00 KST (11:00 UTC)",
        "2010年11月10日(水) 1:00 KST (2010年11月9日 16:00 UTC)",
        "2010년 11월 (날짜·시간 미정)",
        "https://example.com/a/very/long/path?with=query&and=more",
        "👩‍👩‍👧",
        "e\u0301",
        "한국어로",
        "쓴",
        "공지입니다!",
        "x" * 40,
    ]
)
texts = st.lists(st.tuples(words, st.sampled_from([" ", " ", "\n", "\n\n", "  "])), max_size=400).map(
    lambda pairs: "".join(w + s for w, s in pairs)
)


@settings(max_examples=60, deadline=None)
@given(texts, st.sampled_from(ALL))
def test_every_post_is_within_its_networks_count_and_the_pieces_join_into_the_text(
    text: str, rules: Rules
) -> None:
    posts = thread.split(text, rules, LINK)
    assert all(rules.count(post) <= rules.limit for post in posts)
    if len(posts) > 1:
        pieces = thread.thread_pieces(text, rules, LINK)
        assert "".join(pieces) == text
        assert [unnumbered(p, i) for i, p in enumerate(posts)] == [piece.strip() for piece in pieces]
        assert all(post.endswith(f" {i + 1}/{len(posts)}") for i, post in enumerate(posts))
        assert LINK in posts[0]


@settings(max_examples=60, deadline=None)
@given(texts, st.sampled_from(ALL))
def test_no_url_time_or_grapheme_is_cut(text: str, rules: Rules) -> None:
    pieces = thread.thread_pieces(text, rules, LINK)
    cuts, at = set(), 0
    for piece in pieces[:-1]:
        at += len(piece)
        cuts.add(at)
    for start, end in thread.atoms(text):
        assert not any(start < cut < end for cut in cuts)
    at, boundaries = 0, {0}
    for cluster in regex.findall(r"\X", text):
        at += len(cluster)
        boundaries.add(at)
    assert cuts <= boundaries


def test_a_short_notice_is_one_post_with_its_link() -> None:
    assert thread.split("Pre-orders open.", MASTODON, LINK) == [f"Pre-orders open.\n\n{LINK}"]


def test_a_long_notice_is_numbered_and_cut_at_a_sentence_end() -> None:
    sentence = "Pre-orders open at 2010-11-09 20:00 KST (11:00 UTC) for everyone in line. "
    posts = thread.split(sentence * 20, MASTODON, LINK)
    assert len(posts) == 4
    assert posts[0].endswith(" 1/4") and posts[3].endswith(" 4/4")
    assert all(re.sub(r"\n?https://\S+", "", p).rstrip(" 1234/").endswith("line.") for p in posts[:-1])


def test_x_counts_korean_as_two_and_a_url_as_23() -> None:
    assert thread.x_length("가" * 10) == 20
    assert thread.x_length("https://example.com/" + "a" * 100) == 23
    korean = "한국어 공지입니다. " * 30  # 330 characters, 540 weighted
    posts = thread.split(korean, X)
    assert len(posts) == 3
    assert all(thread.x_length(p) <= 280 for p in posts)


def test_mastodon_counts_a_url_as_23_and_bluesky_counts_graphemes() -> None:
    assert thread.mastodon_length("see https://example.com/" + "a" * 600) == 27
    assert thread.graphemes("👩‍👩‍👧e\u0301") == 2
    assert thread.split("👩‍👩‍👧" * 301, BLUESKY)[0].startswith("👩‍👩‍👧" * 290)


def test_a_word_longer_than_a_post_is_cut_between_graphemes() -> None:
    posts = thread.split("e\u0301" * 700, BLUESKY)
    assert all(thread.graphemes(p) <= 300 for p in posts)
    assert "".join(NUMBER.sub("", p) for p in posts) == "e\u0301" * 700


def test_a_count_that_words_alone_do_not_add_up_to_is_still_kept() -> None:
    # "a b" costs 10 more than its words: summing words undercounts, so posts are counted whole.
    rules = Rules(60, lambda text: len(text) + 10 * text.count("a b"))
    posts = thread.split("a b " * 40, rules)
    assert len(posts) > 1 and all(rules.count(post) <= 60 for post in posts)
    assert "".join(thread.thread_pieces("a b " * 40, rules)) == "a b " * 40
