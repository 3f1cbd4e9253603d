package hf

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/builtin/bert"
	"github.com/pretrain-go/pretrain/builtin/generate"
	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// tol is the parity bound: max |ours - reference| / max |reference|, with
// the reference computed in float64 by the generator.
const tol = 1e-5

func expected(t *testing.T, name string) map[string]*tensor.Tensor {
	t.Helper()
	ts, _, err := checkpoint.Load(filepath.Join("testdata", "expected", name+".safetensors"))
	require.NoError(t, err)
	return ts
}

func ints(t *tensor.Tensor) []int {
	f := t.Float32s()
	out := make([]int, len(f))
	for i, v := range f {
		out[i] = int(v)
	}
	return out
}

// relErr is max |got - want| / max |want|.
func relErr(t *testing.T, got, want []float32) float64 {
	t.Helper()
	require.Equal(t, len(want), len(got))
	var d, m float64
	for i := range want {
		d = math.Max(d, math.Abs(float64(got[i])-float64(want[i])))
		m = math.Max(m, math.Abs(float64(want[i])))
	}
	return d / m
}

func eval() *tensor.Scope { return tensor.NewScope().NoGrad() }

func gptOutputs(m *gpt.Model, ids []int, b, n int) (hidden, logits []float32) {
	m.Train(false)
	return m.Hidden(eval(), ids, b, n).Float32s(), m.Forward(eval(), ids, b, n).Float32s()
}

// TestGPT2Parity: an HF GPT-2 directory (single F32 file; F16/BF16 shards
// with mask buffers) gives transformers' hidden states and logits.
func TestGPT2Parity(t *testing.T) {
	for _, name := range []string{"gpt2", "gpt2-sharded"} {
		t.Run(name, func(t *testing.T) {
			m, err := Load(filepath.Join("testdata", name))
			require.NoError(t, err)
			require.NotNil(t, m.GPT)
			assert.Equal(t, "GPT2LMHeadModel", m.Architecture)
			assert.Equal(t, nn.GELUTanh, m.GPT.Config.Activation)
			assert.Nil(t, m.GPT.Head, "tied lm_head")
			ex := expected(t, name)
			ids := ints(ex["input_ids"])
			b, n := ex["input_ids"].Size(0), ex["input_ids"].Size(1)
			h, l := gptOutputs(m.GPT, ids, b, n)
			eh, el := relErr(t, h, ex["out.hidden"].Float32s()), relErr(t, l, ex["out.logits"].Float32s())
			t.Logf("%s: hidden rel err %.2e, logits rel err %.2e", name, eh, el)
			assert.Less(t, eh, tol)
			assert.Less(t, el, tol)
			if name == "gpt2-sharded" {
				assert.Len(t, m.Notes, 2, "the two attn.bias buffers are skipped with a note: %v", m.Notes)
			}
			// The negative control: exact GELU instead of gelu_new is far off.
			for _, blk := range m.GPT.Blocks {
				blk.MLP.Act = nn.GELU
			}
			_, l = gptOutputs(m.GPT, ids, b, n)
			assert.Greater(t, relErr(t, l, ex["out.logits"].Float32s()), 10*tol)
		})
	}
}

func bertInputs(ex map[string]*tensor.Tensor) (ids, mask, types []int, b, n int) {
	return ints(ex["input_ids"]), ints(ex["attention_mask"]), ints(ex["token_type_ids"]), ex["input_ids"].Size(0), ex["input_ids"].Size(1)
}

