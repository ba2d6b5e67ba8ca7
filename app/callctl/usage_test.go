package callctl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/dialog"
	"github.com/waihu/waihu/app/llm"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
)

// usageScript asks one question whose answer no rule matches (no built-in
// intents, one keyword the simulated callee never says), so the chat model
// classifies it: every call uses the recognizer, the synthesizer and the LLM.
const usageScript = `{"name":"usage","lang":"zh","start":"ask","no_builtin_intents":true,
 "intents":[{"name":"budget","keywords":["预算"]}],
 "llm_fallback":{"budget_ms":10000},
 "defaults":{"silence_ms":8000},
 "nodes":[
  {"id":"ask","type":"listen","text":"您好，请问您最近有采购计划吗？","branches":[{"intents":["budget"],"next":"bye","tags":["budget"]}],
   "silence":{"lines":[],"next":"bye"},"no_match":{"lines":[],"next":"bye"}},
  {"id":"bye","type":"hangup","text":"好的，感谢接听，再见。"}],
 "grading":{}}`

// fakeChatAPI speaks the OpenAI chat-completions protocol: every
// classification answers "budget" and reports 120 prompt + 12 completion
// tokens, as the real APIs report usage.
type fakeChatAPI struct{ calls atomic.Int32 }

func (f *fakeChatAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/chat/completions" {
		http.NotFound(w, r)
		return
	}
	f.calls.Add(1)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"id":"x","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"{\"intent\":\"budget\",\"confidence\":0.9}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":120,"completion_tokens":12,"total_tokens":132}}`)
}

// TestCallUsageIsCharged places answered calls through the switch simulator
// with call control, billing and a chat model wired as waihu serve wires
// them, under a plan that passes recognizer, synthesizer and LLM costs
// through. Each call's charge carries non-zero ASR, TTS and LLM line items
// computed from what the call consumed, the call is charged exactly once
// (one charge record; the ledger took exactly its total), and the books
// verify. The simulator posts the CDR before the hangup event, so the CDR
// settles the call before its usage is known: the usage is charged after.
func TestCallUsageIsCharged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		log := storetest.Logger()
		accounts := tenant.New(db, log, tenant.Options{})
		bill := billing.New(db, accounts, log, billing.Options{})
		tn, _, err := accounts.CreateTenant(ctx, tenant.SignupInput{CompanyName: "Usage Co", ContactName: "U", Email: "u@usage.test", Phone: "13800000001", Password: "Usage1234!"}, true)
		if err != nil || tn.ID != 1 {
			t.Fatalf("tenant %v %v", tn, err)
		}
		pctx := store.AsPlatform(ctx)
		plan := store.PricePlan{Name: "pass-through", PerMinuteFen: 12, IncrementSec: 6, ASRPerMinuteFen: 6, TTSPer1kFen: 500, LLMPer1kFen: 100, IsDefault: true, Active: true}
		if err := db.With(pctx).Create(&plan).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := bill.Adjust(ctx, tn.ID, billing.NewAdjustment{Kind: store.AdjustGift, AmountFen: 100000, Reason: "usage test funds"}); err != nil {
			t.Fatal(err)
		}
		api := &fakeChatAPI{}
		srv := httptest.NewServer(api)
		defer srv.Close()
		model, err := llm.New(llm.Config{BaseURL: srv.URL + "/v1", Model: "m", APIKey: "k"})
		if err != nil {
			t.Fatal(err)
		}
		var sc dialog.Script
		if err := json.Unmarshal([]byte(usageScript), &sc); err != nil {
			t.Fatal(err)
		}
		r := newRig(t, db, templateScript{&sc}, 0.15, func(o *callctl.EngineOptions) {
			o.Funds = bill
			o.DialogOptions = func(*store.CallAttempt) []dialog.Option {
				return []dialog.Option{dialog.WithClassifier(model)}
			}
		})
		// Wired as in cmd/waihu serve: usage first, then settlement.
		r.svc.OnUsage(func(ctx context.Context, tx *gorm.DB, a *store.CallAttempt, u callctl.Usage) error {
			return bill.RecordUsage(ctx, tx, a, billing.Usage{ASRSec: u.ASRSec, TTSChars: u.TTSChars, LLMTokens: u.LLMTokens})
		})
		r.svc.OnFinish(bill.AttemptFinished)
		r.svc.OnCDR(bill.CDRReceived)

		a := r.dialHeld(bill, "+8613900139000")
		got := r.final(a)
		if got.Outcome != callctl.OutcomeAnswered {
			t.Fatalf("outcome %q, want answered", got.Outcome)
		}
		var res dialog.Result
		if err := json.Unmarshal([]byte(got.Timeline), &res); err != nil {
			t.Fatal(err)
		}
		if len(res.LLM) == 0 || api.calls.Load() == 0 || !contains(res.Path, "bye") {
			t.Fatalf("the chat model did not classify the answer: llm turns %v, path %v\n%s", res.LLM, res.Path, got.Timeline)
		}
		var u store.CallUsage
		if err := db.With(pctx).Where("attempt_uuid = ?", a.UUID).Take(&u).Error; err != nil {
			t.Fatalf("no usage recorded for the call: %v", err)
		}
		// Played lines: the question and the closing line, all synthesized.
		wantChars := utf8.RuneCountInString("您好，请问您最近有采购计划吗？") + utf8.RuneCountInString("好的，感谢接听，再见。")
		if u.TTSChars != wantChars || u.LLMTokens != 132*len(res.LLM) {
			t.Fatalf("usage %+v, want %d TTS chars and %d LLM tokens", u, wantChars, 132*len(res.LLM))
		}
		var charges []store.CallCharge
		db.With(pctx).Where("attempt_uuid = ?", a.UUID).Find(&charges)
		if len(charges) != 1 {
			t.Fatalf("%d charge records for one call", len(charges))
		}
		cc := charges[0]
		if cc.BillSec <= 0 || cc.ASRFen <= 0 || cc.TTSFen <= 0 || cc.LLMFen <= 0 {
			t.Fatalf("breakdown %+v: want non-zero recognizer, synthesizer and LLM lines", cc)
		}
		if want := billing.Rate(&plan, cc.BillSec, billing.Usage{TTSChars: u.TTSChars, LLMTokens: u.LLMTokens}); cc.TotalFen != want.TotalFen || cc.TTSFen != want.TTSFen || cc.LLMFen != want.LLMFen {
			t.Fatalf("charge %+v, want %+v", cc, want)
		}
		var took int64
		db.With(pctx).Model(&store.LedgerTxn{}).Where("attempt_uuid = ?", a.UUID).Select("COALESCE(SUM(amount_fen), 0)").Scan(&took)
		if -took != cc.TotalFen {
			t.Fatalf("the ledger took %d fen for a %d fen call", -took, cc.TotalFen)
		}
		var keys []string
		db.With(pctx).Model(&store.LedgerTxn{}).Where("attempt_uuid = ?", a.UUID).Order("id").Pluck("key", &keys)
		t.Logf("ledger transactions of the call: %v; charge %+v", keys, cc)
		var after store.CallAttempt
		db.With(pctx).Where("uuid = ?", a.UUID).Take(&after)
		if after.CostFen != cc.TotalFen {
			t.Fatalf("attempt cost %d, charge %d", after.CostFen, cc.TotalFen)
		}
		if err := bill.Verify(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// dialHeld dials like the campaign does: funds held in the transaction
// that commits the attempt as dialing.
func (r *rig) dialHeld(bill *billing.Service, phone string) *store.CallAttempt {
	r.t.Helper()
	now := time.Now().UTC()
	a := &store.CallAttempt{TenantOwned: store.TenantOwned{TenantID: 1}, UUID: uuid.NewString(), CampaignID: 1, ContactID: uint64(now.UnixNano()), AttemptNo: 1, Phone: phone,
		State: store.AttemptDialing, QueuedAt: now, DialedAt: &now, ScriptVersionID: 1}
	ctx := store.WithTenant(context.Background(), 1)
	err := r.db.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(a).Error; err != nil {
			return err
		}
		return bill.Hold(ctx, tx, a)
	})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.engine.Dial(context.Background(), a); err != nil {
		r.t.Fatalf("dial %s: %v", phone, err)
	}
	return a
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
