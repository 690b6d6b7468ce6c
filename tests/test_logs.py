"""Logging: secrets never reach the output, JSON lines carry context across asyncio tasks."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import log_context, redact, register_secret, setup_logging

BOT_TOKEN = (
    base64.urlsafe_b64encode(b"112233445566778899").decode().rstrip("=")
    + ".GxYz12."
    + "Q9rT_k-3vW8yZ0aB1cD2eF3gH4iJ5kL6mN7oP8q"
)
REGISTERED = "s3cr3t-registered-value"
URL_PASSWORD = "pg-pass-77"
HEADER_SECRET = "hdr-secret-abcdef123"

# (text containing the secret, the secret itself)
SHAPES = {
    "registered": (f"value={REGISTERED}", REGISTERED),
    "discord_token": (f"token {BOT_TOKEN} used", BOT_TOKEN),
    "authorization": (f"{{'Authorization': 'Bot {HEADER_SECRET}'}}", HEADER_SECRET),
    "url_password": (f"postgresql://newsbrief:{URL_PASSWORD}@db:5432/nb", URL_PASSWORD),
}


@pytest.fixture
def capture() -> Iterator[io.StringIO]:
    """Install the bot's logging on a buffer, then put the root logger back as it was."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    buf = io.StringIO()
    register_secret(REGISTERED)
    yield buf
    for handler in root.handlers:
        if handler not in saved_handlers:
            root.removeHandler(handler)
    root.setLevel(saved_level)
    logging.captureWarnings(False)


def _fail_with(text: str) -> None:
    raise RuntimeError(f"connect failed: {text}")


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("where", ["message", "args", "exception"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_secret_never_reaches_output(capture: io.StringIO, shape: str, where: str, fmt: str) -> None:
    setup_logging("DEBUG", fmt, stream=capture)
    text, secret = SHAPES[shape]
    logger = logging.getLogger("newsbrief.test")
    if where == "message":
        logger.warning("saw " + text)
    elif where == "args":
        logger.warning("saw %s and %r", text, {"detail": text})
    else:
        try:
            _fail_with(text)
        except RuntimeError:
            logger.exception("it broke")
    out = capture.getvalue()
    assert out, "nothing was logged"
    assert secret not in out
    assert "***" in out
    if where == "exception":
        assert "RuntimeError: connect failed" in out


def test_env_token_is_registered_automatically(capture: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> None:
    token = "not-token-shaped-but-secret-4242"
    monkeypatch.setenv("DISCORD_TOKEN", token)
    setup_logging("INFO", "text", stream=capture)
    logging.getLogger("newsbrief.test").info("starting with %s", token)
    assert token not in capture.getvalue()
    assert "starting with ***" in capture.getvalue()


def test_redact_keeps_what_is_not_secret() -> None:
    # Token-shaped, but the first part does not decode to a numeric id.
    dotted = "abcdefghijklmnopqrstuvwx.abcdef.abcdefghijklmnopqrstuvwxyz0123"
    assert redact(dotted) == dotted
    assert redact("https://news.example.org/a/b?page=2") == "https://news.example.org/a/b?page=2"
    assert redact("https://user@host.example/x") == "https://user@host.example/x"
    assert redact("redis://:pw1234@cache:6379") == "redis://:***@cache:6379"
    assert redact("postgresql://u:p@ss@h/db") == "postgresql://u:***@h/db"
    assert redact("https://h.example:443/a?from=x@y.example") == "https://h.example:443/a?from=x@y.example"
    assert redact("Authorization: Bearer abc.def") == "Authorization: Bearer ***"
    assert redact("https://x.example/feed?api_key=K123&lang=en") == "https://x.example/feed?api_key=***&lang=en"


def test_registered_secret_is_masked_url_encoded_too() -> None:
    secret = "p@ss word/42"
    register_secret(secret)
    assert redact(f"a {secret} b") == "a *** b"
    assert redact("https://h.example/?q=p%40ss%20word%2F42") == "https://h.example/?q=***"


async def test_json_lines_carry_context_across_tasks(capture: io.StringIO) -> None:
    setup_logging("INFO", "json", stream=capture)
    logger = logging.getLogger("newsbrief.digest")

    async def worker() -> None:
        await asyncio.sleep(0)
        with log_context(feed="bbc"):
            logger.info("fetched %d items", 3)

    with log_context(guild=111, channel=222, digest="morning"):
        await asyncio.create_task(worker())
        try:
            raise ValueError("bad item")
        except ValueError:
            logger.exception("digest failed")
    logger.info("outside", extra={"command": "brief"})

    lines = [json.loads(line) for line in capture.getvalue().splitlines()]
    assert len(lines) == 3
    first, second, third = lines
    assert first["message"] == "fetched 3 items"
    assert first["level"] == "INFO"
    assert first["logger"] == "newsbrief.digest"
    assert first["ts"].endswith("Z")
    assert (first["guild"], first["channel"], first["digest"], first["feed"]) == (111, 222, "morning", "bbc")
    assert second["message"] == "digest failed"
    assert "feed" not in second  # the inner context ended with its block
    assert second["guild"] == 111
    assert isinstance(second["exc_info"], str) and "ValueError: bad item" in second["exc_info"]
    assert third["command"] == "brief"
    assert not {"guild", "channel", "digest", "feed"} & third.keys()


def test_text_format_appends_context(capture: io.StringIO) -> None:
    setup_logging("INFO", "text", stream=capture)
    with log_context(guild=5, url="https://u:pw9999@h.example/f"):
        logging.getLogger("newsbrief.feeds").info("poll done")
    line = capture.getvalue().strip()
    assert "INFO newsbrief.feeds: poll done" in line
    assert line.endswith("guild=5 url=https://u:***@h.example/f")
    assert "pw9999" not in line


def test_setup_twice_does_not_duplicate_lines(capture: io.StringIO) -> None:
    setup_logging("INFO", "text", stream=capture)
    setup_logging("WARNING", "text", stream=capture)
    logger = logging.getLogger("newsbrief.test")
    logger.info("hidden")
    logger.warning("shown")
    assert capture.getvalue().count("shown") == 1
    assert "hidden" not in capture.getvalue()


def test_handlers_installed_earlier_are_redacted_too(capture: io.StringIO) -> None:
    earlier = io.StringIO()
    handler = logging.StreamHandler(earlier)
    logging.getLogger().addHandler(handler)
    try:
        setup_logging("INFO", "text", stream=capture)
        logging.getLogger("newsbrief.test").warning("url postgresql://u:%s@db/x", URL_PASSWORD)
    finally:
        logging.getLogger().removeHandler(handler)
    assert "postgresql://u:***@db/x" in earlier.getvalue()
    assert URL_PASSWORD not in earlier.getvalue() + capture.getvalue()


def test_rejects_unknown_level_and_format() -> None:
    with pytest.raises(ValueError):
        setup_logging("LOUD", "text")
    with pytest.raises(ValueError):
        setup_logging("INFO", "xml")
