"""diffusers' own guidance classes as the arbiter of cfgmft's guidance rules.

The exact mixture denoiser runs inside a real diffusers scheduler loop (``EulerDiscreteScheduler``
on Karras sigmas), with a per-step strength that goes through positive, zero and negative values.
At every step the same two predictions go to diffusers' guider (``ClassifierFreeGuidance``, with
and without ``guidance_rescale``, ``AdaptiveProjectedGuidance``, ``ClassifierFreeZeroStarGuidance``)
and to cfgmft's :meth:`Rule.combine` with the mapped parameters (docs/guide/guidance-rules.md,
"Mapping to diffusers"); the guided predictions must agree to float64 rounding (to float32 rounding
for CFG-Zero*, whose scale diffusers computes in float32), and two full runs on the same noise, one
stepped with diffusers' prediction and one with cfgmft's, must end at the same samples (the
scheduler's own float32 state sets that tolerance). Where diffusers' default differs from the
rule (APG's ``u + w * update``, APG on an eps model), the difference is shown to be real.

Without torch or diffusers these tests skip.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the diffusers extra is not installed (pip install \"cfgmft[diffusers]\")")
diffusers = pytest.importorskip("diffusers", reason="the diffusers extra is not installed (pip install \"cfgmft[diffusers]\")")

from diffusers.guiders import (  # noqa: E402
    AdaptiveProjectedGuidance, ClassifierFreeGuidance, ClassifierFreeZeroStarGuidance,
)

from cfgmft.adapters import GuidanceTable  # noqa: E402
from cfgmft.adapters.torch_exact import ExactMixtureDenoiser  # noqa: E402
from cfgmft.guidance import parse_rule  # noqa: E402
from cfgmft.validation.mixture import draw_means  # noqa: E402

SIGMA2 = 1.0
D = 16
N = 64
STEPS = 20
#: a schedule whose table on a 20-step grid has omega > 0, omega = 0 (w = 1: diffusers skips the
#: unconditional pass) and omega < 0
SCHEDULE = "negwin:3:-0.6:0.2:0.8"


def _scheduler(prediction_type: str):
    sch = diffusers.EulerDiscreteScheduler(num_train_timesteps=1000, beta_schedule="scaled_linear", beta_start=0.00085,
                                           beta_end=0.012, use_karras_sigmas=True, prediction_type=prediction_type)
    sch.set_timesteps(STEPS)
    return sch


def _model(kind: str):
    rng = np.random.default_rng(3)
    if kind == "finite":
        means = draw_means(32, D, "gaussian", rng)
        return ExactMixtureDenoiser(means, SIGMA2, target=0)
    return ExactMixtureDenoiser(None, SIGMA2, target=rng.standard_normal(D))


def _omegas(sch) -> list[float]:
    sig = [float(s) for s in sch.sigmas]
    table = GuidanceTable.from_schedule(SCHEDULE, "sigmas:" + ",".join(repr(s) for s in sig))
    return list(table.omega)


def _run(model, guider_of, rule, prediction_type: str, *, step_with: str, seed: int = 5):
    """One scheduler run; at each step both guided predictions are formed from the same two
    predictions; the state advances with ``step_with``'s ('diffusers' or 'cfgmft'). Returns the
    final samples and the largest per-step |difference| of the two guided predictions, relative
    to the largest |prediction| of that step."""
    sch = _scheduler(prediction_type)
    omegas = _omegas(sch)
    sig = [float(s) for s in sch.sigmas]
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((N, D), generator=gen, dtype=torch.float64) * float(sch.init_noise_sigma)
    worst = 0.0
    for i, t in enumerate(sch.timesteps):
        omega = omegas[i]
        guider = guider_of(omega)
        guider.set_state(step=i, num_inference_steps=STEPS, timestep=t)
        x_in = sch.scale_model_input(x, t)
        a_bar = 1.0 / (1.0 + sig[i] ** 2)
        pc = model.vp_output(x_in, a_bar, True, prediction_type)
        pu = model.vp_output(x_in, a_bar, False, prediction_type)
        ours = torch.from_numpy(rule.combine(pc.numpy(), pu.numpy(), omega))
        theirs = guider.forward(pc, pu if guider.num_conditions == 2 else None).pred
        assert theirs.dtype == torch.float64
        worst = max(worst, float((theirs - ours).abs().max() / pc.abs().max().clamp_min(1e-300)))
        x = sch.step(theirs if step_with == "diffusers" else ours, t, x).prev_sample.to(torch.float64)
    return x, worst


def _apg(d_elements):
    def make(eta, r):
        # cfgmft's apg:eta,r at omega == diffusers' APG in the papers' form, on an x0 model
        return lambda omega: AdaptiveProjectedGuidance(
            guidance_scale=omega, eta=eta, adaptive_projected_guidance_rescale=r * math.sqrt(d_elements),
            use_original_formulation=True)
    return make


APG_OF = _apg(D)

#: (cfgmft rule, diffusers guider at strength omega, the model's prediction type, relative
#: per-step tolerance)
CASES = {
    "cfg": ("cfg", lambda om: ClassifierFreeGuidance(guidance_scale=1.0 + om), "epsilon", 1e-13),
    "cfg-original": ("cfg", lambda om: ClassifierFreeGuidance(guidance_scale=om, use_original_formulation=True),
                     "epsilon", 1e-13),
    "cfg-v": ("cfg", lambda om: ClassifierFreeGuidance(guidance_scale=1.0 + om), "v_prediction", 1e-13),
    "cfg-x0": ("cfg", lambda om: ClassifierFreeGuidance(guidance_scale=1.0 + om), "sample", 1e-13),
    "rescale": ("rescale:phi=0.7", lambda om: ClassifierFreeGuidance(guidance_scale=1.0 + om, guidance_rescale=0.7),
                "epsilon", 1e-13),
    "rescale-1": ("rescale:phi=1", lambda om: ClassifierFreeGuidance(guidance_scale=1.0 + om, guidance_rescale=1.0),
                  "epsilon", 1e-13),
    "zerostar": ("zerostar", lambda om: ClassifierFreeZeroStarGuidance(guidance_scale=1.0 + om, zero_init_steps=0),
                 "epsilon", 1e-6),
    "zerostar-original": ("zerostar", lambda om: ClassifierFreeZeroStarGuidance(
        guidance_scale=om, zero_init_steps=0, use_original_formulation=True), "epsilon", 1e-6),
    # r = 0.05 (RMS, x0 units) clips Delta_D at the early steps (its RMS is 0.5-1.4 there) and
    # not at the late ones (below 0.07): both branches run
    "apg-clip": ("apg:eta=0,r=0.05", APG_OF(0.0, 0.05), "sample", 1e-13),
    "apg-noclip": ("apg:eta=0.5,r=0", APG_OF(0.5, 0.0), "sample", 1e-13),
    "apg-cfg": ("apg:eta=1,r=0", APG_OF(1.0, 0.0), "sample", 1e-13),
}


@pytest.mark.parametrize("model_kind", ["finite", "continuum"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_diffusers_guider_equals_cfgmft_rule_in_a_scheduler_loop(case, model_kind):
    spec, guider_of, ptype, tol = CASES[case]
    rule = parse_rule(spec)
    model = _model(model_kind)
    xa, worst_a = _run(model, guider_of, rule, ptype, step_with="diffusers")
    xb, worst_b = _run(model, guider_of, rule, ptype, step_with="cfgmft")
    assert worst_a <= tol and worst_b <= tol, (case, worst_a, worst_b)
    # the scheduler keeps its state in float32: the two runs agree to its rounding
    scale = float(xa.abs().max())
    diff = float((xa - xb).abs().max())
    assert diff <= 1e-5 * scale, (case, diff, scale)
    assert torch.isfinite(xa).all()


def test_the_strength_table_has_positive_zero_and_negative_steps():
    om = _omegas(_scheduler("epsilon"))
    assert max(om) > 0 and min(om) < 0 and 0.0 in om


def test_the_rules_differ_from_one_another_in_the_loop():
    """The agreement above is not vacuous: each rule's samples differ from cfg's on the same noise."""
    model = _model("finite")
    base, _ = _run(model, CASES["cfg"][1], parse_rule("cfg"), "epsilon", step_with="cfgmft")
    for case in ("rescale", "zerostar"):
        spec, g, ptype, _ = CASES[case]
        x, _ = _run(model, g, parse_rule(spec), ptype, step_with="cfgmft")
        assert float((x - base).abs().max()) > 1e-2, case
    base0, _ = _run(model, CASES["cfg-x0"][1], parse_rule("cfg"), "sample", step_with="cfgmft")
    x, _ = _run(model, CASES["apg-clip"][1], parse_rule("apg:eta=0,r=0.05"), "sample", step_with="cfgmft")
    assert float((x - base0).abs().max()) > 1e-2


def _one_step_predictions(prediction_type: str, i: int = 6):
    model = _model("finite")
    sch = _scheduler(prediction_type)
    sig = float(sch.sigmas[i])
    gen = torch.Generator().manual_seed(1)
    x = torch.randn((N, D), generator=gen, dtype=torch.float64) * math.sqrt(1.0 + sig ** 2)
    x_in = sch.scale_model_input(x, sch.timesteps[i])
    a_bar = 1.0 / (1.0 + sig ** 2)
    return model.vp_output(x_in, a_bar, True, prediction_type), model.vp_output(x_in, a_bar, False, prediction_type)


def test_apg_default_formulation_is_not_the_papers_rule():
    """diffusers' default ``use_original_formulation=False`` is ``u + w * update``: at ``w = 1 + omega``
    it is cfgmft's rule plus ``update - Delta``, which is not zero unless ``eta = 1, r = 0``."""
    pc, pu = _one_step_predictions("sample")
    omega, eta, r = 2.0, 0.0, 0.05
    g = AdaptiveProjectedGuidance(guidance_scale=1.0 + omega, eta=eta, adaptive_projected_guidance_rescale=r * math.sqrt(D))
    g.set_state(step=0, num_inference_steps=1, timestep=None)
    theirs = g.forward(pc, pu).pred
    ours = parse_rule(f"apg:eta={eta},r={r}").combine(pc.numpy(), pu.numpy(), omega)
    # the rule in diffusers' own form: u + w * update, update the clipped, projected Delta
    c, u = pc.numpy(), pu.numpy()
    update = (ours - c) / omega
    np.testing.assert_allclose(theirs.numpy(), u + (1.0 + omega) * update, rtol=1e-12, atol=1e-12)
    assert np.abs(theirs.numpy() - ours).max() > 1e-2
    # with eta = 1 and no clipping the two forms coincide
    g1 = AdaptiveProjectedGuidance(guidance_scale=1.0 + omega, eta=1.0, adaptive_projected_guidance_rescale=0.0)
    g1.set_state(step=0, num_inference_steps=1, timestep=None)
    np.testing.assert_allclose(g1.forward(pc, pu).pred.numpy(), parse_rule("cfg").combine(c, u, omega), rtol=1e-12,
                               atol=1e-12)


