// Package markup renders message and article Markdown to HTML that is safe
// to show in an agent's or customer's browser.
package markup

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

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
	if plain(src) {
		// Most chat messages are one line of words: the Markdown pass
		// would give this same paragraph (TestPlainMatchesMarkdown).
		return "<p>" + escaper.Replace(src) + "</p>\n"
	}
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		// goldmark only fails on writer errors; a bytes.Buffer has none.
		return policy.Sanitize(src)
	}
	return policy.Sanitize(buf.String())
}

// escaper escapes text as the sanitiser writes it.
var escaper = strings.NewReplacer(`'`, "&#39;", `"`, "&#34;")

// plain reports whether src is a single line that Markdown leaves as
// text: it starts and ends with a letter or digit (no block can open or
// trailing space be trimmed), and holds only letters, digits, single-line
// spaces and punctuation that forms no inline syntax, with no link the
// autolinker would find (no "@", "://" or "www.").
func plain(src string) bool {
	if src == "" || len(src) > 2000 {
		return false
	}
	first, _ := utf8.DecodeRuneInString(src)
	last, _ := utf8.DecodeLastRuneInString(src)
	if !unicode.IsLetter(first) || !(unicode.IsLetter(last) || unicode.IsDigit(last) || strings.ContainsRune(plainPunct, last)) {
		return false
	}
	for _, r := range src {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || strings.ContainsRune(plainPunct, r)) {
			return false
		}
	}
	return !strings.Contains(src, "://") && !strings.Contains(strings.ToLower(src), "www.")
}

// plainPunct is punctuation with no Markdown meaning inside a line.
const plainPunct = `.,;:?!'"%/()-，。？！、；：（）“”‘’`

// emailPolicy is stricter than policy: mail is written by strangers, so
// only text formatting, lists, tables and links survive; images (remote
// ones are tracking pixels), styles, classes, forms and every event
// handler are removed.
var emailPolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "div", "span", "b", "strong", "i", "em", "u", "s", "strike", "sub", "sup", "small",
		"blockquote", "ul", "ol", "li", "dl", "dt", "dd", "pre", "code", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
		"table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("colspan", "rowspan").Matching(bluemonday.Integer).OnElements("td", "th")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
}()

// Email sanitises the HTML of a received email for display.
func Email(src string) string { return emailPolicy.Sanitize(src) }
