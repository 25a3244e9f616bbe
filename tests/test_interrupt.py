from __future__ import annotations

import subprocess
import sys

SWALLOWED = """
import os, signal
from gexclust import _interrupt

_interrupt.install()


class Finalised:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)  # the handler runs inside __del__...
        for _ in range(100_000):
            pass


obj = Finalised()
del obj  # ...so Python swallows its KeyboardInterrupt
print("carried on")
try:
    _interrupt.check()
except KeyboardInterrupt:
    print("stopped at the checkpoint")
"""


def test_an_interrupt_swallowed_by_python_is_caught_at_the_next_checkpoint():
    out = subprocess.run([sys.executable, "-c", SWALLOWED], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.split("\n")[:2] == ["carried on", "stopped at the checkpoint"]
    assert "Exception ignored" not in out.stderr
    assert "Traceback" not in out.stderr


def test_without_an_interrupt_the_checkpoint_passes():
    code = "from gexclust import _interrupt\n_interrupt.install()\n_interrupt.check()\nprint('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"
