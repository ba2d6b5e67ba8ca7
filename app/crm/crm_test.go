package crm_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/crm"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
)

type env struct {
	db       *store.DB
	accounts *tenant.Service
	crm      *crm.Service
	now      time.Time
	staff    *store.Staff
	ctx      context.Context // acting as the staff member
}

func newEnv(t *testing.T, db *store.DB) *env {
	e := &env{db: db, now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return e.now }
	e.accounts = tenant.New(db, storetest.Logger(), tenant.Options{Now: clock})
	e.crm = crm.New(db, e.accounts, storetest.Logger(), crm.Options{Now: clock, PoolAfter: 72 * time.Hour})
	e.accounts.Hooks = e.crm.Hooks(tenant.Hooks{})
	st, err := e.accounts.CreateStaff(context.Background(), tenant.NewStaff{Email: "sales@op.test", Name: "Sales", Role: store.StaffSales, Password: "secret123"})
	if err != nil {
		t.Fatal(err)
	}
	e.staff = st
	e.ctx = tenant.WithPrincipal(context.Background(), &tenant.Principal{Kind: tenant.ActorStaff, ID: st.ID, Role: st.Role, Name: st.Name, Email: st.Email})
	return e
}

func TestTrack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		ua := "Mozilla/5.0 (X11; Linux x86_64) Chrome/130"
		cases := []struct {
			name    string
			hit     crm.Hit
			counted bool
		}{
			{"first view with utm and referrer", crm.Hit{Path: "/", IP: "10.0.0.1", UserAgent: ua, Referrer: "https://www.baidu.com/s?wd=x", Host: "waihu.test",
				Query: url.Values{"utm_source": {"baidu"}, "utm_campaign": {"winter"}}}, true},
			{"second view same visitor", crm.Hit{Path: "/pricing", IP: "10.0.0.1", UserAgent: ua, Referrer: "https://waihu.test/", Host: "waihu.test"}, true},
			{"do not track", crm.Hit{Path: "/", IP: "10.0.0.2", UserAgent: ua, DNT: true}, false},
			{"bot", crm.Hit{Path: "/", IP: "10.0.0.3", UserAgent: "Googlebot/2.1"}, false},
			{"empty user agent", crm.Hit{Path: "/", IP: "10.0.0.4"}, false},
			{"other visitor", crm.Hit{Path: "/product", IP: "10.0.0.5", UserAgent: ua}, true},
		}
		for _, c := range cases {
			got, err := e.crm.Track(ctx, c.hit)
			if err != nil || got != c.counted {
				t.Fatalf("%s: counted=%v err=%v, want %v", c.name, got, err, c.counted)
			}
		}
		var views []store.PageView
		db.With(store.AsPlatform(ctx)).Order("id").Find(&views)
		if len(views) != 3 {
			t.Fatalf("%d views stored, want 3", len(views))
		}
		if !views[0].Landing || views[1].Landing || !views[2].Landing {
			t.Errorf("landing flags %v %v %v", views[0].Landing, views[1].Landing, views[2].Landing)
		}
		if views[0].Referrer != "www.baidu.com" || views[1].Referrer != "" || views[0].UTMCampaign != "winter" {
			t.Errorf("source not kept right: %+v / %+v", views[0], views[1])
		}
		for _, v := range views {
			if len(v.Visitor) != 32 || v.Visitor == "10.0.0.1" {
				t.Errorf("visitor id %q is not a hash", v.Visitor)
			}
		}
		// A new day's salt gives the same person a new id: no linking across days.
		first := views[0].Visitor
		e.now = e.now.Add(24 * time.Hour)
		id, _ := e.crm.VisitorID(ctx, "10.0.0.1", ua)
		if id == first {
			t.Error("visitor id did not change with the day's salt")
		}
		e.now = e.now.Add(48 * time.Hour)
		if err := e.crm.PurgeOldSalts(ctx); err != nil {
			t.Fatal(err)
		}
		var salts int64
		db.With(store.AsPlatform(ctx)).Model(&store.Setting{}).Where("`key` LIKE ?", "analytics_salt:%").Count(&salts)
		if salts != 0 {
			t.Errorf("%d old salts kept", salts)
		}
		tr, err := e.crm.Traffic(ctx, e.now.Add(-30*24*time.Hour), e.now)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Views != 3 || tr.Visitors != 2 || len(tr.Referrers) != 1 || len(tr.Campaigns) != 1 || len(tr.ByDay) != 1 {
			t.Errorf("traffic %+v", tr)
		}
	})
}

func TestLeadLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		since := e.now.Add(-time.Hour)

		bad := []struct {
			in    crm.ContactInput
			field string
		}{
			{crm.ContactInput{Company: "A", ContactName: "x", Phone: "13800138000"}, "company"},
			{crm.ContactInput{Company: "Acme", ContactName: "", Phone: "13800138000"}, "contact_name"},
			{crm.ContactInput{Company: "Acme", ContactName: "x", Phone: "12"}, "phone"},
			{crm.ContactInput{Company: "Acme", ContactName: "x", Phone: "13800138000", Email: "nope"}, "email"},
			{crm.ContactInput{Company: "Acme\nInc", ContactName: "x", Phone: "13800138000"}, "company"},
		}
		for _, b := range bad {
			_, err := e.crm.SubmitContact(ctx, b.in)
			var ve *apperr.ValidationError
			if !errors.As(err, &ve) || ve.Fields[b.field] == "" {
				t.Errorf("%+v: got %v, want a validation error on %s", b.in, err, b.field)
			}
		}
		l, err := e.crm.SubmitContact(ctx, crm.ContactInput{Company: "极速贷科技", ContactName: "刘经理", Phone: "138 0013 8000", Email: "Liu@Jisu.test",
			Source: crm.Source{UTMCampaign: "winter", Landing: "/pricing"}})
		if err != nil {
			t.Fatal(err)
		}
		if l.Phone != "+8613800138000" || l.Email != "liu@jisu.test" || l.Stage != store.LeadNew || l.OwnerID != 0 || l.UTMCampaign != "winter" {
			t.Fatalf("lead %+v", l)
		}

		// A follow-up by staff makes the lead theirs and contacted.
		next := e.now.Add(24 * time.Hour)
		if _, err := e.crm.AddFollowUp(e.ctx, l.ID, crm.NewFollowUp{Kind: "wechat", Note: "加了微信", NextAt: &next}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.crm.AddFollowUp(e.ctx, l.ID, crm.NewFollowUp{Kind: "fax", Note: "x"}); err == nil {
			t.Error("unknown follow-up kind accepted")
		}
		l, _ = e.crm.GetLead(ctx, l.ID)
		if l.Stage != store.LeadContacted || l.OwnerID != e.staff.ID || l.NextFollowUpAt == nil {
			t.Fatalf("after follow-up %+v", l)
		}
		rem, err := e.crm.Reminders(ctx, e.staff.ID, e.now.Add(48*time.Hour))
		if err != nil || len(rem) != 1 {
			t.Fatalf("reminders %v %v", rem, err)
		}

		lost := store.LeadLost
		if _, err := e.crm.UpdateLead(e.ctx, l.ID, crm.LeadPatch{Stage: &lost}); err == nil {
			t.Error("lost without a reason accepted")
		}

		// Nobody follows it up: the sweep returns it to the pool, once.
		e.now = e.now.Add(96 * time.Hour)
		if n, err := e.crm.SweepPool(ctx); err != nil || n != 1 {
			t.Fatalf("sweep moved %d, %v", n, err)
		}
		if n, _ := e.crm.SweepPool(ctx); n != 0 {
			t.Fatalf("second sweep moved %d", n)
		}
		pool, _, _ := e.crm.ListLeads(ctx, crm.LeadFilter{Pool: true}, store.Page{})
		if len(pool) != 1 {
			t.Fatalf("pool has %d", len(pool))
		}
		if _, err := e.crm.Claim(e.ctx, l.ID); err != nil {
			t.Fatal(err)
		}
		other, _ := e.accounts.CreateStaff(ctx, tenant.NewStaff{Email: "s2@op.test", Name: "S2", Role: store.StaffSales, Password: "secret123"})
		octx := tenant.WithPrincipal(ctx, &tenant.Principal{Kind: tenant.ActorStaff, ID: other.ID, Role: other.Role, Name: "S2"})
		if _, err := e.crm.Claim(octx, l.ID); !errors.Is(err, crm.ErrLeadTaken) {
			t.Fatalf("second claim: %v", err)
		}

		// Conversion creates a pending tenant linked to the lead, and no second lead.
		conv, err := e.crm.Convert(e.ctx, l.ID, crm.ConvertInput{})
		if err != nil {
			t.Fatal(err)
		}
		if conv.Tenant.Status != store.TenantPending || conv.Lead.TenantID != conv.Tenant.ID || conv.Lead.Stage != store.LeadTrial || conv.Password == "" {
			t.Fatalf("conversion %+v %+v", conv.Tenant, conv.Lead)
		}
		if _, err := e.crm.Convert(e.ctx, l.ID, crm.ConvertInput{Email: "x@y.test"}); err == nil {
			t.Error("second conversion accepted")
		}
		if _, err := e.accounts.ActivateTenant(e.ctx, conv.Tenant.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.accounts.Login(ctx, "liu@jisu.test", conv.Password); err != nil {
			t.Fatalf("the converted owner cannot log in: %v", err)
		}
		// A sign-up from the console becomes a lead by itself.
		if _, _, err := e.accounts.Signup(ctx, tenant.SignupInput{CompanyName: "自助公司", ContactName: "王", Email: "w@self.test", Phone: "13900139000", Password: "secret123"}); err != nil {
			t.Fatal(err)
		}
		if err := e.crm.RecordFirstRecharge(ctx, nil, conv.Tenant.ID, 10000); err != nil {
			t.Fatal(err)
		}
		if err := e.crm.RecordFirstRecharge(ctx, nil, conv.Tenant.ID, 20000); err != nil {
			t.Fatal(err)
		}
		// Re-activating after a suspension is not a second activation.
		if _, err := e.accounts.SuspendTenant(e.ctx, conv.Tenant.ID, "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.accounts.ActivateTenant(e.ctx, conv.Tenant.ID); err != nil {
			t.Fatal(err)
		}
		f, err := e.crm.Funnel(ctx, since, e.now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want := crm.Funnel{Contacts: 1, Signups: 1, Leads: 2, Activated: 1, FirstRecharge: 1}
		if *f != want {
			t.Errorf("funnel %+v, want %+v", *f, want)
		}
		var audits int64
		db.With(store.AsPlatform(ctx)).Model(&store.AuditLog{}).Where("action LIKE ?", "lead.%").Count(&audits)
		if audits < 5 { // contact, follow_up, pooled, claim, convert
			t.Errorf("only %d lead audit entries", audits)
		}
	})
}

