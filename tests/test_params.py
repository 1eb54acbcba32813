"""Problem objects: every bad value raises a ParameterError naming the argument."""

import math

import numpy as np
import pytest

from cfgmft.errors import ParameterError
from cfgmft.params import Guidance, Mixture, Problem, Sampler
from cfgmft.schedules import Constant, Interval


def test_mixture_regimes():
    assert Mixture().regime == "infinite" and Mixture().K == math.inf
    m = Mixture(alpha=0.2, d=20)
    assert m.regime == "exponential" and m.K == round(math.exp(4.0))
    assert Mixture(classes=10, d=5).regime == "finite"
    assert Mixture(classes=10, d=5).alpha_effective == pytest.approx(math.log(10) / 5)
    given = Mixture(means=np.eye(3))
    assert given.prior == "given" and given.K == 3 and given.d == 3


@pytest.mark.parametrize("kwargs, argument", [
    (dict(sigma2=0.0), "sigma2"), (dict(sigma2=-1.0), "sigma2"), (dict(sigma2=float("nan")), "sigma2"),
    (dict(sigma2=float("inf")), "sigma2"), (dict(prior="uniform"), "prior"), (dict(classes=1), "classes"),
    (dict(classes=2.5), "classes"), (dict(alpha=-0.1), "alpha"), (dict(alpha=float("nan")), "alpha"),
    (dict(d=1), "d"), (dict(d=3.5), "d"), (dict(classes=5, target=5), "target"), (dict(target=-1), "target"),
    (dict(alpha=0.01, d=10), "alpha"), (dict(means=np.ones(3)), "means"),
    (dict(means=np.array([[0.0, np.nan], [1.0, 1.0]])), "means"), (dict(means=np.eye(3), d=4), "d"),
])
def test_mixture_errors(kwargs, argument):
    with pytest.raises(ParameterError) as e:
        Mixture(**kwargs)
    assert e.value.argument == argument
    assert str(e.value).startswith(argument)


def test_guidance():
    assert Guidance(omega=2).schedule == Constant(2.0) and Guidance(omega=2).omega == 2.0
    g = Guidance(schedule="interval:2:0.3:1.5")
    assert g.schedule == Interval(2, 0.3, 1.5) and g.omega is None and not g.is_constant
    for bad in (dict(), dict(omega=1, schedule="constant:1"), dict(omega=-2), dict(omega=float("inf"))):
        with pytest.raises(ParameterError):
            Guidance(**bad)


def test_sampler():
    assert Sampler().T is None and Sampler(T=float("inf")).T is None
    assert Sampler(T=3).T_mc == 3.0
    for bad, arg in ((dict(kind="euler"), "sampler"), (dict(T=0), "T"), (dict(T=-1), "T"),
                     (dict(T=float("nan")), "T"), (dict(steps=0), "steps")):
        with pytest.raises(ParameterError) as e:
            Sampler(**bad)
        assert e.value.argument == arg


def test_problem_to_dict():
    p = Problem(Mixture(sigma2=0.5), Guidance(omega=2), Sampler("ode"))
    d = p.to_dict()
    assert d["sigma2"] == 0.5 and d["classes"] == "inf" and d["omega"] == 2.0 and d["sampler"] == "ode"
    assert d["schedule"] == {"kind": "constant", "omega": 2.0}
