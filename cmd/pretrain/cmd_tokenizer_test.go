package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokenizerCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	corpus := filepath.Join(dir, "c.txt.gz")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Repeat("the cat sat on the mat. the dog sat on the log.\n", 40)))
	zw.Close()
	if err := os.WriteFile(corpus, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tj := filepath.Join(dir, "tok.json")
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"tokenizer", "train", "-vocab", "270", "-special", "<|endoftext|>", "-o", tj, corpus}, &out, &errb); code != 0 {
		t.Fatalf("train exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "vocab 270") {
		t.Errorf("train output %q", out.String())
	}
	out.Reset()
	if code := run(ctx, []string{"tokenizer", "encode", "-t", tj, "the cat sat<|endoftext|>"}, &out, &errb); code != 0 {
		t.Fatalf("encode exit %d: %s", code, errb.String())
	}
	ids := strings.TrimSpace(out.String())
	if !strings.HasSuffix(ids, " 0") || len(strings.Fields(ids)) > 5 {
		t.Errorf("encode printed %q", ids)
	}
	out.Reset()
	if code := run(ctx, append([]string{"tokenizer", "decode", "-t", tj}, strings.Fields(ids)...), &out, &errb); code != 0 {
		t.Fatalf("decode exit %d: %s", code, errb.String())
	}
	if got := strings.TrimSuffix(out.String(), "\n"); got != "the cat sat<|endoftext|>" {
		t.Errorf("decode printed %q", got)
	}
	out.Reset()
	conv := filepath.Join(dir, "conv.json")
	if code := run(ctx, []string{"tokenizer", "convert", "-t", tj, "-o", conv}, &out, &errb); code != 0 {
		t.Fatalf("convert exit %d: %s", code, errb.String())
	}
	if data, err := os.ReadFile(conv); err != nil || !bytes.Contains(data, []byte(`"type": "BPE"`)) {
		t.Errorf("converted file: %v %.80q", err, data)
	}
	// Errors: bad usage, missing files, bad ids.
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"tokenizer"}, 2, "Usage"},
		{[]string{"tokenizer", "frob"}, 2, "unknown subcommand"},
		{[]string{"tokenizer", "encode", "x"}, 2, "-t is required"},
		{[]string{"tokenizer", "encode", "-t", filepath.Join(dir, "missing.json"), "x"}, 1, "missing.json"},
		{[]string{"tokenizer", "decode", "-t", tj, "1", "x"}, 1, "not a non-negative integer"},
		{[]string{"tokenizer", "train", "-o", tj, filepath.Join(dir, "none.txt")}, 1, "none.txt"},
	} {
		out.Reset()
		errb.Reset()
		if code := run(ctx, c.args, &out, &errb); code != c.code || !strings.Contains(errb.String(), c.msg) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", c.args, code, errb.String(), c.code, c.msg)
		}
	}
}
