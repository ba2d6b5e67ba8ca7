package main

import (
	"context"
	"log/slog"
	"net/http"

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
