"""Another user who can write to the output folder cannot redirect pcz's writes.

The attacker is simulated deterministically: ``fileio._race_hook`` runs once the
data is written, before metadata and rename, and swaps the temporary file.
"""
import os
import stat

import pytest

import pcz
from pcz.runtime import fileio

TEXT = b"It was the best of times, it was the worst of times.\n" * 200
SECRET = b"victim's secret\n"
VICTIM_MTIME = 1_000_000_000


@pytest.fixture
def victim(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    path = tmp_path / "elsewhere" / "victim"
    path.write_bytes(SECRET)
    os.chmod(path, 0o600)
    os.utime(path, (VICTIM_MTIME, VICTIM_MTIME))
    return path


@pytest.fixture
def shared(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    doc = folder / "doc.txt"
    doc.write_bytes(TEXT)
    os.chmod(doc, 0o644)
    os.utime(doc, (1_600_000_000, 1_600_000_000))
    return folder


def assert_untouched(victim):
    st = os.lstat(victim)
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_mtime_ns == VICTIM_MTIME * 10**9 and st.st_nlink == 1
    assert (st.st_uid, st.st_gid) == (os.getuid(), os.getgid())
    assert victim.read_bytes() == SECRET


def assert_failed_cleanly(r):
    assert r.code == 1 and r.err.count("\n") == 1 and r.err.startswith("pcz: ")
    assert "replaced" in r.err and "Traceback" not in r.err


def _args(command, shared):
    """Arguments writing shared/doc.txt.pcz (compress) or shared/doc.txt (decompress)."""
    if command == "compress":
        return ["compress", str(shared / "doc.txt")], shared / "doc.txt.pcz"
    (shared / "doc.txt.pcz").write_bytes(pcz.compress(TEXT))
    os.chmod(shared / "doc.txt.pcz", 0o644)
    (shared / "doc.txt").unlink()
    return ["decompress", str(shared / "doc.txt.pcz")], shared / "doc.txt"


@pytest.mark.parametrize("command", ["compress", "decompress"])
@pytest.mark.parametrize("swap", ["symlink", "hardlink", "own file"])
def test_temporary_file_swapped_before_metadata(run_cli, monkeypatch, shared, victim, command, swap):
    args, output = _args(command, shared)
    before = sorted(os.listdir(shared))
    seen = []

    def attacker(tmp_path):
        seen.append(tmp_path)
        assert os.path.dirname(tmp_path) == str(shared) and tmp_path.endswith(".tmp")
        os.unlink(tmp_path)
        if swap == "symlink":
            os.symlink(victim, tmp_path)
        elif swap == "hardlink":
            os.link(victim, tmp_path)
        else:
            with open(tmp_path, "wb") as f:
                f.write(b"attacker's data")

    monkeypatch.setattr(fileio, "_race_hook", attacker)
    r = run_cli(*args)
    assert len(seen) == 1
    assert_failed_cleanly(r)
    assert_untouched(victim)
    assert not os.path.lexists(output)
    assert sorted(os.listdir(shared)) == before        # the swapped-in name is gone too


@pytest.mark.parametrize("command", ["compress", "decompress"])
def test_temporary_file_swapped_just_before_the_rename(run_cli, monkeypatch, shared, victim, command):
    """The window between the last check and the rename: the check after the rename catches it."""
    args, output = _args(command, shared)
    real_replace = os.replace

    def replace(src, dst, *, src_dir_fd=None, dst_dir_fd=None):
        os.unlink(src, dir_fd=src_dir_fd)
        os.symlink(victim, src, dir_fd=src_dir_fd)
        return real_replace(src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)

    monkeypatch.setattr(os, "replace", replace)
    r = run_cli(*args)
    assert_failed_cleanly(r)
    assert_untouched(victim)
    assert not os.path.lexists(output)


@pytest.mark.parametrize("command", ["compress", "decompress"])
def test_harmless_hook_gives_the_right_output(run_cli, monkeypatch, shared, command):
    args, output = _args(command, shared)
    calls = []
    monkeypatch.setattr(fileio, "_race_hook", calls.append)
    r = run_cli(*args)
    assert r.code == 0, r.err
    assert len(calls) == 1 and not os.path.lexists(calls[0])
    st = os.lstat(output)
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o644
    data = output.read_bytes()
    assert (pcz.decompress(data) if command == "compress" else data) == TEXT


@pytest.mark.parametrize("command", ["compress", "decompress"])
def test_existing_output_symlink_is_replaced_with_force_never_followed(run_cli, shared, victim, command):
    args, output = _args(command, shared)
    os.symlink(victim, output)
    r = run_cli(*args)                                   # without -f: refused, link kept
    assert r.code == 1 and "already exists" in r.err and r.err.count("\n") == 1
    assert os.path.islink(output)
    assert_untouched(victim)
    r = run_cli(*args, "-f")
    assert r.code == 0, r.err
    assert not os.path.islink(output) and stat.S_ISREG(os.lstat(output).st_mode)
    assert stat.S_IMODE(os.lstat(output).st_mode) == 0o644
    data = output.read_bytes()
    assert (pcz.decompress(data) if command == "compress" else data) == TEXT
    assert_untouched(victim)


def test_output_symlink_to_a_directory_is_replaced_with_force(run_cli, shared, tmp_path):
    (tmp_path / "dir").mkdir()
    os.symlink(tmp_path / "dir", shared / "doc.txt.pcz")
    r = run_cli("compress", "-f", str(shared / "doc.txt"))
    assert r.code == 0, r.err
    assert stat.S_ISREG(os.lstat(shared / "doc.txt.pcz").st_mode)
    assert os.listdir(tmp_path / "dir") == []


def test_dangling_output_symlink_is_not_created_through(run_cli, shared, tmp_path):
    os.symlink(tmp_path / "created-through-link", shared / "doc.txt.pcz")
    assert run_cli("compress", "-f", str(shared / "doc.txt")).code == 0
    assert not os.path.lexists(tmp_path / "created-through-link")
    assert stat.S_ISREG(os.lstat(shared / "doc.txt.pcz").st_mode)


def test_input_symlink_is_followed_and_its_target_metadata_copied(run_cli, shared, victim):
    link = shared / "link"
    os.symlink(victim, link)
    r = run_cli("compress", str(link))
    assert r.code == 0, r.err
    out = shared / "link.pcz"
    st = os.lstat(out)
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_mtime_ns == VICTIM_MTIME * 10**9
    assert pcz.decompress(out.read_bytes()) == SECRET
    assert_untouched(victim)


def test_fifo_input_is_refused_without_blocking(run_cli, shared):
    os.mkfifo(shared / "pipe")
    r = run_cli("compress", str(shared / "pipe"))
    assert r.code == 1 and "not a regular file" in r.err and r.err.count("\n") == 1


def test_rm_keeps_a_source_replaced_during_the_run(run_cli, monkeypatch, shared):
    def attacker(tmp_path):
        os.unlink(shared / "doc.txt")
        (shared / "doc.txt").write_bytes(b"planted")
    monkeypatch.setattr(fileio, "_race_hook", attacker)
    r = run_cli("compress", "--rm", str(shared / "doc.txt"))
    assert r.code == 1 and "not removed" in r.err and r.err.count("\n") == 1
    assert (shared / "doc.txt").read_bytes() == b"planted"
    assert pcz.decompress((shared / "doc.txt.pcz").read_bytes()) == TEXT


@pytest.mark.parametrize("mode, allowed", [(0o777, False), (0o1777, True), (0o775, True), (0o757, False)],
                         ids=["777", "1777", "775", "757"])
def test_folders_writable_by_all_must_be_sticky(run_cli, shared, mode, allowed):
    os.chmod(shared, mode)
    r = run_cli("compress", str(shared / "doc.txt"))
    if allowed:
        assert r.code == 0, r.err
        assert pcz.decompress((shared / "doc.txt.pcz").read_bytes()) == TEXT
    else:
        assert r.code == 1 and r.err.count("\n") == 1 and "not sticky" in r.err
        assert sorted(os.listdir(shared)) == ["doc.txt"]
        r = run_cli("compress", "-c", str(shared / "doc.txt"))      # the explicit way out
        assert r.code == 0 and pcz.decompress(r.out) == TEXT
