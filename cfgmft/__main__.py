"""``python -m cfgmft``: the same as the ``cfgmft`` console script."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
