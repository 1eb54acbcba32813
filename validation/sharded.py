"""One mixture's classes sharded across the workers of a dask.distributed cluster.

For ``K`` too large for one machine's memory, :class:`ShardedMixture` keeps the class means on
the workers: shard ``i`` (classes ``start_i..stop_i-1``, an even split) is drawn on its worker
by :meth:`FiniteMixture.from_prior` with ``rows=(start_i, stop_i)`` from the same seed, so it
holds bit-for-bit those rows of the in-process draw and nothing else (the client holds no
means at all). At every posterior evaluation the client sends the points ``x`` (``N x d``)
to every worker; each returns its partial streamed sums ``(acc_i, shift_i)``
(:meth:`FiniteMixture.partial_sums`: ``N (d + 3)`` numbers), and the client reduces them with
:func:`~cfgmft.validation.scores.combine_sums`. The Bayes classifier, the class lookup and the
target's mean are reduced the same way. Results equal the in-process mixture's to rounding
(the sums are added in another order: relative ~1e-15); the sampler, its noise and the
estimators run in the client as always.

Memory: each worker holds its shard's storage, ``(stop_i - start_i) (d + 2)`` numbers in the
mixture's precision, plus one block of the draw; the client holds ``O(N d)``. Traffic per
evaluation: ``N d`` numbers to each worker and ``N (d + 3)`` back.

Run it with ``cfgmft simulate ... --scheduler local:N`` (a local cluster of ``N`` worker
processes) or ``--scheduler tcp://host:8786`` (a running cluster: docs/howto/large-simulation.md, "One simulation on a
cluster").
"""

from __future__ import annotations

import numbers

import numpy as np

from cfgmft.errors import ParameterError, check_int

from .scores import FiniteMixture, check_mu, combine_sums, merge_best

__all__ = ["ShardedMixture"]


def _draw_shard(K, d, prior, sigma2, seed, start, stop, precision, chunk_size):
    return FiniteMixture.from_prior(K, d, prior, sigma2, rng=seed, chunk_size=chunk_size, precision=precision,
                                    rows=(start, stop))


def _shard_info(m):
    return m.K, m.max_norm2


def _shard_sums(m, x, t):
    return m.partial_sums(x, t)


def _shard_bayes(m, x, c_local, t):
    return m.bayes_parts(x, c_local, t)


def _shard_mean(m, i):
    return m.mean_of(i)


def _shard_find(m, mu):
    return m.class_index(mu)


def _check_worker_memory(client, bounds, workers, d, precision):
    """ParameterError naming ``scheduler`` when a shard's storage (plus one block of the draw)
    exceeds 60% of its worker's memory limit (where the workers have one)."""
    try:
        info = client.scheduler_info(n_workers=-1)["workers"]
    except TypeError:  # older distributed: all workers by default
        info = client.scheduler_info()["workers"]
    size = 8 if precision == "float64" else 4
    for (a, b), w in zip(bounds, workers):
        limit = (info.get(w) or {}).get("memory_limit") or 0
        need = size * (b - a) * (d + 2) + 8 * (1 << 16) * d
        if limit and need > 0.6 * limit:
            raise ParameterError("scheduler", f"a shard of {b - a} classes at d = {d} needs {need / 2**30:.2f} GiB, more than "
                                              f"60% of its worker's memory limit ({limit / 2**30:.2f} GiB): use more workers")


