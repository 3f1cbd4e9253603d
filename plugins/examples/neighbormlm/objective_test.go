package neighbormlm

import (
	"context"
	"testing"

	"github.com/pretrain-go/pretrain/plugins/internal/plugintest"
	"github.com/pretrain-go/pretrain/sdk/task"
)

// The plugin compiles natively and trains through the compiled loop.
func TestTrainsNatively(t *testing.T) {
	obj, err := NewObjective(plugintest.Config(1))
	if err != nil {
		t.Fatal(err)
	}
	losses, err := plugintest.Train(context.Background(), obj, 40, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(losses) != 4 || !(losses[3] < losses[0]-0.5) {
		t.Fatalf("loss must fall: %v", losses)
	}
}

func TestRejectsBadConfig(t *testing.T) {
	if _, err := NewObjective(task.Config{VocabSize: 2}); err == nil {
		t.Fatal("a 2-id vocabulary must be refused")
	}
	if _, err := NewObjective(task.Config{VocabSize: 300, Options: map[string]string{"dim": "x"}}); err == nil {
		t.Fatal("a malformed option must be refused")
	}
}
