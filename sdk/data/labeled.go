package data

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Format is the file format of a labeled dataset.
type Format int

const (
	// FormatAuto picks the format from the file extension (.jsonl, .json,
	// .ndjson, .csv, .tsv, .tab, each optionally followed by .gz).
	FormatAuto Format = iota
	// JSONL holds one JSON object per line.
	JSONL
	// CSV is RFC 4180 comma-separated values with a header row.
	CSV
	// TSV is tab-separated values with a header row and no quoting.
	TSV
)

// String returns the format name.
func (f Format) String() string {
	switch f {
	case FormatAuto:
		return "auto"
	case JSONL:
		return "jsonl"
	case CSV:
		return "csv"
	case TSV:
		return "tsv"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// FormatOf guesses the format from a file name; FormatAuto if unknown.
func FormatOf(name string) Format {
	n := strings.ToLower(strings.TrimSuffix(strings.ToLower(name), ".gz"))
	switch filepath.Ext(n) {
	case ".jsonl", ".json", ".ndjson":
		return JSONL
	case ".csv":
		return CSV
	case ".tsv", ".tab":
		return TSV
	}
	return FormatAuto
}

// LabelMap maps label names to dense ids 0..Len()-1 in order of first
// appearance (or of the names given). Freeze it to turn unknown labels
// into errors, e.g. when reading an eval set with the train set's map.
type LabelMap struct {
	names  []string
	ids    map[string]int
	frozen bool
}

// NewLabelMap returns a map holding names as ids 0, 1, ...
func NewLabelMap(names ...string) *LabelMap {
	m := &LabelMap{ids: map[string]int{}}
	for _, n := range names {
		m.Add(n)
	}
	return m
}

// Add returns the id of name, adding it if new and the map is not frozen
// (-1 then).
func (m *LabelMap) Add(name string) int {
	if id, ok := m.ids[name]; ok {
		return id
	}
	if m.frozen {
		return -1
	}
	m.ids[name] = len(m.names)
	m.names = append(m.names, name)
	return len(m.names) - 1
}

// ID returns the id of name and whether it is known.
func (m *LabelMap) ID(name string) (int, bool) {
	id, ok := m.ids[name]
	return id, ok
}

// Name returns the name of id, or "" if out of range.
func (m *LabelMap) Name(id int) string {
	if id < 0 || id >= len(m.names) {
		return ""
	}
	return m.names[id]
}

// Len returns the number of labels.
func (m *LabelMap) Len() int { return len(m.names) }

// Names returns the label names in id order.
func (m *LabelMap) Names() []string { return append([]string(nil), m.names...) }

// Freeze stops the map from growing.
func (m *LabelMap) Freeze() { m.frozen = true }

// Frozen reports whether the map is frozen.
func (m *LabelMap) Frozen() bool { return m.frozen }

// String lists the labels with their ids.
func (m *LabelMap) String() string {
	var b strings.Builder
	b.WriteString("LabelMap{")
	for i, n := range m.names {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%d:%q", i, n)
	}
	b.WriteString("}")
	return b.String()
}

// MarshalJSON writes the names in id order as a JSON array.
func (m *LabelMap) MarshalJSON() ([]byte, error) { return json.Marshal(m.names) }

// UnmarshalJSON reads a JSON array of distinct names.
func (m *LabelMap) UnmarshalJSON(b []byte) error {
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return err
	}
	*m = LabelMap{ids: map[string]int{}}
	for _, n := range names {
		if _, dup := m.ids[n]; dup {
			return fmt.Errorf("label %q appears twice", n)
		}
		m.Add(n)
	}
	return nil
}

// WriteFile saves the map as a JSON array of names.
func (m *LabelMap) WriteFile(path string) error {
	b, _ := m.MarshalJSON()
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadLabelMap loads a map saved by WriteFile.
func ReadLabelMap(path string) (*LabelMap, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &InputError{File: path, Offset: -1, Msg: "cannot read label map", Err: err}
	}
	m := &LabelMap{}
	if err := m.UnmarshalJSON(b); err != nil {
		return nil, &InputError{File: path, Offset: -1, Msg: "bad label map", Err: err}
	}
	return m, nil
}

// LabeledOptions configures a labeled reader.
type LabeledOptions struct {
	Format          Format    // FormatAuto: from the file name
	TextColumn      string    // column or JSON key of the text; "" means "text"
	TextPairColumn  string    // optional second text (sentence pairs); "" means none
	LabelColumn     string    // column or JSON key of the label; "" means "label"
	Labels          *LabelMap // label ids to use and extend; nil starts a new map
	AllowEmptyTexts bool      // accept rows whose text is empty
}

// String describes the options.
func (o LabeledOptions) String() string {
	return fmt.Sprintf("LabeledOptions{%v text=%q pair=%q label=%q}", o.Format, o.textCol(), o.TextPairColumn, o.labelCol())
}

func (o LabeledOptions) textCol() string {
	if o.TextColumn == "" {
		return "text"
	}
	return o.TextColumn
}

func (o LabeledOptions) labelCol() string {
	if o.LabelColumn == "" {
		return "label"
	}
	return o.LabelColumn
}

// Example is one labeled example.
type Example struct {
	Text     string // the text
	TextPair string // the second text, when TextPairColumn is set
	Label    string // the label as written
	LabelID  int    // the label's id in the reader's LabelMap
	Source   string // file name
	Line     int    // 1-based line where the row starts
}

// String shows the example's position, label and the start of its text.
func (e Example) String() string {
	t := clip(e.Text, 40)
	return fmt.Sprintf("Example{%s:%d label=%q(%d) %q}", e.Source, e.Line, e.Label, e.LabelID, t)
}

// LabeledReader streams examples from one JSONL, CSV or TSV source.
type LabeledReader struct {
	name   string
	opt    LabeledOptions
	format Format
	labels *LabelMap
	lr     *lineReader
	csv    *csv.Reader
	cols   map[string]int // CSV/TSV: column name -> index
	ncols  int
	count  int
	err    error
}

// OpenLabeled opens a labeled file (plain or gzip).
func OpenLabeled(path string, opt LabeledOptions) (*LabeledReader, error) {
	return NewLabeledReader(FileSource(path), opt)
}

// NewLabeledReader opens a labeled source; for CSV and TSV it reads the
// header and checks that the configured columns exist.
func NewLabeledReader(src Source, opt LabeledOptions) (*LabeledReader, error) {
	format := opt.Format
	if format == FormatAuto {
		format = FormatOf(src.Name)
		if format == FormatAuto {
			return nil, &InputError{File: src.Name, Offset: -1, Msg: "cannot tell the format from the name; set LabeledOptions.Format"}
		}
	}
	lr, err := openLineReader(src, CorpusOptions{})
	if err != nil {
		return nil, err
	}
	r := &LabeledReader{name: src.Name, opt: opt, format: format, labels: opt.Labels, lr: lr}
	if r.labels == nil {
		r.labels = NewLabelMap()
	}
	switch format {
	case JSONL:
		return r, nil
	case CSV:
		r.csv = csv.NewReader(lr.br)
		r.csv.ReuseRecord = true
		header, err := r.csv.Read()
		if err != nil {
			lr.close()
			return nil, r.csvErr(err, "bad header")
		}
		if err := r.setHeader(header); err != nil {
			lr.close()
			return nil, err
		}
		return r, nil
	case TSV:
		line, _, off, err := lr.readLine()
		if err != nil {
			lr.close()
			if err == io.EOF {
				return nil, &InputError{File: src.Name, Line: 1, Offset: 0, Msg: "no header row"}
			}
			return nil, err
		}
		s, err := lr.checkUTF8(line, 1, off)
		if err != nil {
			lr.close()
			return nil, err
		}
		if err := r.setHeader(strings.Split(s, "\t")); err != nil {
			lr.close()
			return nil, err
		}
		return r, nil
	}
	lr.close()
	return nil, &ParamError{Op: "NewLabeledReader", Msg: "unknown " + format.String()}
}

func (r *LabeledReader) setHeader(header []string) error {
	r.cols = map[string]int{}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		h = strings.TrimSpace(h)
		if _, dup := r.cols[h]; !dup {
			r.cols[h] = i
		}
	}
	r.ncols = len(header)
	need := []string{r.opt.textCol(), r.opt.labelCol()}
	if r.opt.TextPairColumn != "" {
		need = append(need, r.opt.TextPairColumn)
	}
	for _, c := range need {
		if _, ok := r.cols[c]; !ok {
			return &InputError{File: r.name, Line: 1, Offset: -1,
				Msg: fmt.Sprintf("header has no column %q (columns: %s)", c, strings.Join(header, ", "))}
		}
	}
	return nil
}

