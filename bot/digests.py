"""The DigestService: fetch feeds, pick new items, group, rank, brief, deliver and record."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp

from bot.delivery import Delivery
from bot.errors import BriefingError, ConfigError
from bot.explain import explain
from bot.feedsync import FeedOutcome, FeedSync, HealthPolicy, HostLimiter, Notify, Progress, report_progress
from bot.models import Briefing, Story
from bot.news.digest import Candidate, build_story, group_and_rank, lead_order, to_row
from bot.news.feeds import FeedFilter, item_key
from bot.schedule import Clock, Schedule, utc_now
from bot.settings import DigestSettings, Settings
from bot.store_factory import StoreLike

log = logging.getLogger(__name__)

CLAIMED_ELSEWHERE = "being posted by another process"


def _default_fetcher() -> Any:
    from bot.news.fetch import fetch  # imported late: the network module is optional in pure tests

    return fetch


@dataclass
class DigestReport:
    """What one digest run did."""

    digest_id: str
    generated: datetime
    stories: list[Story] = field(default_factory=list)
    posted: int = 0
    dry_run: bool = False
    skipped: dict[str, int] = field(default_factory=dict)
    feeds: dict[str, FeedOutcome] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    header_id: str | None = None


class DigestService:
    """Runs digests for every front-end (scheduler, /digest, CLI) the same way."""

    def __init__(self, settings: Settings, store: StoreLike, session: aiohttp.ClientSession | None, briefer: Any,
                 *, clock: Clock = utc_now, fetcher: Any = None, policy: HealthPolicy | None = None) -> None:
        self.store = store
        self.session = session
        self.briefer = briefer
        self.clock = clock
        # An explicit policy (tests) wins over the configured one, also across reloads.
        self._fixed_policy = policy
        self.policy = policy or HealthPolicy.from_settings(settings.fetch)
        self._fetcher = fetcher
        self._lock = asyncio.Lock()
        self._cpu: asyncio.Semaphore | None = None
        self.update_settings(settings)

    def update_settings(self, settings: Settings) -> None:
        """Take a reloaded configuration (raises ConfigError on an invalid regex or schedule)."""
        filters = {feed.id: FeedFilter.from_settings(feed) for feed in settings.feeds}
        schedules = {d.id: Schedule(d.schedule, d.timezone) for d in settings.digests}
        for digest in settings.digests:
            unknown = [f for f in digest.feeds if f not in filters]
            if unknown:
                raise ConfigError(f"digests[{digest.id}].feeds: unknown feed id(s) {', '.join(unknown)}")
        self.settings = settings
        self.filters = filters
        self.schedules = schedules
        self.feeds = {feed.id: feed for feed in settings.feeds}
        self.limiter = HostLimiter(settings.fetch.concurrency, settings.fetch.per_host_concurrency)
        self.policy = self._fixed_policy or HealthPolicy.from_settings(settings.fetch)

    # -- lookups -----------------------------------------------------------------------------------

    def digest(self, digest_id: str) -> DigestSettings:
        """The digest with that id; raises ConfigError naming the known ones."""
        for digest in self.settings.digests:
            if digest.id == digest_id:
                return digest
        known = ", ".join(d.id for d in self.settings.digests) or "none configured"
        raise ConfigError(f"no digest called {digest_id!r} (known: {known})")

    def digests_for_channel(self, channel_id: int) -> list[DigestSettings]:
        """The digests that post to a channel."""
        return [d for d in self.settings.digests if d.channel == channel_id]

    def next_run(self, digest_id: str, now: datetime | None = None) -> datetime:
        """The next scheduled run of a digest after now (UTC)."""
        self.digest(digest_id)
        return self.schedules[digest_id].next_after(now or self.clock())

    async def why(self, url: str) -> str:
        """Why an article was or was not posted, in a few lines, from the store."""
        return await explain(self.store, self.settings, url.strip())

    # -- running -----------------------------------------------------------------------------------

    async def run(self, digest_id: str, delivery: Delivery, *, dry_run: bool = False,
                  progress: Progress | None = None) -> DigestReport:
        """Run one digest now."""
        return (await self.run_many([digest_id], delivery, dry_run=dry_run, progress=progress))[0]

    async def run_many(self, digest_ids: Sequence[str], delivery: Delivery, *, dry_run: bool = False,
                       progress: Progress | None = None, scheduled: datetime | None = None) -> list[DigestReport]:
        """Run digests due together: each feed fetched once for all of them, then each digest in turn.

        A scheduled run (`scheduled` given) reuses a feed fetched within its interval by any process;
        an on-demand run (/digest, the CLI: no `scheduled`) fetches every feed now (see FeedSync.refresh)."""
        digests = [self.digest(d) for d in digest_ids]
        feed_ids = list(dict.fromkeys(f for d in digests for f in d.feeds))
        # Runs are serialised: two overlapping runs of one digest could pick the same items.
        async with self._lock:
            outcomes = await self.refresh_feeds(feed_ids, notify=delivery.notify_admin, progress=progress,
                                                dry_run=dry_run, max_age=None if scheduled else 0.0)
            reports = []
            for digest in digests:
                report = await self._run_one(digest, delivery, outcomes, dry_run, progress)
                if not dry_run:
                    await self.store.record_run(digest.id, scheduled or report.generated, self.clock())
                reports.append(report)
        return reports

    async def refresh_feeds(self, feed_ids: Sequence[str], *, notify: Notify | None = None,
                            progress: Progress | None = None, dry_run: bool = False,
                            max_age: float | None = None) -> dict[str, FeedOutcome]:
        """Fetch these configured feeds (each distinct URL once) and store what is new; no digest runs.

        The digest runs use it for their fetch step, and a background poller may call it on its own.
        `max_age` is FeedSync.refresh's: None reuses fetches younger than each feed's interval. Every
        configured feed with the same URL as a requested one is refreshed along with it (the result
        has its outcome too), since a fetch that other processes reuse must store items for all of them."""
        unknown = [f for f in feed_ids if f not in self.feeds]
        if unknown:
            raise ConfigError(f"unknown feed id(s) {', '.join(unknown)}")
        urls = {self.feeds[f].url for f in feed_ids}
        wanted = list(dict.fromkeys(feed_ids)) + [f.id for f in self.settings.feeds
                                                  if f.url in urls and f.id not in feed_ids]
        sync = FeedSync(self.store, self.session, self.settings.fetch, fetcher=self._fetcher or _default_fetcher(),
                        runner=self._runner, limiter=self.limiter, clock=self.clock, policy=self.policy)
        return await sync.refresh([self.feeds[f] for f in wanted], dry_run=dry_run, progress=progress,
                                  notify=notify, max_age=max_age)

    async def _runner(self, fn: Any, *args: Any) -> Any:
        workers = getattr(self.briefer, "workers", None)
        if workers is None:
            return await asyncio.to_thread(fn, *args)
        if self._cpu is None:
            self._cpu = asyncio.Semaphore(max(1, int(getattr(workers, "size", 1))))
        # Queue here, not in the pool: the worker's deadline must time the work, not the wait.
        async with self._cpu:
            return await workers.run(fn, *args, timeout=self.settings.fetch.extract_timeout)

    async def _group(self, candidates: list[Candidate], now: datetime) -> list[list[int]]:
        if not candidates:
            return []
        # Plain tuples travel to the worker: pickling 4,000 dataclasses held the GIL for 100+ ms.
        slim = [to_row(c) for c in candidates]
        try:
            result: list[list[int]] = await self._runner(group_and_rank, slim, now)
        except Exception:  # a broken or timed-out worker pool must not lose the run: group in a thread
            log.exception("grouping in a worker failed; grouping in a thread instead")
            result = await asyncio.to_thread(group_and_rank, slim, now)
        return result

    async def _collect(self, digest: DigestSettings, outcomes: dict[str, FeedOutcome], dry_run: bool,
                       report: DigestReport) -> list[Candidate]:
        now = report.generated
        candidates: list[Candidate] = []
        for feed_id in digest.feeds:
            feed = self.feeds[feed_id]
            outcome = outcomes.get(feed_id)
            since = await self.store.baseline(digest.id, feed_id)
            if since is None:
                state = await self.store.feed_state(feed_id)
                if state is not None and state.seq is not None:
                    # First sight of this feed by this digest: `store` takes what is there as read.
                    since = 0 if feed.first_fetch == "post" else state.seq
                    if not dry_run:
                        await self.store.set_baseline(digest.id, feed_id, since, now)
                elif dry_run and outcome is not None and feed.first_fetch == "post":
                    since = 0
            found: list[Candidate] = []
            if since is not None:
                found = [Candidate(key=s.key, item=s.item, feed_name=feed.name or feed.id, priority=feed.priority,
                                   seen=s.first_seen)
                         for s in await self.store.candidates(digest.id, feed_id, since)]
                if dry_run and outcome is not None:
                    found += [Candidate(key=k, item=it, feed_name=feed.name or feed.id, priority=feed.priority,
                                        seen=now) for k, it, reason in outcome.fresh if reason is None]
                found.sort(key=lambda c: (c.when or now), reverse=True)
            extra = found[feed.max_items:]
            if extra:
                await self._skip(digest, [(c.item.feed_id, c.key) for c in extra],
                                 f"over the feed's max_items ({feed.max_items}) in one run", now, dry_run, report)
            candidates += found[:feed.max_items]
        return candidates

    async def _skip(self, digest: DigestSettings, keys: list[tuple[str, str]], reason: str, now: datetime,
                    dry_run: bool, report: DigestReport) -> None:
        report.skipped[reason] = report.skipped.get(reason, 0) + len(keys)
        if not dry_run and keys:
            await self.store.mark_skipped(digest.id, keys, reason, now)

    async def _brief(self, cand: Candidate, digest: DigestSettings, dry_run: bool) -> Briefing:
        """Brief the article page; on failure brief the feed's own text and record the failure."""
        # Imported on use: the store, scheduler and `why` stay importable without the NLP stack.
        from bot.news.briefing import BriefOptions

        options = BriefOptions(sentences=digest.sentences)
        hint = cand.item.language or self.feeds[cand.item.feed_id].language
        page_error: str | None = None
        if cand.item.link:
            try:
                async with self.limiter.slot(cand.item.link):
                    return await self.briefer.brief_url(cand.item.link, options, language_hint=hint)
            except BriefingError as err:
                page_error = f"article page failed: {err}"
            except Exception as err:  # e.g. a worker pool broken by another task's deadline
                log.exception("briefing %s failed unexpectedly", cand.item.link)
                page_error = f"article page failed: internal error ({type(err).__name__})"
        text = cand.item.content or cand.item.summary or ""
        if not dry_run and page_error:
            await self.store.record_item_error(cand.item.feed_id, cand.key, page_error)
        if not text.strip():
            raise BriefingError(page_error or "the item has no link and no text")
        fallback = f"<html><head><title>{_escape(cand.item.title)}</title></head><body><h1>{_escape(cand.item.title)}</h1>{text}</body></html>"
        try:
            briefing: Briefing = await self.briefer.brief_text(fallback, url=cand.item.link, is_html=True,
                                                               options=options, language_hint=hint)
        except Exception as err:
            detail = str(err) if isinstance(err, BriefingError) else f"internal error ({type(err).__name__})"
            raise BriefingError(f"{page_error + '; ' if page_error else ''}feed text failed: {detail}") from err
        return briefing

    async def _brief_group(self, members: list[Candidate], digest: DigestSettings, dry_run: bool,
                           errors: list[str]) -> Story | None:
        for lead in lead_order(members):
            try:
                briefing = await self._brief(lead, digest, dry_run)
            except BriefingError as err:
                errors.append(f"{lead.item.link or lead.item.title}: {err}")
                continue
            return build_story(members, lead, briefing)
        return None

    async def _run_one(self, digest: DigestSettings, delivery: Delivery, outcomes: dict[str, FeedOutcome],
                       dry_run: bool, progress: Progress | None) -> DigestReport:
        now = self.clock()
        report = DigestReport(digest.id, now, dry_run=dry_run,
                              feeds={f: outcomes[f] for f in digest.feeds if f in outcomes})
        candidates = await self._collect(digest, outcomes, dry_run, report)
        order = await self._group(candidates, now)
        ranked = [[candidates[i] for i in g] for g in order]
        chosen, dropped = ranked[:digest.max_stories], ranked[digest.max_stories:]
        await self._skip(digest, [(c.item.feed_id, c.key) for g in dropped for c in g],
                         f"ranked below the top {digest.max_stories} stories", now, dry_run, report)
        done = 0
        await report_progress(progress, "stories", 0, len(chosen))

        async def brief(members: list[Candidate]) -> Story | None:
            nonlocal done
            story = await self._brief_group(members, digest, dry_run, report.errors)
            done += 1
            await report_progress(progress, "stories", done, len(chosen))
            return story

        stories = await asyncio.gather(*(brief(g) for g in chosen))
        for members, story in zip(chosen, stories, strict=True):
            if story is None:
                await self._skip(digest, [(c.item.feed_id, c.key) for c in members],
                                 "could not be briefed (see the item's error)", now, dry_run, report)
            else:
                report.stories.append(story)
        await self._deliver(digest, delivery, report, dry_run)
        return report

    async def _deliver(self, digest: DigestSettings, delivery: Delivery, report: DigestReport, dry_run: bool) -> None:
        if not report.stories:
            if digest.empty == "message":
                await delivery.send_text(digest, "No new stories since the last digest.")
            return
        count = len(report.stories)
        header = (f"{digest.id} · {count} new {'story' if count == 1 else 'stories'}"
                  f" · {report.generated.strftime('%Y-%m-%d %H:%M UTC')}")
        headed = False
        for story in list(report.stories):
            keys = [(it.feed_id, item_key(it)) for it in story.items]
            if not dry_run and not await self.store.mark_sending(
                    digest.id, str(digest.channel), story.key, story.briefing.headline, _briefing_record(story),
                    keys, self.clock()):
                # Another process running this digest at the same time posts (or posted) it.
                log.info("digest %s: story %r is already being posted by another process; skipped",
                         digest.id, story.briefing.headline)
                report.stories.remove(story)
                report.skipped[CLAIMED_ELSEWHERE] = report.skipped.get(CLAIMED_ELSEWHERE, 0) + len(keys)
                continue
            if not headed:
                # The header waits for the first story this process won, so a run that lost every
                # story to another process posts nothing at all.
                headed = True
                try:
                    report.header_id = await delivery.send_header(digest, header)
                except BaseException as err:
                    if not dry_run:
                        await self.store.mark_send_failed(digest.id, story.key, f"header failed: {err}")
                    raise
            try:
                message_id = await delivery.send_story(digest, story)
            except Exception as err:
                # The chat said no: the intent is withdrawn so the next run offers these items again.
                log.warning("digest %s: posting a story failed: %s", digest.id, err)
                report.errors.append(f"posting failed: {err}")
                if not dry_run:
                    await self.store.mark_send_failed(digest.id, story.key, str(err))
                break
            if not dry_run:
                await self.store.mark_posted(digest.id, story.key, str(message_id), self.clock())
            report.posted += 1


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _briefing_record(story: Story) -> dict[str, Any]:
    return {"headline": story.briefing.headline, "summary": list(story.briefing.summary),
            "sources": [s.url for s in story.sources]}

