package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"
)

// IDX is an array read from an IDX file, the format of MNIST and
// Fashion-MNIST: a magic number (two zero bytes, a type code, the number
// of dimensions), the dimensions as big-endian uint32s, then the data.
// Only unsigned bytes (type 0x08), the type of every MNIST-family file,
// are supported.
type IDX struct {
	Dims []int  // dimensions, outermost first: [n, rows, cols] for images, [n] for labels
	Data []byte // row-major values, len = product of Dims
}

// String summarises the array.
func (x *IDX) String() string { return fmt.Sprintf("IDX(ubyte %v)", x.Dims) }

// maxIDXBytes bounds the data an IDX header may announce (4 GiB), so that a
// corrupt header gives an error instead of an enormous allocation.
const maxIDXBytes = 1 << 32

// ReadIDX reads an IDX array from r; name is used in errors. A gzip stream
// (the form MNIST is distributed in) is decompressed transparently. A
// malformed, truncated or oversized file is an *InputError naming the
// byte where the problem was found; trailing bytes after the data are an
// error too.
func ReadIDX(r io.Reader, name string) (*IDX, error) {
	br := bufio.NewReader(r)
	if head, err := br.Peek(2); err == nil && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &InputError{File: name, Offset: 0, Msg: "bad gzip header", Err: err}
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	var magic [4]byte
	if n, err := io.ReadFull(br, magic[:]); err != nil {
		if n == 0 {
			return nil, &InputError{File: name, Offset: 0, Msg: "empty IDX file"}
		}
		return nil, &InputError{File: name, Offset: int64(n), Msg: "truncated IDX magic number", Err: err}
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, &InputError{File: name, Offset: 0, Msg: fmt.Sprintf("not an IDX file: magic %02x%02x%02x%02x does not start with two zero bytes", magic[0], magic[1], magic[2], magic[3])}
	}
	if magic[2] != 0x08 {
		return nil, &InputError{File: name, Offset: 2, Msg: fmt.Sprintf("IDX type 0x%02x is not supported (only unsigned bytes, 0x08)", magic[2])}
	}
	nd := int(magic[3])
	if nd == 0 || nd > 8 {
		return nil, &InputError{File: name, Offset: 3, Msg: fmt.Sprintf("IDX file with %d dimensions (want 1 to 8)", nd)}
	}
	dims := make([]int, nd)
	total := int64(1)
	for i := range dims {
		var d [4]byte
		if _, err := io.ReadFull(br, d[:]); err != nil {
			return nil, &InputError{File: name, Offset: int64(4 + 4*i), Msg: fmt.Sprintf("truncated IDX header: dimension %d of %d missing", i+1, nd), Err: err}
		}
		v := int64(binary.BigEndian.Uint32(d[:]))
		if v == 0 {
			return nil, &InputError{File: name, Offset: int64(4 + 4*i), Msg: fmt.Sprintf("IDX dimension %d is zero", i+1)}
		}
		if v > maxIDXBytes/total {
			return nil, &InputError{File: name, Offset: int64(4 + 4*i), Msg: fmt.Sprintf("IDX dimensions announce more than %d bytes", int64(maxIDXBytes))}
		}
		total *= v
		dims[i] = int(v)
	}
	hdr := int64(4 + 4*nd)
	// Read in chunks so a header that lies about the size costs no more
	// memory than the bytes actually present.
	var buf bytes.Buffer
	n, err := io.CopyN(&buf, br, total)
	if err != nil && err != io.EOF {
		return nil, &InputError{File: name, Offset: hdr + n, Msg: "reading IDX data", Err: err}
	}
	if n < total {
		return nil, &InputError{File: name, Offset: hdr + n, Msg: fmt.Sprintf("truncated IDX data: header %v announces %d bytes, file has %d", dims, total, n)}
	}
	if _, err := br.ReadByte(); err == nil {
		return nil, &InputError{File: name, Offset: hdr + total, Msg: fmt.Sprintf("trailing bytes after the %d bytes of IDX data %v", total, dims)}
	} else if err != io.EOF {
		return nil, &InputError{File: name, Offset: hdr + total, Msg: "reading IDX data", Err: err}
	}
	return &IDX{Dims: dims, Data: buf.Bytes()}, nil
}

// ReadIDXFile reads an IDX file (plain or .gz) from disk.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &InputError{File: path, Offset: -1, Msg: "cannot open IDX file", Err: err}
	}
	defer f.Close()
	return ReadIDX(f, path)
}

