"""Alternatives to heihui's n-gram settings, cross-validated held out by source in scikit-learn.

    target/bench-venv/bin/pip install scikit-learn jieba
    target/bench-venv/bin/python benches/cv_alternatives.py EXPERIMENT...

The folds of benches/cv_by_source.py (train.csv and dev.csv, sources sorted and dealt into four
folds round-robin); in each fold the model is fitted on 85% of the other folds' rows and a
logistic regression over its log-probabilities (the stack) on the other 15%, as heihui fits its
decision. Features as heihui's n-gram part makes them, approximately: NFKC and lower case in
place of heihui's normaliser, Python's jieba in place of jieba-rs; character 1-4 grams and jieba
words and word pairs, each seen in at least 2 rows, sublinear TF-IDF, C = 30. Experiments:

    h                  the model's own argmax
    hs                 the stack over the model's log-probabilities
    seg[SIZE_STRIDE]   the stack also given the most likely window (default 80 characters,
                       stride 40) of each label
    swP, sdfN          rows weighted by 1 / (rows of their source)^P; features seen in at least
                       N sources
    m:KEY=V,...        any of sw=P, sdf=N, aug=COPIES (corpus phrases in a training row swapped
                       for other phrases of the same category, COPIES copies), C=C
    cC                 the argmax at another C

Prints each fold's macro-F1 and the pooled macro-F1 overall and on texts of 200+ characters.
"""
import random, sys, re, time, unicodedata
import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
import jieba
jieba.setLogLevel(60)
from source_folds import FOLDS, L, rows, src, macro, split
def norm(t): return unicodedata.normalize("NFKC", t).lower()
for r in rows:
    r["n"] = norm(r["text"])
    r["w"] = " ".join(w for w in jieba.lcut(r["n"]) if w.strip())

class H:
    """char 1-4 + words 1-2, C"""
    def __init__(s, C=30, cmax=4, weight=None, sdf=0): s.C=C; s.cmax=cmax; s.weight=weight; s.sdf=sdf
    def fit(s, rs):
        s.vc = TfidfVectorizer(analyzer="char", ngram_range=(1, s.cmax), sublinear_tf=True, min_df=2)
        s.vw = TfidfVectorizer(analyzer=lambda x: (lambda ws: ws + [a+" "+b for a,b in zip(ws,ws[1:])])(x.split()), sublinear_tf=True, min_df=2)
        X = hstack([s.vc.fit_transform([r["n"] for r in rs]), s.vw.fit_transform([r["w"] for r in rs])]).tocsr()
        s.keep = None
        if s.sdf:
            import scipy.sparse as sp
            ids = {n: i for i, n in enumerate(sorted({src[r["id"]] for r in rs}))}
            S = sp.csr_matrix((np.ones(len(rs)), ([ids[src[r["id"]]] for r in rs], range(len(rs)))), shape=(len(ids), len(rs)))
            B = X.copy(); B.data[:] = 1
            cnt = np.asarray(((S @ B) > 0).sum(0)).ravel()
            s.keep = np.where(cnt >= s.sdf)[0]; X = X[:, s.keep]
            print("kept", len(s.keep), "of", len(cnt), flush=True)
        w = None
        if s.weight:
            import collections
            c = collections.Counter(src[r["id"]] for r in rs)
            w = np.array([c[src[r["id"]]] ** -s.weight for r in rs]); w *= len(rs) / w.sum()
        s.m = LogisticRegression(C=s.C, max_iter=2000).fit(X, [r["label"] for r in rs], sample_weight=w); return s
    def X(s, ns, ws):
        X = hstack([s.vc.transform(ns), s.vw.transform(ws)]).tocsr()
        return X if s.keep is None else X[:, s.keep]
    def logp(s, rs): return s.m.predict_log_proba(s.X([r["n"] for r in rs], [r["w"] for r in rs]))[:, [list(s.m.classes_).index(l) for l in L]]
    def logp_texts(s, ns):
        return s.m.predict_log_proba(s.X(ns, [" ".join(w for w in jieba.lcut(n) if w.strip()) for n in ns]))[:, [list(s.m.classes_).index(l) for l in L]]

def segments(n, size, stride):
    if len(n) <= size: return [n]
    return [n[i:i+size] for i in range(0, len(n) - size + stride, stride)]

