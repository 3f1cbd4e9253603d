package vit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Save writes the model into dir as model.safetensors and config.json
// (each atomically), the layout `pretrain finetune --from` and `transfer
// --images --from` read.
func (m *Model) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := checkpoint.Save(filepath.Join(dir, checkpoint.ModelFile), m.StateDict(), map[string]string{"arch": "vit"}); err != nil {
		return err
	}
	return checkpoint.WriteJSON(filepath.Join(dir, checkpoint.ConfigFile), m.Config.ConfigMap())
}

// IsSaved reports whether dir holds a saved ViT (its config.json says
// arch "vit").
func IsSaved(dir string) bool {
	raw, err := os.ReadFile(filepath.Join(dir, checkpoint.ConfigFile))
	if err != nil {
		return false
	}
	var m map[string]any
	return json.Unmarshal(raw, &m) == nil && m["arch"] == "vit"
}

// Load reads a model written by Save; a missing file, a bad config or a
// weight of the wrong shape is an error naming the path.
func Load(dir string) (*Model, error) {
	cpath := filepath.Join(dir, checkpoint.ConfigFile)
	raw, err := os.ReadFile(cpath)
	if err != nil {
		return nil, err
	}
	var cm map[string]any
	if err := json.Unmarshal(raw, &cm); err != nil {
		return nil, fmt.Errorf("%s: %v", cpath, err)
	}
	cfg, err := ConfigFromMap(cm)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", cpath, err)
	}
	sd, _, err := checkpoint.Load(filepath.Join(dir, checkpoint.ModelFile))
	if err != nil {
		return nil, err
	}
	m, err := New(cfg, tensor.NewRNG(1))
	if err != nil {
		return nil, err
	}
	if err := m.LoadStateDict(sd); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, checkpoint.ModelFile), err)
	}
	return m, nil
}
