"""Error messages: pydantic's errors, and cells, in the words of a one-line ``file:row:column`` finding."""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from typing import Annotated, Any, Iterable

from pydantic import BaseModel, ConfigDict, TypeAdapter

from .schema import POLICY_KINDS, Row
from .yamlmap import dotted


# --------------------------------------------------------------------------------------------
# messages from pydantic errors
# --------------------------------------------------------------------------------------------

_UNION_EXPECT = {
    "share": "a fraction 0..1, or a mapping year -> fraction",
    "product": "a product code or a list of product codes",
}


def expectation(err: dict[str, Any], unit: str = "") -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    text = {
        "missing": "a value is required",
        "string_too_short": "a value is required",
        "string_pattern_mismatch": "expected a code of letters, digits, '_', '.' or '-' (no spaces)",
        "string_type": "expected text",
        "float_parsing": "expected a number",
        "float_type": "expected a number",
        "finite_number": "expected a finite number",
        "int_parsing": "expected a whole number",
        "int_type": "expected a whole number",
        "int_from_float": "expected a whole number",
        "bool_parsing": "expected true or false",
        "bool_type": "expected true or false",
        "greater_than_equal": f"expected a number >= {ctx.get('ge')}",
        "greater_than": f"expected a number > {ctx.get('gt')}",
        "less_than": f"expected a number < {ctx.get('lt')}",
        "less_than_equal": f"expected a number <= {ctx.get('le')}",
        "literal_error": f"expected {ctx.get('expected')}",
        "extra_forbidden": "unknown key; check the spelling against docs/instance-format.md",
        "list_type": "expected a list",
        "dict_type": "expected a mapping",
        "model_type": "expected a mapping",
        "model_attributes_type": "expected a mapping",
        "union_tag_invalid": f"unknown kind {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}",
        "union_tag_not_found": f"missing `kind`; expected one of {', '.join(repr(k) for k in POLICY_KINDS)}",
        "too_short": "expected at least one entry",
    }.get(kind)
    if text is None:
        msg = err["msg"]
        text = msg[len("Value error, "):] if msg.startswith("Value error, ") else msg[0].lower() + msg[1:]
    if unit and kind not in ("missing", "string_too_short", "value_error", "literal_error", "string_pattern_mismatch"):
        text += f" ({unit})"
    return text


def describe(err: dict[str, Any], unit: str = "") -> str:
    if err["type"] in ("missing", "string_too_short", "union_tag_not_found", "union_tag_invalid"):
        return expectation(err, unit)
    value = err.get("input")
    shown = "blank" if value in (None, "") else repr(value)
    return f"got {shown}; {expectation(err, unit)}"


def unit_of(model: type[BaseModel], column: str) -> str:
    f = model.model_fields.get(column)
    extra = (f.json_schema_extra or {}) if f is not None else {}
    return extra.get("unit", "") if isinstance(extra, dict) else ""


_BRANCH = re.compile(r"(float|int|str|bool|(dict|list)\[.*\])")
_TYPE_ONLY = ("float_type", "string_type", "dict_type", "list_type")


def simplify(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Collapse the errors of a union (pydantic reports one per member, e.g. ``float`` and
    ``dict[int,float]``) to those of the member the input looks like, or to one line saying
    what shapes are accepted."""
    plain: list[dict[str, Any]] = []
    unions: dict[tuple, list[dict[str, Any]]] = {}
    for err in errors:
        loc = tuple(err["loc"])
        cut = next((i for i, p in enumerate(loc) if isinstance(p, str) and _BRANCH.fullmatch(p)), None)
        if cut is None:
            plain.append(err)
        else:
            unions.setdefault(loc[:cut], []).append({**err, "branch": loc[cut], "loc": loc[:cut] + loc[cut + 1:]})
    for where, errs in unions.items():
        top = [e for e in errs if len(e["loc"]) == len(where)]
        value = top[0]["input"] if top else None

        def fits(e: dict[str, Any]) -> bool:
            deeper = len(e["loc"]) > len(where)  # an error inside a mapping or list: that member fits
            if e["branch"].startswith("dict"):
                return isinstance(value, dict) or deeper
            if e["branch"].startswith("list"):
                return isinstance(value, list) or deeper
            return top != [] and not isinstance(value, (dict, list))

        chosen = [e for e in errs if fits(e) and e["type"] not in _TYPE_ONLY]
        if chosen:
            plain.extend(chosen)
        else:
            expect = _UNION_EXPECT.get(str(where[-1]) if where else "", "a number, or a mapping year -> number")
            plain.append({"type": "union", "loc": where, "input": value, "msg": f"got {value!r}; expected {expect}"})
    return plain


def yaml_message(err: dict[str, Any], allowed: Iterable[str] = ()) -> tuple[str, str, tuple]:
    """(column, message, location) for an error in instance.yaml; the column is the top-level key."""
    loc = tuple(err["loc"])
    if err["type"] == "union":
        return (str(loc[0]) if loc else "-"), err["msg"], loc
    if err["type"] == "extra_forbidden":
        key = loc[-1] if loc else "-"
        where = f" in {dotted(loc[:-1])}" if len(loc) > 1 else ""
        expected = ", ".join(allowed)
        msg = f"unknown key {key!r}{where}; expected one of {expected}" if expected else expectation(err)
        return str(key), msg, loc
    if err["type"] == "missing":
        key = loc[-1] if loc else "-"
        return str(key), f"missing required key {key!r}", loc[:-1]
    column = str(loc[0]) if loc else "-"
    rest = loc[1:]
    prefix = ""
    if rest and rest[-1] == "[key]":
        key = rest[-2] if len(rest) > 1 else err.get("input")
        if err["type"] in ("int_parsing", "int_from_float"):  # the keys of by-period mappings are years
            return column, f"key {key!r} is not a year; expected a mapping year -> value", loc
        return column, f"key {key!r}: {describe(err)}", loc
    prefix = f"{dotted(loc)}: " if rest else ""
    return column, prefix + describe(err), loc


@lru_cache(maxsize=None)
def field_adapter(model: type[Row], column: str) -> TypeAdapter:
    info = model.model_fields[column]
    tp: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    return TypeAdapter(tp, config=ConfigDict(allow_inf_nan=False, str_strip_whitespace=True))


def close_match(word: str, known: list[str]) -> str:
    """``did you mean 'x'?`` for the closest of ``known`` (spaces and case forgiven), or the list."""
    folded = {k.lower(): k for k in known}
    guess = difflib.get_close_matches(re.sub(r"[\s-]+", "_", word.strip().lower()), list(folded), n=1, cutoff=0.6)
    if guess:
        return f"did you mean {folded[guess[0]]!r}?"
    return f"expected one of {', '.join(known)}"


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def key_cell(value: Any) -> str:
    """A key value as text, so that ``2025`` (YAML) and ``2025.0`` (CSV) name the same period."""
    text = cell(value)
    if _WHOLE.fullmatch(text):
        return str(int(float(text)))
    return text


_WHOLE = re.compile(r"[+-]?\d+(\.0*)?")
