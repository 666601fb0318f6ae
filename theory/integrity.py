"""Cluster integrity (Deep Fusion, Definition 1 and Appendix Algorithm 1), with certified bounds.

Two quantities, both computed per cluster ``k`` on unit rows ``x_i`` with
labels ``c_i``:

``kind="one"`` -- Definition 1 of the paper (eq. 2)::

    rho_k = max_{||u|| = 1, u perp U_k}  min_{c_i != k} |x_i^T u|,

a direction orthogonal to ONE subspace that sees every point of every
OTHER cluster.  ``kind="all"`` -- what the proof of Theorem 1 actually uses::

    rho_bar_k = max_{||w|| = 1, w perp U_l for all l != k}  min_{c_i = k} |x_i^T w|,

a direction orthogonal to ALL OTHER subspaces that sees every point of
cluster ``k``.  For ``K = 2`` the two coincide (``rho_1 = rho_bar_2``); for
``K > 2`` they differ, and only ``rho_bar`` controls the attention matrix of
the Theorem 1 construction (see ``docs/deep_fusion.md``).  With
``signed=True`` the absolute value is dropped (``min_i x_i^T w``): that is
the constant of the corrected Theorem 1, and it is a single convex program.
The cluster integrity is ``rho = min_k rho_k``.

Methods:

* ``"greedy"`` -- the paper's Algorithm 1, exactly as written (or with the
  step sign fixed, ``variant="signed_step"``).
* ``"convex"`` -- for a fixed sign pattern ``s`` the problem
  ``max_{||u|| <= 1, u in V} min_i s_i x_i^T u`` is a second-order cone
  program (cvxpy); starting from the greedy direction, the sign pattern of
  the current direction is re-solved until it stops changing (monotone
  ascent).  Upper bounds: ``min_i ||P_V x_i||``, an SDP relaxation
  (certified by ``lambda_max`` of a dual-feasible mixture), and exact
  enumeration of sign patterns on the points closest to the boundary.
* ``"exact"`` -- enumerate every sign pattern (up to ``max_exact_points``
  points): the global optimum, up to solver tolerance.

Every result carries a certified ``lower`` (the objective evaluated in numpy
at a returned unit direction) and ``upper`` (evaluated in numpy from a
dual-feasible certificate), so ``lower <= rho <= upper`` does not rest on a
solver's own claim.
"""

from __future__ import annotations

from itertools import product
from typing import NamedTuple

import numpy as np

from theory._validation import check_int, check_random_state, check_scalar
from theory.subspace import check_labels, check_unit_rows

__all__ = [
    "IntegrityResult",
    "class_bases",
    "integrity_problems",
    "cluster_integrity",
    "greedy_integrity",
    "convex_integrity",
    "exact_integrity",
    "min_norm_in_hull",
]

KINDS = ("one", "all")
METHODS = ("greedy", "convex", "exact")


class IntegrityResult(NamedTuple):
    """Cluster integrity with certified bounds (``lower <= rho <= upper``)."""

    rho: float  #: best value found = ``lower``
    lower: float  #: certified lower bound on ``min_k rho_k``
    upper: float  #: certified upper bound on ``min_k rho_k``
    rho_k_lower: np.ndarray  #: per-cluster certified lower bounds, shape (K,)
    rho_k_upper: np.ndarray  #: per-cluster certified upper bounds, shape (K,)
    directions: np.ndarray  #: unit directions attaining ``rho_k_lower``, shape (K, m)
    kind: str
    signed: bool
    method: str


# ------------------------------------------------------------------ set-up


def _orth(M: np.ndarray, tol: float, rank: int | None = None) -> np.ndarray:
    """Orthonormal basis of the column span of ``M`` (SVD, relative tolerance)."""
    if M.size == 0:
        return np.zeros((M.shape[0], 0))
    U, s, _ = np.linalg.svd(M, full_matrices=False)
    if rank is not None:
        return U[:, : min(rank, s.size)]
    if s[0] == 0.0:
        return np.zeros((M.shape[0], 0))
    return U[:, s > tol * s[0]]


def _complement(Q: np.ndarray, m: int) -> np.ndarray:
    """Orthonormal basis of the orthogonal complement of span(Q) in R^m."""
    if Q.shape[1] == 0:
        return np.eye(m)
    U, _, _ = np.linalg.svd(Q, full_matrices=True)
    return U[:, Q.shape[1] :]


