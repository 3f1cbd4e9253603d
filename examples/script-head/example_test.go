package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
)

// Example fine-tunes with a head defined by a script.
func Example() {
	if err := run(context.Background(), sampleScript, os.Stdout, io.Discard); err != nil {
		panic(err)
	}
	// Output: head script-maxpool trained 40 steps; 3 labels
}

func TestBadScript(t *testing.T) {
	err := LoadScriptHead(context.Background(), "bad-head", "package main\n\nfunc NewHead() int { return 1 }\n", io.Discard)
	if err == nil || !strings.Contains(err.Error(), "want func") {
		t.Fatalf("err = %v", err)
	}
}
