"""The long-running commands of the CLI, each owning its units, files and figures:
:mod:`.validate` (``cfgmft validate``: Monte Carlo across dimensions against the theory) and
:mod:`.phase_diagram` (``cfgmft phase-diagram``). They sit above :mod:`cfgmft.api` and below
:mod:`cfgmft.cli` and :mod:`cfgmft.reproduce`."""
