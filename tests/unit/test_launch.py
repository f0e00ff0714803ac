from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yaksok.domain.errors import Conflict, InvalidInput
from yaksok.domain.launch import Launch, Milestone, MilestoneKind, Sku
from yaksok.domain.texts import LANGUAGES, pick_text
from yaksok.web.pages import i18n

IPAD = Launch(slug="ipad", titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")


def test_a_sku_code_may_appear_only_once_in_a_launch() -> None:
    skus = (Sku("wifi-16", {"en": "16 GB"}), Sku("wifi-32", {}), Sku("wifi-16", {"en": "16 GB again"}))

    with pytest.raises(InvalidInput) as caught:
        Launch(slug="ipad", titles={"en": "iPad"}, zone="Asia/Seoul", skus=skus)

    assert caught.value.code == "launch.duplicate_sku"
    assert caught.value.details == {"codes": ["wifi-16"]}


def test_new_titles_replace_every_language_of_the_old_ones() -> None:
    retitled = IPAD.retitled({"en": " iPad (KT) "})

    assert retitled.titles == {"en": "iPad (KT)"}
    assert (retitled.slug, retitled.zone) == (IPAD.slug, IPAD.zone)


def test_the_same_titles_again_are_refused_as_no_change() -> None:
    milestone = Milestone(
        id="ipad.preorder",
        launch_slug="ipad",
        key="preorder",
        kind=MilestoneKind.CUSTOM,
        titles={"en": "Pre"},
    )

    for retitle in (
        lambda: IPAD.retitled({"ko": "아이패드", "en": "iPad "}),
        lambda: milestone.retitled({"en": "Pre"}),
    ):
        with pytest.raises(Conflict) as caught:
            retitle()
        assert caught.value.code == "titles.unchanged"


def test_titles_without_text_or_in_an_unknown_language_are_refused() -> None:
    for titles, code in [({"en": " "}, "invalid.text_required"), ({"fr": "iPad"}, "invalid.language")]:
        with pytest.raises(InvalidInput) as caught:
            IPAD.retitled(titles)
        assert caught.value.code == code


def test_the_content_languages_yaksok_carries_are_the_interface_languages() -> None:
    assert set(LANGUAGES) == set(i18n.LANGS) == set(i18n.LANGUAGE_NAMES)


@given(
    texts=st.dictionaries(st.sampled_from(LANGUAGES), st.sampled_from(["a", "b"]), min_size=1),
    languages=st.lists(st.sampled_from(LANGUAGES), min_size=1, unique=True),
    lang=st.sampled_from(LANGUAGES),
)
def test_a_reader_gets_their_language_else_the_launch_primary_else_any(
    texts: dict[str, str], languages: list[str], lang: str
) -> None:
    shown = pick_text(texts, lang, languages)
    if lang in languages and lang in texts:
        assert shown == texts[lang]
    elif languages[0] in texts:
        assert shown == texts[languages[0]]
    else:
        assert shown in texts.values()


def test_a_launch_reads_to_each_reader_in_their_language_or_its_primary() -> None:
    launch = Launch(
        slug="ipad", titles={"ja": "アイパッド", "en": "iPad"}, zone="Asia/Tokyo", languages=("ja", "en")
    )
    assert [launch.reading_language(lang) for lang in ("ko", "en", "ja")] == ["ja", "en", "ja"]
    assert [launch.title(lang) for lang in ("ko", "en", "ja")] == ["アイパッド", "iPad", "アイパッド"]
