package views

// ChartPanel is one chart with its numbers (chart_panel.templ): a canvas that
// static/js/chart_panel.js draws from the JSON the panel embeds, the same figures in a table
// (a caption, column and row headers), and downloads: a PNG of the chart (drawn in the browser)
// and CSV and XLSX of the table (from the server, the same figures). Any page may show one.
type ChartPanel struct {
	ID    string // unique on the page: the canvas is chart-<ID>, its data chart-<ID>-data
	Title string // translated
	Note  string // a line under the title (translated), optional
	Chart ChartSpec
	Table ChartTable
	// Downloads of the table; empty: none offered.
	CSVURL, XLSXURL string
	// Empty is shown instead of the chart when there is nothing to draw (translated); the
	// table stays.
	Empty string
	Wide  bool // spans the grid's full width
}

// ChartSpec is what chart_panel.js draws; it is embedded as JSON.
type ChartSpec struct {
	Kind   string        `json:"kind"`   // bar | line | hbar | matrix
	Labels []string      `json:"labels"` // the x axis (the y axis of hbar)
	Series []ChartSeries `json:"series"`
	// Percent: the y axis (or the series on axis "pct") reads 0–100 %.
	Percent bool `json:"percent,omitempty"`
	// Matrix is the calendar's cells (Kind matrix).
	Matrix    []MatrixCell `json:"matrix,omitempty"`
	MatrixMax float64      `json:"matrixMax,omitempty"` // the value drawn darkest
	Weekdays  []string     `json:"weekdays,omitempty"`  // the calendar's row names, Monday first
	Stacked   bool         `json:"stacked,omitempty"`
	Filename  string       `json:"filename"` // of the PNG download, without extension
}

// ChartSeries is one data set. A nil value is a gap (no data that period).
type ChartSeries struct {
	Label  string     `json:"label"`
	Values []*float64 `json:"values"`
	Type   string     `json:"type,omitempty"` // bar | line, in a mixed chart
	Axis   string     `json:"axis,omitempty"` // y (default) | y2
	Color  string     `json:"color"`
}

// MatrixCell is one day of the calendar: column X (the week), row Y (0 Monday … 6 Sunday).
type MatrixCell struct {
	X     int     `json:"x"`
	Y     int     `json:"y"`
	V     float64 `json:"v"`
	Label string  `json:"label"` // the tooltip
}

// ChartTable is the chart's figures as a table: Head the column headers, each row a header
// cell (the period, the reason…) then values.
type ChartTable struct {
	Caption string
	Head    []string
	Rows    []ChartRow
}

// ChartRow is one row: Head its header cell, Cells the values as shown.
type ChartRow struct {
	Head  string
	Cells []ChartCell
	Link  string // the row header links here, optional
}

// ChartCell is one value: Text as shown, Value as exported to XLSX (a number where it is one).
type ChartCell struct {
	Text  string
	Value any
}

// Num is a cell of a whole number.
func Num(n int) ChartCell { return ChartCell{Text: itoa(n), Value: n} }

// Txt is a cell of text.
func Txt(s string) ChartCell { return ChartCell{Text: s, Value: s} }

// F is a float's pointer, for a series value.
func F(v float64) *float64 { return &v }
