"""Table of pooled / 200+ / per-fold macro-F1 and deltas vs hs over the pickles given.

    target/bench-venv/bin/python benches/cv_learners_summary.py OUT.pkl...
Also: flips (rows right here and wrong in hs / the reverse) and a 95% interval of the pooled delta
from 2000 bootstrap resamples of whole sources (rows of a source drawn together)."""
import pickle, sys, numpy as np
from source_folds import FOLDS, L, rows, src, names, fold_of
held_src = []
for k in range(FOLDS): held_src += [src[r["id"]] for r in rows if fold_of[src[r["id"]]] == k]
sid = np.array([names.index(s) for s in held_src]); S = len(names)
def cm(g, p, w=None):
    w = np.ones(len(g)) if w is None else w
    M = np.zeros((3, 3)); np.add.at(M, (g, p), w); return M
def mf(M):
    tp = np.diag(M); pp = M.sum(0); gg = M.sum(1)
    f = np.where(pp + gg > 0, 2 * tp / np.maximum(pp + gg, 1e-12), 0); return f.mean()
def macro(g, p): return mf(cm(g, p))
allr, lens = {}, None
for f in sys.argv[1:]:
    d = pickle.load(open(f, "rb"))
    if lens is None: lens = d["lens"]
    assert lens == d["lens"]
    for n, r in d["res"].items():
        if n in allr and n != "hs": n = n + "'"
        allr.setdefault(n, {k: (np.array([L.index(x) for x in v]) if k != "fold" else np.array(v)) for k, v in r.items()})
long = np.array(lens) >= 200
def stats(r):
    g, p, fo = r["gold"], r["pred"], r["fold"]
    folds = [macro(g[fo == k], p[fo == k]) for k in range(FOLDS)]
    return macro(g, p), macro(g[long], p[long]), folds
rng = np.random.default_rng(0)
W = np.stack([np.bincount(rng.integers(0, S, S), minlength=S)[sid] for _ in range(2000)]).astype(float)
b = stats(allr["hs"]); gb, pb = allr["hs"]["gold"], allr["hs"]["pred"]
bb = np.array([mf(cm(gb, pb, w)) for w in W])
print(f"hs fold spread (sd of per-fold F1): {np.std(b[2], ddof=1):.4f}")
print(f"{'experiment':<16} {'pooled':>7} {'d':>7} {'200+':>7} {'d200':>7}  {'per-fold F1 (delta vs hs)':<67} {'wins':>4} {'+/-':>9} {'95% CI d':>17}")
for n, r in allr.items():
    s = stats(r); g, p = r["gold"], r["pred"]
    df = np.array(s[2]) - np.array(b[2])
    pf = " ".join(f"{x:.4f}({d:+.4f})" for x, d in zip(s[2], df))
    bd = np.array([mf(cm(g, p, w)) for w in W]) - bb
    up = int(((p == g) & (pb != g)).sum()); dn = int(((p != g) & (pb == g)).sum())
    print(f"{n:<16} {s[0]:.4f} {s[0]-b[0]:+.4f} {s[1]:.4f} {s[1]-b[1]:+.4f}  {pf} {int((df>0).sum())}/4 {up:>4}/{dn:<4} [{np.percentile(bd,2.5):+.4f},{np.percentile(bd,97.5):+.4f}]")
