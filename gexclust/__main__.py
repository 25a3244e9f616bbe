"""``python -m gexclust``: the same as the ``gexclust`` command (where scripts are not on PATH)."""

from gexclust.cli import console_main

console_main()