def test_apg_on_an_eps_model_projects_on_eps_not_on_the_denoiser():
    """diffusers applies APG to the model's raw output: on an eps model it is the same formula on
    eps (projection on eps_c), which is a different rule from cfgmft's denoiser-space APG."""
    pc, pu = _one_step_predictions("epsilon")
    d_c, d_u = _one_step_predictions("sample")
    omega = 2.0
    g = AdaptiveProjectedGuidance(guidance_scale=omega, eta=0.0, adaptive_projected_guidance_rescale=0.0,
                                  use_original_formulation=True)
    g.set_state(step=0, num_inference_steps=1, timestep=None)
    theirs_eps = g.forward(pc, pu).pred.numpy()
    rule = parse_rule("apg:eta=0,r=0")
    # the same formula applied to eps (what diffusers does)
    np.testing.assert_allclose(theirs_eps, rule.combine(pc.numpy(), pu.numpy(), omega), rtol=1e-12, atol=1e-12)
    # cfgmft's rule acts on the denoiser: mapped to eps (eps = (x - D)/sigma, affine), it differs
    i = 6
    sig = float(_scheduler("sample").sigmas[i])
    xs = pc.numpy() * sig + d_c.numpy()  # eps = (xs - D)/sigma, xs common to both predictions
    ours_eps = (xs - rule.combine(d_c.numpy(), d_u.numpy(), omega)) / sig
    assert np.abs(theirs_eps - ours_eps).max() > 1e-2


