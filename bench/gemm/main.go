// Command gemm prints this project's GEMM throughput in the format of the
// peer script shared/bench/sgemm.py (one block per kind and thread count), so
// that compare.py can put them side by side. Usage:
//
//	go run ./bench/gemm [-threads 1,2] [-samples 7] [-kinds f32,bf16] [-cputime]
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pretrain-go/pretrain/kernels"
)

func main() {
	threads := flag.String("threads", "1,2", "comma-separated thread counts")
	samples := flag.Int("samples", 7, "samples per shape (the median is reported)")
	kinds := flag.String("kinds", "f32,bf16", "comma-separated: f32, bf16")
	cpuTime := flag.Bool("cputime", false, "time with the process's CPU time instead of the wall clock (for 1 thread on a busy machine)")
	flag.Parse()
	clock := func() time.Duration { return time.Duration(0) }
	start := time.Now()
	if *cpuTime {
		clock = func() time.Duration {
			var ru syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	} else {
		clock = func() time.Duration { return time.Since(start) }
	}
	load, _ := os.ReadFile("/proc/loadavg")
	for _, ts := range strings.Split(*threads, ",") {
		t, err := strconv.Atoi(ts)
		if err != nil || t < 1 {
			fmt.Fprintln(os.Stderr, "gemm: bad -threads", ts)
			os.Exit(2)
		}
		for _, kind := range strings.Split(*kinds, ",") {
			fmt.Printf("# go_%s threads=%d tier=%s cputime=%v loadavg=%s\n", kind, t, kernels.Tier(), *cpuTime, strings.Join(strings.Fields(string(load))[:3], ","))
			fmt.Printf("%5s %5s %5s %8s %8s %8s  GFLOP/s\n", "M", "K", "N", "median", "min", "max")
			for _, s := range kernels.BenchShapes {
				r := kernels.BenchGEMMClock(s[0], s[1], s[2], t, kind == "bf16", *samples, 150*time.Millisecond, clock)
				fmt.Printf("%5d %5d %5d %8.1f %8.1f %8.1f\n", r.M, r.K, r.N, r.Median, r.Min, r.Max)
			}
		}
	}
}
