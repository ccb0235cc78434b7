"""Issue 17: the conventions zstd, xz and gzip users reach for, each checked against what
those tools do (noted per test)."""
import errno
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import pcz
from conftest import run_pcz
from pcz.cli import progress
from pcz.runtime import fileio

TEXT = b"It was the best of times, it was the worst of times.\n" * 200
SHIPPED_MODEL = os.path.join(os.path.dirname(pcz.__file__), "models", "data", "text-en.pczm")


@pytest.fixture
def src(tmp_path):
    path = tmp_path / "doc.txt"
    path.write_bytes(TEXT)
    return path


# ---- zstd-style flags on top of the subcommands ----

def test_a_file_alone_is_compressed_as_by_zstd(run_cli, src):
    r = run_cli(str(src))                                          # zstd FILE
    assert r.code == 0 and pcz.decompress(src.with_name("doc.txt.pcz").read_bytes()) == TEXT


def test_short_flags_and_their_combinations(run_cli, src, tmp_path):
    packed = str(src) + ".pcz"
    assert run_cli("-z", "-q", str(src)).code == 0                 # zstd -z -q
    r = run_cli("-dc", packed)                                     # zstd -dc
    assert r.code == 0 and r.out == TEXT
    assert run_cli("--uncompress", "--stdout", packed).out == TEXT  # xz --uncompress
    r = run_cli("-kf", str(src))                                   # overwrites, keeps the source
    assert r.code == 0 and src.exists()
    src.unlink()
    assert run_cli("-dqf", packed).code == 0 and src.read_bytes() == TEXT   # zstd -dqf
    r = run_cli("-t", packed)                                      # zstd -t
    assert r.code == 0 and "OK" in r.err
    r = run_cli("-l", packed)                                      # zstd -l / xz -l
    assert r.code == 0 and b"original:    10600 bytes" in r.out
    r = run_cli("-o", str(tmp_path / "x.bin"), "-T1", "-q", str(src))
    assert r.code == 0 and pcz.decompress((tmp_path / "x.bin").read_bytes()) == TEXT
    r = run_cli("-dcfT1", "--", packed)                           # -T's value ends the cluster
    assert r.code == 0 and r.out == TEXT


@pytest.mark.parametrize("args", [["-V"], ["--version"]])
def test_version(run_cli, args):
    r = run_cli(*args)
    assert r.code == 0 and pcz.__version__.encode() in r.out


def test_help_shows_the_flag_forms(run_cli):
    r = run_cli("-h")
    assert r.code == 0 and b"pcz -d FILE.pcz" in r.out and b"-dcf" in r.out


@pytest.mark.parametrize("args", [["-x", "f"], ["-0", "f"], ["-12", "f"], ["-d", "--bogus", "f"], ["-l", "-T2", "f"]])
def test_unknown_or_reserved_flags_are_usage_errors(run_cli, args):
    assert run_cli(*args).code == 2


def test_no_arguments_compress_stdin_to_stdout_as_zstd():
    c = run_pcz(input=TEXT)                                        # echo ... | zstd
    assert c.returncode == 0 and c.stdout[:4] == b"\x89PCZ" and c.stderr == b""
    d = run_pcz("-d", input=c.stdout)                              # ... | zstd -d
    assert d.returncode == 0 and d.stdout == TEXT


def _on_terminal(args, stdin_tty=True, stderr_tty=True, stdout=subprocess.DEVNULL, timeout=300):
    """Run pcz with stdin and/or stderr on a pseudo-terminal; (exit status, what the terminal got)."""
    master, slave = os.openpty()
    got = bytearray()

    def drain():
        while True:
            try:
                piece = os.read(master, 4096)
            except OSError:
                return
            if not piece:
                return
            got.extend(piece)
    reader = threading.Thread(target=drain)
    reader.start()
    try:
        p = subprocess.run([sys.executable, "-m", "pcz", *args], stdin=slave if stdin_tty else subprocess.DEVNULL,
                           stdout=stdout, stderr=slave if stderr_tty else subprocess.PIPE, timeout=timeout)
    finally:
        os.close(slave)
        reader.join(10)
        os.close(master)
    return p.returncode, bytes(got)


def test_no_arguments_on_a_terminal_prints_help_and_exits_1():
    code, shown = _on_terminal([])                                # zstd: "stdin is a console, aborting", 1
    assert code == 1 and b"Usage: pcz" in shown and b"stdin is a terminal" in shown
    for args in (["-d"], ["-t", "-"]):                            # zstd -d: the same
        code, shown = _on_terminal(args)
        assert code == 1 and shown.strip() == b"pcz: stdin is a terminal; refusing to read data from it " \
                                               b"(pipe data in or name files)", shown


