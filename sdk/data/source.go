package data

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Source is one named stream of corpus text: a file on disk, an embedded
// file, or anything else that can be opened more than once (once per
// epoch). Gzip content is detected by its magic bytes and decompressed by
// the corpus reader, whatever the name.
type Source struct {
	Name string                        // shown in errors: the path, or a descriptive name
	Open func() (io.ReadCloser, error) // opens a fresh stream at the start
}

// String returns the source name.
func (s Source) String() string { return "Source(" + s.Name + ")" }

// FileSource returns a Source reading the file at path.
func FileSource(path string) Source {
	return Source{Name: path, Open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// BytesSource returns a Source over an in-memory buffer (plain or gzip).
func BytesSource(name string, b []byte) Source {
	return Source{Name: name, Open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}}
}

// StringSource returns a Source over a string.
func StringSource(name, s string) Source {
	return Source{Name: name, Open: func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(s)), nil
	}}
}

// ExpandPaths resolves files, folders and glob patterns to a sorted,
// de-duplicated list of regular files. A folder contributes every regular
// file below it whose name does not start with "." (recursively, in
// lexical order). A path or pattern that matches nothing is an error that
// names it, so a typo never silently yields an empty corpus.
func ExpandPaths(patterns []string) ([]string, error) {
	if len(patterns) == 0 {
		return nil, &InputError{File: "(no paths)", Offset: -1, Msg: "no corpus paths given"}
	}
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, pat := range patterns {
		var matches []string
		if strings.ContainsAny(pat, "*?[") {
			m, err := filepath.Glob(pat)
			if err != nil {
				return nil, &InputError{File: pat, Offset: -1, Msg: "bad glob pattern", Err: err}
			}
			if len(m) == 0 {
				return nil, &InputError{File: pat, Offset: -1, Msg: "glob matches no file"}
			}
			sort.Strings(m)
			matches = m
		} else {
			matches = []string{pat}
		}
		for _, p := range matches {
			st, err := os.Stat(p)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil, &InputError{File: p, Offset: -1, Msg: "no such file or folder"}
				}
				return nil, &InputError{File: p, Offset: -1, Msg: "cannot stat", Err: err}
			}
			if !st.IsDir() {
				add(p)
				continue
			}
			n0 := len(out)
			err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if q != p && strings.HasPrefix(d.Name(), ".") {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if d.Type().IsRegular() {
					add(q)
				}
				return nil
			})
			if err != nil {
				return nil, &InputError{File: p, Offset: -1, Msg: "cannot walk folder", Err: err}
			}
			if len(out) == n0 {
				return nil, &InputError{File: p, Offset: -1, Msg: "folder holds no file"}
			}
		}
	}
	return out, nil
}

// FileSources expands patterns with ExpandPaths and returns one Source per
// file.
func FileSources(patterns ...string) ([]Source, error) {
	paths, err := ExpandPaths(patterns)
	if err != nil {
		return nil, err
	}
	src := make([]Source, len(paths))
	for i, p := range paths {
		src[i] = FileSource(p)
	}
	return src, nil
}

func describeSources(src []Source) string {
	switch len(src) {
	case 0:
		return "no sources"
	case 1:
		return src[0].Name
	default:
		return fmt.Sprintf("%s and %d more", src[0].Name, len(src)-1)
	}
}
