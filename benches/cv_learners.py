"""Feature / learner variants of heihui's n-gram classifier, cross-validated held out by source.

Same rows, folds, 85/15 fit/tune split and stack as benches/cv_alternatives.py (copied from it).

    target/bench-venv/bin/python benches/cv_learners.py OUT.pkl SPEC...

from the project root (the venv of benches/cv_by_source.sh, with jieba: `pip install jieba`);
benches/cv_learners_summary.py tabulates the OUT.pkl files of several runs against `hs`.
Run one process at a time with OMP_NUM_THREADS=1 (each fold's fits take 15-35 s a spec).
MODEL_CARD.md's "Learners and features in the scikit-learn replica" came from, among others:

    ... r2.pkl hs nb_C10_b.25:nb=1,C=10,beta=0.25
    ... r6.pkl hs h:stk=0 db:sh=db h_db:sh=db,stk=0 addc:sh=addc w3:w=3 xdf.2:xdf=0.2
    ... r5.pkl hs bal:cw=bal ens_stk2:ens=2 plus_svc:plus=svc svc:L=svc plus_sgd:plus=sgd
    ... r7.pkl hs nb+lr:nb=1,C=10,beta=0.25,plus=lr db_nb+lr:sh=db,nb=1,C=10,beta=0.25,plus=lr
    ... r9.pkl hs nb+lr+svc:nb=1,C=10,beta=0.25,plus=lr+svc

and its "A pinyin block" section (py= needs `pip install pypinyin`), with
D=nb=1,C=30,plus=lr,mix=avg,stk=diag (the shipped form):

    ... py.pkl  hs:D py3:D,py=3 py2:D,py=2
    ... pyc.pkl hs:D py2c:D,py=2,pys=char py3c:D,py=3,pys=char
    ... sk.pkl  hs:D sk1:D,sk=1 py3sk1:D,py=3,sk=1 py4:D,py=4

SPEC is NAME or NAME:key=val,key=val ... with keys (defaults give the reference `hs`):
    c=1-4      char n-gram range           w=2     word n-grams up to (1..3)
    mdf=2      min_df (both vectorizers)   xdf=1.0 max_df (float fraction)
    sh=none    text shape: d0 (each digit -> 0), dr (digit run -> one placeholder),
               db (digit run -> placeholder by length bucket), l (latin runs of 3+ -> placeholder),
               h (mixed latin/digit handles -> placeholder); combine e.g. db+l;
               add: keep text, add shape tokens to the word stream; addc: also char n-grams of
               the db-shaped text as an extra block
    C=30       LR C                         cw=bal  class_weight balanced
    nb=0       1: NB log-count-ratio scaled features, one-vs-rest binary LRs
    beta=1     NB interpolation (w' = (1-beta) mean|w| + beta w)
    L=lr       learner: lr | sgd (modified_huber) | svc (calibrated LinearSVC)
    ens=0      1: separate char-LR and word-LR, averaged log-probabilities (stack on the average)
               2: same, stack on both log-probabilities
    plus=      extra learner(s) whose log-probabilities join the stack: sgd, svc, lr (plain LR, C=30;
               with nb=1 stacks NB-LR with LR) (e.g. plus=sgd+svc)
    stk=1      0: argmax instead of stack; diag: heihui's form of the stack, label k scored from
               each part's log-probability of k alone (a weight per part and label, a bias per
               label, L2 1e-3 on the weights)
    py=0       pinyin: syllable n-grams 1..N of the text's toneless readings (pypinyin's
               lazy_pinyin, other characters as their own tokens) as an extra block
    pys=phrase pinyin readings: phrase (pypinyin's, in context, punctuation kept as tokens) or
               char (each CJK character's reading alone, runs of other letters and digits as
               tokens, whitespace and punctuation dropped: heihui's pinyin block)
    sk=0       1: character pairs with one character between them (a?b, whitespace runs as one
               space) as an extra block; 2: also triples with one gap (ab?c, a?bc)
    mix=stack  avg: the parts' log-probabilities averaged and renormalised into one before the
               stack (or the argmax), as one model that carries both heads would give them
"""
import sys, re, time, unicodedata, pickle
import numpy as np
import scipy.sparse as sp
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.svm import LinearSVC
from sklearn.calibration import CalibratedClassifierCV
import jieba
jieba.setLogLevel(60)
from source_folds import FOLDS, L, rows, macro, split
def norm(t): return unicodedata.normalize("NFKC", t).lower()
for r in rows:
    r["n"] = norm(r["text"])

