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
	task.RegisterObjective("image-dae", "denoising autoencoder on images (Vincent et al. 2008, on the ViT): Gaussian noise on every pixel, the encoder sees all patches, the MAE's light decoder reconstructs the clean ones (normalised-pixel MSE); options as mae without mask_ratio, plus noise (σ in normalised pixels, default 0.5)", NewDAEObjective)
}

// DefaultNoise is the image-dae noise level: σ = 0.5 in the collator's
// normalised units ((pixel/255 − 0.5)/0.5, so [−1, 1]), a quarter of the
// pixel range.
const DefaultNoise = 0.5

// DAE is the image denoising autoencoder, the "image-dae" objective: every
// pixel of each image gets Gaussian noise of standard deviation Noise, the
// encoder sees all the noisy patches with their positions, and the decoder
// of the MAE (without its mask token: nothing is dropped) reconstructs the
// clean patches; the loss is the mean squared error over every patch, on
// per-patch-normalised pixels when Config.NormPix. Parameter names are the
// MAE's, so the encoder ("encoder.*") fine-tunes the same way.
type DAE struct {
	*MAE
	Noise float64
}

// NewDAE builds the denoising autoencoder from cfg (its MaskRatio is
// ignored) with noise σ and weights from rng.
func NewDAE(cfg Config, noise float64, seed uint64, rng *tensor.RNG) (*DAE, error) {
	if !(noise > 0) || noise > 10 || math.IsInf(noise, 0) {
		return nil, fmt.Errorf("image-dae: noise %g must be in (0, 10] (σ in normalised pixels)", noise)
	}
	cfg.MaskRatio = 0
	m, err := newAutoencoder("image-dae", cfg, seed, rng, false)
	if err != nil {
		return nil, err
	}
	return &DAE{MAE: m, Noise: noise}, nil
}

// NewDAEObjective is the registry factory: the options of mae (without
// mask_ratio) and noise (DefaultNoise).
func NewDAEObjective(tc task.Config) (task.Objective, error) {
	if _, ok := tc.Options["mask_ratio"]; ok {
		return nil, fmt.Errorf("image-dae: option mask_ratio does not apply (every patch is seen; use mae)")
	}
	c, aug, err := parseOptions(tc)
	noise := DefaultNoise
	if err == nil {
		noise, err = tc.Float("noise", noise)
	}
	if err != nil {
		return nil, fmt.Errorf("image-dae: %v", err)
	}
	m, err := NewDAE(c, noise, tc.Seed, tc.Rand())
	if err != nil {
		return nil, err
	}
	m.Collate.Augment = aug
	return m, nil
}

// Name implements task.Objective.
func (m *DAE) Name() string { return "image-dae" }

// Module implements task.Objective.
func (m *DAE) Module() nn.Module { return m }

// Loss implements task.Objective: the mean squared error over every patch,
// under b.Scope, with the noise drawn from (seed, epoch, step).
func (m *DAE) Loss(b *data.Batch) *tensor.Tensor {
	pred, target := m.Reconstruct(b, m.NoiseFor(b))
	return pred.Sub(target).Pow(2).Mean()
}

// NoiseFor draws the batch's noise, [B·C·H·W] in image layout. The draw
// depends only on the seed, epoch and step of the batch, so a resumed run
// draws the same noise.
func (m *DAE) NoiseFor(b *data.Batch) []float32 {
	rng := tensor.NewRNG(data.DeriveSeed(m.Seed, 0x646165, uint64(b.Epoch), uint64(b.Step)))
	z := make([]float32, len(m.checkImages(b)))
	for i := range z {
		z[i] = float32(m.Noise) * rng.NormFloat32()
	}
	return z
}

// Reconstruct runs the autoencoder on the batch's images plus noise (image
// layout, as NoiseFor) and returns the predictions for every patch and
// their clean targets, both [B, N, C·P·P].
func (m *DAE) Reconstruct(b *data.Batch, noise []float32) (pred, target *tensor.Tensor) {
	s := b.Scope
	ec := m.Config.Encoder
	img := m.checkImages(b)
	if len(noise) != len(img) {
		panic(&nn.ShapeError{Layer: "mae.DAE.Reconstruct", Shapes: [][]int{{len(img)}, {len(noise)}}, Msg: "noise must match the batch's images"})
	}
	noisy := make([]float32, len(img))
	for i, v := range img {
		noisy[i] = v + noise[i]
	}
	n, pd, dd := ec.NumPatches(), ec.PatchDim(), m.Config.DecDim
	in := vit.Patchify(noisy, b.Size, b.Channels, b.Height, b.Width, ec.Patch)
	tgt := vit.Patchify(img, b.Size, b.Channels, b.Height, b.Width, ec.Patch)
	if m.Config.NormPix {
		for p := 0; p < b.Size*n; p++ {
			normalise(tgt[p*pd : (p+1)*pd])
		}
	}
	x := m.Encoder.EmbedPatches(s, s.Use(tensor.FromFloat32s(in, b.Size, n, pd)), nil)
	h := m.Encoder.Forward(x)
	d := m.DecEmbed.Forward(h).Add(s.Use(tensor.FromFloat32s(m.decPos, 1, n, dd)))
	for _, blk := range m.DecBlocks {
		d = blk.Forward(d, nil)
	}
	return m.DecPred.Forward(m.DecNorm.Forward(d)), s.Use(tensor.FromFloat32s(tgt, b.Size, n, pd))
}

// String describes the objective.
func (m *DAE) String() string {
	c := m.Config
	return fmt.Sprintf("DAE(%v, dec=%d×%d/%d heads, noise=%g, normPix=%t, %d params)", c.Encoder, c.DecLayers, c.DecDim, c.DecHeads, m.Noise, c.NormPix, m.NumParams())
}
