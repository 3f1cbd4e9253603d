#!/usr/bin/python3
"""torch_gpt.py's training loop timed in CPU time as well as wall time.

Imports the model and configs of shared/bench/torch_gpt.py unchanged and
runs its loop (same batches, AdamW lr 3e-4, f32), printing per-step medians
of tokens per wall second and tokens per CPU second (time.process_time:
every thread of the process, not counting time spent waiting for a core),
so that 1-thread runs on a busy shared machine can still be compared.

usage: torch_cpu.py SHARED_BENCH_DIR --config tiny|small --mode gpt|mlm --threads N [--steps S --warmup W]
"""
import argparse, statistics, sys, time

sys.path.insert(0, sys.argv.pop(1))
import torch
import torch.nn.functional as F
import torch_gpt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="tiny"); ap.add_argument("--mode", default="gpt")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20); ap.add_argument("--warmup", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    c = torch_gpt.CONFIGS[a.config]
    V, T, B = c["vocab"], c["ctx"], c["batch"]
    model = torch_gpt.LM(V, T, c["d"], c["layers"], c["heads"], causal=(a.mode == "gpt"))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
    MASK_ID = V - 1

    def batch():
        x = torch.randint(0, V - 1, (B, T))
        if a.mode == "gpt":
            return x, torch.roll(x, -1, dims=1)
        y = torch.full_like(x, -100)
        sel = torch.rand(B, T) < 0.15
        y[sel] = x[sel]
        r = torch.rand(B, T)
        x = x.clone()
        x[sel & (r < 0.8)] = MASK_ID
        rnd = sel & (r >= 0.8) & (r < 0.9)
        x[rnd] = torch.randint(0, V - 1, (int(rnd.sum()),))
        return x, y

    wall, cpu = [], []
    for step in range(a.warmup + a.steps):
        x, y = batch()
        c0, t0 = time.process_time(), time.perf_counter()
        loss = F.cross_entropy(model(x).view(-1, V), y.view(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        c1, t1 = time.process_time(), time.perf_counter()
        if step >= a.warmup:
            wall.append(B * T / (t1 - t0)); cpu.append(B * T / (c1 - c0))
    print(f"RESULT torch_cpu config={a.config} mode={a.mode} threads={a.threads} "
          f"tok_per_s_median={statistics.median(wall):.0f} tok_per_cpu_s={statistics.median(cpu):.0f} "
          f"loadavg={open('/proc/loadavg').read().split()[0]}", flush=True)


if __name__ == "__main__":
    main()
