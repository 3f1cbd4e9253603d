#!/usr/bin/python3
"""PyTorch 1.13 side of the parity check (bench/torchgpt/run.sh).

The model is shared/bench/torch_gpt.py's (pre-LN blocks, learned positions,
GELU (erf) MLP 4x, tied output head, attention as plain matmuls and a masked
softmax) with the module names of this project's safetensors files, so the
initial weights written by `torchgpt export` load one to one. The
safetensors header is parsed by hand (python3-safetensors is not packaged).

usage: parity.py DIR gpt|bert [STEPS]   -> DIR/torch_MODEL.txt, one loss a line
"""
import json, math, struct, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

B, T, V, D, L, H = 16, 128, 4096, 128, 4, 4


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        raw = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        a, b = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(raw[a:b], dtype="<f4").copy()).reshape(info["shape"])
    return out


class Attn(nn.Module):
    def __init__(self, d, h, causal):
        super().__init__()
        self.h, self.causal = h, causal
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.register_buffer("mask", torch.ones(T, T).triu(1).bool(), persistent=False)

    def forward(self, x):
        Bn, Tn, Dn = x.shape
        hd = Dn // self.h
        q, k, v = self.qkv(x).view(Bn, Tn, 3, self.h, hd).permute(2, 0, 3, 1, 4)
        s = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(hd))
        if self.causal:
            s = s.masked_fill(self.mask[:Tn, :Tn], float("-inf"))
        p = torch.softmax(s, dim=-1)
        return self.proj(torch.matmul(p, v).transpose(1, 2).reshape(Bn, Tn, Dn))


class MLP(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, d, h, causal):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn, self.mlp = Attn(d, h, causal), MLP(d)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class LM(nn.Module):
    def __init__(self, causal):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, D), nn.Embedding(T, D)
        self.blocks = nn.ModuleList(Block(D, H, causal) for _ in range(L))
        self.ln_f = nn.LayerNorm(D)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for b in self.blocks:
            x = b(x)
        return self.ln_f(x) @ self.wte.weight.t()


def ints(path):
    return torch.from_numpy(np.fromfile(path, dtype="<i4").astype(np.int64))


def main():
    d, which = sys.argv[1], sys.argv[2]
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    torch.set_num_threads(1)
    model = LM(causal=(which == "gpt"))
    sd = load_safetensors(f"{d}/{which}_init.safetensors")
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert not unexpected and not missing, (missing, unexpected)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
    if which == "gpt":
        rows = ints(f"{d}/gpt_rows.bin").view(-1, B, T + 1)
    else:
        xs = ints(f"{d}/bert_inputs.bin").view(-1, B, T)
        ys = ints(f"{d}/bert_labels.bin").view(-1, B, T)
    out = []
    for s in range(steps):
        if which == "gpt":
            x, y = rows[s, :, :T], rows[s, :, 1:]
        else:
            x, y = xs[s], ys[s]
        loss = F.cross_entropy(model(x).reshape(-1, V), y.reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        out.append(f"{loss.item():.6f}")
    with open(f"{d}/torch_{which}.txt", "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"torch {torch.__version__} {which}: loss {out[0]} -> {out[-1]} over {steps} steps")


if __name__ == "__main__":
    main()
