#!/usr/bin/python3
"""Golden Hugging Face directories and reference outputs for builtin/hf.

Run with Debian's python3-torch 1.13 (transformers is not packaged there):

    /usr/bin/python3 builtin/hf/testdata/gen_golden.py            # rewrite testdata
    /usr/bin/python3 builtin/hf/testdata/gen_golden.py check DIR INPUTS [DIR INPUTS...]
        # load each DIR as from_pretrained would, run it on INPUTS, print JSON

The modules below re-implement, with the same parameter names and therefore the
same state_dict keys, what transformers' modeling_gpt2.py (GPT2Model,
GPT2LMHeadModel) and modeling_bert.py (BertModel, BertForMaskedLM,
BertForSequenceClassification) compute in evaluation mode: Conv1D layers with
[in, out] weights, the tied lm_head, gelu_new, post-LN BERT layers, the
embedding LayerNorm, token-type embeddings, the pooler and the MLM transform
with its decoder bias. `load_pretrained` follows from_pretrained's key rules:
the base-model prefix ("transformer." / "bert.") is added or stripped as
needed, tied keys are not reported missing, and the class's
keys_to_ignore_on_load_unexpected patterns and the model's own (non-persistent)
buffers are dropped from "unexpected".

Written under builtin/hf/testdata/ (all small):
  gpt2/          GPT2LMHeadModel, 2 layers, gelu_new, F32 model.safetensors,
                 config.json, vocab.json + merges.txt
  gpt2-sharded/  the same weights saved in two shards (F16 and BF16) with a
                 model.safetensors.index.json and the old-style causal-mask
                 buffers h.N.attn.bias that loaders ignore
  bert-mlm/      BertForMaskedLM, 2 layers, post-LN, token types, F32, with the
                 I64 bert.embeddings.position_ids buffer of older saves,
                 vocab.txt + tokenizer_config.json
  bert-cls/      BertForSequenceClassification (pooler + classifier, 3 labels)
  expected/*.safetensors  inputs and outputs, computed in float64 from the
                 float32 (or rounded f16/bf16) weights

Every weight is drawn from a normal distribution wide enough (and every
LayerNorm gain and bias perturbed) that a wrong name, a missed transpose or the
wrong GELU shows up far above the tolerance of the Go tests.
"""

import json
import math
import os
import re
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
torch.set_num_threads(1)

# ----------------------------------------------------------------- safetensors

DT_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
            torch.int64: "I64", torch.float64: "F64", torch.bool: "BOOL", torch.uint8: "U8"}
DT_TORCH = {v: k for k, v in DT_NAMES.items()}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, tensors, metadata=None):
    """Write tensors in the safetensors layout (little-endian, 8-byte header length)."""
    header, blobs, off = {}, [], 0
    # Larger elements first, then by name, as the reference writer orders them.
    order = sorted(tensors, key=lambda k: (-tensors[k].element_size(), k))
    for k in order:
        b = tensor_bytes(tensors[k])
        header[k] = {"dtype": DT_NAMES[tensors[k].dtype], "shape": list(tensors[k].shape),
                     "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for k, e in header.items():
        if k == "__metadata__":
            continue
        b, end = e["data_offsets"]
        raw = bytearray(data[base + b:base + end])
        dt = DT_TORCH[e["dtype"]]
        if dt == torch.bfloat16:
            t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16) if raw else torch.empty(0, dtype=dt)
        else:
            t = torch.frombuffer(raw, dtype=dt) if raw else torch.empty(0, dtype=dt)
        out[k] = t.reshape(e["shape"]).clone()
    return out


def read_dir_tensors(d):
    """model.safetensors, or the shards listed in model.safetensors.index.json."""
    idx = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(idx):
        with open(idx) as f:
            wm = json.load(f)["weight_map"]
        out = {}
        for shard in sorted(set(wm.values())):
            out.update(read_safetensors(os.path.join(d, shard)))
        return out
    return read_safetensors(os.path.join(d, "model.safetensors"))

# ----------------------------------------------------------------- activations (transformers' ACT2FN)


