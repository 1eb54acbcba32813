"""The adapters on the real libraries (the ``diffusers`` extra: torch and diffusers), offline:
the exact mixture denoiser as a torch module, diffusers' DDIM, Euler discrete (Karras sigmas)
and EDM Euler schedulers run with an exported guidance table through the guider, compared with
cfgmft's discrete-grid prediction and cfgmft's own Monte Carlo on the same grid.

Without torch or diffusers these tests skip, with the reason in pytest's summary (``-rs``);
``.ci/run`` installs the extra and runs them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the diffusers extra is not installed (pip install \"cfgmft[diffusers]\")")
diffusers = pytest.importorskip("diffusers", reason="the diffusers extra is not installed (pip install \"cfgmft[diffusers]\")")

from cfgmft.adapters import GuidanceTable, w_for_sigmas  # noqa: E402
from cfgmft.adapters.diffusers import TableGuidance, table_guider  # noqa: E402
from cfgmft.adapters.kdiffusion import ScheduledCFGDenoiser  # noqa: E402
from cfgmft.adapters.torch_exact import ExactMixtureDenoiser  # noqa: E402
from cfgmft.errors import ParameterError  # noqa: E402
from cfgmft.solvers.discrete_grid import predict_discrete  # noqa: E402
from cfgmft.validation.discrete import run_monte_carlo_grid  # noqa: E402
from cfgmft.validation.estimators import estimate_observables  # noqa: E402
from cfgmft.validation.mixture import draw_means  # noqa: E402
from cfgmft.validation.scores import ContinuumGaussian, FiniteMixture  # noqa: E402

SIGMA2 = 1.0
D = 16
N_SAMPLES = 4000
#: agreement: |a - b| <= Z combined standard errors
Z = 3.0


def _grid_spec(sigmas) -> str:
    s = [float(x) for x in np.asarray(sigmas, dtype=np.float64)]
    return "sigmas:" + ",".join(repr(x) for x in s)


# -- the exact denoiser ---------------------------------------------------------------------
def test_exact_denoiser_matches_the_numpy_mixture():
    rng = np.random.default_rng(0)
    means = draw_means(12, D, "gaussian", rng)
    mix = FiniteMixture(means, SIGMA2)
    model = ExactMixtureDenoiser(means, SIGMA2, target=3)
    x0 = rng.standard_normal((5, D)) * 3.0
    for sigma in (0.05, 0.7, 4.0, 60.0):
        t = 0.5 * math.log1p(sigma * sigma)
        xt = x0 * math.exp(-t)
        E = mix.posterior_mean(xt, t)  # E[mu | x_t]
        gain = SIGMA2 / (SIGMA2 + sigma * sigma)
        want_u = (1 - gain) * E + gain * x0
        want_c = (1 - gain) * means[3] + gain * x0
        got_u = model.denoise(torch.tensor(x0), sigma, cond=False).numpy()
        got_c = model.denoise(torch.tensor(x0), sigma, cond=True).numpy()
        np.testing.assert_allclose(got_u, want_u, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got_c, want_c, rtol=1e-12, atol=1e-12)


def test_exact_denoiser_infinite_class_and_prediction_types():
    rng = np.random.default_rng(1)
    mu = rng.standard_normal(D)
    model = ExactMixtureDenoiser(None, SIGMA2, target=mu)
    cont = ContinuumGaussian(SIGMA2)
    x0 = rng.standard_normal((4, D)) * 2.0
    sigma = 1.3
    t = 0.5 * math.log1p(sigma ** 2)
    gain = SIGMA2 / (SIGMA2 + sigma ** 2)
    want = (1 - gain) * cont.posterior_mean(x0 * math.exp(-t), t) + gain * x0
    np.testing.assert_allclose(model.denoise(torch.tensor(x0), sigma, cond=False).numpy(), want, rtol=1e-12)
    # the VP outputs: x0 = D, eps = (x - a D)/b, v = a eps - b D, all from one D
    ab = 1.0 / (1.0 + sigma ** 2)
    x_vp = torch.tensor(x0 * math.sqrt(ab))
    Dm = model.vp_output(x_vp, ab, True, "sample")
    eps = model.vp_output(x_vp, ab, True, "epsilon")
    v = model.vp_output(x_vp, ab, True, "v_prediction")
    a, b = math.sqrt(ab), math.sqrt(1 - ab)
    np.testing.assert_allclose(Dm.numpy(), model.denoise(torch.tensor(x0), sigma, True).numpy(), rtol=1e-12)
    np.testing.assert_allclose((a * Dm + b * eps).numpy(), x_vp.numpy(), rtol=1e-12)
    np.testing.assert_allclose(v.numpy(), (a * eps - b * Dm).numpy(), rtol=1e-12)
    # EDM's F: diffusers' own preconditioning gives D back
    sch = diffusers.EDMEulerScheduler(sigma_min=0.002, sigma_max=80.0, sigma_data=0.5)
    x = torch.tensor(x0)
    x_in = sch.precondition_inputs(x, torch.tensor(sigma, dtype=torch.float64))
    F = model.edm_output(x_in, sigma, True, sigma_data=0.5)
    np.testing.assert_allclose(sch.precondition_outputs(x, F, torch.tensor(sigma, dtype=torch.float64)).numpy(),
                               model.denoise(x, sigma, True).numpy(), rtol=1e-12)
    with pytest.raises(ParameterError, match="prediction_type"):
        model.vp_output(x_vp, ab, True, "flow")


# -- the guider and the k-diffusion-style wrapper --------------------------------------------
def test_table_guider_applies_each_row_including_w_below_one():
    table = GuidanceTable.from_schedule("negwin:2:-1:0.3:1.5:0.5", "karras:12:0.002:80:7")
    g = table_guider(table)
    pc, pu = torch.tensor([3.0, -1.0]), torch.tensor([1.0, 2.0])
    seen = []
    for i in range(table.steps):
        g.set_state(step=i, num_inference_steps=table.steps, timestep=torch.tensor(0.0))
        out = g(([pc, pu] if False else None) or [], ) if False else g.forward(pc, pu)
        w = table.w[i]
        assert torch.equal(out.pred, pu + w * (pc - pu))
        seen.append(w)
    assert min(seen) == 0.0 and max(seen) == 3.0 and 1.5 in seen  # w = 0, 3 and 1.5 all applied
    with pytest.raises(ParameterError, match="num_inference_steps"):
        g.set_state(step=0, num_inference_steps=table.steps + 1, timestep=None)
    with pytest.raises(ParameterError, match="w_per_step"):
        TableGuidance(w_per_step=[1.0, -0.5])


def test_scheduled_cfg_denoiser_reads_w_at_each_sigma():
    rng = np.random.default_rng(2)
    mu = rng.standard_normal(D)
    inner = ExactMixtureDenoiser(None, SIGMA2, target=mu)
    table = GuidanceTable.from_schedule("negwin:2:-1:0.3:1.5:0.5", "karras:12:0.002:80:7")
    model = ScheduledCFGDenoiser(inner, table)
    x = torch.tensor(rng.standard_normal((3, D)))
    for i, s in enumerate(table.sigmas[:-1]):
        w = table.w[i]
        dc, du = inner(x, s, cond=True), inner(x, s, cond=False)
        torch.testing.assert_close(model(x, torch.full((3,), s, dtype=torch.float64)), du + w * (dc - du),
                                   rtol=1e-14, atol=1e-14)


# -- the real schedulers against the prediction and the Monte Carlo ----------------------------
def _run_scheduler(kind: str, model, n_steps: int, schedule, n: int, seed: int):
    """Sample ``n`` points with diffusers' scheduler ``kind``; the guidance is the table of
    ``schedule`` exported on the scheduler's own grid, applied by the guider. Returns the final
    samples (numpy, mixture scale), the grid text and cfgmft's start convention."""
    if kind == "ddim":
        sch = diffusers.DDIMScheduler(num_train_timesteps=1000, beta_schedule="scaled_linear", beta_start=0.00085,
                                      beta_end=0.012, set_alpha_to_one=True, clip_sample=False, prediction_type="epsilon")
        sch.set_timesteps(n_steps)
        ab = sch.alphas_cumprod.to(torch.float64)
        sig = [math.sqrt((1 - float(ab[t])) / float(ab[t])) for t in sch.timesteps] + [0.0]
        start = "unit"  # x_T ~ N(0, I) in the VP scale: N(0, (1 + sigma_0^2) I) in EDM's
    elif kind == "euler":
        sch = diffusers.EulerDiscreteScheduler(num_train_timesteps=1000, beta_schedule="scaled_linear",
                                               beta_start=0.00085, beta_end=0.012, use_karras_sigmas=True,
                                               prediction_type="epsilon")
        sch.set_timesteps(n_steps)
        sig = [float(s) for s in sch.sigmas]
        start = "edm"  # init_noise_sigma = sigma_0
        assert math.isclose(float(sch.init_noise_sigma), sig[0])
    else:
        sch = diffusers.EDMEulerScheduler(sigma_min=0.002, sigma_max=80.0, sigma_data=0.5, prediction_type="epsilon")
        sch.set_timesteps(n_steps)
        sig = [float(s) for s in sch.sigmas]
        start = "unit"  # init_noise_sigma = sqrt(sigma_max^2 + 1)
        assert math.isclose(float(sch.init_noise_sigma), math.sqrt(sig[0] ** 2 + 1))
    grid = _grid_spec(sig)
    table = GuidanceTable.from_schedule(schedule, grid)
    guider = table_guider(table)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((n, model.d), generator=gen, dtype=torch.float64) * float(sch.init_noise_sigma)
    for i, t in enumerate(sch.timesteps):
        guider.set_state(step=i, num_inference_steps=len(sch.timesteps), timestep=t)
        if kind == "ddim":
            a_bar = float(sch.alphas_cumprod[t])
            pc, pu = model.vp_output(x, a_bar, True), model.vp_output(x, a_bar, False)
        elif kind == "euler":
            x_in = sch.scale_model_input(x, t)
            a_bar = 1.0 / (1.0 + sig[i] ** 2)
            pc, pu = model.vp_output(x_in, a_bar, True), model.vp_output(x_in, a_bar, False)
        else:
            x_in = sch.scale_model_input(x, t)
            pc, pu = model.edm_output(x_in, sig[i], True), model.edm_output(x_in, sig[i], False)
        pred = guider.forward(pc, pu if guider.num_conditions == 2 else None).pred
        x = sch.step(pred, t, x).prev_sample.to(torch.float64)
    return x.numpy(), grid, start


