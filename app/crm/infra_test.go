package crm_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/crm"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
)

func sp(s string) *string { return &s }
func ip(i int) *int       { return &i }
func bp(b bool) *bool     { return &b }

func TestInfrastructure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := e.ctx
		badNodes := []struct {
			in    crm.NodeInput
			field string
		}{
			{crm.NodeInput{Name: sp("fs 1"), ESLAddr: sp("10.0.0.1:8021"), ESLPassword: sp("ClueCon")}, "name"},
			{crm.NodeInput{Name: sp("fs1"), ESLAddr: sp("10.0.0.1"), ESLPassword: sp("ClueCon")}, "esl_addr"},
			{crm.NodeInput{Name: sp("fs1"), ESLAddr: sp("10.0.0.1:99999"), ESLPassword: sp("ClueCon")}, "esl_addr"},
			{crm.NodeInput{Name: sp("fs1"), ESLAddr: sp("10.0.0.1:8021"), ESLPassword: sp("a\nb")}, "esl_password"},
			{crm.NodeInput{Name: sp("fs1"), ESLAddr: sp("10.0.0.1:8021")}, "esl_password"},
			{crm.NodeInput{Name: sp("fs1"), ESLAddr: sp("10.0.0.1:8021"), ESLPassword: sp("x"), MaxCalls: ip(0)}, "max_calls"},
		}
		for _, b := range badNodes {
			_, err := e.crm.SaveNode(ctx, 0, b.in)
			var ve *apperr.ValidationError
			if !errors.As(err, &ve) || ve.Fields[b.field] == "" {
				t.Errorf("node %+v: %v, want error on %s", b.in, err, b.field)
			}
		}
		n, err := e.crm.SaveNode(ctx, 0, crm.NodeInput{Name: sp("fs1"), ESLAddr: sp("10.0.0.1:8021"), ESLPassword: sp("ClueCon"), MaxCalls: ip(200)})
		if err != nil || n.MaxCalls != 200 || n.State != store.NodeEnabled {
			t.Fatalf("create node %+v %v", n, err)
		}
		if _, err := e.crm.SaveNode(ctx, 0, crm.NodeInput{Name: sp("fs1"), ESLAddr: sp("10.0.0.2:8021"), ESLPassword: sp("x")}); err == nil {
			t.Error("duplicate node name accepted")
		}
		if n, err = e.crm.SetNodeState(ctx, n.ID, store.NodeDraining); err != nil || n.State != store.NodeDraining {
			t.Fatalf("drain %+v %v", n, err)
		}

		tr, err := e.crm.SaveTrunk(ctx, 0, crm.TrunkInput{Name: sp("carrier-a"), Host: sp("sip.carrier.test:5060"), Password: sp("s3cret"), Register: bp(true), Enabled: bp(false), Prefix: sp("9")})
		if err != nil || !tr.Register || tr.Enabled || tr.Password != "s3cret" || tr.Transport != "udp" {
			t.Fatalf("create trunk %+v %v", tr, err)
		}
		if _, err := e.crm.SaveTrunk(ctx, tr.ID, crm.TrunkInput{Transport: sp("sctp")}); err == nil {
			t.Error("bad transport accepted")
		}
		if tr, err = e.crm.SaveTrunk(ctx, tr.ID, crm.TrunkInput{Password: sp(""), Enabled: bp(true)}); err != nil || tr.Password != "s3cret" || !tr.Enabled {
			t.Fatalf("empty password kept the old one? %+v %v", tr, err)
		}
		tn, _, err := e.accounts.CreateTenant(context.Background(), tenant.SignupInput{CompanyName: "Dialer", ContactName: "d", Email: "d@dial.test", Phone: "13500135000", Password: "secret123"}, true)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.crm.AssignTrunk(ctx, tr.ID, 9999, 0); err == nil {
			t.Error("assigned to a missing tenant")
		}
		for range 2 { // idempotent
			if err := e.crm.AssignTrunk(ctx, tr.ID, tn.ID, 10); err != nil {
				t.Fatal(err)
			}
		}
		c, err := e.crm.CreateCallerID(ctx, crm.CallerIDInput{TrunkID: tr.ID, Number: "0755 8888 0001", AreaCode: "755", TenantID: tn.ID})
		if err != nil || c.Number != "+8675588880001" {
			t.Fatalf("caller id %+v %v", c, err)
		}
		// Calls: the number was answered half the time, then almost never.
		tctx := store.WithTenant(context.Background(), tn.ID)
		i := 0
		call := func(end time.Time, answered bool) {
			i++
			a := store.CallAttempt{UUID: fmt.Sprintf("00000000-0000-0000-0000-%012d", i), CampaignID: 1, ContactID: uint64(i), AttemptNo: 1, Phone: "+8613800138000",
				CallerID: c.Number, TrunkID: tr.ID, State: store.AttemptFinished, Outcome: "no_answer", QueuedAt: end, EndedAt: &end}
			if answered {
				a.AnsweredAt, a.Outcome = &end, "answered"
			}
			if err := db.With(tctx).Create(&a).Error; err != nil {
				t.Fatal(err)
			}
		}
		for k := range 40 {
			call(e.now.Add(-5*24*time.Hour), k%2 == 0)
			call(e.now.Add(-time.Hour), k%10 == 0)
		}
		trunks, err := e.crm.ListTrunks(ctx)
		if err != nil || len(trunks) != 1 || trunks[0].Stats.Calls24h != 40 || trunks[0].Stats.Answered24h != 4 || trunks[0].Stats.Failures["no_answer"] != 36 || len(trunks[0].Tenants) != 1 {
			t.Fatalf("trunk stats %+v %v", trunks, err)
		}
		if n, err := e.crm.FlagFallingCallerIDs(ctx, 30); err != nil || n != 1 {
			t.Fatalf("flagged %d %v", n, err)
		}
		ids, _ := e.crm.ListCallerIDs(ctx, tr.ID, 0)
		if len(ids) != 1 || !ids[0].Flagged || ids[0].Calls7d != 80 || ids[0].FlagReason == "" {
			t.Fatalf("caller ids %+v", ids)
		}
		if c, err = e.crm.UpdateCallerID(ctx, c.ID, crm.CallerIDPatch{Flagged: bp(false), TenantID: new(uint64)}); err != nil || c.Flagged || c.TenantID != 0 {
			t.Fatalf("unflag %+v %v", c, err)
		}
		if err := e.crm.UnassignTrunk(ctx, tr.ID, tn.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.crm.UnassignTrunk(ctx, tr.ID, tn.ID); err == nil {
			t.Error("second unassign accepted")
		}
	})
}
