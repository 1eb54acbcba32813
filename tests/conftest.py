"""Shared test helpers."""

import pytest

from cfgmft.cli import main


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process: ``cli([...]) -> (exit code, stdout, stderr)``."""
    def run(args):
        try:
            code = main(list(args))
        except SystemExit as e:  # argparse errors
            code = e.code
        out, err = capsys.readouterr()
        return code, out, err
    return run