def test_zerostar_scale_is_float32_with_1e_8():
    """diffusers' CFG-Zero* computes ``s* = <c, u>/(|u|^2 + 1e-8)`` in float32: equal to cfgmft's to
    float32 rounding, and exactly cfgmft's formula with that scale."""
    pc, pu = _one_step_predictions("epsilon")
    omega = 2.0
    g = ClassifierFreeZeroStarGuidance(guidance_scale=1.0 + omega, zero_init_steps=0)
    g.set_state(step=3, num_inference_steps=10, timestep=None)
    theirs = g.forward(pc, pu).pred.numpy()
    c, u = pc.numpy(), pu.numpy()
    c32, u32 = pc.float(), pu.float()
    s32 = ((c32 * u32).sum(1, keepdim=True) / ((u32 ** 2).sum(1, keepdim=True) + 1e-8)).double().numpy()
    np.testing.assert_allclose(theirs, s32 * u + (1.0 + omega) * (c - s32 * u), rtol=1e-13, atol=1e-13)
    ours = parse_rule("zerostar").combine(c, u, omega)
    rel = np.abs(theirs - ours).max() / np.abs(c).max()
    assert 0.0 < rel < 1e-6
    # and diffusers' default zero_init_steps = 1 zeroes the first step's prediction
    g0 = ClassifierFreeZeroStarGuidance(guidance_scale=1.0 + omega)
    g0.set_state(step=0, num_inference_steps=10, timestep=None)
    assert float(g0.forward(pc, pu).pred.abs().max()) == 0.0


