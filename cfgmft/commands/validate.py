"""``cfgmft validate``: Monte Carlo at several dimensions against the ``d -> infinity`` theory.

For one parameter point and a list of dimensions (exponential regime ``K = round(e^{alpha
d})``; sub-exponential: a fixed ``K``; or the infinite-class continuum), run
:func:`cfgmft.api.simulate` at each ``d``, fit the approach to ``d -> infinity`` in
``1/d`` and in ``1/sqrt(d)`` (:mod:`cfgmft.validation.scaling`), and compare the
extrapolated value with the theory:

* exponential regime: the random-energy mean field at ``alpha``;
* fixed ``K``: ``log K/d -> 0``, the sub-exponential limit: no distortion (``E[m] = 1``,
  ``v_perp/sigma2 = 1``); the decay of the mean shift ``E[m] - 1``, of the orthogonal
  variance defect ``1 - v_perp/sigma2`` and of the parallel one ``1 - Var(m)|mu_c|^2/sigma2``
  is also fitted as a power law ``C d^{-p}``;
* ``--classes inf``: the infinite-class closed forms (no ``d`` dependence at all for the
  gaussian prior).

Verdict per observable: *consistent* when the preferred fit's extrapolation is within 3 of
its standard errors of the theory.

Finite-``d`` prediction: at every ``d`` (finite ``K``, gaussian or sphere prior) the reduced
stochastic model of :mod:`cfgmft.solvers.finite_d` (smooth commitment, per-sample
fluctuations, quenched finite-``K`` competitors, the gaussian prior's norm fluctuations)
predicts the Monte Carlo values themselves; the result lists, per ``d``, the prediction, its
own sampling error and ``z = (MC - prediction)/sqrt(se_MC^2 + se_pred^2)``, and says whether
every ``|z| <= 3``.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from .. import CONVENTION, __version__
from ..errors import ParameterError
from ..io import output_folder, save_json
from ..params import Problem

OBS = ("m_final", "var_ratio")
FD_OBS = ("m_final", "var_ratio", "var_ratio_parallel")
Z_CONSISTENT = 3.0


def parse_dims(text: str) -> list[int]:
    """``8,16,32`` -> [8, 16, 32] (integers >= 2, at least two, increasing)."""
    try:
        dims = [int(p) for p in str(text).split(",") if p.strip()]
    except ValueError:
        raise ParameterError("--dims", f"must be a comma-separated list of integers >= 2, got {text!r}") from None
    if len(dims) < 2 or any(d < 2 for d in dims) or sorted(set(dims)) != dims:
        raise ParameterError("--dims", f"must be at least two increasing integers >= 2, got {text!r}")
    return dims


def _theory(base: Problem) -> dict:
    from ..api import predict

    mix = base.mixture
    if mix.regime == "finite":  # fixed K: log K / d -> 0
        prior = "sphere" if mix.prior == "antipodal" else mix.prior  # alpha = 0: exact sampling for any prior
        limit = dataclasses.replace(mix, prior=prior, classes=None, alpha=0.0, d=None, means=None)
        return predict(dataclasses.replace(base, mixture=limit)) | {"limit": "sub-exponential (alpha = log K/d -> 0)"}
    nod = dataclasses.replace(mix, d=None)
    return predict(dataclasses.replace(base, mixture=nod)) | {"limit": "d -> infinity at fixed alpha" if mix.regime == "exponential" else "infinite-class"}


def finite_d_comparison(base: Problem, points: list, *, samples: int = 20000, steps: int = 1000, seed: int = 0,
                        disorder: int = 2, progress: bool = False) -> dict:
    """The finite-``d`` prediction at each point's ``d`` against its Monte Carlo values
    (``points``: dicts with ``d`` and ``{"mean", "stderr"}`` per observable); ``applies: False``
    with a reason where the model does not apply (continuum, antipodal or given means).

    The prediction is an average over mixtures (draws of the means). With ``disorder = 1``
    the Monte Carlo standard error is that of one mixture and leaves out the spread between
    mixtures (large with the gaussian prior, whose target norm varies): the predictions and
    ``z`` are reported, but no agreement is claimed."""
    from ..api import predict_finite_d
    from ..progress import progress as progress_bar

    mix = base.mixture
    if mix.regime == "infinite" or mix.prior not in ("gaussian", "sphere"):
        return {"applies": False, "reason": "the reduced model needs a finite K of i.i.d. gaussian or sphere means"}
    rows = []
    with progress_bar(total=len(points), desc="cfgmft validate: finite-d prediction", unit="d",
                      enabled=progress) as bar:
        for p in points:
            prob = dataclasses.replace(base, mixture=dataclasses.replace(mix, d=int(p["d"])))
            pred = predict_finite_d(prob, samples=samples, steps=steps, seed=seed)
            row = {"d": p["d"], "K": pred["K"]}
            for k in FD_OBS:
                mc, fd = p[k], pred[k]
                se = math.hypot(mc["stderr"], fd["stderr"])
                row[k] = {"prediction": fd["mean"], "stderr": fd["stderr"], "mc": mc["mean"], "mc_stderr": mc["stderr"],
                          "z": (mc["mean"] - fd["mean"]) / se if se > 0 else math.inf}
            rows.append(row)
            bar.update(1)
    zmax = {k: max(abs(r[k]["z"]) for r in rows) for k in FD_OBS}
    if disorder >= 2:
        agreement = {k: ("within 3 SE at every d" if z <= Z_CONSISTENT else "not within 3 SE") for k, z in zmax.items()}
    else:
        agreement = {k: "not assessed: one mixture per d (use --disorder >= 2; the prediction averages over mixtures)"
                     for k in FD_OBS}
    return {"applies": True, "method": "reduced stochastic model (cfgmft.solvers.finite_d)", "samples": samples,
            "steps": steps, "seed": seed, "points": rows, "max_abs_z": zmax, "assessed": disorder >= 2,
            "agreement": agreement,
            "criterion": "|MC - prediction| <= 3 sqrt(se_MC^2 + se_prediction^2) at every d, with >= 2 mixtures per d"}


def validate(base: Problem, dims, *, samples: int = 4096, disorder: int = 1, seed: int = 0,
             progress: bool = False, out_dir=None, scheduler=None, resume: bool = False,
             finite_d: bool = True, finite_d_samples: int = 20000) -> dict:
    """Run the validation (see the module docstring) and return a JSON-able dict.

    Each dimension is one unit of :func:`cfgmft.api.run_simulations`: in-process by
    default, on a dask cluster with ``scheduler`` (an address or ``local:N``); with
    ``out_dir`` every finished unit is written to ``out_dir`` as it completes and ``resume``
    continues an interrupted run without recomputing them. The results do not depend on
    where they ran.
    """
    from ..validation.scaling import compare_forms, power_law
    from ..api import check_simulation, problem_unit, run_simulations

    if base.mixture.prior == "given":
        raise ParameterError("prior", "validation across d needs a prior of the means, not given means")
    # every check of every unit, and the output folder, before anything is computed
    for d in dims:
        check_simulation(dataclasses.replace(base, mixture=dataclasses.replace(base.mixture, d=d)), samples=samples,
                         disorder=disorder)
    if out_dir is not None:
        output_folder(out_dir)
    theory = _theory(base)
    base_unit = {**problem_unit(base), "samples": samples, "disorder": disorder}
    # one independent seed per dimension, derived from (seed, d)
    units = [{**base_unit, "d": d, "seed": int(np.random.SeedSequence([seed, d]).generate_state(1)[0])} for d in dims]
    results = run_simulations(units, out_dir=out_dir, scheduler=scheduler, resume=resume, progress=progress)
    points = [{"d": d, "K": r["K"], "seed": u["seed"],
               **{k: r[k] for k in (*OBS, "mean_shift", "var_ratio_parallel", "accuracy")},
               "seconds_sampling": r["seconds_sampling"]} for d, u, r in zip(dims, units, results)]
    d_arr = np.array(dims, dtype=float)
    fits, verdicts = {}, {}
    for k in OBS:
        y = np.array([p[k]["mean"] for p in points])
        se = np.array([p[k]["stderr"] for p in points])
        cmp = compare_forms(d_arr, y, se)
        best = cmp["fits"][cmp["preferred"]]
        z = (best["a"] - theory[k]) / best["a_stderr"] if best["a_stderr"] > 0 else math.inf
        cmp["z_vs_theory"] = {f: (fit["a"] - theory[k]) / fit["a_stderr"] for f, fit in cmp["fits"].items()}
        fits[k] = cmp
        verdicts[k] = "consistent" if abs(z) <= Z_CONSISTENT else "not consistent"
    decay = None
    if base.mixture.regime == "finite":
        def series(key, f=lambda v: v):
            return [f(p[key]["mean"]) for p in points], [p[key]["stderr"] for p in points]

        decay = {
            "mean_shift": power_law(d_arr, *series("mean_shift")),
            "variance_defect": power_law(d_arr, *series("var_ratio", lambda v: 1 - v)),
            "parallel_variance_defect": power_law(d_arr, *series("var_ratio_parallel", lambda v: 1 - v)),
        }
    fd = finite_d_comparison(base, points, samples=finite_d_samples, disorder=disorder, progress=progress) if finite_d else {"applies": False, "reason": "not requested"}
    out = base.to_dict()
    out.pop("d", None)
    out.update(dims=list(dims), samples=samples, disorder=disorder, seed=seed, version=__version__,
               convention=base.guidance.rule.convention, precision="float64",
               theory={k: theory[k] for k in (*OBS, "t_commit", "status", "limit") if k in theory},
               points=points, fits=fits, verdicts=verdicts, decay=decay, finite_d=fd,
               criterion=f"the preferred fit's extrapolation within {Z_CONSISTENT:g} standard errors of the theory")
    return out


def write_outputs(result: dict, out) -> Path:
    """``validate.json`` and ``validate.png`` (values against 1/d, fits and theory)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..validation.scaling import FORMS

    out = output_folder(out)
    save_json(out / "validate.json", result)
    dims = np.array(result["dims"], dtype=float)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    grid = np.linspace(0, 1 / dims.min(), 100)[1:]
    for ax, k in zip(axes, OBS):
        y = [p[k]["mean"] for p in result["points"]]
        se = [p[k]["stderr"] for p in result["points"]]
        ax.errorbar(1 / dims, y, yerr=se, fmt="o", color="k", capsize=3, label="Monte Carlo")
        for (form, fit), color in zip(result["fits"][k]["fits"].items(), ("C0", "C1")):
            g = FORMS[form](1 / grid)
            pref = " (preferred)" if form == result["fits"][k]["preferred"] else ""
            ax.plot(grid, fit["a"] + fit["b"] * g, color=color, label=f"fit a + b {form}{pref}")
            ax.errorbar([0], [fit["a"]], yerr=[fit["a_stderr"]], fmt="s", color=color, capsize=3)
        ax.axhline(result["theory"][k], color="crimson", ls="--", label=f"theory ({result['theory']['limit']})")
        fd = result.get("finite_d") or {}
        if fd.get("applies"):
            fdp = fd["points"]
            ax.errorbar([1 / r["d"] for r in fdp], [r[k]["prediction"] for r in fdp],
                        yerr=[r[k]["stderr"] for r in fdp], fmt="D", mfc="none", color="C2", capsize=2,
                        label=f"finite-d prediction (max |z| {fd['max_abs_z'][k]:.1f})")
        ax.set(xlabel="1/d", ylabel={"m_final": "E[m]", "var_ratio": "v_perp / sigma2"}[k],
               title=f"{k}: {result['verdicts'][k]}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"{result['prior']} prior, sigma2 = {result['sigma2']:g}, {result['schedule_spec']}, {result['sampler']}, "
                 + (f"alpha = {result['alpha']:g}" if result.get("alpha") is not None else f"K = {result['classes']}"))
    fig.tight_layout()
    fig.savefig(out / "validate.png", dpi=120)
    plt.close(fig)
    return out


