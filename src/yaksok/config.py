"""Settings, read once at start from the environment (``YAKSOK_*``) and passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from yaksok.domain import codes
from yaksok.domain.errors import InvalidInput
from yaksok.domain.subscription import allowed_networks


def default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'yaksok.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = ""  # public URL for feeds and links; derived from host:port when empty
    max_body_bytes: int = 64 * 1024  # admin and public JSON bodies; larger gets 413
    scheduler_interval: float = 0.2  # seconds between scheduler checks: bounds publication lateness
    checkpoint_interval: float = 60.0  # seconds between signed ledger checkpoints
    run_scheduler: bool = True
    live_listen: bool = True  # PostgreSQL LISTEN for live updates; off behind a pooler without it
    session_secret: str = ""  # signs console session cookies; empty: a random one per process
    session_hours: float = 8.0  # a console session ends this long after sign-in
    # Delivery: private addresses (IPs or CIDRs) webhooks may still reach, e.g. 127.0.0.1 in tests.
    webhook_allow_hosts: tuple[str, ...] = ()
    webhook_timeout: float = 10.0  # seconds to wait for a webhook receiver's answer
    delivery_connections: int = 64  # at most this many connections to one webhook receiver
    delivery_pipeline: int = 8  # webhook requests sent ahead on one connection (1: one at a time)
    delivery_interval: float = 1.0  # seconds between looks for retries and other processes' work
    delivery_lease: float = 60.0  # seconds a worker holds deliveries it took; then they are retried
    run_delivery: bool = True
    public_writes_per_second: float = 10.0  # reservations and cancellations per client address; 0: none
    public_writes_burst: int = 30  # so many at once before the rate applies
    # Email: the SMTP server messages are handed to, and who sends them.
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_security: str = "none"  # starttls, tls (implicit) or none
    smtp_username: str = ""  # empty: no AUTH
    smtp_password: str = ""
    smtp_timeout: float = 10.0
    email_from: str = "yaksok@localhost"
    email_confirm_hours: float = 72.0  # a confirmation link works this long
    webhook_rotation_hours: float = 24.0  # a rotated webhook secret's predecessor signs this long
    vapid_subject: str = ""  # browser push: who push services may contact; empty: mailto:<email_from>

    @property
    def push_contact(self) -> str:
        """The VAPID ``sub`` claim (RFC 8292 §2.1): a mailto: or https: URI."""
        return self.vapid_subject or f"mailto:{self.email_from}"

    @property
    def public_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        database_url: str | None = None,
        host: str | None = None,
        port: int | None = None,
        base_url: str | None = None,
    ) -> Settings:
        """Settings from ``env`` (default: the process environment); the command line's options,
        when not None, win over their variables."""
        env = os.environ if env is None else env
        if database_url is None:
            database_url = env.get("YAKSOK_DATABASE_URL") or default_database_url()
        return cls(
            database_url=database_url,
            host=env.get("YAKSOK_HOST", "127.0.0.1") if host is None else host,
            port=_int(env, "YAKSOK_PORT", 8000) if port is None else port,
            base_url=env.get("YAKSOK_BASE_URL", "") if base_url is None else base_url,
            max_body_bytes=_int(env, "YAKSOK_MAX_BODY_BYTES", 64 * 1024),
            scheduler_interval=_float(env, "YAKSOK_SCHEDULER_INTERVAL", 0.2),
            checkpoint_interval=_float(env, "YAKSOK_CHECKPOINT_INTERVAL", 60.0),
            live_listen=_bool(env, "YAKSOK_LIVE_LISTEN", True),
            session_secret=env.get("YAKSOK_SESSION_SECRET", ""),
            session_hours=_float(env, "YAKSOK_SESSION_HOURS", 8.0),
            webhook_allow_hosts=_networks(env, "YAKSOK_WEBHOOK_ALLOW_HOSTS"),
            webhook_timeout=_float(env, "YAKSOK_WEBHOOK_TIMEOUT", 10.0),
            delivery_connections=_count(env, "YAKSOK_DELIVERY_CONNECTIONS", 64, 1024),
            delivery_pipeline=_count(env, "YAKSOK_DELIVERY_PIPELINE", 8, 64),
            delivery_interval=_float(env, "YAKSOK_DELIVERY_INTERVAL", 1.0),
            public_writes_per_second=_float(env, "YAKSOK_PUBLIC_WRITES_PER_SECOND", 10.0),
            public_writes_burst=_int(env, "YAKSOK_PUBLIC_WRITES_BURST", 30),
            delivery_lease=_float(env, "YAKSOK_DELIVERY_LEASE", 60.0),
            smtp_host=env.get("YAKSOK_SMTP_HOST", "localhost"),
            smtp_port=_int(env, "YAKSOK_SMTP_PORT", 25),
            smtp_security=_choice(env, "YAKSOK_SMTP_SECURITY", ("none", "starttls", "tls")),
            smtp_username=env.get("YAKSOK_SMTP_USERNAME", ""),
            smtp_password=env.get("YAKSOK_SMTP_PASSWORD", ""),
            smtp_timeout=_float(env, "YAKSOK_SMTP_TIMEOUT", 10.0),
            email_from=env.get("YAKSOK_EMAIL_FROM", "yaksok@localhost"),
            email_confirm_hours=_float(env, "YAKSOK_EMAIL_CONFIRM_HOURS", 72.0),
            webhook_rotation_hours=_float(env, "YAKSOK_WEBHOOK_ROTATION_HOURS", 24.0),
            vapid_subject=_contact(env, "YAKSOK_VAPID_SUBJECT"),
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, not {raw!r}", code=codes.CONFIG_INVALID) from None


def _count(env: Mapping[str, str], name: str, default: int, most: int) -> int:
    value = _int(env, name, default)
    if not 1 <= value <= most:
        raise InvalidInput(f"{name} must be from 1 to {most}, not {value}", code=codes.CONFIG_INVALID)
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a number, not {raw!r}", code=codes.CONFIG_INVALID) from None


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (the first by default)."""
    raw = env.get(name, "").strip().lower() or choices[0]
    if raw not in choices:
        raise InvalidInput(
            f"{name} must be one of {', '.join(choices)}, not {raw!r}", code=codes.CONFIG_INVALID
        )
    return raw


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise InvalidInput(f"{name} must be on or off, not {raw!r}", code=codes.CONFIG_INVALID)


def _networks(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or CIDRs, each checked."""
    entries = tuple(part.strip() for part in env.get(name, "").split(",") if part.strip())
    try:
        allowed_networks(entries)
    except ValueError as exc:
        raise InvalidInput(
            f"{name} must list IP addresses or CIDRs separated by commas: {exc}", code=codes.CONFIG_INVALID
        ) from None
    return entries


def _contact(env: Mapping[str, str], name: str) -> str:
    """A ``mailto:`` or ``https:`` URI, or empty."""
    raw = env.get(name, "").strip()
    if raw and not ((raw.startswith("mailto:") and "@" in raw) or raw.startswith("https://")):
        raise InvalidInput(f"{name} must be a mailto: or https: URI, not {raw!r}", code=codes.CONFIG_INVALID)
    return raw
