package tensor

import (
	"math"
	"strconv"
	"strings"
)

// Printing follows PyTorch: all values up to printThreshold elements, and
// otherwise the first and last printEdge items of every dimension.
const (
	printThreshold = 1000
	printEdge      = 3
)

func formatFloat(v float32) string {
	switch {
	case math.IsNaN(float64(v)):
		return "nan"
	case math.IsInf(float64(v), 1):
		return "inf"
	case math.IsInf(float64(v), -1):
		return "-inf"
	}
	a := math.Abs(float64(v))
	if a != 0 && (a < 1e-4 || a >= 1e6) {
		return strconv.FormatFloat(float64(v), 'e', 4, 32)
	}
	return strconv.FormatFloat(float64(v), 'f', 4, 32)
}

// String prints the values (summarised when large), the shape, the dtype
// and, for a recorded result, the operation that produced it, e.g.
//
//	tensor([[1.0000, 2.0000],
//	        [3.0000, 4.0000]], shape=[2,2], dtype=f32, requires_grad)
func (t *Tensor) String() string {
	if t == nil {
		return "tensor(nil)"
	}
	var b strings.Builder
	b.WriteString("tensor(")
	vals := t.Float32s()
	summarise := len(vals) > printThreshold
	writeNested(&b, vals, t.shape, 0, 0, summarise, len("tensor("))
	b.WriteString(", shape=")
	b.WriteString(shapeString(t.shape))
	b.WriteString(", dtype=")
	b.WriteString(t.dtype.String())
	if t.node != nil {
		b.WriteString(", grad_fn=" + t.node.op)
	} else if t.requiresGrad {
		b.WriteString(", requires_grad")
	}
	b.WriteByte(')')
	return b.String()
}

func writeNested(b *strings.Builder, vals []float32, shape []int, dim, off int, summarise bool, indent int) {
	if len(shape) == 0 {
		b.WriteString(formatFloat(vals[0]))
		return
	}
	n := shape[dim]
	stride := 1
	for _, d := range shape[dim+1:] {
		stride *= d
	}
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if summarise && n > 2*printEdge && i == printEdge {
			if dim == len(shape)-1 {
				b.WriteString("..., ")
			} else {
				b.WriteString("...,\n" + strings.Repeat(" ", indent+dim+1))
			}
			i = n - printEdge
		}
		if dim == len(shape)-1 {
			b.WriteString(formatFloat(vals[off+i]))
		} else {
			writeNested(b, vals, shape, dim+1, off+i*stride, summarise, indent)
		}
		if i < n-1 {
			if dim == len(shape)-1 {
				b.WriteString(", ")
			} else {
				b.WriteString(",\n" + strings.Repeat(" ", indent+dim+1))
			}
		}
	}
	b.WriteByte(']')
}
