from __future__ import annotations

import pytest

from yaksok.config import Settings
from yaksok.domain.errors import InvalidInput


def test_settings_come_from_the_environment_and_explicit_options_win() -> None:
    env = {"YAKSOK_DATABASE_URL": "sqlite:///x.db", "YAKSOK_PORT": "9000", "YAKSOK_LIVE_LISTEN": "off"}

    settings = Settings.from_env(env, port=9100)

    assert settings.database_url == "sqlite:///x.db"
    assert settings.port == 9100 and settings.live_listen is False
    assert settings.public_url == "http://127.0.0.1:9100"


def test_defaults_hold_when_nothing_is_set() -> None:
    settings = Settings.from_env({})

    assert settings.database_url.endswith("yaksok.db")
    assert (settings.max_body_bytes, settings.scheduler_interval, settings.live_listen) == (65536, 0.2, True)


@pytest.mark.parametrize(
    ("name", "value"),
    [("YAKSOK_PORT", "eighty"), ("YAKSOK_SCHEDULER_INTERVAL", "fast"), ("YAKSOK_LIVE_LISTEN", "maybe")],
)
def test_a_bad_value_stops_start_up_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Settings.from_env({name: value})

    assert caught.value.code == "config.invalid" and name in caught.value.message
