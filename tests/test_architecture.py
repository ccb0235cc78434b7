"""The dependency rules of docs/ARCHITECTURE.md, read from the source with ``ast``.

Layers, lowest first; a module may import its own layer and the layers below,
never above (also not lazily inside a function):

    coders, errors  <  format, runtime  <  models  <  methods  <  engine
                    <  the public API (pcz/*.py)  <  cli

``learn`` (training, JAX) and ``bench`` sit beside the product and may import it;
the product never imports them at module level, and only the training commands
and :func:`pcz.train` import ``learn`` or ``jax`` at all.
"""
import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDERS = {"pcz": "pcz", "coders": "pcz.coders", "learn": "pcz.learn", "bench": "pcz.bench"}
LAYER = {"pcz.coders": 0, "pcz.errors": 0, "pcz.format": 1, "pcz.runtime": 1, "pcz.models": 2,
         "pcz.methods": 3, "pcz.engine": 4, "pcz.dataset": 5, "pcz.cli": 6, "pcz.__main__": 6}
PUBLIC = 5          # pcz/*.py: the public API
# the only places the product may import training code (lazily, inside a function)
MAY_TRAIN = {"pcz.cli.train", "pcz.cli.text", "pcz.arrays"}


def modules() -> dict[str, str]:
    """Module name -> file path, for every Python file of the four packages."""
    found = {}
    for folder, package in FOLDERS.items():
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, folder)):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            rel = os.path.relpath(dirpath, os.path.join(ROOT, folder))
            prefix = package if rel == "." else package + "." + rel.replace(os.sep, ".")
            for name in filenames:
                if name.endswith(".py"):
                    found[prefix if name == "__init__.py" else f"{prefix}.{name[:-3]}"] = os.path.join(dirpath, name)
    return found


MODULES = modules()


def imports(path: str) -> list[tuple[str, bool]]:
    """(imported module, at module level?) for every import in a file; ``from X import Y``
    counts as importing X.Y when that is a module, else X."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    top = {id(node) for node in tree.body}
    top |= {id(n) for node in tree.body if isinstance(node, (ast.If, ast.Try)) for n in ast.walk(node)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                out.append((full if full in MODULES else node.module, id(node) in top))
    return out


def layer(module: str) -> int | None:
    for prefix, rank in LAYER.items():
        if module == prefix or module.startswith(prefix + "."):
            return rank
    if module.startswith(("pcz.learn", "pcz.bench")) or module == "pcz":
        return None
    return PUBLIC if module.startswith("pcz.") else None


def product(module: str) -> bool:
    return module.startswith("pcz") and not module.startswith(("pcz.learn", "pcz.bench"))


@pytest.mark.parametrize("module", sorted(m for m in MODULES if product(m) and m != "pcz"))
def test_imports_point_down_the_layers(module):
    mine = layer(module)
    for target, _ in imports(MODULES[module]):
        theirs = layer(target)
        if theirs is not None and target != "pcz":
            assert theirs <= mine, f"{module} (layer {mine}) imports {target} (layer {theirs})"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("pcz.coders")))
def test_coders_import_no_pcz_module_but_coders(module):
    for target, _ in imports(MODULES[module]):
        assert not target.startswith("pcz") or target.startswith("pcz.coders"), f"{module} imports {target}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if product(m)))
def test_the_product_imports_learning_only_in_training_commands(module):
    for target, top_level in imports(MODULES[module]):
        training = target.startswith(("pcz.learn", "jax")) or target == "jax"
        if training:
            assert module in MAY_TRAIN and not top_level, f"{module} imports {target}"
        assert not target.startswith("pcz.bench") or module == "pcz.cli.bench", f"{module} imports {target}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("pcz.learn")))
def test_learning_imports_neither_the_cli_nor_the_benchmark(module):
    for target, _ in imports(MODULES[module]):
        assert not target.startswith(("pcz.cli", "pcz.bench")), f"{module} imports {target}"


def test_no_import_cycles_between_modules():
    graph = {m: {t for t, top in imports(p) if top and t in MODULES and t != m} for m, p in MODULES.items()}
    for m in graph:      # importing a package's submodule runs the package first
        graph[m] = {t for t in graph[m] if not m.startswith(t + ".")}
    state: dict[str, int] = {}

    def visit(m, path):
        state[m] = 1
        for t in graph[m]:
            if state.get(t) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(t):] + [t]))
            if t not in state:
                visit(t, path + [t])
        state[m] = 2
    for m in sorted(graph):
        if m not in state:
            visit(m, [m])


def test_modules_stay_small():
    big = {m: n for m, p in MODULES.items() if (n := sum(1 for _ in open(p, encoding="utf-8"))) > 450}
    assert not big, f"modules over 450 lines: {big}"


def test_importing_the_coders_loads_nothing_else_of_pcz():
    import subprocess
    import sys
    code = ("import sys, pcz.coders.range_coder; "
            "print(sorted(m for m in sys.modules if m.startswith('pcz') and not m.startswith('pcz.coders')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['pcz', 'pcz.errors']"
