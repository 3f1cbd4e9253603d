// Package vit is a Vision Transformer encoder (Dosovitskiy et al. 2020)
// built from the SDK's transformer blocks: images [B, C, H, W] are cut
// into non-overlapping P×P patches (unfold), each patch is mapped to the
// model width by a linear layer (the same map as a Conv2d with stride =
// kernel = P), fixed 2-D sin-cos position embeddings are added, and pre-LN
// transformer encoder blocks with a final LayerNorm follow.
//
// The model is a task.Backbone (Encode gives the patch states
// [B, N, Dim], which the heads pool), and the building block of the mae and
// clip objectives.
package vit

import (
	"fmt"
	"math"

	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Config is the shape of a ViT.
type Config struct {
	ImageSize int // height and width of the (square) input images
	Channels  int // input channels (1 for Fashion-MNIST)
	Patch     int // patch side P; must divide ImageSize
	Dim       int // model width
	Layers    int // transformer blocks
	Heads     int // attention heads; must divide Dim
	MLPHidden int // MLP width; 0 means 4·Dim
}

// Small is the default shape for 28×28 single-channel images: 7×7 patches
// (16 tokens), width 96, 4 blocks of 4 heads.
func Small() Config {
	return Config{ImageSize: 28, Channels: 1, Patch: 7, Dim: 96, Layers: 4, Heads: 4, MLPHidden: 192}
}

// String prints the configuration.
func (c Config) String() string {
	return fmt.Sprintf("vit.Config(image=%d, channels=%d, patch=%d, dim=%d, layers=%d, heads=%d, mlp=%d)",
		c.ImageSize, c.Channels, c.Patch, c.Dim, c.Layers, c.Heads, c.MLPHidden)
}

// Validate reports an inconsistent configuration.
func (c Config) Validate() error {
	switch {
	case c.ImageSize <= 0 || c.Channels <= 0 || c.Patch <= 0 || c.Dim <= 0 || c.Layers < 0 || c.Heads <= 0:
		return fmt.Errorf("vit: image, channels, patch, dim and heads must be positive in %v", c)
	case c.ImageSize%c.Patch != 0:
		return fmt.Errorf("vit: patch %d does not divide image size %d", c.Patch, c.ImageSize)
	case c.Dim%c.Heads != 0:
		return fmt.Errorf("vit: dim %d is not a multiple of heads %d", c.Dim, c.Heads)
	case c.Dim%4 != 0:
		return fmt.Errorf("vit: dim %d must be a multiple of 4 for 2-D sin-cos positions", c.Dim)
	case c.MLPHidden < 0:
		return fmt.Errorf("vit: negative MLP width %d", c.MLPHidden)
	}
	return nil
}

// Grid is the number of patches along each side.
func (c Config) Grid() int { return c.ImageSize / c.Patch }

// NumPatches is the number of tokens of an image.
func (c Config) NumPatches() int { return c.Grid() * c.Grid() }

// PatchDim is the number of values in one patch, C·P·P.
func (c Config) PatchDim() int { return c.Channels * c.Patch * c.Patch }

// Model is the ViT encoder. Parameter names follow timm/MAE:
// "patch_embed.proj", "blocks.N....", "norm".
type Model struct {
	*nn.Base
	Config Config
	Proj   *nn.Linear // "patch_embed.proj": [Dim, C·P·P] with bias
	Blocks []*nn.TransformerBlock
	Norm   *nn.LayerNorm

	pos []float32 // [N, Dim] fixed 2-D sin-cos position embeddings
}

// New builds a ViT with weights drawn from rng (Xavier-uniform linear
// layers and zero biases, as MAE initialises them).
func New(cfg Config, rng *tensor.RNG) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Model{Base: nn.NewBase(), Config: cfg}
	pe := nn.NewBase()
	m.Proj = nn.NewLinear(cfg.PatchDim(), cfg.Dim, true, rng)
	pe.AddModule("proj", m.Proj)
	m.AddModule("patch_embed", pe)
	list := nn.NewModuleList()
	for i := 0; i < cfg.Layers; i++ {
		b := nn.NewTransformerBlock(nn.BlockConfig{Embed: cfg.Dim, Heads: cfg.Heads, Hidden: cfg.MLPHidden}, rng)
		list.Append(b)
		m.Blocks = append(m.Blocks, b)
	}
	m.AddModule("blocks", list)
	m.Norm = nn.NewLayerNorm(cfg.Dim)
	m.AddModule("norm", m.Norm)
	InitLinears(m, rng)
	m.pos = SinCos2D(cfg.Grid(), cfg.Dim)
	return m, nil
}

