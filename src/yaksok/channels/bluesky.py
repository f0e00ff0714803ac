"""Bluesky (AT Protocol): a notice, or its whole thread, written in ONE atomic
``com.atproto.repo.applyWrites`` to the account's repository.

The session is made once (``com.atproto.server.createSession`` with the handle and an app
password) and reused; when the PDS says it has expired (``ExpiredToken``) it is refreshed
(``refreshSession``), and made anew only if that fails. Posts are at most 300 graphemes; each URL
is a link facet at its UTF-8 byte offsets. A thread's replies name their root and parent by URI
and CID, which are known before writing: the record keys are TIDs derived from the delivery id
and the notice's publication time, and the CIDs are computed from the records' DAG-CBOR
(``libipld``). So a retry writes the same records: it first reads the first one back
(``getRecord``) and, found, records the thread without writing it again.

Why not the ``atproto`` SDK: three XRPC calls do not need its models (pydantic) and firehose
machinery, and its session handling decides expiry from the JWT rather than from the PDS's answer.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime

import libipld

from yaksok.channels import thread
from yaksok.channels.outbound import TransportOptions
from yaksok.channels.social import Attempt, SocialTransport, Stop, answer_outcome
from yaksok.domain.delivery import GiveUp

POST = "app.bsky.feed.post"
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


@dataclass
class Session:
    access: str
    refresh: str
    did: str


def tid(micros: int, clock: int) -> str:
    """A record key in the TID form: 53 bits of microseconds and 10 of clock id, base32-sortable."""
    value = ((micros & ((1 << 53) - 1)) << 10) | (clock & 0x3FF)
    return "".join(_TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


def cid(record: dict[str, object]) -> str:
    """The CID (v1, dag-cbor, sha2-256) of a record."""
    digest = hashlib.sha256(libipld.encode_dag_cbor(record)).digest()
    return libipld.encode_cid(bytes([0x01, 0x71, 0x12, 0x20]) + digest)


def link_facets(text: str) -> list[dict[str, object]]:
    """A link facet for each URL in ``text``, at its UTF-8 byte offsets."""
    facets: list[dict[str, object]] = []
    for match in thread.URL.finditer(text):
        url = match[0].rstrip(".,;:!?)")
        start = len(text[: match.start()].encode())
        facets.append(
            {
                "index": {"byteStart": start, "byteEnd": start + len(url.encode())},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}],
            }
        )
    return facets


class BlueskyTransport(SocialTransport):
    network = "bluesky"

    def __init__(self, options: TransportOptions) -> None:
        super().__init__(options)
        self.sessions: dict[tuple[str, str], Session] = {}

    async def _create_session(self, attempt: Attempt) -> Session:
        handle, password = attempt.secret.split(maxsplit=1)
        answer = await self.http.post(
            f"{attempt.target}/xrpc/com.atproto.server.createSession",
            json={"identifier": handle, "password": password},
        )
        if answer.status_code != 200:
            raise answer_outcome(answer, self.options.now())
        data = answer.json()
        session = Session(data["accessJwt"], data["refreshJwt"], data["did"])
        self.sessions[(attempt.target, attempt.subscription_id)] = session
        return session

    async def _refreshed(self, attempt: Attempt, session: Session) -> Session:
        answer = await self.http.post(
            f"{attempt.target}/xrpc/com.atproto.server.refreshSession",
            headers={"Authorization": f"Bearer {session.refresh}"},
        )
        if answer.status_code != 200:
            return await self._create_session(attempt)
        data = answer.json()
        session = Session(data["accessJwt"], data["refreshJwt"], data["did"])
        self.sessions[(attempt.target, attempt.subscription_id)] = session
        return session

    async def _call(self, attempt: Attempt, method: str, name: str, **kwargs: object) -> dict[str, object]:
        """An XRPC call with the session: refreshed once if the PDS says it has expired."""
        session = self.sessions.get((attempt.target, attempt.subscription_id)) or await self._create_session(
            attempt
        )
        for tried in (False, True):
            answer = await self.http.request(
                method,
                f"{attempt.target}/xrpc/{name}",
                headers={"Authorization": f"Bearer {session.access}"},
                **kwargs,  # type: ignore[arg-type]
            )
            expired = answer.status_code in (400, 401) and answer.json().get("error") == "ExpiredToken"
            if expired and not tried:
                session = await self._refreshed(attempt, session)
                continue
            if name == "com.atproto.repo.getRecord" and answer.status_code == 400:
                return {}  # RecordNotFound
            if answer.status_code != 200:
                raise answer_outcome(answer, self.options.now())
            found: dict[str, object] = answer.json()
            return found
        raise Stop(GiveUp("the session could not be renewed"))  # pragma: no cover (the loop returns)

    async def post(self, attempt: Attempt) -> None:
        message = attempt.message
        posts = await asyncio.to_thread(thread.split, message.text, thread.BLUESKY, message.link)
        created = message.published_at or self.options.now().isoformat()
        at = datetime.fromisoformat(created)
        micros = int(at.timestamp() * 1_000_000)
        seed = int.from_bytes(hashlib.sha256(attempt.key.encode()).digest()[:2], "big")
        session = self.sessions.get((attempt.target, attempt.subscription_id)) or await self._create_session(
            attempt
        )
        did = session.did
        original = attempt.original if attempt.original is not None and attempt.original.cids else None
        # A correction replies to the original's first post; a thread's posts to the one before.
        above = {"uri": original.post_ids[0], "cid": original.cids[0]} if original else None
        records: list[dict[str, object]] = []
        rkeys: list[str] = []
        uris: list[str] = []
        cids: list[str] = []
        for index, text in enumerate(posts):
            record: dict[str, object] = {
                "$type": POST,
                "text": text,
                "createdAt": at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "langs": [message.language],
            }
            facets = link_facets(text)
            if facets:
                record["facets"] = facets
            if index > 0:
                parent = {"uri": uris[-1], "cid": cids[-1]}
                record["reply"] = {"root": above or {"uri": uris[0], "cid": cids[0]}, "parent": parent}
            elif above is not None:
                record["reply"] = {"root": above, "parent": above}
            rkey = tid(micros, seed + index)
            records.append(record)
            rkeys.append(rkey)
            uris.append(f"at://{did}/{POST}/{rkey}")
            cids.append(cid(record))
        found = await self._call(
            attempt,
            "GET",
            "com.atproto.repo.getRecord",
            params={"repo": did, "collection": POST, "rkey": rkeys[0]},
        )
        if found.get("cid") != cids[0]:
            writes = [
                {
                    "$type": "com.atproto.repo.applyWrites#create",
                    "collection": POST,
                    "rkey": rkey,
                    "value": record,
                }
                for rkey, record in zip(rkeys, records, strict=True)
            ]
            await self._call(
                attempt,
                "POST",
                "com.atproto.repo.applyWrites",
                json={"repo": did, "validate": True, "writes": writes},
            )
        attempt.post_ids = uris
        attempt.cids = cids
        attempt.urls = [f"https://bsky.app/profile/{did}/post/{rkey}" for rkey in rkeys]
