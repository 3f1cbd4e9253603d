#!/usr/bin/python3
"""Generate the PyTorch golden files used by the Go parity tests.

Run from anywhere with Debian's python3-torch 1.13:

    /usr/bin/python3 tools/torchgolden/gen.py

It rewrites every file under sdk/{tensor,nn,optim}/testdata/golden/. The Go
tests read only those committed files; this script is needed only to change
them. The output is deterministic: every case seeds torch.manual_seed with its
own seed and torch runs single-threaded.

Precision: inputs, weights, upstream gradients and optimizer gradients are
drawn in float32 (what the Go side holds). The reference is then computed in
float64 from those exact float32 values and each result is rounded once to
float32. This gives a reference that is closer to the exact answer than a
float32 torch run would be, so the Go float32 error is measured against the
truth rather than against torch's own rounding.

File format (one JSON object per case):

    {"case": "linear",
     "attrs": {"in": 5, "out": 4},
     "tensors": {"x": {"shape": [2, 3, 5], "data": [...]}, ...}}

Every value in "data" is a float32 printed in its shortest round-trip form
(Go's encoding/json parses it into a float32 exactly). A scalar has shape [].

Naming (shared with the Go tests):
  - inputs and parameters under their Go names ("x", "weight", "qkv.weight");
  - "gout": the random upstream gradient, same shape as "out";
  - "out": the forward result;
  - "grad.<name>": gradient of loss = (out * gout).sum() w.r.t. <name>;
  - optimizers: "w", "b" initial values, "grad.step{k}.w" the supplied
    gradient for step k, "w.step{k}" the parameter after step k (k = 1..5).
"""

import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MAX_BYTES = 60 * 1024

# Compute dtype. float64 writes the files; --check-float32 reruns every case in
# float32 and compares with the committed files instead of writing them.
DT = torch.float64
CHECK = None  # when set: dict collecting the worst scaled error per case
CHECK_TOL = 1e-5

torch.set_num_threads(1)


# ---------------------------------------------------------------- writing


def fmt(v):
    """Shortest text that reads back as the same float32, via any decoder."""
    f = np.float32(v)
    if not np.isfinite(f):
        raise ValueError("non-finite value %r in golden data" % (v,))
    s = str(f)
    # Guard against double rounding in decoders that parse to float64 first.
    if np.float32(float(s)) != f:
        s = repr(float(f))
    return s


def tensor_json(t):
    a = t.detach().cpu().double().numpy() if isinstance(t, torch.Tensor) else np.asarray(t, dtype=np.float64)
    shape = list(a.shape)
    data = ", ".join(fmt(v) for v in a.reshape(-1))
    return '{"shape": %s, "data": [%s]}' % (json.dumps(shape), data)


def check_case(path, case, tensors):
    """Compare freshly computed tensors with a committed file (scaled max error)."""
    with open(path) as f:
        want = json.load(f)["tensors"]
    worst, where = 0.0, ""
    for name, t in tensors.items():
        got = t.detach().double().numpy().reshape(-1) if isinstance(t, torch.Tensor) else np.asarray(t).reshape(-1)
        w = np.asarray(want[name]["data"], dtype=np.float32).astype(np.float64)
        scale = max(1.0, float(np.abs(w).max()) if w.size else 1.0)
        err = float(np.abs(got - w).max()) / scale if w.size else 0.0
        if err > worst:
            worst, where = err, name
    CHECK[case] = (worst, where)


def write_case(pkg, case, attrs, tensors):
    """Write sdk/<pkg>/testdata/golden/<case>.json (or compare in check mode)."""
    if CHECK is not None:
        check_case(os.path.join(ROOT, "sdk", pkg, "testdata", "golden", case + ".json"), case, tensors)
        return
    parts = ['{"case": %s,' % json.dumps(case), ' "attrs": %s,' % json.dumps(attrs, sort_keys=True), ' "tensors": {']
    names = list(tensors)
    for i, name in enumerate(names):
        sep = "," if i + 1 < len(names) else ""
        parts.append("  %s: %s%s" % (json.dumps(name), tensor_json(tensors[name]), sep))
    parts.append(" }}")
    text = "\n".join(parts) + "\n"
    json.loads(text)  # must be valid JSON
    if len(text) > MAX_BYTES:
        raise ValueError("%s: %d bytes exceeds %d" % (case, len(text), MAX_BYTES))
    d = os.path.join(ROOT, "sdk", pkg, "testdata", "golden")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, case + ".json")
    with open(path, "w") as f:
        f.write(text)
    print("wrote %s (%d bytes)" % (os.path.relpath(path, ROOT), len(text)))


