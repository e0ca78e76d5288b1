"""Plain-scalar semantics as the Kubernetes API server sees them (sigs.k8s.io/yaml on go-yaml v2).

go-yaml v2 `resolve()` (resolve.go) decides by the first character: only scalars starting with one of
`+-0123456789.yYnNtTfFoO~` (or the empty scalar) can be anything but a string. Choices mirrored here:
- booleans: y Y yes Yes YES true True TRUE on On ON (and the matching false words); NOT `tRUE`.
- null: empty, `~`, null Null NULL.
- ints: underscores are stripped, then Go `strconv.ParseInt(s, 0, 64)`: `0x1F` hex, `0o755` and `0755`
  octal, `0b101` binary, sign allowed; past int64 `ParseUint` (no sign). `0o`, `0x` alone stay strings.
- floats: `^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$` after underscore stripping, so
  `08` is 8.0 and `1e3` is 1000.0; `.inf` `.nan` forms from the table; an overflowing `1e400` stays a
  string (Go's ParseFloat reports an error).
- sexagesimal `1:20` is NOT a number (go-yaml "purposefully unsupported"): a string.
- timestamps `2024-01-01` are strings: go-yaml keeps them as strings when decoding into interface{}.
"""

from __future__ import annotations

import math
import re
from typing import Any

_TRUE = ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")
_FALSE = ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF")
_WORDS: dict[str, Any] = {w: True for w in _TRUE}
_WORDS.update({w: False for w in _FALSE})
_WORDS.update({w: None for w in ("", "~", "null", "Null", "NULL")})
_WORDS.update({w: math.nan for w in (".nan", ".NaN", ".NAN")})
_WORDS.update({w: math.inf for w in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")})
_WORDS.update({w: -math.inf for w in ("-.inf", "-.Inf", "-.INF")})

# Plain scalars that YAML 1.2 tools read as strings but Kubernetes reads as booleans (YAML-006).
AMBIGUOUS_BOOLS = frozenset(w for w in (*_TRUE, *_FALSE) if w.lower() not in ("true", "false"))

# First characters after which go-yaml tries anything but a string.
HINT_CHARS = frozenset("+-0123456789.yYnNtTfFoO~")

_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_DIGITS = {2: re.compile(r"[01]+\Z"), 8: re.compile(r"[0-7]+\Z"), 10: re.compile(r"[0-9]+\Z"),
           16: re.compile(r"[0-9a-fA-F]+\Z")}
_LEADING_ZERO_OCTAL = re.compile(r"[-+]?0[0-7]+\Z")
_INT64 = (-(2**63), 2**63 - 1)
_UINT64_MAX = 2**64 - 1
MERGE_KEY = "<<"
_SURROGATE = re.compile("[\ud800-\udfff]")


def without_surrogates(text: str) -> tuple[str, bool]:
    """`text` with UTF-16 surrogates from `\\u` escapes made characters: a pair becomes the character it
    encodes (as JSON decoders read it), a lone one U+FFFD. The flag says a lone one was replaced.
    UTF-8 input never decodes to a surrogate, so ASCII text (most of it) returns at once."""
    if text.isascii() or _SURROGATE.search(text) is None:
        return text, False
    raw = text.encode("utf-16-le", "surrogatepass")
    try:
        return raw.decode("utf-16-le"), False
    except UnicodeDecodeError:
        return raw.decode("utf-16-le", "replace"), True


def resolve_plain(text: str) -> Any:
    """The value go-yaml v2 gives an untagged plain scalar."""
    if text and text[0] not in HINT_CHARS:
        return text
    if text in _WORDS:
        return _WORDS[text]
    first = text[0]
    if first == ".":
        return _float(text)
    if first in "+-0123456789":
        plain = text.replace("_", "")
        number = _go_int(plain)
        if number is not None:
            return number
        return _float(plain) if _YAML_FLOAT.match(plain) else text
    return text


def _float(text: str) -> Any:
    if not _YAML_FLOAT.match(text):
        return text
    value = float(text)
    # Go's ParseFloat fails on overflow, so go-yaml falls through to a string.
    return text if math.isinf(value) else value


def _go_int(plain: str) -> int | None:
    """Go `strconv.ParseInt(plain, 0, 64)`, then `ParseUint` for values past int64."""
    sign, body = "", plain
    if body[:1] in ("+", "-"):
        sign, body = body[0], body[1:]
    base, digits = _base(body)
    if not digits or not _DIGITS[base].match(digits):
        return None
    value = int(digits, base)
    if sign == "-":
        value = -value
    if _INT64[0] <= value <= _INT64[1]:
        return value
    # ParseUint takes no sign at all.
    return value if not sign and value <= _UINT64_MAX else None


def _base(body: str) -> tuple[int, str]:
    if len(body) > 1 and body[0] == "0":
        prefix = body[1].lower()
        if prefix == "x":
            return 16, body[2:]
        if prefix == "o":
            return 8, body[2:]
        if prefix == "b":
            return 2, body[2:]
        return 8, body[1:]
    return 10, body


def is_ambiguous_octal(text: str) -> bool:
    """A plain scalar Kubernetes reads as octal while YAML 1.2 tools read another (decimal) value."""
    plain = text.replace("_", "")
    if not _LEADING_ZERO_OCTAL.match(plain):
        return False
    digits = plain.lstrip("+-")
    return int(digits, 8) != int(digits, 10)


def resolve_tagged(tag: str, text: str) -> Any:
    """An explicitly tagged scalar: standard tags resolve like go-yaml; anything else is a string
    (go-yaml returns unknown tags' text unchanged). A mismatch (`!!int abc`) is an error in go-yaml;
    we keep the string so the schema check reports the type instead."""
    kind = tag.rpartition(":")[2]
    if kind in ("int", "float", "bool", "null"):
        value = resolve_plain(text)
        expected = {"int": int, "float": float, "bool": bool, "null": type(None)}[kind]
        if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if type(value) is expected:
            return value
    return text


def key_string(value: Any) -> str:
    """sigs.k8s.io/yaml turns non-string keys into JSON object keys this way."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float_key(value)
    # go-yaml would refuse a null key ("Unsupported map key"); keep a stable name instead.
    return "null"


def _go_float_key(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    # Go FormatFloat(f, 'g', -1, 32): shortest form, exponent for large/small magnitudes.
    text = repr(value)
    return text.removesuffix(".0")
