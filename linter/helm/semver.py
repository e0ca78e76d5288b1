"""Chart version constraints as Flux resolves them (Masterminds/semver, which source-controller uses).

`best(constraint, versions)` is the newest version that satisfies the constraint: `1.2.3` (exact),
`*`, `>=1.0 <2.0` (AND by space or comma), `||` (OR), `~1.2` (patch), `^1.2` (minor), `1.x` / `1.2.*`
(wildcards), `1.0 - 2.0` (hyphen). A prerelease only matches a constraint that names one (as in
Masterminds); an empty constraint is `*`. Versions that are not semver are ignored, as by Flux.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")
_TERM = re.compile(r"^(\^|~>?|>=|<=|!=|=|>|<)?\s*(v?[0-9xX*]+(?:\.[0-9xX*]+){0,2}(?:-[0-9A-Za-z.-]+)?"
                   r"(?:\+[0-9A-Za-z.-]+)?)$")


class Version(NamedTuple):
    major: int
    minor: int
    patch: int
    pre: tuple[tuple[int, int | str], ...]  # () for a release; sorts after every prerelease

    def key(self) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, self.pre)


class ConstraintError(ValueError):
    pass


def parse(text: str) -> Version | None:
    m = _VERSION.match(text.strip())
    if m is None:
        return None
    pre = tuple((0, int(p)) if p.isdigit() else (1, p) for p in m.group(4).split(".")) if m.group(4) else ()
    return Version(int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0), pre)


def best(constraint: str, versions: Iterable[str]) -> str | None:
    """The newest of `versions` that satisfies `constraint`, as written in `versions`; None if none."""
    test = _compile(constraint.strip() or "*")
    found = [(v, s) for s in versions for v in [parse(s)] if v is not None and test(v)]
    return max(found, key=lambda item: item[0].key())[1] if found else None


def is_exact(constraint: str) -> bool:
    c = constraint.strip()
    return bool(c) and parse(c) is not None and not re.search(r"[xX*]", c)


def _compile(constraint: str):  # type: ignore[no-untyped-def]
    alternatives = []
    for alt in constraint.split("||"):
        alt = re.sub(r"\s*-\s+", " - ", alt.strip())
        hyphen = re.fullmatch(r"(\S+) - (\S+)", alt)
        if hyphen:
            terms = [(">=", hyphen.group(1)), ("<=", hyphen.group(2))]
        else:
            terms = []
            for raw in re.split(r"[\s,]+", re.sub(r"(\^|~>?|>=|<=|!=|=|>|<)\s+", r"\1", alt)):
                if raw:
                    m = _TERM.match(raw)
                    if m is None:
                        raise ConstraintError(f"not a version constraint: {constraint!r}")
                    terms.append((m.group(1) or "=", m.group(2)))
        alternatives.append([_term(op, v) for op, v in terms] or [lambda _v: True])
    names_pre = "-" in constraint

    def test(v: Version) -> bool:
        if v.pre and not names_pre:
            return False
        return any(all(t(v) for t in terms) for terms in alternatives)
    return test


def _term(op: str, text: str):  # type: ignore[no-untyped-def]
    parts = text.lstrip("vV").split("-", 1)[0].split("+", 1)[0].split(".")
    wild = next((i for i, p in enumerate(parts) if p in ("x", "X", "*")), len(parts))
    nums = [int(p) for p in parts[:wild]]
    if not nums:
        return (lambda _v: True) if op in ("=", ">=", "<=", "^", "~", "~>") else (lambda _v: op == "!=")
    exact = parse(text) if wild == len(parts) == 3 else None
    major, minor, patch = (nums + [0, 0, 0])[:3]
    lo = Version(major, minor, patch, exact.pre if exact else ())
    if op in ("=", "!=") and exact is None:  # 1.2 or 1.2.x: the range it names
        inside = _between(lo, _bump(nums))
        return inside if op == "=" else (lambda v: not inside(v))
    if op == "^":
        hi = Version(lo.major + 1, 0, 0, ()) if lo.major or len(nums) == 1 else \
            Version(0, lo.minor + 1, 0, ()) if lo.minor or len(nums) == 2 else Version(0, 0, lo.patch + 1, ())
        return _between(lo, hi)
    if op in ("~", "~>"):
        hi = Version(lo.major + 1, 0, 0, ()) if len(nums) == 1 else Version(lo.major, lo.minor + 1, 0, ())
        return _between(lo, hi)
    if wild < 3 and op in (">", "<="):  # >1.2 means >=1.3; <=1.2 means <1.3 (Masterminds)
        hi = _bump(nums)
        return (lambda v: v.key() >= hi.key()) if op == ">" else (lambda v: v.key() < hi.key())
    key = lo.key()
    return {"=": lambda v: v.key() == key, "!=": lambda v: v.key() != key, ">": lambda v: v.key() > key,
            "<": lambda v: v.key() < key, ">=": lambda v: v.key() >= key,
            "<=": lambda v: v.key() <= key}[op]


def _bump(nums: list[int]) -> Version:
    if len(nums) == 1:
        return Version(nums[0] + 1, 0, 0, ())
    if len(nums) == 2:
        return Version(nums[0], nums[1] + 1, 0, ())
    return Version(nums[0], nums[1], nums[2] + 1, ())


def _between(lo: Version, hi: Version):  # type: ignore[no-untyped-def]
    lo_key = (lo.major, lo.minor, lo.patch, 0, ()) if not lo.pre else lo.key()
    hi_key = (hi.major, hi.minor, hi.patch, 0, ())
    return lambda v: lo_key <= v.key() < hi_key
