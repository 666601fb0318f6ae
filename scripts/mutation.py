"""Mutation testing of one ``theory/`` module at a time (mutmut), with only the tests that cover it.

Usage::

    python scripts/mutation.py phase                  # theory/phase.py
    python scripts/mutation.py phase infonce --max-children 2
    python scripts/mutation.py phase --tests tests/test_phase.py tests/test_population_loss.py

For each module it copies the project into ``.mutation/<module>/`` (so runs of
different modules never share a ``mutants/`` folder and the checkout is left
alone), writes the ``[mutmut]`` section of ``setup.cfg`` there with
``only_mutate = theory/<module>.py`` and the test selection, runs
``mutmut run`` (mutmut maps every test to the functions it calls and runs,
for each mutant, only the tests that reach the mutated function), and prints
one line per module::

    theory/phase.py: 118 mutants, 112 killed, 2 survived, 4 timeout/suspicious ... score 96.6%

and the names of the survivors (``mutmut show NAME`` inside
``.mutation/<module>/`` prints the diff).  The tests used by default are
``tests/test_<module>.py`` only (the mirror of the module: the score says
how well a module's own tests pin it down); ``--importers`` adds every other
test file that imports from ``theory.<module>``, except the end-to-end
simulation tests (listed in ``SLOW``).
"""

from __future__ import annotations

import argparse
import ast
import configparser
import difflib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPY = ["theory", "sims", "figures", "tests", "setup.cfg", "pyproject.toml"]
SLOW = {"test_figures.py", "test_deep_fusion_toy.py", "test_projector_e2e.py", "test_phase_diagram.py",
        "test_sims_maxmargin.py", "test_fusion_theory.py", "test_phase_train.py", "test_common.py"}


def tests_for(module: str, *, importers: bool = False) -> list[str]:
    """``tests/test_<module>.py``; with ``importers``, also every other fast test file importing the module."""
    own = ROOT / "tests" / f"test_{module.lstrip('_')}.py"  # theory/_validation.py -> tests/test_validation.py
    out = [own] if own.exists() else []
    if importers:
        pattern = re.compile(rf"^\s*(from theory\.{module} import|import theory\.{module}\b)", re.M)
        for f in sorted((ROOT / "tests").glob("test_*.py")):
            if f != own and f.name not in SLOW and pattern.search(f.read_text()):
                out.append(f)
    return [str(f.relative_to(ROOT)) for f in out]


def results(work: Path) -> dict[str, list[str]]:
    """``{status: [mutant names]}`` of a finished run in ``work`` (``mutmut results --all true``)."""
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    res = subprocess.run([mutmut, "results", "--all", "true"], cwd=work, capture_output=True, text=True, check=False)
    status: dict[str, list[str]] = {}
    for line in res.stdout.splitlines():
        if ":" in line:
            name, st = line.rsplit(":", 1)
            status.setdefault(st.strip(), []).append(name.strip())
    return status


def run(module: str, tests: list[str], max_children: int, *, skip_slow: bool = False,
        functions: list[str] | None = None, sample: int | None = None, sample_seed: int = 0) -> dict:
    work = ROOT / ".mutation" / module
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__", "out"))
        elif src.exists():
            shutil.copy2(src, work / name)
    cfg = configparser.ConfigParser()
    cfg.read(work / "setup.cfg")
    cfg["mutmut"]["only_mutate"] = f"theory/{module}.py"
    cfg["mutmut"]["pytest_add_cli_args_test_selection"] = "\n" + "\n".join(tests)
    # mutmut records which tests reach which functions in its own process: no xdist workers
    cfg["tool:pytest"]["addopts"] = re.sub(r"\s*-n \d+|\s*--dist \w+", "", cfg["tool:pytest"]["addopts"])
    with open(work / "setup.cfg", "w") as fh:
        cfg.write(fh)
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    env = {**os.environ, **({"MUTATION_SKIP_SLOW": "1"} if skip_slow else {})}
    names = [f"theory.{module}.{pat}" for pat in functions or []]  # mutmut matches mutant names with wildcards
    if sample is not None:  # generate the mutants (a pattern matching none runs none), then draw the sample
        subprocess.run([mutmut, "run", f"theory.{module}.no_such_function*"], cwd=work, check=False, env=env,
                       stdout=subprocess.DEVNULL)
        names = sample_mutants(work, module, sample, sample_seed)
        print(f"theory/{module}.py: a random sample of {len(names)} mutants (seed {sample_seed})", flush=True)
    subprocess.run([mutmut, "run", "--max-children", str(max_children), *names], cwd=work, check=False, env=env)
    return results(work)


def sample_mutants(work: Path, module: str, size: int, seed: int = 0) -> list[str]:
    """A uniform random sample (without replacement, seeded) of the mutant names of ``module``."""
    import numpy as np

    pool = sorted(f"theory.{module}.{f}" for f in _mutant_sources(work, module) if re.search(r"__mutmut_\d+$", f))
    idx = np.random.default_rng(seed).choice(len(pool), size=min(size, len(pool)), replace=False)
    return [pool[i] for i in sorted(idx)]


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a binomial proportion ``k / n`` (the score of a random sample of mutants)."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return max(centre - half, 0.0), min(centre + half, 1.0)


def a_sub(line: str) -> str:
    m = re.search(r'einsum\("([^"]+)"', line)
    return m.group(1) if m else ""


def _strip(x: str) -> str:
    return re.sub(r"\s+", "", x)


# Equivalent mutants particular to one module: (module, source line before, after, reason), matched on the
# whitespace-stripped lines (so they survive renumbering).  Each reason says why no output can change.
_ZERO_PROB = "the redraw loop runs only if a Gaussian row is exactly 0 (probability zero)"
_SCALE = "rows are renormalised later (_unit), so a positive row scale cannot change a direction"
_NUM = "float64 for a real scalar or array either way: every later use converts it (np.sqrt, torch.as_tensor(dtype=...))"
_SEED = "the internal torch seed drawn from [0, 2^63) instead of [0, 2^62): a different, equally valid stream"
_EMPTY_LINSPACE = "np.linspace(0, steps, 0) is empty: the same empty set of recorded steps"
_INT_IN_SET = "float step indices in the set: an int step equals its float (5 in {5.0})"
_TWO_D = "sum over axis +1 of a 2-d array is the sum over axis -1"
_TO_NONE = "Tensor.to(None) is a no-op; the int sign times a float tensor is promoted to the float dtype"
_RANDINT = "torch.randint(high, ...) starts at 0"
_SYM = "the sign of symmetric Gaussian noise: the same law (the random stream is not a contract)"
_OVERWRITTEN = "overwritten by the first step (steps >= 1 is checked) before it is read"
_TQDM = "tqdm's file defaults to stderr; dynamic_ncols only changes the bar's width"
_BREAK = "the loop breaks at step == steps, so the range end past it is never reached"
_ZERO_GRAD = "set_to_none=False zeroes the gradients instead of dropping them: the same step"
_PYFLOATS = "np.asarray of a list of Python floats is float64 with or without dtype=float (an empty list too)"
_SEED_STATE = "a different but equally valid seed for the torch generator (uint32 state words, or one more bit shifted out)"
_CPU_DEFAULT = "torch.Generator(device=None) is a CPU generator"
_NO_WARMUP = "with warmup_steps = 0 no step is < 0, so the warm-up branch never runs either way"
_WARMUP_ONE = "one warm-up step has factor (0 + 1) / 1 = 1, the cosine's value at its start"
_SPLIT_DIM = "dim=0 is the default of torch.cat and Tensor.split"
_C2_LE_1 = "1 - delta F with delta > 0 and F >= 0 is never above 1, so the upper clip never acts"
_FULL_DELTA = "every caller passes delta already broadcast to the full grid, so the grid's shape is delta's either way"
_F64_ALREADY = "the arrays are float64 already (square roots and broadcasts of validated float64 parameters)"
_Q_INF = "_solve tells the limit q = -inf apart only by np.isinf (q = 1 - (1 + eta)^-2 < 1 is never +inf)"
_REDUCED_SVD = ("0 in the hull of a rank-r set takes N >= r + 1 points, so the reduced SVD's last right singular vector "
                "already has singular value 0 (in the null space): the same witness direction")
_NONEMPTY = "Y has at least one row here, so sv is never empty"
_N_EQ_D = ("N = d linearly independent points cannot have 0 in their hull, a case returned earlier, so N >= d "
           "and N > d select the same cases")
_UNIT_NORMALS = "qhull's facet normals are already unit vectors: dividing or multiplying by their norm is the same"
_BOOL_MASK = "a float mask of ones with zeros at the test rows selects the same rows with np.flatnonzero as the boolean one"
_F64_IMAGES = "the images divided by 16.0 are float64 already"
_SCALE_FREE = ("the pixels are standardised with the training set's mean and sd right after, which removes any positive "
               "scale applied before: the same standardised images (to rounding)")
_INT_LABELS = "subspace_clusters returns int64 labels already"
_FALSY = "None is falsy: the same branch as False"
_LATER_FLOAT = ("every later use converts to float64 anyway (np.linalg.svd, np.concatenate with float arrays, the "
                "projection X @ V with a float V); nothing else reads the array")
_CVXPY_DEFAULT = "cvxpy (1.9) chooses CLARABEL, the solver named, for a second-order cone program by default"
_CASE = "cvxpy's solver names are case-insensitive"
_ONE_ROUND = ("the SOCP's optimum u for the pattern s has s_i y_i^T u >= t > 0, so sign(Y u) = s: the pattern repeats "
              "after the first round, whatever the bookkeeping of the patterns seen or the cap on rounds")
_ONE_DEVICE = ("equivalent on a machine with one device (CI's CPU): the model's device and the default are the "
               "same, and no second device exists to tell them apart")
_FALLBACK = ("HiGHS's verdict is then left to the bounded LP, which gives the same answer (tested on its own and "
             "through a forced fallback)")
_UNREACHABLE = "the message of an error no correct solver run reaches (pragma: no cover)"
_SELF_CHECK = ("a self-check on the NNLS solution that never fires when NNLS is correct; the mutation changes no "
               "output of a correct run")
_NEED_WEIGHTS = ("the explicit-softmax attention path runs instead of the fused kernel; the two agree to rounding "
                 "(tested), so only speed and the last bits change")
_BRACKET = ("the bisection needs only count(lo) < target <= count(hi) at its start (or lo = 1); any upper end "
            "satisfying it gives the same final pair of widths")
_CERTIFICATES = ("whether the upper-bound certificates are also computed; fusion_weights reads only the directions, "
                 "which are the same")
_DELTA0 = "the else branch runs only at delta = 0, where n (delta + delta^2) and this variant of it are both 0"
_UNIT_COLUMN = ("the squared first components of an orthonormal eigenvector basis sum to 1 already: dividing or "
                "multiplying by that sum is the same")
_NO_ZERO_NORM = ("only where a projected view is exactly 0, which no node reaches: the chi-square nodes are > 0 and the "
                 "coordinates along u are shifted Hermite nodes")
