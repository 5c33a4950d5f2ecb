#!/usr/bin/env python3
"""Reference ("oracle") drift statistics for the Swift drift tests.

Reads one JSON document on stdin:

    {"reference": [floats], "current": [floats],
     "edges": [interior bin edges, strictly increasing floats],
     "categorical": {"reference": [strings], "current": [strings],
                     "categories": [top-K strings; anything else is "other"]},   # optional
     "evidently": true}                                                           # optional, default true

and writes one JSON object on stdout (keys below; formulas and evidently's
definitions are documented where this file is used). Non-finite results are written as null. On bad input it prints
"drift_oracle: error: ..." on stderr and exits with status 2 (status 1 on an
internal failure).

Independent numbers (numpy/scipy only):
  ks_d, ks_p            scipy.stats.ks_2samp(reference, current)  (method="auto")
  ks_p_asymp            scipy.stats.ks_2samp(..., method="asymp")
  wasserstein           scipy.stats.wasserstein_distance(reference, current)
  reference_std         np.std(reference)  (ddof=0)
  wasserstein_norm      wasserstein / reference_std
  psi, js, hellinger    on the bins given by `edges` with open tails:
                        bin = np.searchsorted(edges, x, side="right")  (len(edges)+1 bins)
  chisquare_stat/_p/_df on categories + "other" (only buckets with nonzero expected count)

"evidently": evidently's own stattests called directly on pandas Series.

Run with the oracle venv: .venv-oracle/bin/python drift_oracle.py < input.json
"""

import os
import sys

# --- determinism and modest CPU use, before numpy is imported -------------------
# evidently's categorical tests iterate Python sets of strings, whose order (and so
# the floating-point summation order) depends on the string hash seed: pin it by
# re-executing once with PYTHONHASHSEED=0. stdin is untouched by exec.
if os.environ.get("PYTHONHASHSEED") != "0":
    env = dict(os.environ, PYTHONHASHSEED="0")
    try:
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    except OSError:
        pass  # fall through: results stay correct, only ULP-level ordering may vary
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")  # BLAS ddot (used by wasserstein) sums in one fixed order

import json  # noqa: E402
import math  # noqa: E402
import warnings  # noqa: E402


class InputError(Exception):
    pass


def fail(msg, code=2):
    sys.stderr.write(f"drift_oracle: error: {msg}\n")
    sys.exit(code)