// TestBERTParity: BertForMaskedLM (with an I64 position_ids buffer) and
// BertForSequenceClassification (pooler, classifier, gelu_new) give
// transformers' hidden states, MLM logits, pooled output and class logits.
func TestBERTParity(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "bert-mlm"))
	require.NoError(t, err)
	require.NotNil(t, m.BERT)
	assert.Equal(t, "BertForMaskedLM", m.Architecture)
	assert.Len(t, m.Notes, 1)
	assert.Contains(t, m.Notes[0], "I64 buffer bert.embeddings.position_ids")
	ex := expected(t, "bert-mlm")
	ids, mask, types, b, n := bertInputs(ex)
	m.BERT.Train(false)
	h := m.BERT.Hidden(eval(), ids, mask, types, b, n)
	eh, el := relErr(t, h.Float32s(), ex["out.hidden"].Float32s()), relErr(t, m.BERT.Logits(h).Float32s(), ex["out.logits"].Float32s())
	t.Logf("bert-mlm: hidden rel err %.2e, logits rel err %.2e", eh, el)
	assert.Less(t, eh, tol)
	assert.Less(t, el, tol)
	// Token types matter: without them (type 0 everywhere) row 0 differs.
	h0 := m.BERT.Hidden(eval(), ids, mask, nil, b, n)
	assert.Greater(t, relErr(t, h0.Float32s(), ex["out.hidden"].Float32s()), 10*tol)

	c, err := Load(filepath.Join("testdata", "bert-cls"))
	require.NoError(t, err)
	assert.Equal(t, []string{"negative", "neutral", "positive"}, c.Labels)
	require.NotNil(t, c.Classifier)
	ex = expected(t, "bert-cls")
	ids, mask, types, b, n = bertInputs(ex)
	c.BERT.Train(false)
	h = c.BERT.Hidden(eval(), ids, mask, types, b, n)
	pooled := c.BERT.Pooled(h)
	ep, ec := relErr(t, pooled.Float32s(), ex["out.pooled"].Float32s()), relErr(t, c.Classifier.Forward(pooled).Float32s(), ex["out.logits"].Float32s())
	t.Logf("bert-cls: hidden %.2e, pooled rel err %.2e, class logits rel err %.2e", relErr(t, h.Float32s(), ex["out.hidden"].Float32s()), ep, ec)
	assert.Less(t, ep, tol)
	assert.Less(t, ec, tol)
}

// python reports whether the reference loader can run here.
func python(t *testing.T) bool {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		return false
	}
	return exec.Command("/usr/bin/python3", "-c", "import torch").Run() == nil
}

// reference is the generator's from_pretrained report for dir, run on the
// inputs of an expected file.
type reference struct {
	Missing, Unexpected, Mismatched []string
	Architecture                    string
	Outputs                         map[string]struct {
		Shape []int
		Data  []float32
	}
}

