#!/usr/bin/python3
"""Reads the raw output of bench/run_gemm.sh on stdin and prints a Markdown
table per thread count (and for the 1-thread CPU-time runs): our f32 GEMM against OpenBLAS's best kernel and our
bf16 GEMM against PyTorch's bf16 matmul, with ratios and % of the measured
one-core peak times the thread count."""
import re, statistics, sys

loads = []
blocks, cur, peaks = {}, None, {"ymm_fma": [], "zmm_fma": [], "zmm_dpbf16ps": []}
for line in sys.stdin:
    for k in peaks:
        m = re.search(k + r" ([\d.]+) GFLOP/s", line)
        if m:
            peaks[k].append(float(m.group(1)))
    m = re.match(r"# (\w+) threads=(\d+)", line)
    if m:
        ld = re.search(r"loadavg=\[?'?([\d.]+)", line)
        if ld:
            loads.append(float(ld.group(1)))
        name = m.group(1)
        ct = re.search(r"OPENBLAS_CORETYPE=(\w+)", line)
        if name == "numpy" and ct and ct.group(1) != "None":
            name = "numpy_" + ct.group(1)
        t = int(m.group(2))
        label = f"{t} thread{'s' if t > 1 else ''}"
        if re.search(r"cputime=(True|true)", line):
            label += ", CPU time"
        cur = blocks.setdefault((name, label), {})
        continue
    f = line.split()
    if cur is not None and len(f) >= 4 and all(x.isdigit() for x in f[:3]):
        cur[tuple(int(x) for x in f[:3])] = float(f[3])

def ratio(a, b):
    return a / b if b else float("nan")


peak = {k: statistics.median(v) for k, v in peaks.items() if v}
f32peak = max(peak.get("zmm_fma", 0), peak.get("ymm_fma", 0))
bfpeak = peak.get("zmm_dpbf16ps", 0)
print(f"one-core peak (median of fma_peak reps): f32 {f32peak:.1f} GFLOP/s, "
      f"bf16 VDPBF16PS {bfpeak:.1f} GFLOP/s")
if loads:
    print(f"1-minute load average during the blocks: {min(loads):.2f} to {max(loads):.2f} "
          f"(2 CPUs; above about 2, other processes were competing)")
for label in sorted({l for _, l in blocks}):
    t = int(label.split()[0])
    ours, oursbf = blocks.get(("go_f32", label), {}), blocks.get(("go_bf16", label), {})
    blas = [blocks[k] for k in blocks if k[1] == label and k[0].startswith("numpy")]
    torch, torchbf = blocks.get(("torch", label), {}), blocks.get(("torch_bf16", label), {})
    print(f"\n### {label} (median GFLOP/s)\n")
    print("| M×K×N | ours f32 | OpenBLAS best | ratio | torch f32 | ours % peak | ours bf16 | torch bf16 | ratio | ours bf16 % f32 peak |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for s in sorted(ours, key=lambda s: (s[0] * s[1] * s[2], s)):
        o = ours.get(s, float("nan"))
        b = max((x.get(s, 0) for x in blas), default=float("nan"))
        ob, tb = oursbf.get(s, float("nan")), torchbf.get(s, float("nan"))
        pk = f32peak * t if f32peak else float("nan")
        print(f"| {s[0]}×{s[1]}×{s[2]} | {o:.1f} | {b:.1f} | **{ratio(o, b):.2f}** | {torch.get(s, float('nan')):.1f} | "
              f"{100 * ratio(o, pk):.0f}% | {ob:.1f} | {tb:.1f} | **{ratio(ob, tb):.2f}** | {100 * ratio(ob, pk):.0f}% |")
