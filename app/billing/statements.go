package billing

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
)

// LedgerRow is one line of a tenant's ledger: an entry on its balance or
// arrears account with the transaction it belongs to.
type LedgerRow struct {
	EntryID      uint64    `json:"id"`
	TxnID        uint64    `json:"txn_id"`
	At           time.Time `json:"at"`
	Day          string    `json:"day"`
	Kind         string    `json:"kind"`
	Account      string    `json:"account"`
	AmountFen    int64     `json:"amount_fen"`
	BalanceAfter int64     `json:"balance_after_fen"`
	RunningFen   int64     `json:"running_fen" gorm:"-"` // running total of the filtered lines
	CampaignID   uint64    `json:"campaign_id"`
	AttemptUUID  string    `json:"attempt_uuid"`
	Memo         string    `json:"memo"`
}

// LedgerFilter selects ledger lines. Days are YYYY-MM-DD in the billing zone.
type LedgerFilter struct {
	Kind       string
	From, To   string // inclusive
	CampaignID uint64
}

var dayRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
var monthRe = regexp.MustCompile(`^\d{4}-\d{2}$`)

func validDay(s string) bool {
	if !dayRe.MatchString(s) {
		return false
	}
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

func (f *LedgerFilter) validate() error {
	var v apperr.Validator
	v.Check(f.From == "" || validDay(f.From), "from", "must be a date YYYY-MM-DD")
	v.Check(f.To == "" || validDay(f.To), "to", "must be a date YYYY-MM-DD")
	kinds := map[string]bool{"": true, store.TxnCharge: true, store.TxnCorrection: true, store.TxnRecharge: true, store.TxnGift: true, store.TxnAdjustment: true, store.TxnCollect: true}
	v.Check(kinds[f.Kind], "kind", "must be charge, correction, recharge, gift, adjustment or collect")
	return v.Err()
}

// Ledger lists a tenant's ledger lines newest first. Each line carries its
// account's balance after it and the running total of the lines the filter
// selects (the sum of every selected line up to and including it).
func (s *Service) Ledger(ctx context.Context, tenantID uint64, f LedgerFilter, p store.Page) ([]LedgerRow, uint64, error) {
	if err := f.validate(); err != nil {
		return nil, 0, err
	}
	var rows []LedgerRow
	if err := p.Apply(s.ledgerQuery(ctx, tenantID, f).Select(ledgerColumns), "e.id").Scan(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list ledger: %w", err)
	}
	out, next := store.Trim(p, rows, func(r LedgerRow) uint64 { return r.EntryID })
	if len(out) > 0 {
		var through int64
		if err := s.ledgerQuery(ctx, tenantID, f).Where("e.id <= ?", out[0].EntryID).
			Select("COALESCE(SUM(e.amount_fen), 0)").Scan(&through).Error; err != nil {
			return nil, 0, fmt.Errorf("ledger running total: %w", err)
		}
		for i := range out {
			out[i].RunningFen = through
			through -= out[i].AmountFen
		}
	}
	return out, next, nil
}

const ledgerColumns = "e.id AS entry_id, t.id AS txn_id, e.created_at AS at, t.day, t.kind, a.kind AS account, e.amount_fen, e.balance_after, t.campaign_id, t.attempt_uuid, t.memo"

// ledgerQuery is a tenant's ledger entries (balance and arrears accounts)
// under a filter, without columns or order.
func (s *Service) ledgerQuery(ctx context.Context, tenantID uint64, f LedgerFilter) *gorm.DB {
	q := s.db.With(pctx(ctx)).Table("ledger_entries AS e").
		Joins("JOIN ledger_txns t ON t.id = e.txn_id").Joins("JOIN billing_accounts a ON a.id = e.account_id").
		Where("a.tenant_id = ?", tenantID)
	if f.Kind != "" {
		q = q.Where("t.kind = ?", f.Kind)
	}
	if f.From != "" {
		q = q.Where("t.day >= ?", f.From)
	}
	if f.To != "" {
		q = q.Where("t.day <= ?", f.To)
	}
	if f.CampaignID != 0 {
		q = q.Where("t.campaign_id = ?", f.CampaignID)
	}
	return q
}

// LedgerTotals sums the lines a ledger filter selects.
type LedgerTotals struct {
	Lines     int64 `json:"lines" gorm:"column:line_count"`
	CreditFen int64 `json:"credit_fen"` // sum of the positive lines
	DebitFen  int64 `json:"debit_fen"`  // sum of the negative lines, as a positive figure
	NetFen    int64 `json:"net_fen"`    // credits - debits: the running total after the last line
}

// LedgerSummary totals a tenant's ledger lines under a filter.
func (s *Service) LedgerSummary(ctx context.Context, tenantID uint64, f LedgerFilter) (*LedgerTotals, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	var t LedgerTotals
	err := s.ledgerQuery(ctx, tenantID, f).Select("COUNT(*) AS line_count, " +
		"COALESCE(SUM(CASE WHEN e.amount_fen > 0 THEN e.amount_fen ELSE 0 END), 0) AS credit_fen, " +
		"COALESCE(SUM(CASE WHEN e.amount_fen < 0 THEN -e.amount_fen ELSE 0 END), 0) AS debit_fen").Scan(&t).Error
	if err != nil {
		return nil, fmt.Errorf("ledger totals: %w", err)
	}
	t.NetFen = t.CreditFen - t.DebitFen
	return &t, nil
}

// MaxLedgerExportLines bounds one ledger export; a wider one is refused
// with a request to narrow the dates.
const MaxLedgerExportLines = 500000

// WriteLedgerXLSX exports the lines a ledger filter selects, oldest first,
// with each line's balance after and the running total, and a totals row:
// the figures are the ledger's own (amounts in yuan, two decimals).
func (s *Service) WriteLedgerXLSX(ctx context.Context, w io.Writer, tenantID uint64, f LedgerFilter) error {
	tot, err := s.LedgerSummary(ctx, tenantID, f)
	if err != nil {
		return err
	}
	if tot.Lines > MaxLedgerExportLines {
		return apperr.Invalid("from", fmt.Sprintf("the range has %d lines, more than %d: choose fewer days", tot.Lines, MaxLedgerExportLines))
	}
	x := excelize.NewFile()
	defer x.Close()
	sheet := "Ledger"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", []any{"Line / 流水号", "Time / 时间", "Day / 记账日", "Kind / 类型", "Account / 账户", "Campaign / 任务",
		"Call / 通话", "Memo / 摘要", "Amount / 金额 (CNY)", "Balance after / 余额 (CNY)", "Running total / 累计 (CNY)"}); err != nil {
		return err
	}
	row, running, after := 2, int64(0), uint64(0)
	for {
		var batch []LedgerRow
		if err := s.ledgerQuery(ctx, tenantID, f).Select(ledgerColumns).Where("e.id > ?", after).Order("e.id").Limit(2000).Scan(&batch).Error; err != nil {
			return fmt.Errorf("export ledger: %w", err)
		}
		for _, r := range batch {
			running += r.AmountFen
			cell, _ := excelize.CoordinatesToCellName(1, row)
			if err := sw.SetRow(cell, []any{r.EntryID, r.At.In(s.opt.Zone).Format("2006-01-02 15:04:05"), r.Day, r.Kind, r.Account, r.CampaignID,
				r.AttemptUUID, r.Memo, yuanCell(r.AmountFen), yuanCell(r.BalanceAfter), yuanCell(running)}); err != nil {
				return err
			}
			row++
			after = r.EntryID
		}
		if len(batch) < 2000 {
			break
		}
	}
	for _, r := range [][]any{
		{"Lines / 笔数", tot.Lines}, {"Credits / 收入 (CNY)", yuanCell(tot.CreditFen)},
		{"Debits / 支出 (CNY)", yuanCell(tot.DebitFen)}, {"Net / 合计 (CNY)", yuanCell(tot.NetFen)},
	} {
		row++
		cell, _ := excelize.CoordinatesToCellName(1, row)
		if err := sw.SetRow(cell, r); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = x.WriteTo(w)
	return err
}