def class_bases(X, labels, *, rank: int | None = None, tol: float = 1e-9) -> list[np.ndarray]:
    """Orthonormal basis of each class span (Algorithm 1, line 1).

    Parameters
    ----------
    X : array_like, shape (n, m)
    labels : array_like of int, shape (n,)
    rank : int, optional
        Keep the top ``rank`` singular vectors of each class (use this for
        noisy data); by default the numerical rank with relative tolerance
        ``tol`` is used.

    Returns
    -------
    list of K arrays of shape (m, r_k)
    """
    X = np.asarray(X, dtype=np.float64)
    lab = np.asarray(labels)
    K = int(lab.max()) + 1
    return [_orth(X[lab == k].T, tol, rank) for k in range(K)]


def integrity_problems(X, labels, kind: str = "one", *, bases=None, rank: int | None = None, tol: float = 1e-9):
    """The per-cluster sub-problems ``(V_k, idx_k)`` of :func:`cluster_integrity`.

    ``V_k`` (``m x d_k``, orthonormal columns) is the feasible subspace of the
    direction and ``idx_k`` the indices of the points in the minimum:

    * ``kind="one"``: ``V_k = U_k^perp``, ``idx_k = {i : c_i != k}`` (Definition 1);
    * ``kind="all"``: ``V_k = (sum_{l != k} U_l)^perp``, ``idx_k = {i : c_i = k}``
      (the columns ``w_j`` of the Theorem 1 construction).
    """
    X = np.asarray(X, dtype=np.float64)
    lab = np.asarray(labels)
    m = X.shape[1]
    K = int(lab.max()) + 1
    if bases is None:
        bases = class_bases(X, lab, rank=rank, tol=tol)
    else:
        bases = [np.asarray(b, dtype=np.float64) for b in bases]
        if len(bases) != K or any(b.ndim != 2 or b.shape[0] != m for b in bases):
            raise ValueError(f"bases must be K={K} arrays of shape (m={m}, r_k)")
    out = []
    for k in range(K):
        if kind == "one":
            Q = _orth(bases[k], tol)
            idx = np.flatnonzero(lab != k)
        else:
            others = [bases[l] for l in range(K) if l != k]
            Q = _orth(np.concatenate(others, axis=1), tol) if others else np.zeros((m, 0))
            idx = np.flatnonzero(lab == k)
        out.append((_complement(Q, m), idx))
    return out


