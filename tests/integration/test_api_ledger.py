"""The public ledger over HTTP: NDJSON pages, signed checkpoints, the public key."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from starlette.testclient import TestClient

from yaksok.domain.ledger import LedgerEntry, verify_chain
from yaksok.services import ledger
from yaksok.services.runtime import Runtime

Headers = dict[str, str]


def page(client: TestClient, **query: int | str) -> list[dict[str, Any]]:
    response = client.get("/ledger", params=query)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    return [msgspec.json.decode(line) for line in response.content.split(b"\n") if line]


def test_the_ledger_is_ndjson_in_seq_order_and_its_chain_verifies(client: TestClient, ipad: str) -> None:
    entries = page(client)
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert [e["kind"] for e in entries][-2:] == ["launch.created", "milestone.added"]
    assert set(entries[0]) == {"seq", "at", "kind", "payload", "prev_hash", "hash"}
    assert msgspec.json.decode(entries[-1]["payload"])["milestone"] == ipad
    assert verify_chain(LedgerEntry(**e) for e in entries).ok


def test_the_ledger_is_read_page_by_page_until_a_page_comes_back_empty(client: TestClient, ipad: str) -> None:
    every = page(client)
    read: list[dict[str, Any]] = []
    while batch := page(client, after=read[-1]["seq"] if read else 0, limit=2):
        assert len(batch) <= 2
        read.extend(batch)
    assert read == every


@pytest.mark.parametrize(
    "query",
    [
        {"after": "x"},
        {"after": "-1"},
        {"after": "1.5"},
        {"limit": "-5"},
        {"limit": "0"},
        {"limit": ""},
        {"after": "9" * 40},
    ],
)
def test_a_bad_page_is_400(client: TestClient, query: dict[str, str]) -> None:
    response = client.get("/ledger", params=query)
    assert (response.status_code, response.json()["code"]) == (400, "request.invalid")


def test_a_limit_above_the_maximum_is_capped(client: TestClient, ipad: str) -> None:
    assert len(page(client, limit=10**9)) == len(page(client))


def test_checkpoints_are_signed_by_the_published_key(client: TestClient, rt: Runtime, ipad: str) -> None:
    assert client.get("/ledger/checkpoints").json() == []
    ledger.checkpoint(rt)
    points = client.get("/ledger/checkpoints").json()
    assert [set(p) for p in points] == [{"seq", "hash", "signature", "key_id", "signed_at"}]
    key = client.get("/.well-known/yaksok-ledger-key")
    assert key.headers["content-type"] == "application/x-pem-file"
    assert key.text.startswith("-----BEGIN PUBLIC KEY-----")
    entries = [LedgerEntry(**e) for e in page(client)]
    verified = ledger.verify(entries, points, key.text)
    assert verified.ok and verified.checkpoints_checked == 1
    forged = [{**points[0], "signature": points[0]["signature"][::-1]}]
    assert not ledger.verify(entries, forged, key.text).ok
