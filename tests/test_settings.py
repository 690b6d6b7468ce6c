"""config.yaml validation: every problem at once, typed settings, environment values, the bundled config and its docs."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import (
    FeedSettings,
    Settings,
    load_settings,
    parse_settings,
    public_view,
    summarise_settings,
)
from tests.config_helpers import FEED, digest, problems

ROOT = Path(__file__).resolve().parent.parent


def test_every_problem_is_reported_at_once_in_file_order() -> None:
    text = """\
    discord:
      admin_chanel: 5
    feeds:
      - id: bbc
        url: https://example.com/rss
    digests:
      - id: morning
        channel: general
        schedule: "0 25 * * *"
        feeds: [bbc, nope]
    fetch:
      timeout: -1
    """
    assert problems(text) == [
        'config.yaml:2:3 discord.admin_chanel: unknown key (did you mean "admin_channel"?)',
        'config.yaml:8:14 digests[0].channel: "general" is not a Discord id (expected a number such as 123456789012345678)',
        'config.yaml:9:15 digests[0].schedule: "0 25 * * *" is not a valid cron expression (hour must be 0-23)',
        'config.yaml:10:18 digests[0].feeds[1]: unknown feed "nope" (defined feeds: bbc)',
        "config.yaml:12:12 fetch.timeout: must be greater than 0, got -1",
    ]


def test_an_invalid_feed_still_counts_for_digest_references() -> None:
    # The feed is broken for another reason: the digest naming it must not add a second error.
    text = FEED + "    max_items: 0\n" + digest().split(FEED, 1)[1]
    assert problems(text) == ["config.yaml:4:16 feeds[0].max_items: must be at least 1, got 0"]


def test_filename_appears_in_messages() -> None:
    with pytest.raises(ConfigError) as info:
        parse_settings("fetch: {timeout: 0}\n", filename="/etc/newsbrief.yaml", env={})
    assert info.value.problems == ["/etc/newsbrief.yaml:1:18 fetch.timeout: must be greater than 0, got 0"]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "fetch: {allow_private_networks: true}\n", "feeds:\ndigests:\n"])
def test_empty_and_minimal_files_are_valid(text: str) -> None:
    settings = parse_settings(text, env={})
    assert settings.feeds == () and settings.digests == ()
    assert settings.fetch.allow_private_networks is ("allow_private_networks" in text)
    assert replace(settings, source=None, fetch=Settings().fetch) == Settings()


def test_full_valid_config_builds_typed_frozen_settings() -> None:
    text = digest(channel='"123456789012345678"', timezone="Europe/London") + textwrap.dedent("""\
    discord:
      guilds: [111, "222"]
      admin_channel: 333
    fetch:
      allow_hosts: [Wiki.Local, "10.0.0.5:8080", "[::1]:8443"]
      allow_ports: [9000]
      timeout: 12
    logging:
      level: debug
    defaults:
      language: en
    """)
    settings = parse_settings(text, env={})
    assert settings.feeds == (FeedSettings(id="bbc", url="https://feeds.bbci.co.uk/news/world/rss.xml"),)
    (d,) = settings.digests
    assert (d.channel, d.schedule, d.timezone, d.feeds) == (123456789012345678, "0 7 * * *", "Europe/London", ("bbc",))
    assert settings.discord.guilds == (111, 222) and settings.discord.admin_channel == 333
    assert settings.fetch.allow_hosts == ("wiki.local", "10.0.0.5:8080", "[::1]:8443")
    assert settings.fetch.timeout == 12.0 and isinstance(settings.fetch.timeout, float)
    assert settings.logging.level == "DEBUG"
    with pytest.raises(AttributeError):
        settings.fetch.timeout = 1.0  # type: ignore[misc]


def test_yaml_merge_keys_let_digests_share_settings() -> None:
    text = FEED + textwrap.dedent("""\
    digests:
      - &base
        id: morning
        channel: 1
        schedule: "0 7 * * *"
        feeds: [bbc]
      - <<: *base
        id: evening
        schedule: "0 19 * * *"
    """)
    morning, evening = parse_settings(text, env={}).digests
    assert (evening.id, evening.schedule, evening.channel, evening.feeds) == ("evening", "0 19 * * *", 1, ("bbc",))
    assert morning.schedule == "0 7 * * *"


def test_text_fields_keep_yaml_1_1_words_as_text() -> None:
    settings = parse_settings("feeds:\n  - {id: x, url: 'https://a.example/', name: yes, include: [on, off]}\n", env={})
    assert settings.feeds[0].name == "yes" and settings.feeds[0].include == ("on", "off")


def test_env_substitution_fills_values_and_types() -> None:
    text = digest(channel="${CHANNEL}", schedule='"0 ${HOUR} * * *"') + "storage:\n  url: ${DB_URL}\n  path: ${DB_PATH:-data/x.db}\n"
    env = {"CHANNEL": "42", "HOUR": "6", "DB_URL": "postgres://bot:s3cret@db/news"}
    settings = parse_settings(text, env=env)
    assert settings.digests[0].channel == 42 and settings.digests[0].schedule == "0 6 * * *"
    assert settings.storage.url == "postgres://bot:s3cret@db/news" and settings.storage.path == "data/x.db"
    env_number = parse_settings("fetch:\n  timeout: ${T}\n  max_bytes: '${B}'\n", env={"T": "2.5", "B": "100"})
    assert (env_number.fetch.timeout, env_number.fetch.max_bytes) == (2.5, 100)
    assert parse_settings("storage:\n  path: $${NOT_A_VAR}\n", env={}).storage.path == "${NOT_A_VAR}"


def test_missing_env_variable_is_an_error_with_position() -> None:
    assert problems("storage:\n  path: data/${DB_NAME}.db\n  url: ${DB_URL}\n") == [
        "config.yaml:2:9 storage.path: environment variable DB_NAME is not set (used as ${DB_NAME})",
        "config.yaml:3:8 storage.url: environment variable DB_URL is not set (used as ${DB_URL})",
    ]


def test_env_substituted_value_is_still_validated() -> None:
    assert problems("fetch:\n  timeout: ${T}\n", env={"T": "soon"}) == [
        'config.yaml:2:12 fetch.timeout: expected a number, got "soon"'
    ]


def test_public_view_hides_values_from_the_environment_and_url_passwords() -> None:
    text = FEED.replace("rss.xml", "rss.xml?key=${FEED_KEY}") + "storage:\n  url: postgres://bot:pw@db/news\n"
    view = public_view(parse_settings(text, env={"FEED_KEY": "k-123"}))
    assert view["feeds"][0]["url"] == "(hidden)"
    assert view["storage"]["url"] == "postgres://bot:(hidden)@db/news"
    assert "k-123" not in repr(view) and "pw@" not in repr(view)
    assert view["fetch"]["allow_hosts"] == [] and view["defaults"]["sentences"] == 3


def test_summary_line_counts_with_plurals() -> None:
    settings = parse_settings(digest() + "discord:\n  guilds: [1]\n", filename="bot.yaml", env={})
    assert summarise_settings(settings) == "bot.yaml OK: 1 feed, 1 digest, 1 guild"
    assert summarise_settings(parse_settings("", env={})) == "config.yaml OK: 0 feeds, 0 digests, 0 guilds"


def test_load_settings_reads_files_and_reports_missing_ones(tmp_path: Path) -> None:
    assert load_settings(None) == Settings()
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path / "nope.yaml")
    assert info.value.problems == [f"{tmp_path / 'nope.yaml'}: file not found"]
    path = tmp_path / "c.yaml"
    path.write_text("fetch: {timeout: 0}\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.problems == [f"{path}:1:18 fetch.timeout: must be greater than 0, got 0"]


def test_bundled_config_is_valid_and_states_the_defaults() -> None:
    settings = load_settings(ROOT / "config.yaml")
    assert replace(settings, source=None) == Settings()


def test_bundled_examples_are_valid_when_uncommented(tmp_path: Path) -> None:
    text = (ROOT / "config.yaml").read_text()
    text = text.replace("\nfeeds: []", "\nfeeds:").replace("\ndigests: []", "\ndigests:").replace("\n#  ", "\n  ")
    settings = parse_settings(text, env={})
    assert [f.id for f in settings.feeds] == ["bbc-world"] and [d.id for d in settings.digests] == ["morning"]
    assert settings.digests[0].schedule == "0 7 * * mon-fri"


def _all_keys() -> list[tuple[str, str]]:
    """(section, key) for every settable key, from the dataclasses themselves."""
    from dataclasses import fields, is_dataclass

    from bot.settings import DigestSettings

    out: list[tuple[str, str]] = []
    for top in fields(Settings):
        if top.name in ("source", "from_env"):
            continue
        default = Settings().__getattribute__(top.name)
        cls = {"feeds": FeedSettings, "digests": DigestSettings}.get(top.name, type(default))
        if is_dataclass(cls):
            out += [(top.name, f.name) for f in fields(cls)]
    return out


@pytest.mark.parametrize(("section", "key"), _all_keys())
def test_every_key_is_documented(section: str, key: str) -> None:
    docs = (ROOT / "docs" / "configuration.md").read_text()
    bundled = (ROOT / "config.yaml").read_text()
    assert f"### `{section}`" in docs
    assert f"| `{key}` |" in docs.split(f"### `{section}`", 1)[1].split("\n### ", 1)[0]
    assert f"{key}:" in bundled


def test_random_text_gives_settings_or_config_error_only() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    pieces = st.sampled_from(
        ["feeds:", "digests:", "  - id: a", "    url: https://x.example/", "fetch:", "  timeout: 3", "  - ",
         ": ", "[", "]", "{", "}", "'", '"', "&a ", "*a", "<<: *a", "${X}", "\t", "\n", "- 1", "? ", "!!int x",
         "channel: 1", "schedule: '0 7 * * *'", "feeds: [a]", "~", "0x10", "2001-01-01", "!!int x", "!x ",
         "!!binary x", "!!timestamp 2001-13-99", "1e400", "#", "%YAML 1.1\n---\n"]
    )

    @settings(max_examples=80, deadline=None, database=None)
    @given(st.lists(pieces, max_size=25).map("".join))
    def check(text: str) -> None:
        try:
            result = parse_settings(text, env={"X": "1"})
        except ConfigError as err:
            assert err.problems and all(p.startswith("config.yaml:") for p in err.problems)
        else:
            assert isinstance(result, Settings)

    check()


@pytest.mark.parametrize(("key", "value", "message"), [
    ("feed_interval", "10", "must be 0 (off) or at least 30, got 10"),
    ("pause_after_failures", "0", "must be at least 1, got 0"),
    ("retry_base", "-1", "must be greater than 0, got -1"),
])
def test_polling_and_backoff_keys_are_checked(key: str, value: str, message: str) -> None:
    """The polling interval and the failure backoff refuse values that make no sense, naming the key."""
    with pytest.raises(ConfigError) as caught:
        parse_settings(f"fetch:\n  {key}: {value}\n")
    assert f"fetch.{key}: {message}" in str(caught.value)


def test_polling_and_backoff_keys_are_read() -> None:
    """Valid values reach the typed settings, per feed too."""
    settings = parse_settings(
        "fetch:\n  feed_interval: 0\n  retry_base: 30\n  retry_max: 600\n  pause_after_failures: 3\n"
        "feeds:\n  - id: a\n    url: https://example.com/feed\n    interval: 120\n")
    assert (settings.fetch.feed_interval, settings.fetch.retry_base, settings.fetch.retry_max,
            settings.fetch.pause_after_failures) == (0, 30, 600, 3)
    assert settings.feeds[0].interval == 120


def test_shard_ids_must_lie_below_the_shard_count() -> None:
    """check-config catches a shard id that no process could run, with its line."""
    with pytest.raises(ConfigError) as caught:
        parse_settings("discord:\n  shard_count: 2\n  shard_ids: [0, 2]\n")
    assert "config.yaml:3:18 discord.shard_ids[1]: must be below discord.shard_count (2), got 2" in str(caught.value)
    assert parse_settings("discord:\n  shard_count: 2\n  shard_ids: [1]\n").discord.shard_ids == (1,)
