"""Domain errors: raised in the core, translated into short replies at the edges."""

from __future__ import annotations


class BriefingError(Exception):
    """A problem the user can understand and act on; `str(err)` is the message for them."""

    kind = "error"
    hint = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        return self.message


class FetchError(BriefingError):
    """The page could not be fetched (network, status, size, type)."""

    kind = "fetch"
    hint = "Check that the link opens in a browser, then try again."


class BlockedURLError(FetchError):
    """The URL points somewhere the bot may not go (private address, bad scheme or port)."""

    kind = "blocked"
    hint = "Only public http(s) addresses can be briefed."


class ExtractError(BriefingError):
    """The page holds no article text the bot can read."""

    kind = "extract"
    hint = "Try the article's own page rather than a front page or a video."


class SummariseError(BriefingError):
    """The text could not be summarised (unknown algorithm or language)."""

    kind = "summarise"


class FeedError(BriefingError):
    """A feed could not be read or parsed."""

    kind = "feed"


class ConfigError(BriefingError):
    """The configuration is invalid; `problems` holds every message, one per line."""

    kind = "config"

    def __init__(self, problems: list[str] | str) -> None:
        items = [problems] if isinstance(problems, str) else list(problems)
        self.problems = items
        super().__init__("\n".join(items))


class RateLimitedError(BriefingError):
    """The user or the bot is over a configured limit; retry later."""

    kind = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StoreError(BriefingError):
    """The persistent store failed."""

    kind = "store"
