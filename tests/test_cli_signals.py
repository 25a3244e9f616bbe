"""SIGTERM, Ctrl-C and SIGKILL sent to a real ``gexclust run``: nothing half-written is left.

Each test starts ``python -m gexclust.cli run`` on a small CSV in its own session,
waits for a stage line on stderr (or a fixed delay, to land inside the imports), signals it,
and then checks that no process of the session is left, that OUTDIR holds either nothing or
the complete earlier outputs, and that no staging folder or temporary file remains.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gexclust._outdir import MANIFEST, STAGE_PREFIX
from tests.conftest import SMALL_CSV

#: Moments to signal at: a delay in seconds (during the imports), or a stage line to wait for.
MOMENTS = [0.4, "reading", "clustering", "writing tables and figures"]


def session_alive(pgid: int, *, within: float) -> bool:
    """Whether any process of session ``pgid`` is still there after ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.1)
    return True


def run_and_signal(tmp_path: Path, out: Path, moment, signals, *extra,
                   gap: float = 0.05) -> tuple[int, str]:
    """Start a run, send ``signals`` (``gap`` s apart) at ``moment``; exit code, stderr."""
    scratch = tmp_path / "tmp"
    scratch.mkdir(exist_ok=True)
    csv = tmp_path / "in.csv"
    csv.write_text(SMALL_CSV)
    env = {**os.environ, "TMPDIR": str(scratch)}
    cmd = [sys.executable, "-m", "gexclust.cli", "run", str(csv), "-o", str(out), *extra]
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          start_new_session=True, env=env) as proc:
        try:
            if isinstance(moment, float):
                time.sleep(moment)
            else:
                for line in proc.stderr:
                    if moment in line:
                        break
            for i, signum in enumerate(signals):
                if i:
                    time.sleep(gap)
                proc.send_signal(signum)
            err = proc.stderr.read()
            code = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    assert not session_alive(proc.pid, within=5.0)  # no process left behind
    assert not list(scratch.iterdir())  # no temporary file left behind
    return code, err


def assert_stopped_cleanly(code: int, err: str, signum: int) -> None:
    if code == 0:  # the run had already put its outputs in place: fine, nothing to check
        return
    if code == -signum and not err:  # killed before Python ran gexclust: nothing was created
        return
    assert code == 128 + signum, err
    word = "terminated" if signum == signal.SIGTERM else "interrupted"
    assert err.strip().splitlines()[-1] == f"gexclust: {word}"
    assert "Traceback" not in err


@pytest.mark.parametrize("moment", MOMENTS)
def test_sigterm_leaves_no_process_and_no_partial_output(tmp_path, moment):
    out = tmp_path / "out"
    code, err = run_and_signal(tmp_path, out, moment, [signal.SIGTERM])
    assert_stopped_cleanly(code, err, signal.SIGTERM)
    if code:
        assert not out.exists()
    assert {p.name for p in tmp_path.iterdir()} <= {"out", "tmp", "in.csv"}


def test_sigterm_during_a_forced_rerun_keeps_the_earlier_outputs(tmp_path):
    out = tmp_path / "out"
    moment = "writing tables and figures"
    code, _ = run_and_signal(tmp_path, out, "done", [])
    assert code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    code, err = run_and_signal(tmp_path, out, moment, [signal.SIGTERM], "--force",
                               "--formats", "pdf")
    assert_stopped_cleanly(code, err, signal.SIGTERM)
    if code:
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize(("moment", "gap"), [("reading", 0.05),
                                             ("writing tables and figures", 0.002)])
def test_double_ctrl_c_leaves_nothing_behind(tmp_path, moment, gap):
    """The second Ctrl-C lands while the first one's cleanup runs, or just after it."""
    out = tmp_path / "out"
    code, err = run_and_signal(tmp_path, out, moment, [signal.SIGINT, signal.SIGINT], gap=gap)
    assert_stopped_cleanly(code, err, signal.SIGINT)
    if code:
        assert not out.exists()
    assert {p.name for p in tmp_path.iterdir()} <= {"out", "tmp", "in.csv"}


def test_the_stage_of_a_killed_run_is_removed_by_the_next_run(tmp_path):
    out = tmp_path / "out"
    code, _ = run_and_signal(tmp_path, out, "writing tables and figures", [signal.SIGKILL],
                             "--formats", "png,pdf,svg")  # a writing stage long enough to hit
    assert code == -signal.SIGKILL
    stages = [p.name for p in out.iterdir() if p.name.startswith(STAGE_PREFIX)]
    assert stages  # SIGKILL cannot be caught: the staging folder stays...
    assert not (out / MANIFEST).exists()  # ...and no output was put in place
    code, err = run_and_signal(tmp_path, out, "done", [], "--quiet")
    assert code == 0, err
    assert not [p for p in out.iterdir() if p.name.startswith(STAGE_PREFIX)]
    assert (out / MANIFEST).exists()