# ---- text shapes ----
P_DR, P_L, P_H = "\ue000", "\ue010", "\ue011"
def dbucket(m):
    k = len(m.group(0))
    return "\ue001" if k <= 2 else "\ue002" if k <= 4 else "\ue003" if k <= 8 else "\ue004" if k <= 10 else "\ue005" if k == 11 else "\ue006"
RE_H = re.compile(r"(?=[a-z0-9_]*[a-z])(?=[a-z0-9_]*[0-9])[a-z0-9_]{5,}")
def shape(n, mode):
    for m in mode.split("+"):
        if m == "h": n = RE_H.sub(P_H, n)
    for m in mode.split("+"):
        if m == "d0": n = re.sub(r"[0-9]", "0", n)
        elif m == "dr": n = re.sub(r"[0-9]+", P_DR, n)
        elif m == "db": n = re.sub(r"[0-9]+", dbucket, n)
        elif m == "l": n = re.sub(r"[a-z]{3,}", P_L, n)
    return n
def lb(k): return "1" if k <= 2 else "2" if k <= 4 else "3" if k <= 8 else "4" if k <= 10 else "5" if k == 11 else "6"
def shape_tokens(n):
    t = ["<d%s>" % lb(len(m)) for m in re.findall(r"[0-9]+", n)]
    t += ["<l%s>" % lb(len(m)) for m in re.findall(r"[a-z]+", n)]
    t += ["<h>" for _ in RE_H.findall(n)]
    return t

_jcache = {}
def words(n):
    w = _jcache.get(n)
    if w is None:
        w = _jcache[n] = [x for x in jieba.lcut(n) if x.strip()]
    return w

def parse(spec):
    name, _, kv = spec.partition(":")
    o = dict(c="1-4", w="2", mdf="2", xdf="1.0", sh="none", C="30", cw="", nb="0", beta="1",
             L="lr", ens="0", plus="", stk="1", mix="stack", py="0", sk="0", pys="phrase")
    if kv:
        for x in kv.split(","):
            k, v = x.split("="); assert k in o, k; o[k] = v
    return name, o

def feat_key(o): return (o["c"], o["w"], o["mdf"], o["xdf"], o["sh"], o["py"], o["sk"], o["pys"])

def skips(n, k):
    c = list(re.sub(r"\s+", " ", n)); out = []
    for i in range(len(c) - 2):
        out.append(c[i] + "?" + c[i + 2])
        if k >= 2 and i + 3 < len(c):
            out += [c[i] + c[i + 1] + "?" + c[i + 3], c[i] + "?" + c[i + 2] + c[i + 3]]
    return out

_pcache = {}
def syllables(n, mode="phrase"):
    s = _pcache.get((n, mode))
    if s is None:
        from pypinyin import lazy_pinyin
        if mode == "phrase":
            s = [x for t in lazy_pinyin(n) for x in t.split() if x.strip()]
        else:
            s = re.findall(r"[\u3007\u3400-\u4dbf\u4e00-\u9fff]|[^\W\u3007\u3400-\u4dbf\u4e00-\u9fff_]+", n)
            s = [lazy_pinyin(x)[0] if len(x) == 1 and "\u3007" <= x <= "\u9fff" else x for x in s]
        _pcache[(n, mode)] = s
    return s

def ngr(ws, k):
    out = list(ws)
    for j in range(2, k + 1): out += [" ".join(ws[i:i+j]) for i in range(len(ws) - j + 1)]
    return out

