"""The command line, as users call it: through click's runner, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result
from http_servers import QuietHandler, serving
from served_app import free_port, served

from yaksok.cli import main
from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import CreateLaunch, Subscribe, WriteNotice
from yaksok.domain.notice import NoticeKind
from yaksok.replay import load_scenario, run
from yaksok.services import delivery, ledger, notices, operators, subscribers
from yaksok.services import launches as launches_service
from yaksok.services.auth import Role, token_role
from yaksok.services.runtime import Runtime, counting_ids
from yaksok.store.engine import alembic_config
from yaksok.store.tables import ledger_entries
from yaksok.store.unit_of_work import Store

SHIPPED = Path(__file__).resolve().parents[2] / "scenarios" / "kt-ipad-2010.yaml"

COMMANDS = [
    [],
    ["serve"],
    ["worker"],
    ["demo"],
    ["replay"],
    ["ledger"],
    ["ledger", "verify"],
    ["db"],
    ["db", "upgrade"],
    ["token"],
    ["token", "create"],
    ["token", "list"],
    ["token", "revoke"],
    ["user"],
    ["user", "create"],
    ["subscriptions"],
    ["subscriptions", "list"],
    ["subscriptions", "replay"],
    ["social"],
    ["social", "add"],
    ["social", "list"],
    ["reservations"],
    ["reservations", "export"],
    ["launches"],
    ["launches", "reminders"],
    ["launches", "languages"],
    ["waiting-room"],
    ["waiting-room", "set"],
    ["waiting-room", "show"],
    ["stock"],
    ["stock", "add"],
    ["stock", "list"],
    ["stock", "move"],
    ["allocate"],
    ["bench", "allocate"],
    ["bench", "full-launch"],
]


def yaksok(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin, env={"YAKSOK_DATABASE_URL": None})


@pytest.fixture
def database_url(store: Store) -> str:
    """A URL that reaches the ``store`` fixture's database (on PostgreSQL, its own schema)."""
    url = store.engine.url
    if store.dialect == "postgresql":
        with store.engine.connect() as connection:
            schema = connection.execute(sa.text("select current_schema()")).scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture
def replayed(store: Store) -> Runtime:
    """The 2010 scenario replayed into ``store``, its head signed, as a server would then serve it."""
    scenario = load_scenario(SHIPPED)
    run(scenario, Runtime(store=store, clock=SimulatedClock(scenario.starts_at), new_id=counting_ids()))
    rt = Runtime(store=store)
    assert ledger.checkpoint(rt) is not None
    return rt


def test_every_command_has_its_own_help() -> None:
    listed = yaksok("--help")
    assert listed.exit_code == 0, listed.output
    for name in ("serve", "worker", "demo", "replay", "ledger", "token", "db", "user"):
        assert f"  {name} " in listed.output
    for command in COMMANDS:
        result = yaksok(*command, "--help")
        assert result.exit_code == 0, result.output
        assert result.output.startswith(f"Usage: main {' '.join(command)}".rstrip())


def test_serve_help_says_migrations_are_applied_on_start() -> None:
    result = yaksok("serve", "--help")
    assert "migrations" in result.output.lower()


def test_db_upgrade_can_run_again(database_url: str) -> None:
    for _ in range(2):
        result = yaksok("db", "upgrade", "--db", database_url)
        assert result.exit_code == 0, result.output
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert f"schema revision {head}" in result.output


def test_token_create_prints_a_token_that_authorizes(database_url: str, store: Store) -> None:
    result = yaksok("token", "create", "--role", "editor", "--label", "ops", "--db", database_url)
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token_role(Runtime(store=store), token) is Role.EDITOR


def test_token_create_refuses_an_unknown_role(database_url: str) -> None:
    result = yaksok("token", "create", "--role", "owner", "--db", database_url)
    assert result.exit_code == 2
    assert "owner" in result.output


def test_token_list_shows_each_token_but_never_its_secret(database_url: str) -> None:
    made = yaksok("token", "create", "--role", "editor", "--label", "comms team", "--db", database_url)
    secret = made.stdout.strip().splitlines()[-1]

    result = yaksok("token", "list", "--db", database_url)

    assert result.exit_code == 0, result.output
    [line] = result.stdout.strip().splitlines()
    token_id, role, _created, revoked, launches, label = line.split("\t")
    assert (role, revoked, launches, label) == ("editor", "-", "*", "comms team")
    assert token_id in made.stderr
    assert secret.removeprefix("yk_editor_") not in result.output