// referenceLoad runs the reference loader once over dirs[i] with the
// inputs of expected file inputs[i].
func referenceLoad(t *testing.T, dirs, inputs []string) []reference {
	t.Helper()
	args := []string{filepath.Join("testdata", "gen_golden.py"), "check"}
	for i, d := range dirs {
		args = append(args, d, filepath.Join("testdata", "expected", inputs[i]+".safetensors"))
	}
	cmd := exec.Command("/usr/bin/python3", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s", stderr.String())
	var r []reference
	require.NoError(t, json.Unmarshal(out, &r))
	require.Len(t, r, len(dirs))
	return r
}

// TestExportRoundTrip: each golden HF directory, loaded and saved again,
// holds exactly the original tensors (minus buffers and tied aliases) and a
// config.json with the same shape; the reference loader finds no missing
// or unexpected keys and computes the committed outputs.
func TestExportRoundTrip(t *testing.T) {
	names := []string{"gpt2", "gpt2-sharded", "bert-mlm", "bert-cls"}
	outs := make([]string, len(names))
	for i, name := range names {
		outs[i] = filepath.Join(t.TempDir(), "export")
		out := outs[i]
		t.Run(name, func(t *testing.T) {
			src := filepath.Join("testdata", name)
			m, err := Load(src)
			require.NoError(t, err)
			require.NoError(t, Save(out, m, SaveOptions{}))
			got, meta, err := checkpoint.Load(filepath.Join(out, WeightsFile))
			require.NoError(t, err)
			assert.Equal(t, "pt", meta["format"])
			w, err := openWeights(src)
			require.NoError(t, err)
			defer w.close()
			n := 0
			for _, k := range w.names() {
				if ignorable.MatchString(k) || !checkpoint.IsFloat(w.info(k).DType) {
					continue
				}
				n++
				ref, err := w.tensor(k, w.info(k).Shape)
				require.NoError(t, err)
				require.Contains(t, got, k)
				assert.Equal(t, ref.Shape(), got[k].Shape(), k)
				assert.Equal(t, ref.Float32s(), got[k].Float32s(), k)
			}
			assert.Equal(t, n, len(got), "no extra tensors")
			var orig, exp map[string]any
			readJSON(t, filepath.Join(src, ConfigFile), &orig)
			readJSON(t, filepath.Join(out, ConfigFile), &exp)
			for _, k := range []string{"model_type", "architectures", "vocab_size", "n_embd", "n_layer", "n_head", "n_positions",
				"activation_function", "layer_norm_epsilon", "hidden_size", "num_hidden_layers", "num_attention_heads",
				"intermediate_size", "hidden_act", "type_vocab_size", "max_position_embeddings", "layer_norm_eps", "id2label"} {
				assert.Equal(t, orig[k], exp[k], k)
			}
		})
	}
	if !python(t) {
		t.Log("no /usr/bin/python3 with torch: checked against the committed files only")
		return
	}
	for i, r := range referenceLoad(t, outs, names) {
		assert.Empty(t, r.Missing, names[i])
		assert.Empty(t, r.Unexpected, names[i])
		assert.Empty(t, r.Mismatched, names[i])
		ex := expected(t, names[i])
		require.NotEmpty(t, r.Outputs)
		for k, o := range r.Outputs {
			assert.Less(t, relErr(t, o.Data, ex["out."+k].Float32s()), tol, names[i]+" "+k)
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, v))
}

// perturb gives every parameter distinct values (LayerNorm gains and biases
// included) so that a name mix-up cannot cancel out.
func perturb(m nn.Module, seed uint64) {
	rng := tensor.NewRNG(seed)
	for _, p := range m.Parameters() {
		d := p.Data()
		noise := tensor.Randn(rng, len(d)).Data()
		for i := range d {
			d[i] += 0.05 * noise[i]
		}
	}
}

// TestExportSDKModels: models made by the SDK (a GPT with gelu_new and eps
// 1e-6, an untied GPT, a post-LN BERT with MLM head, a classifier) export to
// directories the reference loads with zero missing keys and whose
// reference outputs equal the SDK's; Load reads them back identically.
func TestExportSDKModels(t *testing.T) {
	rng := tensor.NewRNG(5)
	g, err := gpt.New(gpt.Config{VocabSize: 300, ContextLen: 16, Dim: 32, Layers: 2, Heads: 4, MLPHidden: 64,
		TiedEmbeddings: true, Activation: nn.GELUTanh, Eps: 1e-6}, rng)
	require.NoError(t, err)
	gu, err := gpt.New(gpt.Config{VocabSize: 300, ContextLen: 16, Dim: 32, Layers: 1, Heads: 2}, rng)
	require.NoError(t, err)
	bm, err := bert.New(bert.Config{VocabSize: 59, ContextLen: 16, Dim: 32, Layers: 2, Heads: 4, MLPHidden: 64,
		TypeVocab: 2, PostLN: true, MLMHead: true, Eps: 1e-12}, rng)
	require.NoError(t, err)
	bc, err := bert.New(bert.Config{VocabSize: 59, ContextLen: 16, Dim: 32, Layers: 2, Heads: 4, MLPHidden: 64,
		TypeVocab: 2, PostLN: true, Pooler: true, Eps: 1e-12, Activation: nn.GELUTanh}, rng)
	require.NoError(t, err)
	cls := nn.NewLinear(32, 3, true, rng)
	cases := []struct {
		name   string
		m      *Model
		inputs string
		arch   string
	}{
		{"gpt", &Model{GPT: g}, "gpt2", "GPT2LMHeadModel"},
		{"gpt-untied", &Model{GPT: gu}, "gpt2", "GPT2LMHeadModel"},
		{"bert-mlm", &Model{BERT: bm}, "bert-mlm", "BertForMaskedLM"},
		{"bert-cls", &Model{BERT: bc, Classifier: cls, Labels: []string{"a", "b", "c"}}, "bert-cls", "BertForSequenceClassification"},
	}
	var outs, inputs []string
	ours := make([]map[string][]float32, len(cases))
	for i, c := range cases {
		out := filepath.Join(t.TempDir(), "export")
		outs, inputs = append(outs, out), append(inputs, c.inputs)
		t.Run(c.name, func(t *testing.T) {
			perturb(c.m.Module(), uint64(i+1))
			if c.m.Classifier != nil {
				perturb(c.m.Classifier, 99)
			}
			require.NoError(t, Save(out, c.m, SaveOptions{}))
			ours[i] = sdkOutputs(t, c.m, expected(t, c.inputs))
			back, err := Load(out)
			require.NoError(t, err)
			assert.Equal(t, c.arch, back.Architecture)
			assert.Empty(t, back.Notes)
			for k, v := range sdkOutputs(t, back, expected(t, c.inputs)) {
				assert.Equal(t, ours[i][k], v, k)
			}
		})
	}
	if !python(t) {
		t.Log("no /usr/bin/python3 with torch: round trip through Load only")
		return
	}
	for i, r := range referenceLoad(t, outs, inputs) {
		c := cases[i]
		assert.Equal(t, c.arch, r.Architecture)
		assert.Empty(t, r.Missing, c.name)
		assert.Empty(t, r.Unexpected, c.name)
		assert.Empty(t, r.Mismatched, c.name)
		require.NotEmpty(t, r.Outputs)
		for k, o := range r.Outputs {
			e := relErr(t, ours[i][k], o.Data)
			t.Logf("%s %s: rel err %.2e vs the reference", c.name, k, e)
			assert.Less(t, e, tol, c.name+" "+k)
		}
	}
}

// sdkOutputs computes what the generator's run_model reports: hidden,
// logits and (with a pooler) pooled.
func sdkOutputs(t *testing.T, m *Model, ex map[string]*tensor.Tensor) map[string][]float32 {
	out := map[string][]float32{}
	if m.GPT != nil {
		ids := ints(ex["input_ids"])
		out["hidden"], out["logits"] = gptOutputs(m.GPT, ids, ex["input_ids"].Size(0), ex["input_ids"].Size(1))
		return out
	}
	ids, mask, types, b, n := bertInputs(ex)
	m.BERT.Train(false)
	h := m.BERT.Hidden(eval(), ids, mask, types, b, n)
	out["hidden"] = h.Float32s()
	if m.BERT.MLM != nil && m.Classifier == nil {
		out["logits"] = m.BERT.Logits(h).Float32s()
	}
	if m.BERT.Pool != nil {
		p := m.BERT.Pooled(h)
		out["pooled"] = p.Float32s()
		if m.Classifier != nil {
			out["logits"] = m.Classifier.Forward(p).Float32s()
		}
	}
	return out
}

// TestGPT2KVCache: the KV-cached decoder of builtin/generate (gelu_new,
// eps from config.json) gives an imported GPT-2's logits step by step.
func TestGPT2KVCache(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "gpt2"))
	require.NoError(t, err)
	ex := expected(t, "gpt2")
	ids := ints(ex["input_ids"])[:8]
	want := ex["out.logits"].Float32s()[:8*m.GPT.Config.VocabSize]
	c := generate.NewCache(m.GPT)
	v := m.GPT.Config.VocabSize
	for i, id := range ids {
		got := c.Step(id)
		assert.Less(t, relErr(t, got, want[i*v:(i+1)*v]), tol, "position %d", i)
	}
}

