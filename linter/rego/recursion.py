"""Reject recursive rules at load, as OPA's compiler does (issue 13 row 2).

regorus evaluates `f(x) := y if { y := f(x) }` until the process dies (exit 139, nothing printed), so a
user policy that recurses, directly or through other rules and packages, is a configuration error at
the rule's line before anything is evaluated. The analysis reads regorus' AST: each rule's references
to rules (calls and bare names of its package, `data.<pkg>.<rule>`, imported aliases), local
variables excluded, then looks for a cycle.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.models import ConfigError

Node = tuple[str, str]  # (package, rule name)


def reject_recursion(modules_ast: list[dict[str, Any]]) -> None:
    graph: dict[Node, set[Node]] = {}
    where: dict[Node, tuple[str, int]] = {}
    packages: set[str] = set()
    parsed = []
    for module in modules_ast:
        ast = module.get("ast", {})
        package = ".".join(_path(ast.get("package", {}).get("refr", {})))
        packages.add(package)
        parsed.append((module, ast, package))
    rules_of: dict[str, set[str]] = {}
    for _module, ast, package in parsed:
        for rule in ast.get("rules", []):
            name = _rule_name(rule)
            if name:
                rules_of.setdefault(package, set()).add(name)
    for module, ast, package in parsed:
        aliases = _aliases(ast)
        for rule in ast.get("rules", []):
            name = _rule_name(rule)
            if not name:
                continue
            node = (package, name)
            kind, spec = next(iter(rule.items()))
            if kind != "Spec" or not isinstance(spec, dict):
                continue  # `default r := value`: a constant
            where.setdefault(node, (module.get("source", {}).get("file", ""), int(spec["span"]["line"])))
            local = set(_locals(spec))
            edges = graph.setdefault(node, set())
            head = next(iter(spec.get("head", {}).values()), {})
            used = [spec.get("bodies"), head.get("assign"), head.get("key"), head.get("value")]  # not its name
            for ref in _refs(used):
                target = _resolve(ref, package, aliases, packages, rules_of, local)
                if target is not None:
                    edges.add(target)
    cycle = _cycle(graph)
    if cycle:
        file, line = where.get(cycle[0], ("", 0))
        chain = " -> ".join(f"{p}.{n}" if p else n for p, n in [*cycle, cycle[0]])
        raise ConfigError(f"rule {cycle[0][1]} is recursive ({chain}); Rego does not allow recursion, and "
                          "evaluating it would never end", file, line)


def _rule_name(rule: dict[str, Any]) -> str:
    spec = next(iter(rule.values()), None)
    head = spec.get("head") if isinstance(spec, dict) else None
    inner = next(iter(head.values()), None) if isinstance(head, dict) else None
    refr = inner.get("refr") if isinstance(inner, dict) else None
    path = _path(refr) if isinstance(refr, dict) else []
    return path[0] if path else ""


def _path(refr: Any) -> list[str]:
    if not isinstance(refr, dict) or not refr:
        return []
    kind, node = next(iter(refr.items()))
    if kind == "Var":
        return [str(node["value"])]
    if kind == "RefDot":
        return [*_path(node["refr"]), str(node["field"][1])]
    if kind == "RefBrack":
        index = node.get("index", {})
        key_kind, key = next(iter(index.items())) if isinstance(index, dict) and index else ("", {})
        base = _path(node["refr"])
        return [*base, str(key.get("value"))] if key_kind == "String" else base
    return []


def _aliases(ast: dict[str, Any]) -> dict[str, list[str]]:
    out = {}
    for imp in ast.get("imports", []):
        path = _path(imp.get("refr"))
        if path[:1] == ["data"] and len(path) > 1:
            alias = imp.get("as")
            name = alias.get("value") if isinstance(alias, dict) else alias if isinstance(alias, str) else None
            out[str(name or path[-1])] = path[1:]
    return out


def _locals(node: Any) -> Iterator[str]:
    """Variables a rule declares: function arguments, `:=` targets, `some` variables."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "args" and isinstance(value, list):
                for arg in value:
                    yield from _vars(arg)
            elif key == "AssignExpr" and isinstance(value, dict) and value.get("op") == "ColEq":
                yield from _vars(value.get("lhs"))
            elif key in ("SomeVars", "SomeIn") and isinstance(value, dict):
                for sub in ("vars", "key", "value"):
                    yield from _vars(value.get(sub))
            yield from _locals(value)
    elif isinstance(node, list):
        for item in node:
            yield from _locals(item)


def _vars(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "Var" in node and isinstance(node["Var"], dict):
            yield str(node["Var"].get("value"))
        for value in node.values():
            yield from _vars(value)
    elif isinstance(node, list):
        for item in node:
            yield from _vars(item)


def _refs(node: Any) -> Iterator[list[str]]:
    """Every reference path in a rule (outermost only: `a.b.c` once, not `a` and `a.b` again)."""
    if isinstance(node, dict):
        for kind in ("Var", "RefDot", "RefBrack"):
            if kind in node and len(node) == 1:
                yield _path(node)
                inner = node[kind]
                if kind == "RefBrack" and isinstance(inner, dict):
                    yield from _refs(inner.get("index"))
                return
        for key, value in node.items():
            if key != "span":
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolve(ref: list[str], package: str, aliases: dict[str, list[str]], packages: set[str],
             rules_of: dict[str, set[str]], local: set[str]) -> Node | None:
    if not ref:
        return None
    if ref[0] == "data":
        full = ref[1:]
    elif ref[0] in aliases and ref[0] not in local:
        full = [*aliases[ref[0]], *ref[1:]]
    elif ref[0] not in local and ref[0] in rules_of.get(package, ()):
        return (package, ref[0])
    else:
        return None
    for cut in range(len(full) - 1, 0, -1):  # the longest package prefix, then its rule
        pkg = ".".join(full[:cut])
        if pkg in packages and full[cut] in rules_of.get(pkg, ()):
            return (pkg, full[cut])
    return None


def _cycle(graph: dict[Node, set[Node]]) -> list[Node]:
    """One cycle of `graph` (its nodes in order), or []. Iterative DFS: policies can be large."""
    colour: dict[Node, int] = {}
    for start in sorted(graph):
        if colour.get(start):
            continue
        stack: list[tuple[Node, Iterator[Node]]] = [(start, iter(sorted(graph.get(start, ()))))]
        path = [start]
        colour[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
                path.pop()
                continue
            state = colour.get(child, 0)
            if state == 1:
                return path[path.index(child):]
            if state == 0:
                colour[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))
    return []
