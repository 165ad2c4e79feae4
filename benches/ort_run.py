"""Labels every row of a CSV with a Python system, the whole job as one process: read the
file, tokenise, run the model in batches of 32 at most 128 tokens on 2 threads, write one
label per row to stdout.

    python benches/ort_run.py pytorch|ort-fp32|ort-int8 MODEL_DIR ROWS.csv
"""
import csv
import os
import sys

BATCH, MAX_LEN, THREADS = 32, 128, 2


def texts(path):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        column = "text" if "text" in reader.fieldnames else "投诉内容"
        return [r[column] for r in reader]


def main():
    system, model_dir, rows = sys.argv[1:4]
    from tokenizers import Tokenizer
    import numpy as np

    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.enable_truncation(MAX_LEN)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    if system == "pytorch":
        import torch
        from transformers import BertForSequenceClassification

        torch.set_num_threads(THREADS)
        model = BertForSequenceClassification.from_pretrained(model_dir).eval()

        def logits(ids, mask, types):
            with torch.no_grad():
                return model(
                    input_ids=torch.from_numpy(ids),
                    attention_mask=torch.from_numpy(mask),
                    token_type_ids=torch.from_numpy(types),
                ).logits.numpy()
    else:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = THREADS
        opts.inter_op_num_threads = 1
        name = "model.onnx" if system == "ort-fp32" else "model.int8.onnx"
        session = ort.InferenceSession(
            os.path.join(model_dir, name), opts, providers=["CPUExecutionProvider"]
        )

        def logits(ids, mask, types):
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            return session.run(["logits"], feed)[0]

    labels = ["normal", "malicious_complaint", "debt_optimization"]
    all_texts = texts(rows)
    out = sys.stdout
    for start in range(0, len(all_texts), BATCH):
        enc = tok.encode_batch(all_texts[start : start + BATCH])
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        types = np.array([e.type_ids for e in enc], dtype=np.int64)
        for row in logits(ids, mask, types).argmax(axis=1):
            out.write(labels[row] + "\n")
    out.flush()


if __name__ == "__main__":
    main()
