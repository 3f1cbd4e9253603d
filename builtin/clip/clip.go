// Package clip is the image–text contrastive objective of Radford et al.
// 2021 on the SDK's ViT: an image encoder (vit.Model, mean-pooled, linear
// projection) and a small text encoder (word embeddings, learned
// positions, transformer encoder blocks, mean pooling over real tokens,
// linear projection) map an image and its caption to unit vectors; the
// loss is the symmetric InfoNCE over the batch (image→text and
// text→image cross-entropy on cosine similarities scaled by a learnable
// temperature, initialised to 1/0.07 and clamped at 100).
//
// Captions are generated from class names in several phrasings
// (Templates); ZeroShotTemplates are phrasings never used in training,
// from which ZeroShot builds one prompt per class and classifies images by
// the nearest prompt. It registers as the "clip" objective; its Collator
// is a *Collator whose Images.Set the caller fills with labeled images.
package clip

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/pretrain-go/pretrain/builtin/vit"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func init() {
	task.RegisterObjective("clip", "image–text contrastive (CLIP): ViT image encoder and a small text encoder, symmetric InfoNCE with a learnable temperature, on labeled images paired with generated captions; options image, channels, patch, dim, layers, heads, text_dim, text_layers, embed, pad, flip", New)
}

// Templates are the caption phrasings of training; {} is the class name
// and {a} its article.
func Templates() []string {
	return []string{
		"a photo of {a} {}",
		"a picture of {a} {}",
		"an image showing {a} {}",
		"this is {a} {}",
		"a black and white photo of the {}",
		"a small grey picture of {a} {}",
		"the {} in a product photo",
		"a low resolution image of {a} {}",
	}
}

// ZeroShotTemplates are the held-out phrasings of zero-shot prompts.
func ZeroShotTemplates() []string {
	return []string{"a cropped photo of the {}", "an item of clothing : {a} {}"}
}

// Caption fills a template with a class name.
func Caption(template, class string) string {
	art := "a"
	if strings.ContainsRune("aeiou", rune(class[0])) {
		art = "an"
	}
	return strings.ReplaceAll(strings.ReplaceAll(template, "{a}", art), "{}", class)
}

// Words splits a caption into lower-case words (letters, digits and
// hyphens; every other rune separates words).
func Words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-')
	})
}

// Vocab is the word vocabulary of the text encoder: id 0 pads, id 1 is
// unknown words.
type Vocab struct {
	IDs   map[string]int
	Words []string
}

// NewVocab collects the words of every training and zero-shot caption of
// the classes.
func NewVocab(classes []string) *Vocab {
	set := map[string]bool{}
	for _, c := range classes {
		for _, t := range append(Templates(), ZeroShotTemplates()...) {
			for _, w := range Words(Caption(t, c)) {
				set[w] = true
			}
		}
	}
	v := &Vocab{IDs: map[string]int{"[pad]": 0, "[unk]": 1}, Words: []string{"[pad]", "[unk]"}}
	var ws []string
	for w := range set {
		ws = append(ws, w)
	}
	sort.Strings(ws)
	for _, w := range ws {
		v.IDs[w] = len(v.Words)
		v.Words = append(v.Words, w)
	}
	return v
}

// Encode maps a caption to ids.
func (v *Vocab) Encode(s string) []int {
	var ids []int
	for _, w := range Words(s) {
		id, ok := v.IDs[w]
		if !ok {
			id = 1
		}
		ids = append(ids, id)
	}
	return ids
}

// String describes the vocabulary.
func (v *Vocab) String() string { return fmt.Sprintf("clip.Vocab(%d words)", len(v.Words)) }

// Collator pairs each image with a caption of its class in a phrasing
// drawn at random: Images [B, C, H, W] and InputIDs/AttentionMask
// [B, SeqLen] (the caption's word ids, padded with 0).
type Collator struct {
	Images  *data.ImageCollator
	Vocab   *Vocab
	Classes []string
	SeqLen  int
}

// Collate implements data.Collator.
func (c *Collator) Collate(seqs [][]int, rng *data.RNG) (*data.Batch, error) {
	b, err := c.Images.Collate(seqs, rng)
	if err != nil {
		return nil, err
	}
	if b.RowLabels == nil {
		return nil, &data.ParamError{Op: "clip.Collator", Msg: "images need labels to be captioned"}
	}
	ts := Templates()
	caps := make([][]int, b.Size)
	for i, l := range b.RowLabels {
		if l < 0 || l >= len(c.Classes) {
			return nil, &data.ParamError{Op: "clip.Collator", Msg: fmt.Sprintf("label %d has no class name (%d classes)", l, len(c.Classes))}
		}
		caps[i] = c.Vocab.Encode(Caption(ts[rng.Intn(len(ts))], c.Classes[l]))
	}
	p := data.PadBatch(caps, c.SeqLen, 0)
	b.InputIDs, b.AttentionMask, b.SeqLen = p.InputIDs, p.AttentionMask, p.SeqLen
	return b, nil
}

