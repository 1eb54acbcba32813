"""Not the package: the root of a cfgmft checkout.

A checkout is usually a folder named ``cfgmft``. Run from the folder above it, Python would
import that folder as an empty namespace package ``cfgmft`` and shadow the installed package
(an editable install is found after the current folder). This file makes the import of such a
folder hand over to the installed package: it leaves ``sys.modules``, the folder above the
checkout is taken off ``sys.path`` for the time of one import, and the installed ``cfgmft``
(editable or not) is imported in its place. It is not part of any distribution.
"""

import importlib
import os
import sys

_name = __name__
_above = os.path.realpath(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _name != "cfgmft":  # imported under another name (e.g. as a test rootdir): nothing to hand over
    pass
else:
    del sys.modules[_name]
    _saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if os.path.realpath(os.path.abspath(p or os.curdir)) != _above]
    try:
        _real = importlib.import_module(_name)
    except ImportError as _e:
        raise ImportError(f"cfgmft is not installed in this Python ({sys.executable}); the folder "
                          f"{os.path.dirname(os.path.abspath(__file__))} is a checkout of it: run "
                          "`pip install -e .` there (or `pip install .`)") from _e
    finally:
        sys.path[:] = _saved
    sys.modules[_name] = _real
