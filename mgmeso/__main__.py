"""``python -m mgmeso`` is the same as the ``mgmeso`` command."""

from .cli import console_main

console_main()
