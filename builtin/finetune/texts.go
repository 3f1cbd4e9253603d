package finetune

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/pretrain-go/pretrain/sdk/data"
)

// ReadTexts reads texts to classify from r, named name: by name's
// extension (.gz allowed), JSONL lines give their column key ("text" when
// empty) and CSV/TSV files (with a header row) that column; any other
// file holds one text per non-blank line. Labels, when present, are
// ignored. A line without the column, or an empty result, is an error
// naming the file and line.
func ReadTexts(r io.Reader, name, column string) ([]string, error) {
	if column == "" {
		column = "text"
	}
	base := strings.TrimSuffix(strings.ToLower(name), ".gz")
	if strings.HasSuffix(strings.ToLower(name), ".gz") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		defer zr.Close()
		r = zr
	}
	var texts []string
	switch data.FormatOf(base) {
	case data.JSONL:
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<26)
		for line := 1; sc.Scan(); line++ {
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			var obj map[string]any
			if err := json.Unmarshal(b, &obj); err != nil {
				return nil, fmt.Errorf("%s:%d: %v", name, line, err)
			}
			t, ok := obj[column].(string)
			if !ok {
				return nil, fmt.Errorf("%s:%d: no string %q key", name, line, column)
			}
			texts = append(texts, t)
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
	case data.TSV:
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<26)
		col := -1
		for line := 1; sc.Scan(); line++ {
			fields := strings.Split(strings.TrimRight(sc.Text(), "\r"), "\t")
			if line == 1 {
				for i, h := range fields {
					if strings.TrimSpace(h) == column {
						col = i
					}
				}
				if col < 0 {
					return nil, fmt.Errorf("%s:1: no %q column in the header (%s)", name, column, strings.Join(fields, ", "))
				}
				continue
			}
			if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
				continue
			}
			if col >= len(fields) {
				return nil, fmt.Errorf("%s:%d: %d fields, no %q column", name, line, len(fields), column)
			}
			texts = append(texts, fields[col])
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
	case data.CSV:
		cr := csv.NewReader(r)
		cr.FieldsPerRecord = -1
		header, err := cr.Read()
		if err != nil {
			return nil, fmt.Errorf("%s: header: %v", name, err)
		}
		col := -1
		for i, h := range header {
			if strings.TrimSpace(h) == column {
				col = i
			}
		}
		if col < 0 {
			return nil, fmt.Errorf("%s:1: no %q column in the header (%s)", name, column, strings.Join(header, ", "))
		}
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %v", name, err)
			}
			line, _ := cr.FieldPos(0)
			if col >= len(rec) {
				return nil, fmt.Errorf("%s:%d: %d fields, no %q column", name, line, len(rec), column)
			}
			texts = append(texts, rec[col])
		}
	default:
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<26)
		for sc.Scan() {
			if t := strings.TrimSpace(sc.Text()); t != "" {
				texts = append(texts, t)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
	}
	if len(texts) == 0 {
		return nil, fmt.Errorf("%s: no text to classify", name)
	}
	return texts, nil
}
