package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func sample() map[string]*tensor.Tensor {
	rng := tensor.NewRNG(7)
	return map[string]*tensor.Tensor{
		"encoder.weight": tensor.Randn(rng, 3, 5),
		"encoder.bias":   tensor.FromFloat32s([]float32{1, -2, float32(math.Inf(1))}),
		"emb.weight":     tensor.Randn(rng, 4, 2).To(tensor.BF16),
		"scalar":         tensor.Scalar(42),
		"empty":          tensor.Zeros(0, 3),
		"half.bf16":      tensor.FromFloat32s([]float32{1.5, -0.25, 3e38}).To(tensor.BF16),
	}
}

func encode(t *testing.T, m map[string]*tensor.Tensor, meta map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, m, meta); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sameTensor(t *testing.T, name string, a, b *tensor.Tensor) {
	t.Helper()
	if a.DType() != b.DType() {
		t.Fatalf("%s: dtype %v, want %v", name, b.DType(), a.DType())
	}
	if !equalInts(a.Shape(), b.Shape()) {
		t.Fatalf("%s: shape %v, want %v", name, b.Shape(), a.Shape())
	}
	av, bv := a.Float32s(), b.Float32s()
	for i := range av {
		if math.Float32bits(av[i]) != math.Float32bits(bv[i]) {
			t.Fatalf("%s[%d] = %v, want %v", name, i, bv[i], av[i])
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRoundTrip(t *testing.T) {
	m := sample()
	meta := map[string]string{"format": "pt", "note": "ünïcode"}
	b := encode(t, m, meta)
	f, err := NewReader(bytes.NewReader(b), int64(len(b)), "mem")
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata()["note"] != "ünïcode" || f.Metadata()["format"] != "pt" {
		t.Fatalf("metadata %v", f.Metadata())
	}
	if len(f.Names()) != len(m) {
		t.Fatalf("names %v", f.Names())
	}
	for n, want := range m {
		got, err := f.Tensor(n)
		if err != nil {
			t.Fatal(err)
		}
		sameTensor(t, n, want, got)
	}
	if info, _ := f.Info("emb.weight"); info.DType != "BF16" || info.End-info.Begin != 16 {
		t.Fatalf("info %v", info)
	}
	if !strings.Contains(f.String(), "emb.weight BF16[4 2]") {
		t.Fatalf("String %s", f)
	}
}

// TestLayout checks the properties a reference reader relies on: 8-byte
// header length, header padded to 8 with spaces, larger dtypes first and
// names sorted within a dtype, every tensor aligned to its element size.
func TestLayout(t *testing.T) {
	b := encode(t, sample(), nil)
	n := binary.LittleEndian.Uint64(b[:8])
	if n%8 != 0 {
		t.Fatalf("header length %d not a multiple of 8", n)
	}
	hdr := b[8 : 8+n]
	if strings.Contains(string(hdr), "__metadata__") {
		t.Fatal("empty metadata written")
	}
	var raw map[string]struct {
		DType   string  `json:"dtype"`
		Offsets []int64 `json:"data_offsets"`
	}
	if err := json.Unmarshal(hdr, &raw); err != nil {
		t.Fatal(err)
	}
	order := []string{"empty", "encoder.bias", "encoder.weight", "scalar", "emb.weight", "half.bf16"}
	var at int64
	for _, k := range order {
		e := raw[k]
		if e.Offsets[0] != at {
			t.Fatalf("%s starts at %d, want %d (order %v)", k, e.Offsets[0], at, order)
		}
		if e.DType == "F32" && e.Offsets[0]%4 != 0 {
			t.Fatalf("%s misaligned", k)
		}
		at = e.Offsets[1]
	}
	if int64(len(b))-8-int64(n) != at {
		t.Fatalf("data section %d bytes, tensors %d", int64(len(b))-8-int64(n), at)
	}
	if bytes.TrimRight(hdr, " ")[len(bytes.TrimRight(hdr, " "))-1] != '}' {
		t.Fatal("padding is not trailing spaces")
	}
}

func TestWriteRejectsBadNames(t *testing.T) {
	for _, name := range []string{"", "__metadata__"} {
		if err := Write(io.Discard, map[string]*tensor.Tensor{name: tensor.Scalar(1)}, nil); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
}

// rawFile builds a file from a literal header and data section.
func rawFile(hdr string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(hdr)))
	b.WriteString(hdr)
	b.Write(data)
	return b.Bytes()
}

func TestReaderRejectsMalformed(t *testing.T) {
	cases := map[string][]byte{
		"short":        {1, 2, 3},
		"huge header":  rawFile("", nil)[:0],
		"not json":     rawFile("{nope", nil),
		"not object":   rawFile("[1]", nil),
		"bad dtype":    rawFile(`{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}`, []byte{0}),
		"I64 size":     rawFile(`{"a":{"dtype":"I64","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)),
		"size":         rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4)),
		"beyond":       rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 4)),
		"gap":          rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)),
		"overlap":      rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)),
		"trailing":     rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 8)),
		"negative dim": rawFile(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}`, nil),
		"offsets":      rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}`, make([]byte, 4)),
		"no shape":     rawFile(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, make([]byte, 4)),
		"metadata":     rawFile(`{"__metadata__":{"a":1}}`, nil),
		"overflow":     rawFile(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`, nil),
	}
	var big bytes.Buffer
	binary.Write(&big, binary.LittleEndian, uint64(1<<40))
	cases["huge header"] = big.Bytes()
	for name, b := range cases {
		_, err := NewReader(bytes.NewReader(b), int64(len(b)), "bad.safetensors")
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%s: err %v, want *FormatError", name, err)
			continue
		}
		if !strings.Contains(err.Error(), "bad.safetensors") {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
}

func TestReadF16F64(t *testing.T) {
	// 1.0, -2.0, 65504 (max half), smallest subnormal 2^-24 in F16; 0.1 in F64.
	data := []byte{0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00}
	data = binary.LittleEndian.AppendUint64(data, math.Float64bits(0.1))
	b := rawFile(`{"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},"d":{"dtype":"F64","shape":[],"data_offsets":[8,16]}}`, data)
	f, err := NewReader(bytes.NewReader(b), int64(len(b)), "mem")
	if err != nil {
		t.Fatal(err)
	}
	h, _ := f.Tensor("h")
	want := []float32{1, -2, 65504, float32(math.Ldexp(1, -24))}
	for i, v := range h.Float32s() {
		if v != want[i] {
			t.Fatalf("h = %v, want %v", h.Float32s(), want)
		}
	}
	d, _ := f.Tensor("d")
	if d.Item() != float32(0.1) || len(d.Shape()) != 0 {
		t.Fatalf("d = %v", d)
	}
}

func TestSaveLoadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.safetensors")
	m := sample()
	if err := Save(p, m, nil); err != nil {
		t.Fatal(err)
	}
	got, meta, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if meta != nil {
		t.Fatalf("metadata %v", meta)
	}
	for n := range m {
		sameTensor(t, n, m[n], got[n])
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("left %d entries", len(ents))
	}
}

