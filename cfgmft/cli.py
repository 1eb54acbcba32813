"""Command-line interface: ``cfgmft`` (console script) and ``python -m cfgmft``.

Contract: bad input of any kind gets one line on stderr naming the argument and exit
code 2, never a traceback. Heavy modules (sympy, matplotlib) are imported only by the
commands that need them, so ``cfgmft theory`` answers quickly.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys

from . import CONVENTION, __version__
from .errors import InfeasibleError, NumericalError, ParameterError, check_int, check_real
from .sweep import UnitFailed
from .ranges import ALPHA_MAX, D_MAX, DEFAULT_STEPS, DEFAULT_TOL, OMEGA_MAX, OMEGA_MIN, SIGMA2_MAX, SIGMA2_MIN, TIME_MAX, TOL_MAX, TOL_MIN

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit code 2."""

    def error(self, message):  # noqa: D401 - argparse API
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        sys.exit(EXIT_BAD_INPUT)


# -- argument types: the checks of cfgmft.errors with the ranges of cfgmft.ranges ------------

def _real(lo=None, hi=None, lo_open=False, allow_inf=False):
    """An argparse type: a float checked by :func:`check_real`; ``allow_inf`` also takes
    ``inf`` (for ``--T``: the limit)."""
    def parse(text):
        if allow_inf and text.strip().lower() in ("inf", "infinity", "+inf"):
            return math.inf
        try:
            return check_real("x", text, lo=lo, hi=hi, lo_open=lo_open)
        except ParameterError as e:
            msg = str(e).removeprefix("x: ")
            raise argparse.ArgumentTypeError(msg + (" (or 'inf')" if allow_inf else "")) from None
    return parse


def _int(lo, hi=None):
    def parse(text):
        try:
            return check_int("x", text, lo=lo, hi=hi)
        except ParameterError as e:
            raise argparse.ArgumentTypeError(str(e).removeprefix("x: ")) from None
    return parse


def _classes(text):
    if text.strip().lower() in ("inf", "infinity"):
        return math.inf
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 2 or 'inf', got {text!r}") from None
    if n < 2:
        raise argparse.ArgumentTypeError(f"must be an integer >= 2 or 'inf' (K < 2 has no guidance), got {text!r}")
    return n


def _schedule(text):
    from .schedules import parse_schedule

    try:
        return parse_schedule(text)
    except ParameterError as e:
        msg = str(e).removeprefix("schedule: ")
        raise argparse.ArgumentTypeError(msg.removeprefix("schedule ") if msg.startswith("schedule ") else msg) from None


def _rule(text):
    from .guidance import parse_rule

    try:
        return parse_rule(text)
    except ParameterError as e:
        raise argparse.ArgumentTypeError(str(e).removeprefix("guidance: ")) from None


def _rules_help() -> str:
    from .guidance import RULES_TEXT

    return "cfg (default), " + RULES_TEXT.removeprefix("cfg, ")


#: the rule grammar of every --guidance help (one source: cfgmft.guidance.RULES_TEXT)
_RULES_HELP = _rules_help()


def _sigma_grid(text):
    from .grids import sigma_grid

    try:
        return sigma_grid(text)
    except ParameterError as e:
        raise argparse.ArgumentTypeError(str(e).removeprefix("sigma_grid").lstrip(": ")) from None


def _add_grid_args(p: argparse.ArgumentParser, what: str) -> None:
    """``--grid``, ``--update`` and ``--start`` of ``theory`` and ``simulate``."""
    from .updates import STARTS, UPDATES

    p.add_argument("--grid", type=_sigma_grid, default=None, metavar="karras:N:SMIN:SMAX[:RHO]|ddim:N[:T...]|sigmas:S1,...",
                   help=f"{what} on this sampler grid of EDM noise levels (N steps, then sigma = 0), started from "
                        "N(0, SMAX^2 I) in EDM's scale; needs --update; replaces --sampler, --T and --steps (docs: explanation/discrete-grids, "
                        "'Discrete grids and update rules')")
    p.add_argument("--update", choices=UPDATES, default=None,
                   help="update rule on --grid: euler (probability-flow ODE in sigma), heun (EDM, no churn), "
                        "ddim (eta = 0), ancestral (Euler ancestral, eta = 1)")
    p.add_argument("--start", choices=tuple(STARTS), default="edm",
                   help="the start on --grid: edm (default) xs ~ N(0, SMAX^2 I), as k-diffusion and diffusers' Euler "
                        "discrete; unit N(0, (1 + SMAX^2) I), i.e. x_T ~ N(0, I) in the VP scale, as diffusers' DDIM and "
                        "EDM schedulers")


def _add_search_grid_args(p: argparse.ArgumentParser, what: str) -> None:
    """``--grid`` and ``--update`` of the schedule searches (``schedule design``, ``frontier``,
    ``nogo``): the search's theory on the user's sampler grid; checked by the theory itself
    (:class:`cfgmft.solvers.schedule_search.TheoryModel`) before any work."""
    from .updates import UPDATES

    p.add_argument("--grid", default=None, metavar="karras:N:SMIN:SMAX[:RHO]|ddim:N[:T...]|sigmas:S1,...",
                   help=f"{what} on this sampler grid (EDM noise levels, mixture units): objective and constraint from "
                        "the discrete-grid theory on it (started from N(0, SMAX^2 I)); needs --update; replaces "
                        "--sampler and --T (both refused with it); every --guidance rule (APG's momentum: the Monte Carlo only)")
    p.add_argument("--update", choices=UPDATES, default=None,
                   help="the sampler's update rule on --grid: euler, heun, ddim (continuous-time limit: the ODE), "
                        "ancestral (the SDE)")


