"""Operator accounts and the promise preview, on the in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import AddMilestone, CreateLaunch, RevisePromise
from yaksok.domain.errors import Conflict, InvalidInput
from yaksok.domain.launch import MilestoneKind
from yaksok.domain.promise import Precision
from yaksok.services import audit_trail, launches, operators
from yaksok.services.auth import Role, permits
from yaksok.services.runtime import Runtime

SLUG = "ipad"
SALE = f"{SLUG}.sale"


def test_an_operator_signs_in_with_their_password_and_gets_their_role(memory_rt: Runtime) -> None:
    made = operators.create_operator(memory_rt, " Min@Example.com ", "editor", "correct horse battery")
    actor = operators.sign_in(memory_rt, "min@example.com", "correct horse battery")
    assert made.email == "min@example.com" and made.password_hash.startswith("$argon2id$")
    assert actor is not None and actor.role is Role.EDITOR and actor.token_id == made.id
    assert permits(actor, Role.SUPPORT) and not permits(actor, Role.ADMIN)
    assert operators.sign_in(memory_rt, "min@example.com", "wrong horse battery") is None
    assert operators.sign_in(memory_rt, "nobody@example.com", "correct horse battery") is None


def test_creating_an_operator_is_audited_without_the_password(memory_rt: Runtime) -> None:
    operators.create_operator(memory_rt, "min@example.com", "admin", "correct horse battery")
    [entry] = audit_trail.trail(memory_rt)
    assert entry.action == "operator.created" and entry.details["role"] == "admin"
    assert "correct horse battery" not in repr(entry.details)


@pytest.mark.parametrize(
    ("email", "password", "refused"),
    [("not-an-email", "long enough pass", "invalid.email"), ("a@example.com", "short", "invalid.password")],
)
def test_a_bad_email_or_a_short_password_is_refused(
    memory_rt: Runtime, email: str, password: str, refused: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        operators.create_operator(memory_rt, email, "viewer", password)
    assert error.value.code == refused


def test_an_email_has_one_account(memory_rt: Runtime) -> None:
    operators.create_operator(memory_rt, "min@example.com", "admin", "correct horse battery")
    with pytest.raises(Conflict) as error:
        operators.create_operator(memory_rt, "MIN@example.com", "viewer", "another long pass")
    assert error.value.code == "operator.exists"


def test_a_preview_states_the_rules_a_late_change_breaks_and_writes_nothing(
    memory_rt: Runtime, clock: SimulatedClock
) -> None:
    launches.create_launch(memory_rt, CreateLaunch(slug=SLUG, titles={"en": "iPad"}, zone="Asia/Seoul"))
    launches.add_milestone(
        memory_rt,
        AddMilestone(launch_slug=SLUG, key="sale", kind=MilestoneKind.SALE_STARTS, titles={"en": "Sale"}),
    )
    launches.revise_promise(
        memory_rt, RevisePromise(SALE, time="2010-11-09T20:00", precision=Precision.EXACT)
    )
    clock.advance_to(datetime(2010, 11, 9, 10, 40, tzinfo=UTC))
    broken = launches.preview_revision(
        memory_rt, SALE, time="2010-11-12T20:00", precision="exact", reason={"en": "stock"}
    )
    assert [v.rule.text for v in broken] == ["policy.late_change"]
    assert "24 h" in broken[0].explanation and "20 min" in broken[0].explanation
    with memory_rt.store.read() as tx:
        assert len(launches.get_milestone(tx, SALE).versions) == 1
