package data

import (
	"fmt"
	"strconv"
)

// Augment is the random augmentation an ImageCollator applies to each
// image, drawn from the collation RNG (deterministic per seed, epoch and
// batch).
type Augment struct {
	// Pad > 0 enables random crops: the image is padded by Pad pixels of
	// the background value on every side and a window of the original
	// size is cut at a random offset (a random shift of up to ±Pad).
	Pad int
	// FlipH flips each image left-right with probability 1/2.
	FlipH bool
}

// String describes the augmentation.
func (a Augment) String() string { return fmt.Sprintf("Augment{pad=%d flipH=%t}", a.Pad, a.FlipH) }

// ImageCollator turns rows that name images of Set by index (the ids the
// Loader gets from ImageIndexEncode, or any []int{index}) into a batch
// with Images [B, C, H, W] normalised as (pixel/255 - Mean) / Std,
// augmented by Augment, and RowLabels when the set is labeled.
type ImageCollator struct {
	Set       *ImageSet
	Mean, Std float32 // normalisation; Std 0 means 1
	Augment   Augment
}

// String describes the collator.
func (c *ImageCollator) String() string {
	return fmt.Sprintf("ImageCollator{%v mean=%g std=%g %v}", c.Set, c.Mean, c.Std, c.Augment)
}

// Collate implements Collator: each row holds one image index.
func (c *ImageCollator) Collate(seqs [][]int, rng *RNG) (*Batch, error) {
	if len(seqs) == 0 {
		return nil, &ParamError{Op: "ImageCollator.Collate", Msg: "empty batch"}
	}
	if c.Set == nil {
		return nil, &ParamError{Op: "ImageCollator.Collate", Msg: "no image set: fill the collator's Set with the images the rows index"}
	}
	idx := make([]int, len(seqs))
	for i, s := range seqs {
		if len(s) != 1 || s[0] < 0 || s[0] >= c.Set.N {
			return nil, &ParamError{Op: "ImageCollator.Collate", Msg: fmt.Sprintf("row %d must hold one image index in [0,%d), got %v", i, c.Set.N, s)}
		}
		idx[i] = s[0]
	}
	return c.Images(idx, rng), nil
}

// Images collates the images at idx; rng draws the augmentation (nil: no
// augmentation).
func (c *ImageCollator) Images(idx []int, rng *RNG) *Batch {
	s := c.Set
	if s == nil {
		panic(&ParamError{Op: "ImageCollator.Images", Msg: "no image set: fill the collator's Set with the images"})
	}
	C, H, W := s.Channels, s.Height, s.Width
	std := c.Std
	if std == 0 {
		std = 1
	}
	scale, shift := 1/(255*std), -c.Mean/std
	bg := shift // the normalised value of a black pixel
	b := &Batch{Size: len(idx), Channels: C, Height: H, Width: W, Images: make([]float32, len(idx)*C*H*W)}
	if s.Labels != nil {
		b.RowLabels = make([]int, len(idx))
	}
	for k, i := range idx {
		if i < 0 || i >= s.N {
			panic(&ParamError{Op: "ImageCollator.Images", Msg: fmt.Sprintf("image index %d out of range [0,%d)", i, s.N)})
		}
		if s.Labels != nil {
			b.RowLabels[k] = s.Labels[i]
		}
		dx, dy, flip := 0, 0, false
		if rng != nil {
			if p := c.Augment.Pad; p > 0 {
				dy, dx = rng.Intn(2*p+1)-p, rng.Intn(2*p+1)-p
			}
			flip = c.Augment.FlipH && rng.Intn(2) == 1
		}
		src := s.Image(i)
		dst := b.Images[k*C*H*W : (k+1)*C*H*W]
		for ch := 0; ch < C; ch++ {
			for y := 0; y < H; y++ {
				sy := y + dy
				row := dst[(ch*H+y)*W : (ch*H+y+1)*W]
				if sy < 0 || sy >= H {
					for x := range row {
						row[x] = bg
					}
					continue
				}
				srow := src[(ch*H+sy)*W : (ch*H+sy+1)*W]
				for x := range row {
					sx := x + dx
					if flip {
						sx = W - 1 - x + dx
					}
					if sx < 0 || sx >= W {
						row[x] = bg
					} else {
						row[x] = float32(srow[sx])*scale + shift
					}
				}
			}
		}
	}
	return b
}

// Examples returns one Example per image whose Text is the image index and
// LabelID its label (0 when unlabeled), for a Loader that streams the set
// with shuffling and sharding; pair it with ImageIndexEncode and an
// ImageCollator over the same set.
func (s *ImageSet) Examples() []Example {
	ex := make([]Example, s.N)
	for i := range ex {
		ex[i] = Example{Text: strconv.Itoa(i), Source: s.String(), Line: i + 1}
		if s.Labels != nil {
			ex[i].LabelID = s.Labels[i]
			if s.Labels[i] < len(s.Classes) {
				ex[i].Label = s.Classes[s.Labels[i]]
			}
		}
	}
	return ex
}

// ImageIndexEncode is the EncodeFunc for the Examples of an ImageSet: it
// turns the index text back into a one-id row (-1 when not a number,
// which the ImageCollator rejects).
func ImageIndexEncode(text string) []int {
	i, err := strconv.Atoi(text)
	if err != nil {
		return []int{-1}
	}
	return []int{i}
}

// SyntheticImages makes n labeled single-channel size×size images of
// `classes` easily told-apart shapes (bars at class-dependent positions and
// orientations plus noise), for tests and the CI-size experiment.
func SyntheticImages(n, size, classes int, seed uint64) *ImageSet {
	rng := NewRNG(seed)
	s := &ImageSet{N: n, Channels: 1, Height: size, Width: size, Pixels: make([]byte, n*size*size), Labels: make([]int, n)}
	for c := 0; c < classes; c++ {
		s.Classes = append(s.Classes, "shape "+strconv.Itoa(c))
	}
	for i := 0; i < n; i++ {
		c := rng.Intn(classes)
		s.Labels[i] = c
		img := s.Image(i)
		for j := range img {
			img[j] = byte(rng.Intn(40))
		}
		vertical := c%2 == 0
		pos := (c/2)*size/((classes+1)/2+1) + size/(classes+2) + rng.Intn(3) - 1
		if pos < 0 {
			pos = 0
		}
		lo, hi := rng.Intn(size/4), size-rng.Intn(size/4)
		for t := lo; t < hi; t++ {
			for w := 0; w < 2 && pos+w < size; w++ {
				if vertical {
					img[t*size+pos+w] = byte(200 + rng.Intn(56))
				} else {
					img[(pos+w)*size+t] = byte(200 + rng.Intn(56))
				}
			}
		}
	}
	return s
}