def build(o, fit, tune, held):
    """returns dict block -> (Xfit, Xtune, Xheld); blocks 'c' (char) and 'w' (word)"""
    cmin, cmax = map(int, o["c"].split("-")); wk = int(o["w"]); mdf = int(o["mdf"]); xdf = float(o["xdf"])
    sh = o["sh"]
    base_sh = sh if sh not in ("none", "add", "addc") else None
    def txt(r): return shape(r["n"], base_sh) if base_sh else r["n"]
    def wtok(r):
        t = ngr(words(txt(r)), wk)
        if sh in ("add", "addc"): t = t + shape_tokens(r["n"])
        return t
    blocks = {}
    vc = TfidfVectorizer(analyzer="char", ngram_range=(cmin, cmax), sublinear_tf=True, min_df=mdf, max_df=xdf, lowercase=False)
    blocks["c"] = tuple(f([txt(r) for r in rs]) for f, rs in ((vc.fit_transform, fit), (vc.transform, tune), (vc.transform, held)))
    vw = TfidfVectorizer(analyzer=lambda x: x, sublinear_tf=True, min_df=mdf, max_df=xdf, lowercase=False)
    blocks["w"] = tuple(f([wtok(r) for r in rs]) for f, rs in ((vw.fit_transform, fit), (vw.transform, tune), (vw.transform, held)))
    if int(o["py"]):
        vp = TfidfVectorizer(analyzer=lambda x: x, sublinear_tf=True, min_df=mdf, max_df=xdf, lowercase=False)
        t = lambda r: ngr(syllables(r["n"], o["pys"]), int(o["py"]))
        blocks["p"] = tuple(f([t(r) for r in rs]) for f, rs in ((vp.fit_transform, fit), (vp.transform, tune), (vp.transform, held)))
    if int(o["sk"]):
        vk = TfidfVectorizer(analyzer=lambda x: x, sublinear_tf=True, min_df=mdf, max_df=xdf, lowercase=False)
        t = lambda r: skips(r["n"], int(o["sk"]))
        blocks["k"] = tuple(f([t(r) for r in rs]) for f, rs in ((vk.fit_transform, fit), (vk.transform, tune), (vk.transform, held)))
    if sh == "addc":
        vs = TfidfVectorizer(analyzer="char", ngram_range=(cmin, cmax), sublinear_tf=True, min_df=mdf, max_df=xdf, lowercase=False)
        t = lambda r: shape(r["n"], "db")
        blocks["s"] = tuple(f([t(r) for r in rs]) for f, rs in ((vs.fit_transform, fit), (vs.transform, tune), (vs.transform, held)))
    return blocks

def order(m): return [list(m.classes_).index(l) for l in L]

def fit_logp(o, Xf, yf, Xs, learner=None):
    """fit on (Xf, yf); returns log-probabilities (columns in L order) for each X in Xs"""
    learner = learner or o["L"]; C = float(o["C"]); cw = "balanced" if o["cw"] == "bal" else None
    if o["nb"] == "1" and learner == "lr":
        B = Xf.copy(); B.data[:] = 1; beta = float(o["beta"]); y = np.array(yf)
        outs = [np.zeros((X.shape[0], 3)) for X in Xs]
        for j, l in enumerate(L):
            pos = y == l
            p = 1 + np.asarray(B[pos].sum(0)).ravel(); q = 1 + np.asarray(B[~pos].sum(0)).ravel()
            r = np.log((p / p.sum()) / (q / q.sum()))
            R = sp.diags(r)
            m = LogisticRegression(C=C, max_iter=2000, class_weight=cw).fit(Xf @ R, pos.astype(int))
            w = m.coef_.ravel()
            if beta != 1: w = (1 - beta) * np.abs(w).mean() + beta * w
            for X, out in zip(Xs, outs):
                out[:, j] = (X @ R) @ w + m.intercept_[0]
        res = []
        for out in outs:
            pr = 1 / (1 + np.exp(-out)); pr = np.clip(pr, 1e-9, None); pr /= pr.sum(1, keepdims=True)
            res.append(np.log(pr))
        return res
    if learner == "lr":
        m = LogisticRegression(C=C, max_iter=2000, class_weight=cw).fit(Xf, yf)
        return [m.predict_log_proba(X)[:, order(m)] for X in Xs]
    if learner == "sgd":
        m = SGDClassifier(loss="modified_huber", alpha=1e-5, max_iter=50, tol=1e-4, random_state=0, class_weight=cw).fit(Xf, yf)
        return [np.log(np.clip(m.predict_proba(X)[:, order(m)], 1e-6, None)) for X in Xs]
    if learner == "svc":
        m = CalibratedClassifierCV(LinearSVC(C=1.0, class_weight=cw), cv=3, method="sigmoid").fit(Xf, yf)
        return [np.log(np.clip(m.predict_proba(X)[:, order(m)], 1e-9, None)) for X in Xs]
    raise ValueError(learner)

