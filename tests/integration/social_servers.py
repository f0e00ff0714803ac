"""Social networks on 127.0.0.1 for the social transports' tests: each implements the documented
request shapes and REJECTS what the real service rejects (a post too long by that network's own
counting, an unknown reply id, a reused Idempotency-Key with another body, bad credentials, a
rate limit spent), so a transport that breaks a rule fails its test. They count independently of
``channels.thread``: graphemes with the ``regex`` module's ``\\X`` and their own URL rule."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import regex
from http_servers import QuietHandler, serving

Answer = tuple[int, dict[str, Any], dict[str, str]]  # status, JSON body, headers
_URL = regex.compile(r"https?://\S+")


def graphemes(text: str) -> int:
    return len(regex.findall(r"\X", text))


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class Server:
    """Records every request; ``handle`` answers it (under one lock: requests are served in turn)."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[Request] = []
        self.lock = threading.Lock()

    def handle(self, request: Request) -> Answer:
        raise NotImplementedError


@contextmanager
def running(server: Server) -> Iterator[Server]:
    class Handler(QuietHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw
            request = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            with server.lock:
                server.requests.append(request)
                status, answer, headers = server.handle(request)
            data = json.dumps(answer).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

    with serving(Handler) as url:
        server.url = url
        yield server


@dataclass
class Status:
    id: str
    text: str
    in_reply_to_id: str | None
    language: str


@dataclass
class Mastodon(Server):
    """``GET /api/v2/instance`` and ``POST /api/v1/statuses`` as Mastodon answers them."""

    token: str = "mastodon-token"
    max_characters: int = 500
    per_url: int = 23
    remaining: int = 300  # posts left in this rate-limit window (300 per 3 hours)
    reset: datetime = field(default_factory=lambda: datetime(2010, 10, 28, 3, tzinfo=UTC))
    statuses: dict[str, Status] = field(default_factory=dict)
    keys: dict[str, tuple[Any, str]] = field(default_factory=dict)  # Idempotency-Key: body, status id

    def __post_init__(self) -> None:
        Server.__init__(self)

    def count(self, text: str) -> int:
        return graphemes(_URL.sub("x" * self.per_url, text))

    def handle(self, request: Request) -> Answer:
        if request.method == "GET" and request.path == "/api/v2/instance":
            statuses = {"max_characters": self.max_characters, "characters_reserved_per_url": self.per_url}
            return 200, {"domain": "127.0.0.1", "configuration": {"statuses": statuses}}, {}
        if request.method != "POST" or request.path != "/api/v1/statuses":
            return 404, {"error": "Record not found"}, {}
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"error": "The access token is invalid"}, {}
        limits = {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": str(max(self.remaining, 0)),
            "X-RateLimit-Reset": self.reset.isoformat().replace("+00:00", "Z"),
        }
        key = request.headers.get("idempotency-key")
        if not key:  # stricter than Mastodon: yaksok must send one on every post
            return 422, {"error": "Idempotency-Key missing"}, limits
        if key in self.keys:
            body, status_id = self.keys[key]
            if body != request.body:
                return 422, {"error": "Idempotency-Key reused with another body"}, limits
            return 200, self.view(self.statuses[status_id]), limits
        if self.remaining <= 0:
            return 429, {"error": "Too many requests"}, limits
        body = request.body
        text = body.get("status", "")
        if not text or self.count(text) > self.max_characters:
            return (
                422,
                {"error": f"Validation failed: Text character limit of {self.max_characters} exceeded"},
                limits,
            )
        reply = body.get("in_reply_to_id")
        if reply is not None and reply not in self.statuses:
            return 404, {"error": "Record not found"}, limits
        self.remaining -= 1
        limits["X-RateLimit-Remaining"] = str(self.remaining)
        status = Status(str(100 + len(self.statuses)), text, reply, body.get("language", ""))
        self.statuses[status.id] = status
        self.keys[key] = (body, status.id)
        return 200, self.view(status), limits

    def view(self, status: Status) -> dict[str, Any]:
        return {
            "id": status.id,
            "url": f"{self.url}/@yaksok/{status.id}",
            "content": status.text,
            "in_reply_to_id": status.in_reply_to_id,
        }

    def posted(self) -> list[Status]:
        return list(self.statuses.values())