// ConsumptionRow is what a tenant's calls cost on one day (or month) for
// one campaign.
type ConsumptionRow struct {
	Period     string `json:"period"`
	CampaignID uint64 `json:"campaign_id"`
	Calls      int64  `json:"calls"`
	AmountFen  int64  `json:"amount_fen"`
}

// Consumption sums call charges (and their corrections) from the ledger by
// day or month ("day"/"month") and campaign, between two days inclusive.
func (s *Service) Consumption(ctx context.Context, tenantID uint64, by, from, to string) ([]ConsumptionRow, error) {
	var v apperr.Validator
	v.Check(by == "day" || by == "month", "by", "must be day or month")
	v.Check(validDay(from), "from", "must be a date YYYY-MM-DD")
	v.Check(validDay(to), "to", "must be a date YYYY-MM-DD")
	if err := v.Err(); err != nil {
		return nil, err
	}
	period := "day"
	if by == "month" {
		period = "SUBSTR(day, 1, 7)"
	}
	var rows []ConsumptionRow
	err := s.db.With(pctx(ctx)).Table("ledger_txns").
		Select(period+" AS period, campaign_id, SUM(CASE WHEN kind = ? THEN 1 ELSE 0 END) AS calls, -SUM(amount_fen) AS amount_fen", store.TxnCharge).
		Where("tenant_id = ? AND kind IN ? AND day >= ? AND day <= ?", tenantID, []string{store.TxnCharge, store.TxnCorrection}, from, to).
		Group(period + ", campaign_id").Order("period, campaign_id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("consumption: %w", err)
	}
	return rows, nil
}