// TestBaseModelNames: a GPT2Model-style file (no "transformer." prefix, as
// the original gpt2 upload) with a stored tied lm_head.weight loads into
// GPT2LMHeadModel with the same logits, noting the skipped alias.
func TestBaseModelNames(t *testing.T) {
	dir := copyDir(t, "gpt2")
	editWeights(t, dir, func(ts map[string]*tensor.Tensor) {
		for k, v := range ts {
			delete(ts, k)
			ts[strings.TrimPrefix(k, "transformer.")] = v
		}
		ts["lm_head.weight"] = ts["wte.weight"]
	})
	m, err := Load(dir)
	require.NoError(t, err)
	assert.Len(t, m.Notes, 1)
	assert.Contains(t, m.Notes[0], "lm_head.weight")
	ex := expected(t, "gpt2")
	_, l := gptOutputs(m.GPT, ints(ex["input_ids"]), 2, 8)
	assert.Less(t, relErr(t, l, ex["out.logits"].Float32s()), tol)

	// The same file as a GPT2Model (base model) loads and re-exports as one.
	editConfig(t, dir, func(c map[string]any) { c["architectures"] = []string{"GPT2Model"} })
	b, err := Load(dir)
	require.NoError(t, err)
	assert.Equal(t, "GPT2Model", b.Architecture)
	h, _ := gptOutputs(b.GPT, ints(ex["input_ids"]), 2, 8)
	assert.Less(t, relErr(t, h, ex["out.hidden"].Float32s()), tol)
	out := filepath.Join(t.TempDir(), "base")
	require.NoError(t, Save(out, b, SaveOptions{}))
	ts, _, err := checkpoint.Load(filepath.Join(out, WeightsFile))
	require.NoError(t, err)
	assert.Contains(t, ts, "h.0.attn.c_attn.weight")
	back, err := Load(out)
	require.NoError(t, err)
	assert.Equal(t, "GPT2Model", back.Architecture)
	if python(t) {
		r := referenceLoad(t, []string{out}, []string{"gpt2"})[0]
		assert.Equal(t, "GPT2Model", r.Architecture)
		assert.Empty(t, r.Missing)
		assert.Empty(t, r.Unexpected)
		assert.Less(t, relErr(t, r.Outputs["hidden"].Data, ex["out.hidden"].Float32s()), tol)
	}
}