# ---- concatenated files ----

def test_concatenated_files_decode_test_and_list(run_cli, tmp_path):
    (tmp_path / "a").write_bytes(b"hello\n")
    (tmp_path / "b").write_bytes(bytes(range(256)) * 4200)         # > 1 MiB: the chunked framing
    r = run_cli("-c", "--fast", str(tmp_path / "a"), str(tmp_path / "b"))   # zstd -c a b > ab.zst
    assert r.code == 0
    both = tmp_path / "ab.pcz"
    both.write_bytes(r.out)
    expected = b"hello\n" + bytes(range(256)) * 4200
    assert run_cli("-d", str(both)).code == 0 and (tmp_path / "ab").read_bytes() == expected
    assert run_cli("-t", str(both)).code == 0
    r = run_cli("-l", "-v", str(both))
    assert r.code == 0 and b"streams:     2" in r.out and f"original:    {len(expected)} bytes".encode() in r.out
    both.write_bytes(both.read_bytes() + b"garbage!")              # xz: trailing garbage is an error
    r = run_cli("-t", str(both))
    assert r.code == 1 and "trailing garbage" in r.err and r.err.count("\n") == 1


# ---- inputs: the .pcz suffix, folders, pipes, unreadable files ----

def test_files_with_the_pcz_suffix_are_skipped_unless_the_output_is_named(run_cli, src, tmp_path):
    packed = tmp_path / "doc.txt.pcz"
    packed.write_bytes(pcz.compress(TEXT))
    r = run_cli(str(packed), str(src), "-f")                       # xz: "already has .xz suffix, skipping"
    assert r.code == 1 and "already has the .pcz suffix" in r.err and r.err.count("\n") == 2
    assert not (tmp_path / "doc.txt.pcz.pcz").exists() and pcz.decompress(packed.read_bytes()) == TEXT
    r = run_cli("-c", str(packed))
    assert r.code == 0 and pcz.decompress(pcz.decompress(r.out)) == TEXT
    assert run_cli("-o", str(tmp_path / "twice"), str(packed)).code == 0


@pytest.fixture
def tree(tmp_path):
    top = tmp_path / "tree"
    (top / "sub" / "deeper").mkdir(parents=True)
    (top / "a.txt").write_bytes(TEXT)
    (top / "sub" / "b.bin").write_bytes(bytes(range(256)))
    (top / "sub" / "deeper" / "c").write_bytes(b"c" * 1000)
    (top / "old.pcz").write_bytes(pcz.compress(b"old"))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"not to be read")
    os.symlink(outside / "secret", top / "link-to-file")
    os.symlink(outside, top / "sub" / "link-to-folder")
    os.mkfifo(top / "fifo")
    return top


def test_recursive_compress_decompress_test_never_follow_links(run_cli, tree, tmp_path):
    r = run_cli("-r", "-q", str(tree))                            # zstd -r: links skipped
    assert r.code == 0, r.err
    packed = sorted(str(p.relative_to(tree)) for p in tree.rglob("*.pcz"))
    assert packed == ["a.txt.pcz", "old.pcz", "sub/b.bin.pcz", "sub/deeper/c.pcz"]
    assert sorted(os.listdir(tmp_path / "outside")) == ["secret"]
    r = run_cli("-tr", str(tree))
    assert r.code == 0 and r.err.count("OK") == 4
    (tree / "a.txt").unlink()
    r = run_cli("-dr", "-q", str(tree))                           # only *.pcz; existing outputs refused
    assert r.code == 1 and (tree / "a.txt").read_bytes() == TEXT and (tree / "old").read_bytes() == b"old"
    assert run_cli("-o", "x", "-r", str(tree)).code == 2
    r = run_cli(str(tree))                                         # a folder without -r
    assert r.code == 1 and "is a directory" in r.err and "-r" in r.err


def test_a_walked_file_replaced_by_a_link_is_not_read(tree, tmp_path):
    from pcz.cli import inputs
    walked = {}
    found = list(inputs.expand([str(tree)], True, True, walked, print))
    target = str(tree / "a.txt")
    assert target in found
    os.unlink(target)
    os.symlink(tmp_path / "outside" / "secret", target)
    with pytest.raises(pcz.PczError, match="not a regular file"):     # a link: never followed
        fileio.open_source(target, follow=False, expect=walked[target][0])
    (tree / "new").write_bytes(b"another file")       # made while the old inode is still in use
    os.replace(tree / "new", target)
    with pytest.raises(fileio.PathError, match="replaced"):
        fileio.open_source(target, follow=False, expect=walked[target][0])
    with pytest.raises(fileio.PathError, match="folder was replaced"):
        with fileio.AtomicOutput(target + ".pcz", False, folder=(0, 0)):
            pass


