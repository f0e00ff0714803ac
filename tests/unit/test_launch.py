from __future__ import annotations

import pytest

from yaksok.domain.errors import Conflict, InvalidInput
from yaksok.domain.launch import Launch, Milestone, MilestoneKind, Sku

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
