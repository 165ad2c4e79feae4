#!/usr/bin/env python3
"""Compares the Spark job's clues and campaigns with `heihui clues --json` and
`heihui campaigns --json` on the same file: the same contacts with the same row counts, label
counts, rows and group; the same groups and campaigns as sets of row ids (with their label
counts, contacts and examples). Prints each difference and exits 1 on any.

usage: compare.py HEIHUI_CLUES.jsonl HEIHUI_CAMPAIGNS.jsonl SPARK_DIR NAME
"""
import json
import os
import sys


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def clue_tables(path):
    items = lines(path)
    groups = {g["group"]: g for g in items if g["type"] == "group"}
    contacts = {}
    for c in (c for c in items if c["type"] == "contact"):
        group = groups[c["group"]]
        contacts[(c["kind"], c["value"])] = (
            c["rows"], c["labels"], frozenset(c["row_ids"]), frozenset(group["row_ids"]))
    by_rows = {}
    for g in groups.values():
        by_rows[frozenset(g["row_ids"])] = (
            g["labels"], frozenset((c["kind"], c["value"]) for c in g["contacts"]))
    return contacts, by_rows


def campaign_table(path):
    return {frozenset(c["row_ids"]): (c["labels"], c["example"]) for c in lines(path)}


def diff(what, ours, theirs, problems):
    for key in sorted(set(ours) | set(theirs), key=repr):
        a, b = ours.get(key), theirs.get(key)
        if a != b:
            problems.append(f"{what} {sorted(key) if isinstance(key, frozenset) else key}: "
                            f"heihui {a!r}, spark {b!r}")


def main():
    clues, campaigns, spark_dir, name = sys.argv[1:5]
    problems = []
    h_contacts, h_groups = clue_tables(clues)
    s_contacts, s_groups = clue_tables(os.path.join(spark_dir, "clues.jsonl"))
    diff("contact", h_contacts, s_contacts, problems)
    diff("group", h_groups, s_groups, problems)
    h_campaigns = campaign_table(campaigns)
    s_campaigns = campaign_table(os.path.join(spark_dir, "campaigns.jsonl"))
    diff("campaign", h_campaigns, s_campaigns, problems)
    for p in problems[:30]:
        print(f"{name}: {p}"[:600])
    if len(problems) > 30:
        print(f"{name}: ... {len(problems) - 30} more")
    sizes = sorted((len(k) for k in h_groups), reverse=True)[:5]
    print(f"{name}: {len(h_contacts)} contacts, {len(h_groups)} groups (largest {sizes}), "
          f"{len(h_campaigns)} campaigns: {len(problems)} differences")
    sys.exit(1 if problems or not h_contacts or not h_campaigns else 0)


if __name__ == "__main__":
    main()
