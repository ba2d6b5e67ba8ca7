package callctl_test

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/internal/fstrace"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

// recordedCDR returns the body of request n in the recorded mod_xml_cdr posts.
func recordedCDR(t *testing.T, n int) []byte {
	t.Helper()
	reqs, err := fstrace.ReadFile("testdata/cdr-post.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reqs {
		if r.N != n {
			continue
		}
		hr, err := r.HTTP()
		if err != nil {
			t.Fatalf("request %d: %v", n, err)
		}
		if hr.URL.Path != "/cdr/xml" || hr.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Fatalf("request %d is %s %s, not an xml_cdr post", n, hr.URL.Path, hr.Header.Get("Content-Type"))
		}
		body, err := io.ReadAll(hr.Body)
		if err != nil {
			t.Fatal(err)
		}
		return body
	}
	t.Fatalf("no request %d in the trace", n)
	return nil
}

func TestParseRecordedXMLCDRs(t *testing.T) {
	answered, err := callctl.ParseXMLCDRForm(recordedCDR(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	if answered.UUID != "89b260be-61b4-4c47-ac38-e8c04aca32e1" || answered.AttemptUUID != "A1" {
		t.Fatalf("uuid %q attempt %q", answered.UUID, answered.AttemptUUID)
	}
	if answered.HangupCause != "NORMAL_CLEARING" || answered.Q850 != 16 || answered.SIPTermStatus != 0 {
		t.Fatalf("cause %s q850 %d sip %d: FreeSWITCH's own BYE has no sip_term_status", answered.HangupCause, answered.Q850, answered.SIPTermStatus)
	}
	if answered.BillSec != 3 || answered.AnswerAt == nil || answered.StartAt == nil || answered.EndAt == nil {
		t.Fatalf("billsec %d answer %v start %v end %v", answered.BillSec, answered.AnswerAt, answered.StartAt, answered.EndAt)
	}
	if answered.Direction != "outbound" || answered.Disposition != "send_bye" {
		t.Fatalf("direction %q disposition %q", answered.Direction, answered.Disposition)
	}

	busy, err := callctl.ParseXMLCDRForm(recordedCDR(t, 4))
	if err != nil {
		t.Fatal(err)
	}
	if busy.HangupCause != "USER_BUSY" || busy.SIPTermStatus != 486 || busy.AnswerAt != nil || busy.BillSec != 0 {
		t.Fatalf("busy: cause %s sip %d answer %v billsec %d", busy.HangupCause, busy.SIPTermStatus, busy.AnswerAt, busy.BillSec)
	}
	// The first try and the retry are byte-identical: the same UUID.
	first, err := callctl.ParseXMLCDRForm(recordedCDR(t, 1))
	if err != nil || first.UUID != answered.UUID {
		t.Fatalf("retry: %v %v", first, err)
	}
}

func TestParseXMLCDRRefusesBadInput(t *testing.T) {
	cases := map[string]string{
		"empty":          "",
		"no cdr field":   "foo=bar",
		"bad encoding":   "cdr=%zz",
		"not xml":        "cdr=" + url.QueryEscape("hello"),
		"no uuid":        "cdr=" + url.QueryEscape(`<cdr><variables><billsec>3</billsec></variables></cdr>`),
		"uuid with CRLF": "cdr=" + url.QueryEscape("<cdr><variables><uuid>a%0D%0Ab</uuid></variables></cdr>"),
		"negative bill":  "cdr=" + url.QueryEscape(`<cdr><variables><uuid>u1</uuid><billsec>-5</billsec></variables></cdr>`),
		"truncated":      "cdr=" + url.QueryEscape(`<cdr><variables><uuid>u1</uuid>`),
		"oversized":      "cdr=" + strings.Repeat("a", 2<<20),
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := callctl.ParseXMLCDRForm([]byte(body))
			var ve *apperr.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v, want a validation error naming the field", err)
			}
		})
	}
}

