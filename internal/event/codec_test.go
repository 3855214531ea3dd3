package event_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"

	"vigil/internal/event"
)

// Every event type declared in this package must cross instances: a type
// added without Register would silently stay on the instance that
// published it.
func TestEveryEventTypeIsRegistered(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for name, pkg := range pkgs {
		if name != "event" {
			continue
		}
		for _, f := range pkg.Files {
			for _, decl := range f.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok || fn.Recv == nil || fn.Name.Name != "EventType" || len(fn.Body.List) != 1 {
					continue
				}
				ret, ok := fn.Body.List[0].(*ast.ReturnStmt)
				if !ok || len(ret.Results) != 1 {
					continue
				}
				lit, ok := ret.Results[0].(*ast.BasicLit)
				if !ok {
					continue
				}
				typ, _ := strconv.Unquote(lit.Value)
				found++
				if _, _, err := event.Decode([]byte(`{"type":` + strconv.Quote(typ) + `,"data":{}}`)); err != nil {
					t.Errorf("event type %q is not registered in codec.go: %v", typ, err)
				}
			}
		}
	}
	if found < 10 {
		t.Fatalf("found only %d event types; the parser missed them", found)
	}
}
