"""Stacked Adam training of linear projectors against the population minimiser."""

import numpy as np
import pytest

from theory.population_loss import minimize_population_loss
from theory.projector_training import train_gmm_projectors


def test_training_reaches_population_expansion_measure():
    # shrinkage (t* ~ 1/p) and exact rank-one (t* = 1) regimes of the exact loss,
    # trained as one stack; 0.1 is ~10x the seed-to-seed spread seen at these sizes
    mu = np.array([1.0, 0.0, 0.0, 0.0])
    taus = np.array([0.05, 100.0])
    fit = train_gmm_projectors(mu, 0.5, taus, steps=250, batch=256, lr=0.03, seed=0)
    for t_learned, tau in zip(fit.expansion_measure, taus):
        target = minimize_population_loss(mu, 0.5, tau).expansion_measure
        assert abs(t_learned - target) < 0.1, (tau, t_learned, target)


def test_stacked_runs_are_reproducible_and_independent_of_order():
    mu = np.array([1.0, 0.0, 0.0])
    a = train_gmm_projectors(mu, [0.5, 1.0], 1.0, steps=20, batch=64, seed=3, record=5)
    b = train_gmm_projectors(mu, [0.5, 1.0], 1.0, steps=20, batch=64, seed=3, record=5)
    assert np.array_equal(a.W, b.W) and np.array_equal(a.trajectory, b.trajectory)
    assert a.W.shape == (2, 3, 3) and a.trajectory.shape == (2, 5)
    assert a.record_steps[0] == 0 and a.record_steps[-1] == 20
    # the recorded final expansion measure is that of the returned W
    assert a.trajectory[:, -1] == pytest.approx(a.expansion_measure, abs=1e-5)
    np.testing.assert_allclose(np.linalg.norm(a.W, axis=(1, 2)), 1.0, rtol=1e-5)


def test_ntxent_loss_trains():
    mu = np.array([2.0, 0.0])
    fit = train_gmm_projectors(mu, 0.5, 0.5, loss="ntxent", steps=5, batch=16, seed=0)
    assert np.all(np.isfinite(fit.final_loss)) and 0 <= fit.expansion_measure[0] <= 1


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(sigma2=-1.0), "sigma2"),
        (dict(tau=0.0), "tau"),
        (dict(loss="mse"), "loss must be one of"),
        (dict(batch=1), "batch"),
        (dict(sigma2=[1.0, 2.0], tau=[1.0, 2.0, 3.0]), "broadcast"),
    ],
)
def test_bad_input(kw, match):
    args = dict(mu=np.ones(2), sigma2=0.5, tau=1.0)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        train_gmm_projectors(args.pop("mu"), args.pop("sigma2"), args.pop("tau"), steps=2, **args)


# --------------------------------------------------------------- the protocol
#
# The training loop is checked through what it hands to its loss: spies on
# ``empirical_loss`` / ``nt_xent`` record every batch, projector and
# temperature, and a spy on Adam records the learning rate of each step.
# The batches are then compared with the 2-GMM contrastive model by Monte
# Carlo (covariances with their standard errors), the first Adam step with
# its closed form (a step of ``lr`` against the sign of the gradient), and
# the recorded expansion measures with ``t(W) = ||W mu||^2 / (||W||_F^2 rho)``
# computed here from the recorded projectors.

import math

import torch

import theory.ntxent
import theory.population_loss


class _Spy:
    def __init__(self, monkeypatch, module, name):
        self.calls = []
        original = getattr(module, name)

        def wrapper(*args, **kw):
            out = original(*args, **kw)
            self.calls.append(([a.detach().clone() if torch.is_tensor(a) else a for a in args], out.detach().clone()))
            return out

        monkeypatch.setattr(module, name, wrapper)


def _cov_check(a, b, want, n_sigma=5.0):
    """Cross-covariance of the rows of ``a`` and ``b`` (zero-mean model) against ``want``, within ``n_sigma`` s.e."""
    n = a.shape[0]
    got = a.T @ b / n
    va, vb = (a * a).mean(0), (b * b).mean(0)
    se = np.sqrt((np.outer(va, vb) + got**2) / n)  # Gaussian s.e. of a product moment
    assert np.all(np.abs(got - want) < n_sigma * se + 1e-12), (got, want, se)


