"""The obvious Python alternative to `heihui label`: pandas reads the file, jieba segments
each text (as a keyword pipeline would), and transformers' text-classification pipeline on CPU
labels it with the same model directory. Prints rows/s and writes the labels.

    python3 benches/label_python.py models/heihui-zh-small /tmp/rows.csv /tmp/python.csv
"""
import sys
import time

import jieba
import pandas as pd
import torch
from transformers import AutoModelForSequenceClassification, PreTrainedTokenizerFast, pipeline

model_dir, rows, out = sys.argv[1:4]
started = time.time()
tokenizer = PreTrainedTokenizerFast(
    tokenizer_file=f"{model_dir}/tokenizer.json",
    unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
)
model = AutoModelForSequenceClassification.from_pretrained(model_dir)
classify = pipeline("text-classification", model=model, tokenizer=tokenizer, device=-1)
df = pd.read_csv(rows)
texts = df["投诉内容"].fillna("").astype(str).tolist()
df["tokens"] = [len(jieba.lcut(t)) for t in texts]
with torch.inference_mode():
    results = classify(texts, batch_size=32, truncation=True, max_length=128)
df["label"] = [r["label"] for r in results]
df[["id", "label"]].to_csv(out, index=False)
seconds = time.time() - started
print(f"python: {len(df)} rows in {seconds:.1f} s, {len(df) / seconds:.1f} rows/s")