# ---------------------------------------------------------------- helpers


def r32(t):
    """Round to float32, then widen to the compute dtype DT (exact)."""
    return t.detach().float().to(DT)


def f32randn(*shape, scale=1.0):
    """Random float32 values in the compute dtype."""
    return r32(torch.randn(tuple(shape), dtype=torch.float32) * scale)


def leaf(t):
    return r32(t).clone().requires_grad_(True)


def run_grad(fn, inputs, out_shape=None):
    """Run fn on leaves, back-propagate a random gout, return out, gout, grads.

    inputs is an ordered dict name -> tensor (rounded to float32 in place); names become the keys of
    the returned grads ("grad.<name>"). gout is drawn after inputs, in float32.
    """
    for k in inputs:
        inputs[k] = r32(inputs[k])  # what is stored is exactly what is computed on
    leaves = {k: leaf(v) for k, v in inputs.items()}
    out = fn(leaves)
    gout = f32randn(*out.shape)
    (out * gout).sum().backward()
    grads = {"grad." + k: v.grad for k, v in leaves.items()}
    return out, gout, grads


def emit(pkg, case, attrs, inputs, out, gout, grads, extra=None):
    tensors = dict(inputs)
    if extra:
        tensors.update(extra)
    tensors["gout"] = gout
    tensors["out"] = out
    tensors.update(grads)
    write_case(pkg, case, attrs, tensors)


def linear(x, w, b):
    return x @ w.t() + b


def layernorm(x, w, b, eps):
    return F.layer_norm(x, (x.shape[-1],), w, b, eps)


def rmsnorm(x, w, eps):
    # torch 1.13 has no RMSNorm: y = x / sqrt(mean(x^2) + eps) * weight.
    return x / torch.sqrt((x * x).mean(dim=-1, keepdim=True) + eps) * w


def mha(x, p, prefix, heads, causal, key_mask=None):
    """Hand-written multi-head attention matching the Go layer."""
    B, T, E = x.shape
    hd = E // heads
    qkv = linear(x, p[prefix + "qkv.weight"], p[prefix + "qkv.bias"])
    q, k, v = qkv.split(E, dim=-1)
    q = q.reshape(B, T, heads, hd).transpose(1, 2)
    k = k.reshape(B, T, heads, hd).transpose(1, 2)
    v = v.reshape(B, T, heads, hd).transpose(1, 2)
    scores = q @ k.transpose(-2, -1) / math.sqrt(hd)  # [B,H,T,T]
    if causal:
        m = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        scores = scores.masked_fill(m, float("-inf"))
    if key_mask is not None:
        pad = (key_mask == 0).view(B, 1, 1, T)
        scores = scores.masked_fill(pad, float("-inf"))
    att = torch.softmax(scores, dim=-1)
    y = (att @ v).transpose(1, 2).reshape(B, T, E)
    return linear(y, p[prefix + "proj.weight"], p[prefix + "proj.bias"])


def check_mha_against_torch(x, p, heads, causal, key_mask, out):
    """Cross-check the hand-written attention with torch's own MultiheadAttention."""
    B, T, E = x.shape
    m = torch.nn.MultiheadAttention(E, heads, bias=True, batch_first=True).to(x.dtype)
    with torch.no_grad():
        m.in_proj_weight.copy_(p["qkv.weight"])
        m.in_proj_bias.copy_(p["qkv.bias"])
        m.out_proj.weight.copy_(p["proj.weight"])
        m.out_proj.bias.copy_(p["proj.bias"])
        attn_mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1) if causal else None
        kpm = (key_mask == 0) if key_mask is not None else None
        ref, _ = m(x, x, x, attn_mask=attn_mask, key_padding_mask=kpm, need_weights=False)
    err = (ref - out.detach()).abs().max().item()
    assert err < (1e-12 if x.dtype == torch.float64 else 1e-5), err


def mha_params(E, prefix=""):
    s = 1.0 / math.sqrt(E)
    return {
        prefix + "qkv.weight": f32randn(3 * E, E, scale=s),
        prefix + "qkv.bias": f32randn(3 * E, scale=0.1),
        prefix + "proj.weight": f32randn(E, E, scale=s),
        prefix + "proj.bias": f32randn(E, scale=0.1),
    }


