"""cfgmft.io.source_commit: the commit a results file records, from the checkout that holds cfgmft."""

import re
import subprocess
from pathlib import Path

from cfgmft.io import source_commit


def test_source_commit_is_the_checkouts_head_or_none(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not from the working directory: from beside the package
    got = source_commit()
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10)
    except OSError:  # no git: nothing to compare with
        assert got is None
        return
    if head.returncode != 0:  # not a checkout (an sdist, say)
        assert got is None
    else:
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ":(top)",
                                ":(top,exclude)results"], cwd=root,
                               capture_output=True, text=True, timeout=30).stdout.strip()
        assert got == head.stdout.strip() + ("+dirty" if dirty else "") and re.fullmatch(r"[0-9a-f]{4,40}(\+dirty)?", got)
