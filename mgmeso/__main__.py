"""``python -m mgmeso`` is the same as the ``mgmeso`` command."""

import sys

try:
    from .cli import console_main
except KeyboardInterrupt:   # Ctrl-C while Python was still importing the command
    sys.stderr.write("mgmeso: interrupted\n")
    sys.exit(130)

console_main()