// String describes the collator.
func (c *Collator) String() string { return fmt.Sprintf("clip.Collator{%v %v}", c.Images, c.Vocab) }

// TextConfig is the shape of the text encoder.
type TextConfig struct {
	Vocab, SeqLen, Dim, Layers, Heads int
}

// CLIP is the objective and its module: "visual.*" (the vit.Model),
// "visual_proj", "text.tok", "text.pos", "text.blocks.N", "text.norm",
// "text_proj" and "logit_scale".
type CLIP struct {
	*nn.Base
	Visual     *vit.Model
	VisualProj *nn.Linear
	Tok, Pos   *nn.Embedding
	TextBlocks []*nn.TransformerBlock
	TextNorm   *nn.LayerNorm
	TextProj   *nn.Linear
	LogitScale *tensor.Tensor // [1], log of the inverse temperature
	Collate    *Collator
	Text       TextConfig

	positions []int
}

// NewCLIP builds the model for the given class names.
func NewCLIP(img vit.Config, text TextConfig, embed int, classes []string, rng *tensor.RNG) (*CLIP, error) {
	v, err := vit.New(img, rng)
	if err != nil {
		return nil, err
	}
	voc := NewVocab(classes)
	text.Vocab = len(voc.Words)
	if text.Dim <= 0 || text.Heads <= 0 || text.Dim%text.Heads != 0 || text.Layers < 0 || text.SeqLen <= 0 || embed <= 0 {
		return nil, fmt.Errorf("clip: text encoder %+v / embedding %d: sizes must be positive and heads divide the width", text, embed)
	}
	m := &CLIP{Base: nn.NewBase(), Visual: v, Text: text,
		Collate: &Collator{Images: &data.ImageCollator{Mean: 0.5, Std: 0.5}, Vocab: voc, Classes: classes, SeqLen: text.SeqLen}}
	m.AddModule("visual", v)
	m.VisualProj = nn.NewLinear(img.Dim, embed, false, rng)
	m.AddModule("visual_proj", m.VisualProj)
	tb := nn.NewBase()
	m.Tok = nn.NewEmbedding(text.Vocab, text.Dim, rng)
	m.Pos = nn.NewEmbedding(text.SeqLen, text.Dim, rng)
	nn.InitNormal(m.Tok.Weight, 0.02, rng)
	nn.InitNormal(m.Pos.Weight, 0.01, rng)
	tb.AddModule("tok", m.Tok)
	tb.AddModule("pos", m.Pos)
	list := nn.NewModuleList()
	for i := 0; i < text.Layers; i++ {
		b := nn.NewTransformerBlock(nn.BlockConfig{Embed: text.Dim, Heads: text.Heads}, rng)
		list.Append(b)
		m.TextBlocks = append(m.TextBlocks, b)
	}
	tb.AddModule("blocks", list)
	m.TextNorm = nn.NewLayerNorm(text.Dim)
	tb.AddModule("norm", m.TextNorm)
	m.AddModule("text", tb)
	m.TextProj = nn.NewLinear(text.Dim, embed, false, rng)
	m.AddModule("text_proj", m.TextProj)
	m.LogitScale = m.AddParam("logit_scale", tensor.FromFloat32s([]float32{float32(math.Log(1 / 0.07))}, 1).SetRequiresGrad(true))
	m.positions = make([]int, text.SeqLen)
	for i := range m.positions {
		m.positions[i] = i
	}
	return m, nil
}

// New is the registry factory. Options: image (28), channels (1), patch
// (7), dim (96), layers (4), heads (4), text_dim (64), text_layers (2),
// embed (64), seq_len (12), pad (2), flip (0), classes (comma-separated
// class names; default the Fashion-MNIST classes).
func New(tc task.Config) (task.Objective, error) {
	img := vit.Small()
	text := TextConfig{SeqLen: 12, Dim: 64, Layers: 2, Heads: 4}
	embed, pad, flip := 64, 2, 0
	err := img.ApplyOptions(tc)
	get := func(name string, dst *int) {
		if err == nil {
			*dst, err = tc.Int(name, *dst)
		}
	}
	get("text_dim", &text.Dim)
	get("text_layers", &text.Layers)
	get("seq_len", &text.SeqLen)
	get("embed", &embed)
	get("pad", &pad)
	get("flip", &flip)
	if err != nil {
		return nil, fmt.Errorf("clip: %v", err)
	}
	classes := data.FashionMNISTClasses()
	if s := tc.Option("classes", ""); s != "" {
		classes = strings.Split(s, ",")
	}
	m, err := NewCLIP(img, text, embed, classes, tc.Rand())
	if err != nil {
		return nil, err
	}
	m.Collate.Images.Augment = data.Augment{Pad: pad, FlipH: flip != 0}
	return m, nil
}

