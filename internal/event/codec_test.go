package event_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"
	"time"

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

func TestKeyNamesAnOccurrence(t *testing.T) {
	at := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	a := event.MessageCreated{Scope: event.Scope{ConversationID: 7}, MessageID: 70, Seq: 2, Body: "hi", At: at}
	b := a // the same occurrence, heard by another instance
	c := a
	c.MessageID, c.Seq = 71, 3 // the next message
	if event.Key(a) != event.Key(b) {
		t.Error("one event heard twice got two keys")
	}
	if event.Key(a) == event.Key(c) {
		t.Error("two messages share a key")
	}
	if event.Key(event.ConversationCreated{Scope: a.Scope, At: at}) == event.Key(event.ConversationChanged{Scope: a.Scope, At: at}) {
		t.Error("events of two types share a key")
	}
}
