// Command serve-finetune is a host program that serves predictions over
// HTTP while it fine-tunes the model behind them in the background: the
// pattern the SDK's explicit tensor scopes make safe (see the package docs
// of sdk/tensor). The trainer goroutine owns the model it updates; after
// every evaluation it publishes a copy of the weights, and request
// goroutines predict from the newest published copy under their own NoGrad
// scopes, so requests never wait for training and never see a half-updated
// model.
//
//	go run ./examples/serve-finetune                       # a fresh byte-level GPT on the Austen task
//	go run ./examples/serve-finetune -from runs/transfer/pretrained -addr 127.0.0.1:8080
//	curl -s 127.0.0.1:8080/status
//	curl -s -d '{"texts":["It is a truth universally acknowledged"]}' 127.0.0.1:8080/predict
//
// The task is the Austen classification of `pretrain transfer` ("which
// novel is this paragraph from"); -from takes a backbone made by
// `pretrain train --objective clm` or `pretrain transfer`.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pretrain-go/pretrain/builtin/corpus"
	"github.com/pretrain-go/pretrain/builtin/finetune"
	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Config sizes a run.
type Config struct {
	Addr      string // listen address; keep it on loopback unless you mean it
	From      string // pretrained backbone directory; "" for a fresh byte-level GPT
	Train     int    // labeled training examples (taken in order, stratified by novel)
	Eval      int    // held-out examples scored at each evaluation
	Steps     int    // fine-tuning steps
	EvalEvery int    // evaluate and publish every N steps
	Seed      uint64
	GPT       gpt.Config // the fresh backbone's shape, when From is ""
	// Ready, when set, receives the bound address once the server listens.
	Ready func(addr string)
}

// DefaultConfig is a run of a few minutes on two cores.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:8080", Train: 500, Eval: 200, Steps: 300, EvalEvery: 25, Seed: 1,
		GPT: gpt.Config{VocabSize: finetune.ByteVocab, ContextLen: 128, Dim: 64, Layers: 2, Heads: 2}}
}

// Snapshot is one published model: a copy of the trainer's weights after
// an evaluation, in evaluation mode and never updated again.
type Snapshot struct {
	Model    *finetune.Model
	Version  int // 0 for the untrained model, then 1, 2, ... in publishing order
	Step     int // the training step its weights come from
	Accuracy float64
}

// Server fine-tunes one model and serves predictions from its snapshots.
type Server struct {
	cfg     Config
	latest  atomic.Pointer[Snapshot]
	done    atomic.Bool
	failed  atomic.Pointer[error]
	served  atomic.Int64
	trainer *finetune.Model // owned by the training goroutine
	newCopy func() (*finetune.Model, error)
}

// NewServer builds the model to fine-tune and an untrained first snapshot.
func NewServer(cfg Config) (*Server, error) {
	s := &Server{cfg: cfg}
	labels := corpus.AustenLabels()
	build := func() (*finetune.Model, error) {
		var bb finetune.Backbone
		tokens := finetune.ByteTokens()
		if cfg.From != "" {
			p, err := finetune.LoadPretrained(cfg.From)
			if err != nil {
				return nil, err
			}
			bb, tokens = p.Backbone, p.Tokens
		} else {
			g, err := gpt.New(cfg.GPT, tensor.NewRNG(cfg.Seed))
			if err != nil {
				return nil, err
			}
			bb = finetune.NewGPT(g)
		}
		return finetune.NewModel(bb, tokens, "classify", nil, labels, 0, cfg.Seed)
	}
	var err error
	if s.trainer, err = build(); err != nil {
		return nil, err
	}
	s.newCopy = build
	if err := s.publish(0, 0); err != nil {
		return nil, err
	}
	return s, nil
}

// publish copies the trainer's weights into a fresh model and makes it the
// one requests use. It runs on the training goroutine between steps.
func (s *Server) publish(step int, acc float64) error {
	m, err := s.newCopy()
	if err != nil {
		return err
	}
	if err := m.Module().LoadStateDict(s.trainer.Module().StateDict()); err != nil {
		return err
	}
	m.Train(false)
	version := 0
	if prev := s.latest.Load(); prev != nil {
		version = prev.Version + 1
	}
	s.latest.Store(&Snapshot{Model: m, Version: version, Step: step, Accuracy: acc})
	return nil
}

// Latest returns the newest published snapshot.
func (s *Server) Latest() *Snapshot { return s.latest.Load() }