def serve(make: Callable[[], Server]) -> Iterator[Server]:
    with running(make()) as server:
        yield server


def _problems_in_blocks(body: Any) -> list[str]:
    """What Slack would refuse (``invalid_blocks``) in a Block Kit message."""
    if not isinstance(body, dict) or not isinstance(body.get("blocks"), list):
        return ["no blocks"]
    problems = [] if isinstance(body.get("text"), str) and body["text"] else ["no fallback text"]
    blocks = body["blocks"]
    if not 0 < len(blocks) <= 50:
        problems.append("1 to 50 blocks")
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            text = block.get("text", {})
            if text.get("type") != "plain_text" or not 0 < len(text.get("text", "")) <= 150:
                problems.append("a header is plain_text of 1 to 150 characters")
        elif kind == "section":
            text = block.get("text", {})
            if text.get("type") not in ("mrkdwn", "plain_text") or not 0 < len(text.get("text", "")) <= 3000:
                problems.append("a section's text is 1 to 3000 characters")
        elif kind == "context":
            elements = block.get("elements", [])
            if not 0 < len(elements) <= 10 or any(
                e.get("type") not in ("mrkdwn", "plain_text", "image") for e in elements
            ):
                problems.append("a context has 1 to 10 text or image elements")
        elif kind == "actions":
            for element in block.get("elements", []):
                label = element.get("text", {})
                if element.get("type") != "button" or label.get("type") != "plain_text":
                    problems.append("an action is a button with a plain_text label")
                elif not 0 < len(label.get("text", "")) <= 75 or not str(element.get("url", "")).startswith(
                    "http"
                ):
                    problems.append("a button's label is 1 to 75 characters, its url http(s)")
        elif kind != "divider":
            problems.append(f"unknown block type {kind!r}")
    return problems


@dataclass
class Slack(Server):
    """A Slack incoming webhook: ``ok`` for a valid Block Kit message, ``400 invalid_blocks``
    otherwise; ``answers`` (status, headers) are given first, when a test sets them."""

    path: str = "/services/T000/B000/XXXX"
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    messages: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        Server.__init__(self)

    def handle(self, request: Request) -> Answer:
        if request.method != "POST" or request.path != self.path:
            return 404, {"error": "no_service"}, {}
        if self.answers:
            status, headers = self.answers.pop(0)
            return status, {"error": "told to"}, headers
        problems = _problems_in_blocks(request.body)
        if problems:
            return 400, {"error": "invalid_blocks", "problems": problems}, {}
        self.messages.append(request.body)
        return 200, {"ok": True}, {}


@dataclass
class Teams(Server):
    """A Teams workflow webhook: ``202`` for a ``message`` with one Adaptive Card attachment."""

    path: str = "/workflows/abc/triggers/manual/paths/invoke"
    messages: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        Server.__init__(self)

    def handle(self, request: Request) -> Answer:
        if request.method != "POST" or request.path != self.path:
            return 404, {"error": "not found"}, {}
        body, problems = request.body, []
        if not isinstance(body, dict) or body.get("type") != "message":
            problems.append("the envelope is a message")
        attachments = body.get("attachments") if isinstance(body, dict) else None
        if not isinstance(attachments, list) or len(attachments) != 1:
            problems.append("one attachment")
        else:
            attachment = attachments[0]
            card = attachment.get("content", {})
            if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
                problems.append("an Adaptive Card attachment")
            if card.get("type") != "AdaptiveCard" or not card.get("version") or not card.get("body"):
                problems.append("an AdaptiveCard with a version and a body")
            for element in card.get("body", []):
                if element.get("type") not in ("TextBlock", "FactSet", "ColumnSet", "Container"):
                    problems.append(f"unknown element {element.get('type')!r}")
            for action in card.get("actions", []):
                if action.get("type") != "Action.OpenUrl" or not str(action.get("url", "")).startswith(
                    "http"
                ):
                    problems.append("actions open an http(s) URL")
        if problems:
            return 400, {"error": "BadRequest", "problems": problems}, {}
        self.messages.append(body)
        return 202, {}, {}


_TID = regex.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_NUMBERED = regex.compile(r" (\d+)/(\d+)$")


