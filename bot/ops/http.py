"""A small aiohttp server for operators: `GET /healthz` and `GET /metrics`."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from bot.ops.metrics import Metrics

__all__ = ["HealthCheck", "OpsServer"]

log = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[bool] | bool]


class OpsServer:
    """Serves health and metrics on its own port; off the command path, so a slow scrape delays nothing else."""

    def __init__(
        self,
        metrics: Metrics,
        checks: Mapping[str, HealthCheck],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        check_timeout: float = 2.0,
    ) -> None:
        self.metrics = metrics
        self.checks = dict(checks)
        self.host = host
        self.port = port
        self.check_timeout = check_timeout
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        """Bind and serve; returns the bound port (useful with port=0)."""
        if self._runner is not None:
            raise RuntimeError("OpsServer already started")
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        # Scrapes every few seconds would drown the log; errors are still logged by aiohttp.
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound = runner.addresses[0]
        self.port = int(bound[1])
        log.info("ops endpoint listening on http://%s:%d (/healthz, /metrics)", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        """Close the listening socket and any open connections."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def run_checks(self) -> dict[str, str]:
        """Run every check at once, each bounded by `check_timeout`: name -> ok, fail, timeout or error."""
        names = list(self.checks)
        results = await asyncio.gather(*(self._one_check(name) for name in names))
        return dict(zip(names, results, strict=True))

    async def _one_check(self, name: str) -> str:
        try:
            async with asyncio.timeout(self.check_timeout):
                outcome = self.checks[name]()
                if inspect.isawaitable(outcome):
                    outcome = await outcome
        except TimeoutError:
            log.warning("health check %s timed out after %.1f s", name, self.check_timeout)
            return "timeout"
        except Exception:
            log.exception("health check %s raised", name)
            return "error"
        return "ok" if outcome else "fail"

    async def _healthz(self, request: web.Request) -> web.Response:
        checks = await self.run_checks()
        failing = sorted(name for name, state in checks.items() if state != "ok")
        body: dict[str, object] = {"status": "fail" if failing else "ok", "checks": checks}
        if failing:
            body["failing"] = failing
        return web.json_response(body, status=503 if failing else 200, headers={"Cache-Control": "no-store"})

    async def _metrics(self, request: web.Request) -> web.Response:
        payload, content_type = self.metrics.render()
        # aiohttp rejects a charset inside content_type=, so the header is set whole.
        return web.Response(body=payload, headers={"Content-Type": content_type, "Cache-Control": "no-store"})
