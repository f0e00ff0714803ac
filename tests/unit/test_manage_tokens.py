"""The manage link's token, made for a fan-out's many subscribers at once, is the one the manage
page checks (``subscriber_links.unsubscribe_token``), quoted for a URL where it must be."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from yaksok.services.subscriber_links import manage_path_token, manage_tokens, unsubscribe_token

KEY = b"k" * 32


@given(st.one_of(st.from_regex(r"s_[0-9a-f]{12}", fullmatch=True), st.text(min_size=1, max_size=30)))
def test_a_fan_outs_manage_token_is_the_unsubscribe_token_as_a_url_segment(subscription_id: str) -> None:
    made = manage_tokens(KEY)(subscription_id).decode()
    assert made == manage_path_token(KEY, subscription_id)
    assert made == quote(unsubscribe_token(KEY, subscription_id), safe="")