def _check_inputs(X, labels, kind: str, method: str | None = None):
    X = check_unit_rows(X, "X")
    lab, K = check_labels(labels, X.shape[0], min_clusters=2)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} ('one' = Definition 1, 'all' = Theorem 1's construction), got {kind!r}")
    if method is not None and method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return X, lab, K


def _objective(Y: np.ndarray, u: np.ndarray, signed: bool) -> float:
    """min_i y_i^T u (signed) or min_i |y_i^T u| for a unit u (in V coordinates)."""
    z = Y @ u
    return float(np.min(z) if signed else np.min(np.abs(z)))


def _unit_or_none(u: np.ndarray) -> np.ndarray | None:
    nrm = np.linalg.norm(u)
    return None if nrm == 0.0 or not np.isfinite(nrm) else u / nrm


# ------------------------------------------------------------- greedy (Alg. 1)


def _greedy_one(Xpts, V, rng, T, alpha, tau, signed, variant):
    """Algorithm 1, lines 3-13, for one class; returns (best value, best unit direction in R^m)."""
    m = V.shape[0]
    P = V @ V.T
    rho_k = -np.inf
    best_u = None
    u_t = rng.standard_normal(m)  # line 4
    for _ in range(T + 1):  # line 5: t in [0, ..., T]
        pu = P @ u_t  # line 6: u - U_k U_k^T u, normalised
        u_perp = _unit_or_none(pu)
        if u_perp is None:
            break
        proj = Xpts @ u_perp
        score = proj if signed else np.abs(proj)
        i_star = int(np.argmin(score))  # line 7
        x_star = Xpts[i_star]
        value = float(score[i_star])
        step = x_star if variant == "paper" else np.sign(proj[i_star] or 1.0) * x_star
        nxt = _unit_or_none(u_perp + alpha * step)  # line 8
        if abs(rho_k - value) < tau:  # lines 9-10
            break
        if value > rho_k:  # line 12 (the argmax direction is kept as the certificate)
            rho_k, best_u = value, u_perp
        if nxt is None:
            break
        u_t = nxt
    if best_u is None:  # V = {0}: no admissible direction
        return 0.0, np.zeros(m)
    return rho_k, best_u


def greedy_integrity(
    X,
    labels,
    *,
    kind: str = "one",
    signed: bool = False,
    T: int = 1000,
    alpha: float = 0.05,
    tau: float = 1e-9,
    variant: str = "paper",
    seed=None,
    bases=None,
    rank: int | None = None,
) -> IntegrityResult:
    """The paper's greedy search for the bound rho (Appendix, Algorithm 1).

    Exactly as written: for each class, project a random ``u_t`` off ``U_k``
    (line 6), find the point of the other classes with the smallest
    ``|x^T u_perp|`` (line 7), step ``u_{t+1} = normalise(u_perp + alpha x*)``
    (line 8), stop when ``|rho_k - |x*^T u_perp|| < tau`` (line 9; note it
    compares with the best value so far) and keep the best value (line 12);
    return ``min_k rho_k``.  The step moves towards ``+x*`` even when
    ``x*^T u_perp < 0``, which *decreases* ``|x*^T u|``;
    ``variant="signed_step"`` steps towards ``sign(x*^T u_perp) x*``.

    Every ``u_perp`` is feasible, so the value is a certified *lower* bound
    on ``rho`` (Definition 1).  ``upper`` is the trivial bound
    ``min_i ||P_V x_i||``.

    Parameters
    ----------
    X : array_like, shape (n, m)
        Unit rows (the clean data).
    labels : array_like of int, shape (n,)
        Cluster labels ``0..K-1``, ``K >= 2``.
    kind : {"one", "all"}
        Definition 1's quantity or Theorem 1's (see module docstring).
    signed : bool
        Drop the absolute value (``min_i x_i^T u``).
    T, alpha, tau : int, float, float
        Max iterations, step size and convergence criterion of Algorithm 1
        (the paper gives no values; these defaults are ours).
    variant : {"paper", "signed_step"}
    seed : None, int or Generator
        Random initialisation ``u_0`` (line 4).
    bases, rank :
        Subspace bases (list of ``(m, r_k)``) or truncation rank for line 1;
        default: the numerical span of each class.

    Returns
    -------
    IntegrityResult
    """
    X, lab, K = _check_inputs(X, labels, kind)
    T = check_int(T, "T", low=0)
    alpha = check_scalar(alpha, "alpha", low=0.0, closed="neither")
    tau = check_scalar(tau, "tau", low=0.0)
    if variant not in ("paper", "signed_step"):
        raise ValueError(f"variant must be 'paper' or 'signed_step', got {variant!r}")
    rng = check_random_state(seed)
    probs = integrity_problems(X, lab, kind, bases=bases, rank=rank)
    lo = np.zeros(K)
    hi = np.zeros(K)
    dirs = np.zeros((K, X.shape[1]))
    for k, (V, idx) in enumerate(probs):
        val, u = _greedy_one(X[idx], V, rng, T, alpha, tau, signed, variant)
        dirs[k] = u
        Y = X[idx] @ V
        lo[k] = _objective(Y, V.T @ u, signed) if np.any(u) else 0.0
        hi[k] = float(np.min(np.linalg.norm(Y, axis=1))) if V.shape[1] else 0.0
    return IntegrityResult(float(lo.min()), float(lo.min()), float(hi.min()), lo, hi, dirs, kind, bool(signed), "greedy")


# ----------------------------------------------------- convex building blocks


class _SOCP:
    """max t s.t. s_i y_i^T u >= t, ||u|| <= 1 (sign pattern s a cvxpy Parameter)."""

    def __init__(self, Y: np.ndarray, solver: str | None):
        import cvxpy as cp

        N, d = Y.shape
        self.Y = Y
        self.s = cp.Parameter(N)
        self.u = cp.Variable(d)
        self.t = cp.Variable()
        self.con = cp.multiply(self.s, Y @ self.u) >= self.t
        self.prob = cp.Problem(cp.Maximize(self.t), [self.con, cp.norm(self.u, 2) <= 1])
        self.solver = solver

    def solve(self, s: np.ndarray):
        """Return (unit direction or None, certified upper bound for this pattern)."""
        import cvxpy as cp

        self.s.value = s.astype(np.float64)
        try:
            self.prob.solve(solver=self.solver)
        except cp.error.SolverError:  # pragma: no cover - solver failure: fall back to SCS
            self.prob.solve(solver="SCS")
        u = None if self.u.value is None else _unit_or_none(np.asarray(self.u.value))
        p = self.con.dual_value
        ub = np.inf
        if p is not None:
            p = np.clip(np.asarray(p, dtype=np.float64), 0.0, None)
            if p.sum() > 0:
                p = p / p.sum()
                ub = float(np.linalg.norm((s * p) @ self.Y))  # weak duality, any p in the simplex
        return u, ub


def _project_simplex(V: np.ndarray) -> np.ndarray:
    """Euclidean projection of each row of V onto the probability simplex."""
    n = V.shape[-1]
    U = -np.sort(-V, axis=-1)
    css = np.cumsum(U, axis=-1) - 1.0
    ind = np.arange(1, n + 1)
    cond = U - css / ind > 0
    rho = n - 1 - np.argmax(cond[..., ::-1], axis=-1)
    theta = np.take_along_axis(css, rho[..., None], axis=-1) / (rho[..., None] + 1.0)
    return np.maximum(V - theta, 0.0)


def min_norm_in_hull(G: np.ndarray, *, iters: int = 2000, tol: float = 1e-13) -> np.ndarray:
    """Weights ``p`` (in the simplex) of the min-norm point of conv{y_1..y_N}, batched.

    Minimises ``p^T G p`` over the probability simplex by accelerated
    projected gradient (FISTA), where ``G`` (shape ``(B, N, N)``) are Gram
    matrices.  Every returned ``p`` is exactly feasible, so
    ``||sum_i p_i y_i||`` is a valid upper bound on
    ``max_{||u|| <= 1} min_i y_i^T u`` (weak duality) even if not fully
    converged.
    """
    G = np.asarray(G, dtype=np.float64)
    B, N, _ = G.shape
    L = 2.0 * np.maximum(np.linalg.eigvalsh(G)[:, -1], 1e-300)[:, None]
    p = np.full((B, N), 1.0 / N)
    z = p.copy()
    tk = 1.0
    for it in range(iters):
        grad = 2.0 * np.einsum("bij,bj->bi", G, z)
        p_new = _project_simplex(z - grad / L)
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * tk * tk))
        z = p_new + ((tk - 1.0) / t_new) * (p_new - p)
        p, tk = p_new, t_new
        if it % 50 == 49:
            # Frank-Wolfe gap p^T G p - min_i (G p)_i bounds the suboptimality of ||v||^2
            Gp = np.einsum("bij,bj->bi", G, p)
            gap = np.einsum("bi,bi->b", p, Gp) - Gp.min(axis=1)
            if np.all(gap <= tol * np.maximum(L[:, 0], 1e-300)):
                break
    return p


