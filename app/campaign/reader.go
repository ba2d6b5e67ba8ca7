package campaign

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"github.com/waihu/waihu/app/apperr"
)

// File formats and text encodings an import can have.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
	EncUTF8    = "utf-8"
	EncGB18030 = "gb18030" // a superset of GBK and GB2312
)

// sniffLen is how much of a file decides its format and encoding.
const sniffLen = 64 << 10

// FileError is a problem with an uploaded file; Row and Column (1-based,
// 0 = unknown) point at the place so the user can fix it.
type FileError struct {
	Row    int
	Column int
	Reason string
}

func (e *FileError) Error() string {
	switch {
	case e.Row > 0 && e.Column > 0:
		return fmt.Sprintf("row %d, column %d: %s", e.Row, e.Column, e.Reason)
	case e.Row > 0:
		return fmt.Sprintf("row %d: %s", e.Row, e.Reason)
	}
	return e.Reason
}

// AsValidation turns the file error into the field-naming error the API renders.
func (e *FileError) AsValidation() *apperr.ValidationError { return apperr.Invalid("file", e.Error()) }

// sniff decides a file's format and, for CSV, its encoding.
func sniff(path string) (format, enc string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", "", fmt.Errorf("read upload: %w", err)
	}
	head = head[:n]
	if n == 0 {
		return "", "", &FileError{Reason: "the file is empty"}
	}
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return FormatXLSX, "", nil
	}
	if bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0}) {
		return "", "", &FileError{Reason: "old Excel (.xls) files are not supported; save the sheet as .xlsx or CSV"}
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return "", "", &FileError{Row: bytes.Count(head[:i], []byte("\n")) + 1, Reason: "the file is binary data, not CSV or XLSX"}
	}
	return FormatCSV, detectEncoding(head, n == sniffLen), nil
}

// detectEncoding picks UTF-8 when the sample is valid UTF-8 (a multi-byte
// character cut at the end of the sample is forgiven), else GB18030, which
// is what Chinese Excel writes as "CSV".
func detectEncoding(head []byte, cut bool) string {
	head = bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF"))
	if cut {
		for i := 0; i < utf8.UTFMax && len(head) > 0; i++ {
			if r, _ := utf8.DecodeLastRune(head); r != utf8.RuneError {
				break
			}
			head = head[:len(head)-1]
		}
	}
	if utf8.Valid(head) {
		return EncUTF8
	}
	return EncGB18030
}

// rowSource yields a file's rows as cells; io.EOF ends it.
type rowSource interface {
	Next() ([]string, error)
	Close() error
}

func openSource(path, format, enc string) (rowSource, error) {
	switch format {
	case FormatCSV:
		return openCSV(path, enc)
	case FormatXLSX:
		return openXLSX(path)
	}
	return nil, fmt.Errorf("unknown import format %q", format)
}

type csvSource struct {
	f   io.Closer
	r   *csv.Reader
	enc string
	row int
}

func openCSV(path, enc string) (*csvSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open upload: %w", err)
	}
	return newCSV(f, f, enc), nil
}

func csvFromBytes(data []byte, enc string) (*csvSource, error) {
	return newCSV(bytes.NewReader(data), io.NopCloser(nil), enc), nil
}

func newCSV(in io.Reader, closer io.Closer, enc string) *csvSource {
	br := bufio.NewReaderSize(in, 256<<10)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xEF\xBB\xBF")) {
		_, _ = br.Discard(3)
	}
	var r io.Reader = br
	if enc == EncGB18030 {
		r = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return &csvSource{f: closer, r: cr, enc: enc}
}

func (s *csvSource) Next() ([]string, error) {
	rec, err := s.r.Read()
	if err == io.EOF {
		return nil, io.EOF
	}
	s.row++
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, &FileError{Row: pe.StartLine, Column: pe.Column, Reason: "not valid CSV: " + pe.Err.Error()}
		}
		return nil, &FileError{Row: s.row, Reason: "cannot read the file: " + err.Error()}
	}
	for i, c := range rec {
		if s.enc == EncUTF8 && !utf8.ValidString(c) {
			return nil, &FileError{Row: s.row, Column: i + 1, Reason: "the text is not valid UTF-8 (mixed encodings?)"}
		}
	}
	return rec, nil
}

func (s *csvSource) Close() error { return s.f.Close() }

type xlsxSource struct {
	f    *excelize.File
	rows *excelize.Rows
	row  int
}

func openXLSX(path string) (*xlsxSource, error) {
	f, err := excelize.OpenFile(path, excelize.Options{UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return nil, &FileError{Reason: "the XLSX file is damaged or truncated: " + err.Error()}
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		_ = f.Close()
		return nil, &FileError{Reason: "the XLSX file has no sheet"}
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		_ = f.Close()
		return nil, &FileError{Reason: "the XLSX sheet cannot be read (damaged or truncated): " + err.Error()}
	}
	return &xlsxSource{f: f, rows: rows}, nil
}

func (s *xlsxSource) Next() ([]string, error) {
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return nil, &FileError{Row: s.row + 1, Reason: "the XLSX sheet is damaged after this row: " + err.Error()}
		}
		return nil, io.EOF
	}
	s.row++
	cells, err := s.rows.Columns()
	if err != nil {
		return nil, &FileError{Row: s.row, Reason: "the XLSX row cannot be read: " + err.Error()}
	}
	return cells, nil
}

func (s *xlsxSource) Close() error {
	_ = s.rows.Close()
	return s.f.Close()
}

// looksLikeFormula reports a cell that a spreadsheet would run as a formula
// (CSV injection: =HYPERLINK(…), +cmd, -2+3, @SUM). Such text is refused at
// import, so it can never flow back out in an export or the console.
func looksLikeFormula(s string) bool {
	s = strings.TrimLeft(s, " \t")
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '@':
		return true
	case '+', '-':
		// A signed number (+86 138…, -5) is data, not a formula.
		for _, r := range s[1:] {
			if !(r >= '0' && r <= '9' || r == ' ' || r == '.' || r == '-' || r == '(' || r == ')') {
				return true
			}
		}
	}
	return false
}
