"""The shape of the code: the rules a change must keep, read from the source itself."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"


def _module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(BOT.rglob("*.py"))}


def _imports(name: str) -> Iterator[str]:
    """Every bot module ``name`` imports, anywhere in it (TYPE_CHECKING blocks and
    function bodies included: a cycle hidden there is still a cycle in the design)."""
    tree = ast.parse(MODULES[name].read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module]
            targets += [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        yield from (target for target in targets if target in MODULES and target != name)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(module: str) -> list[str] | None:
        path.append(module)
        on_path.add(module)
        for imported in sorted(graph[module]):
            if imported in on_path:
                return [*path[path.index(imported) :], imported]
            if imported not in done and (found := visit(imported)):
                return found
        on_path.discard(path.pop())
        done.add(module)
        return None

    for module in sorted(graph):
        if module not in done and (found := visit(module)):
            return found
    return None


def test_the_import_graph_of_bot_has_no_cycle() -> None:
    graph = {name: set(_imports(name)) for name in MODULES}
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_check_finds_a_cycle_when_there_is_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_core_imports_no_framework_and_no_adapter() -> None:
    for name, path in MODULES.items():
        if not name.startswith("bot.core"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                found = [node.module]
            else:
                continue
            for imported in found:
                top = imported.split(".")[0]
                assert top not in {"telegram", "sqlalchemy", "matplotlib", "openpyxl"}, (
                    f"{name} imports {imported}"
                )
                assert not imported.startswith(("bot.storage", "bot.telegram", "bot.reporting")), (
                    f"{name} imports {imported}"
                )


def test_only_the_router_knows_the_coach() -> None:
    """Handlers and jobs get a turn and their deps, never the whole coach."""
    for name, path in MODULES.items():
        if name.startswith("bot.core") and name != "bot.core.router":
            assert "Coach" not in {
                node.id
                for node in ast.walk(ast.parse(path.read_text()))
                if isinstance(node, ast.Name)
            }, f"{name} uses Coach"


def test_only_the_telegram_adapter_imports_telegram() -> None:
    for name, path in MODULES.items():
        if name.startswith("bot.telegram"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                found = [node.module]
            else:
                continue
            assert not any(module.split(".")[0] == "telegram" for module in found), (
                f"{name} imports {found}"
            )