func (r *LabeledReader) csvErr(err error, msg string) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &InputError{File: r.name, Line: pe.Line, Offset: -1, Msg: fmt.Sprintf("%s: column %d", msg, pe.Column), Err: pe.Err}
	}
	if err == io.EOF {
		return &InputError{File: r.name, Line: 1, Offset: -1, Msg: "no header row"}
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return err
	}
	return r.lr.readErr(err)
}

// Labels returns the label map (grown as new labels are read unless frozen).
func (r *LabeledReader) Labels() *LabelMap { return r.labels }

// Format returns the format being read.
func (r *LabeledReader) Format() Format { return r.format }

// String describes the reader.
func (r *LabeledReader) String() string {
	return fmt.Sprintf("LabeledReader{%s %v read=%d labels=%d}", r.name, r.format, r.count, r.labels.Len())
}

// Close releases the file.
func (r *LabeledReader) Close() error {
	if r.lr != nil {
		r.lr.close()
		r.lr = nil
	}
	if r.err == nil {
		r.err = errors.New("data: labeled reader closed")
	}
	return nil
}

// Next returns the next example, or io.EOF after the last one. A file with
// no example at all is an error.
func (r *LabeledReader) Next() (Example, error) {
	if r.err != nil {
		return Example{}, r.err
	}
	ex, err := r.next()
	if err == io.EOF && r.count == 0 {
		err = &InputError{File: r.name, Offset: -1, Msg: "no examples"}
	}
	if err != nil {
		r.err = err
		return Example{}, err
	}
	r.count++
	return ex, nil
}