class NewGELUActivation(nn.Module):
    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class GELUActivation(nn.Module):
    def forward(self, x):
        return F.gelu(x)


ACT2FN = {"gelu_new": NewGELUActivation, "gelu": GELUActivation, "relu": nn.ReLU,
          "gelu_pytorch_tanh": NewGELUActivation, "silu": nn.SiLU, "swish": nn.SiLU}

# ----------------------------------------------------------------- GPT-2 (modeling_gpt2.py)


class Conv1D(nn.Module):
    """A Linear layer whose weight is [in, out] (GPT-2's layout)."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class GPT2Attention(nn.Module):
    def __init__(self, cfg, layer_idx):
        super().__init__()
        n = cfg["n_positions"]
        # Non-persistent buffers: not in the state_dict of current transformers.
        self.register_buffer("bias", torch.tril(torch.ones((n, n), dtype=torch.bool)).view(1, 1, n, n), persistent=False)
        self.register_buffer("masked_bias", torch.tensor(-1e4), persistent=False)
        self.embed_dim = cfg["n_embd"]
        self.num_heads = cfg["n_head"]
        self.head_dim = self.embed_dim // self.num_heads
        self.split_size = self.embed_dim
        self.scale_attn_weights = cfg.get("scale_attn_weights", True)
        self.scale_attn_by_inverse_layer_idx = cfg.get("scale_attn_by_inverse_layer_idx", False)
        self.layer_idx = layer_idx
        self.c_attn = Conv1D(3 * self.embed_dim, self.embed_dim)
        self.c_proj = Conv1D(self.embed_dim, self.embed_dim)
        self.attn_dropout = nn.Dropout(cfg.get("attn_pdrop", 0.1))
        self.resid_dropout = nn.Dropout(cfg.get("resid_pdrop", 0.1))

    def _attn(self, query, key, value, attention_mask=None):
        attn_weights = torch.matmul(query, key.transpose(-1, -2))
        if self.scale_attn_weights:
            attn_weights = attn_weights / torch.full([], value.size(-1) ** 0.5, dtype=attn_weights.dtype)
        if self.scale_attn_by_inverse_layer_idx:
            attn_weights = attn_weights / float(self.layer_idx + 1)
        ql, kl = query.size(-2), key.size(-2)
        causal_mask = self.bias[:, :, kl - ql:kl, :kl]
        mask_value = torch.full([], torch.finfo(attn_weights.dtype).min, dtype=attn_weights.dtype)
        attn_weights = torch.where(causal_mask, attn_weights, mask_value)
        if attention_mask is not None:
            attn_weights = attn_weights + attention_mask
        attn_weights = nn.functional.softmax(attn_weights, dim=-1)
        attn_weights = self.attn_dropout(attn_weights)
        return torch.matmul(attn_weights, value)

    def _split_heads(self, t):
        return t.view(t.size()[:-1] + (self.num_heads, self.head_dim)).permute(0, 2, 1, 3)

    def _merge_heads(self, t):
        t = t.permute(0, 2, 1, 3).contiguous()
        return t.view(t.size()[:-2] + (self.num_heads * self.head_dim,))

    def forward(self, h, attention_mask=None):
        q, k, v = self.c_attn(h).split(self.split_size, dim=2)
        a = self._attn(self._split_heads(q), self._split_heads(k), self._split_heads(v), attention_mask)
        return self.resid_dropout(self.c_proj(self._merge_heads(a)))


class GPT2MLP(nn.Module):
    def __init__(self, inner, cfg):
        super().__init__()
        e = cfg["n_embd"]
        self.c_fc = Conv1D(inner, e)
        self.c_proj = Conv1D(e, inner)
        self.act = ACT2FN[cfg.get("activation_function", "gelu_new")]()
        self.dropout = nn.Dropout(cfg.get("resid_pdrop", 0.1))

    def forward(self, h):
        return self.dropout(self.c_proj(self.act(self.c_fc(h))))


class GPT2Block(nn.Module):
    def __init__(self, cfg, layer_idx):
        super().__init__()
        e = cfg["n_embd"]
        inner = cfg.get("n_inner") or 4 * e
        eps = cfg.get("layer_norm_epsilon", 1e-5)
        self.ln_1 = nn.LayerNorm(e, eps=eps)
        self.attn = GPT2Attention(cfg, layer_idx)
        self.ln_2 = nn.LayerNorm(e, eps=eps)
        self.mlp = GPT2MLP(inner, cfg)

    def forward(self, h, attention_mask=None):
        h = self.attn(self.ln_1(h), attention_mask) + h
        return h + self.mlp(self.ln_2(h))


class GPT2Model(nn.Module):
    base_model_prefix = "transformer"
    tied = {}
    ignore_unexpected = []

    def __init__(self, cfg):
        super().__init__()
        e = cfg["n_embd"]
        self.wte = nn.Embedding(cfg["vocab_size"], e)
        self.wpe = nn.Embedding(cfg["n_positions"], e)
        self.drop = nn.Dropout(cfg.get("embd_pdrop", 0.1))
        self.h = nn.ModuleList([GPT2Block(cfg, i) for i in range(cfg["n_layer"])])
        self.ln_f = nn.LayerNorm(e, eps=cfg.get("layer_norm_epsilon", 1e-5))

    def forward(self, input_ids, attention_mask=None):
        pos = torch.arange(input_ids.size(-1)).unsqueeze(0)
        h = self.drop(self.wte(input_ids) + self.wpe(pos))
        ext = None
        if attention_mask is not None:
            ext = (1.0 - attention_mask[:, None, None, :].to(h.dtype)) * torch.finfo(h.dtype).min
        for blk in self.h:
            h = blk(h, ext)
        return self.ln_f(h)


class GPT2LMHeadModel(nn.Module):
    base_model_prefix = "transformer"
    tied = {"lm_head.weight": "transformer.wte.weight"}
    ignore_unexpected = []

    def __init__(self, cfg):
        super().__init__()
        self.transformer = GPT2Model(cfg)
        self.lm_head = nn.Linear(cfg["n_embd"], cfg["vocab_size"], bias=False)
        if cfg.get("tie_word_embeddings", True):
            self.lm_head.weight = self.transformer.wte.weight
        else:
            self.tied = {}

    def forward(self, input_ids, attention_mask=None):
        h = self.transformer(input_ids, attention_mask)
        return {"hidden": h, "logits": self.lm_head(h)}

# ----------------------------------------------------------------- BERT (modeling_bert.py)


class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], h, padding_idx=c.get("pad_token_id", 0))
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], h)
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], h)
        self.LayerNorm = nn.LayerNorm(h, eps=c.get("layer_norm_eps", 1e-12))
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.1))
        self.register_buffer("position_ids", torch.arange(c["max_position_embeddings"]).expand((1, -1)), persistent=False)

    def forward(self, input_ids, token_type_ids=None):
        n = input_ids.size(1)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        e = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        e = e + self.position_embeddings(self.position_ids[:, :n])
        return self.dropout(self.LayerNorm(e))


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.num_attention_heads = c["num_attention_heads"]
        self.attention_head_size = h // self.num_attention_heads
        self.all_head_size = h
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(h, h)
        self.value = nn.Linear(h, h)
        self.dropout = nn.Dropout(c.get("attention_probs_dropout_prob", 0.1))

    def split(self, x):
        return x.view(x.size()[:-1] + (self.num_attention_heads, self.attention_head_size)).permute(0, 2, 1, 3)

    def forward(self, h, mask):
        q, k, v = self.split(self.query(h)), self.split(self.key(h)), self.split(self.value(h))
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.attention_head_size)
        if mask is not None:
            s = s + mask
        p = self.dropout(nn.functional.softmax(s, dim=-1))
        o = torch.matmul(p, v).permute(0, 2, 1, 3).contiguous()
        return o.view(o.size()[:-2] + (self.all_head_size,))


class BertSelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c.get("layer_norm_eps", 1e-12))
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.1))

    def forward(self, h, x):
        return self.LayerNorm(self.dropout(self.dense(h)) + x)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertSelfOutput(c)

    def forward(self, h, mask):
        return self.output(self.self(h, mask), h)


class BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])
        self.intermediate_act_fn = ACT2FN[c.get("hidden_act", "gelu")]()

    def forward(self, h):
        return self.intermediate_act_fn(self.dense(h))


class BertOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["intermediate_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c.get("layer_norm_eps", 1e-12))
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.1))

    def forward(self, h, x):
        return self.LayerNorm(self.dropout(self.dense(h)) + x)


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertOutput(c)

    def forward(self, h, mask):
        a = self.attention(h, mask)
        return self.output(self.intermediate(a), a)


class BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, h, mask):
        for l in self.layer:
            h = l(h, mask)
        return h


class BertPooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.activation = nn.Tanh()

    def forward(self, h):
        return self.activation(self.dense(h[:, 0]))


class BertModel(nn.Module):
    base_model_prefix = "bert"
    tied = {}
    ignore_unexpected = []

    def __init__(self, c, add_pooling_layer=True):
        super().__init__()
        self.embeddings = BertEmbeddings(c)
        self.encoder = BertEncoder(c)
        self.pooler = BertPooler(c) if add_pooling_layer else None

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        x = self.embeddings(input_ids, token_type_ids)
        ext = None
        if attention_mask is not None:
            ext = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        h = self.encoder(x, ext)
        out = {"hidden": h}
        if self.pooler is not None:
            out["pooled"] = self.pooler(h)
        return out


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.transform_act_fn = ACT2FN[c.get("hidden_act", "gelu")]()
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c.get("layer_norm_eps", 1e-12))

    def forward(self, h):
        return self.LayerNorm(self.transform_act_fn(self.dense(h)))


class BertLMPredictionHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = BertPredictionHeadTransform(c)
        self.decoder = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))
        self.decoder.bias = self.bias

    def forward(self, h):
        return self.decoder(self.transform(h))


class BertOnlyMLMHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = BertLMPredictionHead(c)

    def forward(self, h):
        return self.predictions(h)


class BertForMaskedLM(nn.Module):
    base_model_prefix = "bert"
    tied = {"cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
            "cls.predictions.decoder.bias": "cls.predictions.bias"}
    ignore_unexpected = [r"pooler"]

    def __init__(self, c):
        super().__init__()
        self.bert = BertModel(c, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(c)
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        out = self.bert(input_ids, attention_mask, token_type_ids)
        out["logits"] = self.cls(out["hidden"])
        return out


class BertForSequenceClassification(nn.Module):
    base_model_prefix = "bert"
    tied = {}
    ignore_unexpected = []

    def __init__(self, c):
        super().__init__()
        self.bert = BertModel(c)
        self.dropout = nn.Dropout(c.get("classifier_dropout") or c.get("hidden_dropout_prob", 0.1))
        n = c.get("num_labels") or len(c.get("id2label") or {}) or 2
        self.classifier = nn.Linear(c["hidden_size"], n)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        out = self.bert(input_ids, attention_mask, token_type_ids)
        out["logits"] = self.classifier(self.dropout(out["pooled"]))
        return out


CLASSES = {c.__name__: c for c in (GPT2Model, GPT2LMHeadModel, BertModel, BertForMaskedLM, BertForSequenceClassification)}
MODEL_TYPES = {"GPT2Model": "gpt2", "GPT2LMHeadModel": "gpt2", "BertModel": "bert",
               "BertForMaskedLM": "bert", "BertForSequenceClassification": "bert"}

# ----------------------------------------------------------------- from_pretrained's key rules


def load_pretrained(d):
    """Build the config's architecture and load DIR's weights as from_pretrained does.

    Returns (model, report) where report holds "missing" and "unexpected" keys
    computed with from_pretrained's rules, and "notes" for skipped buffers.
    """
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    arch = cfg["architectures"][0]
    if MODEL_TYPES.get(arch) != cfg.get("model_type"):
        raise SystemExit("%s: architecture %s does not go with model_type %r" % (d, arch, cfg.get("model_type")))
    cls = CLASSES[arch]
    model = cls(cfg)
    model.eval()
    loaded = read_dir_tensors(d)
    expected = list(model.state_dict().keys())
    prefix = cls.base_model_prefix + "."
    has_prefix = any(k.startswith(prefix) for k in loaded)
    expects_prefix = any(k.startswith(prefix) for k in expected)
    if expects_prefix and not has_prefix:  # a base-model checkpoint into a model with a head
        loaded = {prefix + k: v for k, v in loaded.items()}
    elif has_prefix and not expects_prefix:  # a head checkpoint into a base model
        loaded = {k[len(prefix):]: v for k, v in loaded.items() if k.startswith(prefix)}
    tied = getattr(model, "tied", cls.tied)
    missing = [k for k in expected if k not in loaded and not (k in tied and tied[k] in loaded)]
    buffers = {n for n, _ in model.named_buffers()}  # non-persistent buffers of older saves
    unexpected = [k for k in loaded if k not in expected and k not in buffers
                  and not any(re.search(p, k) for p in cls.ignore_unexpected)]
    sd = model.state_dict()
    mismatched = [k for k in expected if k in loaded and tuple(loaded[k].shape) != tuple(sd[k].shape)]
    with torch.no_grad():
        for k in expected:
            if k in loaded and k not in mismatched:
                sd[k].copy_(loaded[k].to(torch.float32))
    return model, {"missing": missing, "unexpected": unexpected, "mismatched": mismatched, "architecture": arch}


def run_model(model, inputs, dtype=torch.float64):
    model = model.to(dtype)
    with torch.no_grad():
        kw = {}
        if "attention_mask" in inputs:
            kw["attention_mask"] = inputs["attention_mask"]
        if "token_type_ids" in inputs and not isinstance(model, (GPT2Model, GPT2LMHeadModel)):
            kw["token_type_ids"] = inputs["token_type_ids"]
        out = model(inputs["input_ids"], **kw)
    if isinstance(out, torch.Tensor):
        out = {"hidden": out}
    return out


def check(pairs):
    """Print, as a JSON list, the from_pretrained report of each DIR and its
    outputs for the ids in the INPUTS file given after it."""
    reps = []
    for d, inputs_path in zip(pairs[0::2], pairs[1::2]):
        model, rep = load_pretrained(d)
        ins = read_safetensors(inputs_path)
        inputs = {k: v.to(torch.int64) for k, v in ins.items() if not k.startswith("out.")}
        out = run_model(model, inputs)
        rep["outputs"] = {k: {"shape": list(v.shape), "data": [float(x) for x in v.to(torch.float32).flatten().tolist()]}
                          for k, v in out.items()}
        reps.append(rep)
    print(json.dumps(reps))

# ----------------------------------------------------------------- tokenizers for the golden dirs


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


TEXT = ("It is a truth universally acknowledged, that a single man in possession of a good fortune, "
        "must be in want of a wife. However little known the feelings or views of such a man may be "
        "on his first entering a neighbourhood, this truth is so well fixed in the minds of the "
        "surrounding families, that he is considered the rightful property of some one or other of "
        "their daughters.")


def gpt2_tokenizer(d, n_merges):
    """A byte-level BPE with the 256 byte symbols and n_merges merges learned on TEXT."""
    b2u = bytes_to_unicode()
    vocab = {b2u[b]: i for i, b in enumerate(sorted(b2u))}
    words = {}
    for i, w in enumerate(re.findall(r" ?[A-Za-z]+| ?[^A-Za-z\s]+|\s+", TEXT)):
        sym = tuple(b2u[b] for b in w.encode())
        words[sym] = words.get(sym, 0) + 1
    merges = []
    while len(merges) < n_merges:
        counts = {}
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                counts[(a, b)] = counts.get((a, b), 0) + c
        best = max(sorted(counts), key=lambda p: counts[p])
        merges.append(best)
        vocab[best[0] + best[1]] = len(vocab)
        nw = {}
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            nw[tuple(out)] = nw.get(tuple(out), 0) + c
        words = nw
    vocab["<|endoftext|>"] = len(vocab)
    with open(os.path.join(d, "vocab.json"), "w") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(d, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(a + " " + b + "\n")
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "GPT2Tokenizer", "model_max_length": 16, "bos_token": "<|endoftext|>",
                   "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "add_prefix_space": False}, f, indent=2)
    return len(vocab)


BERT_VOCAB = (["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list("abcdefghijklmnopqrstuvwxyz") +
              [".", ",", "the", "truth", "is", "of", "man", "in", "it", "that", "single", "good",
               "##s", "##ing", "##ed", "##ly", "##er", "##al", "wife", "fortune", "want"] +
              ["##" + c for c in "abcdefghijklmnopqrtuvwxyz"] + list("0123456789!?;:\"()'-"))


def bert_tokenizer(d):
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        f.write("\n".join(BERT_VOCAB) + "\n")
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": 16,
                   "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "mask_token": "[MASK]",
                   "unk_token": "[UNK]"}, f, indent=2)
    return len(BERT_VOCAB)

# ----------------------------------------------------------------- golden generation


def randomise(model, seed):
    """Every parameter drawn wide enough that each name, transpose and activation matters."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            r = torch.randn(p.shape, generator=g)
            if "LayerNorm" in name or "ln_" in name:
                p.copy_((1.0 + 0.2 * r) if name.endswith("weight") else 0.2 * r)
            elif p.dim() == 1:
                p.copy_(0.1 * r)
            elif "embeddings" in name or name.endswith(("wte.weight", "wpe.weight")):
                p.copy_(0.5 * r)
            else:
                fan_in = p.shape[0] if isinstance(dict(model.named_modules()).get(name.rsplit(".", 1)[0]), Conv1D) else p.shape[1]
                p.copy_(1.5 * r / math.sqrt(fan_in))