def test_fifo_and_process_substitution_are_read_when_writing_to_stdout(run_cli, tmp_path):
    r = subprocess.run(["bash", "-c", f"'{sys.executable}' -m pcz -c <(printf 'from a pipe') "
                                      f"| '{sys.executable}' -m pcz -d"], capture_output=True, timeout=300)
    assert r.returncode == 0 and r.stdout == b"from a pipe", r.stderr   # zstd -c <(cmd)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)

    def write_later():
        time.sleep(0.5)                      # the reader waits for a writer, as zstd does
        with open(fifo, "wb") as f:
            f.write(TEXT)
    writer = threading.Thread(target=write_later)
    writer.start()
    r = run_cli("-c", str(fifo))
    writer.join()
    assert r.code == 0 and pcz.decompress(r.out) == TEXT
    r = run_cli("-o", str(tmp_path / "null.pcz"), "/dev/null")     # a character device
    assert r.code == 0 and pcz.decompress((tmp_path / "null.pcz").read_bytes()) == b""
    r = run_cli(str(fifo))                                         # next to the input: refused, no wait
    assert r.code == 1 and "not a regular file" in r.err


@pytest.mark.parametrize("command", [[], ["-d"], ["-t"], ["-l"]])
def test_an_unreadable_input_is_skipped_and_the_others_are_done(run_cli, tmp_path, command):
    suffix = ".pcz" if command else ""
    good = tmp_path / f"good{suffix}"
    good.write_bytes(pcz.compress(TEXT) if command else TEXT)
    (tmp_path / f"folder{suffix}").mkdir()
    r = run_cli(*command, str(tmp_path / f"missing{suffix}"), str(tmp_path / f"folder{suffix}"), str(good))
    assert r.code == 1, r.err                                      # zstd: each skipped with a message, 1
    assert f"missing{suffix}: No such file" in r.err and f"folder{suffix}: " in r.err
    if command == []:
        assert pcz.decompress((tmp_path / "good.pcz").read_bytes()) == TEXT
    elif command == ["-d"]:
        assert (tmp_path / "good").read_bytes() == TEXT
    else:
        assert ("good.pcz: OK" in r.err) if command == ["-t"] else (b"original:" in r.out)


AS_NOBODY = """
import os, sys
from pcz.cli import app
import pcz.cli.coding, pcz.engine.encode, pcz.methods.order0
os.setgroups([]); os.setgid(65534); os.setuid(65534)
sys.exit(app.main(sys.argv[1:]))
"""


@pytest.fixture
def shared_tmp():
    """A folder every user can reach (pytest's own are the user's only)."""
    import shutil
    import tempfile
    path = tempfile.mkdtemp(prefix="pcz-shared-", dir="/tmp")
    os.chmod(path, 0o1777)
    yield __import__("pathlib").Path(path)
    shutil.rmtree(path)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")
def test_permission_denied_as_another_user(shared_tmp):
    """A file this user may not read, and a folder it may not write to (root reads and writes
    everything, so the run drops to nobody)."""
    tmp_path = shared_tmp
    (tmp_path / "secret").write_bytes(b"s")
    os.chmod(tmp_path / "secret", 0o600)
    (tmp_path / "ok").write_bytes(TEXT)
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o755)
    (closed / "f").write_bytes(TEXT)
    r = subprocess.run([sys.executable, "-c", AS_NOBODY, "--fast", "-q", "secret", "ok", "closed/f"],
                       cwd=tmp_path, capture_output=True, timeout=300)
    err = r.stderr.decode()
    assert r.returncode == 1 and (tmp_path / "ok.pcz").exists(), err
    assert "pcz: secret: Permission denied" in err
    assert f"pcz: closed/f.pcz: cannot create it in {closed}: Permission denied" in err
    assert ".tmp" not in err and err.count("\n") == 2


# ---- messages name the file they concern ----

def test_a_full_disk_names_the_output_not_the_input(run_cli, src, monkeypatch):
    import io
    real = os.fdopen

    class Full(io.BufferedWriter):
        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    def fdopen(fd, mode="r", *args):          # the output's temporary file is opened "wb"
        return Full(io.FileIO(fd, "w")) if mode == "wb" else real(fd, mode, *args)
    monkeypatch.setattr(os, "fdopen", fdopen)
    r = run_cli("compress", "--fast", str(src))
    assert r.code == 1 and r.err == f"pcz: {src}.pcz: No space left on device\n"
    assert sorted(os.listdir(src.parent)) == ["doc.txt"]          # no temporary file left