def seg_feats(model, rs, size=80, stride=40):
    allseg, owner = [], []
    for i, r in enumerate(rs):
        ss = segments(r["n"], size, stride); allseg += ss; owner += [i]*len(ss)
    lp = model.logp_texts(allseg); owner = np.array(owner)
    mx = np.full((len(rs), 3), -1e9)
    for j in range(3): np.maximum.at(mx[:, j], owner, lp[:, j])
    return mx

PH = {}
for cat in ["debt_optimization", "malicious_complaint", "contact_lure", "warning_context"]:
    for line in open(f"corpus/phrases/{cat}.tsv", encoding="utf-8"):
        if line.startswith("#") or not line.strip(): continue
        PH.setdefault(cat, []).append(norm(line.split("\t")[0]))
ALL = sorted(((p, c) for c, ps in PH.items() for p in ps), key=lambda x: -len(x[0]))
PAT = re.compile("|".join(re.escape(p) for p, _ in ALL)); CAT = dict(ALL)
def augment(rs, copies, seed):
    rng = random.Random(seed); out = []
    for r in rs:
        if not PAT.search(r["n"]): continue
        for _ in range(copies):
            n = PAT.sub(lambda m: rng.choice(PH[CAT[m.group(0)]]), r["n"])
            out.append({"id": r["id"], "label": r["label"], "n": n, "w": " ".join(w for w in jieba.lcut(n) if w.strip()), "text": r["text"]})
    return out
exps = sys.argv[1:]
res = {e: ([], []) for e in exps}
gold_all, lens = [], []
for k in range(FOLDS):
    t0 = time.time()
    fit, tune, held = split(k)
    g = [r["label"] for r in held]; gold_all += g; lens += [len(r["text"]) for r in held]
    base = H().fit(fit)
    lp_t, lp_h = base.logp(tune), base.logp(held)
    cache = {}
    for e in exps:
        if e == "h":
            p = [L[i] for i in lp_h.argmax(1)]
        elif e == "hs":
            st = LogisticRegression(C=1, max_iter=2000).fit(lp_t, [r["label"] for r in tune])
            p = st.predict(lp_h).tolist()
        elif e.startswith("seg"):
            size, stride = map(int, e[3:].split("_")) if len(e) > 3 else (80, 40)
            ft = np.hstack([lp_t, seg_feats(base, tune, size, stride)]); fh = np.hstack([lp_h, seg_feats(base, held, size, stride)])
            st = LogisticRegression(C=1, max_iter=2000).fit(ft, [r["label"] for r in tune])
            p = st.predict(fh).tolist()
        elif e.startswith("m:"):  # m:sw=0.5,sdf=2,aug=1,C=30
            o = dict(kv.split("=") for kv in e[2:].split(","))
            a = augment(fit, int(o["aug"]), k) if "aug" in o else []
            m = H(C=float(o.get("C", 30)), weight=float(o.get("sw", 0)) or None, sdf=int(o.get("sdf", 0))).fit(fit + a)
            st = LogisticRegression(C=1, max_iter=2000).fit(m.logp(tune), [r["label"] for r in tune])
            p = st.predict(m.logp(held)).tolist()
        elif e.startswith("sw") or e.startswith("sdf"):
            m = H(weight=float(e[2:])).fit(fit) if e.startswith("sw") else H(sdf=int(e[3:])).fit(fit)
            st = LogisticRegression(C=1, max_iter=2000).fit(m.logp(tune), [r["label"] for r in tune])
            p = st.predict(m.logp(held)).tolist()
        elif e.startswith("aug"):
            a = augment(fit, int(e[3:]), k); print("augmented", len(a), flush=True)
            m = H().fit(fit + a)
            st = LogisticRegression(C=1, max_iter=2000).fit(m.logp(tune), [r["label"] for r in tune])
            p = st.predict(m.logp(held)).tolist()
        elif e.startswith("c"):  # h with different C
            m = H(C=float(e[1:])).fit(fit); p = [L[i] for i in m.logp(held).argmax(1)]
        res[e][0].extend(g); res[e][1].extend(p)
        print(f"fold {k} {e}: {macro(g, p):.4f}", flush=True)
    print(f"fold {k} {time.time()-t0:.0f}s", flush=True)
long = [i for i, n in enumerate(lens) if n >= 200]
for e in exps:
    g, p = res[e]
    print(f"{e:<12} {macro(g,p):.4f} 200+ {macro([g[i] for i in long],[p[i] for i in long]):.4f}")