def _patterns(N: int) -> np.ndarray:
    """All sign patterns with s_0 = +1 (the problem is invariant under s -> -s)."""
    if N <= 1:
        return np.ones((1, N))
    rest = np.array(list(product((1.0, -1.0), repeat=N - 1))).reshape(-1, N - 1)
    return np.concatenate([np.ones((rest.shape[0], 1)), rest], axis=1)


def _enumerate(Y: np.ndarray, iters: int, chunk: int = 4096):
    """max over sign patterns of the min-norm-point value: (upper bounds, best directions) per pattern."""
    N = Y.shape[0]
    S = _patterns(N)
    G0 = Y @ Y.T
    ub = np.empty(S.shape[0])
    V = np.empty((S.shape[0], Y.shape[1]))
    for a in range(0, S.shape[0], chunk):
        s = S[a : a + chunk]
        p = min_norm_in_hull(s[:, :, None] * G0[None] * s[:, None, :], iters=iters)
        v = (s * p) @ Y
        V[a : a + chunk] = v
        ub[a : a + chunk] = np.linalg.norm(v, axis=1)
    return S, ub, V


def _spectral_upper(Y: np.ndarray, *, iters: int = 300) -> float:
    """Upper bound ``sqrt(lambda_max(sum_i p_i y_i y_i^T))`` minimised over ``p`` in the simplex.

    For every unit ``u`` and every ``p`` in the simplex,
    ``min_i (y_i^T u)^2 <= sum_i p_i (y_i^T u)^2 <= lambda_max(Y^T diag(p) Y)``,
    so any ``p`` certifies; the best ``p`` is the dual of the SDP relaxation
    ``max_{Z psd, tr Z = 1} min_i y_i^T Z y_i``.  ``p`` is improved by
    entropic mirror descent on the log-sum-exp smoothing of
    ``lambda_max``; the bound returned is the exact ``lambda_max`` (numpy
    ``eigvalsh``) at the best iterate.
    """
    N, d = Y.shape
    if d == 0:
        return 0.0
    p = np.full(N, 1.0 / N)
    best = np.inf
    for it in range(iters):
        lam, vec = np.linalg.eigh((Y * p[:, None]).T @ Y)
        best = min(best, float(lam[-1]))
        mu = max(0.02 * lam[-1], 1e-12)
        w = np.exp((lam - lam[-1]) / mu)
        w /= w.sum()
        proj = Y @ vec
        grad = (proj**2) @ w  # d f_mu / d p_i = y_i^T E y_i
        eta = 2.0 / (max(float(grad.max()), 1e-300) * np.sqrt(it + 1.0))
        logp = np.log(np.maximum(p, 1e-300)) - eta * grad
        logp -= logp.max()
        p = np.exp(logp)
        p /= p.sum()
    lam = np.linalg.eigvalsh((Y * p[:, None]).T @ Y)[-1]
    best = min(best, float(lam))
    return float(np.sqrt(max(best, 0.0)))


