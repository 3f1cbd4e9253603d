package lm

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pretrain-go/pretrain/builtin/hf"
	"github.com/pretrain-go/pretrain/sdk/tokenizer"
)

// HFModel turns the checkpoint of a `pretrain train` run into an hf.Model
// for hf.Save: a clm run becomes a GPT-2, an mlm, electra (its
// discriminator) or contrastive run a BERT, with the run's tokenizer.json
// (when the directory has one) and the special ids of its config.json.
// Only encoders trained with the option arch=bert (post-LN) have a Hugging
// Face BERT equivalent; hf.Save reports the others.
func (c *Checkpoint) HFModel() (*hf.Model, error) {
	if c.HF != nil { // a Hugging Face directory: as it was read
		return c.HF, nil
	}
	m := &hf.Model{Special: map[string]int{}}
	switch mt, _ := c.Config["model_type"].(string); mt {
	case "clm":
		g, err := c.GPT()
		if err != nil {
			return nil, err
		}
		m.GPT = g
	case "mlm", "electra", "contrastive":
		b, err := c.BERT()
		if err != nil {
			return nil, err
		}
		m.BERT = b
	default:
		return nil, fmt.Errorf("%s: model_type %q: only clm, mlm, electra and contrastive runs export to Hugging Face", c.Path, mt)
	}
	for k, v := range c.Config {
		if role, ok := strings.CutSuffix(k, "_token_id"); ok {
			if id, ok := v.(float64); ok && id >= 0 {
				m.Special[role] = int(id)
			}
		}
	}
	if st, err := os.Stat(c.Path); err == nil && st.IsDir() {
		p := filepath.Join(c.Path, hf.TokenizerFile)
		tok, err := tokenizer.Load(p)
		switch {
		case err == nil:
			m.Tokenizer = tok
		case !errors.Is(err, fs.ErrNotExist):
			return nil, err
		}
	}
	return m, nil
}

// readHF reads a Hugging Face directory as a Checkpoint: the model and
// tokenizer from hf.Load, the SDK's config keys derived from them.
func readHF(dir string) (*Checkpoint, error) {
	m, err := hf.Load(dir)
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{Path: dir, Tensors: m.Module().StateDict(), HF: m, Config: map[string]any{}}
	switch {
	case m.GPT != nil:
		c.Config["model_type"] = "clm"
		c.Config["n_head"] = float64(m.GPT.Config.Heads)
	case m.BERT != nil:
		c.Config["model_type"] = "mlm"
		c.Config["num_attention_heads"] = float64(m.BERT.Config.Heads)
	}
	for role, id := range m.Special {
		c.Config[role+"_token_id"] = float64(id)
	}
	return c, nil
}