// TestBertPretrainingNames: a bert-base-uncased-style file (LayerNorm
// gamma/beta, the next-sentence head, the pooler) loads as BertForMaskedLM
// with the same outputs; the NSP head is skipped with a note.
func TestBertPretrainingNames(t *testing.T) {
	dir := copyDir(t, "bert-mlm")
	editWeights(t, dir, func(ts map[string]*tensor.Tensor) {
		for k, v := range ts {
			if strings.HasSuffix(k, "LayerNorm.weight") || strings.HasSuffix(k, "LayerNorm.bias") {
				delete(ts, k)
				k = strings.Replace(strings.Replace(k, "LayerNorm.weight", "LayerNorm.gamma", 1), "LayerNorm.bias", "LayerNorm.beta", 1)
				ts[k] = v
			}
		}
		ts["cls.seq_relationship.weight"] = tensor.Ones(2, 32)
		ts["cls.seq_relationship.bias"] = tensor.Zeros(2)
		ts["bert.pooler.dense.weight"] = tensor.Ones(32, 32)
		ts["bert.pooler.dense.bias"] = tensor.Zeros(32)
	})
	m, err := Load(dir)
	require.NoError(t, err)
	assert.NotNil(t, m.BERT.Pool, "the pooler is kept")
	assert.Len(t, m.Notes, 2)
	ex := expected(t, "bert-mlm")
	ids, mask, types, b, n := bertInputs(ex)
	m.BERT.Train(false)
	h := m.BERT.Hidden(eval(), ids, mask, types, b, n)
	assert.Less(t, relErr(t, m.BERT.Logits(h).Float32s(), ex["out.logits"].Float32s()), tol)
}
