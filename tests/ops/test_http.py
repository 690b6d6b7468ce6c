"""The ops endpoint on 127.0.0.1: /healthz 200 and 503, /metrics in the Prometheus text format."""

from __future__ import annotations

import asyncio

import aiohttp

from bot.ops.http import OpsServer
from bot.ops.metrics import Metrics


async def test_healthz_ok_and_metrics() -> None:
    metrics = Metrics()
    metrics.stories_posted.inc(4)

    async def store_ok() -> bool:
        return True

    server = OpsServer(metrics, {"gateway": lambda: True, "store": store_ok})
    port = await server.start()
    assert port > 0
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 200
                assert await resp.json() == {"status": "ok", "checks": {"gateway": "ok", "store": "ok"}}
            async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
                assert resp.status == 200
                assert resp.headers["Content-Type"].startswith("text/plain; version=")
                text = await resp.text()
                assert "newsbrief_stories_posted_total 4.0" in text
    finally:
        await server.stop()


async def test_healthz_503_names_failing_checks() -> None:
    async def store_raises() -> bool:
        raise ConnectionError("db down")

    async def slow() -> bool:
        await asyncio.sleep(5)
        return True

    server = OpsServer(
        Metrics(),
        {"gateway": lambda: False, "store": store_raises, "config": lambda: True, "slow": slow},
        check_timeout=0.2,
    )
    port = await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 503
                body = await resp.json()
    finally:
        await server.stop()
    assert body["status"] == "fail"
    assert body["checks"] == {"gateway": "fail", "store": "error", "config": "ok", "slow": "timeout"}
    assert body["failing"] == ["gateway", "slow", "store"]


async def test_stop_closes_the_port() -> None:
    server = OpsServer(Metrics(), {})
    port = await server.start()
    await server.stop()
    async with aiohttp.ClientSession() as session:
        try:
            async with session.get(f"http://127.0.0.1:{port}/healthz", timeout=aiohttp.ClientTimeout(total=1)):
                refused = False
        except aiohttp.ClientConnectionError:
            refused = True
    assert refused
