"""Load YAML while remembering the line of every key, for precise config errors.

Pure functions: they take the text and the path to name in errors.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from core.errors import ConfigError, ConfigProblem


@dataclass
class Located:
    """Plain Python data from a YAML document, plus the line of each key path."""

    data: Any
    path: str
    lines: dict[str, int] = field(default_factory=dict)
    problems: list[ConfigProblem] = field(default_factory=list)

    def line(self, key: str) -> int | None:
        """Line of `key` (e.g. ``defendants[2].name``) or of its nearest parent."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = _parent(key)
        return self.lines.get("")

    def problem(self, key: str, message: str) -> None:
        """Record a problem at `key`; all problems are raised together by `check`."""
        self.problems.append(ConfigProblem(self.path, self.line(key), key, message))

    def check(self) -> None:
        """Raise every recorded problem at once, or return."""
        if self.problems:
            raise ConfigError(self.problems)


def _syntax_problem(error: yaml.YAMLError, path: str) -> ConfigProblem:
    problem_mark = getattr(error, "problem_mark", None)
    context_mark = getattr(error, "context_mark", None)
    reason = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None) or ""
    # An unclosed bracket or quote is noticed later (at the next key, or at the end
    # of the file); what to fix is where it opened: the context mark. Any other
    # error (a wrong indent, a tab, a stray colon) is on the line of the problem
    # mark; the context mark there is only where the enclosing block began.
    mark = problem_mark
    if context_mark is not None and any(opener in context for opener in _OPENERS):
        mark = context_mark
        if problem_mark is not None:
            reason = f"{context}: {reason} (line {problem_mark.line + 1})"
    return ConfigProblem(
        path,
        mark.line + 1 if mark is not None else None,
        "",
        f"invalid YAML: {reason}; check indentation, brackets and quotes",
    )


_OPENERS = ("quoted scalar", "flow sequence", "flow mapping", "block scalar", "directive")


def _parent(key: str) -> str:
    cut = max(key.rfind("."), key.rfind("["))
    return key[:cut] if cut > 0 else ""


def load_located(text: str, path: str) -> Located:
    """Parse `text` as YAML; syntax errors become a `ConfigError` naming the line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        raise ConfigError([_syntax_problem(e, path)]) from e
    located = Located(data=None, path=path)
    if node is not None:
        located.lines[""] = node.start_mark.line + 1
        located.data = _convert(node, "", located)
    return located


def _convert(node: yaml.Node, key: str, located: Located) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            name = str(key_node.value)
            child = f"{key}.{name}" if key else name
            if name in result:
                located.lines.setdefault(child, key_node.start_mark.line + 1)
                located.problems.append(
                    ConfigProblem(
                        located.path, key_node.start_mark.line + 1, child, "duplicate key"
                    )
                )
                continue
            located.lines[child] = key_node.start_mark.line + 1
            result[name] = _convert(value_node, child, located)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            child = f"{key}[{index}]"
            located.lines[child] = item.start_mark.line + 1
            items.append(_convert(item, child, located))
        return items
    return yaml.SafeLoader("").construct_object(node, deep=True)


def records(located: Located, section: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (key, mapping) for each item of a top-level list, flagging non-mappings."""
    items = located.data.get(section) if isinstance(located.data, dict) else None
    if items is None:
        return
    if not isinstance(items, list):
        located.problem(section, f"expected a list of entries, got {_kind(items)}")
        return
    for index, item in enumerate(items):
        key = f"{section}[{index}]"
        if not isinstance(item, dict):
            located.problem(key, f"expected a mapping with id, name, ..., got {_kind(item)}")
            continue
        yield key, item


def check_keys(
    located: Located, key: str, item: dict[str, Any], required: set[str], allowed: set[str]
) -> None:
    """Flag missing required keys and unknown keys (typos) in one record."""
    for name in sorted(required - item.keys()):
        located.problem(key, f"missing required key '{name}'")
    for name in sorted(item.keys() - allowed):
        located.problem(
            f"{key}.{name}", f"unknown key; allowed keys are {', '.join(sorted(allowed))}"
        )


def text_value(located: Located, key: str, value: Any) -> str | None:
    """A non-empty string, or None after recording a problem."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        located.problem(key, f"expected text, got {_kind(value)}")
        return None
    text = str(value).strip()
    if not text:
        located.problem(key, "must not be empty")
        return None
    return text


def text_list(located: Located, key: str, value: Any) -> list[str]:
    """A list of non-empty strings (a lone string is a mistake worth naming)."""
    if value is None:
        return []
    if not isinstance(value, list):
        located.problem(key, f"expected a list of strings like [a, b], got {_kind(value)}")
        return []
    texts = (text_value(located, f"{key}[{i}]", v) for i, v in enumerate(value))
    return [t for t in texts if t is not None]


def unique_ids(
    located: Located, keyed: list[tuple[str, str]], check: Callable[[str], bool], rule: str
) -> None:
    """Flag ids that break `rule` or repeat an earlier id in the same file."""
    seen: dict[str, str] = {}
    for key, ident in keyed:
        if not check(ident):
            located.problem(f"{key}.id", f"{ident!r} is not allowed: {rule}")
        if ident in seen:
            first = located.line(seen[ident])
            located.problem(f"{key}.id", f"duplicate id {ident!r} (first used on line {first})")
        else:
            seen[ident] = f"{key}.id"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)
