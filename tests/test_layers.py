"""The package's layers point one way: HTTP → domain → store → records and basics.

Each group of modules (a subpackage, or a top-level module) may import only the groups listed
for it below. A new import that runs back up (the store asking the domain, a view opening the
database) fails here with the module and the import named.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pay1st_mock"

# Modules every layer may use: no HTTP server, no state beyond their own.
BASICS = frozenset({"pay1st_mock", "clock", "config", "errors", "jsontext", "randomness",
                    "schemas", "schema_predicates", "signing", "outbound", "http_wire",
                    "faults", "records", "activity", "frozen"})
DOMAIN = frozenset({"domain", "shop", "webhooks"})
ALLOWED: dict[str, frozenset[str]] = {
    **{basic: BASICS for basic in BASICS},
    "store": BASICS,
    "domain": BASICS | {"store"},
    "shop": BASICS | {"store", "domain"},
    "webhooks": BASICS | {"store", "domain", "shop"},
    "services": BASICS | {"store"} | DOMAIN,
    # Views reach the emulator through services and the domain, never the store.
    "web": BASICS | DOMAIN | {"services"},
    "app": BASICS | {"store", "services", "web"},
    # The HTTP server knows WSGI and bytes, nothing of the emulator.
    "http_pollers": frozenset(),
    "http_wsgi": frozenset({"http_wire"}),
    "http_server": frozenset({"http_wire", "http_pollers", "http_wsgi"}),
    "server": BASICS | {"app", "services", "http_server"},
    # The tools drive the emulator over HTTP; they may read the domain's data, not its store.
    "client": BASICS,
    "runner": BASICS | DOMAIN | {"client"},
    "cli_run": BASICS | {"runner", "server", "cli_args"},
    "cli_control": BASICS | {"cli_args"},
    "cli_checklist": BASICS | {"cli_control"},
    # Command-line checks share the server's rules (the X-TIMESTAMP form).
    "cli_args": BASICS | {"domain"},
    "console_log": BASICS,
    "cli_live": BASICS | {"cli_args", "cli_control", "client", "console_log"},
    "cli": BASICS | {"app", "cli_run", "cli_checklist", "cli_args", "cli_live", "console_log",
                     "server", "cpu_affinity"},
    "cpu_affinity": frozenset(),  # the operating system's, nothing of the emulator
    "__main__": BASICS | {"cli"},
    "pytest_plugin": BASICS | {"client", "listener", "runner", "server"},
    "listener": BASICS,
    "process": BASICS,
}


def group_of(module: str) -> str:
    """``pay1st_mock.web.gateway`` → ``web``; ``pay1st_mock.clock`` → ``clock``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _is_module(name: str) -> bool:
    return (PACKAGE / f"{name}.py").exists() or (PACKAGE / name).is_dir()


def imports_of(path: Path) -> list[tuple[int, str]]:
    """The ``pay1st_mock`` modules a file imports, with the line of each import."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "pay1st_mock":  # a submodule, or a name such as __version__
                found += [(node.lineno, f"pay1st_mock.{a.name}" if _is_module(a.name)
                           else "pay1st_mock") for a in node.names]
            elif node.module.startswith("pay1st_mock."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names
                      if a.name.startswith("pay1st_mock.")]
    return found


def violations(package: Path = PACKAGE) -> list[str]:
    """Every import that a layer may not make, as ``file:line: group imports module``."""
    problems = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        group = group_of(".".join(parts))
        allowed = ALLOWED.get(group)
        if allowed is None:
            problems.append(f"{relative}: no layer is declared for {group!r} in ALLOWED")
            continue
        for line, module in imports_of(path):
            target = group_of(module)
            if target != group and target not in allowed:
                problems.append(f"{relative}.py:{line}: {group} imports {module}")
    return problems


def test_every_import_points_down_the_layers() -> None:
    assert violations() == []


def test_the_check_catches_an_import_back_up(tmp_path: Path) -> None:
    fake = tmp_path / "pay1st_mock"
    (fake / "web").mkdir(parents=True)
    (fake / "store").mkdir()
    (fake / "web" / "view.py").write_text(
        "from pay1st_mock.store.database import Database\nfrom pay1st_mock import __version__\n")
    (fake / "store" / "repo.py").write_text("import pay1st_mock.web.http\n")
    (fake / "gadgets.py").write_text("from pay1st_mock import app\n")
    assert imports_of(fake / "gadgets.py") == [(1, "pay1st_mock.app")]
    assert violations(fake) == [
        "pay1st_mock/gadgets: no layer is declared for 'gadgets' in ALLOWED",
        "pay1st_mock/store/repo.py:1: store imports pay1st_mock.web.http",
        "pay1st_mock/web/view.py:1: web imports pay1st_mock.store.database",
    ]
