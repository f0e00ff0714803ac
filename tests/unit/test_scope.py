"""Roles limited to some launches, on the in-memory store: the services refuse another launch and
acts on every launch, and lists show only the role's launches, whichever door called them."""

from __future__ import annotations

import dataclasses

import pytest

from yaksok.domain.commands import CreateLaunch, RetitleLaunch, SetLimit
from yaksok.domain.errors import OutOfScope
from yaksok.services import launches, lookups, reservations, scope
from yaksok.services.runtime import Runtime


@pytest.fixture
def store_team(memory_rt: Runtime) -> Runtime:
    for slug in ("galaxy-tab", "ipad"):
        launches.create_launch(memory_rt, CreateLaunch(slug=slug, titles={"en": slug}, zone="Asia/Seoul"))
    return dataclasses.replace(memory_rt, actor="o_tab", scope=frozenset({"galaxy-tab"}))


def test_a_limited_role_changes_its_own_launch_and_no_other(store_team: Runtime, memory_rt: Runtime) -> None:
    launches.retitle_launch(store_team, RetitleLaunch("galaxy-tab", {"en": "Tab S"}))

    with pytest.raises(OutOfScope) as refused:
        reservations.set_limit(store_team, SetLimit(launch_slug="ipad", per_customer_limit=3))

    assert refused.value.code == "scope.other_launch"
    assert refused.value.details == {"launch": "ipad", "launches": ["galaxy-tab"]}
    assert lookups.launch(memory_rt, "ipad")[0].per_customer_limit == 1
    assert lookups.launch(memory_rt, "galaxy-tab")[0].titles == {"en": "Tab S"}


def test_creating_a_launch_concerns_every_launch(store_team: Runtime) -> None:
    with pytest.raises(OutOfScope) as refused:
        launches.create_launch(store_team, CreateLaunch(slug="iphone", titles={"en": "iPhone"}, zone="UTC"))

    assert refused.value.code == "scope.all_launches"


def test_lists_show_only_the_roles_launches_and_an_unlimited_role_sees_all(
    store_team: Runtime, memory_rt: Runtime
) -> None:
    assert [launch.slug for launch in lookups.launches(store_team)] == ["galaxy-tab"]
    assert [launch.slug for launch in lookups.launches(memory_rt)] == ["galaxy-tab", "ipad"]
    assert scope.permits(memory_rt, None) and not scope.permits(store_team, None)
