// Package mae is the masked autoencoder objective of He et al. 2021
// ("Masked Autoencoders Are Scalable Vision Learners") on the SDK's ViT:
// each image's patches are shuffled, 75% are dropped, the encoder sees only
// the visible ones (with their position embeddings), a light decoder gets
// the encoded visible tokens plus a shared learned mask token at every
// dropped position, and the loss is the mean squared error between the
// decoder's output and the per-patch-normalised pixels of the masked
// patches only.
//
// The package also holds the image denoising autoencoder (DAE, the
// "image-dae" objective): the same encoder and decoder, Gaussian noise on
// every pixel instead of masking, every clean patch reconstructed.
//
// It registers as the "mae" objective. Its Collator is a
// *data.ImageCollator whose Set the caller fills with the unlabeled
// images (rows of the Loader name images by index, see
// data.ImageSet.Examples).
package mae

import (
	"fmt"
	"math"

	"github.com/pretrain-go/pretrain/builtin/vit"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func init() {
	task.RegisterObjective("mae", "masked autoencoder on image patches (He et al. 2021): ViT encoder on the 25% visible patches, light decoder, normalised-pixel loss on the masked ones; options image, channels, patch, dim, layers, heads, mlp, dec_dim, dec_layers, dec_heads, mask_ratio, norm_pix (1/0), pad, flip (1/0)", New)
}

// Config is the shape of the autoencoder.
type Config struct {
	Encoder   vit.Config
	DecDim    int     // decoder width
	DecLayers int     // decoder blocks
	DecHeads  int     // decoder heads
	MaskRatio float64 // fraction of patches dropped, 0.75 in the paper
	NormPix   bool    // normalise each target patch to zero mean, unit variance
}

// Default is the configuration used for 28×28 Fashion-MNIST: vit.Small
// with a 2-block decoder of width 64.
func Default() Config {
	return Config{Encoder: vit.Small(), DecDim: 64, DecLayers: 2, DecHeads: 4, MaskRatio: 0.75, NormPix: true}
}

// String prints the configuration.
func (c Config) String() string {
	return fmt.Sprintf("mae.Config(%v, dec=%d×%d/%d heads, mask=%g, normPix=%t)", c.Encoder, c.DecLayers, c.DecDim, c.DecHeads, c.MaskRatio, c.NormPix)
}

// MAE is the objective and its module: "encoder.*" (a vit.Model, the
// backbone that fine-tuning keeps) and "decoder_embed", "mask_token",
// "decoder_blocks.N", "decoder_norm", "decoder_pred".
type MAE struct {
	*nn.Base
	Config    Config
	Encoder   *vit.Model
	DecEmbed  *nn.Linear
	MaskToken *tensor.Tensor // [1, 1, DecDim]
	DecBlocks []*nn.TransformerBlock
	DecNorm   *nn.LayerNorm
	DecPred   *nn.Linear
	Collate   *data.ImageCollator
	Seed      uint64

	decPos []float32 // [N, DecDim] fixed sin-cos
}

// NewMAE builds the autoencoder from cfg with weights from rng.
func NewMAE(cfg Config, seed uint64, rng *tensor.RNG) (*MAE, error) {
	n := cfg.Encoder.NumPatches()
	vis := int(math.Round(float64(n) * (1 - cfg.MaskRatio)))
	if cfg.MaskRatio <= 0 || cfg.MaskRatio >= 1 || vis < 1 || vis >= n {
		return nil, fmt.Errorf("mae: mask ratio %g of %d patches must leave at least one visible and one masked patch", cfg.MaskRatio, n)
	}
	return newAutoencoder("mae", cfg, seed, rng, true)
}

// newAutoencoder builds the encoder and the light decoder; maskToken adds
// the learned token the decoder gets at dropped positions (MAE only).
func newAutoencoder(op string, cfg Config, seed uint64, rng *tensor.RNG, maskToken bool) (*MAE, error) {
	if cfg.DecDim <= 0 || cfg.DecHeads <= 0 || cfg.DecDim%cfg.DecHeads != 0 || cfg.DecDim%4 != 0 || cfg.DecLayers < 0 {
		return nil, fmt.Errorf("%s: decoder width %d must be a positive multiple of 4 and of its %d heads", op, cfg.DecDim, cfg.DecHeads)
	}
	enc, err := vit.New(cfg.Encoder, rng)
	if err != nil {
		return nil, err
	}
	m := &MAE{Base: nn.NewBase(), Config: cfg, Encoder: enc, Seed: seed, Collate: &data.ImageCollator{Mean: 0.5, Std: 0.5}}
	m.AddModule("encoder", enc)
	dec := nn.NewBase()
	m.DecEmbed = nn.NewLinear(cfg.Encoder.Dim, cfg.DecDim, true, rng)
	m.AddModule("decoder_embed", m.DecEmbed)
	list := nn.NewModuleList()
	for i := 0; i < cfg.DecLayers; i++ {
		b := nn.NewTransformerBlock(nn.BlockConfig{Embed: cfg.DecDim, Heads: cfg.DecHeads}, rng)
		list.Append(b)
		m.DecBlocks = append(m.DecBlocks, b)
	}
	dec.AddModule("blocks", list)
	m.AddModule("decoder_blocks", list)
	m.DecNorm = nn.NewLayerNorm(cfg.DecDim)
	m.AddModule("decoder_norm", m.DecNorm)
	m.DecPred = nn.NewLinear(cfg.DecDim, cfg.Encoder.PatchDim(), true, rng)
	m.AddModule("decoder_pred", m.DecPred)
	vit.InitLinears(dec, rng)
	vit.InitLinears(m.DecEmbed, rng)
	vit.InitLinears(m.DecPred, rng)
	if maskToken {
		m.MaskToken = m.AddParam("mask_token", tensor.Randn(rng, 1, 1, cfg.DecDim).MulScalar(0.02).Detach().SetRequiresGrad(true))
	}
	m.decPos = vit.SinCos2D(cfg.Encoder.Grid(), cfg.DecDim)
	return m, nil
}

// New is the registry factory: options image (28), channels (1), patch
// (7), dim (96), layers (4), heads (4), mlp (2·dim), dec_dim (64),
// dec_layers (2), dec_heads (4), mask_ratio (0.75), norm_pix (1), and the
// collator's pad (2: random shifts of ±2 pixels) and flip (0).
func New(tc task.Config) (task.Objective, error) {
	c, aug, err := parseOptions(tc)
	if err == nil {
		c.MaskRatio, err = tc.Float("mask_ratio", c.MaskRatio)
	}
	if err != nil {
		return nil, fmt.Errorf("mae: %v", err)
	}
	m, err := NewMAE(c, tc.Seed, tc.Rand())
	if err != nil {
		return nil, err
	}
	m.Collate.Augment = aug
	return m, nil
}

// parseOptions reads the options mae and image-dae share: the encoder's
// shape, the decoder's, norm_pix, and the collator's pad and flip.
func parseOptions(tc task.Config) (Config, data.Augment, error) {
	c := Default()
	e := &c.Encoder
	err := e.ApplyOptions(tc)
	get := func(name string, dst *int) {
		if err == nil {
			*dst, err = tc.Int(name, *dst)
		}
	}
	get("mlp", &e.MLPHidden)
	get("dec_dim", &c.DecDim)
	get("dec_layers", &c.DecLayers)
	get("dec_heads", &c.DecHeads)
	normPix, pad, flip := 1, 2, 0
	get("norm_pix", &normPix)
	get("pad", &pad)
	get("flip", &flip)
	c.NormPix = normPix != 0
	return c, data.Augment{Pad: pad, FlipH: flip != 0}, err
}

// Name implements task.Objective.
func (m *MAE) Name() string { return "mae" }

// Module implements task.Objective.
func (m *MAE) Module() nn.Module { return m }

// Collator implements task.Objective: the image collator (set its Set).
func (m *MAE) Collator() data.Collator { return m.Collate }

// Visible is the number of patches the encoder sees.
func (m *MAE) Visible() int {
	return int(math.Round(float64(m.Config.Encoder.NumPatches()) * (1 - m.Config.MaskRatio)))
}

// Masks draws each row's random patch order for a batch: the first
// Visible() entries of a row are kept, the rest masked. The draw depends
// only on the seed, epoch and step of the batch, so a resumed run draws
// the same masks.
func (m *MAE) Masks(b *data.Batch) [][]int {
	rng := data.NewRNG(data.DeriveSeed(m.Seed, 0x6d6165, uint64(b.Epoch), uint64(b.Step)))
	out := make([][]int, b.Size)
	for i := range out {
		out[i] = rng.Perm(m.Config.Encoder.NumPatches())
	}
	return out
}

// Loss implements task.Objective: the mean squared error on the masked
// patches, under b.Scope.
func (m *MAE) Loss(b *data.Batch) *tensor.Tensor {
	pred, target := m.Reconstruct(b, m.Masks(b))
	return pred.Sub(target).Pow(2).Mean()
}

// Reconstruct runs the autoencoder with the given patch orders (see
// Masks) and returns the predictions for the masked patches and their
// targets, both [B, N-Visible, C·P·P].
func (m *MAE) Reconstruct(b *data.Batch, orders [][]int) (pred, target *tensor.Tensor) {
	s := b.Scope
	ec := m.Config.Encoder
	all := vit.Patchify(m.checkImages(b), b.Size, b.Channels, b.Height, b.Width, ec.Patch)
	n, pd, nv := ec.NumPatches(), ec.PatchDim(), m.Visible()
	nm := n - nv
	vis := make([]float32, b.Size*nv*pd)
	tgt := make([]float32, b.Size*nm*pd)
	visPos := make([]int, 0, b.Size*nv)
	decPos := make([]float32, b.Size*n*m.Config.DecDim)
	dd := m.Config.DecDim
	for i, ord := range orders {
		if len(ord) != n {
			panic(&nn.ShapeError{Layer: "mae.Reconstruct", Shapes: [][]int{{len(orders), len(ord)}}, Msg: fmt.Sprintf("each order must list the %d patches", n)})
		}
		for j, p := range ord {
			src := all[(i*n+p)*pd : (i*n+p+1)*pd]
			if j < nv {
				copy(vis[(i*nv+j)*pd:], src)
				visPos = append(visPos, p)
			} else {
				dst := tgt[(i*nm+j-nv)*pd : (i*nm+j-nv+1)*pd]
				copy(dst, src)
				if m.Config.NormPix {
					normalise(dst)
				}
			}
			copy(decPos[(i*n+j)*dd:(i*n+j+1)*dd], m.decPos[p*dd:(p+1)*dd])
		}
	}
	x := m.Encoder.EmbedPatches(s, s.Use(tensor.FromFloat32s(vis, b.Size, nv, pd)), visPos)
	h := m.Encoder.Forward(x)
	d := m.DecEmbed.Forward(h)
	d = tensor.Concat(1, d, m.MaskToken.Expand(b.Size, nm, dd))
	d = d.Add(s.Use(tensor.FromFloat32s(decPos, b.Size, n, dd)))
	for _, blk := range m.DecBlocks {
		d = blk.Forward(d, nil)
	}
	d = m.DecNorm.Forward(d).Narrow(1, nv, nm)
	return m.DecPred.Forward(d), s.Use(tensor.FromFloat32s(tgt, b.Size, nm, pd))
}

func (m *MAE) checkImages(b *data.Batch) []float32 {
	c := m.Config.Encoder
	if b.Images == nil || b.Channels != c.Channels || b.Height != c.ImageSize || b.Width != c.ImageSize {
		panic(&nn.ShapeError{Layer: "mae.Loss", Shapes: [][]int{{b.Size, b.Channels, b.Height, b.Width}},
			Msg: fmt.Sprintf("batch images must be [B, %d, %d, %d]", c.Channels, c.ImageSize, c.ImageSize)})
	}
	return b.Images
}

// normalise sets v to (v - mean) / sqrt(var + 1e-6), as MAE's norm_pix_loss.
func normalise(v []float32) {
	var mean, sq float64
	for _, x := range v {
		mean += float64(x)
	}
	mean /= float64(len(v))
	for _, x := range v {
		sq += (float64(x) - mean) * (float64(x) - mean)
	}
	// torch.var is unbiased in MAE's code.
	std := math.Sqrt(sq/float64(len(v)-1) + 1e-6)
	for i, x := range v {
		v[i] = float32((float64(x) - mean) / std)
	}
}

// String describes the objective.
func (m *MAE) String() string { return fmt.Sprintf("MAE(%v, %d params)", m.Config, m.NumParams()) }
