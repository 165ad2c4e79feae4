#!/usr/bin/env bash
# examples/spark/heihui_spark.py in Spark's local mode, both routes, against `heihui clues
# --json` and `heihui campaigns --json` on the same generated file (benches/gen_mining_rows.py:
# gen_rows.py's texts with template campaigns and agencies' shared contacts put in). Exits
# non-zero on any difference, and when anything it needs cannot be installed.
#
#   bash tests/spark/run.sh            # 3,000 rows, 4 partitions
#   HEIHUI_SPARK_ROWS=20000 bash tests/spark/run.sh
#
# Installs: Java 17 from Debian when `java` is missing, pyspark from PyPI into a venv
# ($HEIHUI_SPARK_VENV, default $TMPDIR/heihui-spark/venv; kept for the next run).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
rows=${HEIHUI_SPARK_ROWS:-3000}
partitions=${HEIHUI_SPARK_PARTITIONS:-4}
work=${TMPDIR:-/tmp}/heihui-spark
venv=${HEIHUI_SPARK_VENV:-$work/venv}
mkdir -p "$work"

SECONDS=0
if ! command -v java >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi
if ! "$venv/bin/python" -c 'import pyspark' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'pyspark==4.3.0'
fi
"$venv/bin/python" -c 'import pyspark; print("spark: pyspark", pyspark.__version__)'
java -version 2>&1 | head -1
install=$SECONDS

SECONDS=0
cargo build --release --quiet --bin heihui
build=$SECONDS
SECONDS=0
bin="${CARGO_TARGET_DIR:-$root/target}/release/heihui"
bin=$(cd "$(dirname "$bin")" && pwd)/heihui
# A wrapper that notes each start, to check that each route runs heihui once per partition.
# Spark's pipe passes no environment: every path in it is absolute.
starts="$work/starts"
cat >"$work/heihui" <<EOF
#!/bin/sh
echo started >>"$starts"
exec "$bin" "\$@"
EOF
chmod +x "$work/heihui"

python3 benches/gen_mining_rows.py "$rows" "$work/rows.jsonl"
"$bin" clues "$work/rows.jsonl" --json -q >"$work/heihui-clues.jsonl"
"$bin" campaigns "$work/rows.jsonl" --json -q >"$work/heihui-campaigns.jsonl"

status=0
for route in rdd dataframe; do
  rm -f "$starts"
  "$venv/bin/python" examples/spark/heihui_spark.py "$work/rows.jsonl" "$work/$route" \
    --route "$route" --heihui "$work/heihui" --master "local[2]" \
    --partitions "$partitions" 2> >(grep -v -e WARN -e 'log4j' -e 'setLogLevel' \
      -e 'incubator' -e 'toJSON' -e 'warnings.warn' >&2) || status=1
  python3 tests/spark/compare.py "$work/heihui-clues.jsonl" "$work/heihui-campaigns.jsonl" \
    "$work/$route" "spark $route" || status=1
  ran=$(wc -l <"$starts" 2>/dev/null || echo 0)
  if [ "$ran" -ne "$partitions" ]; then
    echo "spark $route: heihui started $ran times for $partitions partitions"
    status=1
  fi
done
echo "spark: $rows rows; install ${install}s, build ${build}s, run ${SECONDS}s"
exit $status
