"""A derivation as an object: an ordered list of named symbolic steps.

Like ``sympy.physics.mechanics`` (construct the object, then the equations are formed), a
:class:`Derivation` subclass implements :meth:`Derivation._form`, which appends
:class:`Step` objects with :meth:`Derivation.add_step`. Each step has a name, a one-line
description and a sympy object: an expression, an ``Eq``, or a tuple of those (a system).

The steps are formed once, on construction (or lazily with ``form=False``), and can be
exported as plain text, LaTeX, or a JSON-serialisable dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import sympy as sp

__all__ = ["Step", "Derivation"]


def _is_sequence(expr) -> bool:
    return isinstance(expr, (tuple, list, sp.Tuple))


def _text(expr) -> str:
    """Plain one-line text: ``lhs = rhs`` for equations, ``; ``-separated for systems."""
    if _is_sequence(expr):
        return "; ".join(_text(e) for e in expr)
    if isinstance(expr, sp.Equality):
        return f"{sp.sstr(expr.lhs)} = {sp.sstr(expr.rhs)}"
    return sp.sstr(expr)


def _latex(expr) -> str:
    if _is_sequence(expr):
        return r" \\ ".join(_latex(e) for e in expr)
    return sp.latex(expr)


_LATEX_ESCAPES = {"\\": r"\textbackslash{}", "_": r"\_", "&": r"\&", "%": r"\%",
                  "#": r"\#", "$": r"\$", "{": r"\{", "}": r"\}", "^": r"\^{}", "~": r"\~{}"}


def _latex_escape(text: str) -> str:
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in text)


@dataclass(frozen=True)
class Step:
    """One step of a derivation.

    Attributes
    ----------
    name:
        identifier, unique within the derivation (``snake_case``).
    description:
        one line saying what the step states and how it was obtained.
    expr:
        a sympy expression, an ``Eq``, or a tuple of those.
    """

    name: str
    description: str
    expr: Any

    @property
    def rhs(self):
        """The right-hand side for an ``Eq``, a tuple of them for a system, else ``expr``."""
        if _is_sequence(self.expr):
            return tuple(e.rhs if isinstance(e, sp.Equality) else e for e in self.expr)
        return self.expr.rhs if isinstance(self.expr, sp.Equality) else self.expr

    def to_text(self) -> str:
        return f"[{self.name}] {self.description}\n    {_text(self.expr)}"

    def to_latex(self) -> str:
        return (
            f"\\paragraph{{{_latex_escape(self.name)}}} {_latex_escape(self.description)}\n"
            f"\\begin{{gather*}}\n{_latex(self.expr)}\n\\end{{gather*}}"
        )

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "text": _text(self.expr),
            "latex": _latex(self.expr),
        }


class Derivation:
    """Base class: an ordered list of named symbolic steps.

    Subclasses set :attr:`title` and implement :meth:`_form`, which calls
    :meth:`add_step` in order. Construction forms the steps unless ``form=False``, in
    which case they are formed on first access.

    >>> class Square(Derivation):
    ...     title = "square"
    ...     def _form(self):
    ...         a = sp.Symbol("a")
    ...         self.add_step("sq", "the square of a sum", sp.expand((a + 1) ** 2))
    >>> Square()["sq"].expr
    a**2 + 2*a + 1
    """

    title: str = ""

    def __init__(self, *, form: bool = True):
        self._steps: list[Step] = []
        self._index: dict[str, Step] = {}
        self._formed = False
        if form:
            self.form()

    # -- forming -------------------------------------------------------------------------------
    def form(self) -> "Derivation":
        """Form the steps (idempotent); returns ``self``."""
        if not self._formed:
            self._steps.clear()
            self._index.clear()
            self._form()
            self._formed = True
        return self

    def _form(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def add_step(self, name: str, description: str, expr):
        """Append a step and return its ``expr`` (so it can be used in the next steps)."""
        if name in self._index:
            raise ValueError(f"duplicate step name {name!r}")
        if "\n" in description:
            raise ValueError("a step description is one line")
        if isinstance(expr, list):
            expr = tuple(expr)
        step = Step(name, description, expr)
        self._steps.append(step)
        self._index[name] = step
        return expr

    # -- access ----------------------------------------------------------------------------------
    @property
    def steps(self) -> tuple[Step, ...]:
        self.form()
        return tuple(self._steps)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(st.name for st in self.steps)

    def __getitem__(self, name: str) -> Step:
        self.form()
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"no step named {name!r}; steps: {', '.join(self.names)}") from None

    def __contains__(self, name: str) -> bool:
        self.form()
        return name in self._index

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def rhs(self, name: str):
        """Shorthand for ``self[name].rhs``."""
        return self[name].rhs

    # -- export ------------------------------------------------------------------------------------
    def to_text(self) -> str:
        head = self.title or type(self).__name__
        lines = [head, "=" * len(head)]
        for i, st in enumerate(self.steps, 1):
            lines.append(f"{i:2d}. {st.to_text()}")
        return "\n".join(lines) + "\n"

    def to_latex(self) -> str:
        head = _latex_escape(self.title or type(self).__name__)
        parts = [f"\\section*{{{head}}}"] + [st.to_latex() for st in self.steps]
        return "\n\n".join(parts) + "\n"

    def to_dict(self) -> dict:
        return {
            "derivation": type(self).__name__,
            "title": self.title,
            "steps": [st.to_dict() for st in self.steps],
        }

    def __repr__(self) -> str:
        state = f"{len(self._steps)} steps" if self._formed else "not formed"
        return f"<{type(self).__name__}: {state}>"
