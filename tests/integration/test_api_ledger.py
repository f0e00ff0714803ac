"""The public ledger over HTTP: NDJSON pages, signed checkpoints, the public key."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import msgspec
import pytest
from starlette.testclient import TestClient

from yaksok.domain.ledger import Checkpoint, LedgerEntry, verify_chain
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
        {"after": ""},
        {"after": "1e3"},
        {"after": "٣"},  # a digit, but not an ASCII one
        {"after": "x" * 5000},
    ],
)
def test_a_bad_page_is_400(client: TestClient, query: dict[str, str]) -> None:
    response = client.get("/ledger", params=query)
    assert (response.status_code, response.json()["code"]) == (400, "request.invalid")
    assert response.json()["detail"].startswith(next(iter(query)))  # it names the parameter


@pytest.mark.parametrize("name", ["after", "limit"])
@pytest.mark.parametrize("value", [str(2**31), str(2**63), str(10**30), "9" * 40, "1" * 5000])
def test_a_number_too_large_for_any_seq_is_out_of_range(client: TestClient, name: str, value: str) -> None:
    response = client.get("/ledger", params={name: value})

    problem = response.json()
    assert (response.status_code, problem["code"]) == (400, "request.out_of_range")
    assert problem["detail"].startswith(f"{name} is out of range: at most 2147483647, not ")
    assert problem["details"] == {"parameter": name, "max": 2**31 - 1}
    assert len(problem["detail"]) < 200


def test_the_largest_seq_the_store_holds_is_a_valid_after(client: TestClient, ipad: str) -> None:
    assert page(client, after=2**31 - 1) == []
    assert page(client, after=2**31 - 1, limit=2**31 - 1) == []
    assert page(client, after="0" * 30 + "1") == page(client)[1:]


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
    signed = msgspec.convert(points, list[Checkpoint])
    verified = ledger.verify(entries, signed, key.text)
    assert verified.ok and verified.checkpoints_checked == 1
    forged = [replace(signed[0], signature=signed[0].signature[::-1])]
    assert not ledger.verify(entries, forged, key.text).ok
