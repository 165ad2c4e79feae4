#!/usr/bin/env python3
"""Labels JSON lines with heihui on Spark and builds, with Spark's own joins and group-bys,
the clue table and the campaigns that `heihui clues` and `heihui campaigns` build on one
machine.

    spark-submit examples/spark/heihui_spark.py rows.jsonl out/ --heihui /abs/path/heihui
    python3 examples/spark/heihui_spark.py rows.jsonl out/ --heihui /abs/path/heihui \
        --route dataframe --master 'local[2]'

Each partition is piped through `heihui label - --format jsonl --mapper --quiet`: one JSON
line out per line in, exit 0 whatever the lines hold. PySpark's `pipe` starts the command
with an empty environment, so the binary (and --model/--corpus, if given) must be absolute
paths. Each labelled line carries `contacts`, `lsh` (MinHash band keys) and `minhash` (the
signature); the job then
- clues: one entry per contact (masked numbers and hotlines are never clues) with its rows and
  label counts, and linked groups: connected components of the rows that share a contact,
  found by repeated min-label propagation over joins (one hop per round);
- campaigns: for each band key the first row (input order) that has it, paired with every
  later row that has it, as `heihui campaigns` pairs them; a pair is kept when the two
  signatures agree in at least `--threshold` of their positions; clusters are the connected
  components of the kept pairs.

Writes OUT/clues.jsonl and OUT/campaigns.jsonl in heihui's `--json` shapes (contact and group
lines; campaign lines), numbered and ordered as heihui orders them. The band keys are made at
heihui's default threshold (0.55); `--threshold` changes only the verification.

Two routes, the same result:
- `--route rdd`: `sc.textFile` -> add each line's position -> `pipe` -> `json.loads`;
- `--route dataframe`: `spark.read.json` (schema given) -> `toJSON` -> `pipe` (cached, so
  heihui runs once) -> `spark.read.json` with the output schema given, not inferred.
"""
import argparse
import json
import os
import shlex
import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

LABELS = ["normal", "malicious_complaint", "debt_optimization"]
TRADE = LABELS[1:]
# heihui's ContactKind order, which its contact table sorts by after the counts.
KINDS = ["phone", "landline", "wechat", "qq", "url", "email", "masked", "hotline"]
NOT_CLUES = ["masked", "hotline"]
# The fields heihui takes a JSON line's id from, first found wins (src/cli/batch.rs).
ID_FIELDS = ["id", "row_id", "uuid", "编号", "序号", "投诉编号", "工单号", "单号", "no"]
EXAMPLE_CHARS = 200
ROW = "_row"

OUTPUT_SCHEMA = T.StructType([
    T.StructField("id", T.StringType()),
    T.StructField("text", T.StringType()),
    T.StructField(ROW, T.LongType()),
    T.StructField("label", T.StringType()),
    T.StructField("contacts", T.ArrayType(T.StructType([
        T.StructField("kind", T.StringType()),
        T.StructField("value", T.StringType()),
        T.StructField("start", T.LongType()),
        T.StructField("end", T.LongType()),
    ]))),
    T.StructField("lsh", T.ArrayType(T.StringType())),
    T.StructField("minhash", T.ArrayType(T.LongType())),
    T.StructField("error", T.StringType()),
])


def heihui_command(args):
    """The mapper command line, every path absolute (pipe passes no PATH)."""
    for name in ("heihui", "model", "corpus"):
        path = getattr(args, name)
        if path is not None and not os.path.isabs(path):
            sys.exit(f"heihui_spark: --{name} {path}: give an absolute path "
                     "(Spark's pipe starts the command with an empty environment)")
    cmd = [args.heihui, "label", "-", "--format", "jsonl", "--mapper", "--quiet"]
    if args.model:
        cmd += ["--model", args.model]
    if args.corpus:
        cmd += ["--corpus", args.corpus]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    return shlex.join(cmd)


# ---- the RDD route -------------------------------------------------------------------------

