"""The sizes and parameters of one ``cfgmft reproduce`` run (written to ``results.json``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Settings:
    """Sizes of the Monte Carlo; ``quick`` is the CI-sized run."""

    quick: bool
    seed: int
    #: a very small run for the tests of the resume machinery (hidden: its numbers mean nothing)
    tiny: bool = False
    sigma2: float = 1.0
    d: int = 8
    n: int = 20000
    steps: int = 400
    omegas_mc: tuple = (0.0, 1.0, 2.0, 4.0)
    dims_c4: tuple = (4, 16, 64)
    n_random_schedules: int = 400
    K_finite: tuple = (100, 1000, 10000)
    n_finite: int = 4000
    # finite-size scaling of C2 (exponential regime) and C3 (fixed K)
    c2_alpha: float = 0.2
    c2_dims: tuple = (20, 30, 40, 50)
    c2_samples: int = 1000
    c2_disorder: int = 4
    #: samples of the finite-d prediction (reduced model) per d
    fd_samples: int = 20000
    c3_dims: tuple = (8, 16, 32, 64, 128, 256)
    c3_samples: int = 8000
    # C6: schedule design in the exponential regime, then Monte Carlo
    c6_alpha: float = 0.3
    c6_dims: tuple = (20, 25)
    c6_samples: int = 4000
    c6_disorder: int = 8
    # C7: the guidance rules at equal separability (gaussian continuum)
    c7_d: int = 200
    c7_samples: int = 4000
    c7_steps: int = 400

    @classmethod
    def make(cls, quick: bool, seed: int, tiny: bool = False) -> "Settings":
        if tiny:
            return cls(quick=True, seed=seed, tiny=True, n=400, steps=40, omegas_mc=(0.0, 2.0), n_random_schedules=8,
                       K_finite=(100,), n_finite=200, c2_dims=(20, 25), c2_samples=200, c2_disorder=1,
                       fd_samples=500, c3_dims=(8, 16), c3_samples=200, c6_dims=(20,), c6_samples=200,
                       c6_disorder=2, c7_d=40, c7_samples=100, c7_steps=60)
        if quick:
            return cls(quick=True, seed=seed, n=4000, steps=200, n_random_schedules=100,
                       K_finite=(100, 1000), n_finite=1000, c2_dims=(20, 25, 30), c2_samples=1000,
                       c2_disorder=2, fd_samples=8000, c3_dims=(8, 16, 32, 64), c3_samples=2000,
                       c6_dims=(20,), c6_samples=4000, c6_disorder=6, c7_d=100, c7_samples=800, c7_steps=400)
        return cls(quick=False, seed=seed)