def record_cid(record: Any) -> str:
    import hashlib

    import libipld

    digest = hashlib.sha256(libipld.encode_dag_cbor(record)).digest()
    return libipld.encode_multibase("b", bytes([1, 0x71, 0x12, 0x20]) + digest)


@dataclass
class Bluesky(Server):
    """A PDS: sessions (created, refreshed, expired), ``getRecord`` and an atomic ``applyWrites``
    that validates each post as the app.bsky.feed.post lexicon and the AppView would."""

    user: str = "yaksok.test"
    password: str = "app-pass-word"
    did: str = "did:plc:yaksoktest"
    remaining: int = 1000
    sessions_created: int = 0
    access: set[str] = field(default_factory=set)
    refresh: set[str] = field(default_factory=set)
    records: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)  # rkey: record, cid
    batches: list[list[str]] = field(default_factory=list)  # the rkeys each applyWrites wrote

    def __post_init__(self) -> None:
        Server.__init__(self)

    def expire(self) -> None:
        self.access.clear()

    def _tokens(self) -> dict[str, Any]:
        n = len(self.access) + len(self.refresh) + len(self.requests)
        access, refresh = f"access-{n}", f"refresh-{n}"
        self.access.add(access)
        self.refresh.add(refresh)
        return {"accessJwt": access, "refreshJwt": refresh, "handle": self.user, "did": self.did}

    def handle(self, request: Request) -> Answer:
        from urllib.parse import parse_qs, urlsplit

        parts = urlsplit(request.path)
        name, query = parts.path.removeprefix("/xrpc/"), {k: v[0] for k, v in parse_qs(parts.query).items()}
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if name == "com.atproto.server.createSession":
            body = request.body or {}
            if (body.get("identifier"), body.get("password")) != (self.user, self.password):
                return (
                    401,
                    {"error": "AuthenticationRequired", "message": "Invalid identifier or password"},
                    {},
                )
            self.sessions_created += 1
            return 200, self._tokens(), {}
        if name == "com.atproto.server.refreshSession":
            if bearer not in self.refresh:
                return 400, {"error": "ExpiredToken", "message": "Token has expired"}, {}
            self.refresh.discard(bearer)
            return 200, self._tokens(), {}
        if bearer not in self.access:
            return 400, {"error": "ExpiredToken", "message": "Token has expired"}, {}
        if name == "com.atproto.repo.getRecord":
            found = self.records.get(query.get("rkey", ""))
            if query.get("repo") != self.did or found is None:
                return 400, {"error": "RecordNotFound", "message": "Could not locate record"}, {}
            uri = f"at://{self.did}/app.bsky.feed.post/{query['rkey']}"
            return 200, {"uri": uri, "cid": found[1], "value": found[0]}, {}
        if name != "com.atproto.repo.applyWrites" or request.method != "POST":
            return 501, {"error": "MethodNotImplemented"}, {}
        if self.remaining <= 0:
            return (
                429,
                {"error": "RateLimitExceeded"},
                {"ratelimit-remaining": "0", "ratelimit-reset": "1288310400"},
            )
        problem = self._check_batch(request.body)
        if problem:
            return 400, {"error": "InvalidRequest", "message": problem}, {}
        self.remaining -= 1
        results = []
        for write in request.body["writes"]:
            record_id = record_cid(write["value"])
            self.records[write["rkey"]] = (write["value"], record_id)
            uri = f"at://{self.did}/app.bsky.feed.post/{write['rkey']}"
            results.append(
                {"$type": "com.atproto.repo.applyWrites#createResult", "uri": uri, "cid": record_id}
            )
        self.batches.append([w["rkey"] for w in request.body["writes"]])
        return 200, {"commit": {"cid": "bafyreicommit", "rev": "3l"}, "results": results}, {}

    def _check_batch(self, body: Any) -> str:
        if not isinstance(body, dict) or body.get("repo") != self.did or not body.get("writes"):
            return "repo and writes are required"
        known = {f"at://{self.did}/app.bsky.feed.post/{k}": cid for k, (_, cid) in self.records.items()}
        numbered: list[tuple[int, int]] = []
        for write in body["writes"]:
            if (
                write.get("$type") != "com.atproto.repo.applyWrites#create"
                or write.get("collection") != "app.bsky.feed.post"
            ):
                return "only creates of app.bsky.feed.post"
            rkey, record = write.get("rkey", ""), write.get("value", {})
            if not _TID.match(rkey) or rkey in self.records:
                return f"Record already exists or bad rkey: {rkey}"
            text = record.get("text", "")
            if record.get("$type") != "app.bsky.feed.post" or not record.get("createdAt"):
                return "a post needs $type and createdAt"
            if graphemes(text) > 300 or len(text.encode()) > 3000:
                return "Record/text must not be longer than 300 graphemes"
            encoded, covered = text.encode(), set()
            for facet in record.get("facets", []):
                start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
                uri = facet["features"][0]["uri"]
                if encoded[start:end].decode("utf-8", "strict") != uri:
                    return f"facet {start}..{end} does not hold {uri}"
                covered.add(start)
            for match in _URL.finditer(text):
                if len(text[: match.start()].encode()) not in covered:
                    return f"the link {match[0]} has no facet"
            reply = record.get("reply")
            if reply is not None:
                for ref in (reply["root"], reply["parent"]):
                    if known.get(ref["uri"]) != ref["cid"]:
                        return f"reply to an unknown record {ref['uri']} ({ref['cid']})"
            known[f"at://{self.did}/app.bsky.feed.post/{rkey}"] = record_cid(record)
            number = _NUMBERED.search(text)
            if number:
                numbered.append((int(number[1]), int(number[2])))
        if numbered and numbered != [(i, numbered[0][1]) for i in range(1, numbered[0][1] + 1)]:
            return "a thread is written whole, in one applyWrites"
        return ""