# -- TabulatedGuidance: a diffusers guider of cfgmft's table and rule ---------------------------
from cfgmft.adapters.diffusers import TabulatedGuidance  # noqa: E402
from cfgmft.errors import ParameterError  # noqa: E402

#: rule -> the model output it is defined on (docs/guide/guidance-rules.md, "Mapping to diffusers")
GUIDER_RULES = {"cfg": "epsilon", "rescale:phi=0.7": "epsilon", "zerostar": "epsilon", "apg:eta=0,r=0.05": "sample"}


def _table():
    return GuidanceTable.from_schedule(SCHEDULE, "karras:30:0.002:80:7")


def _run_pipeline_protocol(model, guider, rule, prediction_type: str, seed: int = 5, n: int = N):
    """A scheduler loop that talks to ``guider`` as diffusers' modular denoise loop does
    (set_state, prepare_inputs, prepare_models/cleanup_models per batch, then guider(batches)),
    and checks each step against ``rule.combine`` at the table's omega for that step index."""
    sch = _scheduler(prediction_type)
    sig = [float(s) for s in sch.sigmas]
    omegas = [w - 1.0 for w in guider.w_per_step]
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((n, model.d), generator=gen, dtype=torch.float64) * float(sch.init_noise_sigma)
    worst, skipped = 0.0, 0
    for i, t in enumerate(sch.timesteps):
        guider.set_state(step=i, num_inference_steps=len(sch.timesteps), timestep=t)
        x_in = sch.scale_model_input(x, t)
        a_bar = 1.0 / (1.0 + sig[i] ** 2)
        batches = guider.prepare_inputs({"x_in": (x_in, x_in)})
        for b in batches:
            guider.prepare_models(model)
            cond = getattr(b, TabulatedGuidance._identifier_key) == "pred_cond"
            b.noise_pred = model.vp_output(b.x_in, a_bar, cond, prediction_type)
            guider.cleanup_models(model)
        skipped += len(batches) == 1
        pred = guider(batches)[0]
        pc = model.vp_output(x_in, a_bar, True, prediction_type)
        pu = model.vp_output(x_in, a_bar, False, prediction_type)
        ours = torch.from_numpy(rule.combine(pc.numpy(), pu.numpy(), omegas[i]))
        worst = max(worst, float((pred - ours).abs().max() / pc.abs().max()))
        x = sch.step(pred, t, x).prev_sample.to(torch.float64)
    return x, worst, skipped


