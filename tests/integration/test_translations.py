"""The interface's gettext catalogs: complete for every language, placeholders intact, and the
pages and the console speaking the language chosen (Japanese added by a .po file alone)."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from yaksok.config import Settings
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app
from yaksok.web.pages import i18n

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [lang for lang in i18n.LANGS if lang != i18n.SOURCE_LANG]
PLACEHOLDER = re.compile(r"\{(\w+)\}|%\((\w+)\)s")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The messages the code and templates use now, extracted as a translator would (docs/operations.md)."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    command = [str(pybabel), "-q", "extract", "-F", "babel.cfg", "-k", "label:1c,2", "-k", "words:2"]
    subprocess.run([*command, "--no-location", "-o", str(pot), "."], cwd=ROOT, check=True, timeout=60)
    with pot.open("rb") as file:
        return read_po(file)


def catalog(lang: str) -> Catalog:
    with (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=lang)


def keys(messages: Catalog) -> set[tuple[str | None, str]]:
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in messages if m.id}


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_the_interface_uses_is_translated(extracted: Catalog, lang: str) -> None:
    translated = catalog(lang)
    done = {
        (m.context, m.id if isinstance(m.id, str) else m.id[0])
        for m in translated
        if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])
    }

    missing = keys(extracted) - done
    assert not missing, f"{lang}.po lacks (or leaves empty or fuzzy): {sorted(missing, key=str)}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_no_catalog_keeps_a_message_the_interface_no_longer_uses(extracted: Catalog, lang: str) -> None:
    stale = keys(catalog(lang)) - keys(extracted)
    assert not stale, f"{lang}.po has messages nothing uses (run pybabel update): {sorted(stale, key=str)}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_placeholders_of_their_message(lang: str) -> None:
    for message in catalog(lang):
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        for text in message.string if isinstance(message.string, tuple) else [message.string]:
            assert placeholders(text) == placeholders(source), (source, text)


@pytest.fixture
def web(sqlite_rt: Runtime) -> TestClient:
    return TestClient(create_app(sqlite_rt, Settings(database_url="unused", run_scheduler=False)))


def test_a_browser_asking_for_japanese_gets_the_board_in_japanese(web: TestClient) -> None:
    reply = web.get("/", headers={"Accept-Language": "ja-JP,ja;q=0.9,en;q=0.5"})

    assert reply.headers["content-language"] == "ja"
    assert '<html lang="ja">' in reply.text
    assert "お知らせ掲示板" in reply.text
    assert 'hreflang="ja" lang="ja" aria-current="true">日本語</a>' in reply.text


def test_the_console_speaks_the_chosen_language_and_remembers_it(web: TestClient) -> None:
    chosen = web.get("/console/sign-in?lang=ko")
    remembered = web.get("/console/sign-in", headers={"Accept-Language": "ja"})

    assert "<h1>로그인</h1>" in chosen.text and chosen.headers["content-language"] == "ko"
    assert "<h1>로그인</h1>" in remembered.text
    assert "<h1>サインイン</h1>" in TestClient(web.app).get("/console/sign-in?lang=ja").text


def test_feeds_speak_every_language_yaksok_carries_japanese_included(web: TestClient) -> None:
    feed = web.get("/feed.atom", headers={"Accept-Language": "ja"})
    unknown = web.get("/feed.atom", headers={"Accept-Language": "fr"})

    assert feed.status_code == 200
    assert 'xml:lang="ja"' in feed.text  # each launch's texts fall back as its languages say
    assert 'xml:lang="en"' in unknown.text
