package transfer

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pretrain-go/pretrain/builtin/finetune"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// TestPretrainedWinsCISize is the experiment at CI size: a small backbone
// pretrained for a few seconds must beat the same architecture trained from
// scratch on 100 Austen labels.
func TestPretrainedWinsCISize(t *testing.T) {
	out := t.TempDir()
	cfg := Config{Out: out, Vocab: envInt("TRANSFER_VOCAB", 1024), SeqLen: 48,
		PretrainSteps: envInt("TRANSFER_PRE", 120), PretrainBatch: 16,
		Budgets: []int{envInt("TRANSFER_BUDGET", 100)}, Seeds: []uint64{1},
		Steps: envInt("TRANSFER_STEPS", 60), EvalEvery: 20, EvalLimit: envInt("TRANSFER_EVAL", 240)}
	if testing.Verbose() {
		cfg.Progress = os.Stderr
	}
	rep, err := RunExperiment(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", rep)
	row := rep.Rows[0]
	if row.PreAcc <= row.ScratchAcc {
		t.Fatalf("pretrained %.3f did not beat scratch %.3f", row.PreAcc, row.ScratchAcc)
	}
	for _, f := range []string{ResultsJSON, ResultsMD, PlotSVG, "pretrained/model.safetensors", "pretrained/tokenizer.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Fatal(err)
		}
	}
	// The saved backbone loads back for `pretrain finetune --from`.
	pre, err := finetune.LoadPretrained(filepath.Join(out, "pretrained"))
	if err != nil {
		t.Fatal(err)
	}
	if pre.Backbone.Config.Dim != 128 || pre.Tokens.Vocab != cfg.Vocab {
		t.Fatalf("reloaded %v", pre)
	}
}
