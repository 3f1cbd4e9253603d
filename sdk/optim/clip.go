package optim

import (
	"math"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// GradNorm returns the L2 norm of all the gradients of params together
// (parameters without a gradient count as zero).
func GradNorm(params []*tensor.Tensor) float32 {
	var ss float64
	for _, p := range params {
		if g := p.Grad(); g != nil {
			for _, v := range g.Data() {
				ss += float64(v) * float64(v)
			}
		}
	}
	return float32(math.Sqrt(ss))
}

// ClipGradNorm scales the gradients of params so that their joint L2 norm
// is at most maxNorm, as torch.nn.utils.clip_grad_norm_ (factor
// maxNorm/(norm+1e-6), applied only when below 1), and returns the norm
// before clipping. A NaN or infinite norm is returned without scaling, so
// the caller can skip the step.
func ClipGradNorm(params []*tensor.Tensor, maxNorm float32) float32 {
	if maxNorm <= 0 || maxNorm != maxNorm {
		panicConfig("ClipGradNorm", "max norm must be > 0, got %v", maxNorm)
	}
	norm := GradNorm(params)
	if math.IsNaN(float64(norm)) || math.IsInf(float64(norm), 0) {
		return norm
	}
	coef := float32(float64(maxNorm) / (float64(norm) + 1e-6))
	if coef >= 1 {
		return norm
	}
	for _, p := range params {
		if g := p.Grad(); g != nil {
			d := g.Data()
			for i := range d {
				d[i] *= coef
			}
		}
	}
	return norm
}
