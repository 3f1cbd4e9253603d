#!/usr/bin/python3
"""Generate the PyTorch golden files of builtin/finetune's parity tests.

    /usr/bin/python3 tools/torchgolden_ft/gen.py

Writes builtin/finetune/testdata/golden/{classify_head,llrd,lora}.json in the
format of tools/torchgolden (see its README): {"case", "attrs", "tensors"},
float32 values in shortest round-trip form. Inputs are drawn in float32, the
reference is computed in float64 from those values and rounded once. The Go
tests need only the committed files.

Cases:
  classify_head  the "classify" head over fixed states h [2, 4, 6] with a
                 padding mask, mean pooling, no dropout: logits, the
                 cross-entropy loss, and its gradients w.r.t. h, out.weight
                 and out.bias.
  llrd           layer-wise LR decay: AdamW (betas 0.9/0.999, eps 1e-8, weight
                 decay 0.01 except biases/LayerNorms) on a 2-block GPT's
                 parameters plus a 3-label head, group LRs lr * decay**depth
                 (head and top block + ln_f: depth 0; block 0: 1; embeddings:
                 2 with decay 0.5 and lr 0.01), 3 steps of supplied gradients.
  lora           a Linear(5 -> 4) with a rank-2 adapter (alpha 4, scale 2):
                 y = x W0^T + b + 2 x A^T B^T; 3 AdamW steps (lr 0.01, no weight
                 decay) on A and B of loss = sum(y * gout); A and B after every
                 step, and the merged weight W0 + 2 B A.
"""

import json
import os

import numpy as np
import torch

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "builtin", "finetune", "testdata", "golden")
DT = torch.float64
torch.set_num_threads(1)


def fmt(v):
    f = np.float32(v)
    s = str(f)
    if np.float32(float(s)) != f:
        s = repr(float(f))
    return s


def tensor_json(t):
    a = t.detach().double().numpy()
    return '{"shape": %s, "data": [%s]}' % (json.dumps(list(a.shape)), ", ".join(fmt(v) for v in a.reshape(-1)))


def write_case(case, attrs, tensors):
    parts = ['{"case": %s,' % json.dumps(case), ' "attrs": %s,' % json.dumps(attrs, sort_keys=True), ' "tensors": {']
    names = list(tensors)
    for i, n in enumerate(names):
        parts.append("  %s: %s%s" % (json.dumps(n), tensor_json(tensors[n]), "," if i + 1 < len(names) else ""))
    parts.append(" }}")
    text = "\n".join(parts) + "\n"
    json.loads(text)
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, case + ".json")
    with open(path, "w") as f:
        f.write(text)
    print("wrote %s (%d bytes)" % (os.path.relpath(path, ROOT), len(text)))


def rand(*shape, scale=1.0):
    """float32 draw, widened to the compute dtype."""
    return (torch.randn(*shape, dtype=torch.float32) * scale).to(DT)


def classify_head():
    torch.manual_seed(1)
    B, T, D, K = 2, 4, 6, 3
    h = rand(B, T, D).requires_grad_()
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]], dtype=DT)
    w = rand(K, D, scale=0.5).requires_grad_()
    b = rand(K, scale=0.1).requires_grad_()
    labels = torch.tensor([2, 0])
    pooled = (h * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
    logits = pooled @ w.T + b
    loss = torch.nn.functional.cross_entropy(logits, labels)
    loss.backward()
    write_case("classify_head", {"labels0": 2, "labels1": 0},
               {"h": h, "mask": mask, "out.weight": w, "out.bias": b, "logits": logits, "loss": loss,
                "grad.h": h.grad, "grad.out.weight": w.grad, "grad.out.bias": b.grad})


GPT_PARAMS = [("wte.weight", [8, 4]), ("wpe.weight", [4, 4])]
for blk in range(2):
    p = "blocks.%d." % blk
    GPT_PARAMS += [(p + "ln1.weight", [4]), (p + "ln1.bias", [4]), (p + "attn.qkv.weight", [12, 4]),
                   (p + "attn.qkv.bias", [12]), (p + "attn.proj.weight", [4, 4]), (p + "attn.proj.bias", [4]),
                   (p + "ln2.weight", [4]), (p + "ln2.bias", [4]), (p + "mlp.fc1.weight", [16, 4]),
                   (p + "mlp.fc1.bias", [16]), (p + "mlp.fc2.weight", [4, 16]), (p + "mlp.fc2.bias", [4])]
GPT_PARAMS += [("ln_f.weight", [4]), ("ln_f.bias", [4])]
HEAD_PARAMS = [("out.weight", [3, 4]), ("out.bias", [3])]


def no_decay(name, shape):
    if len(shape) < 2:
        return True
    return any(s.startswith("bias") or s.startswith("ln") or "norm" in s for s in name.lower().split("."))


def depth(name):
    if name.startswith("blocks.0."):
        return 1
    if name.startswith("blocks.1.") or name.startswith("ln_f."):
        return 0
    return 2  # embeddings


def llrd():
    torch.manual_seed(2)
    lr, decay, head_lr, wd, steps = 0.01, 0.5, 0.02, 0.01, 3
    params = {}
    for n, s in GPT_PARAMS + HEAD_PARAMS:
        params[n] = torch.nn.Parameter(rand(*s, scale=0.3))
    tensors = {n: p.detach().clone() for n, p in params.items()}
    groups = []
    for n, s in GPT_PARAMS:
        groups.append({"params": [params[n]], "lr": lr * decay ** depth(n), "weight_decay": 0.0 if no_decay(n, s) else wd})
    for n, s in HEAD_PARAMS:
        groups.append({"params": [params[n]], "lr": head_lr, "weight_decay": 0.0 if no_decay(n, s) else wd})
    opt = torch.optim.AdamW(groups, betas=(0.9, 0.999), eps=1e-8)
    for k in range(1, steps + 1):
        for n, p in params.items():
            g = rand(*p.shape)
            tensors["grad.step%d.%s" % (k, n)] = g
            p.grad = g.clone()
        opt.step()
        for n, p in params.items():
            tensors["%s.step%d" % (n, k)] = p.detach().clone()
    write_case("llrd", {"lr": lr, "decay": decay, "head_lr": head_lr, "wd": wd, "steps": steps}, tensors)


def lora():
    torch.manual_seed(3)
    n_in, n_out, r, alpha, lr, steps = 5, 4, 2, 4.0, 0.01, 3
    scale = alpha / r
    x = rand(3, n_in)
    w0 = rand(n_out, n_in, scale=0.4)
    bias = rand(n_out, scale=0.1)
    a = torch.nn.Parameter(rand(r, n_in, scale=0.4))
    b = torch.nn.Parameter(rand(n_out, r, scale=0.4))
    gout = rand(3, n_out)
    tensors = {"x": x, "weight": w0, "bias": bias, "lora_A": a.detach().clone(), "lora_B": b.detach().clone(), "gout": gout}
    opt = torch.optim.AdamW([a, b], lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    for k in range(1, steps + 1):
        opt.zero_grad()
        y = x @ (w0 + scale * b @ a).T + bias
        tensors["out.step%d" % k] = y.detach().clone()
        (y * gout).sum().backward()
        opt.step()
        tensors["lora_A.step%d" % k] = a.detach().clone()
        tensors["lora_B.step%d" % k] = b.detach().clone()
    tensors["merged"] = (w0 + scale * b @ a).detach()
    write_case("lora", {"in": n_in, "out": n_out, "rank": r, "alpha": alpha, "lr": lr, "steps": steps}, tensors)


if __name__ == "__main__":
    classify_head()
    llrd()
    lora()
