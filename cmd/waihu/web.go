package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/config"
	"github.com/waihu/waihu/app/crm"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/web"
	"github.com/waihu/waihu/app/web/site"
)

// spaHandler serves the built console and back office; publicHandler the
// public website. Both come from app/web.
func spaHandler() http.Handler { return web.SPAHandler() }

// publicHandler builds the server-rendered website. plans may be nil until
// billing provides public price plans.
func publicHandler(ctx context.Context, cfg *config.Config, db *store.DB, c *crm.Service, plans site.PlanLister, log *slog.Logger) (http.Handler, error) {
	s, err := site.New(ctx, site.Options{CRM: c, DB: db, Plans: plans, Log: log, DataDir: cfg.Data})
	if err != nil {
		return nil, err
	}
	go s.SynthesizeSample(ctx)
	return s, nil
}

// billingPlans shows billing's active price plans on the pricing page.
func billingPlans(b *billing.Service) site.PlanLister {
	return site.PlanFunc(func(ctx context.Context, lang string) ([]site.Plan, error) {
		plans, err := b.ListPlans(store.AsPlatform(ctx))
		if err != nil {
			return nil, err
		}
		out := make([]site.Plan, 0, len(plans))
		for _, p := range plans {
			if !p.Active {
				continue
			}
			out = append(out, site.Plan{Name: p.Name, Description: p.Description, PerMinuteFen: p.PerMinuteFen})
		}
		return out, nil
	})
}

// billingRevenue feeds the back office's platform statistics with the
// charges in the ledger, per day.
func billingRevenue(b *billing.Service) crm.Revenue {
	return crm.RevenueFunc(func(ctx context.Context, since, until time.Time) (map[string]int64, error) {
		rows, err := b.Revenue(store.AsPlatform(ctx), "day", since.UTC().Format("2006-01-02"), until.UTC().Format("2006-01-02"))
		if err != nil {
			return nil, err
		}
		out := make(map[string]int64, len(rows))
		for _, r := range rows {
			out[r.Key] = r.AmountFen
		}
		return out, nil
	})
}
