#!/usr/bin/env python3
"""Paper estimate of data-parallel scaling (docs/scaleout.md).

For a model of N parameters (L layers, width D, context T) trained with a
fixed batch of `tokens` per machine and step (weak scaling), on p machines
each sustaining F FLOP/s, linked by a network of B bytes/s:

  compute per step   Tc = tokens * (6N + 12*L*D*T) / F
  ring all-reduce    Ta = k * 2(p-1)*alpha + 2(p-1)/p * 4N / B
                     (k buckets, alpha the per-message latency)
  step, overlapped   Ts = Tc/3 + max(2Tc/3, Ta - Ta/k) + Ta/k
                     (backward is 2/3 of Tc and the buckets are reduced while
                     it runs, except the last, which holds the first layers'
                     gradients and can only start when backward ends)
  efficiency         Tc / Ts

Run: python3 bench/dist/estimate.py
"""

MODELS = {
    # name: (params, layers, width, context, tokens per machine-step)
    "gpt-small": (6_901_760, 6, 256, 256, 16 * 256),
    "GPT-2-124M": (124_439_808, 12, 768, 1024, 8 * 1024),
}
# Sustained training FLOP/s per machine: 50 GFLOP/s per core, i.e. about
# 43% of a Zen4/Sapphire-Rapids core's f32 FMA peak (~117 GFLOP/s).
MACHINES = [
    ("2 vCPU", 0.1e12),
    ("16 cores", 0.8e12),
    ("64 cores", 3.2e12),
]
# Strong scaling: a fixed global batch (tokens per step) split over p.
GLOBAL = {"gpt-small": 64 * 256, "GPT-2-124M": 512 * 1024}
NETS = [("10 Gb/s", 10e9 / 8 * 0.9), ("100 Gb/s", 100e9 / 8 * 0.9)]  # 90% of line rate
ALPHA = 30e-6  # seconds per message hop (TCP)
BUCKET = 25 << 20
FIRST = 1 << 20


def buckets(n):
    b = 4 * n
    return 1 + max(0, -(-(b - FIRST) // BUCKET)) if b > FIRST else 1


def main():
    for name, (n, layers, d, t, tok) in MODELS.items():
        table(name, n, layers, d, t, lambda p: tok,
              f"weak scaling, {tok} tokens per machine and step")
        g = GLOBAL[name]
        table(name, n, layers, d, t, lambda p: g / p,
              f"strong scaling, global batch {g} tokens per step split over the machines")


def table(name, n, layers, d, t, tokens, what):
    if True:
        flops = 6 * n + 12 * layers * d * t
        k = buckets(n)
        print(f"\n### {name}, {what}\n\nN = {n/1e6:.1f} M, {flops/1e6:.1f} MFLOP/token, "
              f"{4*n/1e6:.1f} MB of gradients in {k} buckets\n")
        head = "| machines | network | " + " | ".join(
            f"{m}: compute / all-reduce / efficiency" for m, _ in MACHINES) + " |"
        print(head)
        print("| ---: | --- |" + " ---: |" * len(MACHINES))
        for p in (8, 16, 32, 64):
            for net, bw in NETS:
                cells = []
                for _, f in MACHINES:
                    tc = tokens(p) * flops / f
                    ta = k * 2 * (p - 1) * ALPHA + 2 * (p - 1) / p * 4 * n / bw
                    ts = tc / 3 + max(2 * tc / 3, ta - ta / k) + ta / k
                    mark = " **comm-bound**" if ta - ta / k > 2 * tc / 3 else ""
                    cells.append(f"{fmt(tc)} / {fmt(ta)} / {100*tc/ts:.0f}%{mark}")
                print(f"| {p} | {net} | " + " | ".join(cells) + " |")


def fmt(s):
    return f"{s*1e3:.0f} ms" if s < 1 else f"{s:.1f} s"


if __name__ == "__main__":
    main()