def test_batches_follow_the_contrastive_model_of_each_run(monkeypatch):
    """h = y mu + N(0, I); views h + sigma_r N(0, I); negatives independent; tau_r per run."""
    spy = _Spy(monkeypatch, theory.population_loss, "empirical_loss")
    mu = np.array([1.5, 0.0, -0.5])
    s2, taus = np.array([0.25, 2.0]), np.array([0.5, 3.0])
    train_gmm_projectors(mu, s2, taus, steps=40, batch=256, lr=1e-4, seed=1, dtype=torch.float64)
    assert len(spy.calls) == 40
    h1 = np.concatenate([c[0][1].numpy() for c in spy.calls], axis=1)  # (R, steps*B, p)
    h2 = np.concatenate([c[0][2].numpy() for c in spy.calls], axis=1)
    hn = np.concatenate([c[0][3].numpy() for c in spy.calls], axis=1)
    p = mu.size
    signal = np.eye(p) + np.outer(mu, mu)
    for r in range(2):
        _cov_check(h1[r], h1[r], signal + s2[r] * np.eye(p))
        _cov_check(hn[r], hn[r], signal + s2[r] * np.eye(p))
        _cov_check(h1[r], h2[r], signal)  # the two views share h
        _cov_check(h1[r], hn[r], np.zeros((p, p)))  # negatives are independent
        _cov_check(h1[r] - h2[r], h1[r] - h2[r], 2 * s2[r] * np.eye(p))
        # classes balanced: the sign of <h, mu> is that of y for most samples, so its mean is ~0
        frac = np.mean(h1[r] @ mu > 0)
        assert abs(frac - 0.5) < 5 * math.sqrt(0.25 / h1.shape[1])
    # the runs draw their own features and augmentations (nothing shared across the stack)
    _cov_check(h1[0], h1[1], np.zeros((p, p)))
    _cov_check(h1[0] - h2[0], h1[1] - h2[1], np.zeros((p, p)))
    # fresh batches every step: consecutive batches are uncorrelated
    _cov_check(spy.calls[0][0][1][0].numpy(), spy.calls[1][0][1][0].numpy(), np.zeros((p, p)))
    for args, _ in spy.calls:
        np.testing.assert_allclose(args[4].numpy(), taus, rtol=1e-15)
        np.testing.assert_allclose(np.linalg.norm(args[0].numpy(), axis=(1, 2)), 1.0, rtol=1e-12)
        assert args[0].dtype == torch.float64


def test_default_dtype_is_float32(monkeypatch):
    spy = _Spy(monkeypatch, theory.population_loss, "empirical_loss")
    fit = train_gmm_projectors(np.ones(2), 0.5, 1.0, steps=1, batch=4, seed=0)
    assert spy.calls[0][0][0].dtype == torch.float32 and spy.calls[0][0][1].dtype == torch.float32
    assert fit.W.dtype == np.float64 and fit.final_loss.dtype == np.float64


class _RecordingAdam(torch.optim.Adam):
    lrs: list = []

    def step(self, closure=None):
        _RecordingAdam.lrs.append(self.param_groups[0]["lr"])
        return super().step(closure)


def test_learning_rate_is_cosine_annealed_to_zero(monkeypatch):
    _RecordingAdam.lrs = []
    monkeypatch.setattr(torch.optim, "Adam", _RecordingAdam)
    train_gmm_projectors(np.ones(2), 0.5, 1.0, steps=4, batch=4, lr=0.2, seed=0)
    c = math.cos(math.pi / 4)
    np.testing.assert_allclose(_RecordingAdam.lrs, [0.2, 0.1 * (1 + c), 0.1, 0.1 * (1 - c)], rtol=1e-12)