# ---------------------------------------------------------------- tensor cases


def case_gelu():
    torch.manual_seed(101)
    inputs = {"x": f32randn(3, 4, 7, scale=3.0)}
    out, gout, grads = run_grad(lambda p: F.gelu(p["x"]), inputs)
    emit("tensor", "gelu", {"approximate": 0}, inputs, out, gout, grads)


def case_gelu_tanh():
    torch.manual_seed(102)
    inputs = {"x": f32randn(3, 4, 7, scale=3.0)}
    out, gout, grads = run_grad(lambda p: F.gelu(p["x"], approximate="tanh"), inputs)
    emit("tensor", "gelu_tanh", {"approximate": 1}, inputs, out, gout, grads)


def stability_input(seed):
    torch.manual_seed(seed)
    x = f32randn(3, 4, 7, scale=2.0)
    # Large logits exercise the max-subtraction in (log-)softmax.
    x[0, 0, 2] = 30.0
    x[0, 1, 5] = -30.0
    x[1, 2, :] = 30.0  # a row of equal large values
    x[2, 3, 0] = 30.0
    x[2, 3, 6] = -30.0
    x[2, 1, 3] = 29.5
    return {"x": x}


def case_softmax():
    inputs = stability_input(103)
    out, gout, grads = run_grad(lambda p: torch.softmax(p["x"], dim=-1), inputs)
    emit("tensor", "softmax", {"dim": -1}, inputs, out, gout, grads)


def case_log_softmax():
    inputs = stability_input(104)
    out, gout, grads = run_grad(lambda p: torch.log_softmax(p["x"], dim=-1), inputs)
    emit("tensor", "log_softmax", {"dim": -1}, inputs, out, gout, grads)


def cross_entropy_case(name, seed, smoothing):
    torch.manual_seed(seed)
    logits = f32randn(6, 5, scale=2.0)
    targets = torch.randint(0, 5, (6,), dtype=torch.int64)
    targets[1] = -100
    targets[4] = -100
    inputs = {"logits": logits}
    out, gout, grads = run_grad(
        lambda p: F.cross_entropy(p["logits"], targets, ignore_index=-100, label_smoothing=smoothing, reduction="mean"),
        inputs,
    )
    attrs = {"ignore_index": -100, "label_smoothing": smoothing, "reduction_mean": 1}
    emit("tensor", name, attrs, inputs, out, gout, grads, extra={"targets": targets.double()})


def case_cross_entropy():
    cross_entropy_case("cross_entropy", 105, 0.1)


def case_cross_entropy_plain():
    cross_entropy_case("cross_entropy_plain", 106, 0.0)


# ---------------------------------------------------------------- nn cases


def case_linear():
    torch.manual_seed(201)
    inputs = {
        "x": f32randn(2, 3, 5),
        "weight": f32randn(4, 5, scale=1 / math.sqrt(5)),
        "bias": f32randn(4, scale=0.1),
    }
    out, gout, grads = run_grad(lambda p: linear(p["x"], p["weight"], p["bias"]), inputs)
    emit("nn", "linear", {"in": 5, "out": 4}, inputs, out, gout, grads)


def case_layernorm():
    torch.manual_seed(202)
    eps = 1e-5
    inputs = {
        "x": f32randn(2, 3, 8, scale=2.0) + 0.5,
        "weight": 1.0 + f32randn(8, scale=0.1),
        "bias": f32randn(8, scale=0.1),
    }
    out, gout, grads = run_grad(lambda p: layernorm(p["x"], p["weight"], p["bias"], eps), inputs)
    emit("nn", "layernorm", {"eps": eps, "dim": 8}, inputs, out, gout, grads)


def case_rmsnorm():
    torch.manual_seed(203)
    eps = 1e-6
    inputs = {
        "x": f32randn(2, 3, 8, scale=2.0),
        "weight": 1.0 + f32randn(8, scale=0.1),
    }
    out, gout, grads = run_grad(lambda p: rmsnorm(p["x"], p["weight"], eps), inputs)
    emit("nn", "rmsnorm", {"eps": eps, "dim": 8}, inputs, out, gout, grads)


