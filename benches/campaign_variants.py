#!/usr/bin/env python3
"""Writes template-complaint variants for choosing `heihui campaigns`' threshold.

Each template is a complaint letter: an opening with a name, a date, a platform and an amount,
two sentences of its own, and stock sentences that many complaints share ("严重违反监管规定",
"否则本人将向银保监会投诉"). Each template is filed several times with the name, numbers,
platform and punctuation changed, a clause added or a sentence moved. Other rows are single
complaints built from the same stock sentences and openings but their own sentences: they must
not merge with the templates or with each other.

usage: campaign_variants.py OUT.csv [--templates N] [--copies K] [--singles M] [--seed S]
Columns: id, truth (the template, or the row's own id), text.
"""
import argparse
import csv
import random

NAMES = ["张三", "李四", "王小明", "赵六", "陈静", "刘洋", "周杰", "吴敏", "郑丽", "孙强", "黄磊", "林芳"]
APPS = ["好借贷", "快易花", "闪电借", "随心贷", "安心借", "速融宝", "钱袋子", "秒到账", "易借款", "信用花"]
OPENINGS = [
    "本人{name}于{year}年{month}月在{app}借款{amount}元。",
    "我叫{name}，{year}年{month}月通过{app}申请了{amount}元贷款。",
    "{year}年{month}月，本人{name}在{app}平台借了{amount}元。",
    "我是{app}的用户{name}，{year}年借款{amount}元。",
]
STOCK = [
    "严重违反监管规定。",
    "否则本人将向银保监会、人民银行和12315投诉。",
    "要求全额退还利息和服务费。",
    "并在黑猫投诉平台曝光。",
    "请贵公司在三个工作日内给出答复。",
    "本人保留通过法律途径维权的权利。",
]
# Sentences of one complaint's own: each template and each single row takes its own two.
OWN = [
    "平台在放款时直接扣除了砍头息，实际到账金额远低于合同金额。",
    "催收人员每天打电话骚扰我的父母和同事，还发短信威胁要上门。",
    "平台未经本人同意擅自将逾期记录上报征信，导致我房贷被拒。",
    "借款时被强制捆绑购买了会员和保险，费用高达借款金额的三成。",
    "综合年化利率远超百分之二十四，明显属于高利贷。",
    "平台泄露了我的通讯录，催收人员给我所有联系人群发消息。",
    "客服诱导我反复借新还旧，债务越滚越多无法偿还。",
    "我已经还清了全部本金，平台仍以各种名目收取费用。",
    "提前还款时平台收取了高额违约金，合同中并没有约定。",
    "平台自动续期并扣款，我从未授权过代扣。",
    "还款日当天系统故障无法还款，平台却记我逾期并罚息。",
    "注销账户申请提交多次都没有处理，平台一直推脱。",
    "平台以审核为由收取了押金，之后既不放款也不退款。",
    "催收员冒充律师和法院工作人员恐吓我，说要起诉我诈骗。",
    "平台把我的照片做成通缉令发到了朋友圈和亲友群。",
    "我的借款被转给了第三方催收公司，对方要求多还一倍。",
    "平台承诺的免息期实际上照样计息，宣传存在虚假。",
    "我申请协商分期，平台拒绝后立刻爆了我的通讯录。",
    "银行卡被平台多扣了两期还款，至今没有退回。",
    "合同中的服务费条款字体极小，签约时没有任何提示。",
    "平台要求我提供亲属身份证照片才能继续借款。",
    "借款到期前一周就开始有人打电话催收，态度极其恶劣。",
    "平台单方面调高了我的利率，没有任何通知。",
    "我被拉入了一个催收群，群里每天有人辱骂我。",
]
EXTRA = ["请尽快处理。", "望早日解决。", "谢谢。", "此致敬礼。"]


def fill(opening, rnd):
    return opening.format(
        name=rnd.choice(NAMES), year=rnd.choice([2021, 2022, 2023, 2024]),
        month=rnd.randint(1, 12), app=rnd.choice(APPS), amount=rnd.choice([800, 3000, 5000, 12000, 20000, 36000]))


def variant(sentences, opening, rnd):
    """One filing of a template: other fields, then one or two edits."""
    body = list(sentences)
    edits = rnd.sample(["punctuation", "reorder", "extra", "none"], 2)
    if "reorder" in edits:
        i = rnd.randrange(len(body))
        body.insert(rnd.randrange(len(body)), body.pop(i))
    if "extra" in edits:
        body.append(rnd.choice(EXTRA))
    text = fill(opening, rnd) + "".join(body)
    if "punctuation" in edits:
        text = text.replace("，", ",").replace("。", "！", 2)
    return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--templates", type=int, default=8)
    ap.add_argument("--copies", type=int, default=6)
    ap.add_argument("--singles", type=int, default=40)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    own = list(OWN)
    rnd.shuffle(own)
    rows = []
    for t in range(args.templates):
        mine = [own.pop(), own.pop()] if len(own) >= 2 else rnd.sample(OWN, 2)
        sentences = mine + rnd.sample(STOCK, 3)
        opening = rnd.choice(OPENINGS)
        for k in range(args.copies):
            rows.append((f"T{t}-{k}", f"T{t}", variant(sentences, opening, rnd)))
    for s in range(args.singles):
        # Singles: their own sentence from the whole pool (may be a template's one) with other
        # stock sentences, so they share phrases with templates without being copies.
        sentences = [rnd.choice(OWN)] + rnd.sample(STOCK, 3)
        rnd.shuffle(sentences)
        rows.append((f"S{s}", f"S{s}", fill(rnd.choice(OPENINGS), rnd) + "".join(sentences)))
    rnd.shuffle(rows)
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "truth", "text"])
        w.writerows(rows)


if __name__ == "__main__":
    main()