def save_config(d, cfg):
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")


def f32(sd, drop=()):
    return {k: v.detach().clone().to(torch.float32).contiguous() for k, v in sd.items() if k not in drop}


def outputs_file(name, inputs, out):
    t = {k: v.to(torch.float32) for k, v in inputs.items()}  # small ints, exact in F32
    for k, v in out.items():
        t["out." + k] = v.to(torch.float32)
    write_safetensors(os.path.join(HERE, "expected", name + ".safetensors"), t)


def gen():
    os.makedirs(os.path.join(HERE, "expected"), exist_ok=True)
    # GPT-2.
    d = os.path.join(HERE, "gpt2")
    os.makedirs(d, exist_ok=True)
    vocab = gpt2_tokenizer(d, 43)
    cfg = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": vocab, "n_positions": 16,
           "n_embd": 32, "n_layer": 2, "n_head": 4, "n_inner": None, "activation_function": "gelu_new",
           "layer_norm_epsilon": 1e-5, "resid_pdrop": 0.1, "embd_pdrop": 0.1, "attn_pdrop": 0.1,
           "initializer_range": 0.02, "scale_attn_weights": True, "scale_attn_by_inverse_layer_idx": False,
           "reorder_and_upcast_attn": False, "tie_word_embeddings": True, "bos_token_id": vocab - 1,
           "eos_token_id": vocab - 1, "torch_dtype": "float32", "use_cache": True}
    save_config(d, cfg)
    torch.manual_seed(1)
    m = GPT2LMHeadModel(cfg).eval()
    randomise(m, 11)
    sd = f32(m.state_dict(), drop=("lm_head.weight",))  # save_pretrained drops the tied alias
    write_safetensors(os.path.join(d, "model.safetensors"), sd, {"format": "pt"})
    ids = torch.tensor([[5, 260, 17, 299, 42, 256, 99, 3], [1, 2, 3, 4, 5, 6, 7, 8]])
    inputs = {"input_ids": ids}
    outputs_file("gpt2", inputs, run_model(m, inputs))
    # The same weights as two half-precision shards with the buffers of older saves.
    d2 = os.path.join(HERE, "gpt2-sharded")
    os.makedirs(d2, exist_ok=True)
    save_config(d2, dict(cfg, torch_dtype="float16"))
    half = {}
    for k, v in sd.items():
        half[k] = v.to(torch.bfloat16 if ".h.1." in k or "ln_f" in k else torch.float16)
    shard1 = {k: v for k, v in half.items() if ".h.1." not in k and "ln_f" not in k}
    shard2 = {k: v for k, v in half.items() if k not in shard1}
    n = cfg["n_positions"]
    for i in range(cfg["n_layer"]):
        shard1["transformer.h.%d.attn.bias" % i] = torch.tril(torch.ones((n, n))).view(1, 1, n, n).to(torch.float16)
    names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    write_safetensors(os.path.join(d2, names[0]), shard1, {"format": "pt"})
    write_safetensors(os.path.join(d2, names[1]), shard2, {"format": "pt"})
    wm = {k: names[0] for k in shard1}
    wm.update({k: names[1] for k in shard2})
    size = sum(v.numel() * v.element_size() for v in half.values())
    with open(os.path.join(d2, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": size}, "weight_map": dict(sorted(wm.items()))}, f, indent=2)
    for fn in ("vocab.json", "merges.txt", "tokenizer_config.json"):
        with open(os.path.join(d, fn), "rb") as src, open(os.path.join(d2, fn), "wb") as dst:
            dst.write(src.read())
    m2 = GPT2LMHeadModel(cfg).eval()
    with torch.no_grad():
        for k, v in m2.state_dict().items():
            if k in half:
                v.copy_(half[k].to(torch.float32))
        m2.lm_head.weight = m2.transformer.wte.weight
    outputs_file("gpt2-sharded", inputs, run_model(m2, inputs))

    # BERT.
    bcfg = {"model_type": "bert", "architectures": ["BertForMaskedLM"], "vocab_size": len(BERT_VOCAB),
            "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64,
            "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": 16, "type_vocab_size": 2, "initializer_range": 0.02,
            "layer_norm_eps": 1e-12, "pad_token_id": 0, "position_embedding_type": "absolute",
            "classifier_dropout": None, "use_cache": True, "torch_dtype": "float32"}
    ids = torch.tensor([[2, 7, 33, 35, 4, 3, 9, 40, 3, 0], [2, 10, 11, 12, 3, 0, 0, 0, 0, 0]])
    inputs = {"input_ids": ids, "attention_mask": (ids != 0).to(torch.int64),
              "token_type_ids": torch.tensor([[0, 0, 0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])}
    d = os.path.join(HERE, "bert-mlm")
    os.makedirs(d, exist_ok=True)
    bert_tokenizer(d)
    save_config(d, bcfg)
    torch.manual_seed(2)
    m = BertForMaskedLM(bcfg).eval()
    randomise(m, 12)
    sd = f32(m.state_dict(), drop=("cls.predictions.decoder.weight", "cls.predictions.decoder.bias"))
    sd["bert.embeddings.position_ids"] = torch.arange(16, dtype=torch.int64).view(1, 16)  # older saves have it
    write_safetensors(os.path.join(d, "model.safetensors"), sd, {"format": "pt"})
    outputs_file("bert-mlm", inputs, run_model(m, inputs))

    d = os.path.join(HERE, "bert-cls")
    os.makedirs(d, exist_ok=True)
    bert_tokenizer(d)
    ccfg = dict(bcfg, architectures=["BertForSequenceClassification"], hidden_act="gelu_new",
                id2label={"0": "negative", "1": "neutral", "2": "positive"},
                label2id={"negative": 0, "neutral": 1, "positive": 2})
    save_config(d, ccfg)
    torch.manual_seed(3)
    m = BertForSequenceClassification(ccfg).eval()
    randomise(m, 13)
    write_safetensors(os.path.join(d, "model.safetensors"), f32(m.state_dict()), {"format": "pt"})
    outputs_file("bert-cls", inputs, run_model(m, inputs))

    # Every golden dir must load with from_pretrained's rules with nothing missing.
    for name in ("gpt2", "gpt2-sharded", "bert-mlm", "bert-cls"):
        _, rep = load_pretrained(os.path.join(HERE, name))
        assert not rep["missing"] and not rep["unexpected"] and not rep["mismatched"], (name, rep)
        print(name, "loads: 0 missing, 0 unexpected")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "check":
        check(sys.argv[2:])
    else:
        gen()
