"""Validate config.yaml against the Settings dataclasses, walking the YAML node tree.

The walk works on `yaml.compose` nodes rather than loaded Python objects because the
nodes keep their line and column: every problem can then say exactly where it is. The
schema is the dataclasses themselves (field names, type hints, defaults), so a field a
module adds to bot/settings.py is checked for its type without touching this file;
`RULES` (bot/config_rules.py) adds ranges and value checks on top.
"""

from __future__ import annotations

import os
import re
import types
import typing
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import MISSING, fields, is_dataclass
from typing import Any, Literal

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from bot import config_checks as checks
from bot.config_rules import INTERNAL, LIST_RULES, NORMALISE, RULES, SNOWFLAKES, SPECIAL_KEYS
from bot.settings import (
    DigestSettings,
    DiscordSettings,
    FeedSettings,
    Settings,
)

_INVALID: Any = object()  # a value that failed validation; its field keeps the default
_NULL_TAG = "tag:yaml.org,2002:null"
_STR_TAG = "tag:yaml.org,2002:str"
_ENV = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")




def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL_TAG


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if _is_null(node):
        return "nothing"
    return checks.quote(node.value) if node.tag == _STR_TAG else str(node.value)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class Validator:
    """One validation run: walks the nodes, collects every problem, builds Settings."""

    def __init__(self, filename: str, env: Mapping[str, str] | None) -> None:
        self.filename = filename
        self.env: Mapping[str, str] = os.environ if env is None else env
        self.problems: list[tuple[int, int, str]] = []
        self.from_env: list[str] = []
        self.leaves: defaultdict[tuple[type, str], list[tuple[Any, Node, str]]] = defaultdict(list)
        self.constructor = SafeConstructor()
        self.resolver = Resolver()

    def error(self, node: Node | None, path: str, text: str) -> None:
        """Record one problem at the node's position (1-based line and column)."""
        line, column = (node.start_mark.line + 1, node.start_mark.column + 1) if node else (1, 1)
        where = f"{self.filename}:{line}:{column}"
        self.problems.append((line, column, f"{where} {path}: {text}" if path else f"{where} {text}"))

    def sorted_problems(self) -> list[str]:
        """Every problem once, in file order."""
        seen: dict[str, tuple[int, int]] = {}
        for line, column, message in self.problems:
            seen.setdefault(message, (line, column))
        return sorted(seen, key=lambda m: seen[m])

    # --- values -----------------------------------------------------------------------

    def _substitute(self, node: ScalarNode, path: str) -> ScalarNode | None:
        """Replace ${NAME} (and ${NAME:-default}) from the environment; None if one is unset."""
        missing: list[str] = []
        used: list[str] = []

        def replace(match: re.Match[str]) -> str:
            escaped, name, default = match.groups()
            if escaped:
                return match.group(0)[1:]
            if name in self.env:
                used.append(name)
                return self.env[name]
            if default is not None:
                return default
            missing.append(name)
            return ""

        text = _ENV.sub(replace, node.value)
        for name in missing:
            self.error(node, path, f"environment variable {name} is not set (used as ${{{name}}})")
        if missing:
            return None
        if text == node.value:
            return node
        if used:
            self.from_env.append(path)
        # The substituted text is typed like a plain YAML scalar, so `${PORT}` can fill a number.
        tag = self.resolver.resolve(ScalarNode, text, (True, False))
        return ScalarNode(tag, text, node.start_mark, node.end_mark)

    def _scalar(self, node: Node, tp: Any, path: str, owner: type, name: str) -> Any:
        if not isinstance(node, ScalarNode):
            self.error(node, path, f"expected {_TYPE_NAMES.get(tp, 'a single value')}, got {_describe(node)}")
            return _INVALID
        sub = self._substitute(node, path) if "$" in node.value else node
        if sub is None:
            return _INVALID
        if (owner, name) in SNOWFLAKES:
            return self._snowflake(sub, path)
        if tp is str:
            # Raw text, so `language: no` stays "no" rather than YAML 1.1's False.
            return sub.value
        try:
            value = self.constructor.construct_object(sub, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as err:
            self.error(node, path, f"{_describe(sub)} cannot be read ({getattr(err, 'problem', None) or err})")
            return _INVALID
        if tp is bool and isinstance(value, bool):
            return value
        if tp is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if tp is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if typing.get_origin(tp) is Literal:
            choices = [str(c) for c in typing.get_args(tp)]
            if sub.value in choices:
                return sub.value
            hint = checks.did_you_mean(sub.value, choices)
            self.error(node, path, f"{_describe(sub)} is not one of: {', '.join(choices)}{hint}")
            return _INVALID
        if tp in _TYPE_NAMES:
            self.error(node, path, f"expected {_TYPE_NAMES[tp]}, got {_describe(sub)}")
            return _INVALID
        return value

    def _snowflake(self, node: ScalarNode, path: str) -> Any:
        text = node.value.strip()
        if text.isascii() and text.isdigit() and 0 < int(text) < 2**64:
            return int(text)
        self.error(node, path, f"{_describe(node)} is not a Discord id (expected a number such as 123456789012345678)")
        return _INVALID

    def convert(self, node: Node, tp: Any, path: str, owner: type, name: str, default: Any) -> Any:
        """The node as a value of type `tp`, or _INVALID after recording why not."""
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (typing.Union, types.UnionType):
            if _is_null(node) and type(None) in args:
                return None
            (tp,) = [a for a in args if a is not type(None)]
            origin, args = typing.get_origin(tp), typing.get_args(tp)
        if is_dataclass(tp):
            return self.build(node, typing.cast(type, tp), path)
        if origin is tuple:
            return self._list(node, args[0], path, owner, name)
        if _is_null(node):
            shown = checks.quote(default) if default is not MISSING else ""
            hint = f" (remove the key to use the default, {shown})" if shown else ""
            self.error(node, path, f"has no value{hint}")
            return _INVALID
        value = self._scalar(node, tp, path, owner, name)
        if value is _INVALID or value is None:
            return value
        rule = RULES.get((owner, name))
        problem = rule(value) if rule else None
        if problem:
            self.error(node, path, problem)
            return _INVALID
        normalise = NORMALISE.get((owner, name))
        value = normalise(value) if normalise else value
        self.leaves[(owner, name)].append((value, node, path))
        return value

    def _list(self, node: Node, item_tp: Any, path: str, owner: type, name: str) -> Any:
        if _is_null(node):
            items: list[Any] = []
        elif isinstance(node, SequenceNode):
            items = []
            for index, child in enumerate(node.value):
                value = self.convert(child, item_tp, f"{path}[{index}]", owner, name, MISSING)
                if value is not _INVALID:
                    items.append(value)
        else:
            self.error(node, path, f"expected a list, got {_describe(node)}")
            return _INVALID
        rule = LIST_RULES.get((owner, name))
        problem = rule(items) if rule else None
        if problem:
            self.error(node, path, problem)
            return _INVALID
        return tuple(items)

    # --- mappings -----------------------------------------------------------------------

    def build(self, node: Node, cls: type, path: str) -> Any:
        """An instance of dataclass `cls` from a mapping node, or _INVALID."""
        if _is_null(node):
            node = MappingNode("tag:yaml.org,2002:map", [], node.start_mark, node.end_mark)
        if not isinstance(node, MappingNode):
            self.error(node, path, f"expected a mapping of keys, got {_describe(node)}")
            return _INVALID
        seen: dict[str, Node] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    first = seen[key_node.value].start_mark.line + 1
                    self.error(key_node, _join(path, key_node.value), f"duplicate key (first set at line {first})")
                seen[key_node.value] = key_node
        try:
            self.constructor.flatten_mapping(node)  # YAML merge keys (<<: *base)
        except yaml.YAMLError as err:
            self.error(node, path, f"cannot merge ({getattr(err, 'problem', err)})")
            return _INVALID
        # After a merge an explicit key follows the merged one it overrides: the last one wins.
        pairs = {k.value if isinstance(k, ScalarNode) else id(k): (k, v) for k, v in node.value}
        hints = typing.get_type_hints(cls)
        known = {f.name: f for f in fields(cls) if (cls, f.name) not in INTERNAL}
        kwargs: dict[str, Any] = {}
        for key_node, value_node in pairs.values():
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str) or not key:
                self.error(key_node, path, f"keys must be plain names, got {_describe(key_node)}")
                continue
            where = _join(path, key)
            if (cls, key) in SPECIAL_KEYS:
                self.error(key_node, where, SPECIAL_KEYS[(cls, key)])
            elif key not in known:
                hint = checks.did_you_mean(key, known) or f" (valid keys here: {', '.join(known)})"
                self.error(key_node, where, f"unknown key{hint}")
            else:
                spec = known[key]
                default = spec.default if spec.default is not MISSING else MISSING
                value = self.convert(value_node, hints[key], where, cls, key, default)
                if value is not _INVALID:
                    kwargs[key] = value
        required = [f.name for f in known.values() if f.default is MISSING and f.default_factory is MISSING]
        absent = [name for name in required if name not in kwargs]
        for name in absent:
            if name not in seen:
                self.error(node, path, f'missing required key "{name}"')
        if absent:
            return _INVALID
        return cls(**kwargs)

    # --- cross references ---------------------------------------------------------------------

    def cross_check(self) -> None:
        """Duplicate feed and digest ids, and digests that name a feed that does not exist."""
        for cls, kind in ((FeedSettings, "feed"), (DigestSettings, "digest")):
            first: dict[str, Node] = {}
            for value, node, path in self.leaves[(cls, "id")]:
                if value in first:
                    line = first[value].start_mark.line + 1
                    self.error(node, path, f"duplicate {kind} id {checks.quote(value)} (first defined at line {line})")
                else:
                    first[value] = node
        feed_ids = list(dict.fromkeys(value for value, _, _ in self.leaves[(FeedSettings, "id")]))
        for value, node, path in self.leaves[(DigestSettings, "feeds")]:
            if value in feed_ids:
                continue
            hint = checks.did_you_mean(value, feed_ids) or (
                " (no feeds are defined)" if not feed_ids else f" (defined feeds: {', '.join(feed_ids)})"
            )
            self.error(node, path, f"unknown feed {checks.quote(value)}{hint}")
        self._check_shards()

    def _check_shards(self) -> None:
        """shard_ids lie below a shard_count given beside them (a count from the environment is checked at run)."""
        counts = self.leaves[(DiscordSettings, "shard_count")]
        if not counts:
            return
        count = counts[0][0]
        for value, node, path in self.leaves[(DiscordSettings, "shard_ids")]:
            if value >= count:
                self.error(node, path, f"must be below discord.shard_count ({count}), got {value}")


