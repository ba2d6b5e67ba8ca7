package httpapi_test

import (
	"context"

	"github.com/waihu/waihu/app/store"
)

// billingFixtures gives a tenant fixture a recharge order, an invoice title
// and an invoice (carrying its marker), and the platform a price plan.
func (e *env) billingFixtures(f *fixture) {
	e.t.Helper()
	ctx := store.WithTenant(context.Background(), f.tenant.ID)
	o := store.RechargeOrder{No: "R" + f.marker, AmountFen: 10000, Method: store.RechargeBank, State: store.RechargePending, PayerName: "payer" + f.marker}
	title := store.InvoiceTitle{Company: "company" + f.marker, TaxID: "91440300MA5EXAMPL1"}
	inv := store.Invoice{AmountFen: 100, Company: "company" + f.marker, TaxID: "91440300MA5EXAMPL1", State: store.InvoiceRequested}
	for _, row := range []any{&o, &title, &inv} {
		if err := e.db.With(ctx).Create(row).Error; err != nil {
			e.t.Fatal(err)
		}
	}
	f.resources["recharge"], f.resources["invoice_title"], f.resources["invoice"] = o.ID, title.ID, inv.ID
	plan := store.PricePlan{Name: "plan" + f.marker, PerMinuteFen: 10, IncrementSec: 60, Active: true}
	if err := e.db.With(store.AsPlatform(context.Background())).Create(&plan).Error; err != nil {
		e.t.Fatal(err)
	}
	f.resources["plan"] = plan.ID
}
