package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// writeText writes a small corpus with some repeated structure.
func writeText(t *testing.T, dir string) string {
	t.Helper()
	var sb strings.Builder
	subjects := []string{"the cat", "a dog", "the bird", "my sister", "her brother"}
	verbs := []string{"sees", "likes", "follows", "finds"}
	for i := 0; i < 400; i++ {
		sb.WriteString(subjects[i%5] + " " + verbs[i%4] + " " + subjects[(i*3+1)%5] + " in the house\n")
	}
	p := filepath.Join(dir, "small.txt")
	if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func oneLine(t *testing.T, s string) {
	t.Helper()
	if strings.Count(strings.TrimSpace(s), "\n") != 0 || strings.TrimSpace(s) == "" {
		t.Fatalf("want one line on stderr, got %q", s)
	}
}

func TestTrainInputErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	unreadable := filepath.Join(dir, "secret.txt")
	os.WriteFile(unreadable, []byte("x\n"), 0o000)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--bogus"}, 2, "flag provided but not defined"},
		{[]string{"--steps", "x"}, 2, "invalid value"},
		{[]string{"extra"}, 2, "unexpected argument"},
		{[]string{"--data", filepath.Join(dir, "missing.txt")}, 1, "missing.txt"},
		{[]string{"--model", "nope"}, 1, `unknown model preset "nope"`},
		{[]string{"--objective", "nope", "--data", writeText(t, dir)}, 1, "nope"},
		{[]string{"--objective", "bilm", "--model", "huge"}, 1, "huge"},
		{[]string{"--steps", "5", "--epochs", "2"}, 1, "not both"},
		{[]string{"--opt", "dim"}, 1, "key=value"},
		{[]string{"--opt", "frob=1"}, 1, "frob"},
	}
	if os.Getuid() != 0 { // root reads anything
		cases = append(cases, struct {
			args []string
			code int
			want string
		}{[]string{"--data", unreadable}, 1, "permission denied"})
	}
	for _, c := range cases {
		code, _, errs := runCLI(t, append([]string{"train", "--out", out}, c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: code %d, stderr %q; want code %d and %q", c.args, code, errs, c.code, c.want)
			continue
		}
		oneLine(t, errs)
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("%v left %s behind", c.args, out)
		}
	}
}