// FineTune runs the fine-tuning to the end (or until ctx is cancelled),
// publishing a snapshot after every evaluation and at the end.
func (s *Server) FineTune(ctx context.Context) error {
	defer s.done.Store(true)
	all, _, err := corpus.AustenClassification("train")
	if err != nil {
		return err
	}
	held, _, err := corpus.AustenClassification("eval")
	if err != nil {
		return err
	}
	train := spread(all, s.cfg.Train)
	eval := spread(held, s.cfg.Eval)
	var publishErr error
	cfg := finetune.Config{Steps: s.cfg.Steps, EvalEvery: s.cfg.EvalEvery, Seed: s.cfg.Seed, LR: 1e-3,
		OnEval: func(p finetune.EvalPoint) {
			if err := s.publish(p.Step, p.Accuracy); err != nil && publishErr == nil {
				publishErr = err
			}
		}}
	res, err := finetune.Run(ctx, s.trainer, train, eval, cfg)
	if err != nil {
		s.failed.Store(&err)
		return err
	}
	if publishErr != nil {
		return publishErr
	}
	// Run leaves the best evaluated weights in the model: serve those.
	return s.publish(res.BestStep, res.Best.Accuracy)
}

// spread takes n examples evenly spaced through ex (ex is ordered by novel,
// so every novel is represented).
func spread(ex []data.Example, n int) []data.Example {
	if n <= 0 || n >= len(ex) {
		return ex
	}
	out := make([]data.Example, n)
	for i := range out {
		out[i] = ex[i*len(ex)/n]
	}
	return out
}

// PredictRequest is the body of POST /predict.
type PredictRequest struct {
	Texts []string `json:"texts"`
}

// Prediction is one text's answer.
type Prediction struct {
	Label       string  `json:"label"`
	Probability float32 `json:"probability"`
}

// PredictResponse names the snapshot that answered.
type PredictResponse struct {
	Version     int          `json:"version"`
	Step        int          `json:"step"`
	Predictions []Prediction `json:"predictions"`
}

// Status is the body of GET /status.
type Status struct {
	Version  int     `json:"version"`  // the served snapshot, counted in publishing order
	Step     int     `json:"step"`     // the training step its weights come from
	Accuracy float64 `json:"accuracy"` // its held-out accuracy (0 before the first evaluation)
	Done     bool    `json:"done"`     // fine-tuning has finished
	Error    string  `json:"error,omitempty"`
	Served   int64   `json:"served"` // texts classified so far
}

// maxTexts bounds one request, so that a client cannot make the server
// hold an arbitrary batch.
const maxTexts = 256

// Handler serves /predict and /status.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /predict", func(w http.ResponseWriter, r *http.Request) {
		var req PredictRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
			http.Error(w, "predict: body must be JSON {\"texts\": [...]}: "+err.Error(), http.StatusBadRequest)
			return
		}
		if len(req.Texts) == 0 || len(req.Texts) > maxTexts {
			http.Error(w, fmt.Sprintf("predict: send 1 to %d texts, got %d", maxTexts, len(req.Texts)), http.StatusBadRequest)
			return
		}
		snap := s.Latest()
		resp := PredictResponse{Version: snap.Version, Step: snap.Step}
		for _, p := range snap.Model.Predict(req.Texts) {
			resp.Predictions = append(resp.Predictions, Prediction{Label: p.Label, Probability: p.Probs[p.ID]})
		}
		s.served.Add(int64(len(req.Texts)))
		writeJSON(w, resp)
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		snap := s.Latest()
		st := Status{Version: snap.Version, Step: snap.Step, Accuracy: snap.Accuracy, Done: s.done.Load(), Served: s.served.Load()}
		if e := s.failed.Load(); e != nil {
			st.Error = (*e).Error()
		}
		writeJSON(w, st)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// Run listens on cfg.Addr, fine-tunes in the background and serves until
// ctx is cancelled. Fine-tuning ending does not stop the server.
func Run(ctx context.Context, cfg Config, log io.Writer) error {
	s, err := NewServer(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(log, "serving on http://%s (POST /predict, GET /status); fine-tuning %d steps in the background\n", ln.Addr(), cfg.Steps)
	if cfg.Ready != nil {
		cfg.Ready(ln.Addr().String())
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := s.FineTune(ctx); err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintln(log, "fine-tuning failed:", err)
			return
		}
		snap := s.Latest()
		fmt.Fprintf(log, "fine-tuning done: serving step %d, held-out accuracy %.1f%%\n", snap.Step, 100*snap.Accuracy)
	}()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	err = srv.Serve(ln)
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func main() {
	cfg := DefaultConfig()
	flag.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address")
	flag.StringVar(&cfg.From, "from", "", "pretrained backbone directory (default: a fresh byte-level GPT)")
	flag.IntVar(&cfg.Steps, "steps", cfg.Steps, "fine-tuning steps")
	flag.IntVar(&cfg.Train, "train", cfg.Train, "labeled training examples")
	flag.IntVar(&cfg.EvalEvery, "eval-every", cfg.EvalEvery, "evaluate and publish a snapshot every N steps")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := Run(ctx, cfg, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "serve-finetune:", err)
		os.Exit(1)
	}
}
