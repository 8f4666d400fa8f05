package models

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// AudienceImport is an OpenID list to save as an audience: pasted text, or a CSV or XLSX file.
type AudienceImport struct {
	Name     string
	Text     string // pasted (used when File is empty)
	Filename string
	File     []byte
}

// Field errors of an import (catalogue keys).
const (
	FieldAudienceName  = "name"
	FieldAudienceFile  = "file"
	FieldAudienceList  = "openids"
	FieldAudienceGroup = "group"
	FieldAudienceDates = "dates"
	FieldAudienceBelow = "received_below"
	FieldSavedAudience = "audience" // the send form's saved-audience choice
)

// xlsxUnzipLimit bounds what an uploaded XLSX may inflate to (a zip bomb is refused).
const xlsxUnzipLimit = 64 << 20

// isHeader reports whether a cell names the OpenID column.
func isHeader(v string) bool {
	v = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(v, "\uFEFF")))
	return v == "openid" || v == "open_id" || v == "open id"
}

// tableEntries feeds a table's OpenID column to fn: the column headed openid when the first row
// has one (that row is skipped), else the first column; line is the row's line in the file.
func tableEntries(next func() (line int, cells []string, ok bool), fn func(line int, v string)) {
	col, first := 0, true
	for {
		line, cells, ok := next()
		if !ok {
			return
		}
		if first && len(cells) > 0 {
			first = false
			if i := headerColumn(cells); i >= 0 {
				col = i
				continue
			}
		}
		if col < len(cells) {
			fn(line, strings.TrimPrefix(cells[col], "\uFEFF"))
		}
	}
}

func headerColumn(cells []string) int {
	for i, c := range cells {
		if isHeader(c) {
			return i
		}
	}
	return -1
}

// fileKind tells a CSV from an XLSX by content, not by name; "" is neither.
func fileKind(data []byte) string {
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return "xlsx"
	}
	head := data[:min(len(data), 64<<10)]
	for _, b := range head {
		if b < 0x20 && b != '\n' && b != '\r' && b != '\t' {
			return "" // binary: an old .xls, an image, a PDF…
		}
	}
	return "csv"
}

// csvEntries reads a CSV (BOM, CRLF, blank lines, quoted fields; comma, semicolon or tab).
func csvEntries(data []byte, fn func(line int, v string)) error {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	r := csv.NewReader(bytes.NewReader(data))
	firstLine, _, _ := bytes.Cut(data, []byte("\n"))
	if !bytes.ContainsRune(firstLine, ',') {
		switch {
		case bytes.ContainsRune(firstLine, '\t'):
			r.Comma = '\t'
		case bytes.ContainsRune(firstLine, ';'):
			r.Comma = ';'
		}
	}
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	var readErr error
	tableEntries(func() (int, []string, bool) {
		rec, err := r.Read()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = err
			}
			return 0, nil, false
		}
		line, _ := r.FieldPos(0)
		return line, rec, true
	}, fn)
	return readErr
}

// xlsxEntries reads the first sheet of an XLSX.
func xlsxEntries(data []byte, fn func(line int, v string)) error {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: xlsxUnzipLimit, UnzipXMLSizeLimit: xlsxUnzipLimit})
	if err != nil {
		return err
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return errors.New("no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return err
	}
	defer rows.Close()
	var readErr error
	n := 0
	tableEntries(func() (int, []string, bool) {
		if !rows.Next() {
			readErr = rows.Error()
			return 0, nil, false
		}
		n++
		cells, err := rows.Columns()
		if err != nil {
			readErr = err
			return 0, nil, false
		}
		return n, cells, true
	}, fn)
	return readErr
}

// parseAudienceImport checks every entry of an import; source says where it came from
// ("paste" | "csv" | "xlsx"). A file that is neither CSV nor XLSX is a field error.
func parseAudienceImport(in AudienceImport) (c *openIDChecker, entries int, source string, err error) {
	c = newOpenIDChecker()
	count := func(line int, v string) {
		if strings.TrimSpace(v) != "" {
			entries++
		}
		c.add(line, v)
	}
	fileErr := func(key string) error {
		return &ValidationError{Fields: FieldErrors{FieldAudienceFile: key}}
	}
	if len(in.File) == 0 {
		first := true
		pastedEntries(in.Text, func(line int, v string) {
			// A pasted header ("openid", which is itself a well-formed OpenID) is not a follower.
			if first && strings.TrimSpace(v) != "" {
				first = false
				if isHeader(v) {
					return
				}
			}
			count(line, v)
		})
		return c, entries, "paste", nil
	}
	switch fileKind(in.File) {
	case "xlsx":
		if err := xlsxEntries(in.File, count); err != nil {
			return nil, 0, "", fileErr("err.audience_file_xlsx")
		}
		return c, entries, "xlsx", nil
	case "csv":
		if err := csvEntries(in.File, count); err != nil {
			return nil, 0, "", fileErr("err.audience_file_csv")
		}
		return c, entries, "csv", nil
	}
	return nil, 0, "", fileErr("err.audience_file_type")
}