def with_position(pair):
    """A line with its position in the input as `_row`; a line that is not a JSON object
    goes to heihui as it is (heihui answers it with an error line, which is dropped)."""
    line, i = pair
    try:
        obj = json.loads(line)
    except ValueError:
        return line
    if not isinstance(obj, dict):
        return line
    obj[ROW] = i
    return json.dumps(obj, ensure_ascii=False)


def row_id(obj):
    """The id heihui gives the row: its first id field, else its line."""
    for name in ID_FIELDS:
        value = obj.get(name)
        if value is None:
            continue
        value = (value if isinstance(value, str) else json.dumps(value)).strip()
        if value:
            return value
        break
    return str(obj[ROW] + 1)


def field(obj, name):
    """heihui's own field: `heihui_<name>` where the input already had `name`."""
    return obj.get(f"heihui_{name}", obj.get(name))


def record(obj):
    clues = sorted({(c["kind"], c["value"]) for c in field(obj, "contacts") or []
                    if c["kind"] not in NOT_CLUES})
    return {
        "row": obj[ROW], "id": row_id(obj), "label": field(obj, "label"),
        "text": obj.get("text") or "", "clues": clues,
        "lsh": obj["lsh"], "minhash": obj["minhash"],
    }


def components_rdd(nodes, edges, partitions):
    """Connected components: each node ends labelled with the smallest node it reaches.
    Every round gives each node the smallest label among itself and its neighbours. The
    partition count is given at each shuffle: a union adds its sides' partitions, and left to
    itself the count would double every round."""
    both = edges.flatMap(lambda e: [e, (e[1], e[0])]).distinct(partitions).cache()
    labels = nodes.map(lambda v: (v, v)).cache()
    while True:
        proposed = both.join(labels, partitions).map(lambda x: (x[1][0], x[1][1]))
        new = labels.union(proposed).reduceByKey(min, partitions).cache()
        changed = new.join(labels).filter(lambda x: x[1][0] != x[1][1]).count()
        labels.unpersist()
        labels = new
        if changed == 0:
            return labels


def label_counts(labels):
    counts = {name: 0 for name in LABELS}
    for label in labels:
        counts[label] += 1
    return counts


def rdd_route(spark, args, command):
    sc = spark.sparkContext
    lines = sc.textFile(args.input, minPartitions=args.partitions)
    piped = lines.zipWithIndex().map(with_position).pipe(command, checkCode=True)
    # Error lines have no signature field; rows are keyed by their input position.
    rows = piped.map(json.loads).filter(lambda o: "minhash" in o and ROW in o).map(record)
    rows = rows.keyBy(lambda r: r["row"]).cache()
    info = rows.mapValues(lambda r: (r["id"], r["label"]))

    # Clues: (contact, row) pairs, one per distinct contact in a row.
    contact_rows = rows.flatMap(lambda kv: [(c, kv[0]) for c in kv[1]["clues"]]).cache()
    firsts = contact_rows.reduceByKey(min)
    edges = contact_rows.join(firsts).map(lambda x: (x[1][1], x[1][0])).filter(
        lambda e: e[0] != e[1])
    group_of = components_rdd(contact_rows.values().distinct(), edges, args.partitions)
    contacts = (contact_rows.map(lambda x: (x[1], x[0])).join(info).join(group_of)
                .map(lambda x: (x[1][0][0], (x[0], x[1][0][1], x[1][1])))
                .groupByKey()
                .map(lambda kv: contact_entry(kv[0], kv[1])))
    groups = (group_of.join(info).map(lambda x: (x[1][0], (x[0],) + x[1][1])).groupByKey()
              .join(contact_rows.map(lambda x: (x[1], x[0])).join(group_of)
                    .map(lambda x: (x[1][1], x[1][0])).distinct().groupByKey())
              .map(lambda kv: group_entry(kv[0], kv[1][0], kv[1][1])))

    # Campaigns: band key -> rows; the first row holding a key is paired with the others.
    signed = rows.filter(lambda kv: kv[1]["minhash"])
    band = signed.flatMap(lambda kv: [(key, kv[0]) for key in kv[1]["lsh"]]).cache()
    holders = band.reduceByKey(min)
    pairs = band.join(holders).map(lambda x: (x[1][1], x[1][0])).filter(
        lambda p: p[0] != p[1]).distinct()
    signature = signed.mapValues(lambda r: r["minhash"])
    threshold = args.threshold
    kept = (pairs.join(signature).map(lambda x: (x[1][0], (x[0], x[1][1])))
            .join(signature)
            .filter(lambda x: similarity(x[1][0][1], x[1][1]) >= threshold)
            .map(lambda x: (x[1][0][0], x[0]))).cache()
    cluster_of = components_rdd(kept.flatMap(lambda p: p).distinct(), kept, args.partitions)
    # heihui's example: the text of the cluster's first row that joined a pair as the later one.
    later = kept.map(lambda p: (p[1], True)).distinct()
    texts = rows.mapValues(lambda r: r["text"])
    campaigns = (cluster_of.join(info).leftOuterJoin(later).join(texts)
                 .map(lambda x: (x[1][0][0][0],
                                 (x[0],) + x[1][0][0][1] + (bool(x[1][0][1]), x[1][1])))
                 .groupByKey()
                 .map(lambda kv: campaign_entry(kv[1])))
    return contacts.collect(), groups.collect(), campaigns.collect()