@pytest.mark.parametrize("spec", sorted(GUIDER_RULES))
def test_tabulated_guidance_applies_the_rule_per_step_index(spec):
    ptype = GUIDER_RULES[spec]
    sch = _scheduler(ptype)
    guider = TabulatedGuidance.from_table(_table(), sigmas=sch.sigmas, rule=spec)
    assert len(guider.w_per_step) == STEPS
    x, worst, skipped = _run_pipeline_protocol(_model("finite"), guider, parse_rule(spec), ptype)
    assert worst <= (1e-6 if spec == "zerostar" else 1e-13), worst
    n_one = sum(w == 1.0 for w in guider.w_per_step)
    assert n_one > 0 and skipped == n_one  # w = 1: one (conditional) pass only
    assert torch.isfinite(x).all()


def test_tabulated_guidance_round_trips_through_save_pretrained(tmp_path):
    import json
    sch = _scheduler("sample")
    g = TabulatedGuidance.from_table(_table(), sigmas=sch.sigmas, rule="apg:eta=0,r=0.05", apg_momentum=-0.5)
    g.save_pretrained(tmp_path / "guider")
    cfg = json.loads((tmp_path / "guider" / "guider_config.json").read_text())
    assert cfg["_class_name"] == "TabulatedGuidance" and cfg["rule"] == "apg:eta=0,r=0.05"
    assert cfg["w_per_step"] == g.w_per_step and len(cfg["sigmas"]) == STEPS + 1
    g2 = TabulatedGuidance.from_pretrained(tmp_path / "guider")
    public = lambda c: {k: v for k, v in dict(c).items() if not k.startswith("_")}  # noqa: E731
    assert public(g2.config) == public(g.config)
    assert g2.rule == g.rule and g2.w_per_step == g.w_per_step and g2.apg_momentum == -0.5
    # and the loaded guider gives the same samples (APG's momentum, a grid-only option, included)
    model = _model("finite")

    def run(guider):
        s = _scheduler("sample")
        sig = [float(v) for v in s.sigmas]
        x = torch.randn((N, D), generator=torch.Generator().manual_seed(2), dtype=torch.float64) * float(s.init_noise_sigma)
        for i, t in enumerate(s.timesteps):
            guider.set_state(step=i, num_inference_steps=STEPS, timestep=t)
            x_in = s.scale_model_input(x, t)
            ab = 1.0 / (1.0 + sig[i] ** 2)
            guider.prepare_inputs({"x_in": (x_in, x_in)})  # APG's momentum buffer starts at step 0
            pc, pu = model.vp_output(x_in, ab, True, "sample"), model.vp_output(x_in, ab, False, "sample")
            x = s.step(guider.forward(pc, pu if guider.num_conditions == 2 else None).pred, t, x).prev_sample.double()
        return x

    assert torch.equal(run(g), run(g2))