def num(x):
    """JSON-safe float: non-finite -> None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _float_list(doc, key, where="input", allow_empty=False):
    if key not in doc:
        raise InputError(f'{where}: missing key "{key}"')
    v = doc[key]
    if not isinstance(v, list):
        raise InputError(f'{where}: "{key}" must be a JSON array of numbers')
    out = []
    for i, x in enumerate(v):
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise InputError(f'{where}: "{key}"[{i}] is not a number: {x!r}')
        fx = float(x)
        if not math.isfinite(fx):
            raise InputError(f'{where}: "{key}"[{i}] is not finite: {x!r}')
        out.append(fx)
    if not out and not allow_empty:
        raise InputError(f'{where}: "{key}" must not be empty')
    return out


def _str_list(doc, key, where, allow_empty=False):
    if key not in doc:
        raise InputError(f'{where}: missing key "{key}"')
    v = doc[key]
    if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
        raise InputError(f'{where}: "{key}" must be a JSON array of strings')
    if not v and not allow_empty:
        raise InputError(f'{where}: "{key}" must not be empty')
    return v


def parse(text):
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"stdin is not valid JSON: {e}")
    if not isinstance(doc, dict):
        raise InputError("top-level JSON value must be an object")
    ref = _float_list(doc, "reference")
    cur = _float_list(doc, "current")
    edges = _float_list(doc, "edges", allow_empty=True)
    for i in range(1, len(edges)):
        if not edges[i - 1] < edges[i]:
            raise InputError(f'"edges" must be strictly increasing (edges[{i - 1}]={edges[i - 1]!r}, edges[{i}]={edges[i]!r})')
    cat = doc.get("categorical")
    if cat is not None:
        if not isinstance(cat, dict):
            raise InputError('"categorical" must be an object')
        w = "categorical"
        cref = _str_list(cat, "reference", w)
        ccur = _str_list(cat, "current", w)
        cats = _str_list(cat, "categories", w, allow_empty=True)
        if len(set(cats)) != len(cats):
            raise InputError('categorical: "categories" has duplicates')
        cat = (cref, ccur, cats)
    use_ev = doc.get("evidently", True)
    if not isinstance(use_ev, bool):
        raise InputError('"evidently" must be true or false')
    if os.environ.get("DRIFT_ORACLE_SKIP_EVIDENTLY") == "1":
        use_ev = False
    return ref, cur, edges, cat, use_ev


def import_evidently_stattests():
    """Import evidently.legacy.calculations.stattests without running evidently/__init__.py.

    The package __init__ pulls in the whole UI/LLM/SDK stack (~5 s); the stattests only
    need evidently.legacy.*. A bare parent package with the real __path__ makes the
    submodule import load exactly the installed source files. Falls back to the normal
    import if that ever fails.
    """
    import importlib
    import importlib.util
    import types

    spec = importlib.util.find_spec("evidently")
    if spec is None:
        raise ImportError("evidently is not installed in this interpreter")
    try:
        pkg = types.ModuleType("evidently")
        pkg.__path__ = list(spec.submodule_search_locations)
        pkg.__spec__ = spec
        pkg.__file__ = spec.origin
        sys.modules["evidently"] = pkg
        st = importlib.import_module("evidently.legacy.calculations.stattests")
        from evidently.legacy.core import ColumnType
        mode = "submodules-only"
    except Exception:
        for k in [k for k in sys.modules if k == "evidently" or k.startswith("evidently.")]:
            del sys.modules[k]
        import evidently.legacy.calculations.stattests as st  # noqa: F811
        from evidently.legacy.core import ColumnType  # noqa: F811
        mode = "full-package"
    try:
        from importlib.metadata import version
        ver = version("evidently")
    except Exception:
        ver = None
    return st, ColumnType, ver, mode


def main():
    text = sys.stdin.read()
    try:
        ref_l, cur_l, edges_l, cat, use_ev = parse(text)
    except InputError as e:
        fail(str(e))

    import numpy as np
    import scipy
    from scipy import stats
    from scipy.spatial import distance

    caught = []
    out = {}
    with warnings.catch_warnings(record=True) as wlist:
        warnings.simplefilter("always")

        ref = np.asarray(ref_l, dtype=np.float64)
        cur = np.asarray(cur_l, dtype=np.float64)
        edges = np.asarray(edges_l, dtype=np.float64)
        n_ref, n_cur = ref.size, cur.size
        out["n_reference"] = int(n_ref)
        out["n_current"] = int(n_cur)

        # --- Kolmogorov-Smirnov ------------------------------------------------
        ks = stats.ks_2samp(ref, cur)
        ks_a = stats.ks_2samp(ref, cur, method="asymp")
        out["ks_d"] = num(ks.statistic)
        out["ks_p"] = num(ks.pvalue)
        out["ks_p_asymp"] = num(ks_a.pvalue)
        out["ks_auto_method"] = "exact" if max(n_ref, n_cur) <= 10000 else "asymp"

        # --- Wasserstein, normalised by reference std (ddof 0) -----------------
        wd = stats.wasserstein_distance(ref, cur)
        sd = np.std(ref)
        out["wasserstein"] = num(wd)
        out["reference_std"] = num(sd)
        out["wasserstein_norm"] = num(wd / sd) if sd > 0 else None

        # --- binned: PSI, Jensen-Shannon, Hellinger -----------------------------
        nb = edges.size + 1
        rc = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=nb)
        cc = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=nb)
        r = rc / n_ref
        c = cc / n_cur
        eps = 0.0001
        r_f = np.where(r == 0, eps, r)
        c_f = np.where(c == 0, eps, c)
        out["psi"] = num(np.sum((c_f - r_f) * np.log(c_f / r_f)))
        out["js"] = num(distance.jensenshannon(r, c, base=2))
        bc = float(np.sum(np.sqrt(r * c)))
        out["hellinger"] = num(math.sqrt(max(0.0, 1.0 - bc)))
        out["bins"] = {
            "reference_counts": rc.tolist(),
            "current_counts": cc.tolist(),
            "reference_proportions": r.tolist(),
            "current_proportions": c.tolist(),
        }

        # --- categorical chi-square on categories + other -----------------------
        if cat is not None:
            cref, ccur, cats = cat
            other = "other"
            while other in cats:
                other = "_" + other + "_"
            index = {s: i for i, s in enumerate(cats)}
            k = len(cats) + 1
            crc = np.bincount([index.get(s, k - 1) for s in cref], minlength=k)
            ccc = np.bincount([index.get(s, k - 1) for s in ccur], minlength=k)
            n_cref, n_ccur = len(cref), len(ccur)
            f_exp_all = (crc / n_cref) * n_ccur
            keep = f_exp_all > 0
            f_obs = ccc[keep].astype(np.float64)
            f_exp = f_exp_all[keep]
            # sum_check=False: observed mass in dropped (zero-expected) buckets makes the
            # totals differ, which scipy would otherwise reject.
            if f_obs.size >= 2:
                chi = stats.chisquare(f_obs, f_exp, sum_check=False)
                out["chisquare_stat"] = num(chi.statistic)
                out["chisquare_p"] = num(chi.pvalue)
            else:
                out["chisquare_stat"] = None
                out["chisquare_p"] = None
            out["chisquare_df"] = int(f_obs.size - 1)
            out["categorical"] = {
                "buckets": list(cats) + [other],
                "reference_counts": crc.tolist(),
                "current_counts": ccc.tolist(),
                "expected": f_exp_all.tolist(),
                "kept": keep.tolist(),
                "dropped_observed": int(ccc[~keep].sum()),
            }

        # --- evidently ----------------------------------------------------------
        if use_ev:
            try:
                out["evidently"] = run_evidently(ref, cur, cat, np)
            except ImportError as e:  # keep the independent numbers usable
                out["evidently"] = {"error": f"{type(e).__name__}: {e}"}

        from importlib.metadata import PackageNotFoundError, version as _ver

        def _v(name):
            try:
                return _ver(name)
            except PackageNotFoundError:
                return None

        out["versions"] = {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "pandas": _v("pandas"),
            "evidently": _v("evidently"),
        }
        caught = wlist

    out["warnings"] = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    sys.stdout.write(json.dumps(out, allow_nan=False, sort_keys=True))
    sys.stdout.write("\n")


def run_evidently(ref, cur, cat, np):
    import pandas as pd

    st, ColumnType, ver, mode = import_evidently_stattests()
    res = {"version": ver, "import_mode": mode}

    def call(test, kind, r, c, ftype):
        entry = {"name": test.name, "display_name": test.display_name, "kind": kind}
        try:
            # copies: hellinger mutates its inputs (dropna(inplace=True))
            out = test(r.copy(), c.copy(), ftype, None)
            entry["value"] = num(out.drift_score)
            entry["drifted"] = bool(out.drifted)
            entry["threshold"] = num(out.actual_threshold)
        except Exception as e:  # report, don't die: e.g. chisquare on unseen categories
            entry["value"] = None
            entry["error"] = f"{type(e).__name__}: {e}"
        return entry

    rs = pd.Series(ref)
    cs = pd.Series(cur)
    N = ColumnType.Numerical
    res["psi"] = call(st.psi_stat_test, "statistic", rs, cs, N)
    res["jensenshannon"] = call(st.jensenshannon_stat_test, "statistic", rs, cs, N)
    res["wasserstein"] = call(st.wasserstein_stat_test, "statistic", rs, cs, N)
    res["ks"] = call(st.ks_stat_test, "p_value", rs, cs, N)
    res["hellinger"] = call(st.hellinger_stat_test, "statistic", rs, cs, N)

    if cat is not None:
        cref, ccur, cats = cat
        other = "other"
        while other in cats:
            other = "_" + other + "_"
        keep = set(cats)
        C = ColumnType.Categorical

        def block(rv, cv):
            r = pd.Series(rv, dtype=object)
            c = pd.Series(cv, dtype=object)
            return {
                "chisquare": call(st.chi_stat_test, "p_value", r, c, C),
                "jensenshannon": call(st.jensenshannon_stat_test, "statistic", r, c, C),
                "psi": call(st.psi_stat_test, "statistic", r, c, C),
                "hellinger": call(st.hellinger_stat_test, "statistic", r, c, C),
            }

        # top-K + "other" bucketing, as the Swift side bins categories
        res["categorical"] = block([s if s in keep else other for s in cref],
                                   [s if s in keep else other for s in ccur])
        # the raw strings, as evidently would see an unbucketed column
        res["categorical_raw"] = block(cref, ccur)
    return res


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except BaseException as e:  # internal failure: clear message, non-zero exit
        sys.stderr.write(f"drift_oracle: internal error: {type(e).__name__}: {e}\n")
        sys.exit(1)