@pytest.mark.parametrize("normalize", [True, False])
def test_one_step_is_an_adam_step_against_the_gradient(monkeypatch, normalize):
    """Adam's first step moves every entry by lr against the sign of its gradient (m/sqrt(v) = g/|g|)."""
    spy = _Spy(monkeypatch, theory.population_loss, "empirical_loss")
    mu = np.array([1.0, 0.5, 0.0, -1.0])
    lr = 3e-3  # not Adam's default 1e-3, so a dropped lr shows
    fit = train_gmm_projectors(mu, [0.3, 1.0], [0.2, 2.0], steps=1, batch=64, lr=lr, seed=5, normalize=normalize,
                               dtype=torch.float64)
    (W0, h1, h2, hn, tau), _ = spy.calls[0]
    W = W0.clone().requires_grad_(True)
    theory.population_loss.empirical_loss(W, h1, h2, hn, tau).sum().backward()
    g = W.grad.numpy()
    assert np.all(np.abs(g) > 1e-6)  # no entry where Adam's eps matters
    W1 = W0.numpy() - lr * np.sign(g)
    if normalize:
        W1 /= np.linalg.norm(W1, axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(fit.W, W1, rtol=1e-6, atol=1e-9)
    # the loss went down on that batch (a descent step, not an ascent)
    after = theory.population_loss.empirical_loss(torch.from_numpy(fit.W), h1, h2, hn, tau).numpy()
    assert np.all(after < spy.calls[0][1].numpy())


def test_initial_projectors_have_entries_of_variance_one_over_p(monkeypatch):
    spy = _Spy(monkeypatch, theory.population_loss, "empirical_loss")
    p, R = 40, 6
    train_gmm_projectors(np.ones(p), np.full(R, 0.5), 1.0, steps=1, batch=4, seed=2, normalize=False,
                         dtype=torch.float64)
    W0 = spy.calls[0][0][0].numpy()
    # sum of p^2 entries of variance 1/p: mean p, sd sqrt(2)
    total = (W0**2).sum()
    assert abs(total / R - p) < 5 * math.sqrt(2 / R)
    assert abs(W0.mean()) < 5 / math.sqrt(p * p * R * p)


def _t(W, mu):
    Wm = W @ mu
    return (Wm**2).sum(-1) / ((W**2).sum((-1, -2)) * (mu @ mu))


@pytest.mark.parametrize("steps,record,expected", [(20, 5, [0, 5, 10, 15, 20]), (7, 3, [0, 4, 7]), (6, 1, [0]),
                                                    (3, 10, [0, 1, 2, 3])])
def test_recorded_trajectory_is_the_expansion_measure_at_the_recorded_steps(monkeypatch, steps, record, expected):
    spy = _Spy(monkeypatch, theory.population_loss, "empirical_loss")
    mu = np.array([2.0, 0.0, 1.0])
    fit = train_gmm_projectors(mu, [0.2, 1.5], [0.3, 4.0], steps=steps, batch=16, lr=0.05, seed=4, record=record,
                               normalize=False, dtype=torch.float64)
    assert fit.record_steps.tolist() == expected
    Ws = [c[0][0].numpy() for c in spy.calls] + [fit.W]  # W before each step, then the final one
    want = np.stack([_t(Ws[k], mu) for k in expected], axis=1)
    np.testing.assert_allclose(fit.trajectory, want, rtol=1e-12)
    np.testing.assert_allclose(fit.expansion_measure, _t(fit.W, mu), rtol=1e-12)
    np.testing.assert_allclose(fit.final_loss, spy.calls[-1][1].numpy(), rtol=1e-15)
    assert not np.allclose(np.linalg.norm(fit.W, axis=(1, 2)), 1.0)  # normalize=False keeps the scale


def test_no_record_gives_an_empty_trajectory():
    fit = train_gmm_projectors(np.ones(3), [0.5, 1.0, 2.0], 1.0, steps=2, batch=4, seed=0)
    assert fit.trajectory.shape == (3, 0) and fit.record_steps.shape == (0,)
    assert fit.record_steps.dtype.kind == "i"  # step indices, even when there are none


def test_float64_batches_are_float64_draws_and_sigma2_zero_gives_identical_views(monkeypatch):
    """With dtype=float64 the noise is drawn in float64 (not float32 draws promoted); sigma2 = 0 is allowed."""
    spy = _Spy(monkeypatch, theory.population_loss, "empirical_loss")
    train_gmm_projectors(np.array([1.0, 0.0]), 0.0, 1.0, steps=2, batch=64, seed=0, dtype=torch.float64)
    (W0, h1, h2, hn, _), _ = spy.calls[0]
    assert torch.equal(h1, h2)  # no augmentation noise
    raw = hn[..., 1].numpy()  # mu_2 = 0 and sigma2 = 0: the raw N(0, 1) draw
    assert np.mean(raw.astype(np.float32).astype(np.float64) == raw) < 0.01
    assert W0.dtype == torch.float64


class _Stop(Exception):
    pass


def test_defaults(monkeypatch, capsys):
    """600 steps of batches of 512 at lr 0.02, seed 0, no progress bar (stopped after its second step: the
    cosine factor of step 1, (1 + cos(pi / 600)) / 2, identifies the 600 steps)."""
    spy = _Spy(monkeypatch, theory.population_loss, "empirical_loss")
    _RecordingAdam.lrs = []

    class StopAfterTwo(_RecordingAdam):
        def step(self, closure=None):
            if len(_RecordingAdam.lrs) == 2:
                raise _Stop
            return super().step(closure)

    monkeypatch.setattr(torch.optim, "Adam", StopAfterTwo)
    with pytest.raises(_Stop):
        train_gmm_projectors(np.array([1.0, 0.5]), 0.5, 1.0)
    assert spy.calls[0][0][1].shape == (1, 512, 2)
    np.testing.assert_allclose(_RecordingAdam.lrs, [0.02, 0.01 * (1 + np.cos(np.pi / 600))], rtol=1e-14)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(torch.optim, "Adam", _RecordingAdam)
    b = train_gmm_projectors(np.array([1.0, 0.5]), 0.5, 1.0, steps=1, seed=0)
    c = train_gmm_projectors(np.array([1.0, 0.5]), 0.5, 1.0, steps=1)
    assert np.array_equal(b.W, c.W)


def test_different_seeds_give_different_streams():
    """200 seeds, 200 different initial projectors (a narrow internal seed range would collide)."""
    firsts = {train_gmm_projectors(np.ones(2), 0.5, 1.0, steps=1, batch=2, seed=s).W.tobytes() for s in range(200)}
    assert len(firsts) == 200


def test_ntxent_training_projects_the_views_with_each_run_temperature(monkeypatch):
    """z = W h (not h W): the spread of z1 - z2 is 2 sigma_r^2 W W^T, each run with its own tau."""
    spy = _Spy(monkeypatch, theory.ntxent, "nt_xent")
    mu = np.array([1.0, -1.0, 0.5])
    s2, taus = np.array([0.5, 2.0]), np.array([0.3, 1.7])
    fit = train_gmm_projectors(mu, s2, taus, loss="ntxent", steps=30, batch=256, lr=1e-7, seed=3,
                               dtype=torch.float64, normalize=False)
    assert len(spy.calls) == 2 * 30
    W = fit.W  # moved by at most 30 lr from the projectors used in every step
    for r in range(2):
        calls = spy.calls[r::2]
        assert all(c[0][2] == pytest.approx(taus[r], rel=1e-15) for c in calls)
        z1 = np.concatenate([c[0][0].numpy() for c in calls])
        z2 = np.concatenate([c[0][1].numpy() for c in calls])
        _cov_check(z1 - z2, z1 - z2, 2 * s2[r] * W[r] @ W[r].T)
        _cov_check(z1, z2, W[r] @ (np.eye(3) + np.outer(mu, mu)) @ W[r].T)
    np.testing.assert_allclose(fit.final_loss, [spy.calls[-2][1].item(), spy.calls[-1][1].item()], rtol=1e-15)


def test_seed_and_progress(capsys):
    mu = np.ones(2)
    a = train_gmm_projectors(mu, 0.5, 1.0, steps=3, batch=8, seed=0)
    b = train_gmm_projectors(mu, 0.5, 1.0, steps=3, batch=8, seed=np.random.default_rng(0))
    c = train_gmm_projectors(mu, 0.5, 1.0, steps=3, batch=8, seed=1, progress=True)
    assert np.array_equal(a.W, b.W) and not np.allclose(a.W, c.W)
    err = capsys.readouterr().err
    assert "Adam on 1 projectors (population)" in err and "3/3" in err


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(sigma2=[[1.0]]), r"^sigma2 must be a scalar or 1-d array of finite values in \[0, inf\)$"),
        (dict(sigma2=np.nan), r"^sigma2 must be a scalar or 1-d array of finite values in \[0, inf\)$"),
        (dict(sigma2=-1e-9), r"^sigma2 must be a scalar or 1-d array of finite values in \[0, inf\)$"),
        (dict(tau=0.0), r"^tau must be a scalar or 1-d array of finite values in \(0, inf\)$"),
        (dict(tau=np.inf), r"^tau must be a scalar or 1-d array of finite values in \(0, inf\)$"),
        (dict(sigma2=[1.0, 2.0], tau=[1.0, 2.0, 3.0]),
         r"^sigma2 and tau must broadcast together, got shapes \(2,\) and \(3,\)$"),
        (dict(loss="mse"), r"^loss must be one of \('population', 'ntxent'\), got 'mse'$"),
        (dict(steps=0), r"^steps must be an integer in \[1, inf\), got 0$"),
        (dict(batch=1), r"^batch must be an integer in \[2, inf\), got 1$"),
        (dict(lr=0.0), r"^lr must be in \(0, inf\), got 0.0$"),
        (dict(record=-1), r"^record must be an integer in \[0, inf\), got -1$"),
        (dict(mu=np.zeros(2)), r"^mu must be non-zero \(\|\|mu\|\| > 0\)$"),
    ],
)
def test_bad_input_names_the_parameter(kw, match):
    args = dict(mu=np.ones(2), sigma2=0.5, tau=1.0, steps=2)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        train_gmm_projectors(args.pop("mu"), args.pop("sigma2"), args.pop("tau"), **args)