func (r *LabeledReader) next() (Example, error) {
	switch r.format {
	case JSONL:
		return r.nextJSON()
	case CSV:
		rec, err := r.csv.Read()
		if err == io.EOF {
			return Example{}, io.EOF
		}
		if err != nil {
			return Example{}, r.csvErr(err, "bad CSV row")
		}
		line, _ := r.csv.FieldPos(0)
		for i, f := range rec {
			if !utf8.ValidString(f) {
				return Example{}, &InputError{File: r.name, Line: line, Offset: -1, Msg: fmt.Sprintf("invalid UTF-8 in field %d", i+1)}
			}
		}
		return r.fromRow(rec, line)
	default:
		for {
			line, n, off, err := r.lr.readLine()
			if err != nil {
				return Example{}, err
			}
			if isBlank(line) {
				continue
			}
			s, err := r.lr.checkUTF8(line, n, off)
			if err != nil {
				return Example{}, err
			}
			fields := strings.Split(s, "\t")
			if len(fields) != r.ncols {
				return Example{}, &InputError{File: r.name, Line: n, Offset: off,
					Msg: fmt.Sprintf("row has %d fields, header has %d", len(fields), r.ncols)}
			}
			return r.fromRow(fields, n)
		}
	}
}

func (r *LabeledReader) fromRow(rec []string, line int) (Example, error) {
	ex := Example{Source: r.name, Line: line,
		Text:  rec[r.cols[r.opt.textCol()]],
		Label: strings.TrimSpace(rec[r.cols[r.opt.labelCol()]])}
	if r.opt.TextPairColumn != "" {
		ex.TextPair = rec[r.cols[r.opt.TextPairColumn]]
	}
	return r.finish(ex)
}