def _smooth_ascent(Y: np.ndarray, rng: np.random.Generator, *, restarts: int = 16, iters: int = 400) -> np.ndarray:
    """Heuristic start for the abs problem: annealed soft-min ascent on the sphere, batched over restarts.

    Maximises ``-mu log sum_i exp(-|y_i^T u| / mu)`` by projected gradient
    with ``mu`` decreasing geometrically from ``0.3 s`` to ``0.01 s``,
    ``s = median_i ||y_i|| / sqrt(d)``, each step turning ``u`` by the angle
    ``mu / (2 median_i ||y_i||)`` along the tangent gradient (so the result
    does not depend on the scale of ``Y``); returns the best unit direction
    found (by the exact objective).  Only used to choose where the SOCP
    ascent starts; it certifies nothing by itself (it can end at a local
    maximum).
    """
    N, d = Y.shape
    U = rng.standard_normal((restarts, d))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    size = float(np.median(np.linalg.norm(Y, axis=1)))
    scale = size / np.sqrt(d)
    best_val, best_u = -np.inf, U[0]
    for it in range(iters):
        mu = scale * (0.3 * (0.01 / 0.3) ** (it / max(iters - 1, 1)))
        Z = U @ Y.T  # (R, N)
        A = np.abs(Z)
        vals = A.min(axis=1)
        j = int(np.argmax(vals))
        if vals[j] > best_val:
            best_val, best_u = float(vals[j]), U[j].copy()
        W = np.exp(-(A - A.min(axis=1, keepdims=True)) / mu)
        W /= W.sum(axis=1, keepdims=True)
        G = (W * np.sign(Z)) @ Y  # gradient of the soft-min
        G -= np.sum(G * U, axis=1, keepdims=True) * U  # tangent to the sphere
        # an angle of 0.5 mu / median |y_i| along the tangent gradient: scale-free, like the whole ascent
        step = 0.5 * (mu / size) / np.maximum(np.linalg.norm(G, axis=1, keepdims=True), 1e-300)
        U = U + step * G
        U /= np.linalg.norm(U, axis=1, keepdims=True)
    return best_u


def _cutting_plane_upper(Y: np.ndarray, u: np.ndarray, size: int, iters: int = 1000):
    """Upper bound ``rho(S) >= rho`` on growing subsets ``S`` (exact on each by sign enumeration).

    Start with the ``min(3, size)`` points closest to the boundary at ``u``;
    at each step solve ``rho(S) = max_s dist(0, conv{s_i y_i : i in S})``
    exactly, take its maximiser ``u_S`` and add the point with the smallest
    ``|y_i^T u_S|`` (a cutting plane), until ``|S| = size``.  Returns the
    smallest certificate and the best direction seen.
    """
    order = list(np.argsort(np.abs(Y @ u))[: min(3, size, Y.shape[0])])
    best_ub, best_u, best_val = np.inf, None, -np.inf
    while True:
        S, ub, V = _enumerate(Y[order], iters=iters)
        best_ub = min(best_ub, float(ub.max()))
        uS = _unit_or_none(V[int(np.argmax(ub))])
        if uS is None:
            break
        val = _objective(Y, uS, False)
        if val > best_val:
            best_val, best_u = val, uS
        if len(order) >= min(size, Y.shape[0]):
            break
        a = np.abs(Y @ uS)
        a[order] = np.inf
        order.append(int(np.argmin(a)))
    return best_ub, best_u


