"""Operations: Prometheus metrics, the event-loop lag probe and the health/metrics HTTP endpoint."""

from bot.ops.metrics import LoopLagProbe, Metrics, count_discord_ratelimits, failure_reason

__all__ = ["LoopLagProbe", "Metrics", "count_discord_ratelimits", "failure_reason"]
