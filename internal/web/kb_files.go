package web

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"net/http"

	"vigil/internal/api"
	"vigil/internal/apperr"
	"vigil/internal/i18n"
	"vigil/internal/kb"
)

// importView is the outcome of an upload, file by file.
type importView struct {
	Failed  bool
	Summary string
	Files   []importRow
}

type importRow struct {
	Name, Outcome, Error string
}

// maxUpload is the largest import form accepted: the unpacked limit of
// an import plus room for the form itself.
const maxUpload = kb.MaxImportBytes + 1<<20

// exportKB downloads the knowledge base as a zip of the files `vigil kb
// export` writes.
func (c *Console) exportKB(w http.ResponseWriter, r *http.Request, p *page) {
	var buf bytes.Buffer
	if err := c.KB.WriteZip(r.Context(), &buf); err != nil {
		c.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="help-center-`+c.Now().UTC().Format("20060102-1504")+`.zip"`)
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// limitUpload refuses an import larger than maxUpload before the form is
// read, in the reader's language.
func limitUpload(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxUpload {
			http.Error(w, i18n.T(i18n.Negotiate(r.Header.Get("Accept-Language")), "kb.upload_too_large", maxUpload>>20), http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
		h(w, r)
	}
}

// importKB takes uploaded .md files or .zip archives and imports them;
// the page lists every file with what happened to it, and when any file
// is bad nothing is written.
func (c *Console) importKB(w http.ResponseWriter, r *http.Request, p *page) {
	uploads, err := formFiles(r)
	if err == nil {
		uploads, err = kb.Unpack(uploads)
	}
	if err != nil {
		c.kbRetry(w, r, p, err, &kbListData{})
		return
	}
	rep, err := c.KB.ImportFiles(r.Context(), p.Agent.ID, uploads)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v := &importView{Failed: rep.Failed()}
	bad := 0
	for _, f := range rep.Files {
		row := importRow{Name: f.Name}
		if f.Err != nil {
			bad++
			row.Error = fileError(f.Err, p.Lang)
		} else if f.Outcome != "" {
			row.Outcome = p.T("kb.import." + f.Outcome)
		}
		v.Files = append(v.Files, row)
	}
	status := http.StatusOK
	if v.Failed {
		v.Summary = p.T("kb.import_failed", bad, len(rep.Files))
		status = http.StatusUnprocessableEntity
	} else {
		v.Summary = p.T("kb.import_done", rep.ImportResult.Files, rep.Versions, rep.Published)
	}
	c.renderKB(w, r, p, status, &kbListData{Import: v})
}

// fileError words an import error in lang. A mistake in the file (a
// line that does not read, two files for one article) carries its
// catalogue entry with the file name, line and field; other errors are
// the service's input errors.
func fileError(err error, lang string) string {
	var fe *kb.FileError
	if errors.As(err, &fe) {
		return i18n.T(lang, fe.Code, fe.Args...)
	}
	if _, msg, ok := api.Explain(err, lang); ok {
		return msg
	}
	return err.Error()
}

// formFiles reads the form's "files" field; the body was limited before
// the form was parsed.
func formFiles(r *http.Request) ([]kb.Upload, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File["files"]) == 0 {
		return nil, apperr.Invalidf("kb.import_empty", "choose one or more .md files or a .zip archive")
	}
	var out []kb.Upload
	for _, fh := range r.MultipartForm.File["files"] {
		data, err := readPart(fh)
		if err != nil {
			return nil, err
		}
		out = append(out, kb.Upload{Name: fh.Filename, Data: data})
	}
	return out, nil
}

func readPart(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, apperr.Invalidf("kb.import_unreadable", "%s could not be read", fh.Filename)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, kb.MaxImportBytes+1))
	if err != nil {
		return nil, apperr.Invalidf("kb.import_unreadable", "%s could not be read", fh.Filename)
	}
	if len(data) > kb.MaxImportBytes {
		return nil, apperr.Invalidf("kb.import_too_large", "an import holds at most %d MiB", kb.MaxImportBytes>>20)
	}
	return data, nil
}
