package markup

import (
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