def _agree(a, b, se) -> bool:
    return abs(a - b) <= Z * se


@pytest.mark.parametrize("kind", ["ddim", "euler", "edm"])
@pytest.mark.parametrize("schedule", ["constant:2", "negwin:3:-1:0.2:0.8"])
def test_real_scheduler_infinite_class_matches_the_exact_grid_prediction(kind, schedule):
    """Infinite-class limit, gaussian prior: the law stays Gaussian and the discrete-grid
    prediction is exact at any d, so the real scheduler's samples must agree with it."""
    rng = np.random.default_rng(7)
    mu = rng.standard_normal(D)
    model = ExactMixtureDenoiser(None, SIGMA2, target=mu)
    x, grid, start = _run_scheduler(kind, model, 24, schedule, N_SAMPLES, seed=11)
    est = estimate_observables(x, mu, SIGMA2)
    pred = predict_discrete("gaussian", SIGMA2, schedule, "ddim" if kind == "ddim" else "euler", grid, start=start)
    # m = x.mu/|mu|^2 is exact; the prediction is for the mean overlap and per-coordinate variance
    assert _agree(est.m.value, pred["m_final"], est.m.stderr), (est.m, pred["m_final"])
    assert _agree(est.var_ratio.value, pred["var_ratio"], est.var_ratio.stderr), (est.var_ratio, pred["var_ratio"])
    # and the guidance did something measurable (the test can fail in both directions)
    assert abs(pred["var_ratio"] - 1.0) > 5 * est.var_ratio.stderr or abs(pred["m_final"] - 1.0) > 5 * est.m.stderr