def test_subscriptions_list_shows_each_subscriber_tab_separated_but_never_a_secret(
    database_url: str, store: Store
) -> None:
    rt = Runtime(store=store)
    options = delivery.transport_options(Settings(database_url="unused"), rt)
    made = delivery.subscribe(rt, Subscribe(channel="webhook", target="http://93.184.216.34/hooks"), options)
    subscribers.pause(rt, made.id)

    result = yaksok("subscriptions", "list", "--db", database_url)
    paused = yaksok("subscriptions", "list", "--state", "paused", "--db", database_url)
    active = yaksok("subscriptions", "list", "--state", "active", "--db", database_url)

    assert result.exit_code == 0, result.output
    [line] = result.stdout.strip().splitlines()
    subscription_id, channel, state, language, _made, target = line.split("\t")
    assert (subscription_id, channel, state, language) == (made.id, "webhook", "paused", "en")
    assert target == "http://93.184.216.34/hooks"
    assert made.secret not in result.output
    assert "webhook 1" in result.stderr
    assert paused.stdout == result.stdout
    assert active.stdout == ""


def test_subscriptions_replay_queues_every_notice_since_a_time_and_refuses_a_paused_one(
    database_url: str, store: Store
) -> None:
    rt = Runtime(store=store)
    options = delivery.transport_options(Settings(database_url="unused"), rt)
    made = delivery.subscribe(rt, Subscribe(channel="webhook", target="http://93.184.216.34/hooks"), options)
    since = rt.clock.now().isoformat()
    notice = notices.create_notice(
        rt,
        WriteNotice(kind=NoticeKind.GENERAL, titles={"en": "Hello"}, channels=("webhook",), publish_now=True),
    )

    result = yaksok("subscriptions", "replay", made.id, "--since", since, "--db", database_url)
    subscribers.pause(rt, made.id)
    refused = yaksok("subscriptions", "replay", made.id, "--since", since, "--db", database_url)
    unreadable = yaksok("subscriptions", "replay", made.id, "--since", "soon", "--db", database_url)

    assert result.exit_code == 0, result.output
    assert result.stdout == f"msg_{notice.id}.{made.id}\tnew\n"
    assert "1 deliveries queued" in result.stderr
    assert refused.exit_code == 1 and "subscription.not_active" in refused.output
    assert unreadable.exit_code == 1 and "time.invalid" in unreadable.output


def test_launches_reminders_sets_a_launchs_reminder_offsets_and_refuses_bad_ones(
    database_url: str, store: Store
) -> None:
    rt = Runtime(store=store)
    launches_service.create_launch(rt, CreateLaunch(slug="ipad", titles={"en": "iPad"}, zone="Asia/Seoul"))

    result = yaksok("launches", "reminders", "ipad", "--hours", "2, 48", "--db", database_url)
    bad = yaksok("launches", "reminders", "ipad", "--hours", "soon", "--db", database_url)
    negative = yaksok("launches", "reminders", "ipad", "--hours", "-1", "--db", database_url)
    unknown = yaksok("launches", "reminders", "nope", "--hours", "1", "--db", database_url)

    assert result.exit_code == 0, result.output
    assert result.stdout == "48,2\n"
    with store.read() as tx:
        launch = tx.launches.get("ipad")
    assert launch is not None and launch.policy.reminder_offsets == (timedelta(hours=48), timedelta(hours=2))
    assert bad.exit_code == 1 and "policy.invalid" in bad.output
    assert negative.exit_code == 1 and "policy.invalid" in negative.output
    assert unknown.exit_code == 1 and "launch.not_found" in unknown.output


def test_launches_languages_sets_a_launchs_content_languages_and_refuses_unknown_ones(
    database_url: str, store: Store
) -> None:
    rt = Runtime(store=store)
    launches_service.create_launch(rt, CreateLaunch(slug="ipad", titles={"en": "iPad"}, zone="Asia/Tokyo"))

    result = yaksok("launches", "languages", "ipad", "ja, en", "--db", database_url)
    unknown = yaksok("launches", "languages", "ipad", "ja,fr", "--db", database_url)
    twice = yaksok("launches", "languages", "ipad", "ja,ja", "--db", database_url)

    assert result.exit_code == 0, result.output
    assert result.stdout == "ja,en\n"
    with store.read() as tx:
        launch = tx.launches.get("ipad")
    assert launch is not None and launch.languages == ("ja", "en")
    assert unknown.exit_code == 1 and "invalid.language" in unknown.output
    assert twice.exit_code == 1 and "invalid.languages" in twice.output