def test_a_modular_pipeline_takes_the_guider():
    from diffusers.configuration_utils import FrozenDict
    from diffusers.modular_pipelines import ComponentSpec, InputParam, ModularPipelineBlocks, OutputParam

    class GuidedBlock(ModularPipelineBlocks):
        @property
        def expected_components(self):
            return [ComponentSpec("guider", ClassifierFreeGuidance, config=FrozenDict({"guidance_scale": 7.5}),
                                  default_creation_method="from_config")]

        @property
        def inputs(self):
            return [InputParam("x")]

        @property
        def intermediate_outputs(self):
            return [OutputParam("y")]

        def __call__(self, components, state):
            bs = self.get_block_state(state)
            bs.y = bs.x
            self.set_block_state(state, bs)
            return components, state

    pipe = GuidedBlock().init_pipeline()
    g = TabulatedGuidance.from_table(_table(), rule="rescale:phi=0.7")
    pipe.update_components(guider=g)
    assert pipe.guider is g
    # the pipeline's spec of the component rebuilds the same guider from its config
    again = ComponentSpec.from_component("guider", pipe.guider).create()
    assert isinstance(again, TabulatedGuidance) and again.w_per_step == g.w_per_step and again.rule == g.rule


def test_tabulated_guidance_bad_input():
    with pytest.raises(ParameterError, match="^rule: .*powerlaw has no diffusers class"):
        TabulatedGuidance(w_per_step=[2.0], rule="powerlaw:beta=0.5")
    with pytest.raises(ParameterError, match="^guidance: "):
        TabulatedGuidance(w_per_step=[2.0], rule="apg:eta=99")
    with pytest.raises(ParameterError, match="^w_per_step: "):
        TabulatedGuidance(w_per_step=[])
    with pytest.raises(ParameterError, match="^w_per_step: "):
        TabulatedGuidance(w_per_step=[2.0, float("nan")])
    with pytest.raises(ParameterError, match="^zero_init_steps: "):
        TabulatedGuidance(w_per_step=[2.0], rule="cfg", zero_init_steps=1)
    with pytest.raises(ParameterError, match="^apg_momentum: "):
        TabulatedGuidance(w_per_step=[2.0], rule="zerostar", apg_momentum=0.5)
    with pytest.raises(ParameterError, match="^sigmas: "):
        TabulatedGuidance(w_per_step=[2.0, 3.0], sigmas=[1.0, 0.0])
    g = TabulatedGuidance(w_per_step=[2.0, 3.0])
    with pytest.raises(ParameterError, match="^num_inference_steps: the guidance table has 2 steps"):
        g.set_state(step=0, num_inference_steps=3, timestep=None)
    with pytest.raises(ParameterError, match="^step: "):
        g.set_state(step=2, num_inference_steps=2, timestep=None)


# -- diffusers' run against cfgmft's discrete-grid prediction of the rule -----------------------
from cfgmft.solvers.discrete_grid import predict_discrete  # noqa: E402
from cfgmft.validation.estimators import estimate_observables  # noqa: E402

D_BIG = 256
N_BIG = 2000
#: allowed finite-d deviation c/d of each rule from the d -> infinity prediction: measured on this
#: schedule (omega from 3 down to -0.6) with |mu_c|^2 = d, CFG-Zero*'s variance ratio is about 1.7/d
#: above it (d = 256 and 1024) and its mean overlap about 0.4/d below
FINITE_D_C = {"cfg": 0.0, "rescale:phi=0.7": 1.5, "apg:eta=0,r=0.05": 1.5, "zerostar": 3.0}


