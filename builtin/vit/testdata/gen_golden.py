#!/usr/bin/python3
"""Generate builtin/vit/testdata/golden.json with Debian's python3-torch 1.13:

    /usr/bin/python3 builtin/vit/testdata/gen_golden.py

Cases:
  - patch embedding: torch.nn.functional.conv2d with stride = kernel = patch,
    flattened to tokens [B, N, D] (out.flatten(2).transpose(1, 2), the timm /
    MAE PatchEmbed), its output and the gradients of loss = (out * gout).sum()
    with respect to the input, the weight [D, C, P, P] and the bias. The Go
    side is unfold + linear with the weight reshaped to [D, C*P*P].
  - 2-D sin-cos positions: MAE's get_2d_sincos_pos_embed (re-typed here from
    the paper's reference code, numpy, float64).
The reference runs in float64 on float32-drawn values and rounds once.
"""
import json, os
import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(14)
torch.set_num_threads(1)
B, C, H, W, P, D = 2, 2, 8, 12, 4, 6
x = torch.randn(B, C, H, W).double().requires_grad_()
w = (torch.randn(D, C, P, P) * 0.3).double().requires_grad_()
b = (torch.randn(D) * 0.1).double().requires_grad_()
out = F.conv2d(x, w, b, stride=P).flatten(2).transpose(1, 2)
gout = torch.randn(out.shape).double()
(out * gout).sum().backward()


def sincos_1d(dim, pos):
    omega = np.arange(dim // 2, dtype=np.float64) / (dim / 2.0)
    omega = 1.0 / 10000 ** omega
    out = np.einsum("m,d->md", pos.reshape(-1), omega)
    return np.concatenate([np.sin(out), np.cos(out)], axis=1)


def sincos_2d(dim, grid):
    gh = np.arange(grid, dtype=np.float64)
    gw = np.arange(grid, dtype=np.float64)
    g = np.meshgrid(gw, gh)  # w goes first, as in MAE
    g = np.stack(g, axis=0).reshape(2, 1, grid, grid)
    return np.concatenate([sincos_1d(dim // 2, g[0]), sincos_1d(dim // 2, g[1])], axis=1)


def t(a):
    a = a.detach().numpy() if torch.is_tensor(a) else a
    return {"shape": list(a.shape), "data": [float(np.float32(v)) for v in a.reshape(-1)]}


gold = {"attrs": {"B": B, "C": C, "H": H, "W": W, "P": P, "D": D, "grid": 3, "dim": 8},
        "tensors": {"x": t(x), "weight": t(w), "bias": t(b), "out": t(out), "gout": t(gout),
                    "grad.x": t(x.grad), "grad.weight": t(w.grad), "grad.bias": t(b.grad),
                    "sincos": t(sincos_2d(8, 3))}}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.json")
with open(path, "w") as f:
    json.dump(gold, f)
print("wrote", path)