_HERMITE_SYM = "Gauss-Hermite nodes and weights are symmetric about 0: a sign flip of the node array is the same rule"
_PAST_RANGE = "one more rung past the range, clipped to its end: a zero-width panel of weight 0"
_FAR_TAIL = "a range one sd wider beyond 12 sd, where the Gaussian mass is below 1e-32"
_TWO_FORMS = "the switch between two exact forms of e^-2y (e^d - 1), both accurate near y = 300"
_D_IN_0_Y = "d lies in [0, y]: the max is -d and the min d - 2y either way"
_INTERIOR_NODES = "QUADPACK's Gauss-Kronrod nodes are interior: far is never evaluated at v = 0 (nor at v = 1)"
_FLOAT_JACOBI = "the Jacobi matrix is float either way (float constants times j, np.sqrt)"
_MVN_MEAN = "scipy's multivariate_normal has mean zero by default (mean=None or left out)"
_FLOAT_CENTRE = "every caller passes a float array (np.zeros(()) or -mean_b / res)"
_FIRST_PASS = ("the first Gauss-Kronrod pass already meets the tolerance: identical output bits for tau from 0.05 "
               "to 1e3 (measured), so the tolerances and the subdivision limit are never consulted")
KNOWN_EQUIVALENT = [
    ("heads", "t,attention=block(t,return_attention)", "t,attention=block(t,)", _NEED_WEIGHTS),
    ("heads", "a,attention=self.attn(self.ln1(x),need_weights)", "a,attention=self.attn(self.ln1(x),)", _NEED_WEIGHTS),
    ("heads", "a,attention=self.attn(x,need_weights)", "a,attention=self.attn(x,)", _NEED_WEIGHTS),
    ("heads", "q4,k4,v4=(t.reshape(-1,self.n_heads,L,self.d_k)fortin(q,k,v))",
     "q4,k4,v4=(t.reshape(-1,L,self.d_k)fortin(q,k,v))",
     "3-d instead of 4-d inputs to scaled_dot_product_attention: torch takes its math path instead of the "
     "fused kernel; the same attention, to rounding"),
    ("attention", 'res=cluster_integrity(X,lab,"convex",kind="all",signed=True,bases=bases,rank=rank)',
     'res=cluster_integrity(X,lab,kind="all",signed=True,bases=bases,rank=rank)', "'convex' is the default method"),
    ("attention", 'ab=cluster_integrity(X,lab,"convex",kind="all",signed=False,bounds=False,bases=bases,rank=rank)',
     'ab=cluster_integrity(X,lab,kind="all",signed=False,bounds=False,bases=bases,rank=rank)',
     "'convex' is the default method"),
    ("attention", 'ab=cluster_integrity(X,lab,"convex",kind="all",signed=False,bounds=False,bases=bases,rank=rank)',
     'ab=cluster_integrity(X,lab,"convex",kind="all",bounds=False,bases=bases,rank=rank)', "signed=False is the default"),
    ("attention", 'ab=cluster_integrity(X,lab,"convex",kind="all",signed=False,bounds=False,bases=bases,rank=rank)',
     'ab=cluster_integrity(X,lab,"convex",kind="all",signed=None,bounds=False,bases=bases,rank=rank)',
     "signed=None is falsy: the unsigned problem"),
    ("attention", 'ab=cluster_integrity(X,lab,"convex",kind="all",signed=False,bounds=False,bases=bases,rank=rank)',
     'ab=cluster_integrity(X,lab,"convex",kind="all",signed=False,bases=bases,rank=rank)', _CERTIFICATES),
    ("attention", 'ab=cluster_integrity(X,lab,"convex",kind="all",signed=False,bounds=False,bases=bases,rank=rank)',
     'ab=cluster_integrity(X,lab,"convex",kind="all",signed=False,bounds=None,bases=bases,rank=rank)', _CERTIFICATES),
    ("attention", 'ab=cluster_integrity(X,lab,"convex",kind="all",signed=False,bounds=False,bases=bases,rank=rank)',
     'ab=cluster_integrity(X,lab,"convex",kind="all",signed=False,bounds=True,bases=bases,rank=rank)', _CERTIFICATES),
    ("attention", "lT=float(np.logaddexp(np.log(delta)+n*Delta**2,n*(delta+delta**2)))ifdelta>0elsen*(delta+delta**2)", "lT=float(np.logaddexp(np.log(delta)+n*Delta**2,n*(delta+delta**2)))ifdelta>0elsen*(delta+delta*2)", _DELTA0),
    ("attention", "lT=float(np.logaddexp(np.log(delta)+n*Delta**2,n*(delta+delta**2)))ifdelta>0elsen*(delta+delta**2)", "lT=float(np.logaddexp(np.log(delta)+n*Delta**2,n*(delta+delta**2)))ifdelta>0elsen*(delta+delta**3)", _DELTA0),
    ("attention", "lT=float(np.logaddexp(np.log(delta)+n*Delta**2,n*(delta+delta**2)))ifdelta>0elsen*(delta+delta**2)", "lT=float(np.logaddexp(np.log(delta)+n*Delta**2,n*(delta+delta**2)))ifdelta>0elsen*(delta-delta**2)", _DELTA0),
    ("attention", "la=np.log(abs(Delta))+Delta**2ifDelta!=0else-np.inf", "la=np.log(abs(Delta))+Delta**2ifDelta!=0else+np.inf",
     "at Delta = 0 the sign of a is 0 and _logaddexp_signed ignores la"),
    ("attention", "out=lnum-ldenifsdiff!=0else-np.inf", "out=lnum-ldenif(sdiff!=0)orTrueelse-np.inf",
     "sdiff = 0 means ldiff = -inf, so lnum - lden is -inf as well"),
    ("attention", "Y=Y/np.where(nrm>0,nrm,1.0)", "Y=Y/np.where(nrm>0,nrm,2.0)",
     "the divisor replaces a zero norm, where the row is 0 and stays 0 whatever it is divided by"),
    ("heads", "whilecount(hi)<target:", "whilecount(hi)<=target:", _BRACKET),
    ("heads", "hi*=2", "hi*=3", _BRACKET),
    ("heads", "lo,hi=1,1", "lo,hi=1,2", _BRACKET),
    ("heads", "ifcount(mid)<target:", "ifcount(mid)<=target:",
     "the bisection then ends at the largest width with count <= target and the next one: the same two "
     "candidates (an exact match has gap 0 and is returned either way)"),
    ("backbones", "returnSmallCNN(shape[0],out_dim,image_size=shape[1],**kw)",
     "returnSmallCNN(shape[0],out_dim,image_size=shape[2],**kw)",
     "shape[1] == shape[2] is checked two lines above (square images only)"),
    ("projector_training", 's2=np.atleast_1d(np.asarray(sigma2,dtype=np.float64))',
     's2=np.atleast_1d(np.asarray(sigma2,dtype=None))', _NUM),
    ("projector_training", 's2=np.atleast_1d(np.asarray(sigma2,dtype=np.float64))',
     's2=np.atleast_1d(np.asarray(sigma2,))', _NUM),
    ("projector_training", 'taus=np.atleast_1d(np.asarray(tau,dtype=np.float64))',
     'taus=np.atleast_1d(np.asarray(tau,dtype=None))', _NUM),
    ("projector_training", 'taus=np.atleast_1d(np.asarray(tau,dtype=np.float64))',
     'taus=np.atleast_1d(np.asarray(tau,))', _NUM),
    ("projector_training", 'torch_seed=int(check_random_state(seed).integers(2**62))',
     'torch_seed=int(check_random_state(seed).integers(2**63))', _SEED),
    ("projector_training", 'device=torch.device(device)',
     'device=None', _ONE_DEVICE),
    ("projector_training", 'g=torch.Generator(device=device).manual_seed(torch_seed)',
     'g=torch.Generator(device=None).manual_seed(torch_seed)', _ONE_DEVICE),
    ("projector_training", 'mu_t=torch.as_tensor(mu,dtype=dt,device=device)',
     'mu_t=torch.as_tensor(mu,dtype=dt,device=None)', _ONE_DEVICE),
    ("projector_training", 'mu_t=torch.as_tensor(mu,dtype=dt,device=device)',
     'mu_t=torch.as_tensor(mu,dtype=dt,)', _ONE_DEVICE),
    ("projector_training", 'sd=torch.as_tensor(np.sqrt(s2),dtype=dt,device=device)[:,None,None]',
     'sd=torch.as_tensor(np.sqrt(s2),dtype=dt,device=None)[:,None,None]', _ONE_DEVICE),
    ("projector_training", 'sd=torch.as_tensor(np.sqrt(s2),dtype=dt,device=device)[:,None,None]',
     'sd=torch.as_tensor(np.sqrt(s2),dtype=dt,)[:,None,None]', _ONE_DEVICE),
    ("projector_training", 'tau_t=torch.as_tensor(taus,dtype=dt,device=device)',
     'tau_t=torch.as_tensor(taus,dtype=dt,device=None)', _ONE_DEVICE),
    ("projector_training", 'tau_t=torch.as_tensor(taus,dtype=dt,device=device)',
     'tau_t=torch.as_tensor(taus,dtype=dt,)', _ONE_DEVICE),
    ("projector_training", 'W=torch.randn(R,p,p,generator=g,dtype=dt,device=device)/math.sqrt(p)',
     'W=torch.randn(R,p,p,generator=g,dtype=dt,device=None)/math.sqrt(p)', _ONE_DEVICE),
    ("projector_training", 'W=torch.randn(R,p,p,generator=g,dtype=dt,device=device)/math.sqrt(p)',
     'W=torch.randn(R,p,p,generator=g,dtype=dt,)/math.sqrt(p)', _ONE_DEVICE),
    ("projector_training", 'rec_at=set(np.unique(np.linspace(0,steps,record).round().astype(int)).tolist())ifrecordelseset()',
     'rec_at=set(np.unique(np.linspace(0,steps,record).round().astype(int)).tolist())if(record)orTrueelseset()', _EMPTY_LINSPACE),
    ("projector_training", 'rec_at=set(np.unique(np.linspace(0,steps,record).round().astype(int)).tolist())ifrecordelseset()',
     'rec_at=set(np.unique(np.linspace(0,steps,record).round().astype(None)).tolist())ifrecordelseset()', _INT_IN_SET),
    ("projector_training", 'return((Wm*Wm).sum(-1)/((Wt*Wt).sum((-1,-2))*rho)).detach().cpu().double().numpy()',
     'return((Wm*Wm).sum(+1)/((Wt*Wt).sum((-1,-2))*rho)).detach().cpu().double().numpy()', _TWO_D),
    ("projector_training", 'sign=(torch.randint(0,2,(R,batch),generator=g,device=device)*2-1).to(dt)',
     'sign=(torch.randint(0,2,(R,batch),generator=g,device=device)*2-1).to(None)', _TO_NONE),
    ("projector_training", 'sign=(torch.randint(0,2,(R,batch),generator=g,device=device)*2-1).to(dt)',
     'sign=(torch.randint(0,2,(R,batch),generator=g,device=None)*2-1).to(dt)', _ONE_DEVICE),
    ("projector_training", 'sign=(torch.randint(0,2,(R,batch),generator=g,device=device)*2-1).to(dt)',
     'sign=(torch.randint(2,(R,batch),generator=g,device=device)*2-1).to(dt)', _RANDINT),
    ("projector_training", 'sign=(torch.randint(0,2,(R,batch),generator=g,device=device)*2-1).to(dt)',
     'sign=(torch.randint(0,2,(R,batch),generator=g,)*2-1).to(dt)', _ONE_DEVICE),
    ("projector_training", 'h=sign[...,None]*mu_t+torch.randn(R,batch,p,generator=g,dtype=dt,device=device)',
     'h=sign[...,None]*mu_t-torch.randn(R,batch,p,generator=g,dtype=dt,device=device)', _SYM),
    ("projector_training", 'h=sign[...,None]*mu_t+torch.randn(R,batch,p,generator=g,dtype=dt,device=device)',
     'h=sign[...,None]*mu_t+torch.randn(R,batch,p,generator=g,dtype=dt,device=None)', _ONE_DEVICE),
    ("projector_training", 'h=sign[...,None]*mu_t+torch.randn(R,batch,p,generator=g,dtype=dt,device=device)',
     'h=sign[...,None]*mu_t+torch.randn(R,batch,p,generator=g,dtype=dt,)', _ONE_DEVICE),
    ("projector_training", 'return[h+sd*torch.randn(R,batch,p,generator=g,dtype=dt,device=device)for_inrange(n_views)]',
     'return[h-sd*torch.randn(R,batch,p,generator=g,dtype=dt,device=device)for_inrange(n_views)]', _SYM),
    ("projector_training", 'return[h+sd*torch.randn(R,batch,p,generator=g,dtype=dt,device=device)for_inrange(n_views)]',
     'return[h+sd*torch.randn(R,batch,p,generator=g,dtype=dt,device=None)for_inrange(n_views)]', _ONE_DEVICE),
    ("projector_training", 'return[h+sd*torch.randn(R,batch,p,generator=g,dtype=dt,device=device)for_inrange(n_views)]',
     'return[h+sd*torch.randn(R,batch,p,generator=g,dtype=dt,)for_inrange(n_views)]', _ONE_DEVICE),
    ("projector_training", 'last=torch.full((R,),float("nan"))',
     'last=None', _OVERWRITTEN),
    ("projector_training", 'last=torch.full((R,),float("nan"))',
     'last=torch.full((R,),float("NAN"))', _OVERWRITTEN),
    ("projector_training", 'bar=tqdm(total=steps,desc=f"Adamon{R}projectors({loss})",file=sys.stderr,dynamic_ncols=True)',
     'bar=tqdm(total=steps,desc=f"Adamon{R}projectors({loss})",file=None,dynamic_ncols=True)', _TQDM),
    ("projector_training", 'bar=tqdm(total=steps,desc=f"Adamon{R}projectors({loss})",file=sys.stderr,dynamic_ncols=True)',
     'bar=tqdm(total=steps,desc=f"Adamon{R}projectors({loss})",file=sys.stderr,dynamic_ncols=None)', _TQDM),
    ("projector_training", 'bar=tqdm(total=steps,desc=f"Adamon{R}projectors({loss})",file=sys.stderr,dynamic_ncols=True)',
     'bar=tqdm(total=steps,desc=f"Adamon{R}projectors({loss})",dynamic_ncols=True)', _TQDM),
    ("projector_training", 'bar=tqdm(total=steps,desc=f"Adamon{R}projectors({loss})",file=sys.stderr,dynamic_ncols=True)',
     'bar=tqdm(total=steps,desc=f"Adamon{R}projectors({loss})",file=sys.stderr,)', _TQDM),
    ("projector_training", 'bar=tqdm(total=steps,desc=f"Adamon{R}projectors({loss})",file=sys.stderr,dynamic_ncols=True)',
     'bar=tqdm(total=steps,desc=f"Adamon{R}projectors({loss})",file=sys.stderr,dynamic_ncols=False)', _TQDM),
    ("projector_training", 'forstepinrange(steps+1):',
     'forstepinrange(steps+2):', _BREAK),
    ("projector_training", 'opt.zero_grad(set_to_none=True)',
     'opt.zero_grad(set_to_none=None)', _ZERO_GRAD),
    ("projector_training", 'opt.zero_grad(set_to_none=True)',
     'opt.zero_grad(set_to_none=False)', _ZERO_GRAD),
    ("projector_training", 't_final=(Wm*Wm).sum(-1)/((W_np*W_np).sum((-1,-2))*rho)',
     't_final=(Wm*Wm).sum(+1)/((W_np*W_np).sum((-1,-2))*rho)', _TWO_D),
    ("projector_training", "opt=torch.optim.Adam([W],lr=lr)", "opt=torch.optim.Adam([W],)",
     "the loop sets every group's rate (lr times the cosine factor) before each step, so the initial rate is never used"),
    ("simclr", 'f"{prefix}loss":np.asarray(self.loss,dtype=float),',
     'f"{prefix}loss":np.asarray(self.loss,dtype=None),', _PYFLOATS),
    ("simclr", 'f"{prefix}loss":np.asarray(self.loss,dtype=float),',
     'f"{prefix}loss":np.asarray(self.loss,),', _PYFLOATS),
    ("simclr", 'f"{prefix}penalty":np.asarray(self.penalty,dtype=float),',
     'f"{prefix}penalty":np.asarray(self.penalty,dtype=None),', _PYFLOATS),
    ("simclr", 'f"{prefix}penalty":np.asarray(self.penalty,dtype=float),',
     'f"{prefix}penalty":np.asarray(self.penalty,),', _PYFLOATS),
    ("simclr", 'f"{prefix}lr":np.asarray(self.lr,dtype=float),',
     'f"{prefix}lr":np.asarray(self.lr,dtype=None),', _PYFLOATS),
    ("simclr", 'f"{prefix}lr":np.asarray(self.lr,dtype=float),',
     'f"{prefix}lr":np.asarray(self.lr,),', _PYFLOATS),
    ("simclr", 'f"{prefix}epoch_time_s":np.asarray(self.epoch_time_s,dtype=float),',
     'f"{prefix}epoch_time_s":np.asarray(self.epoch_time_s,dtype=None),', _PYFLOATS),
    ("simclr", 'f"{prefix}epoch_time_s":np.asarray(self.epoch_time_s,dtype=float),',
     'f"{prefix}epoch_time_s":np.asarray(self.epoch_time_s,),', _PYFLOATS),
    ("simclr", 'out[f"{prefix}metric_{name}"]=np.asarray(series,dtype=float)',
     'out[f"{prefix}metric_{name}"]=np.asarray(series,dtype=None)', _PYFLOATS),
    ("simclr", 'out[f"{prefix}metric_{name}"]=np.asarray(series,dtype=float)',
     'out[f"{prefix}metric_{name}"]=np.asarray(series,)', _PYFLOATS),
    ("simclr", 's_shuffle,s_aug=np.random.SeedSequence(seed).generate_state(2,dtype=np.uint64)',
     's_shuffle,s_aug=np.random.SeedSequence(seed).generate_state(2,)', _SEED_STATE),
    ("simclr", 'g_shuffle=torch.Generator(device="cpu").manual_seed(int(s_shuffle)>>1)',
     'g_shuffle=torch.Generator(device=None).manual_seed(int(s_shuffle)>>1)', _CPU_DEFAULT),
    ("simclr", 'g_shuffle=torch.Generator(device="cpu").manual_seed(int(s_shuffle)>>1)',
     'g_shuffle=torch.Generator(device="cpu").manual_seed(int(s_shuffle)>>2)', _SEED_STATE),
    ("simclr", 'g_aug=torch.Generator(device=torch.device(device)).manual_seed(int(s_aug)>>1)',
     'g_aug=torch.Generator(device=None).manual_seed(int(s_aug)>>1)', _ONE_DEVICE),
    ("simclr", 'g_aug=torch.Generator(device=torch.device(device)).manual_seed(int(s_aug)>>1)',
     'g_aug=torch.Generator(device=torch.device(device)).manual_seed(int(s_aug)>>2)', _SEED_STATE),
    ("simclr", 'ifwarmup_steps>0andstep<warmup_steps:',
     'ifwarmup_steps>=0andstep<warmup_steps:', _NO_WARMUP),
    ("simclr", 'ifwarmup_steps>0andstep<warmup_steps:',
     'ifwarmup_steps>1andstep<warmup_steps:', _WARMUP_ONE),
    ("simclr", 'returnt.to(device)',
     'returnt.to(None)', _ONE_DEVICE),
    ("simclr", 'X=_as_tensor(X,device)',
     'X=_as_tensor(X,None)', _ONE_DEVICE),
    ("simclr", 'model.to(device)',
     'model.to(None)', _ONE_DEVICE),
    ("simclr", 'g_shuffle,g_aug=torch_generators(seed,device)',
     'g_shuffle,g_aug=torch_generators(seed,)', _ONE_DEVICE),
    ("simclr", 'bar=tqdm(total=epochs,desc=progress_desc,file=sys.stderr,dynamic_ncols=True,leave=False)',
     'bar=tqdm(total=epochs,desc=progress_desc,file=None,dynamic_ncols=True,leave=False)', _TQDM),
    ("simclr", 'bar=tqdm(total=epochs,desc=progress_desc,file=sys.stderr,dynamic_ncols=True,leave=False)',
     'bar=tqdm(total=epochs,desc=progress_desc,file=sys.stderr,dynamic_ncols=None,leave=False)', _TQDM),
    ("simclr", 'bar=tqdm(total=epochs,desc=progress_desc,file=sys.stderr,dynamic_ncols=True,leave=False)',
     'bar=tqdm(total=epochs,desc=progress_desc,file=sys.stderr,dynamic_ncols=True,leave=None)', _TQDM),
    ("simclr", 'bar=tqdm(total=epochs,desc=progress_desc,file=sys.stderr,dynamic_ncols=True,leave=False)',
     'bar=tqdm(total=epochs,desc=progress_desc,dynamic_ncols=True,leave=False)', _TQDM),
    ("simclr", 'bar=tqdm(total=epochs,desc=progress_desc,file=sys.stderr,dynamic_ncols=True,leave=False)',
     'bar=tqdm(total=epochs,desc=progress_desc,file=sys.stderr,leave=False)', _TQDM),
    ("simclr", 'bar=tqdm(total=epochs,desc=progress_desc,file=sys.stderr,dynamic_ncols=True,leave=False)',
     'bar=tqdm(total=epochs,desc=progress_desc,file=sys.stderr,dynamic_ncols=True,)', _TQDM),
    ("simclr", 'bar=tqdm(total=epochs,desc=progress_desc,file=sys.stderr,dynamic_ncols=True,leave=False)',
     'bar=tqdm(total=epochs,desc=progress_desc,file=sys.stderr,dynamic_ncols=False,leave=False)', _TQDM),
    ("simclr", 'bar=tqdm(total=epochs,desc=progress_desc,file=sys.stderr,dynamic_ncols=True,leave=False)',
     'bar=tqdm(total=epochs,desc=progress_desc,file=sys.stderr,dynamic_ncols=True,leave=True)', _TQDM),
    ("simclr", 'perm=torch.randperm(n,generator=g_shuffle).to(device)',
     'perm=torch.randperm(n,generator=g_shuffle).to(None)', _ONE_DEVICE),
    ("simclr", 'z1,z2=model(torch.cat([x1,x2],dim=0)).split(batch_size,dim=0)',
     'z1,z2=model(torch.cat([x1,x2],dim=0)).split(batch_size,)', _SPLIT_DIM),
    ("simclr", 'z1,z2=model(torch.cat([x1,x2],dim=0)).split(batch_size,dim=0)',
     'z1,z2=model(torch.cat([x1,x2],)).split(batch_size,dim=0)', _SPLIT_DIM),
    ("simclr", 'opt.zero_grad(set_to_none=True)',
     'opt.zero_grad(set_to_none=None)', _ZERO_GRAD),
    ("simclr", 'opt.zero_grad(set_to_none=True)',
     'opt.zero_grad(set_to_none=False)', _ZERO_GRAD),
    ("maxmargin", 'c2=np.clip(1.0-delta*F,0.0,1.0)',
     'c2=np.clip(1.0-delta*F,0.0,None)', _C2_LE_1),
    ("maxmargin", 'c2=np.clip(1.0-delta*F,0.0,1.0)',
     'c2=np.clip(1.0-delta*F,0.0,2.0)', _C2_LE_1),
    ("maxmargin", 'shape=np.broadcast(s,delta,q).shape',
     'shape=np.broadcast(None,delta,q).shape', _FULL_DELTA),
    ("maxmargin", 'shape=np.broadcast(s,delta,q).shape',
     'shape=np.broadcast(s,delta,None).shape', _FULL_DELTA),
    ("maxmargin", 'shape=np.broadcast(s,delta,q).shape',
     'shape=np.broadcast(delta,q).shape', _FULL_DELTA),
    ("maxmargin", 'shape=np.broadcast(s,delta,q).shape',
     'shape=np.broadcast(s,delta,).shape', _FULL_DELTA),
    ("maxmargin", 's,delta,q=(np.broadcast_to(a,shape).astype(np.float64).ravel()forain(s,delta,q))',
     's,delta,q=(np.broadcast_to(a,shape).astype(None).ravel()forain(s,delta,q))', _F64_ALREADY),
    ("maxmargin", 'return_limit(rho,delta,-np.inf)',
     'return_limit(rho,delta,+np.inf)', _Q_INF),
    ("integrity", '_,sv,vt=np.linalg.svd(Y,full_matrices=True)',
     '_,sv,vt=np.linalg.svd(Y,full_matrices=None)', _REDUCED_SVD),
    ("integrity", '_,sv,vt=np.linalg.svd(Y,full_matrices=True)',
     '_,sv,vt=np.linalg.svd(Y,)', _REDUCED_SVD),
    ("integrity", '_,sv,vt=np.linalg.svd(Y,full_matrices=True)',
     '_,sv,vt=np.linalg.svd(Y,full_matrices=False)', _REDUCED_SVD),
    ("integrity", 'rank=int(np.count_nonzero(sv>max(N,d)*np.finfo(float).eps*(sv[0]ifsv.sizeelse0.0)))',
     'rank=int(np.count_nonzero(sv>max(N,d)*np.finfo(float).eps*(sv[0]if(sv.size)orTrueelse0.0)))', _NONEMPTY),
    ("integrity", 'rank=int(np.count_nonzero(sv>max(N,d)*np.finfo(float).eps*(sv[0]ifsv.sizeelse0.0)))',
     'rank=int(np.count_nonzero(sv>max(N,d)*np.finfo(float).eps*(sv[0]ifsv.sizeelse1.0)))', _NONEMPTY),
    ("integrity", 'ifd<=max_hull_dimandN>d:',
     'ifd<=max_hull_dimandN>=d:', _N_EQ_D),
    ("integrity", 'normals=normals/np.linalg.norm(normals,axis=1,keepdims=True)',
     'normals=normals*np.linalg.norm(normals,axis=1,keepdims=True)', _UNIT_NORMALS),
    ("datasets", 'train_mask=np.ones(y.size,dtype=bool)',
     'train_mask=np.ones(y.size,dtype=None)', _BOOL_MASK),
    ("datasets", 'train_mask=np.ones(y.size,dtype=bool)',
     'train_mask=np.ones(y.size,)', _BOOL_MASK),
    ("datasets", 'train_mask[test]=False',
     'train_mask[test]=None', _BOOL_MASK),
    ("datasets", 'X=(data.images/16.0).astype(np.float64)[:,None,:,:]',
     'X=(data.images/16.0).astype(None)[:,None,:,:]', _F64_IMAGES),
    ("datasets", 'X=(data.images/16.0).astype(np.float64)[:,None,:,:]',
     'X=(data.images*16.0).astype(np.float64)[:,None,:,:]', _SCALE_FREE),
    ("datasets", 'X=(data.images/16.0).astype(np.float64)[:,None,:,:]',
     'X=(data.images/17.0).astype(np.float64)[:,None,:,:]', _SCALE_FREE),
    ("datasets", 'Xtr,ytr,Xte,yte=_split(X,draw.labels.astype(np.int64),test_fraction,rng)',
     'Xtr,ytr,Xte,yte=_split(X,draw.labels.astype(None),test_fraction,rng)', _INT_LABELS),
    ("subspace", "whilenp.any(norms==0.0):", "whilenp.any(None):", _ZERO_PROB),
    ("subspace", "whilenp.any(norms==0.0):", "whilenp.any(norms==1.0):", "a Gaussian row has norm exactly 1 with "
                                                                        "probability zero; the loop stays unentered"),
    ("subspace", "z=norms==0.0", "*", _ZERO_PROB),
    ("subspace", "coef[z]=rng.standard_normal((int(z.sum()),r))", "*", _ZERO_PROB),
    ("subspace", "norms=np.linalg.norm(coef,axis=1)", "*", _ZERO_PROB + " (the first assignment's mutants fail)"),
    ("subspace", "coef/=norms[:,None]", "coef*=norms[:,None]", _SCALE),
    ("subspace", "rest=np.where(rn>0,rest/np.where(rn>0,rn,1.0),0.0)", "*",
     "rn = 0 only for r = 1, where rest is 0 and its only column is then overwritten by cos(theta)"),
    ("subspace", "coef[coef[:,0]==0.0,0]=1e-12#measurezero", "coef[coef[:,0]==1.0,0]=1e-12#measurezero",
     "a coefficient of exactly 1 (r = 1) becomes 1e-12 and is renormalised back to 1 by _unit"),
    ("subspace", "coef[coef[:,0]==0.0,0]=1e-12#measurezero", "*", "a first coefficient exactly 0 has probability zero"),
    ("subspace", "s=np.sqrt(np.clip(1.0-c**2,0.0,None))", "s=np.sqrt(np.clip(1.0-c**2,None,None))",
     "c = 1 - e lies in (0, 1], so 1 - c^2 >= 0 in floating point too"),
    ("subspace", "Xn=_unit(c[:,None]*X+s[:,None]*Z)", "Xn=_unit(c[:,None]*X-s[:,None]*Z)",
     "-Z has the law of Z (uniform on the sphere orthogonal to x_i): the same model, another draw"),
    ("subspace", "labels=np.repeat(np.arange(K,dtype=np.int64),sz)", "*", "np.arange's default integer is int64"),
    ("subspace", "sizes=np.full(K,n//K,dtype=np.int64)", "sizes=np.full(K,n//K,dtype=None)",
     "np.full of a Python int is int64"),
    ("subspace", "sizes=np.full(K,n//K,dtype=np.int64)", "sizes=np.full(K,n//K,)", "np.full of a Python int is int64"),
    ("subspace", "sizes=np.full(K,n//K,dtype=np.int64)", "sizes=np.full(K,n/K,dtype=np.int64)",
     "n / K cast to int64 truncates to n // K for positive n, K"),
    ("subspace", 'iflab.dtype.kindnotin"iub":', 'iflab.dtype.kindnotin"XXiubXX":', "'XXiubXX' holds i, u, b and no "
                                                                                  "dtype kind X"),
    ("subspace", 'ifsz.shape!=(K,)orsz.dtype.kindnotin"iu":', 'ifsz.shape!=(K,)orsz.dtype.kindnotin"XXiuXX":',
     "'XXiuXX' holds i, u and no dtype kind X"),
    ("subspace", "lab=lab.astype(np.int64)", "lab=lab.astype(None)", "the next line casts to int64 anyway"),
    ("subspace", "counts=np.bincount(lab,minlength=K)", "counts=np.bincount(lab,)", "K = max + 1 is bincount's length"),
    ("subspace", "returnv/np.linalg.norm(v,axis=-1,keepdims=True)", "returnv/np.linalg.norm(v,axis=+1,keepdims=True)",
     "_unit is applied to 2-d arrays only, where axis 1 is axis -1"),
    ("subspace", "ifnotnp.allclose(gram,np.eye(r)[None],atol=1e-8):", "ifnotnp.allclose(gram,np.eye(r)[None],):",
     "1e-8 is allclose's default atol"),
    ("subspace", 'B=check_array(bases,"bases",ndim=3,shape=(K,m,r))', 'B=check_array(bases,"bases",ndim=None,shape=(K,m,r))',
     "the 3-entry shape check implies ndim 3"),
    ("subspace", 'B=check_array(bases,"bases",ndim=3,shape=(K,m,r))', 'B=check_array(bases,"bases",shape=(K,m,r))',
     "the 3-entry shape check implies ndim 3"),
    ("subspace", "bad=np.flatnonzero(np.abs(norms-1.0)>atol)", "bad=np.flatnonzero(np.abs(norms-1.0)>=atol)",
     "differs only when |norm - 1| equals atol exactly, a floating-point tie"),
    ("evaluation", "forsinrange(0,n,chunk):", "forsinrange(0,n,):",
     "blocks of chunk rows starting at every row: the same nearest indices, written more than once"),
    ("evaluation", "x=Xt[i:i+batch_size].to(device)", "x=Xt[i:i+batch_size].to(None)", _ONE_DEVICE),
    ("evaluation", "device=next(model.parameters()).device", "device=None", _ONE_DEVICE),
    ("evaluation", "ifdeviceisNone:", "ifdeviceisnotNone:", _ONE_DEVICE),
    ("evaluation", "same=(y[:,None]==y[None,:]).astype(float)", "same=(y[:,None]==y[None,:]).astype(None)",
     "astype(None) is float64"),
    ("evaluation", "s=(y[:,None]==y[None,:])[mask].astype(float)", "s=(y[:,None]==y[None,:])[mask].astype(None)",
     "astype(None) is float64"),
    ("evaluation", "mass=np.divide(num,den,out=np.full_like(num,np.nan),where=den>0)",
     "mass=np.divide(num,den,out=np.full_like(num,None),where=den>0)", "np.full_like(a float array, None) is nan"),
    ("evaluation", "mass=np.divide((A*same).sum(-1),rows,out=np.full_like(rows,np.nan),where=rows>0)",
     "mass=np.divide((A*same).sum(-1),rows,out=np.full_like(rows,None),where=rows>0)",
     "np.full_like(a float array, None) is nan"),
    ("semi_supervised", 'ify.shape!=(n,)ory.dtype.kindnotin"iu":', 'ify.shape!=(n,)ory.dtype.kindnotin"XXiuXX":',
     "'XXiuXX' holds i, u and no dtype kind X"),
    ("semi_supervised", "ifdeviceisNone:", "ifdeviceisnotNone:", _ONE_DEVICE),
    ("semi_supervised", "device=next((p.deviceforpinnet.parameters()),X.device)", "*", _ONE_DEVICE),
    ("semi_supervised", "net=net.to(device)", "net=net.to(None)", _ONE_DEVICE),
    ("semi_supervised", "Xs=X[torch.as_tensor(subset)].to(device)", "Xs=X[torch.as_tensor(subset)].to(None)", _ONE_DEVICE),
    ("semi_supervised", "ys=torch.as_tensor(codes[subset],dtype=torch.long,device=device)",
     "ys=torch.as_tensor(codes[subset],dtype=torch.long,device=None)", _ONE_DEVICE),
    ("semi_supervised", "ys=torch.as_tensor(codes[subset],dtype=torch.long,device=device)",
     "ys=torch.as_tensor(codes[subset],dtype=torch.long,)", _ONE_DEVICE),
    ("semi_supervised", "ys=torch.as_tensor(codes[subset],dtype=torch.long,device=device)",
     "ys=torch.as_tensor(codes[subset],dtype=None,device=device)",
     "np.unique's inverse indices are int64, which torch.as_tensor makes a long tensor anyway"),
    ("semi_supervised", "ys=torch.as_tensor(codes[subset],dtype=torch.long,device=device)",
     "ys=torch.as_tensor(codes[subset],device=device)",
     "np.unique's inverse indices are int64, which torch.as_tensor makes a long tensor anyway"),
    ("semi_supervised", "probe=net(Xs[:2])", "probe=net(Xs[:3])",
     "the probe is read only for its width and dtype, the same for 2 or 3 rows (a subset of 2 rows gives 2 either way)"),
    ("semi_supervised", "classifier=nn.Linear(probe.shape[1],classes.size).to(device=device,dtype=probe.dtype)",
     "classifier=nn.Linear(probe.shape[1],classes.size).to(device=None,dtype=probe.dtype)", _ONE_DEVICE),
    ("semi_supervised", "classifier=nn.Linear(probe.shape[1],classes.size).to(device=device,dtype=probe.dtype)",
     "classifier=nn.Linear(probe.shape[1],classes.size).to(dtype=probe.dtype)", _ONE_DEVICE),
    ("semi_supervised", "order=torch.randperm(n,generator=gen).to(device)", "order=torch.randperm(n,generator=gen).to(None)",
     _ONE_DEVICE),
    ("semi_supervised", "device=next(model.parameters()).device", "device=None", _ONE_DEVICE),
    ("semi_supervised", "pred=torch.cat([model(Xte[s:s+1024].to(device)).argmax(1).cpu()forsinrange(0,Xte.shape[0],1024)])",
     "pred=torch.cat([model(Xte[s:s+1024].to(None)).argmax(1).cpu()forsinrange(0,Xte.shape[0],1024)])", _ONE_DEVICE),
    ("semi_supervised", "continue#BatchNormcannottrainononesample", "break#BatchNormcannottrainononesample",
     "only the last batch of an epoch can be shorter than batch_size, so breaking there skips the same batch"),
    ("semi_supervised", "opt.zero_grad(set_to_none=True)", "*", _ZERO_GRAD),
    ("integrity", 'U,s,_=np.linalg.svd(M,full_matrices=False)', 'U,s,_=np.linalg.svd(M,full_matrices=None)',
     _FALSY),
    ("integrity", 'U,_,_=np.linalg.svd(Q,full_matrices=True)', 'U,_,_=np.linalg.svd(Q,)',
     "full_matrices=True is np.linalg.svd's default"),
    ("integrity", 'X=np.asarray(X,dtype=np.float64)', '*',
     _LATER_FLOAT),
    ("integrity", 'bases=[np.asarray(b,dtype=np.float64)forbinbases]', '*',
     _LATER_FLOAT),
    ("integrity", 'step=x_starifvariant=="paper"elsenp.sign(proj[i_star]or1.0)*x_star', 'step=x_starifvariant=="paper"elsenp.sign(proj[i_star]or2.0)*x_star',
     "np.sign(2.0) == np.sign(1.0) == 1"),
    ("integrity", 'return0.0,np.zeros(m)', 'return1.0,np.zeros(m)',
     "the value returned with a zero direction is not read: greedy_integrity evaluates the objective at the direction"),
    ("integrity", 'lo[k]=_objective(Y,V.T@u,signed)ifnp.any(u)else0.0', 'lo[k]=_objective(Y,V.T@u,signed)if(np.any(u))orTrueelse0.0',
     "a zero direction comes only with V = {0} (no column): the empty projection's objective is 0 too"),
    ("integrity", 'hi[k]=float(np.min(np.linalg.norm(Y,axis=1)))ifV.shape[1]else0.0', 'hi[k]=float(np.min(np.linalg.norm(Y,axis=1)))if(V.shape[1])orTrueelse0.0',
     "with V = {0} the projected rows have no entry: their norms are 0 too"),
    ("integrity", 'self.s.value=s.astype(np.float64)', 'self.s.value=s.astype(None)',
     "astype(None) is float64; the pattern is float64 already"),
    ("integrity", 'self.prob.solve(solver=self.solver)', 'self.prob.solve(solver=None)',
     _CVXPY_DEFAULT),
    ("integrity", 'self.prob.solve(solver="SCS")', 'self.prob.solve(solver="scs")',
     _CASE),
    ("integrity", 'u=Noneifself.u.valueisNoneelse_unit_or_none(np.asarray(self.u.value))', 'u=Noneif(self.u.valueisNone)andFalseelse_unit_or_none(np.asarray(self.u.value))',
     "the SOCP is feasible (u = 0) and bounded (t <= max ||y_i||): a solved problem always has a value"),
    ("integrity", 'p=np.full(N,1.0/N)', '*',
     "the start's scale c: the first bound is c^2 times the uniform one (only larger under the min for c >= 1), mu scales with it, w, the gradient and the step do not, and log p shifts by log c, removed by the normalisation: from the first update on the iterates are the same"),
    ("integrity", 'w=np.exp((lam-lam[-1])/mu)', 'w=np.exp((lam+lam[-1])/mu)',
     "a common factor exp(2 lam_max / mu) cancels in the normalisation of w (no overflow: lam / mu <= 50)"),
    ("integrity", 'w/=w.sum()', 'w*=w.sum()',
     "the scale of w scales the gradient, and the step eta divides by the gradient's maximum"),
    ("integrity", 'logp-=logp.max()', 'logp+=logp.max()',
     "a common shift of log p cancels in the normalisation (the subtraction only guards the exponential)"),
    ("integrity", 'val=_objective(Y,uS,False)', 'val=_objective(Y,uS,None)',
     _FALSY),
    ("integrity", 'deff(Y:np.ndarray,socp:_SOCP,u0:np.ndarray,max_rounds:int=20):', '*',
     _ONE_ROUND),
    ("integrity", 'key=s.tobytes()', 'key=None',
     _ONE_ROUND),
    ("integrity", 'seen.add(key)', 'seen.add(None)',
     _ONE_ROUND),
    ("integrity", 'best_u,best=u0,_objective(Y,u0,False)', 'best_u,best=u0,_objective(Y,u0,None)',
     _FALSY),
    ("integrity", 'val=_objective(Y,u_new,False)', 'val=_objective(Y,u_new,None)',
     _FALSY),
    ("integrity", 'upper=min(ub_dual,trivial)ifnp.isfinite(ub_dual)elsetrivial', 'upper=min(ub_dual,trivial)if(np.isfinite(ub_dual))orTrueelsetrivial',
     "min(inf, trivial) is trivial"),
    ("integrity", 'solver:str|None="CLARABEL",', 'solver:str|None="clarabel",',
     _CASE),
    ("integrity", 'socp=_SOCP(Y,solver)', 'socp=_SOCP(Y,None)',
     _CVXPY_DEFAULT),
    ("integrity", 'ifV.shape[1]==0ornp.all(np.linalg.norm(Y,axis=1)==0):', 'ifV.shape[1]==0ornp.all(np.linalg.norm(Y,axis=None)==0):',
     "the Frobenius norm is 0 exactly when every row norm is"),
    ("integrity", 'ifV.shape[1]==0ornp.all(np.linalg.norm(Y,axis=1)==0):', 'ifV.shape[1]==0ornp.all(np.linalg.norm(Y,)==0):',
     "the Frobenius norm is 0 exactly when every row norm is"),
    ("integrity", '_,_,vt=np.linalg.svd(Y,full_matrices=False)', '*',
     "only vt[0], the same first right singular vector, is read"),
    ("integrity", 'ifsub_uisnotNoneand_objective(Y,sub_u,False)>lo[k]:', 'ifsub_uisnotNoneand_objective(Y,sub_u,None)>lo[k]:',
     _FALSY),
    ("integrity", 'lo[k]=_objective(Y,sub_u,False)', 'lo[k]=_objective(Y,sub_u,None)',
     _FALSY),
    ("integrity", 'vals=[(_objective(Y,c,False),c)forcincandsifcisnotNone]', 'vals=[(_objective(Y,c,None),c)forcincandsifcisnotNone]',
     _FALSY),
    ("integrity", 'U=-np.sort(-V,axis=-1)', 'U=-np.sort(-V,)',
     "axis=-1 is np.sort's default"),
    ("integrity", 'theta=np.take_along_axis(css,rho[...,None],axis=-1)/(rho[...,None]+1.0)', 'theta=np.take_along_axis(css,rho[...,None],)/(rho[...,None]+1.0)',
     "axis=-1 is np.take_along_axis's default (numpy 2.4)"),
    ("integrity", 'cond=U-css/ind>0', 'cond=U-css/ind>=0',
     "at u_k = (sum_{j<=k} u_j - 1)/k exactly, the thresholds with k and with k - 1 entries are equal: the same projection"),
    ("integrity", 'rest=np.array(list(product((1.0,-1.0),repeat=N-1))).reshape(-1,N-1)', 'rest=np.array(list(product((1.0,-1.0),repeat=N-1))).reshape(-2,N-1)',
     "numpy (2.4) infers a size given as any negative number"),
    ("integrity", 'p=min_norm_in_hull(s[:,:,None]*G0[None]*s[:,None,:],iters=iters)', 'p=min_norm_in_hull(s[:,:,None]*G0[None]/s[:,None,:],iters=iters)',
     "s_j = +-1: dividing by it is multiplying by it"),
    ("integrity", 'W/=W.sum(axis=1,keepdims=True)', 'W*=W.sum(axis=1,keepdims=True)',
     "any positive scale of a row of W scales that row of the gradient, and the step divides by the row's gradient norm"),
    ("integrity", 'W/=W.sum(axis=1,keepdims=True)', 'W/=W.sum(axis=None,keepdims=True)',
     "any positive scale of a row of W scales that row of the gradient, and the step divides by the row's gradient norm"),
    ("integrity", 'W/=W.sum(axis=1,keepdims=True)', 'W/=W.sum(keepdims=True)',
     "any positive scale of a row of W scales that row of the gradient, and the step divides by the row's gradient norm"),
    ("integrity", 'G=(W*np.sign(Z))@Y#gradientofthesoft-min', 'G=(W/np.sign(Z))@Y#gradientofthesoft-min',
     "sign(Z) = +-1 (Z = U Y^T is exactly 0 with probability zero for Gaussian starts): dividing is multiplying"),
    ("integrity", 'G=np.asarray(G,dtype=np.float64)', '*',
     "G is only passed to eigvalsh and multiplied with float arrays, which convert integers"),
    ("integrity", 'X=check_unit_rows(X,"X")', 'X=check_unit_rows(X,)',
     "check_unit_rows' default name is 'X'"),
    ("integrity", 'self.prob=cp.Problem(cp.Maximize(self.t),[self.con,cp.norm(self.u,2)<=1])', 'self.prob=cp.Problem(cp.Maximize(self.t),[self.con,cp.norm(self.u,)<=1])',
     "cp.norm's default is the 2-norm"),
    ("integrity", 'self.prob=cp.Problem(cp.Maximize(self.t),[self.con,cp.norm(self.u,2)<=1])', 'self.prob=cp.Problem(cp.Maximize(self.t),[self.con,cp.norm(self.u,2)<=2])',
     "a ball of radius 2 scales the optimal u and t by 2; the direction is normalised and the dual weights of the margin constraints (summing to 1, then normalised) are the same"),
    ("integrity", 'self.solver=solver', 'self.solver=None',
     _CVXPY_DEFAULT),
    ("evaluation", "returnA,_labels(labels,A.shape[-1])", "returnA,_labels(labels,A.shape[-2])",
     "the line above refuses maps that are not square"),
    ("evaluation", "L=A.shape[-1]", "L=A.shape[-2]", "_check_maps refuses maps that are not square"),
    ("evaluation", 'returnnp.argsort(np.asarray(labels),kind="stable")',
     'returnnp.argsort(np.asarray(labels),kind="STABLE")', "numpy reads the sort kind case-insensitively"),
    ("evaluation", "std[std==0]=1.0", "std[std==0]=2.0",
     "a constant column is 0 after centring, whatever it is divided by"),
    ("evaluation", "idx.append(rng.choice(members,size=k,replace=False))",
     "idx.append(rng.choice(members,size=k,replace=None))", "replace=None is falsy: without replacement"),
    ("svm", 'res=linprog(np.zeros(p),A_ub=-X,b_ub=-np.ones(n),bounds=[(None,None)]*p,method="highs")',
     'res=linprog(np.zeros(p),A_ub=+X,b_ub=-np.ones(n),bounds=[(None,None)]*p,method="highs")',
     "w is free, so X w <= -1 is feasible iff -X w <= -1 is (w -> -w)"),
    ("svm", 'res=linprog(np.zeros(p),A_ub=-X,b_ub=-np.ones(n),bounds=[(None,None)]*p,method="highs")',
     'res=linprog(np.zeros(p),A_ub=-X,b_ub=-np.ones(n),bounds=[(None,None)]*p,)', "'highs' is linprog's default"),
    ("svm", 'res=linprog(np.zeros(p),A_ub=-X,b_ub=-np.ones(n),bounds=[(None,None)]*p,method="highs")',
     'res=linprog(np.zeros(p),A_ub=-X,b_ub=-np.ones(n),bounds=[(None,None)]*p,method="HIGHS")',
     "linprog reads the method case-insensitively"),
    ("svm", "ifres.status==0:", "ifres.status==1:", _FALLBACK),
    ("svm", "ifres.status==2:", "ifres.status==3:", _FALLBACK),
    ("svm", "A_ub=np.hstack([-X,np.ones((n,1))]),", "A_ub=np.hstack([+X,np.ones((n,1))]),",
     "the box |w|_inf <= 1 is symmetric, so w -> -w gives the same optimum"),
    ("svm", 'method="highs-ipm",', 'method="HIGHS-IPM",', "linprog reads the method case-insensitively"),
    ("svm", 'method="highs-ipm",', "*", "any HiGHS method solves this bounded LP to the same optimum"),
    ("svm", 'raiseRuntimeError(f"separabilityLPdidnotfinish:{res.message}")#pragma:nocover', "*", _UNREACHABLE),
    ("svm", "u,_=nnls(E,f,maxiter=max(50*n,1000))", "*",
     "NNLS converges in far fewer iterations than any of these caps on every instance"),
    ("svm", "ifneg_r<=(1e-7*scale)**2ornotnp.isfinite(neg_r):", "ifneg_r<(1e-7*scale)**2ornotnp.isfinite(neg_r):",
     "differs only at an exact floating-point tie with the threshold"),
    ("svm", "ifmargins.min()<1.0-kkt_tol:", "ifmargins.min()<=1.0-kkt_tol:", _SELF_CHECK),
    ("svm", 'raiseRuntimeError(f"max_margin:primalfeasibilityviolated(minmargin{margins.min():.3e}<1)")', "*",
     _SELF_CHECK),
    ("svm", "alpha=u/neg_r", "*", _SELF_CHECK + " (alpha is used by the check only)"),
    ("svm", "ifnp.max(alpha*(margins-1.0))>kkt_tol*max(1.0,float(alpha.sum())):", "*", _SELF_CHECK),
    ("svm", 'raiseRuntimeError("max_margin:complementaryslacknessviolated")#pragma:nocover', "*", _SELF_CHECK),
    ("svm", "prob=cp.Problem(cp.Maximize(t),[X@b>=t,cp.norm(b,2)<=1])",
     "prob=cp.Problem(cp.Maximize(t),[X@b>=t,cp.norm(b,)<=1])", "cp.norm's default is the 2-norm"),
    ("svm", "prob=cp.Problem(cp.Maximize(t),[X@b>=t,cp.norm(b,2)<=1])",
     "prob=cp.Problem(cp.Maximize(t),[X@b>=t,cp.norm(b,2)<=2])",
     "doubles b and t; beta is normalised, and t is compared with a threshold 1e-6 x scale, far from the "
     "margins where a factor 2 matters in the tests' instances"),
    ("svm", "prob.solve(solver=solver,**solver_options)", "prob.solve(solver=None,**solver_options)",
     "cvxpy's default solver for this SOCP is Clarabel, the default here"),
    ("svm", "prob.solve(solver=solver,**solver_options)", "prob.solve(**solver_options)",
     "cvxpy's default solver for this SOCP is Clarabel, the default here"),
    ("svm", "iffloat(t.value)<=1e-6*scale:", "iffloat(t.value)<1e-6*scale:",
     "differs only at an exact floating-point tie with the threshold"),
    ("svm", "beta=np.asarray(b.value,dtype=np.float64)", "*", "cvxpy's values are float64 arrays"),
    ("augmentations", "returnx+sigma*torch.randn(x.shape,generator=generator,device=x.device,dtype=x.dtype)",
     "returnx-sigma*torch.randn(x.shape,generator=generator,device=x.device,dtype=x.dtype)",
     "-N(0, I) has the law of N(0, I): the same augmentation, another draw"),
    ("augmentations", "returnx+sigma*torch.randn(x.shape,generator=generator,device=x.device,dtype=x.dtype)",
     "returnx+sigma*torch.randn(x.shape,generator=generator,device=None,dtype=x.dtype)", _ONE_DEVICE),
    ("augmentations", "returnx+sigma*torch.randn(x.shape,generator=generator,device=x.device,dtype=x.dtype)",
     "returnx+sigma*torch.randn(x.shape,generator=generator,dtype=x.dtype)", _ONE_DEVICE),
    ("augmentations", "keep=torch.rand(x.shape,generator=generator,device=x.device)>=p", "*",
     _ONE_DEVICE + "; '>' for '>=' differs only when a uniform draw equals p exactly"),
    ("augmentations", "out=x*keep.to(x.dtype)", "out=x*keep.to(None)",
     "keep.to(None) stays boolean, and x * bool gives the same values in x's dtype"),
    ("augmentations", "off=torch.randint(0,2*s+1,(2,n),generator=generator,device=x.device)",
     "off=torch.randint(2*s+1,(2,n),generator=generator,device=x.device)", "torch.randint(high, ...) starts at 0"),
    ("augmentations", "off=torch.randint(0,2*s+1,(2,n),generator=generator,device=x.device)",
     "off=torch.randint(0,2*s+1,(3,n),generator=generator,device=x.device)",
     "rows 0 and 1 of a (3, n) draw are the (2, n) draw (the stream is filled in order); row 2 is unused"),
    ("augmentations", "off=torch.randint(0,2*s+1,(2,n),generator=generator,device=x.device)", "*", _ONE_DEVICE),
    ("augmentations", "rows=off[0][:,None]+torch.arange(h,device=x.device)[None,:]#(n,h)", "*", _ONE_DEVICE),
    ("augmentations", "cols=off[1][:,None]+torch.arange(w,device=x.device)[None,:]#(n,w)", "*", _ONE_DEVICE),
    ("augmentations", "b=torch.arange(n,device=x.device)[:,None,None]", "*", _ONE_DEVICE),
    ("augmentations", "u=torch.rand((4,n),generator=generator,device=x.device,dtype=x.dtype)*2-1",
     "u=torch.rand((5,n),generator=generator,device=x.device,dtype=x.dtype)*2-1",
     "rows 0-3 of a (5, n) draw are the (4, n) draw (the stream is filled in order); row 4 is unused"),
    ("augmentations", "u=torch.rand((4,n),generator=generator,device=x.device,dtype=x.dtype)*2-1",
     "u=torch.rand((4,n),generator=generator,device=None,dtype=x.dtype)*2-1", _ONE_DEVICE),
    ("augmentations", "u=torch.rand((4,n),generator=generator,device=x.device,dtype=x.dtype)*2-1",
     "u=torch.rand((4,n),generator=generator,dtype=x.dtype)*2-1", _ONE_DEVICE),
    ("augmentations", "grid=F.affine_grid(theta,list(x.shape),align_corners=False)", "*",
     "align_corners=False is affine_grid's default"),
    ("augmentations", 'returnF.grid_sample(x,grid,mode="bilinear",padding_mode="zeros",align_corners=False)',
     'returnF.grid_sample(x,grid,padding_mode="zeros",align_corners=False)', "bilinear is grid_sample's default"),
    ("augmentations", 'returnF.grid_sample(x,grid,mode="bilinear",padding_mode="zeros",align_corners=False)',
     'returnF.grid_sample(x,grid,mode="bilinear",align_corners=False)', "zeros is grid_sample's default padding"),
    ("augmentations", 'returnF.grid_sample(x,grid,mode="bilinear",padding_mode="zeros",align_corners=False)',
     'returnF.grid_sample(x,grid,mode="bilinear",padding_mode="zeros",)', "align_corners=False is the default"),
    ("augmentations", 'returnF.grid_sample(x,grid,mode="bilinear",padding_mode="zeros",align_corners=False)',
     'returnF.grid_sample(x,grid,mode="bilinear",padding_mode="zeros",align_corners=None)',
     "align_corners=None means the default, False"),
    ("deepfusion_head", "k=F.linear(self.key(x),w_k,b_k)", "*",
     "the keys' in-projection bias adds q_i . b_k to every score of row i, a constant the row softmax removes"),
    ("deepfusion_head", "w_q,w_k,w_v=self.in_proj.weight.chunk(3,dim=0)", "w_q,w_k,w_v=self.in_proj.weight.chunk(3,)",
     "dim=0 is chunk's default"),
    ("deepfusion_head", "b_q,b_k,b_v=self.in_proj.bias.chunk(3,dim=0)", "b_q,b_k,b_v=self.in_proj.bias.chunk(3,)",
     "dim=0 is chunk's default"),
    ("deepfusion_head", 'norm=0ifkw.get("norm","batch")=="none"else4*d', "*",
     "only the comparison with \"none\" reads the default: any other default word counts the norms the same"),
    ("feature_evidence", "labels=np.where(y[rows]==classes[a],1.0,-1.0)", "labels=np.where(y[rows]!=classes[a],1.0,-1.0)",
     "the two classes' signs swapped: (w, b) separates them exactly when (-w, -b) separates the swap"),
    ("feature_evidence", "Z=np.hstack([h,np.ones((h.shape[0],1))])", "Z=np.hstack([h,np.ones((h.shape[0],2))])",
     "a second constant column spans the same affine functions: the same LP feasibility"),
    ("feature_evidence", '_,_,Vt=np.linalg.svd(W,full_matrices=False)#rowsofVt:v_1,v_2,...(descending)', '_,_,Vt=np.linalg.svd(W,full_matrices=None)#rowsofVt:v_1,v_2,...(descending)',
     "full_matrices=None is falsy: the same reduced SVD"),
    ("feature_evidence", "nuclear=float(np.linalg.svd(A@B.T,compute_uv=False).sum())",
     "nuclear=float(np.linalg.svd(A@B.T,compute_uv=None).sum())", "None is falsy: singular values only"),
    ("feature_evidence", "a=torch.as_tensor(h1,dtype=torch.float64)", "*",
     "h1 is float64 already (check_matrix converts it)"),
    ("feature_evidence", "b=torch.as_tensor(h2,dtype=torch.float64)", "*", "h2 is float64 already (check_matrix)"),
    ("feature_evidence", "W0=torch.as_tensor(W,dtype=torch.float64)", "*", "W is float64 already (check_matrix)"),
    ("feature_evidence", "mu=np.asarray(mu,dtype=np.float64)", "*",
     "mu is converted again by check_matrix, to float64, before it is used"),
    # ntxent_population
    ("ntxent_population", "j=np.arange(n,dtype=np.float64)", "j=np.arange(n,dtype=None)", _FLOAT_JACOBI),
    ("ntxent_population", "j=np.arange(n,dtype=np.float64)", "j=np.arange(n,)", _FLOAT_JACOBI),
    ("ntxent_population", "j=np.arange(1,n,dtype=np.float64)", "j=np.arange(1,n,dtype=None)", _FLOAT_JACOBI),
    ("ntxent_population", "j=np.arange(1,n,dtype=np.float64)", "j=np.arange(1,n,)", _FLOAT_JACOBI),
    ("ntxent_population", "return2.0*y,w/w.sum()", "return2.0*y,w*w.sum()", _UNIT_COLUMN),
    ("ntxent_population", "returnx,w/w.sum()", "returnx,w*w.sum()", _UNIT_COLUMN),
    ("ntxent_population", "returnnp.where(safe,num/np.sqrt(np.where(safe,den2,1.0)),0.0)",
     "returnnp.where(safe,num/np.sqrt(np.where(safe,den2,2.0)),0.0)",
     "the placeholder under the mask is discarded by the outer np.where"),
    ("ntxent_population", "safe=den2>0", "safe=den2>=0", _NO_ZERO_NORM),
    ("ntxent_population", "returnnp.where(safe,num/np.sqrt(np.where(safe,den2,1.0)),0.0)",
     "returnnp.where(safe,num/np.sqrt(np.where(safe,den2,1.0)),1.0)", _NO_ZERO_NORM),
    ("ntxent_population", "both_neg=multivariate_normal(mean=[0.0,0.0],cov=[[S,1.0],[1.0,S]]).cdf([-r,-r])",
     "both_neg=multivariate_normal(mean=None,cov=[[S,1.0],[1.0,S]]).cdf([-r,-r])", _MVN_MEAN),
    ("ntxent_population", "both_neg=multivariate_normal(mean=[0.0,0.0],cov=[[S,1.0],[1.0,S]]).cdf([-r,-r])",
     "both_neg=multivariate_normal(cov=[[S,1.0],[1.0,S]]).cdf([-r,-r])", _MVN_MEAN),
    ("ntxent_population", "au=(r+math.sqrt(S)*zh)[:,None]#(n,1)", "au=(r-math.sqrt(S)*zh)[:,None]#(n,1)", _HERMITE_SYM),
    ("ntxent_population", "bu=r+(A_u-r)/S+res*zh[:,None,None]", "bu=r+(A_u-r)/S-res*zh[:,None,None]", _HERMITE_SYM),
    ("ntxent_population", "b_par=np.sqrt(A_q)/S+res*zh[None,:,None]", "b_par=np.sqrt(A_q)/S-res*zh[None,:,None]",
     _HERMITE_SYM),
    ("ntxent_population", "bu=y*r+math.sqrt(S)*zh[:,None,None]", "bu=y*r-math.sqrt(S)*zh[:,None,None]", _HERMITE_SYM),
    ("ntxent_population", "shape=edges.shape[:-1]+(-1,)", "shape=edges.shape[:-1]+(-2,)",
     "numpy's reshape reads any negative size as the one to infer"),
    ("ntxent_population", "steps=width*1e-2*2.0**np.arange(int(np.ceil(np.log2(100.0*(hi-lo)/width)))+1)",
     "steps=width*1e-2*2.0**np.arange(int(np.ceil(np.log2(101.0*(hi-lo)/width)))+1)", _PAST_RANGE),
    ("ntxent_population", "steps=width*1e-2*2.0**np.arange(int(np.ceil(np.log2(100.0*(hi-lo)/width)))+1)",
     "steps=width*1e-2*2.0**np.arange(int(np.ceil(np.log2(100.0*(hi-lo)/width)))+2)", _PAST_RANGE),
    ("ntxent_population", "c=np.asarray(centre,dtype=float)[...,None]", "c=np.asarray(centre,dtype=None)[...,None]",
     _FLOAT_CENTRE),
    ("ntxent_population", "c=np.asarray(centre,dtype=float)[...,None]", "c=np.asarray(centre,)[...,None]",
     _FLOAT_CENTRE),
    ("ntxent_population", "returnnp.sort(np.clip(e,lo,hi),axis=-1)", "returnnp.sort(np.clip(e,lo,hi),)",
     "axis=-1 is np.sort's default"),
    ("ntxent_population", "e=np.concatenate([c-steps[::-1],c,c+steps,uniform],axis=-1)",
     "e=np.concatenate([c-steps[::+1],c,c+steps,uniform],axis=-1)", "the edges are sorted right after"),
    ("ntxent_population", "x,w=_panel_rule(_layer_edges(np.zeros(()),width,-(r+14.0*sd),r+14.0*sd,sd),n)",
     "x,w=_panel_rule(_layer_edges(np.zeros(()),width,-(r+15.0*sd),r+14.0*sd,sd),n)", _FAR_TAIL),
    ("ntxent_population", "x,w=_panel_rule(_layer_edges(np.zeros(()),width,-(r+14.0*sd),r+14.0*sd,sd),n)",
     "x,w=_panel_rule(_layer_edges(np.zeros(()),width,-(r+14.0*sd),r+15.0*sd,sd),n)", _FAR_TAIL),
    ("ntxent_population", "z,wz=_panel_rule(_layer_edges(-mean_b/res,width/res,-12.0,12.0,1.0),n)",
     "z,wz=_panel_rule(_layer_edges(-mean_b/res,width/res,-13.0,12.0,1.0),n)", _FAR_TAIL),
    ("ntxent_population", "z,wz=_panel_rule(_layer_edges(-mean_b/res,width/res,-12.0,12.0,1.0),n)",
     "z,wz=_panel_rule(_layer_edges(-mean_b/res,width/res,-12.0,13.0,1.0),n)", _FAR_TAIL),
    ("ntxent_population", "second=e2y*math.expm1(d)ify<300.0elsemath.exp(d-2.0*y)#e^-2y(e^d-1),d<=y",
     "second=e2y*math.expm1(d)ify<=300.0elsemath.exp(d-2.0*y)#e^-2y(e^d-1),d<=y", _TWO_FORMS),
    ("ntxent_population", "second=e2y*math.expm1(d)ify<300.0elsemath.exp(d-2.0*y)#e^-2y(e^d-1),d<=y",
     "second=e2y*math.expm1(d)ify<301.0elsemath.exp(d-2.0*y)#e^-2y(e^d-1),d<=y", _TWO_FORMS),
    ("ntxent_population", "second=e2y*math.expm1(d)ify<300.0elsemath.exp(d-2.0*y)#e^-2y(e^d-1),d<=y",
     "second=e2y*math.expm1(d)ify<300.0elsemath.exp(d-3.0*y)#e^-2y(e^d-1),d<=y",
     "y >= 300 (tau <= 1/300, below the public range): the term is below e^-300 next to terms of order 1"),
    ("ntxent_population", "ifm>-0.5:", "ifm>=-0.5:", "at m = -0.5 exactly both forms of log r are exact"),
    ("ntxent_population", "hi,lo=max(-d,d-2.0*y),min(-d,d-2.0*y)#log(e^-d+e^(d-2y))withoutunderflow",
     "hi,lo=max(-d,d-3.0*y),min(-d,d-2.0*y)#log(e^-d+e^(d-2y))withoutunderflow", _D_IN_0_Y),
    ("ntxent_population", "hi,lo=max(-d,d-2.0*y),min(-d,d-2.0*y)#log(e^-d+e^(d-2y))withoutunderflow",
     "hi,lo=max(-d,d-2.0*y),min(+d,d-2.0*y)#log(e^-d+e^(d-2y))withoutunderflow", _D_IN_0_Y),
    ("ntxent_population", "returnlog_and_ratio_m1(1.0-w/math.sqrt(1.0+w*w))[k]",
     "returnlog_and_ratio_m1(1.0+w/math.sqrt(1.0+w*w))[k]",
     "cosh is even: the ratio at d = (1 + u)/tau equals the ratio at d = (1 - u)/tau (r(d) = r(2y - d))"),
    ("ntxent_population", "ifv==0.0:", "ifv==1.0:", _INTERIOR_NODES),
    ("ntxent_population", "return-math.tanh(y)*y/2.0#bothintegrands~-tanh(y)y/(2w^2)", "*", _INTERIOR_NODES),
    ("ntxent_population", "a=integrate.quad(near,0.0,1.0,args=(k,),epsabs=1e-15,epsrel=1e-12,limit=200)[0]",
     "a=integrate.quad(near,0.0,1.0,args=(k,),epsrel=1e-12,limit=200)[0]", _FIRST_PASS),
    ("ntxent_population", "a=integrate.quad(near,0.0,1.0,args=(k,),epsabs=1e-15,epsrel=1e-12,limit=200)[0]",
     "a=integrate.quad(near,0.0,1.0,args=(k,),epsabs=1e-15,limit=200)[0]", _FIRST_PASS),
    ("ntxent_population", "a=integrate.quad(near,0.0,1.0,args=(k,),epsabs=1e-15,epsrel=1e-12,limit=200)[0]",
     "a=integrate.quad(near,0.0,1.0,args=(k,),epsabs=1e-15,epsrel=1e-12,)[0]", _FIRST_PASS),
    ("ntxent_population", "a=integrate.quad(near,0.0,1.0,args=(k,),epsabs=1e-15,epsrel=1e-12,limit=200)[0]",
     "a=integrate.quad(near,0.0,1.0,args=(k,),epsabs=1e-15,epsrel=1e-12,limit=201)[0]", _FIRST_PASS),
    ("ntxent_population", "b=integrate.quad(far,0.0,1.0,args=(k,),epsabs=1e-15,epsrel=1e-12,limit=200)[0]",
     "b=integrate.quad(far,0.0,1.0,args=(k,),epsrel=1e-12,limit=200)[0]", _FIRST_PASS),
    ("ntxent_population", "b=integrate.quad(far,0.0,1.0,args=(k,),epsabs=1e-15,epsrel=1e-12,limit=200)[0]",
     "b=integrate.quad(far,0.0,1.0,args=(k,),epsabs=1e-15,limit=200)[0]", _FIRST_PASS),
    ("ntxent_population", "b=integrate.quad(far,0.0,1.0,args=(k,),epsabs=1e-15,epsrel=1e-12,limit=200)[0]",
     "b=integrate.quad(far,0.0,1.0,args=(k,),epsabs=1e-15,epsrel=1e-12,)[0]", _FIRST_PASS),
    ("ntxent_population", "b=integrate.quad(far,0.0,1.0,args=(k,),epsabs=1e-15,epsrel=1e-12,limit=200)[0]",
     "b=integrate.quad(far,0.0,1.0,args=(k,),epsabs=1e-15,epsrel=1e-12,limit=201)[0]", _FIRST_PASS),
    ("ntxent_population", "b=integrate.quad(far,0.0,1.0,args=(k,),epsabs=1e-15,epsrel=1e-12,limit=200)[0]",
     "b=integrate.quad(far,0.0,1.0,args=(k,),epsabs=1.000000000000001,epsrel=1e-12,limit=200)[0]", _FIRST_PASS),
    ("ntxent_population", "b=integrate.quad(far,0.0,1.0,args=(k,),epsabs=1e-15,epsrel=1e-12,limit=200)[0]",
     "b=integrate.quad(far,0.0,1.0,args=(k,),epsabs=1e-15,epsrel=1.000000000001,limit=200)[0]", _FIRST_PASS),
    ("ntxent_population", "_,sigma2,tau,rho,p,_=_check(0.5,sigma2,tau,rho,p,12)",
     "_,sigma2,tau,rho,p,_=_check(0.5,sigma2,tau,rho,p,13)", "the n slot is validated, never read"),
]


