package hf

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzConfig: any config.json is parsed into an SDK configuration or an
// *Error, never a panic.
func FuzzConfig(f *testing.F) {
	for _, d := range []string{"gpt2", "bert-mlm", "bert-cls"} {
		b, err := os.ReadFile(filepath.Join("testdata", d, ConfigFile))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"model_type":"gpt2","n_embd":-1}`))
	f.Add([]byte(`{"model_type":"bert","architectures":[3],"id2label":{"x":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseConfig("config.json", data)
		if err != nil {
			return
		}
		mt, arch, err := c.architecture()
		if err != nil {
			return
		}
		if mt == "gpt2" {
			c.gpt2Config()
			return
		}
		if _, err := c.bertConfig(arch); err == nil {
			c.labels()
		}
	})
}
