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

// BenchmarkResults measures the campaign statistics and one filtered results
// page over a campaign with many call records (WAIHU_BENCH_ATTEMPTS, default
// 200,000) on each engine:
//
//	WAIHU_BENCH_ATTEMPTS=1000000 go test ./app/campaign -run '^$' -bench Results -benchtime 20x
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
			const per = 500
			for start := 0; start < n; start += per {
				var sb strings.Builder
				sb.WriteString("INSERT INTO call_attempts (tenant_id, uuid, campaign_id, contact_id, attempt_no, phone, caller_id, trunk_id, node_id, script_version_id, state, outcome, hangup_cause, early_media, queued_at, ring_sec, talk_sec, bill_sec, grade, tags, vars, timeline, record_path, cost_fen, simulated, error, not_dialed, created_at, updated_at) VALUES ")
				args := []any{}
				for i := start; i < min(start+per, n); i++ {
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
			_ = context.Background
		})
	}
}
