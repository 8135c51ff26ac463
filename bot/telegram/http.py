"""The bot's HTTP client for the Bot API: aiohttp behind python-telegram-bot's request port.

    ApplicationBuilder()...request(WatchedRequest(AiohttpRequest(16), health, most_at_once=16))

PTB's own HTTPXRequest costs about 1.3 ms of CPU a request on one connection and
2.3 ms with 16 in flight (httpx, httpcore and anyio in pure Python; httpcore looks
over every pooled connection, asking each socket whether it is still readable, on
every request). aiohttp parses HTTP in C and reuses its connections without that
scan: a fraction of the CPU, which is what a busy morning's updates are short of.

A proxy named in the environment (``HTTPS_PROXY``, ``NO_PROXY`` and the like, as httpx
honours them) is looked up once per host, not by aiohttp's ``trust_env``, which looks
it up, and reads ``~/.netrc``, on a worker thread for every request: two trips to a
thread and back a request, a tenth of a busy replica's CPU.

Requests go as JSON (multipart with files, as PTB's own), with PTB's
default timeouts, except the pool's: a request waits for a free connection as long
as it takes (:class:`~bot.telegram.transport.WatchedRequest` lets no more through at
once than there are connections). Failures come out as PTB's errors: :class:`TimedOut` for a
timeout, :class:`NetworkError` for the rest, each with aiohttp's error as its cause
(see :func:`bot.telegram.transport.may_have_arrived`).
"""

from __future__ import annotations

import json
import ssl
from typing import Any

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

#: PTB's HTTPXRequest defaults, in seconds.
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0
MEDIA_WRITE_TIMEOUT = 20.0

JSON = {"Content-Type": "application/json"}
DEFAULT: DefaultValue[None] = BaseRequest.DEFAULT_NONE


def _ssl_context() -> ssl.SSLContext:
    try:
        import certifi
    except ImportError:  # the system's store, then
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


class AiohttpRequest(BaseRequest):
    """Up to ``connections`` requests at once on kept-alive connections."""

    def __init__(
        self,
        connections: int = 1,
        *,
        read_timeout: float | None = READ_TIMEOUT,
        write_timeout: float | None = WRITE_TIMEOUT,
        connect_timeout: float | None = CONNECT_TIMEOUT,
    ) -> None:
        self.connections = connections
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None
        #: (scheme, host) -> the proxy the environment names for it, and its credentials.
        self._proxies: dict[tuple[str, str], tuple[URL | None, aiohttp.BasicAuth | None]] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.connections, ssl=_ssl_context(), ttl_dns_cache=300
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                # Bot API answers are PTB's to parse: no cookies, no raising on 4xx/5xx.
                cookie_jar=aiohttp.DummyCookieJar(),
                # The environment's proxy is looked up once per host instead (see _proxy).
                trust_env=False,
                auto_decompress=True,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT,
        write_timeout: ODVInput[float] = DEFAULT,
        connect_timeout: ODVInput[float] = DEFAULT,
        pool_timeout: ODVInput[float] = DEFAULT,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            await self.initialize()  # as PTB's own client, usable before initialize()
        assert self._session is not None
        files = request_data.multipart_data if request_data else None
        read = _given(read_timeout, self._read_timeout)
        write = _given(write_timeout, MEDIA_WRITE_TIMEOUT if files else self._write_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        # aiohttp has no write timeout: a read's starts once the request is written, so
        # an upload (the only long write) gets an overall limit instead.
        timeout = aiohttp.ClientTimeout(
            total=_total(connect, write, read) if files else None,
            sock_connect=connect,
            sock_read=read,
        )
        proxy, proxy_auth = self._proxy(url)
        try:
            async with self._session.request(
                method,
                url,
                data=_body(request_data, files),
                headers=None if files else JSON,
                timeout=timeout,
                allow_redirects=False,
                proxy=proxy,
                proxy_auth=proxy_auth,
            ) as response:
                return response.status, await response.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error

    def _proxy(self, url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
        """The proxy (and its credentials) the environment names for ``url``, or none:
        as aiohttp's ``trust_env`` finds it, but once per scheme and host."""
        target = URL(url)
        key = (target.scheme, target.host or "")
        found = self._proxies.get(key)
        if found is None:
            try:
                found = get_env_proxy_for_url(target)
            except LookupError:  # none named, or NO_PROXY names this host
                found = (None, None)
            self._proxies[key] = found
        return found


def _given(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def _total(*parts: float | None) -> float | None:
    return None if any(part is None for part in parts) else sum(p for p in parts if p)


def _body(request_data: RequestData | None, files: dict[str, Any] | None) -> Any:
    """The parameters as JSON; with files, multipart/form-data as PTB sends it."""
    if request_data is None:
        return None
    if not files:
        # One JSON document (the Bot API takes JSON bodies): PTB's form encoding dumps
        # each value to JSON and then quotes it, at several times the CPU.
        return json.dumps(request_data.parameters).encode()
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, part in files.items():
        filename, content, *rest = part if isinstance(part, tuple) else (name, part)
        form.add_field(
            name,
            content,
            filename=filename,
            content_type=rest[0] if rest else "application/octet-stream",
        )
    return form
