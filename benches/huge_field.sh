#!/usr/bin/env bash
# Peak memory of `heihui label` on a CSV with one huge quoted field, against a small file
# (the base: models and corpus loaded). Prints one line per file: its name, the field's
# size and the peak resident set size as /usr/bin/time -v reports it.
#
#   benches/huge_field.sh [path/to/heihui] [field MB]
#
# Needs GNU time (`apt-get install time`) and python3. The files are written to a temporary
# folder and removed afterwards.
set -euo pipefail
bin=${1:-target/release/heihui}
mb=${2:-50}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir" "$mb" <<'PY'
import random, sys
out, mb = sys.argv[1], int(sys.argv[2])
size = mb * 1000 * 1000
rows = ('1,你好，请问还款日是哪天,a\n', '3,停息挂账找我们，专业处理逾期,c\n', '4,hello there,d\n')
def write(name, field):
    with open(f'{out}/{name}.csv', 'w', encoding='utf-8') as f:
        f.write('id,text,note\n' + rows[0] + '2,"' + field + '",b\n' + rows[1] + rows[2])
rng = random.Random(7)
common = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
# 15 characters a clause: 14 drawn from 3,000 common ones, then a comma.
clauses = [''.join(rng.choices(common, k=14)) + '，' for _ in range(4096)]
write('cjk', ''.join(rng.choices(clauses, k=size // 45 + 1))[: size // 3])
phrases = '停息挂账协商还款逾期催收投诉银保监会我们专业处理，'
write('cjk-phrases', (phrases * (size // (3 * len(phrases)) + 1))[: size // 3])
ascii = 'please stop calling me about the loan, '
write('ascii', (ascii * (size // len(ascii) + 1))[:size])
with open(f'{out}/small.csv', 'w', encoding='utf-8') as f:
    f.write('id,text,note\n' + ''.join(rows))
PY
for name in small cjk cjk-phrases ascii; do
    file="$dir/$name.csv"
    bytes=$(stat -c %s "$file")
    rss=$(/usr/bin/time -v "$bin" label "$file" -o "$dir/$name.out.csv" 2>&1 >/dev/null \
        | awk '/Maximum resident set size/ {print $6}')
    rows=$(python3 -c "import csv,sys; csv.field_size_limit(1<<30); print(sum(1 for _ in csv.reader(open(sys.argv[1], encoding='utf-8-sig'))) - 1)" "$dir/$name.out.csv")
    printf '%-12s %6.1f MB file  peak RSS %7.1f MB  rows out %s\n' \
        "$name" "$(echo "$bytes / 1000000" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$rows"
done
