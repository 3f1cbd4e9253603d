package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pretrain-go/pretrain/kernels"
)

func init() {
	register(&command{
		Name:    "bench",
		Summary: "measure the kernels on this machine: `pretrain bench kernels` (GEMM GFLOP/s per shape, f32 and bf16)",
		Run:     runBench,
	})
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "kernels" {
		fmt.Fprintln(stderr, "Usage: pretrain bench kernels [flags]   (bench/run_gemm.sh runs the peers beside it)")
		return errUsage
	}
	fs := newFlagSet("bench kernels", "[flags]", stderr)
	threadList := fs.String("threads", "1,2", "comma-separated thread counts")
	samples := fs.Int("samples", 5, "samples per shape (the median is reported)")
	minSample := fs.Duration("min-sample", 150*time.Millisecond, "minimum length of one sample")
	kinds := fs.String("kinds", "f32,bf16", "f32, bf16 or both")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	var threads []int
	for _, s := range strings.Split(*threadList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("--threads: %q is not a positive thread count", s)
		}
		threads = append(threads, n)
	}
	if *samples < 1 {
		return fmt.Errorf("--samples must be at least 1")
	}
	var bf16s []bool
	for _, k := range strings.Split(*kinds, ",") {
		switch strings.TrimSpace(k) {
		case "f32":
			bf16s = append(bf16s, false)
		case "bf16":
			bf16s = append(bf16s, true)
		default:
			return fmt.Errorf("--kinds: unknown kind %q (want f32 or bf16)", k)
		}
	}
	fmt.Fprintf(stdout, "kernel tier: %s\n\n%-6s %-5s %-18s %10s %10s %10s\n", kernels.Tier(), "kind", "thr", "M×K×N", "median", "min", "max")
	for _, bf := range bf16s {
		kind := "f32"
		if bf {
			kind = "bf16"
		}
		for _, t := range threads {
			for _, s := range kernels.BenchShapes {
				if err := ctx.Err(); err != nil {
					return err
				}
				r := kernels.BenchGEMM(s[0], s[1], s[2], t, bf, *samples, *minSample)
				fmt.Fprintf(stdout, "%-6s %-5d %-18s %10.1f %10.1f %10.1f  GFLOP/s\n", kind, t,
					fmt.Sprintf("%d×%d×%d", s[0], s[1], s[2]), r.Median, r.Min, r.Max)
			}
		}
	}
	return nil
}
