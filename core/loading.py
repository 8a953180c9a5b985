"""Reading config.yaml into `core.config.Settings`: every problem is reported
with its key path and line, all at once, so an office can fix the file in one
pass; and which file is used (--config, $PRESSWATCH_CONFIG, ./config.yaml, the
bundled default).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from core.config import Settings
from core.desk_settings import cross_checks as desk_cross_checks
from core.errors import ConfigError, ConfigIssue

logger = logging.getLogger(__name__)

KeyPath = tuple[str | int, ...]

# A config is a few hundred lines; these bound what a hostile or broken file can
# cost before anything walks it (a 22 KB "billion laughs" of nested anchors
# expands to billions of nodes).
MAX_CONFIG_BYTES = 2_000_000
MAX_ALIASES = 200
MAX_EXPANDED_NODES = 500_000
# Keys that hold a secret when typed into the file: each has an `*_env` sibling
# (or should be in one) naming the environment variable instead.
_SECRET_KEYS = re.compile(r"(^|_)(password|passwd|token|secret|secret_key|api_key|apikey)$")


@dataclass(frozen=True)
class _LineIndex:
    """Maps key paths (("sources", 3, "id")) to the 1-based line they start on."""

    lines: dict[KeyPath, int]

    def line_of(self, path: KeyPath) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


def _walk(node: yaml.Node, path: KeyPath) -> Iterator[tuple[KeyPath, int, yaml.Node]]:
    yield path, node.start_mark.line + 1, node
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            yield (*path, key), key_node.start_mark.line + 1, value_node
            for sub in _walk(value_node, (*path, key)):
                if sub[0] != (*path, key):
                    yield sub
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _walk(item, (*path, index))


def _duplicate_keys(node: yaml.Node, path: KeyPath) -> Iterator[ConfigIssue]:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                yield ConfigIssue(
                    ".".join(map(str, (*path, key))),
                    key_node.start_mark.line + 1,
                    "duplicate key (the later value would silently win)",
                )
            seen.add(key)
            yield from _duplicate_keys(value_node, (*path, key))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*path, index))


def _dotted(path: KeyPath) -> str:
    return ".".join(str(part) for part in path) or "(top level)"


def _cross_checks(data: dict[str, Any]) -> Iterator[tuple[KeyPath, str]]:
    """Rules pydantic cannot see field by field: unique ids and references."""
    for section in ("sources", "topics", "narratives"):
        yield from _unique_ids(data.get(section), (section,))
    place_items = (data.get("watch") or {}).get("places")
    yield from _unique_ids(place_items, ("watch", "places"))
    alerts = data.get("alerts") or {}
    yield from _unique_ids(alerts.get("rules"), ("alerts", "rules"))
    yield from _unique_ids(alerts.get("channels"), ("alerts", "channels"))

    topic_ids = {t.get("id") for t in _dicts(data.get("topics"))}
    for index, narrative in enumerate(_dicts(data.get("narratives"))):
        for position, topic in enumerate(narrative.get("topics") or []):
            if topic not in topic_ids:
                yield ("narratives", index, "topics", position), f"unknown topic {topic!r}"
    channel_ids = {c.get("id") for c in _dicts(alerts.get("channels"))}
    for index, rule in enumerate(_dicts(alerts.get("rules"))):
        for position, channel in enumerate(rule.get("channels") or []):
            if channel not in channel_ids:
                path = ("alerts", "rules", index, "channels", position)
                yield path, f"unknown channel {channel!r}"
        for position, topic in enumerate(rule.get("topics") or []):
            if topic not in topic_ids:
                yield ("alerts", "rules", index, "topics", position), f"unknown topic {topic!r}"
    yield from desk_cross_checks(data.get("desk"), channel_ids, topic_ids)
    for index, source in enumerate(_dicts(data.get("sources"))):
        if source.get("kind") == "feed" and not source.get("feeds"):
            yield ("sources", index, "feeds"), "a feed source needs at least one feed URL"
        if source.get("kind") == "site" and not (
            source.get("start_urls") or source.get("sitemaps")
        ):
            yield ("sources", index, "start_urls"), "a site source needs start_urls or sitemaps"


def _dicts(value: Any) -> list[dict[str, Any]]:
    return (
        [item if isinstance(item, dict) else {} for item in value]
        if isinstance(value, list)
        else []
    )


def _unique_ids(items: Any, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    seen: dict[Any, int] = {}
    for index, item in enumerate(_dicts(items)):
        item_id = item.get("id")
        if item_id is None:
            continue
        if item_id in seen:
            yield (*path, index, "id"), f"duplicate id {item_id!r} (first at item {seen[item_id]})"
        else:
            seen[item_id] = index


def _expansion_over_limit(root: yaml.Node) -> int | None:
    """The line where the document's aliases first expand past MAX_EXPANDED_NODES
    values, or None within the limit. Counted without expanding (each shared node
    once, times its uses); the line is that of the innermost collection whose
    expansion goes over, the one whose aliases to write out."""
    sizes: dict[int, int] = {}
    over: list[int] = []

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = 1  # a recursive alias counts once, not forever
        total = 1
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            children = []
        for child in children:
            total += size(child)
            if total > MAX_EXPANDED_NODES:
                if not over:  # no child went over on its own: this collection did
                    over.append(node.start_mark.line + 1)
                break
        sizes[id(node)] = total
        return total

    size(root)
    return over[0] if over else None


def _bounded(text: str, origin: str) -> None:
    """Refuse a file too large, or with too many aliases, before composing it."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(
            origin,
            [ConfigIssue("(file)", None, f"over {MAX_CONFIG_BYTES} characters; not a config")],
        )
    aliases = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    line = event.start_mark.line + 1 if event.start_mark else None
                    raise ConfigError(
                        origin,
                        [
                            ConfigIssue(
                                "(syntax)",
                                line,
                                f"more than {MAX_ALIASES} YAML aliases (*name); write the "
                                "values out",
                            )
                        ],
                    )
    except yaml.YAMLError:
        return  # the syntax error is reported, with its line, by the composer below