// InitLinears re-initialises every 2-D weight of m Xavier-uniform and every
// bias named "bias" of a linear layer to zero (LayerNorms keep 1 and 0).
func InitLinears(m nn.Module, rng *tensor.RNG) {
	for _, p := range m.NamedParameters() {
		if p.Tensor.Dims() == 2 {
			nn.InitXavierUniform(p.Tensor, 1, rng)
		}
	}
}

// SinCos2D returns fixed 2-D sin-cos position embeddings [grid·grid, dim]
// (row-major over the patch grid), as in MAE: the first half of each
// vector encodes the column, the second half the row, each with dim/4
// frequencies 1/10000^(k/(dim/4)) as sin then cos.
func SinCos2D(grid, dim int) []float32 {
	out := make([]float32, grid*grid*dim)
	q := dim / 4
	for y := 0; y < grid; y++ {
		for x := 0; x < grid; x++ {
			row := out[(y*grid+x)*dim : (y*grid+x+1)*dim]
			for k := 0; k < q; k++ {
				w := 1 / math.Pow(10000, float64(k)/float64(q))
				row[k] = float32(math.Sin(float64(x) * w))
				row[q+k] = float32(math.Cos(float64(x) * w))
				row[2*q+k] = float32(math.Sin(float64(y) * w))
				row[3*q+k] = float32(math.Cos(float64(y) * w))
			}
		}
	}
	return out
}

// Positions returns the position embeddings of the patches at idx
// ([len(idx)·Dim] values), for encoders that see a subset of patches.
func (m *Model) Positions(idx []int) []float32 {
	d := m.Config.Dim
	out := make([]float32, len(idx)*d)
	for i, p := range idx {
		copy(out[i*d:(i+1)*d], m.pos[p*d:(p+1)*d])
	}
	return out
}

// Patchify cuts images [B, C, H, W] (flat, row-major) into patches
// [B, N, C·P·P]: patch n = (row n/G, column n%G) of the G×G grid, its values
// ordered channel, then row, then column within the patch, which is the
// order of a Conv2d weight [Dim, C, P, P]. It is the unfold of a strided
// convolution, done on the data (inputs carry no gradient).
func Patchify(images []float32, b, c, h, w, p int) []float32 {
	if h%p != 0 || w%p != 0 || len(images) != b*c*h*w {
		panic(&nn.ShapeError{Layer: "vit.Patchify", Shapes: [][]int{{len(images)}, {b, c, h, w}},
			Msg: fmt.Sprintf("need B·C·H·W values with H and W multiples of patch %d", p)})
	}
	gh, gw := h/p, w/p
	pd := c * p * p
	out := make([]float32, len(images))
	for bi := 0; bi < b; bi++ {
		img := images[bi*c*h*w : (bi+1)*c*h*w]
		for gy := 0; gy < gh; gy++ {
			for gx := 0; gx < gw; gx++ {
				dst := out[(bi*gh*gw+gy*gw+gx)*pd:]
				k := 0
				for ch := 0; ch < c; ch++ {
					for y := 0; y < p; y++ {
						src := img[(ch*h+gy*p+y)*w+gx*p:]
						copy(dst[k:k+p], src[:p])
						k += p
					}
				}
			}
		}
	}
	return out
}

// PatchifyTensor is Patchify as a differentiable tensor op on x
// [B, C, H, W] (reshape and permute), for inputs that carry gradients.
func PatchifyTensor(x *tensor.Tensor, p int) *tensor.Tensor {
	s := x.Shape()
	if len(s) != 4 || s[2]%p != 0 || s[3]%p != 0 {
		panic(&nn.ShapeError{Layer: "vit.PatchifyTensor", Shapes: [][]int{s}, Msg: fmt.Sprintf("need [B, C, H, W] with H and W multiples of patch %d", p)})
	}
	b, c, gh, gw := s[0], s[1], s[2]/p, s[3]/p
	return x.Reshape(b, c, gh, p, gw, p).Permute(0, 2, 4, 1, 3, 5).Reshape(b, gh*gw, c*p*p)
}