func (r *LabeledReader) finish(ex Example) (Example, error) {
	if ex.Text == "" && !r.opt.AllowEmptyTexts {
		return Example{}, &InputError{File: r.name, Line: ex.Line, Offset: -1, Msg: fmt.Sprintf("empty %q", r.opt.textCol())}
	}
	if ex.Label == "" {
		return Example{}, &InputError{File: r.name, Line: ex.Line, Offset: -1, Msg: fmt.Sprintf("empty %q", r.opt.labelCol())}
	}
	ex.LabelID = r.labels.Add(ex.Label)
	if ex.LabelID < 0 {
		return Example{}, &InputError{File: r.name, Line: ex.Line, Offset: -1,
			Msg: fmt.Sprintf("unknown label %q (known: %s)", ex.Label, strings.Join(r.labels.names, ", "))}
	}
	return ex, nil
}

func (r *LabeledReader) nextJSON() (Example, error) {
	for {
		line, n, off, err := r.lr.readLine()
		if err != nil {
			return Example{}, err
		}
		if isBlank(line) {
			continue
		}
		if _, err := r.lr.checkUTF8(line, n, off); err != nil {
			return Example{}, err
		}
		var obj map[string]json.RawMessage
		dec := json.NewDecoder(bytes.NewReader(line))
		if err := dec.Decode(&obj); err != nil {
			msg := "invalid JSON"
			var se *json.SyntaxError
			if errors.As(err, &se) {
				msg = fmt.Sprintf("invalid JSON at column %d", se.Offset)
			} else if obj == nil {
				msg = "line is not a JSON object"
			}
			return Example{}, &InputError{File: r.name, Line: n, Offset: off, Msg: msg, Err: err}
		}
		if dec.More() {
			return Example{}, &InputError{File: r.name, Line: n, Offset: off, Msg: "more than one JSON value on the line"}
		}
		ex := Example{Source: r.name, Line: n}
		if ex.Text, err = r.jsonString(obj, r.opt.textCol(), n, off, false); err != nil {
			return Example{}, err
		}
		if r.opt.TextPairColumn != "" {
			if ex.TextPair, err = r.jsonString(obj, r.opt.TextPairColumn, n, off, false); err != nil {
				return Example{}, err
			}
		}
		if ex.Label, err = r.jsonString(obj, r.opt.labelCol(), n, off, true); err != nil {
			return Example{}, err
		}
		return r.finish(ex)
	}
}

// jsonString reads key from obj as a string; labels may also be numbers
// or booleans, kept as written.
func (r *LabeledReader) jsonString(obj map[string]json.RawMessage, key string, line int, off int64, label bool) (string, error) {
	raw, ok := obj[key]
	if !ok {
		return "", &InputError{File: r.name, Line: line, Offset: off, Msg: fmt.Sprintf("missing field %q", key)}
	}
	// Unmarshal treats null as "no change", so null is rejected here.
	isNull := strings.TrimSpace(string(raw)) == "null"
	var s string
	if !isNull && json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	if label && !isNull {
		var v any
		if json.Unmarshal(raw, &v) == nil {
			switch v.(type) {
			case float64, bool:
				return strings.TrimSpace(string(raw)), nil
			}
		}
	}
	want := "a string"
	if label {
		want = "a string, number or boolean"
	}
	return "", &InputError{File: r.name, Line: line, Offset: off, Msg: fmt.Sprintf("field %q must be %s, got %s", key, want, abbreviate(string(raw)))}
}

func abbreviate(s string) string {
	if len(s) > 30 {
		return s[:30] + "..."
	}
	return s
}

// ReadLabeled reads a whole labeled file into memory (for the small
// fine-tuning sets it is meant for) and returns its examples and labels.
func ReadLabeled(path string, opt LabeledOptions) ([]Example, *LabelMap, error) {
	r, err := OpenLabeled(path, opt)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var out []Example
	for {
		ex, err := r.Next()
		if err == io.EOF {
			return out, r.Labels(), nil
		}
		if err != nil {
			return nil, nil, err
		}
		out = append(out, ex)
	}
}
