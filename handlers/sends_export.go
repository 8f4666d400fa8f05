package handlers

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"qunfa/models"
	"qunfa/views"
)

// sendsCSV downloads the history the page's filter selects (GET /sends.csv): the page's columns,
// every page of them, newest first, written as they are read a chunk at a time (the history is
// never held in memory). UTF-8 with a byte-order mark so Excel reads the Chinese right; times in
// Beijing time; a cell that would start a formula is quoted (csvSafe).
func (a *app) sendsCSV(c *gin.Context) error {
	f, form := historyFilter(c)
	if form.Errors != nil {
		return a.sendsList(c) // the page, with the filter's errors (400)
	}
	l := views.Layout{Lang: langOf(c)}
	out := startCSV(c.Writer, a.historyFileName()+".csv")
	if out == nil {
		return nil // the client went away; nothing to answer
	}
	_ = out.w.Write(views.HistoryHeader(l))
	err := a.svc.EachHistorySend(c.Request.Context(), f, func(s models.Send) error {
		text, figures, has := views.HistoryRecord(l, sendRow(s))
		rec := make([]string, 0, len(text)+len(figures))
		for _, v := range text {
			rec = append(rec, csvSafe(v))
		}
		for _, v := range figures {
			if has {
				rec = append(rec, fmt.Sprint(v))
			} else {
				rec = append(rec, "")
			}
		}
		return out.row(rec)
	})
	a.endCSV(out, "history CSV", err)
	return nil
}

// sendsXLSX downloads the same as sendsCSV as an Excel workbook (GET /sends.xlsx), written
// through excelize's StreamWriter (rows go to a temporary file past its buffer, not into
// memory); figures are numbers, times Beijing time as text, as the page shows them.
func (a *app) sendsXLSX(c *gin.Context) error {
	f, form := historyFilter(c)
	if form.Errors != nil {
		return a.sendsList(c)
	}
	l := views.Layout{Lang: langOf(c)}
	book := excelize.NewFile()
	defer book.Close()
	sheet := l.T("history.sheet")
	if err := book.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := book.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	_ = sw.SetColWidth(2, 2, 40)
	_ = sw.SetColWidth(3, 3, 24)
	_ = sw.SetColWidth(6, 6, 20)
	header := views.HistoryHeader(l)
	row := make([]any, len(header))
	for i, h := range header {
		row[i] = h
	}
	if err := sw.SetRow("A1", row); err != nil {
		return err
	}
	line := 1
	err = a.svc.EachHistorySend(c.Request.Context(), f, func(s models.Send) error {
		text, figures, has := views.HistoryRecord(l, sendRow(s))
		row := make([]any, 0, len(text)+len(figures))
		row = append(row, s.ID)
		for _, v := range text[1:] {
			row = append(row, v)
		}
		for _, v := range figures {
			if has {
				row = append(row, v)
			} else {
				row = append(row, nil)
			}
		}
		line++
		cell, err := excelize.CoordinatesToCellName(1, line)
		if err != nil {
			return err
		}
		return sw.SetRow(cell, row)
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.xlsx"`, a.historyFileName()))
	c.Status(http.StatusOK)
	if _, err := book.WriteTo(c.Writer); err != nil {
		a.log.Error("history XLSX cut short", "err", err)
	}
	return nil
}

// historyFileName names a download of the history after the Beijing time it was made.
func (a *app) historyFileName() string {
	return "qunfa-history-" + a.now().In(models.Beijing).Format("20060102-150405")
}