def _add_problem_args(p: argparse.ArgumentParser, guidance: bool = True, drawn_priors_only: bool = False,
                      dimension: bool = True) -> None:
    """The problem flags shared by ``theory``, ``simulate``, ``validate`` and the schedule
    commands; without ``guidance`` no ``--omega``/``--schedule`` (``schedule design`` finds the
    schedule); ``drawn_priors_only``: ``--prior`` offers gaussian and sphere only (the commands
    on the d -> infinity theory); without ``dimension`` no ``--d``."""
    if drawn_priors_only:
        p.add_argument("--prior", choices=("gaussian", "sphere"), default="gaussian",
                       help="prior of the class means (default: gaussian)")
    else:
        p.add_argument("--prior", choices=("gaussian", "sphere", "antipodal"), default="gaussian",
                       help="prior of the class means (default: gaussian); antipodal: the two classes +m, -m "
                            "(norm sqrt(d)), Monte Carlo only")
    p.add_argument("--sigma2", type=_real(SIGMA2_MIN, SIGMA2_MAX), default=1.0,
                   help=f"class variance sigma2 in [{SIGMA2_MIN:g}, {SIGMA2_MAX:g}] (default: 1)")
    k = p.add_mutually_exclusive_group()
    k.add_argument("--alpha", type=_real(0.0, ALPHA_MAX),
                   help=f"exponential regime K - 1 = e^(alpha d), alpha = 0 or in [1e-6, {ALPHA_MAX:g}]")
    k.add_argument("--classes", type=_classes, default=math.inf,
                   help="number of classes K >= 2, or 'inf' for the infinite-class limit (default: inf)")
    if dimension:
        p.add_argument("--d", type=_int(2, D_MAX), help="dimension d >= 2 (the d -> infinity theory does not need it)")
    if guidance:
        _add_guidance_args(p)
    p.add_argument("--sampler", choices=("sde", "ode"), default=None,  # None: sde (see _grid_replaces)
                   help="reverse SDE or probability-flow ODE (default: sde)")
    p.add_argument("--T", type=_real(0.0, TIME_MAX, lo_open=True, allow_inf=True), default=None,
                   help=f"start time of sampling in (0, {TIME_MAX:g}] (default: the T -> infinity limit)")


def _grid_replaces(args) -> None:
    """``--grid`` replaces ``--sampler`` and ``--steps`` (as ``--T``): given with it they would be
    ignored, so they are refused; then ``--sampler`` takes its default ``sde``."""
    if getattr(args, "grid", None) is not None:
        if getattr(args, "sampler", None) is not None:
            raise ParameterError("--sampler", "is set by --update on --grid (the rule's continuous-time limit): "
                                              "leave --sampler out with --grid")
        if getattr(args, "steps", None) is not None:
            raise ParameterError("--steps", "is set by --grid (its number of noise levels): leave --steps out with --grid")
        if getattr(args, "T", None) is not None:
            raise ParameterError("--T", "is set by --grid (its first noise level): leave --T out with --grid")
    if hasattr(args, "sampler") and args.sampler is None:
        args.sampler = "sde"


def _grid_options(args) -> None:
    """A rule's grid-only options (APG's momentum, CFG-Zero*'s zero-init) need --grid: refused
    otherwise, before any work."""
    from .guidance import check_continuous

    rule = getattr(args, "guidance", None)
    if rule is not None and getattr(args, "grid", None) is None:
        check_continuous(rule)


