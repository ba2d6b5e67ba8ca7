package speechdb

import (
	"context"
	"errors"
	"testing"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/engines"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

func TestChoicesPersistAndReload(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup, err := engines.NewSetup(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer setup.Close()
		svc := New(db, setup.Registry)
		if _, err := svc.SaveEngine(ctx, engines.Spec{Name: "sensevoice", Type: engines.TypeOpenAI, BaseURL: "http://127.0.0.1:9/v1", APIKey: "sk"}); err != nil {
			t.Fatal(err)
		}
		// Saving again updates in place.
		if _, err := svc.SaveEngine(ctx, engines.Spec{Name: "sensevoice", Type: engines.TypeOpenAI, BaseURL: "http://127.0.0.1:10/v1"}); err != nil {
			t.Fatal(err)
		}
		var ve *apperr.ValidationError
		if _, err := svc.SaveEngine(ctx, engines.Spec{Name: "bad", Type: engines.TypeFunASR, URL: "http://x"}); !errors.As(err, &ve) || ve.Fields["config"] == "" {
			t.Fatalf("bad spec: %v", err)
		}
		if _, err := svc.SaveEngine(ctx, engines.Spec{Type: engines.TypeFlite}); !errors.As(err, &ve) || ve.Fields["name"] == "" {
			t.Fatalf("no name: %v", err)
		}
		t7 := store.WithTenant(ctx, 7)
		if err := svc.SetChoice(t7, 0, speech.Choice{TTS: "flite", Voice: "awb"}); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetChoice(t7, 70, speech.Choice{ASR: "sensevoice", Speed: 1.2}); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetChoice(t7, 70, speech.Choice{ASR: "sensevoice", Speed: 1.1}); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []struct {
			c     speech.Choice
			field string
		}{{speech.Choice{ASR: "nope"}, "asr"}, {speech.Choice{TTS: "pocketsphinx"}, "tts"}, {speech.Choice{Speed: 4}, "speed"}} {
			if err := svc.SetChoice(t7, 71, bad.c); !errors.As(err, &ve) || ve.Fields[bad.field] == "" {
				t.Errorf("%+v: %v", bad.c, err)
			}
		}
		if err := svc.SetChoice(ctx, 1, speech.Choice{}); !errors.Is(err, store.ErrNoTenantScope) {
			t.Fatalf("no tenant: %v", err)
		}
		var n int64
		db.With(store.AsPlatform(ctx)).Model(&store.SpeechChoice{}).Count(&n)
		if n != 2 {
			t.Fatalf("%d choice rows, want 2 (upserts, nothing half-written)", n)
		}

		// A fresh process loads the same configuration.
		fresh, err := engines.NewSetup(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.Close()
		if err := New(db, fresh.Registry).Load(ctx); err != nil {
			t.Fatal(err)
		}
		c := fresh.Registry.Choose(speech.Scope{TenantID: 7, ScriptID: 70})
		if c.ASR != "sensevoice" || c.TTS != "flite" || c.Voice != "awb" || c.Speed != 1.1 {
			t.Fatalf("reloaded %+v", c)
		}
		if c := fresh.Registry.Choose(speech.Scope{TenantID: 8, ScriptID: 70}); c.ASR != "pocketsphinx" {
			t.Fatalf("other tenant sees tenant 7's script choice? %+v", c)
		}
	})
}