func TestTrainWordVectorsAndQueries(t *testing.T) {
	dir := t.TempDir()
	data := writeText(t, dir)
	out := filepath.Join(dir, "vec")
	code, stdout, errs := runCLI(t, "train", "--objective", "cbow", "--data", data, "--out", out, "--epochs", "2",
		"--opt", "dim=16", "--opt", "min-count=1", "--threads", "1", "--format", "text", "--format", "glove")
	if code != 0 {
		t.Fatalf("train: code %d, stderr %q", code, errs)
	}
	if !strings.Contains(stdout, "nearest neighbours") || !strings.Contains(stdout, "vocabulary 15") {
		t.Fatalf("stdout %q", stdout)
	}
	for _, f := range []string{vectorsFile, "vectors.txt", "vectors.glove.txt", checkpoint.ModelFile, vocabFile, checkpoint.ConfigFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Fatal(err)
		}
	}
	// The three files hold the same vectors.
	var texts []string
	for _, f := range []string{vectorsFile, "vectors.txt", "vectors.glove.txt"} {
		_, so, _ := runCLI(t, "neighbors", filepath.Join(out, f), "cat")
		texts = append(texts, so)
	}
	if texts[0] != texts[1] || texts[0] != texts[2] {
		t.Fatalf("vector files disagree: %q", texts)
	}
	// A second run replaces the directory and leaves no temporary.
	if code, _, errs := runCLI(t, "train", "--objective", "glove", "--data", data, "--out", out, "--epochs", "2", "--opt", "dim=8", "--opt", "min-count=1", "--threads", "1"); code != 0 {
		t.Fatalf("glove: %q", errs)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Fatalf("dir holds %v", ents)
	}
	b, _ := os.ReadFile(filepath.Join(out, checkpoint.ConfigFile))
	if !strings.Contains(string(b), `"model_type": "glove"`) || !strings.Contains(string(b), `"vector_size": 8`) {
		t.Fatalf("config.json %s", b)
	}

	for _, src := range []string{out, filepath.Join(out, checkpoint.ModelFile), filepath.Join(out, vectorsFile)} {
		code, stdout, errs = runCLI(t, "neighbors", "--k", "3", src, "cat", "unicorn")
		if code != 0 || !strings.HasPrefix(stdout, "cat: ") || strings.Count(stdout, ", ") != 2 || !strings.Contains(stdout, "unicorn: not in the vocabulary") {
			t.Fatalf("neighbors %s: code %d %q %q", src, code, stdout, errs)
		}
	}
	if code, _, errs = runCLI(t, "neighbors", out, "unicorn"); code != 1 || !strings.Contains(errs, "none of the words") {
		t.Fatalf("neighbors of unknown words: %d %q", code, errs)
	}
	code, stdout, errs = runCLI(t, "analogy", out, "cat", "dog", "sister")
	if code != 0 || !strings.Contains(stdout, "cat is to dog as sister is to: ") {
		t.Fatalf("analogy: %d %q %q", code, stdout, errs)
	}
	q := filepath.Join(dir, "q.txt")
	os.WriteFile(q, []byte(": family\ncat dog sister brother\nunicorn dog sister brother\n"), 0o644)
	sim := filepath.Join(dir, "sim.txt")
	os.WriteFile(sim, []byte("cat dog 5\nsister brother 8\nhouse bird 1\nunicorn cat 3\n"), 0o644)
	code, stdout, errs = runCLI(t, "eval-vectors", "--questions", q, "--sim", sim, out)
	if code != 0 || !strings.Contains(stdout, "(0/1, coverage 50.0%)") && !strings.Contains(stdout, "(1/1, coverage 50.0%)") ||
		!strings.Contains(stdout, "(3/4 pairs, coverage 75.0%)") {
		t.Fatalf("eval-vectors: %d %q %q", code, stdout, errs)
	}
	// Without --questions and --sim the evaluation folder is found.
	evalDir := filepath.Join(dir, "eval")
	os.MkdirAll(evalDir, 0o755)
	os.Rename(q, filepath.Join(evalDir, "questions-words.txt"))
	os.Rename(sim, filepath.Join(evalDir, "wordsim353.tsv"))
	t.Setenv("PRETRAIN_EVAL_DIR", evalDir)
	code, stdout, errs = runCLI(t, "eval-vectors", out)
	if code != 0 || !strings.Contains(stdout, "coverage 50.0%") || !strings.Contains(stdout, "similarity wordsim353.tsv: spearman") {
		t.Fatalf("eval-vectors with PRETRAIN_EVAL_DIR: %d %q %q", code, stdout, errs)
	}
	if code, _, errs = runCLI(t, "neighbors", filepath.Join(dir, "nothing"), "cat"); code != 1 {
		t.Fatalf("missing vectors: %d %q", code, errs)
	}
}