def test_social_add_keeps_the_credentials_from_stdin_and_list_never_shows_them(
    database_url: str, store: Store
) -> None:
    added = yaksok(
        "social", "add", "mastodon", "https://93.184.216.34", "--credentials-stdin", "--launch", "none",
        "--db", database_url, stdin="secret-token\n",
    )  # fmt: skip
    assert added.exit_code == 1 and "launch.not_found" in added.output
    target = "https://93.184.216.34"
    added = yaksok(
        "social",
        "add",
        "mastodon",
        target,
        "--credentials-stdin",
        "--db",
        database_url,
        stdin="secret-token\n",
    )
    bare = yaksok("social", "add", "x", "https://93.184.216.34", "--db", database_url)

    assert added.exit_code == 0, added.output
    account = added.stdout.strip()
    with store.read() as tx:
        assert tx.social.credentials(account) == "secret-token"
    assert bare.exit_code == 1 and "social.credentials_invalid" in bare.output
    listed = yaksok("social", "list", "--db", database_url)
    assert listed.stdout.split("\t")[:5] == [account, "mastodon", "active", "0", "0"]
    assert "secret-token" not in listed.output


def test_token_revoke_makes_a_token_stop_working(database_url: str, store: Store) -> None:
    made = yaksok("token", "create", "--role", "admin", "--db", database_url)
    secret = made.stdout.strip().splitlines()[-1]
    [token_id] = [
        line.split("\t")[0] for line in yaksok("token", "list", "--db", database_url).stdout.splitlines()
    ]

    result = yaksok("token", "revoke", token_id, "--db", database_url)
    again = yaksok("token", "revoke", token_id, "--db", database_url)

    assert result.exit_code == 0, result.output
    assert token_role(Runtime(store=store), secret) is None
    assert again.exit_code == 1 and "token.revoked" in again.output
    assert "\t-\t" not in yaksok("token", "list", "--db", database_url).stdout


def test_user_create_makes_an_operator_who_can_sign_in_with_the_password_from_stdin(
    database_url: str, store: Store
) -> None:
    result = yaksok(
        "user",
        "create",
        "--email",
        "Min@Example.com",
        "--role",
        "admin",
        "--password-stdin",
        "--db",
        database_url,
        stdin="correct horse battery\n",
    )
    assert result.exit_code == 0, result.output
    assert "admin min@example.com created" in result.stdout
    signed_in = operators.sign_in(Runtime(store=store), "min@example.com", "correct horse battery")
    assert signed_in is not None and signed_in.role is Role.ADMIN
    assert operators.sign_in(Runtime(store=store), "min@example.com", "wrong horse battery") is None


def test_user_create_prompts_twice_for_the_password_and_refuses_a_short_one_or_a_taken_email(
    database_url: str,
) -> None:
    made = yaksok(
        "user",
        "create",
        "--email",
        "a@example.com",
        "--role",
        "viewer",
        "--db",
        database_url,
        stdin="long enough pass\nlong enough pass\n",
    )
    short = yaksok(
        "user",
        "create",
        "--email",
        "b@example.com",
        "--role",
        "viewer",
        "--password-stdin",
        "--db",
        database_url,
        stdin="short\n",
    )
    taken = yaksok(
        "user",
        "create",
        "--email",
        "A@example.com",
        "--role",
        "editor",
        "--password-stdin",
        "--db",
        database_url,
        stdin="another long pass\n",
    )
    assert made.exit_code == 0, made.output
    assert short.exit_code == 1 and "invalid.password" in short.output
    assert taken.exit_code == 1 and "operator.exists" in taken.output


def test_token_revoke_of_an_unknown_id_says_so(database_url: str) -> None:
    result = yaksok("token", "revoke", "t_nope", "--db", database_url)
    assert result.exit_code == 1
    assert "token.not_found" in result.output


def test_ledger_verify_passes_an_intact_ledger(replayed: Runtime, database_url: str) -> None:
    result = yaksok("ledger", "verify", database_url)
    assert result.exit_code == 0, result.output
    assert "ledger intact" in result.output
    assert "1 signed checkpoints verified" in result.output


def _tamper(store: Store, *statements: sa.Executable) -> None:
    with store.engine.begin() as connection:
        for statement in statements:
            connection.execute(statement)


def _seq(seq: int) -> sa.ColumnElement[bool]:
    return ledger_entries.c.seq == seq


def test_ledger_verify_names_an_altered_entry(replayed: Runtime, store: Store, database_url: str) -> None:
    payload = sa.func.replace(ledger_entries.c.payload, "ipad", "ipod")
    _tamper(store, sa.update(ledger_entries).where(_seq(7)).values(payload=payload))
    result = yaksok("ledger", "verify", database_url)
    assert result.exit_code == 1, result.output
    assert "ledger broken at seq 7: entry 7 was altered" in result.output