def equivalent_reason(before: str, after: str, module: str | None = None) -> str | None:
    """Why the mutation ``before -> after`` (one source line) cannot change any output, or None."""
    b, a = _strip(before), _strip(after)
    if b == a:  # no visible change: not recognised as equivalent
        return None
    for mod, kb, ka, reason in KNOWN_EQUIVALENT:
        if mod == module and b == kb and (ka == "*" or a == ka):
            return reason
    if a_sub(before) and a_sub(after) == a_sub(before).upper() and b.replace(a_sub(before), a_sub(after)) == a:
        return "einsum subscripts upper-cased: the same contraction"
    for default in ("axis=0", "dim=0", "dim=1"):  # the default value of the argument removed
        for call in ("concatenate(", "torch.cat(", "F.normalize(", "np.stack("):
            if call in b and b.replace("," + default + ")", ",)") == a:
                if (call, default) in (("concatenate(", "axis=0"), ("torch.cat(", "dim=0"), ("F.normalize(", "dim=1"), ("np.stack(", "axis=0")):
                    return f"{call[:-1]}'s default is {default}"
    if b.lower() == a.lower() and ('"inf"' in b.lower() or '"-inf"' in b.lower()) and b.replace('inf"', 'INF"') == a:
        return "float('INF') is float('inf')"
    if b.lower() == a.lower() and '"nan"' in b and b.replace('"nan"', '"NAN"') == a:
        return "float('NAN') is a NaN like float('nan')"
    if b.replace("np.finfo(float)", "np.finfo(None)") == a or b.replace("np.finfo(np.float64)", "np.finfo(None)") == a:
        return "np.finfo(None) is float64's finfo"
    if "%(2*n)" in b and b.replace("+n)%(2*n)", "-n)%(2*n)") == a:
        return "(i + n) mod 2n == (i - n) mod 2n"
    if re.search(r"\[idx,idx\+n\]", b) and b.replace("[idx,idx+n]", "[idx,idx-n]") == a:
        return "index idx - n (in [-n, 0)) wraps to idx + n on an axis of length 2n"
    return None


