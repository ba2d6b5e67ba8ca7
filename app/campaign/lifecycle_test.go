package campaign

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

func TestLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		hold := dialerFunc(func(context.Context, *store.CallAttempt) error { return nil })
		s := newService(t, db, Options{Dialer: hold, IgnoreWindows: true, BreakerMinCalls: 5})
		ctx, _ := newTenant(t, db, "acme")
		l := readyList(t, s, ctx, 10)
		tick := func() {
			if err := s.Tick(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		state := func(id uint64) *store.Campaign {
			c, err := s.GetCampaign(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}

		t.Run("transitions", func(t *testing.T) {
			c, _ := s.CreateCampaign(ctx, CampaignInput{Name: "t", ListID: l.ID})
			if _, err := s.Act(ctx, c.ID, ActionStart, ""); err == nil || !strings.Contains(err.Error(), "script_version_id") {
				t.Fatalf("started without a script: %v", err)
			}
			if _, err := s.Act(ctx, c.ID, ActionResume, ""); err == nil {
				t.Fatal("resumed a draft")
			}
			in := CampaignInput{Name: "t", ListID: l.ID, ScriptVersionID: scriptVersion(t, s, ctx)}
			if _, err := s.UpdateCampaign(ctx, c.ID, in); err != nil {
				t.Fatal(err)
			}
			for _, step := range []struct{ action, want string }{{ActionStart, store.CampaignRunning}, {ActionPause, store.CampaignPaused},
				{ActionResume, store.CampaignRunning}, {ActionStop, store.CampaignStopped}} {
				got, err := s.Act(ctx, c.ID, step.action, "")
				if err != nil || got.State != step.want {
					t.Fatalf("%s: %v %v", step.action, got, err)
				}
			}
			var ce *apperr.CodedError
			if _, err := s.Act(ctx, c.ID, ActionResume, ""); !errors.As(err, &ce) || ce.Status != 409 {
				t.Fatalf("resumed a stopped campaign: %v", err)
			}
		})

		t.Run("impossible schedule", func(t *testing.T) {
			past := time.Now().Add(-time.Hour)
			start := time.Now().Add(2 * time.Hour)
			end := time.Now().Add(time.Hour)
			for _, in := range []CampaignInput{{Name: "x", ListID: l.ID, EndAt: &past}, {Name: "x", ListID: l.ID, StartAt: &start, EndAt: &end}} {
				var ve *apperr.ValidationError
				if _, err := s.CreateCampaign(ctx, in); !errors.As(err, &ve) || ve.Fields["end_at"] == "" {
					t.Fatalf("accepted %+v: %v", in, err)
				}
			}
		})

		t.Run("scheduled start and end time", func(t *testing.T) {
			soon := time.Now().Add(300 * time.Millisecond)
			end := time.Now().Add(1500 * time.Millisecond)
			c, err := s.CreateCampaign(ctx, CampaignInput{Name: "s", ListID: l.ID, ScriptVersionID: scriptVersion(t, s, ctx), StartAt: &soon, EndAt: &end, MaxConcurrent: 1})
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := s.Act(ctx, c.ID, ActionStart, ""); got.State != store.CampaignScheduled {
				t.Fatalf("state %s, want scheduled", got.State)
			}
			time.Sleep(time.Until(soon))
			tick()
			if got := state(c.ID); got.State != store.CampaignRunning {
				t.Fatalf("state %s after start time, want running", got.State)
			}
			time.Sleep(time.Until(end))
			tick()
			if got := state(c.ID); got.State != store.CampaignCompleted || got.PauseReason != "end time reached" {
				t.Fatalf("after end time: %s %q", got.State, got.PauseReason)
			}
		})

		t.Run("circuit breaker pauses with the reason", func(t *testing.T) {
			c, _ := s.CreateCampaign(ctx, CampaignInput{Name: "b", ListID: l.ID, ScriptVersionID: scriptVersion(t, s, ctx), MaxConcurrent: 5})
			if _, err := s.Act(ctx, c.ID, ActionStart, ""); err != nil {
				t.Fatal(err)
			}
			var ccs []store.CampaignContact
			db.With(ctx).Where("campaign_id = ?", c.ID).Limit(5).Find(&ccs)
			for i, cc := range ccs {
				a := &store.CallAttempt{UUID: fmt.Sprintf("bbbbbbbb-0000-0000-0000-%012d", i), CampaignID: c.ID, ContactID: cc.ContactID,
					AttemptNo: 9, Phone: cc.Phone, State: store.AttemptFinished, Outcome: callctl.OutcomeCarrierError, QueuedAt: time.Now().UTC()}
				if err := db.With(ctx).Create(a).Error; err != nil {
					t.Fatal(err)
				}
			}
			tick()
			if got := state(c.ID); got.State != store.CampaignPaused || !strings.Contains(got.PauseReason, "circuit breaker") {
				t.Fatalf("state %s %q", got.State, got.PauseReason)
			}
		})
	})
}