class ShardedMixture(FiniteMixture):
    """A mixture of ``K`` classes drawn from ``prior`` and kept in shards on a dask cluster.

    Parameters
    ----------
    client : distributed.Client
        The cluster (:func:`cfgmft.sweep.dask_client`).
    K, d, prior, sigma2, rng, precision, chunk_size
        As :meth:`FiniteMixture.from_prior`; ``rng`` must be an int seed or a
        ``numpy.random.SeedSequence`` (every worker draws from it).
    shards : int, optional
        Number of shards (default: one per worker), placed round-robin on the workers.
    """

    backend = "dask"

    def __init__(self, client, K: int, d: int, prior: str, sigma2, rng, *, shards: int | None = None,
                 precision: str = "float64", chunk_size: int | None = None):
        if not (isinstance(rng, np.random.SeedSequence) or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool))):
            raise ParameterError("rng", "a sharded mixture is drawn on the workers from an int seed or a SeedSequence, "
                                        f"got {type(rng).__name__}")
        nthreads = client.nthreads()  # every worker (scheduler_info() may list only a few)
        workers = sorted(nthreads)
        if not workers:
            raise ParameterError("scheduler", "the cluster has no workers")
        n = len(workers) if shards is None else check_int("shards", shards, lo=1)
        K = check_int("K", K, lo=2)
        n = min(n, K)
        cuts = [K * i // n for i in range(n + 1)]
        self._client = client
        self._bounds = list(zip(cuts[:-1], cuts[1:]))
        self._workers = [workers[i % len(workers)] for i in range(n)]
        _check_worker_memory(client, self._bounds, self._workers, d, precision)
        # each shard is first placed on its worker; dask may draw it again elsewhere (the draw is
        # deterministic) if that worker is lost, and every evaluation runs where the shard is
        self._shards = [client.submit(_draw_shard, K, d, prior, sigma2, rng, a, b, precision, chunk_size,
                                      workers=[w], allow_other_workers=True, pure=False)
                        for (a, b), w in zip(self._bounds, self._workers)]
        info = client.gather([self._run(_shard_info, i) for i in range(n)])
        if [k for k, _ in info] != [b - a for a, b in self._bounds]:  # pragma: no cover - defensive
            raise RuntimeError("a shard holds the wrong number of classes")
        self._max_norm2 = max(m for _, m in info)
        self.K, self.d = K, int(d)
        self.sigma2 = float(sigma2)
        self.precision = precision
        self.chunk_size = FiniteMixture.DEFAULT_CHUNK_SIZE if chunk_size is None else int(chunk_size)
        self.prior = prior
        self.device = f"{n} shards on {len(set(self._workers))} dask workers"

    def _run(self, fn, i, *args):
        if not self._shards:
            raise ParameterError("mixture", "this sharded mixture was closed: its shards are released")
        return self._client.submit(fn, self._shards[i], *args, pure=False)

    def _map(self, fn, *args, local=None):
        """``fn(shard, *args, *local(i))`` on every shard ``i`` (``local``: the shard's own
        extra arguments, a tuple; none by default), gathered in shard order."""
        if not self._shards:
            raise ParameterError("mixture", "this sharded mixture was closed: its shards are released")
        local = local or (lambda i: ())
        return self._client.gather([self._run(fn, i, *args, *local(i)) for i in range(len(self._shards))])

    @property
    def shards(self) -> list[tuple[int, int]]:
        """The classes ``(start, stop)`` of each shard."""
        return list(self._bounds)

    @property
    def means(self):
        raise ParameterError("means", "a sharded mixture keeps its means on the workers; use mean_of(c)")

    @property
    def max_norm2(self) -> float:
        return self._max_norm2

    def __repr__(self):
        prec = "" if self.precision == "float64" else f", precision={self.precision!r}"
        return (f"ShardedMixture(K={self.K}, d={self.d}, sigma2={self.sigma2}, prior={self.prior!r}, "
                f"shards={len(self._bounds)}{prec})")

    def close(self):
        """Release the shards on the workers."""
        self._shards = []

    def pruned(self, fraction: float):
        raise ParameterError("prune", "pruned sums are for an in-process mixture")

    def with_precision(self, precision: str):
        if precision != self.precision:
            raise ParameterError("precision", "a sharded mixture's precision is fixed when it is drawn on the workers")
        return self

    def _owner(self, c: int) -> tuple[int, int]:
        c = self._index(c)
        for i, (a, b) in enumerate(self._bounds):
            if a <= c < b:
                return i, c - a
        raise AssertionError  # pragma: no cover

    def partial_sums(self, x, t):
        return combine_sums(self._map(_shard_sums, x, float(t)))

    def mean_of(self, c) -> np.ndarray:
        i, j = self._owner(c)
        return self._run(_shard_mean, i, j).result()

    def class_index(self, mu_c):
        mu = check_mu(mu_c, self.d)
        found = self._map(_shard_find, mu)
        for (a, _), j in zip(self._bounds, found):
            if j is not None:
                return a + j
        return None

    def bayes_classify(self, x, c=None, t: float = 0.0):
        from .scores import _check_t, _check_x, _restore

        x, was_1d = _check_x(x, self.d)
        t = _check_t(t)
        owner = self._owner(c) if c is not None else None
        parts = self._map(_shard_bayes, x, local=lambda i: (owner[1] if owner and owner[0] == i else None, t))
        N = x.shape[0]
        best_val = np.full(N, -np.inf)
        best_idx = np.zeros(N, dtype=np.int64)
        comp_val = np.full(N, -np.inf)
        for (a, _), (v, j, comp) in zip(self._bounds, parts):
            best_val, best_idx = merge_best(best_val, best_idx, v, a + j)  # shards in class order
            comp_val = np.maximum(comp_val, comp)
        margin = None
        if c is not None:
            margin = _restore((self.logit_of(x, t, self.mean_of(c)) - comp_val) / self.d, was_1d)
        return _restore(best_idx, was_1d), margin
