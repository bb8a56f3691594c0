"""An ASGI app that builds the real one on its first request.

``fastapi_apps`` wants an app object at plugin import, and every Airflow component imports the
plugin; building the FastAPI app there would import Airflow's API security module (about a
second) in schedulers, workers and triggerers that never serve it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from importlib import import_module
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class LazyASGIApp:
    """Delegates to ``factory()`` (``"module:function"``), called once, on the first request."""

    def __init__(self, factory: str) -> None:
        self.factory = factory
        self._app: ASGIApp | None = None

    @property
    def app(self) -> ASGIApp:
        if self._app is None:  # no await in between: one event loop builds it once
            module, _, function = self.factory.partition(":")
            self._app = getattr(import_module(module), function)()
        return self._app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


dashboard_app = LazyASGIApp("irp.dashboard.app:create_app")