func newAttempt(t *testing.T, db *store.DB, tenantID uint64, uuid, state string) *store.CallAttempt {
	t.Helper()
	now := time.Now().UTC()
	a := &store.CallAttempt{UUID: uuid, CampaignID: 1, ContactID: uint64(now.UnixNano() % 1e9), AttemptNo: 1, Phone: "+8613800000000", State: state, QueuedAt: now, DialedAt: &now}
	if err := db.With(store.WithTenant(context.Background(), tenantID)).Create(a).Error; err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCDRIsStoredOnceAndFinishesTheAttempt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := callctl.New(db, callctl.Options{Log: storetest.Logger()})
		var finished, cdrs int
		svc.OnFinish(func(ctx context.Context, tx *gorm.DB, a *store.CallAttempt) error { finished++; return nil })
		svc.OnCDR(func(ctx context.Context, tx *gorm.DB, c *store.CDR, a *store.CallAttempt) error {
			cdrs++
			if a == nil || a.BillSec != 3 {
				t.Errorf("CDR hook sees attempt %+v", a)
			}
			return nil
		})
		// The recorded CDR names attempt "A1" (waihu_attempt=A1 in the trace).
		newAttempt(t, db, 7, "A1", store.AttemptTalking)

		body := recordedCDR(t, 2)
		for i := range 3 {
			c, err := callctl.ParseXMLCDRForm(body)
			if err != nil {
				t.Fatal(err)
			}
			created, err := svc.IngestCDR(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			if created != (i == 0) {
				t.Fatalf("post %d: created=%v", i, created)
			}
		}
		if finished != 0 || cdrs != 1 {
			t.Fatalf("finish hook ran %d times, CDR hook %d times; want 0 (the tracker finishes) and 1", finished, cdrs)
		}
		// Nobody followed the call (waihu was down): after the grace the
		// CDR finishes it, once.
		for range 2 {
			if _, err := svc.FinishFromCDRs(ctx, time.Now().UTC().Add(time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		if finished != 1 {
			t.Fatalf("finish hook ran %d times after FinishFromCDRs, want 1", finished)
		}
		var a store.CallAttempt
		if err := db.With(store.AsPlatform(ctx)).Where("uuid = ?", "A1").Take(&a).Error; err != nil {
			t.Fatal(err)
		}
		if a.State != store.AttemptFinished || a.Outcome != callctl.OutcomeAnswered || a.HangupCause != "NORMAL_CLEARING" || a.BillSec != 3 {
			t.Fatalf("attempt after CDR: %+v", a)
		}
		var n int64
		db.With(store.AsPlatform(ctx)).Model(&store.CDR{}).Count(&n)
		var c store.CDR
		db.With(store.AsPlatform(ctx)).Take(&c)
		if n != 1 || c.TenantID != 7 {
			t.Fatalf("%d CDR rows, tenant %d", n, c.TenantID)
		}
	})
}

func TestFinishHappensOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := callctl.New(db, callctl.Options{Log: storetest.Logger()})
		hooks := 0
		svc.OnFinish(func(ctx context.Context, tx *gorm.DB, a *store.CallAttempt) error { hooks++; return nil })
		newAttempt(t, db, 3, "u-busy", store.AttemptDialing)
		done, err := svc.Finish(ctx, "u-busy", callctl.Final{Ending: callctl.Ending{HangupCause: "USER_BUSY", SIPStatus: 486}})
		if err != nil || !done {
			t.Fatalf("first finish: %v %v", done, err)
		}
		done, err = svc.Finish(ctx, "u-busy", callctl.Final{Ending: callctl.Ending{Answered: true, HangupCause: "NORMAL_CLEARING"}})
		if err != nil || done {
			t.Fatalf("second finish must change nothing: %v %v", done, err)
		}
		var a store.CallAttempt
		db.With(store.AsPlatform(ctx)).Where("uuid = ?", "u-busy").Take(&a)
		if a.Outcome != callctl.OutcomeBusy || hooks != 1 {
			t.Fatalf("outcome %s, hooks %d", a.Outcome, hooks)
		}
		// A failing hook rolls the whole finish back.
		newAttempt(t, db, 3, "u-fail", store.AttemptDialing)
		svc.OnFinish(func(ctx context.Context, tx *gorm.DB, a *store.CallAttempt) error { return errors.New("ledger down") })
		if _, err := svc.Finish(ctx, "u-fail", callctl.Final{Ending: callctl.Ending{HangupCause: "NO_ANSWER"}}); err == nil {
			t.Fatal("finish with a failing hook succeeded")
		}
		a = store.CallAttempt{}
		db.With(store.AsPlatform(ctx)).Where("uuid = ?", "u-fail").Take(&a)
		if a.State != store.AttemptDialing {
			t.Fatalf("state %s after a failed finish, want dialing", a.State)
		}
		if _, err := svc.Finish(ctx, "nope", callctl.Final{}); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("unknown attempt: %v", err)
		}
	})
}