func TestPlatformStats(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tn, _, err := e.accounts.CreateTenant(ctx, tenant.SignupInput{CompanyName: "Calls Co", ContactName: "c", Email: "c@calls.test", Phone: "13700137000", Password: "secret123"}, true)
		if err != nil {
			t.Fatal(err)
		}
		tctx := store.WithTenant(ctx, tn.ID)
		day1 := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
		mk := func(i int, end time.Time, answered bool, bill int) {
			a := store.CallAttempt{UUID: "00000000-0000-0000-0000-00000000000" + string(rune('0'+i)), CampaignID: 1, ContactID: uint64(i), AttemptNo: 1,
				Phone: "+8613800138000", State: store.AttemptFinished, Outcome: "answered", QueuedAt: end, EndedAt: &end, BillSec: bill}
			if answered {
				a.AnsweredAt = &end
			}
			if err := db.With(tctx).Create(&a).Error; err != nil {
				t.Fatal(err)
			}
		}
		mk(1, day1, true, 61)
		mk(2, day1, false, 0)
		mk(3, day1.Add(24*time.Hour), true, 30)
		st, err := e.crm.Platform(ctx, day1.Add(-time.Hour), day1.Add(72*time.Hour), nil)
		if err != nil {
			t.Fatal(err)
		}
		if st.Calls != 3 || st.Connected != 2 || st.Minutes != 3 || len(st.Days) != 2 || st.ActiveTenants != 1 || st.Days[0].Day != "2026-11-20" || st.RevenueAvailable {
			t.Errorf("stats %+v", st)
		}
		rev := crm.RevenueFunc(func(context.Context, time.Time, time.Time) (map[string]int64, error) {
			return map[string]int64{"2026-11-20": 500, "2026-11-21": 250}, nil
		})
		st, err = e.crm.Platform(ctx, day1.Add(-time.Hour), day1.Add(72*time.Hour), rev)
		if err != nil || !st.RevenueAvailable || st.RevenueFen != 750 || st.Days[0].RevenueFen != 500 {
			t.Errorf("revenue %+v %v", st, err)
		}
	})
}

// rechargeOrder mirrors the columns of billing's recharge_orders table that
// the funnel reads (and those without defaults), so this test runs with or
// without billing's migration.
type rechargeOrder struct {
	ID          uint64 `gorm:"primaryKey"`
	TenantID    uint64 `gorm:"not null;index"`
	No          string `gorm:"size:32;not null;uniqueIndex"`
	AmountFen   int64  `gorm:"not null"`
	Method      string `gorm:"size:16;not null"`
	State       string `gorm:"size:12;not null;index"`
	ConfirmedAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (rechargeOrder) TableName() string { return "recharge_orders" }

func TestFirstRechargeFromBillingTable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		g := db.With(store.AsPlatform(context.Background()))
		if !g.Migrator().HasTable("recharge_orders") {
			if err := g.Migrator().CreateTable(&rechargeOrder{}); err != nil {
				t.Fatal(err)
			}
		}
		early, inside := e.now.Add(-72*time.Hour), e.now.Add(-time.Hour)
		rows := []rechargeOrder{
			{TenantID: 1, No: "R1", AmountFen: 100, Method: "bank_transfer", State: "paid", ConfirmedAt: &inside},
			{TenantID: 1, No: "R2", AmountFen: 100, Method: "bank_transfer", State: "paid", ConfirmedAt: &inside},
			{TenantID: 2, No: "R3", AmountFen: 100, Method: "bank_transfer", State: "paid", ConfirmedAt: &early},
			{TenantID: 2, No: "R4", AmountFen: 100, Method: "bank_transfer", State: "paid", ConfirmedAt: &inside},
			{TenantID: 3, No: "R5", AmountFen: 100, Method: "bank_transfer", State: "pending"},
		}
		if err := g.Create(&rows).Error; err != nil {
			t.Fatal(err)
		}
		// Tenant 1 is also reported by the hook: it still counts once.
		if err := e.crm.RecordFirstRecharge(context.Background(), nil, 1, 100); err != nil {
			t.Fatal(err)
		}
		f, err := e.crm.Funnel(context.Background(), e.now.Add(-24*time.Hour), e.now)
		if err != nil {
			t.Fatal(err)
		}
		if f.FirstRecharge != 1 {
			t.Errorf("first recharges %d, want 1 (tenant 2 recharged first before the window)", f.FirstRecharge)
		}
	})
}