// failAfter is a writer that fails after n bytes, like a full disk.
type failAfter struct {
	w io.Writer
	n int
}

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, errors.New("injected write error")
	}
	f.n -= len(p)
	return f.w.Write(p)
}

func TestAtomicWriteErrorKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "model.safetensors")
	old := sample()
	if err := Save(p, old, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(p)
	big := map[string]*tensor.Tensor{"w": tensor.Zeros(1000, 1000)}
	err := WriteFileAtomic(p, func(w io.Writer) error {
		return Write(&failAfter{w: w, n: 100000}, big, nil)
	})
	if err == nil || !strings.Contains(err.Error(), "injected") {
		t.Fatalf("err %v", err)
	}
	after, _ := os.ReadFile(p)
	if !bytes.Equal(before, after) {
		t.Fatal("failed write changed the file")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temporary left behind: %v", ents)
	}
}

// TestAtomicWriteKilled runs a child process that is killed with SIGKILL in
// the middle of replacing a file; the file must still hold the old bytes.
func TestAtomicWriteKilled(t *testing.T) {
	if p := os.Getenv("CHECKPOINT_KILL_CHILD"); p != "" {
		WriteFileAtomic(p, func(w io.Writer) error {
			w.Write(make([]byte, 3<<20)) // flushes past the buffer
			os.WriteFile(p+".marker", nil, 0o644)
			time.Sleep(time.Minute)
			return nil
		})
		return
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "model.safetensors")
	if err := Save(p, sample(), nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(p)
	cmd := exec.Command(os.Args[0], "-test.run=^TestAtomicWriteKilled$")
	cmd.Env = append(os.Environ(), "CHECKPOINT_KILL_CHILD="+p)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(p + ".marker"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("child never reached the write")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	after, _ := os.ReadFile(p)
	if !bytes.Equal(before, after) {
		t.Fatal("killed write changed the file")
	}
	if _, _, err := Load(p); err != nil {
		t.Fatal(err)
	}
	n, err := CleanTemp(dir)
	if err != nil || n != 1 {
		t.Fatalf("CleanTemp removed %d (%v), want the 1 temporary", n, err)
	}
}

func TestSaveStateListPrune(t *testing.T) {
	root := t.TempDir()
	mk := func(step int) *State {
		return &State{
			Model:     map[string]*tensor.Tensor{"w": tensor.Full(float32(step), 2, 2)},
			Optimizer: map[string]*tensor.Tensor{"w.exp_avg": tensor.Full(1, 2, 2), "step": tensor.Scalar(float32(step))},
			Trainer:   TrainerState{Step: step, Epoch: 1, Batch: step * 2, LR: 0.5, RNG: map[string][2]uint64{"data": {1, 2}}},
			Config:    map[string]any{"model_type": "test", "hidden_size": 2},
		}
	}
	for _, s := range []int{10, 20, 30} {
		if _, err := SaveState(root, mk(s), 2); err != nil {
			t.Fatal(err)
		}
	}
	// A leftover of a killed save must be ignored by List and Latest.
	os.MkdirAll(filepath.Join(root, StepDir(40)+tempMarker+"x"), 0o755)
	l, err := List(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 2 || filepath.Base(l[0]) != StepDir(20) || filepath.Base(l[1]) != StepDir(30) {
		t.Fatalf("List %v", l)
	}
	latest, _ := Latest(root)
	st, err := LoadState(latest)
	if err != nil {
		t.Fatal(err)
	}
	if st.Trainer.Step != 30 || st.Trainer.RNG["data"] != [2]uint64{1, 2} || st.Model["w"].At(1, 1) != 30 ||
		st.Optimizer["step"].Item() != 30 || st.Config["model_type"] != "test" {
		t.Fatalf("loaded %v config %v", st, st.Config)
	}
	// Saving the same step again replaces it.
	again := mk(30)
	again.Model["w"] = tensor.Full(7, 2, 2)
	if _, err := SaveState(root, again, 0); err != nil {
		t.Fatal(err)
	}
	st, _ = LoadState(latest)
	if st.Model["w"].At(0, 0) != 7 {
		t.Fatal("re-save did not replace")
	}
	if err := Prune(root, 1); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(root)
	if len(ents) != 1 || ents[0].Name() != StepDir(30) {
		t.Fatalf("after prune: %v", ents)
	}
	if got, _ := Latest(filepath.Join(root, "missing")); got != "" {
		t.Fatalf("Latest of a missing dir = %q", got)
	}
}

// TestWriteFixture writes a file and its expected contents for
// tools/safetensors_check/check.py when SAFETENSORS_FIXTURE names a folder.
// With SAFETENSORS_DUMP naming a safetensors file, it writes only the
// expected contents of that file as this package reads them, so the script
// can compare PyTorch's view of a real checkpoint with ours.
func TestWriteFixture(t *testing.T) {
	dir := os.Getenv("SAFETENSORS_FIXTURE")
	if dir == "" {
		t.Skip("set SAFETENSORS_FIXTURE=DIR to write the PyTorch check fixture")
	}
	m := sample()
	if p := os.Getenv("SAFETENSORS_DUMP"); p != "" {
		var err error
		if m, _, err = Load(p); err != nil {
			t.Fatal(err)
		}
	} else if err := Save(filepath.Join(dir, "sample.safetensors"), m, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	exp := map[string]any{}
	for n, v := range m {
		vals := []string{}
		for _, f := range v.Float32s() {
			vals = append(vals, formatBits(f))
		}
		exp[n] = map[string]any{"dtype": dtypeName(v.DType()), "shape": append([]int{}, v.Shape()...), "bits": vals}
	}
	if err := WriteJSON(filepath.Join(dir, "expected.json"), exp); err != nil {
		t.Fatal(err)
	}
}

// formatBits writes a float32 as its bit pattern, so inf and NaN survive
// JSON and the comparison is exact.
func formatBits(f float32) string { return fmt.Sprintf("0x%08x", math.Float32bits(f)) }

func FuzzReader(f *testing.F) {
	var b bytes.Buffer
	Write(&b, sample(), map[string]string{"k": "v"})
	f.Add(b.Bytes())
	f.Add(rawFile(`{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}`, []byte{1, 2}))
	f.Add(rawFile(`{"a":{"dtype":"F16","shape":[2,0],"data_offsets":[0,0]}}`, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := NewReader(bytes.NewReader(data), int64(len(data)), "fuzz")
		if err != nil {
			return
		}
		for _, n := range sf.Names() {
			tt, err := sf.Tensor(n)
			if err != nil {
				t.Fatalf("validated tensor %q unreadable: %v", n, err)
			}
			info, _ := sf.Info(n)
			if tt.Numel()*elemSize(info.DType) != int(info.End-info.Begin) {
				t.Fatalf("tensor %q: %d elements for %d bytes", n, tt.Numel(), info.End-info.Begin)
			}
		}
	})
}

// TestIntegerBuffers: a file with an I64 buffer (position_ids of older
// Hugging Face saves) opens, lists it, reads its float tensors, and refuses
// to read the buffer as floats.
func TestIntegerBuffers(t *testing.T) {
	raw := rawFile(`{"ids":{"dtype":"I64","shape":[1,2],"data_offsets":[0,16]},"w":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}`,
		append(make([]byte, 16), 0, 0, 0x80, 0x3f))
	f, err := NewReader(bytes.NewReader(raw), int64(len(raw)), "buf.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	info, ok := f.Info("ids")
	if !ok || info.DType != "I64" || IsFloat(info.DType) || !IsFloat("BF16") {
		t.Fatalf("ids: %v %v", info, ok)
	}
	w, err := f.Tensor("w")
	if err != nil || w.Float32s()[0] != 1 {
		t.Fatalf("w: %v %v", w, err)
	}
	if _, err = f.Tensor("ids"); err == nil || !strings.Contains(err.Error(), `tensor "ids" is I64[1 2], not a float tensor`) {
		t.Fatalf("reading ids as floats: %v", err)
	}
}