@pytest.mark.parametrize("spec", sorted(GUIDER_RULES))
def test_diffusers_run_matches_the_discrete_grid_prediction_of_the_rule(spec):
    """The infinite-class limit (gaussian prior) at d = 256: diffusers' scheduler with the guider of
    the rule against cfgmft's discrete-grid theory of the rule on the scheduler's grid (the
    d -> infinity theory; a rule other than cfg is nonlinear in x, so at finite d the law is not
    Gaussian: allowed 3 standard errors plus ``FINITE_D_C / d``)."""
    ptype = GUIDER_RULES[spec]
    sch = _scheduler(ptype)
    grid = "sigmas:" + ",".join(repr(float(v)) for v in sch.sigmas)
    guider = TabulatedGuidance.from_table(GuidanceTable.from_schedule(SCHEDULE, grid), rule=spec)
    mu = np.random.default_rng(8).standard_normal(D_BIG)
    mu *= math.sqrt(D_BIG) / np.linalg.norm(mu)  # |mu_c|^2 = d, as the theory has it (the rules use norms)
    model = ExactMixtureDenoiser(None, SIGMA2, target=mu)
    x, worst, _ = _run_pipeline_protocol(model, guider, parse_rule(spec), ptype, seed=21, n=N_BIG)
    est = estimate_observables(x.numpy(), mu, SIGMA2)
    pred = predict_discrete("gaussian", SIGMA2, SCHEDULE, "euler", grid, start="edm", rule=spec)
    slack = FINITE_D_C[spec] / D_BIG
    assert abs(est.m.value - pred["m_final"]) <= 3 * est.m.stderr + slack, (spec, est.m, pred["m_final"])
    assert abs(est.var_ratio.value - pred["var_ratio"]) <= 3 * est.var_ratio.stderr + slack, \
        (spec, est.var_ratio, pred["var_ratio"])


# -- the grid-only options: cfgmft's grid Monte Carlo against diffusers' own classes --------------
from cfgmft.grids import sigma_grid  # noqa: E402
from cfgmft.updates import step_omegas  # noqa: E402
from cfgmft.validation.discrete import _BlockNoise, sample_on_grid  # noqa: E402
from cfgmft.validation.mixture import as_seed_sequence  # noqa: E402
from cfgmft.validation.scores import FiniteMixture  # noqa: E402


def _grid_of(sch) -> str:
    return "sigmas:" + ",".join(repr(float(v)) for v in sch.sigmas)


def _diffusers_loop(guider, scale_of, prediction_type: str, seed: int):
    """diffusers' Euler scheduler with ``guider`` (one instance for the whole run: its momentum buffer and
    step count carry over), started from cfgmft's own start noise of ``seed`` (the block streams of
    :func:`cfgmft.validation.discrete.sample_on_grid`), so that both runs see the same noise."""
    rng = np.random.default_rng(3)
    means = draw_means(32, D, "gaussian", rng)
    model = ExactMixtureDenoiser(means, SIGMA2, target=0)
    sch = _scheduler(prediction_type)
    grid = _grid_of(sch)
    omegas = step_omegas(sigma_grid(grid), SCHEDULE)
    sig = [float(s) for s in sch.sigmas]
    start = sig[0] * _BlockNoise(as_seed_sequence(seed), 0, N, 256, D).draw()
    x = torch.from_numpy(start.copy())
    for i, t in enumerate(sch.timesteps):
        guider.guidance_scale = scale_of(float(omegas[i]))
        guider.set_state(step=i, num_inference_steps=STEPS, timestep=t)
        x_in = sch.scale_model_input(x, t)
        guider.prepare_inputs({"x_in": (x_in, x_in)})  # APG's momentum buffer starts at step 0
        a_bar = 1.0 / (1.0 + sig[i] ** 2)
        pc = model.vp_output(x_in, a_bar, True, prediction_type)
        pu = model.vp_output(x_in, a_bar, False, prediction_type)
        pred = guider.forward(pc, pu if guider.num_conditions == 2 else None).pred
        x = sch.step(pred, t, x).prev_sample.to(torch.float64)
    return x.numpy(), FiniteMixture(means, SIGMA2), means[0], grid


#: cfgmft rule with a grid-only option -> (diffusers guider, its scale at omega, the model's prediction type)
GRID_OPTION_CASES = {
    "apg:eta=0,r=0.05,momentum=-0.5": (
        lambda: AdaptiveProjectedGuidance(guidance_scale=1.0, adaptive_projected_guidance_momentum=-0.5, eta=0.0,
                                          adaptive_projected_guidance_rescale=0.05 * math.sqrt(D),
                                          use_original_formulation=True), lambda om: om, "sample"),
    "apg:eta=0.5,r=0,momentum=0.3": (
        lambda: AdaptiveProjectedGuidance(guidance_scale=1.0, adaptive_projected_guidance_momentum=0.3, eta=0.5,
                                          adaptive_projected_guidance_rescale=0.0, use_original_formulation=True),
        lambda om: om, "sample"),
    "zerostar:zero_init=3": (lambda: ClassifierFreeZeroStarGuidance(guidance_scale=1.0, zero_init_steps=3),
                             lambda om: 1.0 + om, "epsilon"),
}


