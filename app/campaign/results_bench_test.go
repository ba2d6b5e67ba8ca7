package campaign

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

// BenchmarkResults measures the campaign statistics and a filtered results
// page (the first, and one half-way down by cursor) over a campaign with
// many call records (WAIHU_BENCH_ATTEMPTS, default 200,000) and as many
// campaign contacts (WAIHU_BENCH_CONTACTS=0 leaves them out) on each engine:
//
//	WAIHU_BENCH_ATTEMPTS=1000000 go test ./app/campaign -run '^$' -bench Results -benchtime 20x
//	WAIHU_BENCH_ATTEMPTS=10000000 go test ./app/campaign -run '^$' -bench Results/mysql -benchtime 20x -timeout 2h
func BenchmarkResults(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("WAIHU_BENCH_ATTEMPTS")); err == nil && v > 0 {
		n = v
	}
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.Open(b, e)
			s := newService(b, db, Options{})
			ctx, tn := newTenant(b, db, "bench")
			l := &store.ContactList{Name: "l", State: store.ListReady, Columns: "[]"}
			db.With(ctx).Create(l)
			c := &store.Campaign{Name: "c", ListID: l.ID, State: store.CampaignRunning, MaxConcurrent: 10, Rules: "{}"}
			db.With(ctx).Create(c)
			outcomes := []string{"answered", "busy", "no_answer", "powered_off", "rejected"}
			grades := []string{"A", "B", "C", "D", ""}
			now := time.Now().UTC()
			// Seed up to 100,000 records with multi-row INSERTs, then double
			// them inside the database (INSERT … SELECT) until there are n:
			// ten million records take minutes, not hours.
			const per = 500
			seed := min(n, 100_000)
			for start := 0; start < seed; start += per {
				var sb strings.Builder
				sb.WriteString("INSERT INTO call_attempts (tenant_id, uuid, campaign_id, contact_id, attempt_no, phone, caller_id, trunk_id, node_id, script_version_id, state, outcome, hangup_cause, early_media, queued_at, ring_sec, talk_sec, bill_sec, grade, tags, vars, timeline, record_path, cost_fen, simulated, error, not_dialed, created_at, updated_at) VALUES ")
				args := []any{}
				for i := start; i < min(start+per, seed); i++ {
					if i > start {
						sb.WriteByte(',')
					}
					sb.WriteString("(?,?,?,?,1,?,'',0,0,1,'finished',?,'','',?,0,30,30,?,'','{}','{}','',0,?,'',?,?,?)")
					args = append(args, tn.ID, fmt.Sprintf("00000000-0000-0000-0000-%012d", i), c.ID, i+1, fmt.Sprintf("+86139%08d", i),
						outcomes[i%5], now.Add(-time.Duration(i%(72*60))*time.Minute), grades[i%5], false, false, now, now)
				}
				if err := db.With(ctx).Exec(sb.String(), args...).Error; err != nil {
					b.Fatal(err)
				}
			}
			uuidExpr := "printf('00000000-0000-0000-0000-%012d', contact_id - 1 + ?)"
			if db.Dialect == store.MySQL {
				uuidExpr = "CONCAT('00000000-0000-0000-0000-', LPAD(contact_id - 1 + ?, 12, '0'))"
			}
			for have := seed; have < n; {
				k := min(have, n-have)
				// The copies get new contacts (contact_id + have), hence new
				// UUIDs and attempt keys; outcomes, grades and hours repeat.
				// In slices of at most 400,000 rows, so no statement runs
				// into the driver's 60 s read timeout.
				for lo := 0; lo < k; lo += 400_000 {
					hi := min(lo+400_000, k)
					err := db.With(ctx).Exec("INSERT INTO call_attempts (tenant_id, uuid, campaign_id, contact_id, attempt_no, phone, caller_id, trunk_id, node_id, script_version_id, state, outcome, hangup_cause, early_media, queued_at, ring_sec, talk_sec, bill_sec, grade, tags, vars, timeline, record_path, cost_fen, simulated, error, not_dialed, created_at, updated_at) "+
						"SELECT tenant_id, "+uuidExpr+", campaign_id, contact_id + ?, attempt_no, phone, caller_id, trunk_id, node_id, script_version_id, state, outcome, hangup_cause, early_media, queued_at, ring_sec, talk_sec, bill_sec, grade, tags, vars, timeline, record_path, cost_fen, simulated, error, not_dialed, created_at, updated_at "+
						"FROM call_attempts WHERE campaign_id = ? AND contact_id > ? AND contact_id <= ? ORDER BY contact_id",
						have, have, c.ID, lo, hi).Error
					if err != nil {
						b.Fatal(err)
					}
				}
				have += k
				b.Logf("%d call records", have)
			}
			// One campaign contact per record, as a campaign that called n
			// people has: the statistics count them by state.
			if os.Getenv("WAIHU_BENCH_CONTACTS") != "0" {
				for lo := 0; lo < n; lo += 400_000 {
					err := db.With(ctx).Exec("INSERT INTO campaign_contacts (tenant_id, campaign_id, contact_id, phone, state, next_at, attempts, attempt_seq, last_outcome, last_grade, skip_reason, handled, assignee_id, notes, updated_at) "+
						"SELECT tenant_id, campaign_id, contact_id, phone, CASE WHEN outcome = 'busy' THEN 'pending' ELSE 'done' END, queued_at, 1, 1, outcome, grade, '', ?, 0, '', updated_at FROM call_attempts WHERE campaign_id = ? AND contact_id > ? AND contact_id <= ?",
						false, c.ID, lo, lo+400_000).Error
					if err != nil {
						b.Fatal(err)
					}
				}
				if err := db.With(ctx).Model(c).Update("total", n).Error; err != nil {
					b.Fatal(err)
				}
			}
			var deep uint64 // a cursor half-way through the records
			if err := db.With(ctx).Model(&store.CallAttempt{}).Select("id").Where("campaign_id = ? AND contact_id = ?", c.ID, n/2).Scan(&deep).Error; err != nil {
				b.Fatal(err)
			}
			if err := s.RebuildStats(ctx, c.ID); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			b.Run("stats", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.CampaignStats(ctx, c.ID); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("filtered_page", func(b *testing.B) {
				for b.Loop() {
					rows, _, err := s.Results(ctx, ResultFilter{CampaignID: c.ID, Outcome: "answered", Grade: "A"}, store.Page{Limit: 50})
					if err != nil || len(rows) == 0 {
						b.Fatal(len(rows), err)
					}
				}
			})
			b.Run("filtered_page_deep", func(b *testing.B) {
				for b.Loop() {
					rows, _, err := s.Results(ctx, ResultFilter{CampaignID: c.ID, Outcome: "answered", Grade: "A"}, store.Page{Limit: 50, BeforeID: deep})
					if err != nil || len(rows) == 0 {
						b.Fatal(len(rows), err)
					}
				}
			})
			_ = context.Background
		})
	}
}