def _ascent(Y: np.ndarray, socp: _SOCP, u0: np.ndarray, max_rounds: int = 20):
    """Sign-pattern ascent for ``min_i |y_i^T u|``: s = sign(Y u), u <- SOCP(s), until s repeats.

    Returns the best value and unit direction seen (each step cannot decrease
    the objective: the SOCP's optimum for ``s = sign(Y u)`` is at least the
    value at ``u``).
    """
    best_u, best = u0, _objective(Y, u0, False)
    seen = set()
    u = u0
    for _ in range(max_rounds):
        s = np.where(Y @ u >= 0, 1.0, -1.0)
        key = s.tobytes()
        if key in seen:
            break
        seen.add(key)
        u_new, _ = socp.solve(s)
        if u_new is None:
            break
        val = _objective(Y, u_new, False)
        if val > best:
            best, best_u = val, u_new
        u = u_new
    return best, best_u


def _signed_optimum(Y: np.ndarray, socp: _SOCP, *, max_hull_dim: int = 8):
    """``max_{||u|| = 1} min_i y_i^T u`` with certified bounds: ``(lower, upper, unit u)``.

    Over the unit *ball* the problem is the SOCP; its value is
    ``dist(0, conv{y_i})`` when ``0`` is outside the hull, and the optimum
    then lies on the sphere.  When ``0`` is in the hull the ball's optimum is
    ``u = 0`` (value 0) and says nothing about the sphere, where the value
    is ``<= 0`` (for every unit ``u``, ``min_i y_i^T u <= (p^T Y) u = 0`` with
    ``p^T Y = 0``):

    * ``Y`` does not span ``R^d``: any unit ``u`` orthogonal to every ``y_i``
      attains 0, which is then the optimum;
    * ``Y`` spans ``R^d``: ``0`` is interior and the value is
      ``-min_{||u|| = 1} max_i y_i^T u = -dist(0, boundary of conv{y_i})``,
      attained at a facet normal ``u = -n`` (for the facet
      ``n^T x = c``, ``max_i n^T y_i = c``).  The facets come from qhull
      (``scipy.spatial.ConvexHull``) up to ``d = max_hull_dim``; the lower
      bound is the objective evaluated in numpy at the best facet normal and
      the upper bound the smallest facet distance (exact combinatorics; it is
      the one bound here that rests on qhull, not on a dual certificate).
      Above ``max_hull_dim`` the lower bound comes from the facet-free
      candidates and the upper bound is the dual certificate ``||p^T Y||``.
    """
    N, d = Y.shape
    u_ball, ub_dual = socp.solve(np.ones(N))
    trivial = float(np.min(np.linalg.norm(Y, axis=1)))
    scale = float(np.max(np.linalg.norm(Y, axis=1)))
    cands = [] if u_ball is None else [u_ball]
    if u_ball is not None:
        val = _objective(Y, u_ball, True)
        if val > 1e-9 * scale:  # 0 is outside the hull: the ball's optimum is on the sphere
            return val, max(min(ub_dual, trivial), val), u_ball
    # 0 is (numerically) in the hull: the value on the sphere is <= ub_dual ~ 0
    upper = min(ub_dual, trivial) if np.isfinite(ub_dual) else trivial
    _, sv, vt = np.linalg.svd(Y, full_matrices=True)
    rank = int(np.count_nonzero(sv > max(N, d) * np.finfo(float).eps * (sv[0] if sv.size else 0.0)))
    if rank < d:  # a unit direction orthogonal to every y_i attains 0 (up to rounding)
        u0 = vt[-1]
        lo = _objective(Y, u0, True)
        return lo, max(upper, lo), u0
    if d == 1:
        u_best = np.array([1.0]) if Y.min() >= -Y.max() else np.array([-1.0])
        val = _objective(Y, u_best, True)
        return val, val, u_best
    if d <= max_hull_dim and N > d:
        from scipy.spatial import ConvexHull

        hull = ConvexHull(Y)
        normals = hull.equations[:, :-1]
        normals = normals / np.linalg.norm(normals, axis=1, keepdims=True)
        vals = (-(Y @ normals.T)).min(axis=0)  # objective at u = -n for every facet
        j = int(np.argmax(vals))
        u_best = -normals[j]
        lo = _objective(Y, u_best, True)
        return lo, max(min(upper, float(vals.max())), lo), u_best
    cands.append(vt[0])
    vals = [(_objective(Y, c, True), c) for c in cands]
    lo, u_best = max(vals, key=lambda t: t[0])
    return lo, max(upper, lo), u_best