// Statement is a tenant's account statement for one month: the balance
// account's opening and closing balance and every movement between, by
// kind; consumption is what calls cost (including any part booked to arrears).
type Statement struct {
	TenantID       uint64           `json:"tenant_id"`
	Month          string           `json:"month"`
	OpeningFen     int64            `json:"opening_fen"`
	ClosingFen     int64            `json:"closing_fen"`
	MovementsFen   map[string]int64 `json:"movements_fen"` // balance-account movement by transaction kind
	ConsumptionFen int64            `json:"consumption_fen"`
	Calls          int64            `json:"calls"`
	ArrearsFen     int64            `json:"arrears_fen"` // owed at the end of the month
	Daily          []ConsumptionRow `json:"daily"`
}

// MonthStatement builds the statement of one month (YYYY-MM).
func (s *Service) MonthStatement(ctx context.Context, tenantID uint64, month string) (*Statement, error) {
	if !monthRe.MatchString(month) {
		return nil, apperr.Invalid("month", "must be YYYY-MM")
	}
	start, err := time.Parse("2006-01", month)
	if err != nil {
		return nil, apperr.Invalid("month", "must be YYYY-MM")
	}
	from, to := start.Format("2006-01-02"), start.AddDate(0, 1, -1).Format("2006-01-02")
	st := &Statement{TenantID: tenantID, Month: month, MovementsFen: map[string]int64{}}
	err = s.db.Tx(pctx(ctx), func(tx *gorm.DB) error {
		if err := ensureAccounts(tx, tenantID); err != nil {
			return err
		}
		sumBefore := func(kind, day string) (int64, error) {
			var v int64
			err := tx.Table("ledger_entries AS e").Select("COALESCE(SUM(e.amount_fen), 0)").
				Joins("JOIN ledger_txns t ON t.id = e.txn_id").Joins("JOIN billing_accounts a ON a.id = e.account_id").
				Where("a.tenant_id = ? AND a.kind = ? AND t.day < ?", tenantID, kind, day).Scan(&v).Error
			return v, err
		}
		var err error
		if st.OpeningFen, err = sumBefore(store.AccountBalance, from); err != nil {
			return err
		}
		next := start.AddDate(0, 1, 0).Format("2006-01-02")
		if st.ClosingFen, err = sumBefore(store.AccountBalance, next); err != nil {
			return err
		}
		arr, err := sumBefore(store.AccountArrears, next)
		if err != nil {
			return err
		}
		st.ArrearsFen = -arr
		var moves []struct {
			Kind string
			Sum  int64
		}
		if err := tx.Table("ledger_entries AS e").Select("t.kind AS kind, SUM(e.amount_fen) AS sum").
			Joins("JOIN ledger_txns t ON t.id = e.txn_id").Joins("JOIN billing_accounts a ON a.id = e.account_id").
			Where("a.tenant_id = ? AND a.kind = ? AND t.day >= ? AND t.day <= ?", tenantID, store.AccountBalance, from, to).
			Group("t.kind").Scan(&moves).Error; err != nil {
			return err
		}
		for _, m := range moves {
			st.MovementsFen[m.Kind] = m.Sum
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	if st.Daily, err = s.Consumption(ctx, tenantID, "day", from, to); err != nil {
		return nil, err
	}
	for _, d := range st.Daily {
		st.ConsumptionFen += d.AmountFen
		st.Calls += d.Calls
	}
	return st, nil
}

// WriteStatementXLSX writes a month's statement as an XLSX workbook: a
// summary sheet and the daily consumption by campaign, amounts in yuan.
func (s *Service) WriteStatementXLSX(ctx context.Context, w io.Writer, tenantID uint64, month string) error {
	st, err := s.MonthStatement(ctx, tenantID, month)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	summary := "Summary"
	if err := f.SetSheetName("Sheet1", summary); err != nil {
		return err
	}
	rows := [][]any{
		{"Tenant / 客户", st.TenantID},
		{"Month / 月份", st.Month},
		{"Opening balance / 期初余额 (CNY)", yuanCell(st.OpeningFen)},
	}
	for _, k := range []string{store.TxnRecharge, store.TxnGift, store.TxnAdjustment, store.TxnCharge, store.TxnCorrection, store.TxnCollect} {
		rows = append(rows, []any{"Movement / 变动: " + k, yuanCell(st.MovementsFen[k])})
	}
	rows = append(rows,
		[]any{"Closing balance / 期末余额 (CNY)", yuanCell(st.ClosingFen)},
		[]any{"Consumption / 消费 (CNY)", yuanCell(st.ConsumptionFen)},
		[]any{"Calls / 计费通话", st.Calls},
		[]any{"Arrears / 欠费 (CNY)", yuanCell(st.ArrearsFen)},
	)
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(summary, cell, &r); err != nil {
			return err
		}
	}
	daily := "Daily"
	if _, err := f.NewSheet(daily); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(daily)
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", []any{"Day / 日期", "Campaign / 任务", "Calls / 通话", "Amount / 金额 (CNY)"}); err != nil {
		return err
	}
	for i, d := range st.Daily {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, []any{d.Period, d.CampaignID, d.Calls, yuanCell(d.AmountFen)}); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// yuanCell is a yuan figure for a spreadsheet cell: the double nearest to
// the cent amount, which spreadsheets show and sum back to the same cents.
func yuanCell(fen int64) float64 { return float64(fen) / 100 }

// WriteCallChargesXLSX exports every call charged to a tenant between two
// days (inclusive, billing zone) with its cost line by line: the per-call
// breakdown behind the statement's consumption figure.
func (s *Service) WriteCallChargesXLSX(ctx context.Context, w io.Writer, tenantID uint64, from, to string) error {
	var v apperr.Validator
	v.Check(validDay(from), "from", "must be a date YYYY-MM-DD")
	v.Check(validDay(to), "to", "must be a date YYYY-MM-DD")
	if err := v.Err(); err != nil {
		return err
	}
	start, _ := time.ParseInLocation("2006-01-02", from, s.opt.Zone)
	end, _ := time.ParseInLocation("2006-01-02", to, s.opt.Zone)
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Calls"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", []any{"Charged at / 计费时间", "Call / 通话", "Campaign / 任务", "Source / 来源", "Bill sec / 通话秒数", "Billed sec / 计费秒数",
		"Voice / 通话费", "Per call / 每通", "ASR", "TTS", "LLM", "Minimum / 最低消费补足", "Total / 合计 (CNY)", "Unpaid / 欠费"}); err != nil {
		return err
	}
	row := 2
	var lastID uint64
	for {
		var batch []store.CallCharge
		err := s.db.With(pctx(ctx)).Where("tenant_id = ? AND created_at >= ? AND created_at < ? AND id > ?", tenantID, start.UTC(), end.AddDate(0, 0, 1).UTC(), lastID).
			Order("id").Limit(1000).Find(&batch).Error
		if err != nil {
			return fmt.Errorf("export call charges: %w", err)
		}
		for _, c := range batch {
			cell, _ := excelize.CoordinatesToCellName(1, row)
			if err := sw.SetRow(cell, []any{c.CreatedAt.In(s.opt.Zone).Format("2006-01-02 15:04:05"), c.AttemptUUID, c.CampaignID, c.Source, c.BillSec, c.BilledSec,
				yuanCell(c.VoiceFen), yuanCell(c.PerCallFen), yuanCell(c.ASRFen), yuanCell(c.TTSFen), yuanCell(c.LLMFen), yuanCell(c.MinimumFen),
				yuanCell(c.TotalFen), yuanCell(c.UnpaidFen)}); err != nil {
				return err
			}
			row++
			lastID = c.ID
		}
		if len(batch) < 1000 {
			break
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}
