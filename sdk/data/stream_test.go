package data

import (
	"bufio"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// writeCorpus streams a synthetic corpus of about size bytes into path:
// lines of pseudo-random words, with a blank line every 8 lines.
func writeCorpus(t testing.TB, path string, size int64) int64 {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := NewRNG(1)
	words := strings.Fields("the of and to a in that it was her not be she he his as had with for you which but very at my")
	var n int64
	var line []byte
	for i := 0; n < size; i++ {
		line = line[:0]
		nw := 5 + rng.Intn(20)
		for j := 0; j < nw; j++ {
			if j > 0 {
				line = append(line, ' ')
			}
			if rng.Intn(4) == 0 {
				line = strconv.AppendInt(line, int64(rng.Intn(100000)), 10)
			} else {
				line = append(line, words[rng.Intn(len(words))]...)
			}
		}
		line = append(line, '\n')
		if i%8 == 7 {
			line = append(line, '\n')
		}
		w.Write(line)
		n += int64(len(line))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return n
}

// hashEncode is a toy tokenizer: whitespace words hashed into 30k ids.
func hashEncode(s string) []int {
	var ids []int
	for _, f := range strings.Fields(s) {
		h := fnv.New32a()
		h.Write([]byte(f))
		ids = append(ids, 5+int(h.Sum32()%30000))
	}
	return ids
}

// TestStreamLargeCorpus streams a generated corpus end to end through the
// whole pipeline (documents, shuffle buffer, tokenizer, MLM collator,
// prefetch). Its size comes from PRETRAIN_STREAM_BYTES (e.g. 1e9 for the
// 1 GB acceptance run, measured with /usr/bin/time -v on the test binary);
// by default it runs on 4 MB.
func TestStreamLargeCorpus(t *testing.T) {
	size := int64(4 << 20)
	if s := os.Getenv("PRETRAIN_STREAM_BYTES"); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("PRETRAIN_STREAM_BYTES=%q: %v", s, err)
		}
		size = int64(f)
	} else if testing.Short() {
		size = 1 << 20
	}
	path := filepath.Join(t.TempDir(), "big.txt")
	written := writeCorpus(t, path, size)
	c, err := OpenCorpus(CorpusOptions{Mode: Documents}, path)
	if err != nil {
		t.Fatal(err)
	}
	mlm, _ := NewMLMCollator(DefaultMLMConfig(30005, 3, 0, 1, 2))
	l, err := NewLoader(context.Background(), LoaderConfig{Corpus: c, Encode: hashEncode, Collator: mlm,
		BatchSize: 32, MaxLen: 256, ShuffleBuffer: 4096, Seed: 1, Prefetch: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	start := time.Now()
	var batches, rows, tokens int
	var peakHeap uint64
	var ms runtime.MemStats
	for {
		b, err := l.Next()
		if err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
		batches++
		rows += b.Size
		tokens += sum(b.AttentionMask)
		if batches%1000 == 0 {
			runtime.ReadMemStats(&ms)
			peakHeap = max(peakHeap, ms.HeapInuse)
		}
	}
	el := time.Since(start)
	runtime.ReadMemStats(&ms)
	peakHeap = max(peakHeap, ms.HeapInuse)
	// Documents are 8 lines of about 62 bytes: about 500 bytes each.
	if rows < int(written/700) || rows > int(written/350) {
		t.Errorf("%d documents from %d bytes, want about %d", rows, written, written/500)
	}
	t.Logf("streamed %d bytes: %d documents, %d batches, %d tokens in %v (%.1f MB/s); heap in use peak %.1f MiB",
		written, rows, batches, tokens, el.Round(time.Millisecond), float64(written)/1e6/el.Seconds(), float64(peakHeap)/(1<<20))
	if peakHeap > 256<<20 {
		t.Errorf("heap in use reached %d MiB: memory is not flat", peakHeap>>20)
	}
}

// BenchmarkCorpusLines measures raw line streaming (plain and gzip) of a
// 16 MB generated file, in MB/s of decompressed text.
func BenchmarkCorpusLines(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "c.txt")
	n := writeCorpus(b, path, 16<<20)
	raw, _ := os.ReadFile(path)
	os.WriteFile(path+".gz", gzipBytes(b, string(raw)), 0o644)
	for _, name := range []string{"plain", "gzip"} {
		p := path
		if name == "gzip" {
			p += ".gz"
		}
		b.Run(name, func(b *testing.B) {
			c, _ := OpenCorpus(CorpusOptions{}, p)
			b.SetBytes(n)
			for b.Loop() {
				if err := c.Scan(context.Background(), func(Record) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoaderWorkers measures the whole pipeline (documents, shuffle,
// toy tokenizer, MLM collator) on an 8 MB file with 1 and 2 encoding
// workers, in MB/s of corpus text.
func BenchmarkLoaderWorkers(b *testing.B) {
	path := filepath.Join(b.TempDir(), "c.txt")
	n := writeCorpus(b, path, 8<<20)
	c, _ := OpenCorpus(CorpusOptions{Mode: Documents}, path)
	mlm, _ := NewMLMCollator(DefaultMLMConfig(30005, 3, 0))
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			b.SetBytes(n)
			for b.Loop() {
				l, _ := NewLoader(context.Background(), LoaderConfig{Corpus: c, Encode: hashEncode, Collator: mlm,
					BatchSize: 32, MaxLen: 256, ShuffleBuffer: 1024, Prefetch: 4, Workers: w})
				for {
					if _, err := l.Next(); err != nil {
						break
					}
				}
				l.Close()
			}
		})
	}
}
