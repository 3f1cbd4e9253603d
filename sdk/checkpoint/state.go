package checkpoint

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// File names inside a training checkpoint directory.
const (
	ModelFile     = "model.safetensors"
	OptimizerFile = "optimizer.safetensors"
	TrainerFile   = "trainer_state.json"
	ConfigFile    = "config.json"
)

// stepPrefix starts the name of every checkpoint directory: step-00000100.
const stepPrefix = "step-"

// TrainerState is the loop's own part of a checkpoint: where it stopped in
// the schedule and the data, and the states of its random generators. It
// holds no wall-clock values, so that a resumed run writes the same bytes as
// an uninterrupted one.
type TrainerState struct {
	Step     int     `json:"step"`             // optimizer steps taken
	Epoch    int     `json:"epoch"`            // 0-based epoch of the next batch
	Batch    int     `json:"batch"`            // batches consumed in that epoch
	Batches  int64   `json:"batches"`          // batches consumed in total (accumulation included)
	Tokens   int64   `json:"tokens"`           // tokens (or pairs) trained on
	LR       float64 `json:"lr"`               // learning rate of the last step
	Schedule string  `json:"schedule"`         // the schedule's String(), to detect a changed run
	Skipped  int     `json:"skipped_steps"`    // steps skipped by the NaN/Inf guard
	BadInRow int     `json:"nonfinite_in_row"` // current run of skipped steps
	// RNG maps a generator name to its tensor.RNG state.
	RNG map[string][2]uint64 `json:"rng,omitempty"`
	// Extra holds objective- or caller-defined values.
	Extra map[string]string `json:"extra,omitempty"`
}

// String summarises the state.
func (s TrainerState) String() string {
	return fmt.Sprintf("TrainerState{step=%d epoch=%d batch=%d lr=%g skipped=%d}", s.Step, s.Epoch, s.Batch, s.LR, s.Skipped)
}

// State is one training checkpoint: the model's and the optimizer's named
// tensors, the loop state, and the model configuration written as
// config.json (Hugging Face names such as "hidden_size").
type State struct {
	Model     map[string]*tensor.Tensor
	Optimizer map[string]*tensor.Tensor // nil: no optimizer file
	Trainer   TrainerState
	Config    map[string]any // nil: no config.json
}

// String summarises the checkpoint.
func (s *State) String() string {
	return fmt.Sprintf("checkpoint.State{%d model tensors, %d optimizer tensors, %v}", len(s.Model), len(s.Optimizer), s.Trainer)
}

// StepDir returns the directory name of the checkpoint of a step.
func StepDir(step int) string { return fmt.Sprintf("%s%08d", stepPrefix, step) }

// WriteJSON writes v as indented JSON to path atomically.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	return WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(b); return err })
}

// SaveState writes st as root/step-NNNNNNNN (NNNNNNNN = st.Trainer.Step)
// and returns that path. The directory is assembled under a temporary name
// and renamed into place, so it appears complete or not at all; an existing
// checkpoint of the same step is replaced. When keep > 0, only the keep
// newest checkpoints are kept afterwards.
func SaveState(root string, st *State, keep int) (string, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	final := filepath.Join(root, StepDir(st.Trainer.Step))
	tmp, err := os.MkdirTemp(root, StepDir(st.Trainer.Step)+tempMarker+"*")
	if err != nil {
		return "", err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	if err := Save(filepath.Join(tmp, ModelFile), st.Model, map[string]string{"format": "pt"}); err != nil {
		return "", err
	}
	if st.Optimizer != nil {
		if err := Save(filepath.Join(tmp, OptimizerFile), st.Optimizer, map[string]string{"format": "pt"}); err != nil {
			return "", err
		}
	}
	if st.Config != nil {
		if err := WriteJSON(filepath.Join(tmp, ConfigFile), st.Config); err != nil {
			return "", err
		}
	}
	// The trainer state goes last: its presence marks a complete checkpoint
	// even to a reader that ignored the temporary name.
	if err := WriteJSON(filepath.Join(tmp, TrainerFile), st.Trainer); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if _, err := os.Stat(final); err == nil {
		old := final + tempMarker + "old"
		os.RemoveAll(old)
		if err := os.Rename(final, old); err != nil {
			return "", err
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", err
	}
	ok = true
	if err := SyncDir(root); err != nil {
		return final, err
	}
	if keep > 0 {
		if err := Prune(root, keep); err != nil {
			return final, err
		}
	}
	return final, nil
}

// List returns the complete checkpoint directories under root, oldest step
// first. Temporaries of interrupted writes are not listed.
func List(root string) ([]string, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	type cp struct {
		step int
		path string
	}
	var cps []cp
	for _, e := range ents {
		name := e.Name()
		if !e.IsDir() || IsTemp(name) || !strings.HasPrefix(name, stepPrefix) {
			continue
		}
		step, err := strconv.Atoi(strings.TrimPrefix(name, stepPrefix))
		if err != nil {
			continue
		}
		p := filepath.Join(root, name)
		if _, err := os.Stat(filepath.Join(p, TrainerFile)); err != nil {
			continue
		}
		cps = append(cps, cp{step, p})
	}
	sort.Slice(cps, func(i, j int) bool { return cps[i].step < cps[j].step })
	out := make([]string, len(cps))
	for i, c := range cps {
		out[i] = c.path
	}
	return out, nil
}

// Latest returns the newest complete checkpoint under root, or "" when
// there is none.
func Latest(root string) (string, error) {
	l, err := List(root)
	if err != nil {
		if os.IsNotExist(err) {
			return "", nil
		}
		return "", err
	}
	if len(l) == 0 {
		return "", nil
	}
	return l[len(l)-1], nil
}

// Prune removes all but the keep newest checkpoints under root, and the
// temporaries of interrupted writes.
func Prune(root string, keep int) error {
	l, err := List(root)
	if err != nil {
		return err
	}
	for len(l) > keep {
		if err := os.RemoveAll(l[0]); err != nil {
			return err
		}
		l = l[1:]
	}
	_, err = CleanTemp(root)
	return err
}

// LoadState reads a checkpoint directory written by SaveState.
func LoadState(dir string) (*State, error) {
	st := &State{}
	b, err := os.ReadFile(filepath.Join(dir, TrainerFile))
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	if err := json.Unmarshal(b, &st.Trainer); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, TrainerFile), err)
	}
	if st.Model, _, err = Load(filepath.Join(dir, ModelFile)); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, OptimizerFile)); err == nil {
		if st.Optimizer, _, err = Load(filepath.Join(dir, OptimizerFile)); err != nil {
			return nil, err
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, ConfigFile)); err == nil {
		if err := json.Unmarshal(b, &st.Config); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ConfigFile), err)
		}
	}
	return st, nil
}