def _secret_issue(loc: KeyPath) -> str | None:
    key = str(loc[-1]) if loc else ""
    if _SECRET_KEYS.search(key.lower()):
        return (
            "a secret does not belong in the config file: put it in an environment "
            f"variable and name that variable in `{key}_env`"
        )
    return None


def _warn_url_password(settings: Settings, origin: str) -> None:
    from sqlalchemy.engine import make_url

    if not settings.database.url:
        return
    try:
        password = make_url(settings.database.url).password
    except Exception:  # a malformed URL is reported when the database is opened
        return
    if password:
        env = settings.database.url_env or "PRESSWATCH_DATABASE_URL"
        logger.warning(
            "%s: database.url holds a password; put the whole URL in the environment "
            "variable named by database.url_env (%s) instead",
            origin,
            env,
        )


def parse_settings(text: str, origin: str = "<config>") -> Settings:
    """Validate YAML text; raise ConfigError listing every problem with path and line."""
    _bounded(text, origin)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(origin, [ConfigIssue("(syntax)", line, str(exc))]) from None
    if root is None or not isinstance(root, yaml.MappingNode):
        raise ConfigError(origin, [ConfigIssue("(top level)", 1, "the file must hold a mapping")])
    over_at = _expansion_over_limit(root)
    if over_at is not None:
        raise ConfigError(
            origin,
            [
                ConfigIssue(
                    "(syntax)",
                    over_at,
                    f"the YAML aliases expand to over {MAX_EXPANDED_NODES} values; "
                    "write the values out",
                )
            ],
        )
    index = _LineIndex({path: line for path, line, _ in _walk(root, ())})
    data = yaml.safe_load(text)

    issues = list(_duplicate_keys(root, ()))
    for path, message in _cross_checks(data):
        issues.append(ConfigIssue(_dotted(path), index.line_of(path), message))
    settings: Settings | None = None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(part for part in error["loc"] if not _is_validator_tag(part))
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = _secret_issue(loc) or "unknown key"
            issues.append(ConfigIssue(_dotted(loc), index.line_of(loc), message))
    if issues or settings is None:
        issues.sort(key=lambda issue: (issue.line or 0, issue.path))
        raise ConfigError(origin, issues)
    _warn_url_password(settings, origin)
    return settings


def _is_validator_tag(part: str | int) -> bool:
    # pydantic puts validator names such as "function-after[...]" into error locations.
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


DEFAULT_CONFIG_NAME = "config.yaml"


def bundled_config_path() -> Path:
    """The starter config shipped with presswatch: the repository's config.yaml,
    which a wheel build copies into this package (see setup.py)."""
    packaged = Path(__file__).with_name("default_config.yaml")
    if packaged.exists():
        return packaged
    return Path(__file__).resolve().parents[1] / DEFAULT_CONFIG_NAME


def resolve_config_path(explicit: Path | None) -> Path:
    """--config, else $PRESSWATCH_CONFIG, else ./config.yaml, else the bundled default."""
    if explicit is not None:
        return explicit
    from_env = os.environ.get("PRESSWATCH_CONFIG")
    if from_env:
        return Path(from_env)
    local = Path(DEFAULT_CONFIG_NAME)
    return local if local.exists() else bundled_config_path()


def load_settings(path: Path) -> Settings:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            str(path), [ConfigIssue("(file)", None, exc.strerror or str(exc))]
        ) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            str(path),
            [ConfigIssue("(file)", None, f"over {MAX_CONFIG_BYTES} bytes; not a config")],
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            str(path),
            [
                ConfigIssue(
                    "(file)",
                    line,
                    f"not UTF-8 at column {column} (byte {data[exc.start]:#04x}); save the "
                    "file as UTF-8",
                )
            ],
        ) from None
    settings = parse_settings(text, origin=str(path))
    return settings.model_copy(update={"path": path})