func TestTrainRegistryObjectiveAndResume(t *testing.T) {
	dir := t.TempDir()
	data := writeText(t, dir)
	out := filepath.Join(dir, "bilm")
	args := []string{"train", "--objective", "bilm", "--data", data, "--out", out, "--threads", "1", "--log-every", "1",
		"--opt", "seq-len=16", "--opt", "batch=2", "--opt", "dim=8", "--opt", "hidden=8", "--opt", "layers=1"}
	code, stdout, errs := runCLI(t, append(args, "--steps", "3", "--eval-data", data, "--eval-every", "2")...)
	if code != 0 || !strings.Contains(stdout, "done: 3 steps") || !strings.Contains(stdout, "eval loss") {
		t.Fatalf("train: %d %q %q", code, stdout, errs)
	}
	for _, f := range []string{"checkpoints/step-00000003/" + checkpoint.ModelFile, "metrics.jsonl", "loss.svg", checkpoint.ModelFile, checkpoint.ConfigFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, errs = runCLI(t, append(args, "--steps", "5")...); code != 1 || !strings.Contains(errs, "--resume") {
		t.Fatalf("rerun without --resume: %d %q", code, errs)
	}
	code, stdout, errs = runCLI(t, append(args, "--steps", "5", "--resume")...)
	if code != 0 || !strings.Contains(stdout, "done: 5 steps") {
		t.Fatalf("resume: %d %q %q", code, stdout, errs)
	}
	code, stdout, errs = runCLI(t, "train", "--objective", "clm", "--data", data, "--out", filepath.Join(dir, "clm"), "--steps", "2",
		"--opt", "seq-len=16", "--opt", "batch=2", "--opt", "dim=16", "--opt", "layers=1", "--opt", "heads=2")
	if code != 0 || !strings.Contains(stdout, "done: 2 steps") {
		t.Fatalf("clm: %d %q %q", code, stdout, errs)
	}
	// clm with the passage-contrastive term: packed rows become span pairs.
	code, stdout, errs = runCLI(t, "train", "--objective", "clm", "--data", data, "--out", filepath.Join(dir, "clmcon"), "--steps", "2",
		"--opt", "seq-len=16", "--opt", "batch=2", "--opt", "dim=16", "--opt", "layers=1", "--opt", "heads=2", "--opt", "contrastive=0.5")
	if code != 0 || !strings.Contains(stdout, "done: 2 steps") {
		t.Fatalf("clm contrastive: %d %q %q", code, stdout, errs)
	}
	if code, _, errs = runCLI(t, "train", "--objective", "clm", "--data", data, "--out", filepath.Join(dir, "clmbad"), "--steps", "1",
		"--opt", "contrastive=-1"); code != 1 || !strings.Contains(errs, "contrastive >= 0") {
		t.Fatalf("negative contrastive: %d %q", code, errs)
	}
	// The written config.json rebuilds the same model shape.
	code, stdout, errs = runCLI(t, "train", "--objective", "clm", "--data", data, "--out", filepath.Join(dir, "clm2"), "--steps", "1",
		"--model", filepath.Join(dir, "clm", checkpoint.ConfigFile))
	if code != 0 || !strings.Contains(stdout, "done: 1 steps") {
		t.Fatalf("clm from config.json: %d %q %q", code, stdout, errs)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "clm", "checkpoints", checkpoint.StepDir(2), checkpoint.ConfigFile))
	b, _ := os.ReadFile(filepath.Join(dir, "clm2", "checkpoints", checkpoint.StepDir(1), checkpoint.ConfigFile))
	if string(a) != string(b) || !strings.Contains(string(a), `"hidden_size": 16`) {
		t.Fatalf("config.json differs:\n%s\n%s", a, b)
	}
	// An objective from a plugin folder trains the same way. (The registry
	// is process-wide: with -count > 1 the plugin is already loaded.)
	pluginArgs := []string{"train", "--plugin", "../../plugins/examples/neighbormlm"}
	if task.Default.ObjectiveDoc("neighbor-mlm") != "" {
		pluginArgs = pluginArgs[:1]
	}
	code, stdout, errs = runCLI(t, append(pluginArgs, "--objective", "neighbor-mlm", "--data", data, "--out", filepath.Join(dir, "plugin"), "--steps", "2", "--opt", "seq-len=16", "--opt", "batch=2")...)
	if code != 0 || !strings.Contains(stdout, "done: 2 steps") {
		t.Fatalf("plugin objective: %d %q %q", code, stdout, errs)
	}
	code, stdout, _ = runCLI(t, "train", "--objective", "list")
	if code != 0 || !strings.Contains(stdout, "bilm") || !strings.Contains(stdout, "mlm") || !strings.Contains(stdout, "skipgram") {
		t.Fatalf("list: %q", stdout)
	}
}

// TestTrainDefaultCorpus runs the no-flag command's path on the embedded
// corpus with one epoch and checks that it shows neighbours.
func TestTrainDefaultCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on the whole embedded corpus")
	}
	out := filepath.Join(t.TempDir(), "sg")
	// One thread: Hogwild threads race by design (and the race detector
	// would say so).
	code, stdout, errs := runCLI(t, "train", "--epochs", "1", "--out", out, "--threads", "1")
	if code != 0 || !strings.Contains(stdout, "the embedded Austen corpus") || !strings.Contains(stdout, "  elizabeth ") {
		t.Fatalf("code %d, stdout %q, stderr %q", code, stdout, errs)
	}
}

func TestFLOPsPerToken(t *testing.T) {
	// gpt-tiny: 4 layers of width 128; options override the preset.
	if got := flopsPerToken("clm", "", nil, 64, 1000); got != 6000+12*4*128*64 {
		t.Fatalf("clm gpt-tiny: %v", got)
	}
	if got := flopsPerToken("mlm", "bert-tiny", map[string]string{"layers": "1", "dim": "16"}, 32, 10); got != 60+12*16*32 {
		t.Fatalf("mlm with options: %v", got)
	}
	if got := flopsPerToken("bilm", "", nil, 64, 1000); got != 6000 {
		t.Fatalf("bilm: %v", got)
	}
}

