package plugins

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

// Scaffold writes a new plugin folder dir for a plugin called name that
// provides one objective (kind "objective") or one head (kind "head"):
// plugin.json and a Go source that loads as is and compiles natively.
// importPath defaults to "example.com/NAME". It refuses to overwrite files.
func Scaffold(dir, name, kind, importPath string) error {
	if !validName(name) {
		return fmt.Errorf("plugin name %q: use lower-case letters, digits, '-', '_' and '.'", name)
	}
	if kind != KindObjective && kind != KindHead {
		return fmt.Errorf("kind %q: objective or head", kind)
	}
	if importPath == "" {
		importPath = "example.com/" + name
	}
	m := Manifest{Name: name, Version: "0.1.0", SDK: ">=" + SDKVersion + " <0.2.0", Import: importPath, Entry: ".",
		Kinds: []string{kind}, Permissions: []string{}}
	if kind == KindObjective {
		m.Objectives = []Provided{{Name: name, Factory: "NewObjective", Doc: "TODO: one line on what it learns"}}
	} else {
		m.Heads = []Provided{{Name: name, Factory: "NewHead", Doc: "TODO: one line on what it predicts"}}
	}
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false) // keep ">=" readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return err
	}
	pkg := goPackageName(importPath)
	var src bytes.Buffer
	tmpl := objectiveTemplate
	if kind == KindHead {
		tmpl = headTemplate
	}
	if err := template.Must(template.New("src").Parse(tmpl)).Execute(&src, map[string]string{"Pkg": pkg, "Name": name}); err != nil {
		return err
	}
	files := map[string][]byte{
		ManifestFile: js.Bytes(),
		kind + ".go": src.Bytes(),
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for f := range files {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return fmt.Errorf("%s already exists; not overwriting", filepath.Join(dir, f))
		}
	}
	for f, b := range files {
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// goPackageName derives a package name from the last import path element.
func goPackageName(importPath string) string {
	base := importPath[strings.LastIndex(importPath, "/")+1:]
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' && b.Len() > 0 {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "plugin"
	}
	return b.String()
}

const objectiveTemplate = `// Package {{.Pkg}} is a pretrain plugin providing the objective "{{.Name}}".
//
// Check it with ` + "`pretrain plugin check DIR`" + `, train it with
// ` + "`pretrain train --plugin DIR --objective {{.Name}}`" + `. Rules for
// plugin code (docs/scripting.md): compose coarse SDK ops in Loss (no loops
// over elements), keep SDK types in named fields (never embedded), no go
// statements.
package {{.Pkg}}

import (
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// model is a next-token predictor from the previous token's embedding.
type model struct {
	base  *nn.Base // the parameters: the nn.Module handed to the SDK
	embed *nn.Embedding
	out   *nn.Linear
}

func (m *model) loss(b *data.Batch) *tensor.Tensor {
	t := b.SeqLen
	x := m.embed.Forward(b.Scope, b.InputIDs, b.Size, t).Narrow(1, 0, t-1)
	logits := m.out.Forward(x).Reshape(b.Size*(t-1), m.out.Out)
	targets := tensor.FromInts(b.Labels, b.Size, t).Narrow(1, 1, t-1).Ints()
	return tensor.CrossEntropyWith(logits, targets, data.IgnoreIndex, 0)
}

// NewObjective builds the objective (a task.ObjectiveFactory).
func NewObjective(cfg task.Config) (task.Objective, error) {
	dim, err := cfg.Int("dim", 32)
	if err != nil {
		return nil, err
	}
	rng := tensor.NewRNG(cfg.Seed)
	m := &model{base: nn.NewBase()}
	m.embed = nn.NewEmbedding(cfg.VocabSize, dim, rng)
	m.out = nn.NewLinear(dim, cfg.VocabSize, true, rng)
	m.base.AddModule("embed", m.embed)
	m.base.AddModule("out", m.out)
	return &task.ObjectiveFuncs{
		ObjectiveName: "{{.Name}}",
		Model:         m.base,
		Collate:       &data.CausalLMCollator{SeqLen: cfg.SeqLen, PadID: cfg.SpecialID("pad", 0)},
		LossFunc:      m.loss,
	}, nil
}
`

const headTemplate = `// Package {{.Pkg}} is a pretrain plugin providing the fine-tuning head
// "{{.Name}}".
//
// Check it with ` + "`pretrain plugin check DIR`" + `. Rules for plugin code
// (docs/scripting.md): compose coarse SDK ops (no loops over elements), keep
// SDK types in named fields (never embedded), no go statements.
package {{.Pkg}}

import (
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// head classifies the mean of the backbone's hidden states.
type head struct {
	base     *nn.Base // the head's parameters
	backbone task.Backbone
	out      *nn.Linear
}

func (h *head) logits(b *data.Batch) *tensor.Tensor {
	return h.out.Forward(h.backbone.Encode(b).Mean(1))
}

// NewHead builds the head over a backbone (a task.HeadFactory).
func NewHead(backbone task.Backbone, cfg task.Config) (task.Head, error) {
	h := &head{base: nn.NewBase(), backbone: backbone}
	h.out = nn.NewLinear(backbone.Dim(), cfg.Labels, true, tensor.NewRNG(cfg.Seed))
	h.base.AddModule("out", h.out)
	return &task.HeadFuncs{
		HeadName:    "{{.Name}}",
		Model:       h.base,
		LossFunc:    func(b *data.Batch) *tensor.Tensor { return tensor.CrossEntropy(h.logits(b), b.RowLabels) },
		PredictFunc: h.logits,
	}, nil
}
`
