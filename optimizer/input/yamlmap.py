"""YAML reading that remembers where each value came from.

``load_with_lines`` returns the plain Python data and a map from a path (tuple of keys and list
positions) to the 1-based line of that node, so that a finding in ``instance.yaml`` can say
``instance.yaml:14:share`` rather than only ``policies[2].share``.
"""

from __future__ import annotations

from typing import Any

import yaml

Path = tuple[Any, ...]


def load_with_lines(text: str, duplicates: list[tuple[Path, int, int]] | None = None) -> tuple[Any, dict[Path, int]]:
    """Parse YAML text; raise ``yaml.YAMLError`` (with its mark) on malformed input.

    A key repeated in one mapping is silently overwritten by YAML loaders (the last one wins);
    pass a list as ``duplicates`` to collect each repeat as (path, line, line of the first).
    """
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    data = yaml.safe_load(text)
    lines: dict[Path, int] = {}
    if node is not None:
        _walk(node, (), lines, duplicates if duplicates is not None else [])
    return data, lines


def _walk(node: yaml.Node, path: Path, lines: dict[Path, int], duplicates: list[tuple[Path, int, int]]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        first: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node)) if not isinstance(key_node, yaml.ScalarNode) else _scalar(key_node)
            line = key_node.start_mark.line + 1
            try:
                if key in first:
                    duplicates.append((path + (key,), line, first[key]))
                else:
                    first[key] = line
            except TypeError:  # an unhashable key; the loader itself will complain
                pass
            _walk(value_node, path + (key,), lines, duplicates)
            lines[path + (key,)] = line
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines, duplicates)


def _scalar(node: yaml.ScalarNode) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node)
    finally:
        loader.dispose()


def line_of(lines: dict[Path, int], path: Path) -> int:
    """Line of the deepest known prefix of ``path`` (1 if nothing is known)."""
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return 1


def dotted(path: Path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out
