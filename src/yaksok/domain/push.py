"""Browser push: the server's VAPID key pair (RFC 8292), made once and kept, which signs every
push message and which a page gives the browser as its ``applicationServerKey``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class VapidKey:
    private_pem: str = field(repr=False)  # the P-256 private key, PKCS#8 PEM
    public_key: str  # the public point, uncompressed, unpadded base64url (the applicationServerKey)
    created_at: datetime
