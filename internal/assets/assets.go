// Package assets serves embedded static files (scripts, styles) under
// fingerprinted URLs: a URL carries a checksum of the content, so browsers
// cache it for a year and never run a stale copy.
package assets

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
)

// types fixes the content types instead of trusting the host's MIME
// tables: served with nosniff, a wrong type would break the page.
var types = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
}

type file struct {
	body  []byte
	ctype string
	sum   string
}

// Set is the files of one directory, served under one URL prefix.
type Set struct {
	prefix string
	files  map[string]file
}

// New reads every file of dir in fsys; prefix is the URL path they are
// served under (e.g. "/console/static/"). It panics on an unreadable
// embedded file, which is a build mistake.
func New(fsys fs.FS, dir, prefix string) *Set {
	s := &Set{prefix: prefix, files: map[string]file{}}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		panic("assets: " + err.Error())
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			panic("assets: " + err.Error())
		}
		sum := sha256.Sum256(b)
		s.files[e.Name()] = file{body: b, ctype: types[path.Ext(e.Name())], sum: hex.EncodeToString(sum[:6])}
	}
	return s
}

// URL is a file's fingerprinted URL.
func (s *Set) URL(name string) string { return s.prefix + name + "?v=" + s.files[name].sum }

// Body returns a file's content and type (for a file served elsewhere too).
func (s *Set) Body(name string) ([]byte, string) { f := s.files[name]; return f.body, f.ctype }

// ServeHTTP serves the file named by the {name} path value: cached for a
// year when the request carries the current checksum, revalidated otherwise.
func (s *Set) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := s.files[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.ctype)
	if r.URL.Query().Get("v") == f.sum {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	_, _ = w.Write(f.body)
}