// TestTrainPrecisionFlags checks what --bf16 and --save-dtype do, not only
// that they parse: --bf16 trains differently (mixed precision) while the
// weights stay float32; --save-dtype bf16 writes bfloat16 final weights for
// a registry objective and for word vectors, with float32 checkpoints.
func TestTrainPrecisionFlags(t *testing.T) {
	dir := t.TempDir()
	data := writeText(t, dir)
	run := func(name string, extra ...string) map[string]*tensor.Tensor {
		t.Helper()
		out := filepath.Join(dir, name)
		args := append([]string{"train", "--objective", "clm", "--data", data, "--out", out, "--steps", "3", "--threads", "1",
			"--opt", "seq-len=16", "--opt", "batch=2", "--opt", "dim=16", "--opt", "layers=1", "--opt", "heads=2"}, extra...)
		code, stdout, errs := runCLI(t, args...)
		if code != 0 || !strings.Contains(stdout, "done: 3 steps") {
			t.Fatalf("%s: %d %q %q", name, code, stdout, errs)
		}
		if want := map[bool]string{true: "mixed precision", false: "float32"}[len(extra) > 0 && extra[0] == "--bf16"]; !strings.Contains(stdout, want) {
			t.Fatalf("%s: banner does not say %q: %q", name, want, stdout)
		}
		sd, _, err := checkpoint.Load(filepath.Join(out, checkpoint.ModelFile))
		if err != nil {
			t.Fatal(err)
		}
		ck, _, err := checkpoint.Load(filepath.Join(out, "checkpoints", checkpoint.StepDir(3), checkpoint.ModelFile))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range ck {
			if v.DType() != tensor.F32 {
				t.Fatalf("%s: checkpoint tensor %s is %s, want f32", name, k, v.DType())
			}
		}
		return sd
	}
	f32, mixed, saved := run("f32"), run("mixed", "--bf16"), run("bf16out", "--save-dtype", "bf16")
	differs := false
	for k, v := range f32 {
		if v.DType() != tensor.F32 || mixed[k].DType() != tensor.F32 {
			t.Fatalf("%s: final weights %s / %s, want f32 without --save-dtype", k, v.DType(), mixed[k].DType())
		}
		if saved[k].DType() != tensor.BF16 {
			t.Fatalf("--save-dtype bf16: %s is %s", k, saved[k].DType())
		}
		if fmt.Sprint(v.Float32s()) != fmt.Sprint(mixed[k].Float32s()) {
			differs = true
		}
		// Same training as f32: the saved weights are its values rounded.
		if got, want := saved[k].Float32s(), v.To(tensor.BF16).Float32s(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("--save-dtype bf16: %s is not the f32 run rounded", k)
		}
	}
	if !differs {
		t.Fatal("--bf16 trained exactly like f32: mixed precision is not on")
	}

	// Word vectors: --save-dtype works, --bf16 is refused with the reason.
	out := filepath.Join(dir, "sg")
	code, stdout, errs := runCLI(t, "train", "--objective", "skipgram", "--data", data, "--out", out, "--epochs", "1", "--save-dtype", "bf16")
	if code != 0 {
		t.Fatalf("skipgram --save-dtype bf16: %d %q %q", code, stdout, errs)
	}
	sd, _, err := checkpoint.Load(filepath.Join(out, checkpoint.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range sd {
		if v.DType() != tensor.BF16 {
			t.Fatalf("skipgram --save-dtype bf16: %s is %s", k, v.DType())
		}
	}
	code, _, errs = runCLI(t, "train", "--objective", "skipgram", "--data", data, "--out", filepath.Join(dir, "sg2"), "--bf16")
	if code != 1 || !strings.Contains(errs, "--save-dtype bf16") {
		t.Fatalf("skipgram --bf16: %d %q", code, errs)
	}
	oneLine(t, errs)
	code, _, errs = runCLI(t, "train", "--objective", "clm", "--data", data, "--out", filepath.Join(dir, "bad"), "--save-dtype", "f16")
	if code != 1 || !strings.Contains(errs, `unknown dtype "f16"`) {
		t.Fatalf("--save-dtype f16: %d %q", code, errs)
	}
	oneLine(t, errs)
}

// TestTrainRefusesImageObjectives: train reads text, so the image
// objectives it lists get an error naming the commands that run them,
// before any data is read or any output written.
func TestTrainRefusesImageObjectives(t *testing.T) {
	for _, o := range []string{"mae", "image-dae", "clip"} {
		out := filepath.Join(t.TempDir(), "run")
		code, stdout, stderr := runCmd("train", "--objective", o, "--steps", "2", "--out", out)
		if code == 0 || !strings.Contains(stderr, "--objective "+o+" pretrains on images") || !strings.Contains(stderr, "transfer --images") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", o, code, stdout, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: %s was created", o, out)
		}
	}
}

func TestTrainRefusesNegativeThreads(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	code, _, stderr := runCmd("train", "--threads", "-3", "--out", out)
	if code != 1 || !strings.Contains(stderr, "--threads -3") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
