#!/usr/bin/python3
"""The MAE training step of builtin/mae's Default shape in PyTorch 1.13
(Debian python3-torch), f32, for bench/vision/run.sh.

    /usr/bin/python3 bench/vision/mae_torch.py THREADS STEPS

Same model as the Go side: ViT encoder on 28x28x1 images, 7x7 patches
(16 tokens), width 96, 4 pre-LN blocks of 4 heads, MLP 192, GELU (erf), fixed
2-D sin-cos positions; 75% masking (4 visible patches); decoder: linear to
64, mask token, 2 blocks of width 64 (4 heads, MLP 256), LayerNorm, linear
to 49 pixels; per-patch-normalised MSE on the masked patches; AdamW. Batch
256. Prints images/s (median of 5 timed windows after warm-up).
"""
import sys, time, math
import torch
import torch.nn as nn
import torch.nn.functional as F

threads, steps = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(0)
B, P, G, D, L, H, MLP, DD, DL, DH = 256, 7, 4, 96, 4, 4, 192, 64, 2, 4
N, PD, NV = G * G, P * P, 4


class Block(nn.Module):
    def __init__(self, d, h, hidden):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc1, self.fc2 = nn.Linear(d, hidden), nn.Linear(hidden, d)
        self.h = h

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.h, d // self.h).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(q, k, v) if hasattr(F, "scaled_dot_product_attention") else \
            torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // self.h), -1) @ v
        x = x + self.proj(a.transpose(1, 2).reshape(b, t, d))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


def sincos(dim):
    out = torch.zeros(N, dim)
    q = dim // 4
    for y in range(G):
        for x in range(G):
            for k in range(q):
                w = 1 / 10000 ** (k / q)
                out[y * G + x, [k, q + k, 2 * q + k, 3 * q + k]] = torch.tensor(
                    [math.sin(x * w), math.cos(x * w), math.sin(y * w), math.cos(y * w)])
    return out


class MAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(PD, D)
        self.blocks = nn.ModuleList([Block(D, H, MLP) for _ in range(L)])
        self.norm = nn.LayerNorm(D)
        self.dec_embed = nn.Linear(D, DD)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, DD))
        self.dec_blocks = nn.ModuleList([Block(DD, DH, 4 * DD) for _ in range(DL)])
        self.dec_norm = nn.LayerNorm(DD)
        self.pred = nn.Linear(DD, PD)
        self.register_buffer("pos", sincos(D))
        self.register_buffer("dpos", sincos(DD))

    def forward(self, imgs):
        p = imgs.view(B, 1, G, P, G, P).permute(0, 2, 4, 1, 3, 5).reshape(B, N, PD)
        order = torch.argsort(torch.rand(B, N), dim=1)
        vis, msk = order[:, :NV], order[:, NV:]
        xv = torch.gather(p, 1, vis[..., None].expand(-1, -1, PD))
        tgt = torch.gather(p, 1, msk[..., None].expand(-1, -1, PD))
        tgt = (tgt - tgt.mean(-1, keepdim=True)) / (tgt.var(-1, keepdim=True) + 1e-6) ** 0.5
        x = self.proj(xv) + self.pos[vis]
        for b in self.blocks:
            x = b(x)
        d = self.dec_embed(self.norm(x))
        d = torch.cat([d, self.mask_token.expand(B, N - NV, DD)], 1) + self.dpos[order]
        for b in self.dec_blocks:
            d = b(d)
        pred = self.pred(self.dec_norm(d)[:, NV:])
        return ((pred - tgt) ** 2).mean()


m = MAE()
opt = torch.optim.AdamW(m.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.05)
imgs = torch.rand(B, 1, 28, 28) * 2 - 1


def step():
    opt.zero_grad(set_to_none=True)
    m(imgs).backward()
    opt.step()


for _ in range(3):
    step()
rates = []
for w in range(5):
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    rates.append(steps * B / (time.perf_counter() - t0))
rates.sort()
print(f"torch {torch.__version__} threads={threads} images/s {rates[2]:.0f}")