@pytest.mark.parametrize("kind", ["euler", "edm"])
def test_real_scheduler_finite_mixture_matches_cfgmft_monte_carlo(kind):
    """A finite mixture (K = 64 at d = 16): the real scheduler against cfgmft's own Monte Carlo
    on the same grid with the same update rule and start."""
    rng = np.random.default_rng(5)
    means = draw_means(64, D, "gaussian", rng)
    model = ExactMixtureDenoiser(means, SIGMA2, target=0)
    schedule = "negwin:3:-1:0.2:0.8"
    x, grid, start = _run_scheduler(kind, model, 24, schedule, N_SAMPLES, seed=3)
    mix = FiniteMixture(means, SIGMA2)
    est = estimate_observables(x, means[0], SIGMA2, mixture=mix, c=0)
    mc = run_monte_carlo_grid(mix, means[0], SIGMA2, schedule, grid, "euler", n=N_SAMPLES, rng=9, c=0, start=start)
    ref = mc.estimates
    for name in ("m", "var_ratio", "accuracy"):
        a, b = getattr(est, name), getattr(ref, name)
        se = math.hypot(a.stderr, b.stderr)
        assert _agree(a.value, b.value, se), (name, a, b)


def test_w_for_sigmas_on_the_scheduler_grid_equals_the_guider():
    sch = diffusers.EulerDiscreteScheduler(num_train_timesteps=1000, beta_schedule="scaled_linear", beta_start=0.00085,
                                           beta_end=0.012, use_karras_sigmas=True)
    sch.set_timesteps(30)
    table = GuidanceTable.from_schedule("negwin:3:-1:0.2:0.8", "karras:50:0.01:20:7")
    g = table_guider(table, sigmas=sch.sigmas)
    assert g.w_per_step == w_for_sigmas(table, sch.sigmas).tolist()
    assert len(g.w_per_step) == 30
