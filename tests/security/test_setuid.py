"""No output of pcz is ever setuid, setgid or sticky; owner and group are copied where allowed."""
import errno
import os
import stat

import pytest

import pcz
from conftest import run_pcz
from pcz.runtime import fileio

TEXT = b"#!/bin/sh\necho a program that must not become setuid root\n" * 50


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def program(tmp_path):
    path = tmp_path / "prog"
    path.write_bytes(TEXT)
    os.utime(path, (1_600_000_000, 1_600_000_000))
    return path


@pytest.mark.parametrize("mode, bits", [(0o4755, "setuid bit"), (0o2755, "setgid bit"),
                                        (0o6755, "setuid and setgid bits"), (0o1755, "sticky bit")],
                         ids=["4755", "2755", "6755", "1755"])
def test_compress_and_decompress_drop_special_bits(run_cli, program, tmp_path, mode, bits):
    os.chmod(program, mode)
    assert _mode(program) == mode
    out = tmp_path / "prog.pcz"
    r = run_cli("compress", "-v", str(program))
    assert r.code == 0, r.err
    assert _mode(out) == 0o755 and int(out.stat().st_mtime) == 1_600_000_000
    assert f"prog.pcz: {bits} not copied (mode {mode:04o} -> 0755)" in r.err
    # a .pcz that does carry the bits (made by anything else) decompresses without them
    os.chmod(out, mode)
    r = run_cli("decompress", "-v", str(out), "-o", str(tmp_path / "again"))
    assert r.code == 0, r.err
    assert _mode(tmp_path / "again") == 0o755 and (tmp_path / "again").read_bytes() == TEXT
    assert f"again: {bits} not copied" in r.err


def test_without_v_nothing_is_said(run_cli, program):
    os.chmod(program, 0o4755)
    r = run_cli("compress", str(program))
    assert r.code == 0 and "not copied" not in r.err


def test_plain_modes_are_copied_silently(run_cli, program):
    os.chmod(program, 0o751)
    r = run_cli("compress", "-v", str(program))
    assert r.code == 0 and "not copied" not in r.err
    assert _mode(str(program) + ".pcz") == 0o751


def test_subprocess_drops_setuid(program):
    os.chmod(program, 0o4755)
    r = run_pcz("compress", "-v", str(program))
    assert r.returncode == 0, r.stderr
    assert _mode(str(program) + ".pcz") == 0o755 and b"setuid bit not copied" in r.stderr
    assert b"Traceback" not in r.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file away")
def test_root_copies_owner_and_group(run_cli, program, tmp_path):
    os.chmod(program, 0o4750)
    os.chown(program, 1234, 1234)
    assert run_cli("compress", "-q", str(program)).code == 0
    out = tmp_path / "prog.pcz"
    st = out.stat()
    assert (st.st_uid, st.st_gid, _mode(out)) == (1234, 1234, 0o750)
    r = run_cli("decompress", "-q", str(out), "-o", str(tmp_path / "again"))
    assert r.code == 0, r.err
    st = (tmp_path / "again").stat()
    assert (st.st_uid, st.st_gid, _mode(tmp_path / "again")) == (1234, 1234, 0o750)
    assert pcz.decompress(out.read_bytes()) == TEXT


@pytest.mark.skipif(os.geteuid() != 0, reason="needs a source in a group the output cannot get")
@pytest.mark.parametrize("mode, expected", [(0o640, 0o600), (0o664, 0o644), (0o670, 0o600), (0o644, 0o644),
                                            (0o2775, 0o755)],
                         ids=["640", "664", "670", "644", "2775"])
def test_group_gets_no_more_than_others_when_it_cannot_be_copied(run_cli, program, monkeypatch,
                                                                 mode, expected):
    """As a user who may not chown (simulated): the output lands in the user's own group."""
    def refuse(fd, uid, gid):
        raise PermissionError(errno.EPERM, "Operation not permitted")
    os.chmod(program, mode)
    os.chown(program, 1234, 1234)
    monkeypatch.setattr(os, "fchown", refuse)
    r = run_cli("compress", str(program))
    assert r.code == 0, r.err
    assert _mode(str(program) + ".pcz") == expected


def test_new_files_follow_the_umask(tmp_path):
    """Outputs without a source (train, tokenize...) are made like open() makes them."""
    target = str(tmp_path / "model")
    with fileio.AtomicOutput(target, force=False) as f:
        f.write(b"m")
    assert _mode(target) == 0o666 & ~fileio._UMASK
