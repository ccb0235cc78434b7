"""Start-up: the wall time of whole ``pcz`` commands on small files, and what the first run
ever costs (numba compiling the kernels a file's methods need).

Run::

    python -m pcz.bench.experiments.startup [--pcz PATH] [--repeats 5] [--first-run] [--md OUT]

``--pcz`` names the ``pcz`` executable to time (default: the one beside this Python; give
a wheel-installed venv's to time an install that is not editable).  For each size (24 B,
1 KB, 10 KB, 100 KB, the head of ``alice29.txt``, else of the shipped sample cycled) and
level (the default, ``-1``) it prints the median wall time of ``--repeats`` runs of
``pcz compress -c`` and ``pcz decompress -c`` (a subprocess each: Python's start-up
included) and the median CPU seconds they used (less sensitive to a busy machine), and the
wall time of ``pcz --help``.  With ``--first-run`` each of those also runs once with
``NUMBA_CACHE_DIR`` pointing at an empty folder, which is what the first run after
installing costs (numba compiles every kernel it loads), and the compile time of each
kernel is measured alone (``--python``: that install's interpreter).

>>> rows = time_commands(sys.executable, [24], levels=(None,), repeats=1, pcz=[sys.executable, "-m", "pcz"])
>>> sorted(rows[0]) == ["compress_cpu_s", "compress_s", "decompress_cpu_s", "decompress_s", "level", "size"]
True
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SIZES = (24, 1000, 10_000, 100_000)
LAST_CPU = [0.0]      # CPU seconds (user + system) of the last command wall() ran
LEVELS = (None, 1)

# Each kernel's first call, alone (its module imported first, so only the compile is timed).
KERNELS = {
    "cm (levels 2-9, chunks of 4 KiB and more)": (
        "import numpy as np; from pcz.coders import cm",
        "cm.encode(np.frombuffer(b'abcdefgh' * 600, dtype=np.uint8), 1)"),
    "order0-rans (level 1, chunks of 64 KiB and more)": (
        "import numpy as np; from pcz.coders import rans_order0 as r",
        "s = np.frombuffer(b'abcdefgh' * 300, dtype=np.uint8); r.encode(s, r.normalise(np.bincount(s, minlength=256)))"),
    "text mixture (levels 7-9, text)": (
        "import pcz; from pcz.methods import text",
        "pcz.compress(open(text.__file__, 'rb').read()[:20000], level=7)"),
}


def sample(size: int) -> bytes:
    """The first ``size`` bytes of alice29.txt (Canterbury), else of the shipped sample text cycled."""
    from pcz.bench.experiments.text_canterbury import default_dir
    path = os.path.join(default_dir() or "", "alice29.txt")
    if os.path.exists(path):
        data = open(path, "rb").read()
    else:
        data = open(os.path.join(os.path.dirname(__import__("pcz").__file__), "data", "sample.txt"), "rb").read()
    return (data * (size // len(data) + 1))[:size]


def wall(argv: list[str], stdin: bytes | None = None, env: dict | None = None) -> tuple[float, bytes]:
    """Wall seconds of one run of argv, and its standard output (it must succeed); the CPU
    seconds it used are left in :data:`LAST_CPU`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run(argv, input=stdin, capture_output=True, env=env, check=True,
                         cwd=tempfile.gettempdir()).stdout     # not a source tree's pcz/ folder
    seconds = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU[0] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return seconds, out


def _timed(argv: list[str]) -> tuple[float, float, bytes]:
    seconds, out = wall(argv)
    return seconds, LAST_CPU[0], out


def _fresh_cache_env(folder: str) -> dict:
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    return dict(os.environ, NUMBA_CACHE_DIR=folder)


