#!/usr/bin/env python3
"""Writes N rows for the mining benchmarks and the Spark check: texts drawn as gen_rows.py
draws them, with two kinds of rows put in at random places:

- template campaigns: a letter (an opening with a name, date, platform and amount, a passage of
  its own, stock sentences) filed 3 to 30 times with the fields, punctuation and sentence order
  changed, as benches/campaign_variants.py files its templates;
- agencies: rows (ads and complaints) that each give one or two of an agency's contacts, chained
  (phone, WeChat, QQ, link), so a row ties to another only through a third; and rows with a
  masked number or a regulator's hotline, which must tie nothing.

usage: gen_mining_rows.py N OUT.{csv,jsonl} [--seed S]
Columns: id (r0, r1, ...), text. Injected rows are about 7% of N.
"""
import argparse
import csv
import json
import os
import random
import string
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import campaign_variants  # noqa: E402
import gen_rows  # noqa: E402

ADS = [
    "专业停息挂账，协商分期，加V信：{0}，电话{1}。",
    "债务优化找我们，成功率高，咨询{0}或者{1}。",
    "有人让我加{0}办理延期还款，说联系{1}可以减免利息。",
    "反催收团队，代写投诉材料，{0}，{1}。",
]
ONE = [
    "专业处理网贷逾期，联系{0}。",
    "中介说找{0}就能停止催收。",
    "加我{0}，帮你全额退息。",
]
NOISE = [
    "客服电话138****0000一直打不通，我只好打了12378投诉。",
    "银保监会热线12378说会转给平台处理，来电号码189xxxx1234。",
    "拨打12315和95588都没有人处理我的问题。",
]


def contacts(rnd, n):
    """One agency's chain of contacts, each as it is written in a row."""
    phone = "1" + rnd.choice("3456789") + "".join(rnd.choices(string.digits, k=9))
    dashed = f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"
    wechat = rnd.choice(string.ascii_letters) + "".join(
        rnd.choices(string.ascii_lowercase + string.digits, k=rnd.randint(6, 12)))
    qq = str(rnd.randint(10**5, 10**10))
    url = f"http://www.{rnd.choice(['hk', 'zx', 'fw', 'yh'])}{n}{rnd.randint(10, 99)}.cn/go"
    return [rnd.choice([phone, dashed]), f"微信：{wechat}", f"QQ{qq}", url]


def templates(rnd, count, pool):
    rows = []
    for t in range(count):
        own = next(pool)
        sentences = [s + "。" for s in own.replace("。", "\n").split("\n") if s.strip()][:4]
        sentences += rnd.sample(campaign_variants.STOCK, 3)
        opening = rnd.choice(campaign_variants.OPENINGS)
        for _ in range(rnd.randint(3, 30)):
            rows.append(campaign_variants.variant(sentences, opening, rnd))
    return rows


def agencies(rnd, count):
    rows = []
    for a in range(count):
        chain = contacts(rnd, a)
        for _ in range(rnd.randint(3, 15)):
            i = rnd.randrange(len(chain))
            if i + 1 < len(chain) and rnd.random() < 0.6:
                rows.append(rnd.choice(ADS).format(chain[i], chain[i + 1]))
            else:
                rows.append(rnd.choice(ONE).format(chain[i]))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    # Own passages for the templates: long texts from another draw of the same pool.
    long_texts = (t for t in gen_rows.texts(10**9, seed=args.seed + 1) if len(t) >= 60)
    injected = templates(rnd, max(2, args.n // 500), long_texts)
    injected += agencies(rnd, max(2, args.n // 300))
    injected += [rnd.choice(NOISE) for _ in range(max(2, args.n // 200))]
    injected = injected[: args.n // 2]
    rnd.shuffle(injected)
    at = dict(zip(sorted(rnd.sample(range(args.n), len(injected))), injected))
    base = gen_rows.texts(args.n - len(injected))
    jsonl = args.out.endswith(".jsonl")
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        w = None if jsonl else csv.writer(f)
        if w:
            w.writerow(["id", "text"])
        for i in range(args.n):
            text = at[i] if i in at else next(base)
            if jsonl:
                f.write(json.dumps({"id": f"r{i}", "text": text}, ensure_ascii=False) + "\n")
            else:
                w.writerow([f"r{i}", text])


if __name__ == "__main__":
    main()
