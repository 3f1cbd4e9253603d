// Command allreduce measures dist.Comm's all-reduce bandwidth against a
// memory copy of the same size. Run it under mpirun from a binary built with
// the mpi tag (bench/dist/run.sh does):
//
//	go build -tags mpi -o /tmp/allreduce ./bench/dist/allreduce
//	mpirun -np 2 /tmp/allreduce
//
// Rank 0 prints one markdown row per size: the median time of one
// all-reduce (sum, in place) and of one copy, the all-reduce's algorithm
// bandwidth (bytes / time) and bus bandwidth (2(n-1)/n × bytes / time, what
// a ring all-reduce moves per rank), and the ratio to copy's bandwidth.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/pretrain-go/pretrain/sdk/dist"
)

func main() {
	trials := flag.Int("trials", 5, "timed trials per size (the median is reported)")
	flag.Parse()
	c, err := dist.Init(time.Minute)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lead := c.Rank() == 0
	if lead {
		if c.Size() == 1 {
			fmt.Println("warning: a world of 1 (not under mpirun, or built without -tags mpi): all-reduce is a no-op")
		}
		fmt.Printf("%d ranks; %v\n\n", c.Size(), c)
		fmt.Println("| size | all-reduce | copy | all-reduce algbw | busbw | copy bw | all-reduce / copy |")
		fmt.Println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	}
	for _, mb := range []int{1, 2, 4, 8, 16, 32, 64} {
		n := mb << 20 / 4
		buf := make([]float32, n)
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(i % 97)
		}
		copy(buf, src)
		reps := max(3, 256/mb)
		ar := median(*trials, func() time.Duration {
			if err := c.Barrier(); err != nil {
				fail(err)
			}
			t := time.Now()
			for range reps {
				if err := c.AllreduceF32(buf, dist.Sum); err != nil {
					fail(err)
				}
			}
			return time.Since(t) / time.Duration(reps)
		})
		cp := median(*trials, func() time.Duration {
			t := time.Now()
			for range reps {
				copy(buf, src)
			}
			return time.Since(t) / time.Duration(reps)
		})
		if lead {
			bytes := float64(n * 4)
			alg := bytes / ar.Seconds() / 1e9
			bus := alg * 2 * float64(c.Size()-1) / float64(c.Size())
			cbw := bytes / cp.Seconds() / 1e9
			fmt.Printf("| %d MB | %s | %s | %.2f GB/s | %.2f GB/s | %.2f GB/s | %.2f× |\n",
				mb, ar.Round(time.Microsecond), cp.Round(time.Microsecond), alg, bus, cbw, alg/cbw)
		}
	}
	if err := c.Close(); err != nil {
		fail(err)
	}
}

func median(trials int, f func() time.Duration) time.Duration {
	ts := make([]time.Duration, trials)
	for i := range ts {
		ts[i] = f()
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	return ts[len(ts)/2]
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
