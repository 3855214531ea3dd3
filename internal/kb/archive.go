package kb

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"vigil/internal/apperr"
)

// Upload is one file handed to ImportFiles: its name and contents.
type Upload struct {
	Name string
	Data []byte
}

// Limits on what an upload may hold, so a crafted archive cannot exhaust
// memory: MaxImportFiles Markdown files of at most MaxImportFile bytes,
// MaxImportBytes in all once unpacked.
const (
	MaxImportFiles = 2000
	MaxImportFile  = MaxBody + 16<<10
	MaxImportBytes = 32 << 20
)

// FileReport is what an import did with one file, or why it could not.
type FileReport struct {
	Name string
	// Outcome is "created" (a new article), "updated" (a new version),
	// "published", "unchanged" or "" when Err is set.
	Outcome string
	Err     error
}

// ImportReport lists every file of an import. When any file has an error
// nothing was written.
type ImportReport struct {
	ImportResult
	Files []FileReport
}

// Failed reports whether any file had an error (and so nothing was
// written).
func (r ImportReport) Failed() bool {
	for _, f := range r.Files {
		if f.Err != nil {
			return true
		}
	}
	return false
}

// WriteZip writes the knowledge base as a zip of the files Export writes,
// so a download holds the same as `vigil kb export`.
func (s *Service) WriteZip(ctx context.Context, w io.Writer) error {
	files, err := s.Files(ctx)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	for _, f := range files {
		fw, err := zw.Create(f.Name())
		if err != nil {
			return fmt.Errorf("kb: zip: %w", err)
		}
		if _, err := fw.Write(f.Marshal()); err != nil {
			return fmt.Errorf("kb: zip: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("kb: zip: %w", err)
	}
	return nil
}

// Unpack turns uploaded files into the Markdown files an import reads: a
// .zip is opened (its *.md files at any depth; other entries are skipped),
// a .md file stands for itself. Anything else, or more than the limits
// allow, is refused whole.
func Unpack(uploads []Upload) ([]Upload, error) {
	var out []Upload
	total := 0
	add := func(name string, data []byte) error {
		total += len(data)
		switch {
		case len(out) >= MaxImportFiles:
			return apperr.Invalidf("kb.import_too_many", "an import holds at most %d files", MaxImportFiles)
		case total > MaxImportBytes:
			return apperr.Invalidf("kb.import_too_large", "an import holds at most %d MiB", MaxImportBytes>>20)
		}
		out = append(out, Upload{Name: name, Data: data})
		return nil
	}
	for _, u := range uploads {
		switch strings.ToLower(path.Ext(u.Name)) {
		case ".md":
			if len(u.Data) > MaxImportFile {
				return nil, fileTooLarge(u.Name)
			}
			if err := add(path.Base(u.Name), u.Data); err != nil {
				return nil, err
			}
		case ".zip":
			zr, err := zip.NewReader(bytes.NewReader(u.Data), int64(len(u.Data)))
			if err != nil {
				return nil, namedError(u.Name, "kb.import_zip", "kb.file.zip", "%s is not a readable zip archive", u.Name)
			}
			for _, zf := range zr.File {
				if zf.FileInfo().IsDir() || !strings.EqualFold(path.Ext(zf.Name), ".md") || strings.HasPrefix(path.Base(zf.Name), ".") {
					continue
				}
				data, err := readEntry(zf)
				if err != nil {
					return nil, err
				}
				if err := add(path.Base(zf.Name), data); err != nil {
					return nil, err
				}
			}
		default:
			return nil, namedError(u.Name, "kb.import_type", "kb.file.type", "%s is neither a .md file nor a .zip archive", u.Name)
		}
	}
	if len(out) == 0 {
		return nil, apperr.Invalidf("kb.import_empty", "the upload holds no .md file")
	}
	return out, nil
}

func fileTooLarge(name string) error {
	return namedError(name, "kb.import_file_too_large", "kb.file.too_large", "%s is larger than %d KiB", name, MaxImportFile>>10)
}

// readEntry reads a zip entry, stopping at MaxImportFile whatever size
// the archive claims.
func readEntry(zf *zip.File) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, namedError(zf.Name, "kb.import_zip", "kb.file.zip_entry", "%s cannot be read from the archive", zf.Name)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, MaxImportFile+1))
	if err != nil {
		return nil, namedError(zf.Name, "kb.import_zip", "kb.file.zip_entry", "%s cannot be read from the archive", zf.Name)
	}
	if len(data) > MaxImportFile {
		return nil, fileTooLarge(zf.Name)
	}
	return data, nil
}

// ImportFiles brings the knowledge base in line with the files, as Import
// does with a directory. Every file is parsed and checked first and each
// problem reported against its file; if there is any, nothing is written.
// Two files for the same article and language are an error too.
func (s *Service) ImportFiles(ctx context.Context, agentID int64, uploads []Upload) (ImportReport, error) {
	sort.SliceStable(uploads, func(i, j int) bool { return uploads[i].Name < uploads[j].Name })
	rep := ImportReport{ImportResult: ImportResult{Files: len(uploads)}}
	var files []File
	seen := map[string]string{}
	for _, u := range uploads {
		f, err := ParseFile(u.Name, u.Data)
		if err == nil {
			err = f.check()
		}
		if err == nil {
			if other, dup := seen[f.Name()]; dup {
				err = namedError(u.Name, "kb.import_duplicate", "kb.file.duplicate", "%s and %s are both %s in %s", other, u.Name, f.Slug, f.Language)
			}
			seen[f.Name()] = u.Name
		}
		rep.Files = append(rep.Files, FileReport{Name: u.Name, Err: err})
		files = append(files, f)
	}
	if rep.Failed() {
		return rep, nil
	}
	// English files first, so a category is named in English before any
	// Chinese name is added to it.
	order := make([]int, len(files))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return files[order[i]].Language == "en" && files[order[j]].Language != "en" })
	var failed error
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		for _, i := range order {
			outcome, err := s.importFile(ctx, agentID, files[i], &rep.ImportResult)
			if err != nil {
				if _, known := apperr.As(err); !known {
					return fmt.Errorf("%s: %w", rep.Files[i].Name, err)
				}
				rep.Files[i].Err, failed = err, err
				return err
			}
			rep.Files[i].Outcome = outcome
		}
		return nil
	})
	switch {
	case failed != nil && errors.Is(err, failed):
		// The write was rolled back: the report names the file.
		for i := range rep.Files {
			rep.Files[i].Outcome = ""
		}
		rep.ImportResult = ImportResult{Files: len(uploads)}
		return rep, nil
	case err != nil:
		return ImportReport{}, err
	}
	return rep, nil
}

// check applies the rules the service would apply when writing the file,
// so an import reports every bad file before it writes anything.
func (f *File) check() error {
	if err := checkLang("language", f.Language); err != nil {
		return err
	}
	a := ArticleInput{Slug: f.Slug}
	if err := a.validate(); err != nil {
		return err
	}
	if f.Category != "" {
		c := CategoryInput{Slug: f.Category, Names: map[string]string{"en": f.Category}}
		if err := c.validate(); err != nil {
			return err
		}
	}
	v := f.Version
	return v.validate()
}
