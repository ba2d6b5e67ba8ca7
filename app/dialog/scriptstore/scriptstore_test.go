package scriptstore

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/dialog"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

func TestScriptLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		svc := New(db, nil)
		a := store.WithTenant(context.Background(), 1)
		b := store.WithTenant(context.Background(), 2)

		row, err := svc.CreateFromTemplate(a, "collections", "催收A")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateFromTemplate(a, "collections", "催收A"); err == nil {
			t.Fatal("duplicate name accepted")
		}
		// Another tenant may use the same name and cannot see A's script.
		if _, err := svc.CreateFromTemplate(b, "telemarketing", "催收A"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Get(b, row.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("tenant B read A's script: %v", err)
		}
		if _, err := svc.Publish(b, row.ID, ""); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("tenant B published A's script: %v", err)
		}
		if _, err := svc.Publish(store.WithTenant(context.Background(), 0), row.ID, ""); err == nil {
			t.Fatal("no tenant: must fail")
		}

		v1, err := svc.Publish(a, row.ID, "first")
		if err != nil {
			t.Fatal(err)
		}
		if v1.Version != 1 || v1.Checksum == "" {
			t.Fatalf("version %+v", v1)
		}
		// A broken draft does not publish, and nothing changes.
		_, sc, _ := svc.Get(a, row.ID)
		sc.Nodes[2].Branches[0].Next = "nowhere"
		if _, err := svc.UpdateDraft(a, row.ID, sc); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Publish(a, row.ID, "")
		var ve *apperr.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(ve.Fields["node remind"], "nowhere") {
			t.Fatalf("want validation error naming the node, got %v", err)
		}
		// A failing script test blocks publishing too.
		_, sc, _ = svc.Get(a, row.ID)
		sc.Nodes[2].Branches[0].Next = "ptp"
		sc.Tests[0].Grade = "A" // the wrong-person test grades F
		if _, err := svc.UpdateDraft(a, row.ID, sc); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Publish(a, row.ID, "")
		if !errors.As(err, &ve) || !strings.Contains(ve.Fields["test wrong person"], "grade F, want A") {
			t.Fatalf("want failing test error, got %v", err)
		}
		vs, err := svc.Versions(a, row.ID)
		if err != nil || len(vs) != 1 {
			t.Fatalf("versions %v %v", vs, err)
		}
		// Version 1 is frozen: the draft edits did not touch it.
		loaded, err := svc.LoadVersion(a, v1.ID)
		if err != nil || loaded.Node("remind").Branches[0].Next != "ptp" || loaded.Tests[0].Grade != "F" {
			t.Fatalf("load version: %v", err)
		}
		if again, _ := svc.LoadVersion(a, v1.ID); again != loaded {
			t.Fatal("versions must be parsed once and shared")
		}
		if _, err := svc.LoadVersion(b, v1.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("tenant B loaded A's version: %v", err)
		}
		if _, err := svc.LoadVersion(store.AsPlatform(context.Background()), v1.ID); err != nil {
			t.Fatalf("platform load: %v", err)
		}
		// Published scripts cannot be deleted; drafts can.
		if err := svc.Delete(a, row.ID); !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("delete published: %v", err)
		}
		blank, err := svc.Create(a, &dialog.Script{Name: "blank"})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Delete(a, blank.ID); err != nil {
			t.Fatal(err)
		}
		list, _, err := svc.List(a, store.Page{})
		if err != nil || len(list) != 1 || list[0].Draft != "" {
			t.Fatalf("list %v %v", list, err)
		}

		// Chat: replay against version 1.
		line := "明天就还"
		reply, err := svc.Chat(a, row.ID, ChatRequest{Version: 1, Vars: map[string]string{"name": "张三", "amount": "500"}, History: []string{"是我"}, Line: &line})
		if err != nil {
			t.Fatal(err)
		}
		if !reply.Result.Ended || reply.Result.Grade != "A" || len(reply.Actions) == 0 {
			t.Fatalf("chat reply %+v", reply)
		}
		start, err := svc.Chat(a, row.ID, ChatRequest{Vars: map[string]string{"name": "张三"}})
		if err != nil || len(start.Actions) != 3 {
			t.Fatalf("chat start %+v %v", start, err)
		}
	})
}
