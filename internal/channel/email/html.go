package email

import (
	"strings"

	"golang.org/x/net/html"
)

// htmlText reduces an HTML body to plain text, which is all the desk shows
// of it: scripts, styles, images, links' targets and every attribute are
// dropped, so nothing active or remote reaches an agent's screen (the
// console renders the text like any message). Without keepQuotes, the
// quoted earlier message that Gmail, Outlook and Apple Mail wrap in
// markup of their own is left out.
func htmlText(src string, keepQuotes bool) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0 // depth inside an element whose content is dropped
	var stack []string
	space := false // whitespace seen since the last text written
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			if skip == 0 {
				raw := string(z.Text())
				t := strings.Join(strings.Fields(raw), " ")
				if t == "" {
					if raw != "" {
						space = true
					}
					continue
				}
				if space || raw[0] == ' ' || raw[0] == '\t' || raw[0] == '\n' {
					if end := b.String(); b.Len() > 0 && !strings.HasSuffix(end, "\n") && !strings.HasSuffix(end, " ") {
						b.WriteByte(' ')
					}
				}
				b.WriteString(t)
				last := raw[len(raw)-1]
				space = last == ' ' || last == '\t' || last == '\n'
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			drop := tag == "script" || tag == "style" || tag == "head" || tag == "title"
			if !keepQuotes && hasAttr && isQuoteBlock(tag, z) {
				drop = true
			}
			if tag == "br" || block(tag) {
				b.WriteByte('\n')
				space = false
			}
			if tt == html.SelfClosingTagToken || void(tag) {
				continue
			}
			if drop || skip > 0 {
				skip++
			}
			stack = append(stack, tag)
		case html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			// Pop to the matching start tag; stray end tags are ignored.
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i] != tag {
					continue
				}
				for j := len(stack) - 1; j >= i; j-- {
					if skip > 0 {
						skip--
					}
				}
				stack = stack[:i]
				break
			}
			if block(tag) {
				b.WriteByte('\n')
			}
		}
	}
}

// isQuoteBlock recognises the containers clients put a quoted reply in.
func isQuoteBlock(tag string, z *html.Tokenizer) bool {
	for {
		k, v, more := z.TagAttr()
		key, val := string(k), string(v)
		switch {
		case tag == "blockquote" && key == "type" && val == "cite": // Apple Mail, Thunderbird
			return true
		case key == "class" && (strings.Contains(val, "gmail_quote") || strings.Contains(val, "yahoo_quoted")):
			return true
		case key == "id" && (val == "divRplyFwdMsg" || val == "appendonsend" || strings.HasPrefix(val, "mail-editor-reference-message")):
			return true
		}
		if !more {
			return false
		}
	}
}

func block(tag string) bool {
	switch tag {
	case "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "hr":
		return true
	}
	return false
}

func void(tag string) bool {
	switch tag {
	case "br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source":
		return true
	}
	return false
}

// htmlDisplay is the HTML body as agents see it: the quoted earlier
// message and the document's head, scripts and styles are cut out, the
// rest is kept as written. It is not safe yet: ticket sanitises it with
// markup.Email before it is stored.
func htmlDisplay(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0
	var stack []string
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return strings.TrimSpace(b.String())
		case html.StartTagToken, html.SelfClosingTagToken:
			raw := string(z.Raw())
			name, hasAttr := z.TagName()
			tag := string(name)
			drop := tag == "script" || tag == "style" || tag == "head" || tag == "title" || (hasAttr && isQuoteBlock(tag, z))
			if tt == html.SelfClosingTagToken || void(tag) {
				if skip == 0 && !drop {
					b.WriteString(raw)
				}
				continue
			}
			if drop || skip > 0 {
				skip++
			} else {
				b.WriteString(raw)
			}
			stack = append(stack, tag)
		case html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i] != tag {
					continue
				}
				for j := len(stack) - 1; j >= i; j-- {
					if skip > 0 {
						skip--
					} else {
						b.WriteString("</" + stack[j] + ">")
					}
				}
				stack = stack[:i]
				break
			}
		default:
			if skip == 0 {
				b.Write(z.Raw())
			}
		}
	}
}
