package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
)

// idxBytes encodes a ubyte IDX array.
func idxBytes(dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 8, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

func TestReadIDXRoundTrip(t *testing.T) {
	data := make([]byte, 2*3*4)
	for i := range data {
		data[i] = byte(i * 7)
	}
	raw := idxBytes([]int{2, 3, 4}, data)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	for name, in := range map[string][]byte{"plain": raw, "gzip": gz.Bytes()} {
		x, err := ReadIDX(bytes.NewReader(in), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(x.Dims) != 3 || x.Dims[0] != 2 || x.Dims[1] != 3 || x.Dims[2] != 4 || !bytes.Equal(x.Data, data) {
			t.Fatalf("%s: got %v %v", name, x.Dims, x.Data)
		}
	}
	lab, _ := ReadIDX(bytes.NewReader(idxBytes([]int{2}, []byte{3, 9})), "labels")
	im, _ := ReadIDX(bytes.NewReader(raw), "images")
	s, err := ImagesFromIDX(im, lab, "x")
	if err != nil || s.N != 2 || s.Height != 3 || s.Width != 4 || s.Labels[1] != 9 || s.Image(1)[0] != data[12] {
		t.Fatalf("ImagesFromIDX: %v %v", s, err)
	}
	if _, err := ImagesFromIDX(im, &IDX{Dims: []int{3}, Data: []byte{1, 2, 3}}, "x"); err == nil {
		t.Fatal("label count mismatch accepted")
	}
}

func TestReadIDXErrors(t *testing.T) {
	good := idxBytes([]int{2, 2}, []byte{1, 2, 3, 4})
	cases := map[string]struct {
		in   []byte
		want string
	}{
		"empty":     {nil, "empty IDX file"},
		"short":     {[]byte{0, 0}, "truncated IDX magic"},
		"magic":     {[]byte{1, 2, 8, 1, 0, 0, 0, 1, 5}, "not an IDX file"},
		"type":      {[]byte{0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0}, "not supported"},
		"dims":      {[]byte{0, 0, 8, 0}, "0 dimensions"},
		"zero dim":  {idxBytes([]int{0}, nil), "dimension 1 is zero"},
		"header":    {good[:9], "truncated IDX header"},
		"data":      {good[:len(good)-1], "truncated IDX data"},
		"trailing":  {append(append([]byte{}, good...), 7), "trailing bytes"},
		"huge":      {idxBytes([]int{math.MaxUint32, math.MaxUint32}, nil), "announce more than"},
		"bad gzip":  {[]byte{0x1f, 0x8b, 0}, "gzip"},
		"truncated": {idxBytes([]int{1 << 20}, []byte{1}), "file has 1"},
	}
	for name, c := range cases {
		_, err := ReadIDX(bytes.NewReader(c.in), "f.idx")
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "f.idx: ") {
			t.Errorf("%s: got %v, want an InputError containing %q", name, err, c.want)
		}
	}
}

// FuzzReadIDX: any input either parses into a consistent array or gives an
// InputError; it never panics.
func FuzzReadIDX(f *testing.F) {
	f.Add(idxBytes([]int{2, 2}, []byte{1, 2, 3, 4}))
	f.Add(idxBytes([]int{3}, []byte{1, 2, 3}))
	f.Add([]byte{0, 0, 8, 3, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, in []byte) {
		x, err := ReadIDX(bytes.NewReader(in), "fuzz")
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an InputError", err)
			}
			return
		}
		n := 1
		for _, d := range x.Dims {
			n *= d
		}
		if n != len(x.Data) {
			t.Fatalf("dims %v but %d bytes", x.Dims, len(x.Data))
		}
	})
}

func TestImageCollator(t *testing.T) {
	s := &ImageSet{N: 2, Channels: 1, Height: 2, Width: 3, Pixels: []byte{0, 51, 102, 153, 204, 255, 255, 255, 255, 0, 0, 0}, Labels: []int{4, 7}}
	c := &ImageCollator{Set: s, Mean: 0.5, Std: 0.5}
	b, err := c.Collate([][]int{{1}, {0}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 1, 1, -1, -1, -1, -1, -0.6, -0.2, 0.2, 0.6, 1}
	for i, v := range b.Images {
		if math.Abs(float64(v-want[i])) > 1e-6 {
			t.Fatalf("images %v, want %v", b.Images, want)
		}
	}
	if b.Size != 2 || b.Channels != 1 || b.Height != 2 || b.Width != 3 || b.RowLabels[0] != 7 || b.RowLabels[1] != 4 {
		t.Fatalf("batch %v labels %v", b, b.RowLabels)
	}
	if _, err := c.Collate([][]int{{5}}, nil); err == nil {
		t.Fatal("out-of-range index accepted")
	}
	// Flips and shifts keep every pixel value of the source (or the
	// background) and differ from the plain image for some draws.
	c.Augment = Augment{Pad: 1, FlipH: true}
	rng := NewRNG(3)
	changed := false
	for k := 0; k < 20; k++ {
		a := c.Images([]int{0}, rng)
		for i, v := range a.Images {
			if v != b.Images[6+i] {
				changed = true
			}
			ok := v == -1
			for _, w := range want[6:] {
				ok = ok || math.Abs(float64(v-w)) < 1e-6
			}
			if !ok {
				t.Fatalf("augmented pixel %v not from the source", v)
			}
		}
	}
	if !changed {
		t.Fatal("augmentation never changed the image")
	}
	// A flip without a shift mirrors each row exactly.
	c.Augment = Augment{FlipH: true}
	for k := 0; k < 10; k++ {
		a := c.Images([]int{0}, rng)
		if a.Images[0] != b.Images[6] && !(a.Images[0] == b.Images[8] && a.Images[2] == b.Images[6] && a.Images[3] == b.Images[11]) {
			t.Fatalf("flip: %v from %v", a.Images, b.Images[6:])
		}
	}
}

func TestImageSetLoader(t *testing.T) {
	s := SyntheticImages(10, 8, 3, 1)
	l, err := NewLoader(t.Context(), LoaderConfig{Examples: s.Examples(), Encode: ImageIndexEncode,
		Collator: &ImageCollator{Set: s}, BatchSize: 4, ShuffleBuffer: 16, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	seen := 0
	for {
		b, err := l.Next()
		if err != nil {
			break
		}
		if len(b.Images) != b.Size*64 || len(b.RowLabels) != b.Size {
			t.Fatalf("batch %v", b)
		}
		seen += b.Size
	}
	if seen != 10 {
		t.Fatalf("saw %d images, want 10", seen)
	}
}