_X_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))  # twitter-text v3: weight 1


def x_weight(text: str) -> int:
    """X's weighted length, counted here apart from twitter-text-parser: a URL is 23, a code
    point in the light ranges 1, any other 2 (no emoji in these tests)."""
    total, at = 0, 0
    for match in _URL.finditer(text):
        total += sum(1 if any(a <= ord(c) <= b for a, b in _X_LIGHT) else 2 for c in text[at : match.start()])
        total, at = total + 23, match.end()
    return total + sum(1 if any(a <= ord(c) <= b for a, b in _X_LIGHT) else 2 for c in text[at:])


@dataclass
class Tweet:
    id: str
    text: str
    in_reply_to: str | None


@dataclass
class X(Server):
    """``POST /2/tweets`` as X v2 answers it: 280 weighted characters, a known reply id, no
    duplicate text, a user token, and the per-window rate limit in ``x-rate-limit-*`` headers."""

    token: str = "x-user-token"
    remaining: int = 100
    reset: int = 1288310400
    tweets: dict[str, Tweet] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Server.__init__(self)

    def handle(self, request: Request) -> Answer:
        if request.method != "POST" or request.path != "/2/tweets":
            return 404, {"title": "Not Found Error"}, {}
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"title": "Unauthorized", "status": 401, "detail": "Unauthorized"}, {}
        limits = {"x-rate-limit-limit": "100", "x-rate-limit-reset": str(self.reset)}
        if self.remaining <= 0:
            return (
                429,
                {"title": "Too Many Requests", "status": 429},
                {**limits, "x-rate-limit-remaining": "0"},
            )
        body = request.body if isinstance(request.body, dict) else {}
        text = body.get("text", "")
        if not text or x_weight(text) > 280:
            return 400, {"title": "Invalid Request", "detail": "Your Tweet text is too long."}, limits
        reply = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if "reply" in body and reply not in self.tweets:
            return 400, {"title": "Invalid Request", "detail": "in_reply_to_tweet_id is not a Tweet"}, limits
        if any(t.text == text for t in self.tweets.values()):
            return (
                403,
                {"title": "Forbidden", "detail": "You are not allowed to create a duplicate Tweet"},
                limits,
            )
        self.remaining -= 1
        tweet = Tweet(str(1300000000000000000 + len(self.tweets)), text, reply)
        self.tweets[tweet.id] = tweet
        headers = {**limits, "x-rate-limit-remaining": str(self.remaining)}
        return 201, {"data": {"id": tweet.id, "text": text, "edit_history_tweet_ids": [tweet.id]}}, headers

    def posted(self) -> list[Tweet]:
        return list(self.tweets.values())
