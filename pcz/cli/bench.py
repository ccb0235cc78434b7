"""``pcz bench``: measure pcz against classic codecs on the same data, in one run.

>>> from pcz.cli import main
>>> main(["bench", "--dataset", "sample-text", "--codecs", "gzip", "-q"])  # doctest: +ELLIPSIS
# pcz bench results
...
| gzip-9 | ...
0
"""
import shlex

import click

from pcz.cli.options import EXIT_ERROR

OPTION_ORDER = ("quick", "datasets", "data_dir", "limit", "train_path", "train_limit", "codecs", "output", "note")


def _command(params: dict) -> str:
    """The command line that reproduces a run (options in a fixed order)."""
    words = ["pcz", "bench"]
    for key in OPTION_ORDER:
        value = params.get(key)
        flag = "--" + {"datasets": "dataset", "train_path": "train"}.get(key, key).replace("_", "-")
        if value is True:
            words.append(flag)
            continue
        for v in (value if isinstance(value, tuple) else (value,)):
            if v is not None:
                words += [flag, str(v)]
    return shlex.join(words)


@click.command()
@click.option("-d", "--dataset", "datasets", multiple=True, metavar="NAME|PATH",
              help="fashion-mnist, canterbury, quick (the data shipped with pcz), or an IDX/.npy file "
                   "or a folder of files; repeatable.  Default: quick.")
@click.option("--data-dir", type=click.Path(file_okay=False),
              help="Where the named dataset's files are (default: its usual place).")
@click.option("--limit", type=click.IntRange(1), help="Code at most N items (images, records, files).")
@click.option("--train", "train_path", type=click.Path(exists=True, dir_okay=False),
              help="Training records (IDX or .npy) for learned codecs, for an array --dataset.")
@click.option("--train-limit", type=click.IntRange(1), help="Train learned codecs on at most N records.")
@click.option("--codecs", help="Comma-separated codec names or prefixes (default: all).")
@click.option("--list-codecs", is_flag=True, help="List the codecs and whether they are available, then exit.")
@click.option("--quick", is_flag=True, help="Only the data shipped with pcz (a couple of minutes at most).")
@click.option("-o", "--output", type=click.Path(file_okay=False),
              help="Also write results.json, results.md and one plot per dataset into this folder.")
@click.option("--note", help="A remark stored with the results (e.g. that the CPU was shared).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--speed", is_flag=True,
              help="Size against speed instead: pcz's --levels beside zstd -1/-3/-19, xz -6/-9e, bzip2 -9, "
                   "brotli -11 and zpaq -m5 on the Canterbury text files (--quick: the shipped sample), "
                   "as ratios to xz -9e, with a plot (in --output).")
@click.option("--levels", default="1,3,6,9", show_default=True, help="pcz levels for --speed (comma-separated).")
def bench(datasets, data_dir, limit, train_path, train_limit, codecs, list_codecs, quick, output, note, quiet,
          speed, levels):
    """Benchmark pcz against classic codecs: rates, speeds, memory; every output is decoded and checked.

    Exit status 1 if a pcz mode fails its round trip (other codecs' failures
    are reported, not fatal).
    """
    if speed:
        if datasets or limit or train_path or train_limit or codecs or list_codecs:
            raise click.UsageError("--speed takes only --quick, --data-dir, --levels, --output, --note and --quiet")
        return _speed(levels, quick, data_dir, output, note, quiet)
    from pcz.bench import datasets as ds, report, runner
    if list_codecs:
        for name in runner.codec_names():
            codec, reason = runner.build(name)
            click.echo(f"{name:10s} {codec.description if codec else 'unavailable: ' + reason}")
        return 0
    if quick and datasets:
        raise click.UsageError("--quick and --dataset contradict each other")
    try:
        names = runner.select([c.strip() for c in codecs.split(",") if c.strip()] if codecs else None)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--codecs") from None
    options = {"limit": limit, "data_dir": data_dir, "train_limit": train_limit, "train_path": train_path}
    loaded = [d for spec in (datasets or ("quick",)) for d in ds.load_all(spec, **options)]
    command = _command({"quick": not datasets or None, "datasets": datasets, "data_dir": data_dir, "limit": limit,
                        "train_path": train_path, "train_limit": train_limit, "codecs": codecs,
                        "output": output, "note": note})
    doc = runner.run(loaded, names, progress=not quiet, command=command, note=note)
    click.echo(report.markdown(doc))
    if output:
        for path in report.write(doc, output):
            click.echo(f"wrote {path}", err=True)
    broken = [f"{e['name']}: {r['codec']}" for e in doc["datasets"] for r in e["results"]
              if r["codec"].startswith("pcz") and r["status"] == "failed"]
    if broken:
        click.echo(f"pcz: round trip failed: {', '.join(broken)}", err=True)
        return EXIT_ERROR
    return 0


def _speed(levels: str, quick: bool, data_dir: str | None, output: str | None, note: str | None,
           quiet: bool) -> int:
    import os

    from pcz.bench import datasets as ds, speed
    try:
        chosen_levels = tuple(int(v) for v in levels.split(",") if v.strip())
        if not chosen_levels or not all(1 <= v <= 9 for v in chosen_levels):
            raise ValueError
    except ValueError:
        raise click.BadParameter(f"{levels!r}: expected levels 1..9, comma-separated", param_hint="--levels") from None
    try:
        files = speed.load_files(data_dir, quick)
    except ds.DatasetMissing as e:
        click.echo(f"pcz: {e}", err=True)
        return EXIT_ERROR
    chosen = speed.codecs(chosen_levels)
    say = None if quiet else (lambda what: click.echo(f"  {what}", err=True))
    rows = speed.measure(files, chosen, progress=say)
    text = speed.markdown(rows, chosen[1], note)
    click.echo(text)
    if output:
        os.makedirs(output, exist_ok=True)
        with open(os.path.join(output, "speed.md"), "w") as f:
            f.write(text)
        for path in (os.path.join(output, "speed.md"), speed.plot(rows, os.path.join(output, "speed.png"))):
            click.echo(f"wrote {path}", err=True)
    return 0
