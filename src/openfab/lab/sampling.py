"""Space-filling designs that respect every bound, mixture and linear constraint.

Scrambled Sobol points; a mixture's components are mapped onto the simplex (normalized
exponential spacings, which turn uniforms into uniform simplex points) above their lower
bounds; points breaking an upper bound or a linear constraint are dropped. When that leaves
too few (tight constraints), hit-and-run sampling of the polytope tops the set up.
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray
from scipy.stats import qmc

from openfab.lab.space import TOL, DesignSpace, extreme_point

Array = NDArray[np.float64]


def feasible_points(space: DesignSpace, n: int, *, seed: int = 0, skip: int = 0) -> Array:
    """``n`` encoded points inside the space; ``skip`` continues an earlier sequence."""
    want = n + skip
    pool = _sobol_pool(space, max(64, 4 * want), seed)
    if len(pool) < want:
        extra = _polytope(space, want - len(pool), seed)
        pool = np.vstack([pool, extra]) if len(pool) else extra
    return pool[skip : skip + n]


def _sobol_pool(space: DesignSpace, n: int, seed: int) -> Array:
    m = int(np.ceil(np.log2(max(n, 2))))
    u = qmc.Sobol(space.dim, scramble=True, seed=seed).random_base2(m)
    x = _snap(space, _map(space, u))
    return x[_inside(space, x)]


def _map(space: DesignSpace, u: Array) -> Array:
    """Uniform cube → encoded points (categories as indices, mixtures on the simplex)."""
    x = u.copy()
    for i in space.categorical_dims:
        k = len(space.parameters[i].values)
        x[:, i] = np.minimum(np.floor(u[:, i] * k), k - 1)
    for con in space.constraints:
        if not con.mixture:
            continue
        idx = [space.index(name) for name, _ in con.coefficients]
        params = [space.parameters[i] for i in idx]
        spacing = -np.log(np.clip(u[:, idx], 1e-12, 1.0))
        share = spacing / spacing.sum(axis=1, keepdims=True)
        free = con.lower - sum(p.low for p in params)
        for col, (i, p) in enumerate(zip(idx, params, strict=True)):
            raw = p.low + free * share[:, col]
            x[:, i] = (raw - p.low) / p.width if p.width > 0 else 0.0
    return x


def _snap(space: DesignSpace, x: Array) -> Array:
    """Integers to their grid (in encoded units)."""
    for i in space.integer_dims:
        p = space.parameters[i]
        if p.width > 0:
            x[:, i] = (np.round(p.low + x[:, i] * p.width) - p.low) / p.width
    return x


def _inside(space: DesignSpace, x: Array) -> NDArray[np.bool_]:
    bounds = space.bounds()
    ok = np.all((x >= bounds[0] - TOL) & (x <= bounds[1] + TOL), axis=1)
    equalities, inequalities = space.encoded_constraints()
    for idx, coef, rhs in equalities:
        ok &= np.abs(x[:, idx] @ np.array(coef) - rhs) <= 1e-6
    for idx, coef, rhs in inequalities:
        ok &= x[:, idx] @ np.array(coef) >= rhs - TOL
    return np.asarray(ok)


def _polytope(space: DesignSpace, n: int, seed: int) -> Array:
    from botorch.exceptions.errors import InfeasibilityError
    from botorch.utils.sampling import get_polytope_samples

    equalities, inequalities = space.encoded_constraints()
    bounds = torch.as_tensor(space.bounds(), dtype=torch.double)

    def tensors(
        cons: list[tuple[list[int], list[float], float]],
    ) -> list[tuple[torch.Tensor, torch.Tensor, float]]:
        return [
            (torch.tensor(i, dtype=torch.long), torch.tensor(c, dtype=torch.double), float(r))
            for i, c, r in cons
        ]

    rng = np.random.default_rng(seed)
    try:
        samples = get_polytope_samples(
            n,
            bounds,
            inequality_constraints=tensors(inequalities) or None,
            equality_constraints=tensors(equalities) or None,
            seed=seed,
            n_burnin=200,
            n_thinning=4,
        ).numpy()
    except InfeasibilityError:  # no interior (a face, a point): its vertices are the designs
        samples = _vertices(space, n, rng)
    for i in space.categorical_dims:  # categories are unconstrained: draw them
        samples[:, i] = rng.integers(0, len(space.parameters[i].values), size=n)
    return np.asarray(samples, dtype=float)


def _vertices(space: DesignSpace, n: int, rng: np.random.Generator) -> Array:
    """``n`` feasible points of a space without interior: vertices of its feasible set,
    each minimising a random direction."""
    points = [extreme_point(space, rng.normal(size=space.dim)) for _ in range(n)]
    return np.array([p for p in points if p is not None], dtype=float)
