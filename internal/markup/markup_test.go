package markup

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name, in     string
		want, reject []string
	}{
		{"emphasis", "**withdrawal** stuck", []string{"<strong>withdrawal</strong>"}, nil},
		{"chinese", "提现 *处理中*", []string{"提现", "<em>处理中</em>"}, nil},
		{"script dropped", "hi <script>alert(1)</script>", []string{"hi"}, []string{"<script", "alert(1)</script>"}},
		{"javascript link", "[x](javascript:alert(1))", nil, []string{"javascript:"}},
		{"onerror attribute", `<img src=x onerror=alert(1)>`, nil, []string{"onerror"}},
		{"external link is nofollow", "[help](https://help.example/a)", []string{`rel="nofollow noreferrer noopener"`, `target="_blank"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Render(tt.in)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Render(%q) = %q, want it to contain %q", tt.in, got, w)
				}
			}
			for _, r := range tt.reject {
				if strings.Contains(got, r) {
					t.Errorf("Render(%q) = %q, must not contain %q", tt.in, got, r)
				}
			}
		})
	}
}

func TestEmail(t *testing.T) {
	tests := []struct {
		name, in     string
		want, reject []string
	}{
		{"formatting kept", `<p>Reset <b>2FA</b></p><ul><li>UID 42</li></ul>`, []string{"<b>2FA</b>", "<li>UID 42</li>"}, nil},
		{"tracking image dropped", `hi<img src="https://track.example/p.gif">`, []string{"hi"}, []string{"<img", "track.example"}},
		{"styles and classes dropped", `<p style="color:red" class="x">a</p><style>p{}</style>`, []string{"<p>a</p>"}, []string{"color:red", "class=", "<style"}},
		{"handlers dropped", `<div onclick="steal()">x</div>`, []string{"x"}, []string{"onclick", "steal"}},
		{"links are nofollow", `<a href="https://help.example/a">help</a>`, []string{`rel="nofollow noreferrer noopener"`, `target="_blank"`}, nil},
		{"javascript link dropped", `<a href="javascript:evil()">click</a>`, []string{"click"}, []string{"javascript:"}},
		{"forms dropped", `<form action="https://phish.example"><input name="seed"></form>`, nil, []string{"<form", "<input", "phish.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Email(tt.in)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Email(%q) = %q, want it to contain %q", tt.in, got, w)
				}
			}
			for _, r := range tt.reject {
				if strings.Contains(got, r) {
					t.Errorf("Email(%q) = %q, must not contain %q", tt.in, got, r)
				}
			}
		})
	}
}

// TestPlainMatchesMarkdown: the fast path for plain lines gives exactly
// what the Markdown pass gives, for every line it takes, and leaves the
// lines that mean something to Markdown alone.
func TestPlainMatchesMarkdown(t *testing.T) {
	slow := func(src string) string {
		var buf bytes.Buffer
		_ = md.Convert([]byte(src), &buf)
		return policy.Sanitize(buf.String())
	}
	lines := []string{
		"bench 12: my withdrawal of 0.5 BTC has been pending for an hour",
		"Hello, is anyone there? It's 3am and my order (#1) failed",
		`He said "wait" 'please'`,
		"我的提现一直在审核中，已经两个小时了，请帮忙看看。",
		"提现（USDT）：还没到账？",
		"see www.example.com now", "go to https://x.example now", "mail me at a@b.example",
		"a - b", "x 1. y", "ratio 50% / 3:2", "mailto:someone", "ends with space ", "two  spaces inside",
		"1. list", "- bullet", "# title", "> quote", "a_b_c", "a*b*c", "a~~b~~c", "a `code` b", "a [link](x)",
	}
	alphabet := []rune("abcXYZ09 .,;:?!'\"%/()-，。？！、；：（）“”‘’w@#*_~`[]<>&\\|+=提现")
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		r := make([]rune, 1+rnd.IntN(30))
		for i := range r {
			r[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		lines = append(lines, "w"+string(r))
	}
	took := 0
	for _, l := range lines {
		if !plain(l) {
			continue
		}
		took++
		if got, want := Render(l), slow(l); got != want {
			t.Fatalf("Render(%q) = %q, Markdown gives %q", l, got, want)
		}
	}
	if !plain(lines[0]) || !plain(lines[3]) || took < 1000 {
		t.Errorf("the fast path took %d lines, and the ordinary ones: %v %v", took, plain(lines[0]), plain(lines[3]))
	}
	for _, l := range []string{"see www.example.com now", "go to https://x.example now", "mail me at a@b.example", "1. list", "a*b*c"} {
		if plain(l) {
			t.Errorf("plain(%q) = true; Markdown gives it meaning", l)
		}
	}
}