_TYPE_NAMES: dict[Any, str] = {
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    str: "text",
}


def _syntax_message(filename: str, err: yaml.YAMLError, text: str) -> str:
    """A YAML syntax error in the same file:line:column form as every other problem."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else f"{filename}:1:1"
    problem = getattr(err, "problem", None) or str(err)
    context, context_mark = getattr(err, "context", None), getattr(err, "context_mark", None)
    extra = ""
    if context and context_mark and context_mark is not mark:
        extra = f" ({context} at line {context_mark.line + 1}, column {context_mark.column + 1})"
    if "\\t" in problem or "\t" in problem:  # PyYAML writes the tab as '\\t'
        extra += " (indent with spaces: YAML does not allow tabs)"
    lines = text.splitlines()
    if mark and mark.line < len(lines) and "${" in lines[mark.line]:
        # `[${A}]` is a YAML error: in [ ] and { } a plain value cannot hold "{".
        extra += ' (inside [ ] or { }, quote values that use ${NAME}: ["${NAME}"])'
    return f"{where} invalid YAML: {problem}{extra}"


def validate(text: str, filename: str, env: Mapping[str, str] | None) -> tuple[Settings | None, list[str]]:
    """(settings, []) for a valid config, or (None, every problem) for an invalid one."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        return None, [_syntax_message(filename, err, text)]
    checker = Validator(filename, env)
    if root is None:
        return Settings(source=filename), []
    if not isinstance(root, MappingNode):
        checker.error(root, "", f"the file must hold a mapping of sections (feeds:, digests:, fetch: ...), got {_describe(root)}")
        return None, checker.sorted_problems()
    built = checker.build(root, Settings, "")
    checker.cross_check()
    problems = checker.sorted_problems()
    if problems or built is _INVALID:
        return None, problems or [f"{filename}:1:1 invalid configuration"]
    settings: Settings = built
    from dataclasses import replace

    return replace(settings, source=filename, from_env=tuple(checker.from_env)), []
