"""Admin API: a launch's waiting room (docs/waiting-room.md)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from yaksok.domain.subscription import allowed_networks
from yaksok.domain.waiting_room import Room
from yaksok.services import waiting_room
from yaksok.services.auth import Role
from yaksok.web.api import schemas
from yaksok.web.api.operation import Call, operation
from yaksok.web.api.responses import BeaconOut, WaitingRoomOut

PREFIX = "/api/v1"


def set_waiting_room(call: Call[schemas.WaitingRoomSetting]) -> WaitingRoomOut:
    command = call.body.to_command(call.path["slug"])
    allow = allowed_networks(call.settings.webhook_allow_hosts)
    return room_view(waiting_room.configure(call.rt, command, allow=allow))


def get_waiting_room(call: Call[None]) -> WaitingRoomOut:
    return room_view(waiting_room.settings_of(call.rt, call.path["slug"]))


def room_view(room: Room) -> WaitingRoomOut:
    return WaitingRoomOut(
        launch=room.launch_slug,
        enabled=room.enabled,
        prequeue_opens=room.prequeue_opens.isoformat(),
        admit_per_second=room.admit_per_second,
        token_minutes=room.token_minutes,
        commitment=room.commitment,
        opened_at=None if room.opened_at is None else room.opened_at.isoformat(),
        prequeue_size=room.prequeue_size,
        collapsed=room.collapsed,
        beacon=beacon_view(room),
    )


def beacon_view(room: Room) -> BeaconOut | None:
    chain, number = room.beacon, room.beacon_round
    if chain is None:
        return None
    return BeaconOut(
        url=chain.url,
        chain_hash=chain.chain_hash,
        public_key=chain.public_key,
        scheme=chain.scheme,
        genesis_time=chain.genesis_time,
        period=chain.period,
        round=number,
        round_time=None if number is None else chain.round_time(number).isoformat(),
    )


def routes() -> list[BaseRoute]:
    path = f"{PREFIX}/launches/{{slug}}/waiting-room"
    return [
        operation("PUT", path, set_waiting_room, role=Role.ADMIN, tag="waiting room",
                  summary="Turn the launch's waiting room on or off and set its pre-queue opening, "
                  "admission rate, token lifetime and optional randomness beacon (recorded in the "
                  "ledger; the first time, with the commitment to its secret)",
                  body=schemas.WaitingRoomSetting),
        operation("GET", path, get_waiting_room, role=Role.VIEWER, tag="waiting room",
                  summary="The launch's waiting room settings, commitment and pre-queue figures"),
    ]  # fmt: skip