@pytest.mark.parametrize("spec", sorted(GRID_OPTION_CASES))
def test_the_grid_monte_carlo_with_momentum_or_zero_init_equals_diffusers(spec):
    """cfgmft's grid Monte Carlo (sample_on_grid, euler, on the scheduler's grid) with APG's momentum or
    CFG-Zero*'s zero-init against diffusers' AdaptiveProjectedGuidance(adaptive_projected_guidance_momentum=M)
    and ClassifierFreeZeroStarGuidance(zero_init_steps=N) in diffusers' Euler loop, on the same start noise:
    the same samples up to the scheduler's float32 state (and CFG-Zero*'s float32 scale)."""
    make, scale_of, ptype = GRID_OPTION_CASES[spec]
    theirs, mix, mu_c, grid = _diffusers_loop(make(), scale_of, ptype, seed=11)
    ours, *_ = sample_on_grid(mix, mu_c, SIGMA2, SCHEDULE, grid, "euler", n=N, rng=11, rule=spec)
    scale = float(np.abs(ours).max())
    assert np.abs(theirs - ours).max() <= 1e-5 * scale, (spec, np.abs(theirs - ours).max(), scale)
    # not vacuous: without the option the samples differ
    plain = parse_rule(spec.rsplit(",momentum", 1)[0] if "momentum" in spec else "zerostar")
    other, *_ = sample_on_grid(mix, mu_c, SIGMA2, SCHEDULE, grid, "euler", n=N, rng=11, rule=plain)
    assert np.abs(other - ours).max() > 1e-3 * scale  # 100 times the agreement above


def test_tabulated_guidance_takes_the_rule_and_its_options_from_the_exported_table(tmp_path):
    import json

    from cfgmft.commands.schedule import export

    sch = _scheduler("sample")
    path = tmp_path / "table.json"
    path.write_text(json.dumps(export(SCHEDULE, "karras:30:0.002:80:7", rule="apg:eta=0,r=0.05,momentum=-0.5")))
    g = TabulatedGuidance.from_table(path, sigmas=sch.sigmas)
    assert g.rule == parse_rule("apg:eta=0,r=0.05,momentum=-0.5") and g.apg_momentum == -0.5
    assert g.inner.adaptive_projected_guidance_momentum == -0.5
    # an explicit rule still wins over the file's; the file's zero-init becomes diffusers' zero_init_steps
    assert TabulatedGuidance.from_table(path, sigmas=sch.sigmas, rule="cfg").rule == parse_rule("cfg")
    path.write_text(json.dumps(export(SCHEDULE, "karras:30:0.002:80:7", rule="zerostar:zero_init=2")))
    g = TabulatedGuidance.from_table(path, sigmas=_scheduler("epsilon").sigmas)
    assert g.zero_init_steps == 2 and g.inner.zero_init_steps == 2
    g.save_pretrained(tmp_path / "guider")
    g2 = TabulatedGuidance.from_pretrained(tmp_path / "guider")
    assert g2.rule == g.rule and g2.zero_init_steps == 2
    with pytest.raises(ParameterError, match="^zero_init_steps: "):
        TabulatedGuidance(w_per_step=[2.0, 2.0, 2.0], rule="zerostar:zero_init=2", zero_init_steps=1)
    with pytest.raises(ParameterError, match="^apg_momentum: "):
        TabulatedGuidance(w_per_step=[2.0], rule="apg:eta=0,r=0,momentum=-0.5", apg_momentum=0.5)
