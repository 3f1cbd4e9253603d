package plugins

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/plugins/internal/plugintest"
	"github.com/pretrain-go/pretrain/sdk/task"
)

func TestObjectivePluginTrainsThroughTrainer(t *testing.T) {
	p, err := Load("examples/neighbormlm", Options{})
	require.NoError(t, err)
	r := task.NewRegistry()
	require.NoError(t, p.Register(r))
	require.Equal(t, []string{"neighbor-mlm"}, r.Objectives())
	obj, err := r.NewObjective("neighbor-mlm", plugintest.Config(1))
	require.NoError(t, err)
	losses, err := plugintest.Train(context.Background(), obj, 60, 10)
	require.NoError(t, err)
	t.Logf("losses %v", losses)
	require.Len(t, losses, 6)
	require.Less(t, losses[len(losses)-1], losses[0]-0.5, "the loss must fall")
}