def case_mha_causal():
    torch.manual_seed(204)
    E, H = 8, 2
    inputs = {"x": f32randn(2, 5, E)}
    inputs.update(mha_params(E))
    out, gout, grads = run_grad(lambda p: mha(p["x"], p, "", H, causal=True), inputs)
    check_mha_against_torch(inputs["x"], inputs, H, True, None, out)
    emit("nn", "mha_causal", {"embed": E, "heads": H, "causal": 1}, inputs, out, gout, grads)


def case_mha_padded():
    torch.manual_seed(205)
    E, H = 8, 2
    inputs = {"x": f32randn(2, 5, E)}
    inputs.update(mha_params(E))
    key_mask = torch.ones(2, 5, dtype=DT)
    key_mask[1, 3:] = 0.0  # second sequence: last two positions are padding
    out, gout, grads = run_grad(lambda p: mha(p["x"], p, "", H, causal=False, key_mask=key_mask), inputs)
    check_mha_against_torch(inputs["x"], inputs, H, False, key_mask, out)
    emit("nn", "mha_padded", {"embed": E, "heads": H, "causal": 0}, inputs, out, gout, grads,
         extra={"key_mask": key_mask})


def case_transformer_block():
    torch.manual_seed(206)
    E, H, eps = 8, 2, 1e-5
    s = 1.0 / math.sqrt(E)
    inputs = {"x": f32randn(2, 5, E)}
    inputs["ln1.weight"] = 1.0 + f32randn(E, scale=0.1)
    inputs["ln1.bias"] = f32randn(E, scale=0.1)
    inputs.update(mha_params(E, "attn."))
    inputs["ln2.weight"] = 1.0 + f32randn(E, scale=0.1)
    inputs["ln2.bias"] = f32randn(E, scale=0.1)
    inputs["mlp.fc1.weight"] = f32randn(4 * E, E, scale=s)
    inputs["mlp.fc1.bias"] = f32randn(4 * E, scale=0.1)
    inputs["mlp.fc2.weight"] = f32randn(E, 4 * E, scale=1.0 / math.sqrt(4 * E))
    inputs["mlp.fc2.bias"] = f32randn(E, scale=0.1)

    def block(p):
        x = p["x"]
        x = x + mha(layernorm(x, p["ln1.weight"], p["ln1.bias"], eps), p, "attn.", H, causal=True)
        h = layernorm(x, p["ln2.weight"], p["ln2.bias"], eps)
        h = linear(F.gelu(linear(h, p["mlp.fc1.weight"], p["mlp.fc1.bias"])), p["mlp.fc2.weight"], p["mlp.fc2.bias"])
        return x + h

    out, gout, grads = run_grad(block, inputs)
    emit("nn", "transformer_block", {"embed": E, "heads": H, "eps": eps, "mlp_ratio": 4, "causal": 1},
         inputs, out, gout, grads)


def case_lstm():
    torch.manual_seed(207)
    lstm = torch.nn.LSTM(input_size=4, hidden_size=6, num_layers=2, batch_first=True)  # float32 init
    lstm = lstm.to(DT)  # float32 values widened exactly
    x = f32randn(2, 5, 4)
    inputs = {"x": x}
    for name, p in lstm.named_parameters():
        inputs[name] = p.detach().clone()
    xl = leaf(x)
    h0 = torch.zeros(2, 2, 6, dtype=DT)
    out, _ = lstm(xl, (h0, h0.clone()))
    gout = f32randn(*out.shape)
    (out * gout).sum().backward()
    grads = {"grad.x": xl.grad}
    for name, p in lstm.named_parameters():
        grads["grad." + name] = p.grad
    emit("nn", "lstm", {"input_size": 4, "hidden_size": 6, "num_layers": 2, "batch_first": 1},
         inputs, out, gout, grads)


# ---------------------------------------------------------------- optim cases

STEPS = 5


