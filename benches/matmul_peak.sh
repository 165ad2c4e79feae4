#!/usr/bin/env bash
# The machine's theoretical fp32 peak against the matrix products heihui runs on, in one run.
#   bash benches/matmul_peak.sh [BENCH_BINARY...]
# Peak = cores x FMA units per core x vector lanes x 2 flops x clock. Lanes come from
# /proc/cpuinfo's flags (16 with avx512f, 8 with avx2); FMA units per core are not in
# /proc/cpuinfo, so FMA_UNITS says them (default 2: two 512-bit FMA pipes, as current AMD Zen and
# Intel server cores have). The clock is calibrated: a chain of dependent integer adds (one a
# cycle) timed on the thread's own CPU clock, so other work on the machine does not count.
# Each BENCH_BINARY is a build of `cargo bench --bench model` (default: this tree's), run with
# the criterion filter `matmul`, in turn, ROUNDS times (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/clock.c" <<'C'
#include <stdio.h>
#include <time.h>
int main(void) {
    const long n = 2000000000L;
    struct timespec a, b;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    __asm__ volatile(
        "mov %0, %%rcx\n"
        "1:\n"
        "add $1, %%rax\nadd $1, %%rax\nadd $1, %%rax\nadd $1, %%rax\n"
        "add $1, %%rax\nadd $1, %%rax\nadd $1, %%rax\nadd $1, %%rax\n"
        "sub $8, %%rcx\n"
        "jnz 1b\n"
        :: "r"(n) : "rcx", "rax", "cc");
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    printf("%.3f\n", n / s / 1e9);
    return 0;
}
C
gcc -O1 -o "$work/clock" "$work/clock.c"
ghz=$("$work/clock")
cores=$(nproc)
if grep -qw avx512f /proc/cpuinfo; then lanes=16; elif grep -qw avx2 /proc/cpuinfo; then lanes=8; else lanes=4; fi
fma=${FMA_UNITS:-2}
peak=$(python3 -c "print(round($cores * $fma * $lanes * 2 * $ghz, 1))")
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $cores cores, /proc/cpuinfo MHz $(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "calibrated clock: $ghz GHz; lanes $lanes; FMA units per core $fma"
echo "theoretical fp32 peak: $peak GFLOP/s ($cores x $fma x $lanes x 2 x $ghz)"
if [ "$#" -eq 0 ]; then
  cargo bench --bench model --no-run --quiet 2> "$work/build.log"
  set -- "$(ls -t target/release/deps/model-* | grep -v '\.d$' | head -1)"
fi
for round in $(seq "${ROUNDS:-2}"); do
  for bin in "$@"; do
    "$bin" --bench matmul --warm-up-time 1 --measurement-time 5 2>/dev/null \
      | python3 -c "
import re, sys
text = sys.stdin.read()
for name, rate, unit in re.findall(r'(model/matmul/\S+).*?thrpt:\s+\[\S+ \S+ (\S+) (\S+)', text, re.S):
    g = float(rate) * {'Gelem/s': 1, 'Melem/s': 1e-3, 'Telem/s': 1e3}[unit]
    print(f'round $round $bin {name}: {g:.1f} GFLOP/s, {g / $peak:.3f} of peak')
"
  done
done
