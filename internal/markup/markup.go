// Package markup renders message and article Markdown to HTML that is safe
// to show in an agent's or customer's browser.
package markup

import (
	"bytes"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

var (
	md = goldmark.New(goldmark.WithExtensions(extension.GFM))
	// policy allows user-generated content tags; links get rel=nofollow
	// noopener and open in a new tab, scripts and styles are removed.
	policy = func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.RequireNoFollowOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(true)
		p.RequireNoReferrerOnLinks(true)
		return p
	}()
)

// Render converts Markdown to sanitised HTML. Raw HTML in the input is
// dropped by goldmark's default and anything else unsafe by the policy.
func Render(src string) string {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		// goldmark only fails on writer errors; a bytes.Buffer has none.
		return policy.Sanitize(src)
	}
	return policy.Sanitize(buf.String())
}