def similarity(a, b):
    """heihui's estimate: the share of positions where the two signatures agree."""
    return sum(1 for x, y in zip(a, b) if x == y) / max(len(a), 1)


def contact_entry(contact, members):
    members = sorted(members)  # (row, (id, label), group)
    return {
        "kind": contact[0], "value": contact[1], "rows": len(members),
        "labels": label_counts(m[1][1] for m in members), "group_key": members[0][2],
        "row_ids": [m[1][0] for m in members], "first": members[0][0],
    }


def group_entry(key, members, contacts):
    members = sorted(members)  # (row, id, label)
    return {
        "group_key": key, "rows": len(members), "labels": label_counts(m[2] for m in members),
        "contacts": [{"kind": k, "value": v} for k, v in
                     sorted(contacts, key=lambda c: (KINDS.index(c[0]), c[1]))],
        "row_ids": [m[1] for m in members], "first": members[0][0],
    }


def campaign_entry(members):
    members = sorted(members)  # (row, id, label, joined a pair as the later row, text)
    example = next((m[4] for m in members if m[3]), "")
    return {
        "size": len(members), "labels": label_counts(m[2] for m in members),
        "row_ids": [m[1] for m in members], "example": example[:EXAMPLE_CHARS],
        "first": members[0][0],
    }


# ---- the DataFrame route -------------------------------------------------------------------

