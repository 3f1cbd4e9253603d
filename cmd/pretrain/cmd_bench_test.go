package main

import (
	"strings"
	"testing"
)

func TestBenchKernels(t *testing.T) {
	code, out, errs := runCLI(t, "bench", "kernels", "--threads", "1", "--samples", "1", "--min-sample", "1ms", "--kinds", "f32")
	if code != 0 {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
	if !strings.Contains(out, "kernel tier: ") || !strings.Contains(out, "2048×2048×2048") || !strings.Contains(out, "GFLOP/s") {
		t.Fatalf("output lacks the tier or a shape:\n%s", out)
	}
	if code, _, errs := runCLI(t, "bench", "gpus"); code != 2 || !strings.Contains(errs, "bench kernels") {
		t.Fatalf("unknown bench target: code %d, stderr %q", code, errs)
	}
	if code, _, errs := runCLI(t, "bench", "kernels", "--kinds", "f64"); code != 1 || !strings.Contains(errs, "f64") {
		t.Fatalf("bad kind: code %d, stderr %q", code, errs)
	}
}