// Name implements task.Objective.
func (m *CLIP) Name() string { return "clip" }

// Module implements task.Objective.
func (m *CLIP) Module() nn.Module { return m }

// Collator implements task.Objective (fill Collate.Images.Set).
func (m *CLIP) Collator() data.Collator { return m.Collate }

// unit scales the rows of x [B, E] to unit length.
func unit(x *tensor.Tensor) *tensor.Tensor {
	return x.Div(x.Mul(x).SumKeep(1).AddScalar(1e-12).Sqrt())
}

// ImageEmbeddings are the unit image vectors [B, embed] of the batch.
func (m *CLIP) ImageEmbeddings(b *data.Batch) *tensor.Tensor {
	return unit(m.VisualProj.Forward(m.Visual.Pooled(b)))
}

// TextEmbeddings are the unit caption vectors [B, embed] of the batch's
// InputIDs and AttentionMask, under b.Scope.
func (m *CLIP) TextEmbeddings(b *data.Batch) *tensor.Tensor {
	s, n, t := b.Scope, b.Size, b.SeqLen
	if t > m.Text.SeqLen || len(b.InputIDs) != n*t || len(b.AttentionMask) != n*t {
		panic(&nn.ShapeError{Layer: "clip.TextEmbeddings", Shapes: [][]int{{len(b.InputIDs)}, {n, t}}, Msg: fmt.Sprintf("need [B, T<=%d] ids and mask", m.Text.SeqLen)})
	}
	x := m.Tok.Forward(s, b.InputIDs, n, t).Add(m.Pos.Forward(s, m.positions[:t]))
	mask := make([]float32, n*t)
	cnt := make([]float32, n)
	for i, v := range b.AttentionMask {
		mask[i] = float32(v)
		cnt[i/t] += float32(v)
	}
	for i := range cnt {
		if cnt[i] == 0 {
			cnt[i] = 1
		}
	}
	km := s.Use(tensor.FromFloat32s(mask, n, t))
	for _, blk := range m.TextBlocks {
		x = blk.Forward(x, km)
	}
	x = m.TextNorm.Forward(x)
	pooled := x.Mul(km.Reshape(n, t, 1)).Sum(1).Div(s.Use(tensor.FromFloat32s(cnt, n, 1)))
	return unit(m.TextProj.Forward(pooled))
}

// scale is exp(logit_scale), clamped at 100 as in CLIP.
func (m *CLIP) scale() *tensor.Tensor {
	if m.LogitScale.Data()[0] > float32(math.Log(100)) {
		m.LogitScale.Data()[0] = float32(math.Log(100))
	}
	return m.LogitScale.Exp()
}

// Loss implements task.Objective: the symmetric InfoNCE of the batch's
// images and captions.
func (m *CLIP) Loss(b *data.Batch) *tensor.Tensor {
	img := m.ImageEmbeddings(b)
	txt := m.TextEmbeddings(b)
	logits := tensor.MatMulT(img, txt, false, true).Mul(m.scale())
	tg := make([]int, b.Size)
	for i := range tg {
		tg[i] = i
	}
	return tensor.CrossEntropy(logits, tg).Add(tensor.CrossEntropy(logits.T(), tg)).MulScalar(0.5)
}

// PromptEmbeddings returns one unit vector per class [classes, embed]: the
// normalised mean of the class's zero-shot prompts' embeddings.
func (m *CLIP) PromptEmbeddings(s *tensor.Scope) *tensor.Tensor {
	var caps [][]int
	zs := ZeroShotTemplates()
	for _, c := range m.Collate.Classes {
		for _, t := range zs {
			caps = append(caps, m.Collate.Vocab.Encode(Caption(t, c)))
		}
	}
	b := data.PadBatch(caps, m.Text.SeqLen, 0)
	b.Scope = s
	e := m.TextEmbeddings(b).Reshape(len(m.Collate.Classes), len(zs), m.TextProj.Out).Mean(1)
	return unit(e)
}

// ZeroShot classifies the batch's images by their nearest class prompt
// and returns the predicted class ids.
func (m *CLIP) ZeroShot(b *data.Batch) []int {
	s := b.Scope
	if s == nil {
		s = tensor.NewScope()
	}
	s = s.NoGrad()
	b.Scope = s
	return tensor.MatMulT(m.ImageEmbeddings(b), m.PromptEmbeddings(s), false, true).Argmax(1)
}

// String describes the objective.
func (m *CLIP) String() string {
	return fmt.Sprintf("CLIP(%v, text %+v, %d params)", m.Visual.Config, m.Text, m.NumParams())
}