def _add_guidance_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--omega", type=_real(OMEGA_MIN, OMEGA_MAX),
                   help=f"constant guidance strength omega in [{OMEGA_MIN:g}, {OMEGA_MAX:g}] (guidance scale w = 1 + omega)")
    g.add_argument("--schedule", type=_schedule, metavar="SPEC",
                   help="guidance schedule, e.g. constant:2 or interval:2:0.3:1.5 (the grammar: "
                        "docs/reference/schedules.md, from the docstring of cfgmft.schedules)")
    p.add_argument("--guidance", type=_rule, default=None, metavar="RULE",
                   help="guidance rule: how the two predictions are combined at strength omega: " + _RULES_HELP +
                        " (cfgmft.guidance)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cfgmft", description="Statistical physics of classifier-free guidance on Gaussian mixtures.")
    parser.add_argument("--version", action="version", version=f"cfgmft {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    from .theory import DERIVATIONS  # the topics only: sympy is imported by the factories

    p = sub.add_parser("derive", help="print the derived equations and closed forms")
    p.add_argument("--format", choices=("text", "latex", "json"), default="text",
                   help="text (default), a standalone LaTeX document, or one JSON object")
    p.add_argument("--only", choices=tuple(DERIVATIONS), default=None,
                   help="print one topic only (default: all)")

    p = sub.add_parser("theory", help="the theory's prediction for one problem")
    _add_problem_args(p)
    p.add_argument("--finite-d", action="store_true",
                   help="also the finite-d prediction at --d (reduced stochastic model; needs --d, a finite K, "
                        "gaussian or sphere prior; 5-20 s; on --grid run by --update on that grid)")
    p.add_argument("--finite-d-samples", type=_int(200), default=20000,
                   help="samples of the reduced model of --finite-d (default: 20000; its standard errors are reported)")
    _add_grid_args(p, "the prediction")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("simulate", help="exact-score Monte Carlo of the guided sampler")
    _add_problem_args(p)
    p.add_argument("--samples", type=_int(2), default=4096, help="samples per mixture (default: 4096)")
    p.add_argument("--tol", type=_real(TOL_MIN, TOL_MAX), default=None,
                   help=f"absolute tolerance on the step error of E[m] and the variance ratio, in [{TOL_MIN:g}, "
                        f"{TOL_MAX:g}]: the number of steps is chosen by a pilot of 256 samples, which cannot resolve "
                        f"a smaller step error (default: {DEFAULT_TOL:g}; exclusive with --steps, which fixes the count)")
    p.add_argument("--steps", type=_int(1), default=None,
                   help="a fixed number of integration steps instead of --tol (exclusive with --tol)")
    p.add_argument("--stages", type=int, choices=(1, 2), default=None,
                   help="posterior evaluations per step: 1 (multistep) or 2 (predictor-corrector, weak order 2 for "
                        "the SDE); default: 2 for the SDE under --tol, 1 otherwise")
    p.add_argument("--disorder", type=_int(1), default=1,
                   help="independent draws of the class means (default: 1)")
    p.add_argument("--seed", type=_int(0), default=0, help="random seed (default: 0)")
    p.add_argument("--precision", choices=("float64", "float32"), default="float64",
                   help="arithmetic of the sums over classes: float64 (default) or float32 (finite K only; "
                        "float32 means and products, float64 accumulators, sampler and estimators)")
    p.add_argument("--backend", choices=("numpy", "torch"), default="numpy",
                   help="array backend of the sums over classes: numpy (default) or torch (needs torch: "
                        "pip install 'cfgmft[diffusers]'; finite K only)")
    p.add_argument("--device", default=None, metavar="cpu|cuda|cuda:N",
                   help="torch device of --backend torch (default: cpu)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS|local:N",
                   help="shard the classes across a dask.distributed cluster (an address, or local:N worker "
                        "processes); each worker keeps its shard and returns its partial sums every step")
    _add_grid_args(p, "run the exact-score sampler")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("validate", help="Monte Carlo at several d against the d -> infinity theory")
    _add_problem_args(p, dimension=False)
    p.add_argument("--dims", required=True, metavar="D1,D2,...", help="dimensions, e.g. 8,16,32,64")
    p.add_argument("--samples", type=_int(2), default=4096, help="samples per mixture (default: 4096)")
    p.add_argument("--steps", type=_int(1), default=DEFAULT_STEPS,
                   help=f"integration steps, fixed (default: {DEFAULT_STEPS}, within 1e-3 of step error on the cases "
                        "measured; cfgmft simulate chooses them by --tol instead)")
    p.add_argument("--disorder", type=_int(1), default=1, help="mixtures per dimension (default: 1)")
    p.add_argument("--seed", type=_int(0), default=0, help="random seed (default: 0)")
    p.add_argument("--out", default="results/validate",
                   help="output folder (default: results/validate); finished units go to OUT/units as they complete")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS|local:N",
                   help="run the dimensions on a dask.distributed cluster (an address, or local:N workers)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in OUT without recomputing finished units")
    p.add_argument("--no-finite-d", action="store_true",
                   help="skip the finite-d prediction (reduced model, about 5-20 s per dimension)")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("phase-diagram", help="mean-field phase diagram over alpha and omega (or sigma2), or a 1-D "
                                             "scan over alpha, with the critical line alpha_c")
    p.add_argument("--alpha", required=True, metavar="START:STOP:NUM",
                   help="alpha grid, inclusive like linspace, alpha > 0 (e.g. 0.02:1:101)")
    p.add_argument("--omega", default="2", metavar="W|START:STOP:NUM",
                   help="omega grid or fixed value (default: 2); with --omega and --sigma2 both fixed values, a 1-D "
                        "scan over alpha")
    p.add_argument("--sigma2", default="1", metavar="S|START:STOP:NUM", help="sigma2 grid or fixed value (default: 1)")
    p.add_argument("--prior", choices=("gaussian", "sphere"), default="gaussian",
                   help="prior of the means (default: gaussian)")
    p.add_argument("--sampler", choices=("sde", "ode"), default="sde", help="default: sde")
    p.add_argument("--T", type=_real(0.0, TIME_MAX, lo_open=True, allow_inf=True), default=None,
                   help=f"start time in (0, {TIME_MAX:g}] (default: the T -> infinity limit)")
    p.add_argument("--guidance", type=_rule, default=None, metavar="RULE",
                   help="guidance rule: " + _RULES_HELP)
    p.add_argument("--out", default="results/phase_diagram", help="output folder (default: results/phase_diagram)")
    p.add_argument("--figures", action="store_true",
                   help="also draw the PNG figures (one per map; scan.png for a 1-D scan); the data files are the result")
    p.add_argument("--json", action="store_true", help="print one JSON object (phase_diagram.json's content)")

    p = sub.add_parser("schedule", help="guidance schedules: evaluate, design, frontier, nogo, export")
    ssub = p.add_subparsers(dest="schedule_command", metavar="ACTION", parser_class=_Parser)
    ssub.required = True
    p = ssub.add_parser("evaluate", help="what a schedule does: theory, finite-d model and Monte Carlo side by side")
    _add_problem_args(p)
    _add_grid_args(p, "the theory and the Monte Carlo")
    p.add_argument("--finite-d", action="store_true",
                   help="also the finite-d model at --d (needs --d and a finite K; on --grid run by --update on that grid)")
    p.add_argument("--finite-d-samples", type=_int(200), default=20000,
                   help="samples of the reduced model of --finite-d (default: 20000)")
    p.add_argument("--simulate", action="store_true", help="also exact-score Monte Carlo at --d")
    p.add_argument("--against", default=None, metavar="SCHEDULE",
                   help="with --simulate: a second schedule on common random numbers, and the paired difference")
    p.add_argument("--samples", type=_int(2), default=4096, help="Monte Carlo samples per mixture (default: 4096)")
    p.add_argument("--steps", type=_int(1), default=None,
                   help=f"Monte Carlo integration steps, fixed (default: {DEFAULT_STEPS}; cfgmft simulate chooses them "
                        "by --tol instead; --grid sets them)")
    p.add_argument("--disorder", type=_int(1), default=1, help="Monte Carlo draws of the class means (default: 1)")
    p.add_argument("--seed", type=_int(0), default=0, help="random seed (default: 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = ssub.add_parser("design", help="the schedule that maximises separability with the variance ratio in a band")
    _add_problem_args(p, guidance=False, drawn_priors_only=True)
    _add_search_grid_args(p, "design")
    p.add_argument("--peak", required=True, type=float, metavar="W",
                   help="peak guidance W in (0, 100] (negwin/negramp: the guidance before the window)")
    p.add_argument("--variance-band", default="0.98:1.02", metavar="LO:HI",
                   help="the band of v_perp/sigma2 the design must meet, 0 < LO < HI (default: 0.98:1.02)")
    p.add_argument("--family", default="negwin", metavar="NAME",
                   help="negwin (default), negramp, or a non-negative family: constant, interval, linear_up, "
                        "linear_down, cosine_up, cosine_down, lhl, table")
    p.add_argument("--global", dest="n_global", type=_int(1, 65536), default=64, metavar="N",
                   help="points of the global Sobol scan (default: 64)")
    p.add_argument("--t-max", type=_real(0.1, 50.0), default=3.0,
                   help="largest time a schedule parameter ranges over (default: 3)")
    p.add_argument("--finite-d-samples", type=_int(200), default=4000,
                   help="samples of the finite-d model in the design at --d (default: 4000; about a second per "
                        "candidate, about 100 candidates)")
    p.add_argument("--guidance", type=_rule, default=None, metavar="RULE",
                   help="the guidance rule the schedule is designed for: " + _RULES_HELP +
                        " (the d -> infinity theory, then the rule's finite-d model at --d)")
    p.add_argument("--seed", type=_int(0), default=0, help="seed of the scan and of the finite-d model (default: 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = ssub.add_parser("frontier", help="per family, the largest separability with the variance ratio above each "
                                         "floor (the trade-off, in the theory)")
    _add_problem_args(p, guidance=False, drawn_priors_only=True, dimension=False)
    _add_search_grid_args(p, "the frontier")
    p.add_argument("--peak", required=True, type=float, metavar="W",
                   help="peak guidance W in (0, 100] (negwin/negramp: the guidance before the window; the others: the "
                        "largest strength)")
    p.add_argument("--families", default=None, metavar="F1,F2,...",
                   help="the families (default: all): negwin, negramp, constant, interval, linear_up, linear_down, "
                        "cosine_up, cosine_down, lhl, table")
    p.add_argument("--floors", default=None, metavar="START:STOP:NUM",
                   help="the variance floors, 0 < START < STOP <= 100, 2 <= NUM <= 200 (default: 9 from constant "
                        "CFG's variance ratio to 1, then two steps above 1)")
    p.add_argument("--global", dest="n_global", type=_int(1, 65536), default=64, metavar="N",
                   help="points of the global Sobol scan per floor (default: 64)")
    p.add_argument("--maxiter", type=_int(1, 100000), default=40, help="COBYLA iterations per floor (default: 40)")
    p.add_argument("--guidance", type=_rule, default=None, metavar="RULE",
                   help="the guidance rule: " + _RULES_HELP)
    p.add_argument("--t-max", type=_real(0.1, 50.0), default=3.0,
                   help="largest time a schedule parameter ranges over (default: 3)")
    p.add_argument("--seed", type=_int(0), default=0, help="seed of the scan (default: 0)")
    p.add_argument("--simulate", action="store_true",
                   help="also exact-score Monte Carlo of every feasible point's schedule at --d (on --grid with "
                        "--update where given, continuous time otherwise)")
    p.add_argument("--d", type=_int(2, D_MAX), default=None, help="dimension of --simulate's Monte Carlo")
    p.add_argument("--samples", type=_int(2), default=4096, help="Monte Carlo samples per mixture (default: 4096)")
    p.add_argument("--disorder", type=_int(1), default=1, help="Monte Carlo draws of the class means (default: 1)")
    p.add_argument("--out", default="results/schedule_frontier",
                   help="output folder for frontier.json and frontier.png (default: results/schedule_frontier)")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = ssub.add_parser("nogo", help="claim C5: the largest variance ratio of each non-negative family, per regime")
    p.add_argument("--guidance", type=_rule, default=None, metavar="RULE",
                   help="the guidance rule: " + _RULES_HELP)
    p.add_argument("--quick", action="store_true", help="a smaller search, without the sphere continuum (about a minute)")
    _add_search_grid_args(p, "the search")
    p.add_argument("--global", dest="n_global", type=_int(1, 65536), default=None, metavar="N",
                   help="points of the global Sobol scan per family (default: 64, quick 16)")
    p.add_argument("--seed", type=_int(0), default=0, help="seed of the scan (default: 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    from .updates import UPDATES

    p = ssub.add_parser("export", help="the per-step guidance table of a schedule on a sampler's sigma grid")
    p.add_argument("--schedule", type=_schedule, metavar="SPEC",
                   help="the schedule (the grammar: docs/reference/schedules.md); with --design, the design's by default")
    p.add_argument("--grid", required=True, metavar="karras:N:SMIN:SMAX[:RHO]|ddim:N[:T...]|sigmas:S1,S2,...",
                   help="the sampler's noise levels (EDM sigma, in the data's units)")
    p.add_argument("--data-scale", type=_real(1e-6, 1e6), default=1.0,
                   help="standard deviation of the data per coordinate over the mixture's (default: 1)")
    p.add_argument("--format", choices=("json", "csv"), default="json", help="json (default) or csv")
    p.add_argument("--guidance", type=_rule, default=None, metavar="RULE",
                   help="the guidance rule the table is for, recorded in it (guidance, guidance_json; read back by "
                        "TabulatedGuidance.from_table): " + _RULES_HELP)
    p.add_argument("--design", metavar="FILE",
                   help="the design the schedule comes from (cfgmft schedule design --json saved to FILE): the table "
                        "is predicted on its grid, and a one-line warning goes to stderr (and 'grid_check' into the "
                        "JSON) where the variance ratio or the mean there leave the design's by more than half its band")
    p.add_argument("--update", choices=UPDATES, default=None,
                   help="the sampler's update rule for --design's check (default: euler for an ODE design, "
                        "ancestral for an SDE one)")

    p = sub.add_parser("reproduce", help="reproduce the paper's claims: report.md and figures")
    p.add_argument("--quick", action="store_true", help="smaller Monte Carlo (about 6 CPU-minutes; the full run is larger)")
    p.add_argument("--out", default="results/reproduce", help="output folder (default: results/reproduce)")
    p.add_argument("--seed", type=_int(0), default=20260223, help="random seed (default: 20260223)")
    p.add_argument("--force", action="store_true",
                   help="recompute the selected claims even where OUT/claims/ holds their saved records")
    p.add_argument("--only", default=None, metavar="C2,C6",
                   help="run only these claims (comma-separated, from C1..C7); the report keeps the others' saved sections")
    p.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # tests of the resume machinery
    for name in QUIET_COMMANDS:
        sp = sub.choices[name.split()[0]]
        if " " in name:
            sp = next(a for a in sp._actions if isinstance(a, argparse._SubParsersAction)).choices[name.split()[1]]
        sp.add_argument("--quiet", action="store_true",
                        help="no progress on standard error (default: a bar with the total and ETA on a terminal, "
                             "one line per stage otherwise)")
    return parser


#: the commands that can run for more than a few seconds: progress on standard error, --quiet silences it
QUIET_COMMANDS = ("simulate", "validate", "phase-diagram", "reproduce", "schedule evaluate", "schedule nogo",
                  "schedule frontier", "schedule design")


# -- commands -------------------------------------------------------------------------------

def _problem_from_args(args, d=None):
    """The problem of the command line (at dimension ``d`` instead of ``--d`` when given)."""
    from .params import Guidance, Mixture, Problem, Sampler

    mixture = Mixture(sigma2=args.sigma2, prior=args.prior,
                      classes=None if args.alpha is not None else args.classes,
                      alpha=args.alpha, d=getattr(args, "d", None) if d is None else d)
    rule = getattr(args, "guidance", None)
    guidance = (Guidance(omega=args.omega, rule=rule) if args.omega is not None
                else Guidance(schedule=args.schedule, rule=rule))
    steps = getattr(args, "steps", None)
    sampler = Sampler(kind=args.sampler, T=args.T, **({"steps": steps} if steps is not None else {}))
    return Problem(mixture, guidance, sampler)


def cmd_simulate(args) -> int:
    from .api import simulate

    if args.tol is not None and args.steps is not None:
        raise ParameterError("--tol", f"cannot be given with --steps: give --tol in [{TOL_MIN:g}, {TOL_MAX:g}] "
                                      "(absolute step error) or --steps >= 1, not both")
    tol = DEFAULT_TOL if args.steps is None and args.tol is None and args.grid is None else args.tol
    problem = _problem_from_args(args)
    result = simulate(problem, samples=args.samples, disorder=args.disorder, seed=args.seed,
                      precision=args.precision, progress=not args.quiet, grid=args.grid, update=args.update,
                      start=args.start, tol=tol, backend=args.backend, device=args.device, scheduler=args.scheduler,
                      stages=args.stages)
    if args.json:
        from .io import to_jsonable

        print(json.dumps(to_jsonable(result), indent=2, allow_nan=False))
        return 0
    lines = [f"cfgmft {result['version']} simulate: d = {result['d']}, K = {result['K']}, prior {result['prior']}, "
             f"sigma2 = {result['sigma2']:g}, {result['schedule_spec']}, {result['sampler']}, "
             f"{result['samples']} samples x {result['disorder']} mixture(s), {result['steps']} steps from T = {result['T']:g}",
             f"  convention: {result['convention']}; precision {result['precision']}; sums over classes on "
             f"{result['backend']} ({result['device']}); stderr: {result['stderr_convention']}"]
    if result.get("step_control"):
        sc = result["step_control"]
        lines.append(f"  steps chosen for --tol {sc['tol']:g} (step error of E[m] and var_ratio, {result['stages']} "
                     f"evaluation(s) per step): "
                     f"{', '.join(map(str, sc['steps_per_draw']))}; estimated bound {max(sc['error_bound_per_draw']):.2g}; "
                     f"pilot {sc['pilot_samples']} samples ({sc['pilot_precision']} sums), {sc['pilot_seconds']:.2f} s")
    elif result.get("grid"):
        lines.append(f"  the sampler grid fixes the steps ({result['steps']}): its discretisation is part of the result")
    else:
        lines.append(f"  fixed --steps {result['steps']}: step error not controlled")
    lines.append("")
    if result.get("grid"):
        lines.insert(1, f"  grid {result['grid']}, update {result['update']}: {result['update_formula']}")
    for key in ("m_final", "mean_shift", "var_ratio", "var_ratio_parallel", "var_m", "kl_per_dim", "accuracy", "margin",
                "log_odds"):
        v = result.get(key)
        text = "n/a" if v is None else f"{v['mean']:.6g} +- {v['stderr']:.2g}"
        if key == "accuracy" and result.get("accuracy_wilson95"):
            lo, hi = result["accuracy_wilson95"]
            text = f"{v['mean']:.6g}, 95% Wilson interval [{lo:.5g}, {hi:.5g}]"
        lines.append(f"  {key:<18} " + text)
    lines.append(f"  sampling took {result['seconds_sampling']:.2f} s")
    if result.get("step_control"):
        sc = result["step_control"]
        lines[-1] += (f"; the --tol pilot took {sc['pilot_seconds']:.2f} s before it "
                      f"(--steps {result['steps']} reruns this without the pilot)")
    print("\n".join(lines))
    return 0


def cmd_theory(args) -> int:
    from .api import predict

    problem = _problem_from_args(args)
    result = predict(problem, grid=args.grid, update=args.update, start=args.start)
    if args.finite_d:
        from .api import predict_finite_d

        # on --grid the reduced model is run by --update on that grid, as the theory is
        fd = predict_finite_d(problem, samples=args.finite_d_samples, grid=args.grid, update=args.update,
                              start=args.start)
        result["finite_d"] = {k: fd[k] for k in ("method", "d", "K", "samples", "steps", "seed", "m_final", "mean_shift",
                                                 "var_ratio", "var_ratio_parallel")}
    if args.json:
        print(json.dumps(result, indent=2, allow_nan=False))
    else:
        print(format_prediction(result))
        if args.finite_d:
            f = result["finite_d"]
            print(f"  finite-d prediction at d = {f['d']}, K = {f['K']} ({f['method']}; {f['samples']} model samples):")
            for k in ("m_final", "var_ratio", "var_ratio_parallel"):
                print(f"    {k:<20} {f[k]['mean']:.5f} +- {f[k]['stderr']:.2g}")
    return 0


def format_prediction(r: dict) -> str:
    """A readable table of a prediction (the JSON object of ``cfgmft theory --json``)."""
    T = "infinity (limit)" if r["T"] is None else f"{r['T']:g}"
    scale = "" if r["omega"] is None else f"   (guidance scale w = 1 + omega = {1 + r['omega']:g})"
    if r.get("guidance", "cfg") != "cfg":
        scale += f"; rule {r['guidance']}"
    lines = [
        f"cfgmft {r['version']} theory: {r['theory']}",
        f"  prior {r['prior']}, sigma2 = {r['sigma2']:g}, classes = {r['classes']}, sampler = {r['sampler']}, T = {T}",
        f"  guidance {r['schedule_spec']}{scale}",
        f"  convention: {r['convention']}; {r['precision']}; method: {r['method']}",
        *([f"  grid {r['grid']} ({r['steps']} steps), update {r['update']}"] if r.get("grid") else []),
        "",
        f"  {'quantity':<12} {'value':>20}   meaning",
    ]
    meaning = {
        "m_final": "E[m], m = x.mu_c/|mu_c|^2 (exact sampling: 1)",
        "mean_shift": "E[m] - 1",
        "var_ratio": "v_perp / sigma2 (exact sampling: 1)",
        "kl_per_dim": "KL(generated || target) / d",
        "t_commit": "commitment time",
        "t_condense": "condensation time",
        "t_collapse": "collapse time",
        "margin": "log-likelihood margin per dimension",
        "log_odds": "separability: (log P_0(x|c) - log P_0(x))/d (infinite-class limit)",
    }
    for key, text in meaning.items():
        v = r.get(key)
        val = "n/a" if v is None else f"{v:.12g}"
        lines.append(f"  {key:<12} {val:>20}   {text}")
    for note in r.get("notes", []):
        lines.append(f"  note: {note}")
    return "\n".join(lines)


def cmd_derive(args) -> int:
    from .theory import derivations

    ders = derivations(args.only)
    if args.format == "json":
        print(json.dumps({"version": __version__, "convention": CONVENTION,
                          "derivations": [d.to_dict() for d in ders]}, indent=2))
    elif args.format == "latex":
        body = "\n\n".join(d.to_latex() for d in ders)
        print("\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage[margin=2cm]{geometry}\n"
              f"\\begin{{document}}\n% cfgmft {__version__}; convention: {CONVENTION}\n{body}\n\\end{{document}}")
    else:
        print(f"cfgmft {__version__}: derived equations and closed forms; convention {CONVENTION}\n")
        print("\n\n".join(d.to_text() for d in ders))
    return 0


def cmd_schedule_evaluate(args) -> int:
    from .commands.schedule import evaluate, format_evaluation

    problem = _problem_from_args(args)
    against = None
    if args.against is not None:
        from .schedules import parse_schedule

        try:
            against = parse_schedule(args.against)
        except ParameterError as e:
            raise ParameterError("--against", str(e).split(": ", 1)[-1]) from None
    result = evaluate(problem, finite_d=args.finite_d, finite_d_samples=args.finite_d_samples,
                      monte_carlo=args.simulate, samples=args.samples, disorder=args.disorder, seed=args.seed,
                      progress=not args.quiet, grid=args.grid, update=args.update, start=args.start, against=against)
    if args.json:
        from .io import to_jsonable

        print(json.dumps(to_jsonable(result), indent=2, allow_nan=False))
    else:
        print(format_evaluation(result))
    return 0


def cmd_schedule_design(args) -> int:
    from .commands.schedule_design import design, format_design
    from .params import Mixture, Sampler

    mixture = Mixture(sigma2=args.sigma2, prior=args.prior, classes=None if args.alpha is not None else args.classes,
                      alpha=args.alpha, d=args.d)
    from .progress import progress

    bars = {}

    def done(n, total, stage):  # one bar per stage: the finite-d stage's evaluations cost far more
        if stage not in bars:
            for b in bars.values():
                b.close()
            bars[stage] = progress(total=total, desc=f"cfgmft schedule design [{stage}]", unit="schedule",
                                   enabled=not args.quiet)
        bar = bars[stage]
        bar.update(n - bar.n)

    try:
        result = design(mixture, args.peak, Sampler(kind=args.sampler, T=args.T), band=args.variance_band,
                        family=args.family, seed=args.seed, n_global=args.n_global, t_max=args.t_max,
                        finite_d_samples=args.finite_d_samples, rule=args.guidance, grid=args.grid, update=args.update,
                        progress=done)
    finally:
        for b in bars.values():
            b.close()
    if args.json:
        from .io import to_jsonable

        print(json.dumps(to_jsonable(result), indent=2, allow_nan=False))
    else:
        print(format_design(result))
    return 0


def cmd_schedule_frontier(args) -> int:
    from .commands.schedule_frontier import format_frontier, run_frontier

    if args.alpha is not None:
        alpha = args.alpha
        if alpha == 0.0:
            raise ParameterError("--alpha", "must be > 0 (at alpha = 0 guidance is inert in the d -> infinity theory) "
                                            "or leave it out for the infinite-class limit")
    elif math.isinf(args.classes):
        alpha = math.inf
    else:
        raise ParameterError("--classes", f"the frontier's theory needs --classes inf or --alpha A > 0, got "
                                          f"{args.classes} (a finite K is alpha = log(K)/d at a dimension)")
    if args.prior not in ("gaussian", "sphere"):
        raise ParameterError("--prior", f"the frontier needs the gaussian or sphere prior, got {args.prior!r}")
    families = None if args.families is None else [f.strip() for f in args.families.split(",")]
    kw = {} if families is None else {"families": families}
    if args.simulate:
        if args.d is None:
            raise ParameterError("--d", "--simulate needs the Monte Carlo's dimension --d")
        kw["monte_carlo"] = {"d": args.d, "samples": args.samples, "disorder": args.disorder, "seed": args.seed}
    elif args.d is not None:
        raise ParameterError("--d", "is the dimension of --simulate's Monte Carlo: give --simulate with it (the "
                                    "frontier's theory is d -> infinity)")
    T = args.T if args.T is None or math.isfinite(args.T) else None
    from .progress import progress
    from .solvers.frontier import FRONTIER_FAMILIES

    total = len(FRONTIER_FAMILIES if families is None else families)
    with progress(total=total, desc="cfgmft schedule frontier", unit="family", enabled=not args.quiet) as bar:
        def done(curve):
            bar.set_postfix_str(str(getattr(curve, "family", "")))
            bar.update(1)

        result = run_frontier(out=args.out, prior=args.prior, sigma2=args.sigma2, sampler=args.sampler, alpha=alpha,
                              peak=args.peak, floors=args.floors, T=T, t_max=args.t_max, n_global=args.n_global,
                              maxiter=args.maxiter, seed=args.seed, progress=done, rule=args.guidance,
                              grid=args.grid, update=args.update, **kw)
    if args.json:
        from .io import to_jsonable

        print(json.dumps(to_jsonable(result), indent=2, allow_nan=False))
    else:
        print(format_frontier(result))
    return 0


def cmd_schedule_nogo(args) -> int:
    from .commands.schedule_nogo import format_nogo, nogo, nogo_rows
    from .progress import progress

    if args.grid is not None or args.update is not None:  # the grid's checks before the bar and any row
        from .solvers.schedule_search import TheoryModel

        TheoryModel("gaussian", 1.0, "sde", math.inf, rule=args.guidance, grid=args.grid, update=args.update)
    with progress(total=nogo_rows(args.quick, args.grid), desc="cfgmft schedule nogo", unit="row",
                  enabled=not args.quiet) as bar:
        def done(row):
            bar.set_postfix_str(f"{row.regime}, {row.sampler}, {row.family}: max var_ratio {row.best_var_ratio:.4g}")
            bar.update(1)

        result = nogo(quick=args.quick, n_global=args.n_global, seed=args.seed, progress=done, guidance=args.guidance,
                      grid=args.grid, update=args.update)
    if args.json:
        from .io import to_jsonable

        print(json.dumps(to_jsonable(result), indent=2, allow_nan=False))
    else:
        print(format_nogo(result))
    return 0


def cmd_schedule_export(args) -> int:
    from .commands.schedule import export, export_csv
    from .io import to_jsonable

    check = None
    if args.design is not None:
        from .commands.schedule import grid_check, load_design

        from .guidance import as_rule

        design = load_design(args.design)
        schedule = args.schedule if args.schedule is not None else design["schedule"]
        # the table carries the design's rule (its grid-only options may be added with --guidance)
        drule = as_rule(design.get("guidance", "cfg"))
        if args.guidance is None:
            args.guidance = drule
        elif as_rule(args.guidance).kind != drule.kind or {k: v for k, v in as_rule(args.guidance).params.items()
                                                            if k not in ("momentum", "zero_init")} != \
                {k: v for k, v in drule.params.items() if k not in ("momentum", "zero_init")}:
            raise ParameterError("--guidance", f"must be the design's rule {drule.spec} (with or without its grid-only "
                                               f"options), got {as_rule(args.guidance).spec}")
    elif args.schedule is None:
        raise ParameterError("--schedule", "is required (or give --design, whose schedule is exported)")
    else:
        if args.update is not None:
            raise ParameterError("--update", "applies to --design's check only: give --design with it")
        schedule = args.schedule
    table = export(schedule, args.grid, data_scale=args.data_scale, rule=args.guidance)
    if args.design is not None:
        try:
            check = grid_check(design, table, update=args.update)
        except ParameterError as e:
            raise ParameterError("--design", str(e)) from None
        table["grid_check"] = check
        if check["warning"]:
            sys.stderr.write(check["warning"] + "\n")
    print(export_csv(table) if args.format == "csv" else json.dumps(to_jsonable(table), indent=2, allow_nan=False),
          end="" if args.format == "csv" else "\n")
    return 0


def cmd_reproduce(args) -> int:
    from .reproduce import parse_only, reproduce

    parse_only(args.only)  # a bad --only fails before anything runs
    path = reproduce(out=args.out, quick=args.quick, seed=args.seed, force=args.force, only=args.only,
                     tiny=args.tiny, progress=not args.quiet)
    print(f"report written to {path}")
    return 0


def cmd_validate(args) -> int:
    from .commands.validate import format_table, parse_dims, validate, write_outputs

    dims = parse_dims(args.dims)
    for d in dims:  # every dimension is checked before anything runs
        try:
            problem = _problem_from_args(args, d=d)
        except ParameterError as e:
            raise ParameterError(e.argument, f"{str(e)[len(e.argument) + 2:]} (at d = {d} of --dims)") from None
    problem = _problem_from_args(args, d=dims[0])
    from .sweep import parse_scheduler

    parse_scheduler(args.scheduler)  # a bad address fails before anything runs
    result = validate(problem, dims, samples=args.samples, disorder=args.disorder, seed=args.seed,
                      progress=not args.quiet, out_dir=args.out, scheduler=args.scheduler, resume=args.resume,
                      finite_d=not args.no_finite_d)
    out = write_outputs(result, args.out)
    if args.json:
        from .io import to_jsonable

        print(json.dumps(to_jsonable(result), indent=2, allow_nan=False))
    else:
        print(format_table(result))
        print(f"  written to {out}/ (validate.json, validate.png)")
    return 0


def cmd_phase_diagram(args) -> int:
    from .commands.phase_diagram import format_phase_diagram, run_phase_diagram

    T = None if args.T is None or math.isinf(args.T) else args.T
    out = run_phase_diagram(args.alpha, args.omega, args.sigma2, prior=args.prior, sampler=args.sampler,
                            out=args.out, T=T, progress=not args.quiet, figures=args.figures,
                            guidance=args.guidance)
    params = json.loads((out / "phase_diagram.json").read_text())
    if args.json:
        print(json.dumps(params, indent=2, allow_nan=False))
    else:
        print(format_phase_diagram(params, out))
    return 0


COMMANDS = {"derive": cmd_derive, "theory": cmd_theory, "simulate": cmd_simulate, "validate": cmd_validate,
            "phase-diagram": cmd_phase_diagram, "schedule evaluate": cmd_schedule_evaluate,
            "schedule export": cmd_schedule_export, "schedule design": cmd_schedule_design,
            "schedule nogo": cmd_schedule_nogo, "schedule frontier": cmd_schedule_frontier,
            "reproduce": cmd_reproduce}


#: Python argument names that a command spells as another flag
FLAG_ALIASES = {"theory": {"samples": "--finite-d-samples"}, "validate": {"d": "--dims"},
                "schedule evaluate": {"samples": "--samples"},
                "schedule design": {"K": "--classes", "n_global": "--global", "prior": "--prior"},
                "schedule frontier": {"n_global": "--global", "n_floors": "--floors"},
                "*": {"out_dir": "--out", "out": "--out"}}


def _as_flag(e: ParameterError, parser: argparse.ArgumentParser, command: str) -> str:
    """The error's message with its Python argument name written as the command's flag
    (``d`` -> ``--d``): the library names Python arguments, the CLI speaks of flags."""
    name, msg = e.argument, str(e)
    if name.startswith("-"):
        return msg
    flag = FLAG_ALIASES.get(command, {}).get(name) or FLAG_ALIASES["*"].get(name)
    if flag is None:
        sub = parser
        for word in command.split():
            sub = next(a for a in sub._actions if isinstance(a, argparse._SubParsersAction)).choices[word]
        candidate = "--" + name.replace("_", "-")
        if any(candidate in a.option_strings for a in sub._actions):
            flag = candidate
    if flag is None or not msg.startswith(f"{name}: "):
        return msg
    return f"{flag}: {msg[len(name) + 2:]}"


_NEGATIVE_VALUE = re.compile(r"^-(\d|\.\d|inf)")


def _join_negative_values(argv: list[str]) -> list[str]:
    """``--omega -1:50:52`` as ``--omega=-1:50:52``: argparse takes a value that starts with
    ``-`` for an option unless it is a plain negative number, so a grid starting below zero
    would be refused."""
    out: list[str] = []
    for a in argv:
        if out and out[-1].startswith("--") and "=" not in out[-1] and _NEGATIVE_VALUE.match(a):
            out[-1] = f"{out[-1]}={a}"
        else:
            out.append(a)
    return out


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(_join_negative_values(list(sys.argv[1:] if argv is None else argv)))
    if getattr(args, "schedule_command", None):
        args.command = f"{args.command} {args.schedule_command}"
    try:
        _grid_replaces(args)
        _grid_options(args)
        return COMMANDS[args.command](args)
    except ParameterError as e:
        sys.stderr.write(f"cfgmft {args.command}: error: {_as_flag(e, parser, args.command)}\n")
        return EXIT_BAD_INPUT
    except UnitFailed as e:
        cause = e.error
        where = f"; the units finished before it are kept in {args.out}" if getattr(args, "out", None) else ""
        if isinstance(cause, ParameterError):
            sys.stderr.write(f"cfgmft {args.command}: error: {_as_flag(cause, parser, args.command)} "
                             f"(in the unit at d = {e.unit.get('d')}){where}\n")
            return EXIT_BAD_INPUT
        sys.stderr.write(f"cfgmft {args.command}: the unit at d = {e.unit.get('d')} failed: "
                         f"{type(cause).__name__}: {cause}{where}\n")
        return 1
    except InfeasibleError as e:
        sys.stderr.write(f"cfgmft {args.command}: no feasible schedule: {e}\n")
        return 1
    except (NumericalError, FloatingPointError, OverflowError) as e:
        sys.stderr.write(f"cfgmft {args.command}: numerical failure: {e}\n")
        return 1
    except MemoryError:
        sys.stderr.write(f"cfgmft {args.command}: out of memory; use a smaller problem\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write(f"cfgmft {args.command}: interrupted\n")
        return 130
    except BrokenPipeError:  # e.g. `cfgmft ... | head`: the reader left, nothing to report
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


__all__ = ["main", "build_parser", "format_prediction", "CONVENTION"]