def components_df(nodes, edges):
    """As components_rdd, with DataFrame joins; each round is checkpointed locally so the
    plan does not grow with the rounds."""
    both = edges.union(edges.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
    both = both.distinct().cache()
    labels = nodes.select(F.col("v"), F.col("v").alias("comp")).localCheckpoint()
    while True:
        proposed = both.join(labels, both.src == labels.v).select(both.dst.alias("v"), "comp")
        new = labels.union(proposed).groupBy("v").agg(F.min("comp").alias("comp"))
        new = new.localCheckpoint()
        changed = (new.join(labels.withColumnRenamed("comp", "old"), "v")
                   .where(F.col("comp") != F.col("old")).count())
        labels = new
        if changed == 0:
            return labels


def counts_df(col="label"):
    return [F.sum(F.when(F.col(col) == name, 1).otherwise(0)).alias(name) for name in LABELS]


def dataframe_route(spark, args, command):
    schema = T.StructType([T.StructField("id", T.StringType()),
                           T.StructField("text", T.StringType())])
    # Input order: the file's splits are read in order, so these numbers rise with the line
    # (they are not line numbers: rows without an id get one only where there is one split).
    rows_in = (spark.read.schema(schema).json(args.input)
               .withColumn(ROW, F.monotonically_increasing_id())
               .repartition(args.partitions))
    # Cached: every table below reads the labelled rows, and heihui should run once.
    piped = rows_in.toJSON().pipe(command, checkCode=True).cache()
    out = spark.read.schema(OUTPUT_SCHEMA).json(piped)
    rows = (out.where(F.col("minhash").isNotNull() & F.col(ROW).isNotNull())
            .withColumn("id", F.when(F.trim("id") != "", F.trim("id"))
                        .otherwise((F.col(ROW) + 1).cast("string")))
            .cache())

    clue_rows = (rows.select(ROW, "id", "label", F.explode("contacts").alias("c"))
                 .where(~F.col("c.kind").isin(NOT_CLUES))
                 .select(ROW, "id", "label", F.col("c.kind").alias("kind"),
                         F.col("c.value").alias("value"))
                 .distinct().cache())
    firsts = clue_rows.groupBy("kind", "value").agg(F.min(ROW).alias("first"))
    edges = (clue_rows.join(firsts, ["kind", "value"]).where(F.col(ROW) != F.col("first"))
             .select(F.col("first").alias("src"), F.col(ROW).alias("dst")))
    group_of = components_df(clue_rows.select(F.col(ROW).alias("v")).distinct(), edges)
    group_of = group_of.select(F.col("v").alias(ROW), F.col("comp").alias("group_key"))
    with_group = clue_rows.join(group_of, ROW)
    contacts = (with_group.groupBy("kind", "value")
                .agg(F.count("*").alias("rows"), *counts_df(),
                     F.first("group_key").alias("group_key"),
                     F.sort_array(F.collect_list(F.struct(ROW, "id"))).alias("members")))
    group_rows = (rows.select(ROW, "id", "label").join(group_of, ROW).groupBy("group_key")
                  .agg(F.count("*").alias("rows"), *counts_df(),
                       F.sort_array(F.collect_list(F.struct(ROW, "id"))).alias("members")))
    group_contacts = (with_group.select("group_key", "kind", "value").distinct()
                      .groupBy("group_key")
                      .agg(F.collect_list(F.struct("kind", "value")).alias("contacts")))
    groups = group_rows.join(group_contacts, "group_key")

    signed = rows.where(F.size("minhash") > 0)
    band = signed.select(ROW, F.explode("lsh").alias("key")).cache()
    holders = band.groupBy("key").agg(F.min(ROW).alias("holder"))
    pairs = (band.join(holders, "key").where(F.col(ROW) != F.col("holder"))
             .select("holder", F.col(ROW).alias("later")).distinct())
    sig = signed.select(ROW, "minhash")
    a, b = sig.alias("a"), sig.alias("b")
    kept = (pairs.join(a, F.col("holder") == F.col(f"a.{ROW}"))
            .join(b, F.col("later") == F.col(f"b.{ROW}"))
            .withColumn("similarity", F.expr(
                "aggregate(zip_with(a.minhash, b.minhash, (x, y) -> if(x = y, 1, 0)), 0,"
                " (acc, s) -> acc + s) / greatest(size(a.minhash), 1)"))
            .where(F.col("similarity") >= args.threshold)
            .select(F.col("holder").alias("src"), F.col("later").alias("dst"))
            .localCheckpoint())
    nodes = kept.select(F.col("src").alias("v")).union(kept.select(F.col("dst").alias("v")))
    cluster_of = components_df(nodes.distinct(), kept)
    later = kept.select(F.col("dst").alias(ROW)).distinct().withColumn("later", F.lit(True))
    campaigns = (cluster_of.select(F.col("v").alias(ROW), F.col("comp").alias("cluster"))
                 .join(rows.select(ROW, "id", "label", "text"), ROW)
                 .join(later, ROW, "left")
                 .groupBy("cluster")
                 .agg(F.count("*").alias("size"), *counts_df(),
                      F.sort_array(F.collect_list(F.struct(ROW, "id"))).alias("members"),
                      F.min(F.when(F.col("later"), F.struct(ROW, "text"))).alias("ex")))

    def labels_of(r):
        return {name: r[name] for name in LABELS}

    contact_list = [{
        "kind": r["kind"], "value": r["value"], "rows": r["rows"], "labels": labels_of(r),
        "group_key": r["group_key"], "row_ids": [m["id"] for m in r["members"]],
        "first": r["members"][0][ROW]} for r in contacts.toLocalIterator()]
    group_list = [{
        "group_key": r["group_key"], "rows": r["rows"], "labels": labels_of(r),
        "contacts": [{"kind": c["kind"], "value": c["value"]} for c in
                     sorted(r["contacts"], key=lambda c: (KINDS.index(c["kind"]), c["value"]))],
        "row_ids": [m["id"] for m in r["members"]], "first": r["members"][0][ROW]}
        for r in groups.toLocalIterator()]
    campaign_list = [{
        "size": r["size"], "labels": labels_of(r), "row_ids": [m["id"] for m in r["members"]],
        "example": (r["ex"]["text"] or "")[:EXAMPLE_CHARS] if r["ex"] else "",
        "first": r["members"][0][ROW]} for r in campaigns.toLocalIterator()]
    return contact_list, group_list, campaign_list


# ---- writing, in heihui's order ------------------------------------------------------------

def trade(labels):
    return sum(labels[name] for name in TRADE)


def write(out_dir, contacts, groups, campaigns):
    """heihui's orders: groups by trade rows, rows, first row; contacts by trade rows, rows,
    kind, value; campaigns by size, first row. Groups and campaigns numbered from 1."""
    os.makedirs(out_dir, exist_ok=True)
    groups.sort(key=lambda g: (-trade(g["labels"]), -g["rows"], g["first"]))
    number = {g["group_key"]: n for n, g in enumerate(groups, 1)}
    contacts.sort(key=lambda c: (-trade(c["labels"]), -c["rows"], KINDS.index(c["kind"]),
                                 c["value"]))
    with open(os.path.join(out_dir, "clues.jsonl"), "w", encoding="utf-8") as f:
        for c in contacts:
            line = {"type": "contact", "kind": c["kind"], "value": c["value"],
                    "rows": c["rows"], "labels": c["labels"], "group": number[c["group_key"]],
                    "row_ids": c["row_ids"]}
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
        for g in groups:
            line = {"type": "group", "group": number[g["group_key"]], "rows": g["rows"],
                    "contacts": g["contacts"], "labels": g["labels"], "row_ids": g["row_ids"]}
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    campaigns.sort(key=lambda c: (-c["size"], c["first"]))
    with open(os.path.join(out_dir, "campaigns.jsonl"), "w", encoding="utf-8") as f:
        for n, c in enumerate(campaigns, 1):
            line = {"campaign": n, "size": c["size"], "labels": c["labels"],
                    "row_ids": c["row_ids"], "example": c["example"]}
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", help="JSON lines with an id and a text field")
    ap.add_argument("out", help="folder for clues.jsonl and campaigns.jsonl")
    ap.add_argument("--heihui", required=True, help="absolute path of the heihui binary")
    ap.add_argument("--model", help="absolute path of a model directory")
    ap.add_argument("--corpus", help="absolute path of a corpus directory")
    ap.add_argument("--threads", type=int, help="heihui's --threads in each mapper")
    ap.add_argument("--route", choices=["rdd", "dataframe"], default="rdd")
    ap.add_argument("--threshold", type=float, default=0.55)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--master", default=None, help="e.g. local[2]; default: spark-submit's")
    args = ap.parse_args()
    command = heihui_command(args)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (SparkSession.builder.appName("heihui")
               .config("spark.sql.shuffle.partitions", str(args.partitions))
               .config("spark.default.parallelism", str(args.partitions))
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false"))
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    route = rdd_route if args.route == "rdd" else dataframe_route
    contacts, groups, campaigns = route(spark, args, command)
    write(args.out, contacts, groups, campaigns)
    print(f"heihui_spark ({args.route}): {len(contacts)} contacts, {len(groups)} linked groups, "
          f"{len(campaigns)} campaigns", file=sys.stderr)
    spark.stop()


if __name__ == "__main__":
    main()
