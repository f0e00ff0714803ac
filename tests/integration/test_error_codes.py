"""Every error code is declared once, raised by its entry, used, and documented in docs/api.md."""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from yaksok.domain import codes
from yaksok.domain.errors import Code, PolicyViolation, YaksokError
from yaksok.web import errors
from yaksok.web.errors import Answer, status_of

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src/yaksok"
REGISTRIES: tuple[ModuleType, ...] = (codes, errors)
HOMES = ("src/yaksok/domain/codes.py", "src/yaksok/web/errors.py")
Entry = Code[YaksokError] | Answer


def registered() -> dict[str, tuple[ModuleType, Entry]]:
    """Every declared entry by its name, with the module that declares it."""
    return {
        name: (module, value)
        for module in REGISTRIES
        for name, value in vars(module).items()
        if isinstance(value, Code | Answer)
    }


def status(entry: Entry) -> int:
    return entry.status if isinstance(entry, Answer) else status_of(entry.kind)


def error_table() -> str:
    """docs/api.md's error table, as the registry says it must read."""
    entries = sorted((status(entry), entry.text, entry.meaning) for _, entry in registered().values())
    rows = [f"| {code_status} | `{text}` | {meaning} |" for code_status, text, meaning in entries]
    return "\n".join(["| status | code | meaning |", "| --- | --- | --- |", *rows])


def error_kinds() -> dict[str, type[YaksokError]]:
    found: dict[str, type[YaksokError]] = {}
    pending: list[type[YaksokError]] = [YaksokError]
    while pending:
        kind = pending.pop()
        found[kind.__name__] = kind
        pending.extend(kind.__subclasses__())
    return found


def source_trees() -> Iterator[tuple[str, ast.AST]]:
    for path in sorted(SOURCE.rglob("*.py")):
        yield str(path.relative_to(ROOT)), ast.parse(path.read_text(), str(path))


def called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def how_to_register(text: str, kind: type[YaksokError]) -> str:
    name = text.replace(".", "_").upper()
    domain = kind.__module__ == "yaksok.domain.errors"
    home, use = (HOMES[0], f"codes.{name}") if domain else (HOMES[1], f"{name} (from yaksok.web.errors)")
    return (
        f'add `{name} = Code("{text}", {kind.__name__}, "<what it means, in one line>")` to {home}, '
        f"raise with `code={use}`, and add `| {status_of(kind)} | `{text}` | <what it means> |` "
        "to docs/api.md's error table"
    )


def code_arguments() -> Iterator[tuple[str, type[YaksokError], ast.expr]]:
    """Every ``code=`` given to an error in src/: where, the kind of error, the expression."""
    kinds = error_kinds()
    for path, tree in source_trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and called_name(node) in kinds:
                for keyword in node.keywords:
                    if keyword.arg == "code":
                        yield f"{path}:{node.lineno}", kinds[str(called_name(node))], keyword.value


def test_every_raise_names_a_registered_code_not_its_text() -> None:
    problems = []
    for where, kind, value in code_arguments():
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            problems.append(
                f"{where}: {kind.__name__} with the unregistered code {value.value!r}: "
                + how_to_register(value.value, kind)
            )
        elif isinstance(value, ast.JoinedStr):
            problems.append(f"{where}: {kind.__name__} builds its code at run time; declare each one")
    assert problems == [], "\n".join(problems)


def test_codes_are_declared_only_in_the_registries() -> None:
    misplaced = [
        f"{path}:{node.lineno}: declare codes in {' or '.join(HOMES)}"
        for path, tree in source_trees()
        if path not in HOMES
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and called_name(node) in {"Code", "Answer"}
    ]
    assert misplaced == []


def test_every_registered_code_is_used() -> None:
    used: Counter[str] = Counter()
    for _, tree in source_trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                used[node.attr] += 1
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                used[node.id] += 1
    unused = [
        f"{module.__name__}.{name} ({entry.text!r}) is never used: remove it and its row in docs/api.md"
        for name, (module, entry) in registered().items()
        if not used[name]
    ]
    assert unused == []


def test_every_code_is_declared_once() -> None:
    texts = Counter(entry.text for _, entry in registered().values())
    # request.invalid predates the registry with two statuses: 400 for a parameter, 422 for a body.
    assert [text for text, count in texts.items() if count > 1] == ["request.invalid"]


def test_every_code_is_a_client_error_except_the_internal_one_and_a_pause() -> None:
    statuses = {entry.text: status(entry) for _, entry in registered().values()}
    assert statuses.pop("internal") == 500
    # The one moment that passes by itself: a pre-queue's order being drawn from the beacon round.
    assert statuses.pop("waiting_room.opening") == 503
    assert all(400 <= code_status < 500 for code_status in statuses.values()), statuses


def test_a_policy_violation_is_unprocessable_like_any_invalid_input() -> None:
    assert status_of(PolicyViolation) == 422
    assert {status(codes.POLICY_LEAD_TIME), status(codes.TIME_INVALID)} == {422}


def test_the_api_guide_lists_every_code_with_its_status_and_meaning() -> None:
    guide = (ROOT / "docs/api.md").read_text()
    header = "| status | code | meaning |"
    assert header in guide, "docs/api.md has no error table"
    documented = guide[guide.index(header) :].split("\n\n", 1)[0]
    expected = error_table()
    assert documented.splitlines() == expected.splitlines(), (
        f"docs/api.md's error table must read:\n{expected}"
    )