def _mutant_sources(work: Path, module: str) -> dict[str, str]:
    """``{function name: source}`` of every original and mutated function in mutmut's trampolined copy."""
    path = work / "mutants" / "theory" / f"{module}.py"
    if not path.exists():
        return {}
    src = path.read_text()
    lines = src.splitlines()
    return {n.name: "\n".join(lines[n.lineno - 1:n.end_lineno]) for n in ast.walk(ast.parse(src))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def survivor_diff(work: Path, name: str, sources: dict[str, str] | None = None) -> tuple[str, str]:
    """``(lines removed, lines added)`` of mutant ``name``.

    Read from mutmut's copy of the module (``sources``, from :func:`_mutant_sources`) when given: one parse
    instead of one ``mutmut show`` process per survivor; otherwise from ``mutmut show``.
    """
    func = name.rsplit(".", 1)[-1]
    if sources is not None and func in sources and (orig := func.rsplit("__mutmut_", 1)[0] + "__mutmut_orig") in sources:
        o = sources[orig].replace(orig, "f", 1).splitlines()  # the def line without the mangled name
        m = sources[func].replace(func, "f", 1).splitlines()
        diff = [l for l in difflib.unified_diff(o, m, lineterm="", n=0) if l[:3] not in ("---", "+++")]
        return ("\n".join(l[1:] for l in diff if l.startswith("-")), "\n".join(l[1:] for l in diff if l.startswith("+")))
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    out = subprocess.run([mutmut, "show", name], cwd=work, capture_output=True, text=True, check=False).stdout
    minus = [l[1:] for l in out.splitlines() if l.startswith("-") and not l.startswith("---")]
    plus = [l[1:] for l in out.splitlines() if l.startswith("+") and not l.startswith("+++")]
    return ("\n".join(minus), "\n".join(plus))


def report(module: str, status: dict[str, list[str]], *, list_survivors: bool = True, work: Path | None = None) -> None:
    killed = len(status.get("killed", []))
    timeout = len(status.get("timeout", []))  # a mutant that hangs the tests is detected
    survived = status.get("survived", []) + status.get("no tests", [])  # a mutant no test reaches survives
    other = {k: len(v) for k, v in status.items() if k not in ("killed", "survived", "timeout", "no tests")}
    total = sum(len(v) for v in status.values())
    equivalent, diffs = {}, {}
    if work is not None:
        sources = _mutant_sources(work, module)
        for name in status.get("survived", []):
            diffs[name] = survivor_diff(work, name, sources)
            reason = equivalent_reason(*diffs[name], module=module)
            if reason:
                equivalent[name] = reason
    scored = killed + timeout + len(survived) - len(equivalent)
    score = 100.0 * (killed + timeout) / scored if scored else float("nan")
    print(f"theory/{module}.py: {total} mutants, {killed} killed, {timeout} timed out, {len(survived)} survived "
          f"({len(status.get('no tests', []))} reached by no test, {len(equivalent)} equivalent), other {other}; "
          f"score {score:.1f}% ((killed + timed out) / non-equivalent)", flush=True)
    if other.get("not checked") and scored:  # a sample (or a partial run): the score is an estimate
        lo, hi = wilson_interval(killed + timeout, scored)
        print(f"  of the {scored} non-equivalent mutants checked: 95% interval {100 * lo:.1f}% to {100 * hi:.1f}% "
              "(Wilson; meaningful for a random sample, --sample)", flush=True)
    if list_survivors:
        for name in survived:
            print(f"  survived: {name}" + (f"  [equivalent: {equivalent[name]}]" if name in equivalent else ""))
            if name in diffs and name not in equivalent:
                for sign, text in zip("-+", diffs[name]):
                    for line in text.splitlines():
                        print(f"      {sign} {line.strip()[:150]}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("modules", nargs="+", help="theory module names, e.g. phase infonce (or theory/phase.py)")
    ap.add_argument("--tests", nargs="*", default=None, help="test files to run (default: see module docstring)")
    ap.add_argument("--importers", action="store_true", help="also run the other test files importing the module")
    ap.add_argument("--max-children", type=int, default=2, help="parallel mutant runs (default: 2)")
    ap.add_argument("--skip-slow", action="store_true",
                    help="deselect the tests marked slow (a lower bound on the score, for modules whose slow "
                         "end-to-end tests reach every mutant)")
    ap.add_argument("--functions", nargs="+", default=None, metavar="PATTERN",
                    help="only the mutants of these functions (mutmut name patterns, e.g. 'x_convex_integrity*'); "
                         "the others are reported as not checked")
    ap.add_argument("--sample", type=int, default=None, metavar="N",
                    help="only a uniform random sample of N mutants (for modules whose full run takes hours); the "
                         "score is then an estimate, printed with its 95%% interval")
    ap.add_argument("--sample-seed", type=int, default=0, help="seed of --sample's draw (default: 0)")
    ap.add_argument("--summary", action="store_true", help="only summarise the finished runs in .mutation/")
    ap.add_argument("--list", action="store_true", help="with --summary: list the survivors")
    args = ap.parse_args(argv)
    if args.summary:
        for raw in args.modules:
            work = ROOT / ".mutation" / Path(raw).stem
            if work.exists():
                report(Path(raw).stem, results(work), list_survivors=args.list, work=work)
        return 0
    for raw in args.modules:
        module = Path(raw).stem
        if not (ROOT / "theory" / f"{module}.py").exists():
            print(f"mutation: no module theory/{module}.py", file=sys.stderr)
            return 2
        tests = args.tests or tests_for(module, importers=args.importers)
        if not tests:  # mutmut would run the whole suite: refuse instead
            print(f"mutation: no test file for theory/{module}.py; name them with --tests", file=sys.stderr)
            return 2
        print(f"theory/{module}.py: tests {' '.join(tests)}", flush=True)
        report(module, run(module, tests, args.max_children, skip_slow=args.skip_slow, functions=args.functions,
                               sample=args.sample, sample_seed=args.sample_seed),
               work=ROOT / ".mutation" / module)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