# ------------------------------------------------------------- public methods


def convex_integrity(
    X,
    labels,
    *,
    kind: str = "one",
    signed: bool = False,
    sdp: bool = True,
    subset_size: int = 10,
    restarts: int = 16,
    bounds: bool = True,
    solver: str | None = "CLARABEL",
    seed=None,
    bases=None,
    rank: int | None = None,
    greedy_kwargs: dict | None = None,
) -> IntegrityResult:
    """Convex (SOCP) integrity with certified lower and upper bounds.

    Lower bound: start from Algorithm 1's direction, the top right singular
    vector of the projected points and the best of ``restarts`` annealed
    soft-min ascents, then alternate
    ``s = sign(Y u)``, ``u = argmax_{||u|| <= 1} min_i s_i y_i^T u`` (an SOCP
    solved by cvxpy) while the sign pattern changes; each step cannot
    decrease ``min_i |y_i^T u|``.  With ``signed=True`` one SOCP is the
    global optimum (the problem is convex).

    Upper bound (``signed=False``): the minimum of ``min_i ||y_i||``, the
    SDP relaxation's dual bound ``min_p sqrt(lambda_max(sum_i p_i y_i y_i^T))``
    (``sdp=True``; every ``p`` in the simplex certifies) and the exact value on the
    ``subset_size`` points with the smallest ``|y_i^T u|`` at the lower
    bound's direction, grown by cutting planes (dropping points can only
    increase the max-min).  ``bounds=False`` skips the last two (only the
    direction is wanted).
    With ``signed=True``: ``||sum_i p_i y_i||`` for the SOCP's dual ``p``.

    See :func:`greedy_integrity` for the other parameters.
    """
    X, lab, K = _check_inputs(X, labels, kind)
    subset_size = check_int(subset_size, "subset_size", low=1, high=16)
    restarts = check_int(restarts, "restarts", low=1)
    rng = check_random_state(seed)
    if not signed:  # the signed problem is convex: no start needed
        gk = dict(greedy_kwargs or {})
        gk.setdefault("seed", rng)
        g = greedy_integrity(X, lab, kind=kind, signed=signed, bases=bases, rank=rank, **gk)
    probs = integrity_problems(X, lab, kind, bases=bases, rank=rank)
    lo = np.zeros(K)
    hi = np.zeros(K)
    dirs = np.zeros((K, X.shape[1]))
    for k, (V, idx) in enumerate(probs):
        Y = X[idx] @ V
        if V.shape[1] == 0 or np.all(np.linalg.norm(Y, axis=1) == 0):
            lo[k] = hi[k] = 0.0
            continue
        socp = _SOCP(Y, solver)
        if signed:  # a convex problem on the ball; the sphere needs care when 0 is in the hull
            lo[k], hi[k], u = _signed_optimum(Y, socp)
            dirs[k] = V @ u
            continue
        _, _, vt = np.linalg.svd(Y, full_matrices=False)
        starts = [V.T @ g.directions[k], vt[0], _smooth_ascent(Y, rng, restarts=restarts)]
        best, best_u = -np.inf, None
        for u0 in starts:
            u0 = _unit_or_none(u0)
            if u0 is None:
                continue
            val, u = _ascent(Y, socp, u0)
            if val > best:
                best, best_u = val, u
        lo[k] = best
        dirs[k] = V @ best_u
        ubs = [float(np.min(np.linalg.norm(Y, axis=1)))]
        if bounds and sdp:
            ubs.append(_spectral_upper(Y))
        if bounds:
            sub_ub, sub_u = _cutting_plane_upper(Y, best_u, subset_size)
            ubs.append(sub_ub)
            if sub_u is not None and _objective(Y, sub_u, False) > lo[k]:
                lo[k] = _objective(Y, sub_u, False)
                dirs[k] = V @ sub_u
        hi[k] = max(min(ubs), lo[k])  # a certificate below a feasible value can only be rounding
    return IntegrityResult(float(lo.min()), float(lo.min()), float(hi.min()), lo, hi, dirs, kind, bool(signed), "convex")