def test_ledger_verify_names_a_removed_entry(replayed: Runtime, store: Store, database_url: str) -> None:
    _tamper(store, sa.delete(ledger_entries).where(_seq(7)))
    result = yaksok("ledger", "verify", database_url)
    assert result.exit_code == 1, result.output
    assert "seq 7: entry 7 is missing" in result.output


def test_ledger_verify_names_reordered_entries(replayed: Runtime, store: Store, database_url: str) -> None:
    update = sa.update(ledger_entries)
    _tamper(
        store,
        update.where(_seq(5)).values(seq=-5),
        update.where(_seq(6)).values(seq=5),
        update.where(_seq(-5)).values(seq=6),
    )
    result = yaksok("ledger", "verify", database_url)
    assert result.exit_code == 1, result.output
    assert "ledger broken at seq 5" in result.output


def test_ledger_verify_catches_a_cut_off_head_by_its_signed_checkpoint(
    replayed: Runtime, store: Store, database_url: str
) -> None:
    with store.read() as tx:
        head = tx.ledger.head()
    assert head is not None
    _tamper(store, sa.delete(ledger_entries).where(_seq(head.seq)))
    result = yaksok("ledger", "verify", database_url)
    assert result.exit_code == 1, result.output
    assert f"seq {head.seq}" in result.output


def test_ledger_verify_says_clearly_when_it_cannot_read_the_source(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here.db"
    for source in (f"sqlite:///{missing}", "not-a-url", f"http://127.0.0.1:{free_port()}"):
        result = yaksok("ledger", "verify", source, "--timeout", "2")
        assert result.exit_code == 2, result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
    assert not missing.exists(), "verifying must not create an empty database"


def test_ledger_verify_refuses_a_database_that_holds_no_yaksok_ledger(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as db:
        db.execute("CREATE TABLE notes (text)")
    result = yaksok("ledger", "verify", f"sqlite:///{other}")
    assert result.exit_code == 2, result.output
    assert "no yaksok ledger" in result.output


# --- against a running server ----------------------------------------------------------------------


@pytest.fixture
def server_url(replayed: Runtime) -> Iterator[str]:
    """The replayed app served by a real uvicorn on a free 127.0.0.1 port, in a thread."""
    with served(replayed) as url:
        yield url


def test_ledger_verify_reads_a_server_through_its_public_endpoints(server_url: str) -> None:
    result = yaksok("ledger", "verify", server_url)
    assert result.exit_code == 0, result.output
    assert "ledger intact" in result.output
    assert "1 signed checkpoints verified" in result.output


def test_ledger_verify_names_an_entry_altered_behind_a_server(server_url: str, store: Store) -> None:
    payload = sa.func.replace(ledger_entries.c.payload, "ipad", "ipod")
    _tamper(store, sa.update(ledger_entries).where(_seq(12)).values(payload=payload))
    result = yaksok("ledger", "verify", server_url + "/")
    assert result.exit_code == 1, result.output
    assert "ledger broken at seq 12" in result.output


@pytest.mark.parametrize("checkpoints", [b'[{"seq": 1, "hash": "ab"}]', b'{"seq": 1}', b"[{"])
def test_ledger_verify_refuses_a_server_whose_checkpoints_are_not_checkpoints(checkpoints: bytes) -> None:
    answers = {"/ledger/checkpoints": checkpoints, "/.well-known/yaksok-ledger-key": b"not a key"}

    class Answer(QuietHandler):
        def do_GET(self) -> None:
            body = answers.get(self.path, b"")  # /ledger?after=0: an empty ledger
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serving(Answer) as url:
        result = yaksok("ledger", "verify", url)
    assert result.exit_code == 2, result.output
    assert "/ledger/checkpoints did not answer" in result.output


# Every character but "\n" that str.splitlines() ends a line at; JSON escapes the control ones,
# but U+0085, U+2028 and U+2029 travel as they are inside an NDJSON line.
LINE_ENDS_BUT_NEWLINE = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def test_ledger_verify_reads_entries_holding_every_other_line_end_over_http(
    replayed: Runtime, server_url: str
) -> None:
    notices.create_notice(
        replayed,
        WriteNotice(
            kind=NoticeKind.GENERAL,
            titles={"en": f"line{LINE_ENDS_BUT_NEWLINE}ends", "ko": "줄" + LINE_ENDS_BUT_NEWLINE},
            publish_now=True,
        ),
    )
    assert ledger.checkpoint(replayed) is not None
    result = yaksok("ledger", "verify", server_url)
    assert result.exit_code == 0, result.output
    assert "ledger intact" in result.output
    assert "2 signed checkpoints verified" in result.output