def format_table(result: dict) -> str:
    lines = [f"cfgmft {result['version']} validate: {result['prior']} prior, sigma2 = {result['sigma2']:g}, "
             f"{result['schedule_spec']}, {result['sampler']}; theory: {result['theory']['limit']}",
             f"  convention: {result['convention']}; float64; {result['samples']} samples x {result['disorder']} mixture(s) per d",
             ]
    fd = result.get("finite_d") or {}
    if fd.get("applies"):  # the prediction at the simulated d leads; the d -> infinity extrapolation follows
        lines.append("  finite-d model (the prediction at these d) against the Monte Carlo: "
                     + "; ".join(f"{k} {v}" for k, v in fd["agreement"].items()))
    lines += ["", f"  {'d':>5} {'K':>10} {'E[m]':>22} {'v_perp/sigma2':>22}"]
    for p in result["points"]:
        lines.append(f"  {p['d']:>5} {str(p['K']):>10} {p['m_final']['mean']:>12.5f} +- {p['m_final']['stderr']:<7.2g}"
                     f" {p['var_ratio']['mean']:>12.5f} +- {p['var_ratio']['stderr']:<7.2g}")
    for k in OBS:
        f = result["fits"][k]
        best = f["fits"][f["preferred"]]
        lines.append(f"  d -> infinity, {k}: theory {result['theory'][k]:.6f}; extrapolated ({f['preferred']}) {best['a']:.5f} +- "
                     f"{best['a_stderr']:.2g} (chi2/dof {best['chi2']:.2f}/{best['dof']}); {result['verdicts'][k]}")
    if fd.get("applies"):
        lines.append("  finite-d prediction (reduced model) against the Monte Carlo, z = (MC - prediction)/combined SE:")
        lines.append(f"  {'d':>5} {'E[m] pred':>18} {'z':>6} {'v_perp/s2 pred':>18} {'z':>6}")
        for r in fd["points"]:
            lines.append(f"  {r['d']:>5} {r['m_final']['prediction']:>10.5f} +- {r['m_final']['stderr']:<5.1g} {r['m_final']['z']:>6.2f}"
                         f" {r['var_ratio']['prediction']:>10.5f} +- {r['var_ratio']['stderr']:<5.1g} {r['var_ratio']['z']:>6.2f}")
        lines.append("  finite-d agreement: " + "; ".join(f"{k} {v}" for k, v in fd["agreement"].items()))
    elif fd:
        lines.append(f"  finite-d prediction: not computed ({fd.get('reason')})")
    if result["decay"]:
        for k, pl in result["decay"].items():
            if pl["p"] is not None:
                lines.append(f"  decay of {k}: ~ d^(-p), p = {pl['p']:.3f} +- {pl['p_stderr']:.2g}")
    lines.append(f"  criterion: {result['criterion']}")
    return "\n".join(lines)


__all__ = ["validate", "finite_d_comparison", "write_outputs", "format_table", "parse_dims"]
