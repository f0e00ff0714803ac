from collections.abc import Mapping

import aiohttp

class WebPushException(Exception): ...

class WebPusher:
    def __init__(
        self,
        subscription_info: Mapping[str, object],
        requests_session: object | None = ...,
        aiohttp_session: aiohttp.ClientSession | None = ...,
        verbose: bool = ...,
    ) -> None: ...
    async def send_async(
        self,
        data: bytes | None = ...,
        headers: dict[str, str] | None = ...,
        ttl: int = ...,
        content_encoding: str = ...,
        timeout: aiohttp.ClientTimeout | float = ...,
    ) -> aiohttp.ClientResponse: ...