def test_a_signal_that_surfaces_as_another_error_still_exits_as_stopped(monkeypatch, capsys):
    """A SIGTERM landing inside an import can reach main() as an ImportError: still exit 143."""
    import signal as _signal

    from gexclust import _stop, cli

    def dispatch(args):
        _stop._received.append(_signal.SIGTERM)  # what the handler records
        raise ImportError("numpy import interrupted")

    monkeypatch.setattr(cli, "_dispatch", dispatch)
    monkeypatch.setattr(_stop, "_received", [])
    assert cli.main(["fetch", "GSE9476", "--offline"]) == 128 + _signal.SIGTERM
    assert "terminated" in capsys.readouterr().err


def test_a_stop_dropped_in_a_finaliser_prints_nothing_and_still_stops(monkeypatch):
    """A SIGTERM landing in a ``__del__`` printed "Exception ignored in ..." and a traceback."""
    from gexclust import _stop

    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)  # restored afterwards
    monkeypatch.setattr(_stop, "_installed", [])  # later runs in this process are not its own
    handlers = {signum: signal.getsignal(signum) for signum in _stop.SIGNALS}
    try:
        _stop.install()

        class Finalised:
            def __del__(self):
                _stop._on_signal(signal.SIGTERM, None)  # what the handler does there

        Finalised()  # dropped at once; Python cannot raise from __del__
        assert reported == []
        with pytest.raises(_stop.Stopped):
            _stop.check()
        Finalised.__del__ = lambda self: 1 / 0  # other such errors are still reported
        Finalised()
        assert [type(r.exc_value) for r in reported] == [ZeroDivisionError]
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        _stop._received.clear()


@pytest.mark.parametrize("delay", [0.5, 1.0, 1.5])
def test_sigterm_during_report_keeps_the_earlier_report(tmp_path, delay):
    """'gexclust report OUT' stopped while it reads, draws or writes: the folder is as it was
    (no staging folder, the earlier report intact), TMPDIR is empty, one line, exit 143."""
    out = tmp_path / "out"
    code, err = run_and_signal(tmp_path, out, "done", [], "--formats", "pdf")  # report draws
    assert code == 0, err
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    scratch = tmp_path / "tmp"
    env = {**os.environ, "TMPDIR": str(scratch)}
    cmd = [sys.executable, "-m", "gexclust.cli", "report", str(out)]
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          start_new_session=True, env=env) as proc:
        try:
            time.sleep(delay)
            proc.send_signal(signal.SIGTERM)
            err = proc.stderr.read()
            code = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    assert not session_alive(proc.pid, within=5.0)
    assert_stopped_cleanly(code, err, signal.SIGTERM)
    if code:
        assert err == "gexclust: terminated\n"  # the report prints nothing else there
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in out.iterdir() if p.name.startswith(STAGE_PREFIX)]
    assert not list(scratch.iterdir())


def test_a_stopped_command_ends_after_its_exit_functions_without_teardown(tmp_path, small_csv):
    """Stopped, the command runs the threads' and atexit's exit functions, flushes its output
    and ends without Python's teardown of the modules, where a library cut short by the stop
    could crash Python itself (about 1 stopped report in 125: "Fatal Python error:
    PyThreadState_Get ... finalizing", exit -6). An object held by the sys module stands for
    such a library here: its finaliser ran at the teardown ("torn down"), and no longer does."""
    out = tmp_path / "out"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    code = ("import atexit, os, signal, sys\n"
            "from gexclust.cli import console_main\n"
            "class Library:\n"
            "    def __del__(self, write=os.write):  # os may be gone by then\n"
            "        write(1, b'torn down\\n')\n"
            "atexit.register(print, 'exit functions ran')\n"
            "atexit.register(setattr, sys, 'held', Library())\n"
            "def stop_on_reading(event, args, csv=" + repr(str(small_csv)) + "):\n"
            "    if event == 'open' and str(args[0]) == csv:  # the run reads its input\n"
            "        os.kill(os.getpid(), signal.SIGTERM)\n"
            "sys.addaudithook(stop_on_reading)\n"
            f"sys.argv = ['gexclust', 'run', {str(small_csv)!r}, '-o', {str(out)!r}, "
            "'--quiet']\n"
            "console_main()\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "TMPDIR": str(scratch)}, timeout=60)
    assert (proc.returncode, proc.stderr) == (128 + signal.SIGTERM, "gexclust: terminated\n")
    assert proc.stdout == "exit functions ran\n"  # printed to a pipe, so flushed at the end
    assert not out.exists()
    assert not list(scratch.iterdir())
