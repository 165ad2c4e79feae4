"""Writes a randomly initialised BertForSequenceClassification with transformers, its
tokenizer.json (the shipped one, or for a larger vocabulary the shipped tokens padded with
filler tokens, so heihui and Python tokenise alike), and its ONNX exports: fp32 with dynamic
batch and sequence axes, and int8 by onnxruntime's dynamic quantisation (QInt8 weights).

    python benches/ort_models.py OUT_DIR LAYERS HIDDEN HEADS INTERMEDIATE VOCAB
"""
import json
import os
import sys

import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from tokenizers import Tokenizer
from transformers import BertConfig, BertForSequenceClassification

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SHIPPED = os.path.join(ROOT, "models", "heihui-zh-small")


def tokenizer(vocab_size):
    """The shipped tokenizer, its WordPiece vocabulary padded to VOCAB_SIZE tokens."""
    spec = json.loads(Tokenizer.from_file(os.path.join(SHIPPED, "tokenizer.json")).to_str())
    vocab = spec["model"]["vocab"]
    if len(vocab) > vocab_size:
        raise SystemExit(f"vocab {vocab_size} is smaller than the shipped {len(vocab)}")
    filler = 0
    while len(vocab) < vocab_size:
        token = f"[unused{filler}]"
        filler += 1
        if token not in vocab:
            vocab[token] = len(vocab)
    return Tokenizer.from_str(json.dumps(spec, ensure_ascii=False))


def main():
    out = sys.argv[1]
    layers, hidden, heads, intermediate, vocab = map(int, sys.argv[2:7])
    shipped = json.load(open(os.path.join(SHIPPED, "config.json"), encoding="utf-8"))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=vocab,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=intermediate,
        max_position_embeddings=shipped["max_position_embeddings"],
        id2label={int(k): v for k, v in shipped["id2label"].items()},
        label2id=shipped["label2id"],
    )
    model = BertForSequenceClassification(config).eval()
    model.save_pretrained(out, safe_serialization=True)
    tok = tokenizer(vocab)
    tok.save(os.path.join(out, "tokenizer.json"))
    ids = torch.ones((2, 16), dtype=torch.long)
    axes = {0: "batch", 1: "sequence"}
    fp32 = os.path.join(out, "model.onnx")
    torch.onnx.export(
        model,
        (ids, torch.ones_like(ids), torch.zeros_like(ids)),
        fp32,
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["logits"],
        dynamic_axes={n: axes for n in ("input_ids", "attention_mask", "token_type_ids")}
        | {"logits": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(fp32, os.path.join(out, "model.int8.onnx"), weight_type=QuantType.QInt8)
    params = sum(p.numel() for p in model.parameters())
    print(f"{out}: {layers} x {hidden}, {heads} heads, intermediate {intermediate}, "
          f"vocab {vocab}, {params} parameters")


if __name__ == "__main__":
    main()