def optim_case(name, seed, attrs, make_opt=None, manual_step=None):
    """Run STEPS steps on params w [3,4], b [4] with supplied random grads."""
    torch.manual_seed(seed)
    init = {"w": f32randn(3, 4), "b": f32randn(4)}
    grads = [{"w": f32randn(3, 4), "b": f32randn(4)} for _ in range(STEPS)]
    params = {k: v.clone().requires_grad_(True) for k, v in init.items()}
    tensors = {"w": init["w"], "b": init["b"]}
    opt = make_opt([params["w"], params["b"]]) if make_opt else None
    state = {}
    for k in range(1, STEPS + 1):
        g = grads[k - 1]
        if opt is not None:
            for n in ("w", "b"):
                params[n].grad = g[n].clone()
            opt.step()
        else:
            with torch.no_grad():
                for n in ("w", "b"):
                    manual_step(params[n], g[n], state.setdefault(n, {}), k)
        for n in ("w", "b"):
            tensors["grad.step%d.%s" % (k, n)] = g[n]
        for n in ("w", "b"):
            tensors["%s.step%d" % (n, k)] = params[n].detach().clone()
    attrs = dict(attrs, steps=STEPS)
    write_case("optim", name, attrs, tensors)


def case_sgd_momentum():
    a = {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.01, "nesterov": 0}
    optim_case("sgd_momentum", 301, a, lambda ps: torch.optim.SGD(
        ps, lr=a["lr"], momentum=a["momentum"], dampening=a["dampening"], weight_decay=a["weight_decay"]))


def case_sgd_nesterov():
    a = {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.01, "nesterov": 1}
    optim_case("sgd_nesterov", 302, a, lambda ps: torch.optim.SGD(
        ps, lr=a["lr"], momentum=a["momentum"], dampening=a["dampening"], weight_decay=a["weight_decay"],
        nesterov=True))


def case_adam():
    a = {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0}
    optim_case("adam", 303, a, lambda ps: torch.optim.Adam(
        ps, lr=a["lr"], betas=(a["beta1"], a["beta2"]), eps=a["eps"], weight_decay=a["weight_decay"]))


def case_adamw():
    a = {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.1}
    optim_case("adamw", 304, a, lambda ps: torch.optim.AdamW(
        ps, lr=a["lr"], betas=(a["beta1"], a["beta2"]), eps=a["eps"], weight_decay=a["weight_decay"]))


def case_adagrad():
    a = {"lr": 0.1, "lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10}
    optim_case("adagrad", 305, a, lambda ps: torch.optim.Adagrad(
        ps, lr=a["lr"], lr_decay=a["lr_decay"], weight_decay=a["weight_decay"],
        initial_accumulator_value=a["initial_accumulator_value"], eps=a["eps"]))


def case_lamb():
    # LAMB is not in torch 1.13; this is the per-tensor variant the Go side implements.
    a = {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-6, "weight_decay": 0.01}

    def step(w, g, st, t):
        if not st:
            st["m"] = torch.zeros_like(w)
            st["v"] = torch.zeros_like(w)
        st["m"].mul_(a["beta1"]).add_(g, alpha=1 - a["beta1"])
        st["v"].mul_(a["beta2"]).add_(g * g, alpha=1 - a["beta2"])
        mhat = st["m"] / (1 - a["beta1"] ** t)
        vhat = st["v"] / (1 - a["beta2"] ** t)
        u = mhat / (vhat.sqrt() + a["eps"]) + a["weight_decay"] * w
        wn, un = w.norm().item(), u.norm().item()
        r = wn / un if wn > 0 and un > 0 else 1.0
        w.sub_(a["lr"] * r * u)

    optim_case("lamb", 306, a, manual_step=step)


CASES = [
    case_gelu, case_gelu_tanh, case_softmax, case_log_softmax, case_cross_entropy, case_cross_entropy_plain,
    case_linear, case_layernorm, case_rmsnorm, case_mha_causal, case_mha_padded, case_transformer_block, case_lstm,
    case_sgd_momentum, case_sgd_nesterov, case_adam, case_adamw, case_adagrad, case_lamb,
]


def main():
    global DT, CHECK
    print("torch", torch.__version__, file=sys.stderr)
    if sys.argv[1:] == ["--check-float32"]:
        # Evidence that the tolerance is reachable: torch itself, in float32,
        # must land within CHECK_TOL (scaled) of the float64-derived files.
        DT, CHECK = torch.float32, {}
        for c in CASES:
            c()
        bad = 0
        for case, (err, name) in CHECK.items():
            ok = err <= CHECK_TOL
            bad += not ok
            print("%-22s max scaled err %.3g (%s) %s" % (case, err, name or "-", "ok" if ok else "FAIL"))
        sys.exit(1 if bad else 0)
    if sys.argv[1:]:
        sys.exit("usage: gen.py [--check-float32]")
    for c in CASES:
        c()


if __name__ == "__main__":
    main()