// EmbedPatches maps patches [B, K, C·P·P] to tokens [B, K, Dim] and adds
// the position embeddings of the patches at pos (K per row, flat [B·K]);
// nil pos means all N patches in order (K = N).
func (m *Model) EmbedPatches(s *tensor.Scope, patches *tensor.Tensor, pos []int) *tensor.Tensor {
	sh := patches.Shape()
	if len(sh) != 3 || sh[2] != m.Config.PatchDim() {
		panic(&nn.ShapeError{Layer: "vit.EmbedPatches", Shapes: [][]int{sh}, Msg: fmt.Sprintf("need [B, K, %d] patches", m.Config.PatchDim())})
	}
	b, k, d := sh[0], sh[1], m.Config.Dim
	x := m.Proj.Forward(patches)
	var pe *tensor.Tensor
	if pos == nil {
		if k != m.Config.NumPatches() {
			panic(&nn.ShapeError{Layer: "vit.EmbedPatches", Shapes: [][]int{sh}, Msg: fmt.Sprintf("all-patch input needs %d patches", m.Config.NumPatches())})
		}
		pe = s.Use(tensor.FromFloat32s(m.pos, 1, k, d))
	} else {
		if len(pos) != b*k {
			panic(&nn.ShapeError{Layer: "vit.EmbedPatches", Shapes: [][]int{sh, {len(pos)}}, Msg: "need B·K positions"})
		}
		pe = s.Use(tensor.FromFloat32s(m.Positions(pos), b, k, d))
	}
	return x.Add(pe)
}

// Forward runs the transformer blocks and the final norm over tokens
// [B, K, Dim].
func (m *Model) Forward(x *tensor.Tensor) *tensor.Tensor {
	for _, blk := range m.Blocks {
		x = blk.Forward(x, nil)
	}
	return m.Norm.Forward(x)
}

// Images returns the batch's images as patches [B, N, C·P·P] under its
// scope, checking their shape against the model's.
func (m *Model) Images(b *data.Batch) *tensor.Tensor {
	c := m.Config
	if b.Images == nil || b.Channels != c.Channels || b.Height != c.ImageSize || b.Width != c.ImageSize {
		panic(&nn.ShapeError{Layer: "vit.Model", Shapes: [][]int{{b.Size, b.Channels, b.Height, b.Width}},
			Msg: fmt.Sprintf("batch images must be [B, %d, %d, %d]", c.Channels, c.ImageSize, c.ImageSize)})
	}
	return b.Scope.Use(tensor.FromFloat32s(Patchify(b.Images, b.Size, b.Channels, b.Height, b.Width, c.Patch), b.Size, c.NumPatches(), c.PatchDim()))
}

// Encode implements task.Backbone: patch states [B, N, Dim] of the batch's
// images, computed under b.Scope.
func (m *Model) Encode(b *data.Batch) *tensor.Tensor {
	return m.Forward(m.EmbedPatches(b.Scope, m.Images(b), nil))
}

// Pooled is the mean of Encode over the patches, [B, Dim].
func (m *Model) Pooled(b *data.Batch) *tensor.Tensor { return m.Encode(b).Mean(1) }

// Dim implements task.Backbone.
func (m *Model) Dim() int { return m.Config.Dim }

// String describes the model.
func (m *Model) String() string {
	return fmt.Sprintf("ViT(%v, %d params)", m.Config, m.NumParams())
}

// ConfigMap is the model's configuration as a JSON-ready map (the
// config.json of a saved backbone).
func (c Config) ConfigMap() map[string]any {
	return map[string]any{"arch": "vit", "image_size": c.ImageSize, "channels": c.Channels, "patch": c.Patch,
		"dim": c.Dim, "layers": c.Layers, "heads": c.Heads, "mlp_hidden": c.MLPHidden}
}

// ConfigFromMap reads a configuration written by ConfigMap.
func ConfigFromMap(m map[string]any) (Config, error) {
	get := func(k string) int {
		v, _ := m[k].(float64)
		return int(v)
	}
	if a, _ := m["arch"].(string); a != "vit" {
		return Config{}, fmt.Errorf("vit: config arch %q is not vit", a)
	}
	c := Config{ImageSize: get("image_size"), Channels: get("channels"), Patch: get("patch"), Dim: get("dim"),
		Layers: get("layers"), Heads: get("heads"), MLPHidden: get("mlp_hidden")}
	return c, c.Validate()
}
