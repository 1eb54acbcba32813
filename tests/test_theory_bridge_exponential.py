"""The scalar (numba-compilable) generated module of the exponential-class theory."""

from __future__ import annotations

from cfgmft.theory import bridge


def test_generated_exponential_module_is_fresh():
    committed = bridge.exponential_generated_path().read_text(encoding="utf-8")
    assert committed == bridge.render_exponential(), "run python -m cfgmft.theory.bridge"


def test_generated_exponential_module_is_plain_math():
    src = bridge.exponential_generated_path().read_text(encoding="utf-8")
    imports = [ln for ln in src.splitlines() if ln.startswith(("import ", "from "))]
    assert imports == ["import math"]
    ns: dict = {}
    exec(compile(src, "exponential.py", "exec"), ns)  # noqa: S102 - our own generated file
    assert abs(ns["Gamma_t"](0.0, 0.5) - 0.5) < 1e-15
    assert abs(ns["t_collapse"](0.3, 0.0) - 0.5 * __import__("math").log(1 + 1 / __import__("math").expm1(0.6))) < 1e-15


def test_bridge_check_covers_both_modules(monkeypatch, capsys):
    # main(--check) compares both files (renders stubbed: their freshness is tested above and in
    # tests/test_theory_infinite_class.py)
    ic = bridge.generated_path().read_text(encoding="utf-8")
    ex = bridge.exponential_generated_path().read_text(encoding="utf-8")
    ru = bridge.rules_generated_path().read_text(encoding="utf-8")
    monkeypatch.setattr(bridge, "render", lambda *a, **k: ic)
    monkeypatch.setattr(bridge, "render_rules", lambda: ru)
    monkeypatch.setattr(bridge, "render_exponential", lambda: ex)
    assert bridge.main(["--check"]) == 0
    out = capsys.readouterr().out
    assert "infinite_class.py is up to date" in out and "exponential.py is up to date" in out
    assert "rules.py is up to date" in out
    monkeypatch.setattr(bridge, "render_exponential", lambda: ex + "# stale\n")
    assert bridge.main(["--check"]) == 1
    assert "exponential.py is stale" in capsys.readouterr().err
