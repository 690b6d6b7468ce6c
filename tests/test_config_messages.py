"""config.yaml validation: the exact message, with file:line:column and key path, for each kind of mistake."""

from __future__ import annotations

import pytest

from tests.config_helpers import FEED, digest, problems

BAD = [
    pytest.param(
        digest(schedule='"0 25 * * *"'),
        'config.yaml:7:15 digests[0].schedule: "0 25 * * *" is not a valid cron expression (hour must be 0-23)',
        id="cron-hour",
    ),
    pytest.param(
        digest(schedule='"61 * * * *"'),
        'config.yaml:7:15 digests[0].schedule: "61 * * * *" is not a valid cron expression (minute must be 0-59)',
        id="cron-minute",
    ),
    pytest.param(
        digest(schedule='"0 7 * * funday"'),
        'config.yaml:7:15 digests[0].schedule: "0 7 * * funday" is not a valid cron expression '
        "(day of week must be 0-7 or sun-sat)",
        id="cron-weekday",
    ),
    pytest.param(
        digest(schedule='"0 7 * *"'),
        'config.yaml:7:15 digests[0].schedule: "0 7 * *" is not a valid cron expression '
        "(expected 5 fields: minute hour day-of-month month day-of-week, got 4)",
        id="cron-fields",
    ),
    pytest.param(
        digest(schedule='"*/0 * * * *"'),
        'config.yaml:7:15 digests[0].schedule: "*/0 * * * *" is not a valid cron expression '
        '(minute step "0" must be a whole number of at least 1)',
        id="cron-step",
    ),
    pytest.param(
        digest(timezone="Europe/Londn"),
        'config.yaml:9:15 digests[0].timezone: "Europe/Londn" is not a known IANA time zone '
        '(did you mean "Europe/London"?)',
        id="timezone",
    ),
    pytest.param(
        digest(channel="general"),
        'config.yaml:6:14 digests[0].channel: "general" is not a Discord id (expected a number such as 123456789012345678)',
        id="channel-not-number",
    ),
    pytest.param(
        digest(feeds="[bbc, reuter]"),
        'config.yaml:8:18 digests[0].feeds[1]: unknown feed "reuter" (defined feeds: bbc)',
        id="unknown-feed",
    ),
    pytest.param(
        digest(feeds="[bcc]"),
        'config.yaml:8:13 digests[0].feeds[0]: unknown feed "bcc" (did you mean "bbc"?)',
        id="unknown-feed-suggestion",
    ),
    pytest.param(
        digest(feeds="[]"),
        "config.yaml:8:12 digests[0].feeds: must name at least one feed",
        id="no-feeds",
    ),
    pytest.param(
        digest(sentences="11"),
        "config.yaml:9:16 digests[0].sentences: must be between 1 and 10, got 11",
        id="sentences-range",
    ),
    pytest.param(
        FEED + "    first_fetch: postt\n",
        'config.yaml:4:18 feeds[0].first_fetch: "postt" is not one of: store, post (did you mean "post"?)',
        id="first-fetch-enum",
    ),
    pytest.param(
        FEED + "    include_regex: ['(abc']\n",
        'config.yaml:4:21 feeds[0].include_regex[0]: "(abc" is not a valid regular expression (missing ): (abc)',
        id="regex",
    ),
    pytest.param(
        FEED + "    exclude_regex: ['(?<=a)b']\n",
        'config.yaml:4:21 feeds[0].exclude_regex[0]: "(?<=a)b" is not a valid regular expression '
        "(invalid perl operator: (?<=)",
        id="regex-lookbehind-not-linear",
    ),
    pytest.param(
        FEED + "    language: xx\n",
        'config.yaml:4:15 feeds[0].language: "xx" is not a supported language',
        id="language",
    ),
    pytest.param(
        FEED + "  - id: bbc\n    url: https://example.com/rss\n",
        'config.yaml:4:9 feeds[1].id: duplicate feed id "bbc" (first defined at line 2)',
        id="duplicate-feed",
    ),
    pytest.param(
        FEED + "  - id: other\n",
        'config.yaml:4:5 feeds[1]: missing required key "url"',
        id="missing-url",
    ),
    pytest.param(
        "feeds:\n  - id: x\n    url: ftp://example.com/rss\n",
        'config.yaml:3:10 feeds[0].url: "ftp://example.com/rss" is not an http(s) URL (e.g. https://example.com/feed.xml)',
        id="feed-url-scheme",
    ),
    pytest.param(
        "feeds:\n  - id: 'has space'\n    url: https://a.example/\n",
        "config.yaml:2:9 feeds[0].id: \"has space\" is not a valid id (use up to 64 letters, digits, '-', '_' or '.', "
        "e.g. bbc-world)",
        id="feed-id-shape",
    ),
    pytest.param(
        "fetch:\n  timeout: 0\n",
        "config.yaml:2:12 fetch.timeout: must be greater than 0, got 0",
        id="timeout-positive",
    ),
    pytest.param(
        "fetch:\n  max_bytes: -5\n",
        "config.yaml:2:14 fetch.max_bytes: must be greater than 0, got -5",
        id="max-bytes-positive",
    ),
    pytest.param(
        "fetch:\n  timeout: fast\n",
        'config.yaml:2:12 fetch.timeout: expected a number, got "fast"',
        id="float-type",
    ),
    pytest.param(
        "fetch:\n  concurrency: 2.5\n",
        "config.yaml:2:16 fetch.concurrency: expected a whole number, got 2.5",
        id="int-type",
    ),
    pytest.param(
        "fetch:\n  timeout: !!int x\n",
        "config.yaml:2:12 fetch.timeout: x cannot be read (invalid literal for int() with base 10: 'x')",
        id="bad-explicit-tag",
    ),
    pytest.param(
        "fetch:\n  timeout: !secret x\n",
        "config.yaml:2:12 fetch.timeout: x cannot be read (could not determine a constructor for the tag '!secret')",
        id="unknown-tag",
    ),
    pytest.param(
        "fetch:\n  allow_private_networks: maybe\n",
        'config.yaml:2:27 fetch.allow_private_networks: expected true or false, got "maybe"',
        id="bool-type",
    ),
    pytest.param(
        "fetch:\n  allow_ports: [8000, 70000]\n",
        "config.yaml:2:23 fetch.allow_ports[1]: must be between 1 and 65535, got 70000",
        id="port-range",
    ),
    pytest.param(
        "fetch:\n  allow_hosts: ['wiki.local:80x']\n",
        'config.yaml:2:17 fetch.allow_hosts[0]: "wiki.local:80x" has an invalid port "80x" (ports are 1-65535)',
        id="allow-host-port",
    ),
    pytest.param(
        "fetch:\n  allow_hosts: ['bad_host!']\n",
        'config.yaml:2:17 fetch.allow_hosts[0]: "bad_host!" is not "host" or "host:port" '
        "(e.g. wiki.intranet or 10.0.0.5:8080)",
        id="allow-host-shape",
    ),
    pytest.param(
        "fetch:\n  allow_hosts: wiki.local\n",
        'config.yaml:2:16 fetch.allow_hosts: expected a list, got "wiki.local"',
        id="list-type",
    ),
    pytest.param(
        "fetch:\n  timeout:\n",
        "config.yaml:2:11 fetch.timeout: has no value (remove the key to use the default, 30.0)",
        id="null-value",
    ),
    pytest.param(
        "fetch:\n  timout: 5\n",
        'config.yaml:2:3 fetch.timout: unknown key (did you mean "timeout"?)',
        id="did-you-mean",
    ),
    pytest.param(
        "fetch:\n  zzz: 5\n",
        "config.yaml:2:3 fetch.zzz: unknown key (valid keys here: connect_timeout, timeout, max_bytes, "
        "max_redirects, max_url_length, concurrency, per_host_concurrency, allow_private_networks, "
        "allow_hosts, allow_ports, user_agent, extract_timeout, feed_interval, retry_base, retry_max,"
        " pause_after_failures)",
        id="unknown-key-lists-valid",
    ),
    pytest.param(
        "feed:\n  - id: a\n",
        'config.yaml:1:1 feed: unknown key (did you mean "feeds"?)',
        id="top-level-did-you-mean",
    ),
    pytest.param(
        "discord:\n  token: abc\n",
        "config.yaml:2:3 discord.token: secrets are not read from the file: set the DISCORD_TOKEN environment variable",
        id="token-in-file",
    ),
    pytest.param(
        "discord:\n  guilds: [123, 'abc']\n",
        'config.yaml:2:17 discord.guilds[1]: "abc" is not a Discord id (expected a number such as 123456789012345678)',
        id="guild-id",
    ),
    pytest.param(
        "defaults:\n  algorithm: lexrnk\n",
        'config.yaml:2:14 defaults.algorithm: "lexrnk" is not a summariser algorithm (did you mean "lexrank"?)',
        id="algorithm",
    ),
    pytest.param(
        "defaults:\n  sentences: 0\n",
        "config.yaml:2:14 defaults.sentences: must be between 1 and 10, got 0",
        id="defaults-sentences",
    ),
    pytest.param(
        "logging:\n  format: xml\n",
        'config.yaml:2:11 logging.format: "xml" is not one of: text, json',
        id="log-format",
    ),
    pytest.param(
        "logging:\n  level: loud\n",
        'config.yaml:2:10 logging.level: "loud" is not a log level (choose from: DEBUG, INFO, WARNING, ERROR, CRITICAL)',
        id="log-level",
    ),
    pytest.param(
        "storage:\n  url: mysql://bot@db/news\n",
        'config.yaml:2:8 storage.url: "mysql://bot@db/news" is not a PostgreSQL URL: use'
        " postgresql://user:password@host/database, or leave it empty for SQLite",
        id="storage-url-not-postgres",
    ),
    pytest.param(
        "storage: data.db\n",
        'config.yaml:1:10 storage: expected a mapping of keys, got "data.db"',
        id="section-type",
    ),
    pytest.param(
        "fetch:\n  timeout: 3\n  timeout: 4\n",
        "config.yaml:3:3 fetch.timeout: duplicate key (first set at line 2)",
        id="duplicate-key",
    ),
    pytest.param(
        "- a\n- b\n",
        "config.yaml:1:1 the file must hold a mapping of sections (feeds:, digests:, fetch: ...), got a list",
        id="root-not-mapping",
    ),
    pytest.param(
        "fetch:\n  timeout: [1, 2\nfeeds: x\n",
        "config.yaml:3:6 invalid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence at line 2, column 12)",
        id="yaml-syntax",
    ),
    pytest.param(
        "fetch:\n\ttimeout: 3\n",
        "config.yaml:2:1 invalid YAML: found character '\\t' that cannot start any token "
        "(indent with spaces: YAML does not allow tabs)",
        id="yaml-tab",
    ),
    pytest.param(
        "discord:\n  guilds: [${GUILD}]\n",
        "config.yaml:2:13 invalid YAML: expected ',' or ']', but got '{' (while parsing a flow sequence at line 2, "
        'column 11) (inside [ ] or { }, quote values that use ${NAME}: ["${NAME}"])',
        id="yaml-unquoted-env-in-flow",
    ),
    pytest.param(
        'feeds:\n  - id: "abc\n',
        "config.yaml:3:1 invalid YAML: found unexpected end of stream (while scanning a quoted scalar at line 2, column 9)",
        id="yaml-unterminated",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_config_gives_exact_message(text: str, message: str) -> None:
    found = problems(text)
    if message.endswith("is not a supported language"):
        # The supported list comes from the summariser; only its lead-in is fixed here.
        assert len(found) == 1 and found[0].startswith(message + " (use one of: auto, en, ")
    else:
        assert found == [message]