def exact_integrity(
    X,
    labels,
    *,
    kind: str = "one",
    signed: bool = False,
    max_exact_points: int = 14,
    solver: str | None = "CLARABEL",
    bases=None,
    rank: int | None = None,
) -> IntegrityResult:
    """Global optimum by enumerating every sign pattern (small problems only).

    ``max_u min_i |y_i^T u| = max_s dist(0, conv{s_i y_i})`` (minimax
    duality, for the best pattern ``s``); every pattern's min-norm point is
    computed (:func:`min_norm_in_hull`), the best pattern is polished with
    the SOCP, and ``upper`` is the maximum over all patterns of their
    certificates.  Raises if a cluster's sub-problem has more than
    ``max_exact_points`` points (``2^(N-1)`` patterns).
    """
    X, lab, K = _check_inputs(X, labels, kind)
    max_exact_points = check_int(max_exact_points, "max_exact_points", low=1, high=20)
    probs = integrity_problems(X, lab, kind, bases=bases, rank=rank)
    lo = np.zeros(K)
    hi = np.zeros(K)
    dirs = np.zeros((K, X.shape[1]))
    for k, (V, idx) in enumerate(probs):
        Y = X[idx] @ V
        if Y.shape[0] > max_exact_points:
            raise ValueError(
                f"X has {Y.shape[0]} points in cluster {k}'s sub-problem, more than max_exact_points="
                f"{max_exact_points}; use method='convex'"
            )
        if V.shape[1] == 0 or np.all(np.linalg.norm(Y, axis=1) == 0):
            continue
        socp = _SOCP(Y, solver)
        if signed:  # one convex program on the ball; the sphere needs care when 0 is in the hull
            lo[k], hi[k], u = _signed_optimum(Y, socp)
            dirs[k] = V @ u
            continue
        S, ub, v = _enumerate(Y, iters=3000)
        j = int(np.argmax(ub))
        u, ub_best = socp.solve(S[j])
        cands = [u, _unit_or_none(v[j])]
        vals = [(_objective(Y, c, False), c) for c in cands if c is not None]
        best, best_u = max(vals, key=lambda t: t[0]) if vals else (0.0, np.zeros(Y.shape[1]))
        ub = ub.copy()
        ub[j] = min(ub[j], ub_best)
        lo[k] = best
        hi[k] = max(float(ub.max()), best)
        dirs[k] = V @ best_u
    return IntegrityResult(float(lo.min()), float(lo.min()), float(hi.min()), lo, hi, dirs, kind, bool(signed), "exact")


def cluster_integrity(X, labels, method: str = "convex", *, kind: str = "one", signed: bool = False, **kwargs) -> IntegrityResult:
    """Cluster integrity ``rho = min_k rho_k`` (Definition 1, eq. 2) with certified bounds.

    Parameters
    ----------
    X : array_like, shape (n, m)
        Clean unit rows (non-unit or zero rows raise ``ValueError``).
    labels : array_like of int, shape (n,)
        Labels ``0..K-1`` with ``K >= 2`` and no empty cluster.
    method : {"greedy", "convex", "exact"}, default "convex"
        Algorithm 1 (:func:`greedy_integrity`), the SOCP ascent with
        certified bounds (:func:`convex_integrity`) or exhaustive sign
        patterns (:func:`exact_integrity`).
    kind : {"one", "all"}, default "one"
        ``"one"``: Definition 1 (``u`` orthogonal to one subspace, min over
        the other clusters' points).  ``"all"``: the quantity Theorem 1's
        proof needs (``w`` orthogonal to all other subspaces, min over the
        cluster's own points).  Equal for ``K = 2``.
    signed : bool, default False
        ``min_i x_i^T u`` instead of ``min_i |x_i^T u|`` (the corrected
        Theorem 1's constant when ``kind="all"``).
    **kwargs
        Passed to the method.

    Returns
    -------
    IntegrityResult
        ``rho``, certified ``lower <= rho_true <= upper``, per-cluster values
        and the unit directions attaining them.
    """
    _check_inputs(X, labels, kind, method)
    fn = {"greedy": greedy_integrity, "convex": convex_integrity, "exact": exact_integrity}[method]
    return fn(X, labels, kind=kind, signed=signed, **kwargs)