def time_commands(python: str, sizes, levels=LEVELS, repeats: int = 5, pcz: list[str] | None = None,
                  first_run: bool = False) -> list[dict]:
    """Median wall seconds of compress and decompress per (size, level); with ``first_run``
    also one run each with an empty numba cache."""
    pcz = pcz or [python, "-m", "pcz"]
    rows = []
    scratch = tempfile.mkdtemp(prefix="pcz-startup-")
    try:
        for size in sizes:
            data = sample(size)
            src = os.path.join(scratch, f"in{size}")
            with open(src, "wb") as f:
                f.write(data)
            for level in levels:
                flags = [] if level is None else [f"-{level}"]
                comp = [_timed(pcz + ["compress", "-c", *flags, src]) for _ in range(repeats)]
                blob = comp[-1][2]
                with open(src + ".pcz", "wb") as f:
                    f.write(blob)
                dec = [_timed(pcz + ["decompress", "-c", src + ".pcz"]) for _ in range(repeats)]
                assert dec[-1][2] == data
                row = {"size": size, "level": level or "default",
                       "compress_s": statistics.median(t for t, _, _ in comp),
                       "decompress_s": statistics.median(t for t, _, _ in dec),
                       "compress_cpu_s": statistics.median(c for _, c, _ in comp),
                       "decompress_cpu_s": statistics.median(c for _, c, _ in dec)}
                if first_run:
                    cache = os.path.join(scratch, "numba-cache")
                    row["first_compress_s"] = wall(pcz + ["compress", "-c", *flags, src],
                                                   env=_fresh_cache_env(cache))[0]
                    row["first_compress_cpu_s"] = LAST_CPU[0]
                    row["first_decompress_s"] = wall(pcz + ["decompress", "-c", src + ".pcz"],
                                                     env=_fresh_cache_env(cache))[0]
                    row["first_decompress_cpu_s"] = LAST_CPU[0]
                rows.append(row)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return rows


def kernel_compile_times(python: str) -> dict:
    """Wall and CPU seconds each kernel's first call takes with an empty numba cache
    (compiling), then with the cache it left (loading), each in a fresh process."""
    out = {}
    folder = tempfile.mkdtemp(prefix="pcz-numba-")
    try:
        for name, (setup, call) in KERNELS.items():
            env = _fresh_cache_env(os.path.join(folder, "cache"))
            code = (f"import time; {setup}; t, c = time.perf_counter(), time.process_time(); {call}; "
                    "print(time.perf_counter() - t, time.process_time() - c)")
            compiled = wall([python, "-c", code], env=env)[1].split()
            loaded = wall([python, "-c", code], env=env)[1].split()
            out[name] = tuple(float(v) for v in compiled + loaded)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


def _s(v) -> str:
    return f"{v:.2f}"


def report(rows: list[dict], help_s: float, kernels: dict | None, pcz: str) -> str:
    lines = [f"`{pcz}`, median wall seconds (one subprocess a run, Python's start-up included)", "",
             f"`pcz --help`: {_s(help_s)} s", ""]
    first = "first_compress_s" in rows[0]
    head = ("| size | level | compress s (CPU s) | decompress s (CPU s) |"
            + (" first run: compress s (CPU s) | first run: decompress s (CPU s) |" if first else ""))
    lines += [head, "|" + "---|" * (6 if first else 4)]
    for r in rows:
        extra = (f" {_s(r['first_compress_s'])} ({_s(r['first_compress_cpu_s'])}) | "
                 f"{_s(r['first_decompress_s'])} ({_s(r['first_decompress_cpu_s'])}) |") if first else ""
        lines.append(f"| {r['size']} | {r['level']} | {_s(r['compress_s'])} ({_s(r['compress_cpu_s'])}) | "
                     f"{_s(r['decompress_s'])} ({_s(r['decompress_cpu_s'])}) |" + extra)
    if kernels:
        lines += ["", "| kernel | first call, empty cache (compiling): s (CPU s) | first call, cached (loading): s (CPU s) |",
                  "|---|---|---|"]
        lines += [f"| {name} | {_s(c)} ({_s(cc)}) | {_s(lw)} ({_s(lc)}) |" for name, (c, cc, lw, lc) in kernels.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pcz", help="the pcz executable to time (default: python -m pcz)")
    parser.add_argument("--python", default=sys.executable, help="that install's interpreter (kernel timings)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--first-run", action="store_true", help="also time runs with an empty numba cache")
    parser.add_argument("--md", help="append the report to this file")
    args = parser.parse_args()
    pcz = [args.pcz] if args.pcz else [args.python, "-m", "pcz"]
    help_s = statistics.median(wall(pcz + ["--help"])[0] for _ in range(args.repeats))
    rows = time_commands(args.python, args.sizes, repeats=args.repeats, pcz=pcz, first_run=args.first_run)
    print(report(rows, help_s, None, " ".join(pcz)), flush=True)
    kernels = kernel_compile_times(args.python) if args.first_run else None
    text = report(rows, help_s, kernels, " ".join(pcz))
    if kernels:
        print("\n".join(text.splitlines()[-len(kernels) - 2:]))
    if args.md:
        with open(args.md, "a") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