def diag_stack(ft, yt, fh):
    """heihui's stack: score_k = b_k + sum_j a_jk ft[:, 3j + k]; returns the scores of fh"""
    from scipy.optimize import minimize
    J = ft.shape[1] // 3; y = np.array([L.index(l) for l in yt]); n = len(y)
    def cols(X): return X.reshape(len(X), J, 3)
    Ft = cols(ft)
    def f(w):
        a, b = w[:3 * J].reshape(J, 3), w[3 * J:]
        z = (Ft * a).sum(1) + b
        z = z - z.max(1, keepdims=True); lse = np.log(np.exp(z).sum(1))
        loss = (lse - z[np.arange(n), y]).mean() + 0.5e-3 * (a * a).sum()
        d = np.exp(z - lse[:, None]); d[np.arange(n), y] -= 1; d /= n
        ga = (Ft * d[:, None, :]).sum(0) + 1e-3 * a
        return loss, np.concatenate([ga.ravel(), d.sum(0)])
    w = minimize(f, np.concatenate([np.ones(3 * J), np.zeros(3)]), jac=True, method="L-BFGS-B").x
    return (cols(fh) * w[:3 * J].reshape(J, 3)).sum(1) + w[3 * J:]
specs = [parse(s) for s in sys.argv[2:]]
out_path = sys.argv[1]
res = {n: {"gold": [], "pred": [], "fold": []} for n, _ in specs}
lens = []
for k in range(FOLDS):
    t0 = time.time()
    fit, tune, held = split(k)
    g = [r["label"] for r in held]; lens += [len(r["text"]) for r in held]
    yf, yt = [r["label"] for r in fit], [r["label"] for r in tune]
    fcache, lcache = {}, {}
    for name, o in specs:
        t1 = time.time()
        fk = feat_key(o)
        if fk not in fcache: fcache[fk] = build(o, fit, tune, held)
        B = fcache[fk]
        def lp_of(blocks, learner, oo=o):
            key = (fk, blocks, learner, oo["C"], oo["cw"], oo["nb"], oo["beta"])
            if key not in lcache:
                Xf = hstack([B[b][0] for b in blocks]).tocsr(); Xt = hstack([B[b][1] for b in blocks]).tocsr(); Xh = hstack([B[b][2] for b in blocks]).tocsr()
                lcache[key] = fit_logp(oo, Xf, yf, [Xt, Xh], learner)
            return lcache[key]
        allb = tuple(b for b in ("c", "w", "s", "p", "k") if b in B)
        if o["ens"] == "0":
            parts = [lp_of(allb, o["L"])]
        else:
            cb = tuple(b for b in allb if b != "w")
            pc, pw = lp_of(cb, o["L"]), lp_of(("w",), o["L"])
            parts = [[(a + b) / 2 for a, b in zip(pc, pw)]] if o["ens"] == "1" else [pc, pw]
        for extra in [x for x in o["plus"].split("+") if x]:
            oo = dict(o); oo["nb"] = "0"
            if extra == "lr": oo["C"] = "30"  # plain LR at the reference C
            parts.append(lp_of(allb, extra, oo))
        if o["mix"] == "avg":
            def avg(ps):
                a = sum(ps) / len(ps)
                return a - np.log(np.exp(a).sum(1, keepdims=True))
            parts = [[avg([p[i] for p in parts]) for i in range(2)]]
        ft = np.hstack([p[0] for p in parts]); fh = np.hstack([p[1] for p in parts])
        if o["stk"] == "diag":
            p = [L[i] for i in diag_stack(ft, yt, fh).argmax(1)]
        elif o["stk"] == "1":
            st = LogisticRegression(C=1, max_iter=2000).fit(ft, yt); p = st.predict(fh).tolist()
        else:
            p = [L[i] for i in fh[:, :3].argmax(1)]
        res[name]["gold"] += g; res[name]["pred"] += p; res[name]["fold"] += [k] * len(g)
        print(f"fold {k} {name}: {macro(g, p):.4f}  ({time.time()-t1:.0f}s)", flush=True)
    print(f"fold {k} {time.time()-t0:.0f}s", flush=True)
long = [i for i, n in enumerate(lens) if n >= 200]
for name, _ in specs:
    g, p = res[name]["gold"], res[name]["pred"]
    print(f"{name:<14} {macro(g,p):.4f} 200+ {macro([g[i] for i in long],[p[i] for i in long]):.4f}")
pickle.dump({"res": res, "lens": lens, "specs": dict(specs)}, open(out_path, "wb"))