def test_a_bad_model_is_named_by_its_path(run_cli, src, tmp_path):
    bad = tmp_path / "bad.pczm"
    bad.write_bytes(b"this is not a model at all")
    packed = tmp_path / "doc.txt.pcz"
    packed.write_bytes(pcz.compress(TEXT))
    for args in (["compress", str(src)], ["-d", "-c", str(packed)], ["-t", str(packed)]):
        r = run_cli(*args, "--model", str(bad))
        assert r.code == 1 and r.err.startswith(f"pcz: {bad}: ") and r.err.count("\n") == 1, r.err


def test_info_describes_the_shipped_model(run_cli):
    for command in ("info", "-l"):
        r = run_cli(command, SHIPPED_MODEL)
        assert r.code == 0 and b"HMM over bytes" in r.out and b"model id:" in r.out, r.err


# ---- progress ----

def test_progress_goes_to_stderr_and_is_cleared(run_cli, src, monkeypatch):
    monkeypatch.setattr(progress, "INTERVAL", 0.0)
    r = run_cli("-c", "--fast", "--progress", "--chunk-size", "1K", str(src))
    assert r.code == 0 and pcz.decompress(r.out) == TEXT          # nothing of it in the output
    assert "\r" in r.err and "%" in r.err and "MB/s" in r.err and r.err.endswith("\r\x1b[K")
    r = run_cli("-c", "--fast", "--no-progress", str(src))
    assert r.err == ""


def test_progress_shows_on_a_terminal_only(tmp_path):
    big = tmp_path / "big"
    big.write_bytes(bytes(range(256)) * 40000 * 4)                # ~40 MB at ~90 MB/s: several redraws
    out = tmp_path / "out.pcz"
    with open(out, "wb") as f:
        code, shown = _on_terminal(["-c", "--fast", "-T1", str(big)], stdin_tty=False, stdout=f)
    assert code == 0 and b"%" in shown and b"MB/s" in shown and shown.endswith(b"\r\x1b[K"), shown
    assert pcz.decompress(out.read_bytes()) == big.read_bytes()
    with open(out, "wb") as f:
        code, shown = _on_terminal(["-c", "--fast", "--no-progress", str(big)], stdin_tty=False, stdout=f)
    assert code == 0 and shown == b""
    with open(out, "wb") as f:                                     # stderr not a terminal: none
        r = subprocess.run([sys.executable, "-m", "pcz", "-c", "--fast", str(big)], stdout=f,
                           stderr=subprocess.PIPE, timeout=300)
    assert r.returncode == 0 and r.stderr == b""


# ---- Ctrl-C and kill -9 ----

def test_a_temporary_file_left_by_kill_9_is_ignored(run_cli, src):
    left = src.with_name(".doc.txt.pcz.0123456789ab.tmp")         # what SIGKILL mid-run leaves
    left.write_bytes(b"partial")
    assert run_cli("-q", str(src)).code == 0
    assert left.read_bytes() == b"partial" and pcz.decompress(src.with_name("doc.txt.pcz").read_bytes()) == TEXT


def _interrupt_after(delay, args, cwd=None):
    p = subprocess.Popen([sys.executable, "-m", "pcz", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         start_new_session=True, cwd=cwd)
    time.sleep(delay)
    os.killpg(p.pid, signal.SIGINT)                                # as Ctrl-C: the whole process group
    started = time.monotonic()
    _, err = p.communicate(timeout=60)                            # returns once every worker is gone
    return p.returncode, err.decode(), time.monotonic() - started


@pytest.mark.parametrize("delay", [0.15, 0.3, 0.8])
def test_ctrl_c_at_any_moment_is_one_line(tmp_path, delay):
    (tmp_path / "big").write_bytes(TEXT * 300)
    code, err, _ = _interrupt_after(delay, ["-7", "--no-long", "big"], cwd=tmp_path)
    if code == 0:
        pytest.skip("finished before the signal")
    assert code == 130 and "Traceback" not in err and err.strip() == "pcz: interrupted", err
    assert sorted(os.listdir(tmp_path)) == ["big"]                # no output, no temporary file


@pytest.mark.parametrize("delay", [0.6, 1.5, 3.0])
def test_ctrl_c_with_workers_is_quiet_and_quick(tmp_path, delay):
    (tmp_path / "big").write_bytes(TEXT * 600)                     # level 7: seconds per chunk
    code, err, took = _interrupt_after(delay, ["-7", "-T2", "--no-long", "--chunk-size", "64K", "big"], cwd=tmp_path)
    assert code == 130 and err.strip() == "pcz: interrupted", err  # no worker traceback, no leak warning
    assert took < 15
    assert sorted(os.listdir(tmp_path)) == ["big"]
