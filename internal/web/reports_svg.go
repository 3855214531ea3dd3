package web

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// bar is one bar of a chart: its label, its length and the figure
// printed next to it.
type bar struct {
	Label string
	Value float64
	Text  string
}

// barsSVG draws a horizontal bar chart on the server, so the reports page
// needs no script. The chart is an image with a title; the same figures
// are in the table beside it for screen readers.
func barsSVG(title string, bars []bar) template.HTML {
	const width, labelW, textW, rowH = 640, 150, 90, 22
	height := rowH*len(bars) + 30
	top := 0.0
	for _, b := range bars {
		top = max(top, b.Value)
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		width, height, width, height, html.EscapeString(title))
	fmt.Fprintf(&s, `<title>%s</title>`, html.EscapeString(title))
	fmt.Fprintf(&s, `<text x="0" y="16" font-size="14" font-weight="bold">%s</text>`, html.EscapeString(title))
	for i, b := range bars {
		y := 26 + i*rowH
		w := 0.0
		if top > 0 {
			w = b.Value / top * float64(width-labelW-textW)
		}
		fmt.Fprintf(&s, `<text x="%d" y="%d" font-size="12" text-anchor="end">%s</text>`, labelW-6, y+14, html.EscapeString(b.Label))
		fmt.Fprintf(&s, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="#2b6cb0"><title>%s: %s</title></rect>`,
			labelW, y+2, w, rowH-6, html.EscapeString(b.Label), html.EscapeString(b.Text))
		fmt.Fprintf(&s, `<text x="%.1f" y="%d" font-size="12">%s</text>`, float64(labelW)+w+6, y+14, html.EscapeString(b.Text))
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String()) // every piece of text above is escaped
}

// heatCell is one weekday × hour square.
type heatCell struct {
	Value float64
	Text  string
}

// heatmapSVG draws 7 rows (Monday first) by 24 local hours, darker for a
// higher value, with each square's figure in its tooltip.
func heatmapSVG(title string, days []string, cells [7][24]heatCell) template.HTML {
	const cell, left, topPad = 24, 40, 40
	width, height := left+24*cell+4, topPad+7*cell+4
	top := 0.0
	for _, row := range cells {
		for _, c := range row {
			top = max(top, c.Value)
		}
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		width, height, width, height, html.EscapeString(title))
	fmt.Fprintf(&s, `<title>%s</title>`, html.EscapeString(title))
	fmt.Fprintf(&s, `<text x="0" y="16" font-size="14" font-weight="bold">%s</text>`, html.EscapeString(title))
	for h := 0; h < 24; h += 3 {
		fmt.Fprintf(&s, `<text x="%d" y="%d" font-size="10">%02d</text>`, left+h*cell+4, topPad-6, h)
	}
	for d, row := range cells {
		y := topPad + d*cell
		fmt.Fprintf(&s, `<text x="0" y="%d" font-size="11">%s</text>`, y+16, html.EscapeString(days[d]))
		for h, c := range row {
			op := 0.04
			if top > 0 && c.Value > 0 {
				op = 0.15 + 0.85*c.Value/top
			}
			fmt.Fprintf(&s, `<rect x="%d" y="%d" width="%d" height="%d" fill="#c05621" fill-opacity="%.2f"><title>%s %02d:00 %s</title></rect>`,
				left+h*cell, y, cell-2, cell-2, op, html.EscapeString(days[d]), h, html.EscapeString(c.Text))
		}
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}
