package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/checkpoint"
)

func TestEmbedCommand(t *testing.T) {
	dir := bertCheckpoint(t)
	ctx := context.Background()
	in := filepath.Join(t.TempDir(), "lines.txt")
	if err := os.WriteFile(in, []byte("the cat sat\n\nthe dog\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"embed", dir, in}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 JSON lines, got %q", out.String())
	}
	var rec struct {
		Text   string
		Vector []float32
	}
	if err := json.Unmarshal([]byte(lines[1]), &rec); err != nil || rec.Text != "the dog" || len(rec.Vector) != 16 {
		t.Errorf("record %q: %v", lines[1], err)
	}
	st := filepath.Join(t.TempDir(), "v.safetensors")
	if code := run(ctx, []string{"embed", "--pooling", "cls", "--out", st, dir, in}, &out, &errb); code != 0 {
		t.Fatalf("safetensors exit %d: %s", code, errb.String())
	}
	ts, meta, err := checkpoint.Load(st)
	if err != nil || meta["pooling"] != "cls" {
		t.Fatal(err, meta)
	}
	if s := ts["embeddings"].Shape(); len(s) != 2 || s[0] != 2 || s[1] != 16 {
		t.Errorf("embeddings shape %v", s)
	}
	// A GPT checkpoint with last-token pooling.
	out.Reset()
	if code := run(ctx, []string{"embed", "--pooling", "last", "--text", "hello", gptCheckpoint(t)}, &out, &errb); code != 0 || !strings.Contains(out.String(), `"text":"hello"`) {
		t.Errorf("gpt exit %d: %q %s", code, out.String(), errb.String())
	}
	errb.Reset()
	if code := run(ctx, []string{"embed", "--pooling", "max", dir, in}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "pooling") {
		t.Errorf("bad pooling: exit %d, %q", code, errb.String())
	}
	if code := run(ctx, []string{"embed", dir, filepath.Join(dir, "missing.txt")}, &out, &errb); code != 1 {
		t.Errorf("missing input: exit %d", code)
	}
}
