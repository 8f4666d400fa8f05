package handlers

import (
	"encoding/csv"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"qunfa/models"
	"qunfa/views"
)

// The downloads of an overview chart's figures (GET /overview/data.csv and /overview/data.xlsx,
// ?chart=…&from=…&to=…&gran=…): the chart's table as the page shows it, from the same panels.

// overviewPanel computes the overview of the asked range and returns the asked chart's panel.
func (a *app) overviewPanel(c *gin.Context) (views.ChartPanel, error) {
	q := c.Request.URL.Query()
	r, err := models.ParseOverviewRange(q.Get("from"), q.Get("to"), q.Get("gran"), a.now())
	if err != nil {
		return views.ChartPanel{}, err
	}
	ov, err := a.svc.Overview(c.Request.Context(), r)
	if err != nil {
		return views.ChartPanel{}, err
	}
	for _, p := range overviewPanels(views.Layout{Lang: langOf(c)}, ov) {
		if p.ID == q.Get("chart") {
			return p, nil
		}
	}
	return views.ChartPanel{}, &models.ValidationError{Fields: models.FieldErrors{"chart": "err.overview_chart"}}
}

// exportName is the file name of a chart's download.
func exportName(p views.ChartPanel, ext string) string {
	return fmt.Sprintf(`attachment; filename="%s.%s"`, p.Chart.Filename, ext)
}

// overviewCSV writes the chart's table as CSV: UTF-8 with a byte-order mark so Excel reads the
// Chinese right, cells that would start a formula quoted (csvSafe).
func (a *app) overviewCSV(c *gin.Context) error {
	p, err := a.overviewPanel(c)
	if err != nil {
		return err
	}
	w := c.Writer
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", exportName(p, "csv"))
	w.WriteHeader(http.StatusOK)
	if _, err := w.WriteString("\uFEFF"); err != nil {
		return nil // the client went away
	}
	cw := csv.NewWriter(w)
	for _, rec := range tableRecords(p.Table) {
		_ = cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		a.log.Error("overview export cut short", "chart", p.ID, "err", err)
	}
	return nil
}

// tableRecords is the table as rows of text: the header row, then each row's header and cells.
// Text that a spreadsheet would read as a formula is quoted (csvSafe); numbers, negative ones
// included, are written as they are.
func tableRecords(t views.ChartTable) [][]string {
	head := make([]string, len(t.Head))
	for i, h := range t.Head {
		head[i] = csvSafe(h)
	}
	out := [][]string{head}
	for _, r := range t.Rows {
		rec := []string{csvSafe(r.Head)}
		for _, c := range r.Cells {
			if _, text := c.Value.(string); text {
				rec = append(rec, csvSafe(c.Text))
			} else {
				rec = append(rec, c.Text)
			}
		}
		out = append(out, rec)
	}
	return out
}

// overviewXLSX writes the chart's table as a workbook of one sheet: numbers as numbers
// (percentages as their number, the header says %), the header row bold.
func (a *app) overviewXLSX(c *gin.Context) error {
	p, err := a.overviewPanel(c)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	head := make([]any, len(p.Table.Head))
	for i, h := range p.Table.Head {
		head[i] = h
	}
	if err := f.SetSheetRow(sheet, "A1", &head); err != nil {
		return err
	}
	for i, r := range p.Table.Rows {
		row := []any{r.Head}
		for _, c := range r.Cells {
			row = append(row, c.Value)
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return err
		}
	}
	if bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err == nil {
		end, _ := excelize.CoordinatesToCellName(len(head), 1)
		_ = f.SetCellStyle(sheet, "A1", end, bold)
	}
	_ = f.SetColWidth(sheet, "A", "A", 24)
	c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Header("Content-Disposition", exportName(p, "xlsx"))
	c.Status(http.StatusOK)
	if err := f.Write(c.Writer); err != nil {
		a.log.Error("overview export cut short", "chart", p.ID, "err", err)
	}
	return nil
}
