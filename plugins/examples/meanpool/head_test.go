package meanpool

import (
	"testing"

	"github.com/pretrain-go/pretrain/plugins/internal/plugintest"
	"github.com/pretrain-go/pretrain/sdk/task"
)

// The plugin compiles natively and fine-tunes a backbone.
func TestTrainsNatively(t *testing.T) {
	batches, classes, err := plugintest.LabeledBatches(8, 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	bb := plugintest.NewBackbone(16, 3)
	h, err := NewHead(bb, task.Config{Labels: classes, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	losses := plugintest.TrainHead(h, bb, batches, 96)
	first, last := mean(losses[:8]), mean(losses[88:])
	if !(last < first-0.3) {
		t.Fatalf("loss must fall: first epoch %.3f, last %.3f", first, last)
	}
	if got := h.Predict(batches[0]).Shape(); got[0] != 16 || got[1] != classes {
		t.Fatalf("Predict shape %v", got)
	}
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func TestNeedsLabels(t *testing.T) {
	if _, err := NewHead(plugintest.NewBackbone(4, 1), task.Config{Labels: 1}); err == nil {
		t.Fatal("one label must be refused")
	}
}
