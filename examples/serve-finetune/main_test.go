package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/builtin/corpus"
	"github.com/pretrain-go/pretrain/builtin/finetune"
	"github.com/pretrain-go/pretrain/builtin/gpt"
)

func smallConfig() Config {
	return Config{Addr: "127.0.0.1:0", Train: 60, Eval: 30, Steps: 40, EvalEvery: 10, Seed: 3,
		GPT: gpt.Config{VocabSize: finetune.ByteVocab, ContextLen: 48, Dim: 32, Layers: 1, Heads: 2}}
}

var texts = []string{
	"It is a truth universally acknowledged, that a single man in possession of a good fortune",
	"Emma Woodhouse, handsome, clever, and rich, with a comfortable home and happy disposition",
	"The family of Dashwood had long been settled in Sussex.",
}

func post(t *testing.T, url string, body string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(url+"/predict", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

// startServer serves a new Server on a free port of 127.0.0.1 until the
// test ends and returns it with its base URL.
func startServer(t *testing.T) (*Server, string) {
	t.Helper()
	s, err := NewServer(smallConfig())
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: s.Handler()}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s, "http://" + ln.Addr().String()
}

// TestServesWhileFineTuning fine-tunes in the background while four
// clients keep asking for predictions over HTTP on 127.0.0.1: every answer
// is complete, each client sees snapshots in publishing order, and at the end
// the server answers exactly what the last snapshot predicts offline.
func TestServesWhileFineTuning(t *testing.T) {
	s, url := startServer(t)

	trained := make(chan error, 1)
	go func() { trained <- s.FineTune(context.Background()) }()

	body, err := json.Marshal(PredictRequest{Texts: texts})
	require.NoError(t, err)
	labels := map[string]bool{}
	for _, n := range corpus.AustenLabels().Names() {
		labels[n] = true
	}
	var wg sync.WaitGroup
	steps := make([][]int, 4)
	for c := range steps {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for !s.done.Load() || len(steps[c]) == 0 {
				resp, b := post(t, url, string(body))
				if !assert.Equal(t, http.StatusOK, resp.StatusCode, string(b)) {
					return
				}
				var pr PredictResponse
				if !assert.NoError(t, json.Unmarshal(b, &pr)) || !assert.Len(t, pr.Predictions, len(texts)) {
					return
				}
				for _, p := range pr.Predictions {
					assert.True(t, labels[p.Label], "label %q", p.Label)
					assert.True(t, p.Probability > 0 && p.Probability <= 1, "probability %v", p.Probability)
				}
				steps[c] = append(steps[c], pr.Version)
			}
		}(c)
	}
	require.NoError(t, <-trained)
	wg.Wait()
	served, versions := 0, map[int]bool{}
	for c, st := range steps {
		for _, v := range st {
			versions[v] = true
		}
		served += len(st)
		for i := 1; i < len(st); i++ {
			assert.LessOrEqual(t, st[i-1], st[i], "client %d went back to an older snapshot", c)
		}
	}
	t.Logf("%d requests answered from %d snapshots while fine-tuning 40 steps", served, len(versions))
	assert.Greater(t, len(versions), 1, "the clients saw the model change")

	var st Status
	resp, err := http.Get(url + "/status")
	require.NoError(t, err)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	resp.Body.Close()
	assert.True(t, st.Done)
	assert.Empty(t, st.Error)
	assert.Equal(t, int64(served*len(texts)), st.Served)
	snap := s.Latest()
	assert.Equal(t, snap.Version, st.Version)
	assert.Equal(t, snap.Step, st.Step)
	assert.GreaterOrEqual(t, snap.Version, 5, "every evaluation (10, 20, 30, 40) and the final model were published")
	assert.Positive(t, snap.Step, "a trained snapshot is served at the end")

	_, b := post(t, url, string(body))
	var pr PredictResponse
	require.NoError(t, json.Unmarshal(b, &pr))
	for i, p := range snap.Model.Predict(texts) {
		assert.Equal(t, p.Label, pr.Predictions[i].Label)
		assert.Equal(t, p.Probs[p.ID], pr.Predictions[i].Probability)
	}
}

// TestBadRequests: malformed and oversized requests get a 400 with a
// message, never a crash.
func TestBadRequests(t *testing.T) {
	_, url := startServer(t)
	for _, body := range []string{"not json", `{"texts": []}`, `{"texts": ` + strings.Repeat(`"a",`, maxTexts) + `"a"]}`} {
		resp, b := post(t, url, body)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
		assert.Contains(t, string(b), "predict:")
	}
}

// TestRunStopsOnCancel starts the whole program and stops it.
func TestRunStopsOnCancel(t *testing.T) {
	cfg := smallConfig()
	cfg.Steps = 1000
	addr := make(chan string, 1)
	cfg.Ready = func(a string) { addr <- a }
	ctx, cancel := context.WithCancel(context.Background())
	var log bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, &log) }()
	url := "http://" + <-addr
	resp, err := http.Get(url + "/status")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
	assert.Contains(t, log.String(), "serving on http://127.0.0.1:")
}