// ImageSet is a set of same-sized 8-bit images with optional labels, as
// read from an MNIST-style pair of IDX files or generated for tests.
type ImageSet struct {
	N, Channels, Height, Width int
	Pixels                     []byte // [N, Channels, Height, Width], row-major
	Labels                     []int  // [N] class ids, nil when unlabeled
	Classes                    []string
}

// String summarises the set.
func (s *ImageSet) String() string {
	if s == nil {
		return "ImageSet(nil)"
	}
	return fmt.Sprintf("ImageSet(%d×[%d,%d,%d] labeled=%t)", s.N, s.Channels, s.Height, s.Width, s.Labels != nil)
}

// Image returns the pixels of image i.
func (s *ImageSet) Image(i int) []byte {
	n := s.Channels * s.Height * s.Width
	return s.Pixels[i*n : (i+1)*n]
}

// Subset returns the images at idx (sharing no memory with s).
func (s *ImageSet) Subset(idx []int) *ImageSet {
	n := s.Channels * s.Height * s.Width
	out := &ImageSet{N: len(idx), Channels: s.Channels, Height: s.Height, Width: s.Width, Classes: s.Classes,
		Pixels: make([]byte, 0, len(idx)*n)}
	if s.Labels != nil {
		out.Labels = make([]int, 0, len(idx))
	}
	for _, i := range idx {
		if i < 0 || i >= s.N {
			panic(&ParamError{Op: "ImageSet.Subset", Msg: fmt.Sprintf("index %d out of range [0,%d)", i, s.N)})
		}
		out.Pixels = append(out.Pixels, s.Image(i)...)
		if s.Labels != nil {
			out.Labels = append(out.Labels, s.Labels[i])
		}
	}
	return out
}

// ImagesFromIDX builds a single-channel ImageSet from an [n, rows, cols]
// image array and, when labels is not nil, an [n] label array.
func ImagesFromIDX(images, labels *IDX, name string) (*ImageSet, error) {
	if len(images.Dims) != 3 {
		return nil, &InputError{File: name, Offset: -1, Msg: fmt.Sprintf("IDX images must have 3 dimensions [n, rows, cols], got %v", images.Dims)}
	}
	s := &ImageSet{N: images.Dims[0], Channels: 1, Height: images.Dims[1], Width: images.Dims[2], Pixels: images.Data}
	if labels != nil {
		if len(labels.Dims) != 1 || labels.Dims[0] != s.N {
			return nil, &InputError{File: name, Offset: -1, Msg: fmt.Sprintf("IDX labels %v do not match %d images", labels.Dims, s.N)}
		}
		s.Labels = make([]int, s.N)
		for i, v := range labels.Data {
			s.Labels[i] = int(v)
		}
	}
	return s, nil
}

// LoadIDXImages reads an image file and, when labelsPath is not "", its
// label file.
func LoadIDXImages(imagesPath, labelsPath string) (*ImageSet, error) {
	im, err := ReadIDXFile(imagesPath)
	if err != nil {
		return nil, err
	}
	var lb *IDX
	if labelsPath != "" {
		if lb, err = ReadIDXFile(labelsPath); err != nil {
			return nil, err
		}
	}
	return ImagesFromIDX(im, lb, imagesPath+","+labelsPath)
}

// FashionMNISTClasses returns the ten Fashion-MNIST class names, by label
// id (a fresh slice on each call).
func FashionMNISTClasses() []string {
	return []string{"t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"}
}

// LoadFashionMNIST reads the Fashion-MNIST training or test split from dir
// (the layout of Debian's dataset-fashion-mnist package,
// /usr/share/datasets/fashion-mnist: train-images-idx3-ubyte.gz, ...).
func LoadFashionMNIST(dir string, train bool) (*ImageSet, error) {
	prefix := "t10k"
	if train {
		prefix = "train"
	}
	find := func(kind string) string {
		base := strings.TrimRight(dir, "/") + "/" + prefix + "-" + kind + "-idx" + map[string]string{"images": "3", "labels": "1"}[kind] + "-ubyte"
		if _, err := os.Stat(base + ".gz"); err == nil {
			return base + ".gz"
		}
		return base
	}
	s, err := LoadIDXImages(find("images"), find("labels"))
	if err != nil {
		return nil, err
	}
	s.Classes = FashionMNISTClasses()
	return s, nil
}
