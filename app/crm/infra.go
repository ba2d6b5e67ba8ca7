package crm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

// The back office manages the calling infrastructure's rows (FreeSWITCH
// nodes, SIP trunks and their tenant assignments, caller IDs); call control
// reads them. Live questions to FreeSWITCH go through the HTTP layer's
// SwitchOps, which call control implements.

var (
	nameRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	hostRE   = regexp.MustCompile(`^[A-Za-z0-9.-]{1,185}(:[0-9]{1,5})?$`)
	digitsRE = regexp.MustCompile(`^[0-9*#+]{0,16}$`)
	codecsRE = regexp.MustCompile(`^[A-Za-z0-9]+(,[A-Za-z0-9]+)*$`)
)

func secretOK(s string) bool {
	return len(s) >= 1 && len(s) <= 128 && !strings.ContainsAny(s, "\x00\r\n\"'<>")
}

// NodeInput creates a node or, with pointers set, changes one.
type NodeInput struct {
	Name        *string `json:"name"`
	ESLAddr     *string `json:"esl_addr"`
	ESLPassword *string `json:"esl_password"`
	MaxCalls    *int    `json:"max_calls"`
	MaxCPS      *int    `json:"max_cps"`
}

func (in NodeInput) updates(create bool) (map[string]any, error) {
	var v apperr.Validator
	up := map[string]any{}
	if create {
		v.Check(in.Name != nil, "name", "is required")
		v.Check(in.ESLAddr != nil, "esl_addr", "is required")
		v.Check(in.ESLPassword != nil, "esl_password", "is required")
	}
	if in.Name != nil {
		v.Check(nameRE.MatchString(*in.Name), "name", "must be 1 to 64 letters, digits, '.', '_' or '-'")
		up["name"] = *in.Name
	}
	if in.ESLAddr != nil {
		host, port, err := net.SplitHostPort(*in.ESLAddr)
		p, perr := strconv.Atoi(port)
		v.Check(err == nil && host != "" && len(*in.ESLAddr) <= 191 && perr == nil && p > 0 && p < 65536 && hostRE.MatchString(host), "esl_addr", "must be host:port")
		up["esl_addr"] = *in.ESLAddr
	}
	if in.ESLPassword != nil {
		v.Check(secretOK(*in.ESLPassword), "esl_password", "must be 1 to 128 characters without quotes or line breaks")
		up["esl_password"] = *in.ESLPassword
	}
	if in.MaxCalls != nil {
		v.Check(*in.MaxCalls >= 1 && *in.MaxCalls <= 100000, "max_calls", "must be between 1 and 100000")
		up["max_calls"] = *in.MaxCalls
	}
	if in.MaxCPS != nil {
		v.Check(*in.MaxCPS >= 1 && *in.MaxCPS <= 1000, "max_cps", "must be between 1 and 1000")
		up["max_cps"] = *in.MaxCPS
	}
	return up, v.Err()
}

// ListNodes lists every FreeSWITCH node.
func (s *Service) ListNodes(ctx context.Context) ([]store.Node, error) {
	var rows []store.Node
	err := s.db.With(store.AsPlatform(ctx)).Order("id").Limit(1000).Find(&rows).Error
	return rows, err
}

// GetNode returns one node.
func (s *Service) GetNode(ctx context.Context, id uint64) (*store.Node, error) {
	var n store.Node
	if err := s.db.With(store.AsPlatform(ctx)).First(&n, id).Error; err != nil {
		return nil, store.Translate(err)
	}
	return &n, nil
}

func nameTaken(err error) error {
	if errors.Is(store.Translate(err), store.ErrConflict) {
		return apperr.Invalid("name", "is already used")
	}
	return err
}

// SaveNode creates (id 0) or changes a node, audited.
func (s *Service) SaveNode(ctx context.Context, id uint64, in NodeInput) (*store.Node, error) {
	up, err := in.updates(id == 0)
	if err != nil {
		return nil, err
	}
	pctx := store.AsPlatform(ctx)
	err = s.db.Tx(pctx, func(tx *gorm.DB) error {
		if id == 0 {
			n := &store.Node{Name: *in.Name, ESLAddr: *in.ESLAddr, ESLPassword: *in.ESLPassword, MaxCalls: 500, MaxCPS: 30, State: store.NodeEnabled}
			if in.MaxCalls != nil {
				n.MaxCalls = *in.MaxCalls
			}
			if in.MaxCPS != nil {
				n.MaxCPS = *in.MaxCPS
			}
			if err := tx.Create(n).Error; err != nil {
				return nameTaken(err)
			}
			id = n.ID
		} else {
			var n store.Node
			if err := tx.First(&n, id).Error; err != nil {
				return store.Translate(err)
			}
			if len(up) > 0 {
				if err := tx.Model(&store.Node{}).Where("id = ?", id).Updates(up).Error; err != nil {
					return nameTaken(err)
				}
			}
		}
		delete(up, "esl_password")
		return s.accounts.AuditTx(pctx, tx, tenant.Entry{Action: "node.save", Target: fmt.Sprintf("node:%d", id), Detail: up})
	})
	if err != nil {
		return nil, err
	}
	return s.GetNode(ctx, id)
}

// SetNodeState enables, drains (no new calls, current ones finish) or disables a node.
func (s *Service) SetNodeState(ctx context.Context, id uint64, state string) (*store.Node, error) {
	if !oneOf(state, []string{store.NodeEnabled, store.NodeDraining, store.NodeDisabled}) {
		return nil, apperr.Invalid("state", "must be enabled, draining or disabled")
	}
	pctx := store.AsPlatform(ctx)
	err := s.db.Tx(pctx, func(tx *gorm.DB) error {
		var n store.Node
		if err := tx.First(&n, id).Error; err != nil {
			return store.Translate(err)
		}
		if err := tx.Model(&store.Node{}).Where("id = ?", id).Update("state", state).Error; err != nil {
			return err
		}
		return s.accounts.AuditTx(pctx, tx, tenant.Entry{Action: "node." + state, Target: fmt.Sprintf("node:%d", id), Detail: map[string]any{"from": n.State, "to": state}})
	})
	if err != nil {
		return nil, err
	}
	return s.GetNode(ctx, id)
}

// TrunkInput creates a trunk or, with pointers set, changes one. An empty
// password on change keeps the stored one.
type TrunkInput struct {
	Name          *string `json:"name"`
	Carrier       *string `json:"carrier"`
	Host          *string `json:"host"`
	Transport     *string `json:"transport"`
	Username      *string `json:"username"`
	Password      *string `json:"password"`
	Register      *bool   `json:"register"`
	Prefix        *string `json:"prefix"`
	Format        *string `json:"format"`
	MaxConcurrent *int    `json:"max_concurrent"`
	MaxCPS        *int    `json:"max_cps"`
	Codecs        *string `json:"codecs"`
	Enabled       *bool   `json:"enabled"`
}

func (in TrunkInput) updates(create bool) (map[string]any, error) {
	var v apperr.Validator
	up := map[string]any{}
	if create {
		v.Check(in.Name != nil, "name", "is required")
		v.Check(in.Host != nil, "host", "is required")
	}
	str := func(p *string, col string, ok func(string) bool, reason string) {
		if p != nil {
			v.Check(ok(*p), col, reason)
			up[col] = *p
		}
	}
	str(in.Name, "name", nameRE.MatchString, "must be 1 to 64 letters, digits, '.', '_' or '-'")
	str(in.Carrier, "carrier", func(s string) bool { return runes(s) <= 64 && oneLine(s) }, "must be at most 64 characters")
	str(in.Host, "host", hostRE.MatchString, "must be a host name or address with an optional :port")
	str(in.Transport, "transport", func(s string) bool { return oneOf(s, []string{"udp", "tcp", "tls"}) }, "must be udp, tcp or tls")
	str(in.Username, "username", func(s string) bool { return s == "" || secretOK(s) }, "must be at most 128 characters")
	str(in.Prefix, "prefix", digitsRE.MatchString, "must be at most 16 digits")
	str(in.Format, "format", func(s string) bool { return oneOf(s, []string{"e164", "national", "digits"}) }, "must be e164, national or digits")
	str(in.Codecs, "codecs", func(s string) bool { return len(s) <= 128 && codecsRE.MatchString(s) }, "must be a comma-separated codec list like PCMA,PCMU")
	if in.Password != nil {
		v.Check(*in.Password == "" || secretOK(*in.Password), "password", "must be at most 128 characters without quotes or line breaks")
		if *in.Password != "" || create {
			up["password"] = *in.Password
		}
	}
	if in.Register != nil {
		up["register"] = *in.Register
	}
	if in.Enabled != nil {
		up["enabled"] = *in.Enabled
	}
	if in.MaxConcurrent != nil {
		v.Check(*in.MaxConcurrent >= 1 && *in.MaxConcurrent <= 100000, "max_concurrent", "must be between 1 and 100000")
		up["max_concurrent"] = *in.MaxConcurrent
	}
	if in.MaxCPS != nil {
		v.Check(*in.MaxCPS >= 1 && *in.MaxCPS <= 1000, "max_cps", "must be between 1 and 1000")
		up["max_cps"] = *in.MaxCPS
	}
	return up, v.Err()
}

// TrunkStats is a trunk's recent health from its call attempts.
type TrunkStats struct {
	Calls24h    int64            `json:"calls_24h"`
	Answered24h int64            `json:"answered_24h"`
	AnswerRate  float64          `json:"answer_rate"`
	ActiveNow   int64            `json:"active_now"`
	Failures    map[string]int64 `json:"failures"`
}

// TrunkWithStats is a trunk and its health.
type TrunkWithStats struct {
	store.Trunk
	Stats   TrunkStats `json:"stats"`
	Tenants []uint64   `json:"tenants"`
}

var activeStates = []string{store.AttemptDialing, store.AttemptRinging, store.AttemptEarly, store.AttemptTalking}

// ListTrunks lists trunks with the last day's answer rate, failure causes,
// calls in progress and the tenants they are assigned to.
func (s *Service) ListTrunks(ctx context.Context) ([]TrunkWithStats, error) {
	pctx := store.AsPlatform(ctx)
	var trunks []store.Trunk
	if err := s.db.With(pctx).Order("id").Limit(1000).Find(&trunks).Error; err != nil {
		return nil, err
	}
	since := s.opt.Now().Add(-24 * time.Hour)
	type agg struct {
		TrunkID uint64
		Outcome string
		N       int64
	}
	var finished []agg
	if err := s.db.With(pctx).Model(&store.CallAttempt{}).Select("trunk_id, outcome, COUNT(*) AS n").
		Where("state = ? AND ended_at >= ?", store.AttemptFinished, since).Group("trunk_id, outcome").Scan(&finished).Error; err != nil {
		return nil, err
	}
	var active []agg
	if err := s.db.With(pctx).Model(&store.CallAttempt{}).Select("trunk_id, COUNT(*) AS n").
		Where("state IN ?", activeStates).Group("trunk_id").Scan(&active).Error; err != nil {
		return nil, err
	}
	var assigns []store.TrunkAssignment
	if err := s.db.With(pctx).Order("tenant_id").Find(&assigns).Error; err != nil {
		return nil, err
	}
	out := make([]TrunkWithStats, len(trunks))
	idx := map[uint64]*TrunkWithStats{}
	for i := range trunks {
		out[i] = TrunkWithStats{Trunk: trunks[i], Stats: TrunkStats{Failures: map[string]int64{}}, Tenants: []uint64{}}
		idx[trunks[i].ID] = &out[i]
	}
	for _, a := range finished {
		t := idx[a.TrunkID]
		if t == nil {
			continue
		}
		t.Stats.Calls24h += a.N
		if a.Outcome == "answered" {
			t.Stats.Answered24h += a.N
		} else {
			t.Stats.Failures[a.Outcome] += a.N
		}
	}
	for _, a := range active {
		if t := idx[a.TrunkID]; t != nil {
			t.Stats.ActiveNow = a.N
		}
	}
	for _, a := range assigns {
		if t := idx[a.TrunkID]; t != nil {
			t.Tenants = append(t.Tenants, a.TenantID)
		}
	}
	for i := range out {
		if out[i].Stats.Calls24h > 0 {
			out[i].Stats.AnswerRate = float64(out[i].Stats.Answered24h) / float64(out[i].Stats.Calls24h)
		}
	}
	return out, nil
}

// GetTrunk returns one trunk.
func (s *Service) GetTrunk(ctx context.Context, id uint64) (*store.Trunk, error) {
	var t store.Trunk
	if err := s.db.With(store.AsPlatform(ctx)).First(&t, id).Error; err != nil {
		return nil, store.Translate(err)
	}
	return &t, nil
}

// SaveTrunk creates (id 0) or changes a trunk, audited (never its password).
func (s *Service) SaveTrunk(ctx context.Context, id uint64, in TrunkInput) (*store.Trunk, error) {
	up, err := in.updates(id == 0)
	if err != nil {
		return nil, err
	}
	pctx := store.AsPlatform(ctx)
	err = s.db.Tx(pctx, func(tx *gorm.DB) error {
		if id == 0 {
			t := &store.Trunk{Name: *in.Name, Host: *in.Host, Transport: "udp", Format: "national", MaxConcurrent: 30, MaxCPS: 5, Enabled: true, Codecs: "PCMA,PCMU"}
			if err := tx.Create(t).Error; err != nil {
				return nameTaken(err)
			}
			id = t.ID
			// Zero values (register=false, enabled=false) must be written too.
			if err := tx.Model(&store.Trunk{}).Where("id = ?", id).Updates(up).Error; err != nil {
				return nameTaken(err)
			}
		} else {
			var t store.Trunk
			if err := tx.First(&t, id).Error; err != nil {
				return store.Translate(err)
			}
			if len(up) > 0 {
				if err := tx.Model(&store.Trunk{}).Where("id = ?", id).Updates(up).Error; err != nil {
					return nameTaken(err)
				}
			}
		}
		delete(up, "password")
		return s.accounts.AuditTx(pctx, tx, tenant.Entry{Action: "trunk.save", Target: fmt.Sprintf("trunk:%d", id), Detail: up})
	})
	if err != nil {
		return nil, err
	}
	return s.GetTrunk(ctx, id)
}

// AssignTrunk lets a tenant call over a trunk (idempotent; updates the cap).
func (s *Service) AssignTrunk(ctx context.Context, trunkID, tenantID uint64, maxConcurrent int) error {
	var v apperr.Validator
	v.Check(maxConcurrent >= 0 && maxConcurrent <= 100000, "max_concurrent", "must be between 0 and 100000")
	if err := v.Err(); err != nil {
		return err
	}
	pctx := store.AsPlatform(ctx)
	return s.db.Tx(pctx, func(tx *gorm.DB) error {
		if err := tx.First(&store.Trunk{}, trunkID).Error; err != nil {
			return store.Translate(err)
		}
		if err := tx.First(&store.Tenant{}, tenantID).Error; err != nil {
			return apperr.Invalid("tenant_id", "no such tenant")
		}
		a := &store.TrunkAssignment{TrunkID: trunkID, TenantID: tenantID, MaxConcurrent: maxConcurrent}
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "tenant_id"}, {Name: "trunk_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"max_concurrent"})}).Create(a).Error; err != nil {
			return err
		}
		return s.accounts.AuditTx(pctx, tx, tenant.Entry{TenantID: tenantID, Action: "trunk.assign", Target: fmt.Sprintf("trunk:%d", trunkID),
			Detail: map[string]any{"max_concurrent": maxConcurrent}})
	})
}

// UnassignTrunk takes a trunk away from a tenant.
func (s *Service) UnassignTrunk(ctx context.Context, trunkID, tenantID uint64) error {
	pctx := store.AsPlatform(ctx)
	return s.db.Tx(pctx, func(tx *gorm.DB) error {
		if err := tx.First(&store.Trunk{}, trunkID).Error; err != nil {
			return store.Translate(err)
		}
		res := tx.Where("trunk_id = ? AND tenant_id = ?", trunkID, tenantID).Delete(&store.TrunkAssignment{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.Invalid("tenant_id", "the trunk is not assigned to this tenant")
		}
		return s.accounts.AuditTx(pctx, tx, tenant.Entry{TenantID: tenantID, Action: "trunk.unassign", Target: fmt.Sprintf("trunk:%d", trunkID)})
	})
}

// CallerIDInput creates a caller ID.
type CallerIDInput struct {
	TrunkID  uint64 `json:"trunk_id"`
	Number   string `json:"number"`
	AreaCode string `json:"area_code"`
	TenantID uint64 `json:"tenant_id"`
}

// CallerIDPatch changes a caller ID; nil fields stay. TenantID 0 unassigns.
type CallerIDPatch struct {
	TenantID   *uint64 `json:"tenant_id"`
	Enabled    *bool   `json:"enabled"`
	Flagged    *bool   `json:"flagged"`
	FlagReason *string `json:"flag_reason"`
}

// CallerIDWithStats is a caller ID and its answer rates.
type CallerIDWithStats struct {
	store.CallerIDNumber
	Calls7d      int64   `json:"calls_7d"`
	AnswerRate7d float64 `json:"answer_rate_7d"`
}

var areaRE = regexp.MustCompile(`^[0-9]{0,8}$`)

func (s *Service) checkTenant(tx *gorm.DB, id uint64, v *apperr.Validator) {
	if id == 0 {
		return
	}
	err := tx.First(&store.Tenant{}, id).Error
	v.Check(err == nil, "tenant_id", "no such tenant")
}

// CreateCallerID adds a presentable number on a trunk, optionally assigned to a tenant.
func (s *Service) CreateCallerID(ctx context.Context, in CallerIDInput) (*store.CallerIDNumber, error) {
	pctx := store.AsPlatform(ctx)
	var v apperr.Validator
	num, ok := tenant.NormalizePhone(in.Number)
	v.Check(ok, "number", "is not a valid phone number")
	v.Check(areaRE.MatchString(in.AreaCode), "area_code", "must be at most 8 digits")
	v.Check(s.db.With(pctx).First(&store.Trunk{}, in.TrunkID).Error == nil, "trunk_id", "no such trunk")
	s.checkTenant(s.db.With(pctx), in.TenantID, &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	c := &store.CallerIDNumber{TrunkID: in.TrunkID, Number: num, AreaCode: in.AreaCode, TenantID: in.TenantID, Enabled: true}
	err := s.db.Tx(pctx, func(tx *gorm.DB) error {
		if err := tx.Create(c).Error; err != nil {
			if errors.Is(store.Translate(err), store.ErrConflict) {
				return apperr.Invalid("number", "is already registered")
			}
			return err
		}
		return s.accounts.AuditTx(pctx, tx, tenant.Entry{TenantID: c.TenantID, Action: "caller_id.create", Target: fmt.Sprintf("caller_id:%d", c.ID)})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// UpdateCallerID assigns, enables or flags a caller ID, audited.
func (s *Service) UpdateCallerID(ctx context.Context, id uint64, in CallerIDPatch) (*store.CallerIDNumber, error) {
	pctx := store.AsPlatform(ctx)
	var v apperr.Validator
	up := map[string]any{}
	if in.TenantID != nil {
		s.checkTenant(s.db.With(pctx), *in.TenantID, &v)
		up["tenant_id"] = *in.TenantID
	}
	if in.Enabled != nil {
		up["enabled"] = *in.Enabled
	}
	if in.Flagged != nil {
		up["flagged"] = *in.Flagged
		if !*in.Flagged {
			up["flag_reason"] = ""
		}
	}
	if in.FlagReason != nil {
		v.Check(runes(*in.FlagReason) <= 191 && oneLine(*in.FlagReason), "flag_reason", "must be at most 191 characters")
		if in.Flagged == nil || *in.Flagged {
			up["flag_reason"] = *in.FlagReason
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var c store.CallerIDNumber
	err := s.db.Tx(pctx, func(tx *gorm.DB) error {
		if err := tx.First(&c, id).Error; err != nil {
			return store.Translate(err)
		}
		if len(up) > 0 {
			if err := tx.Model(&store.CallerIDNumber{}).Where("id = ?", id).Updates(up).Error; err != nil {
				return err
			}
		}
		return s.accounts.AuditTx(pctx, tx, tenant.Entry{TenantID: c.TenantID, Action: "caller_id.update", Target: fmt.Sprintf("caller_id:%d", id), Detail: up})
	})
	if err != nil {
		return nil, err
	}
	err = s.db.With(pctx).First(&c, id).Error
	return &c, err
}

// ListCallerIDs lists caller IDs (optionally of one trunk or tenant) with their 7-day answer rate.
func (s *Service) ListCallerIDs(ctx context.Context, trunkID, tenantID uint64) ([]CallerIDWithStats, error) {
	pctx := store.AsPlatform(ctx)
	q := s.db.With(pctx).Order("id").Limit(2000)
	if trunkID != 0 {
		q = q.Where("trunk_id = ?", trunkID)
	}
	if tenantID != 0 {
		q = q.Where("tenant_id = ?", tenantID)
	}
	var rows []store.CallerIDNumber
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	rates, err := s.callerRates(ctx, s.opt.Now().Add(-7*24*time.Hour), s.opt.Now())
	if err != nil {
		return nil, err
	}
	out := make([]CallerIDWithStats, len(rows))
	for i := range rows {
		r := rates[rows[i].Number]
		out[i] = CallerIDWithStats{CallerIDNumber: rows[i], Calls7d: r.calls}
		if r.calls > 0 {
			out[i].AnswerRate7d = float64(r.answered) / float64(r.calls)
		}
	}
	return out, nil
}

type rate struct{ calls, answered int64 }

func (s *Service) callerRates(ctx context.Context, since, until time.Time) (map[string]rate, error) {
	var rows []struct {
		CallerID string
		Calls    int64
		Answered int64
	}
	err := s.db.With(store.AsPlatform(ctx)).Model(&store.CallAttempt{}).
		Select("caller_id, COUNT(*) AS calls, SUM(CASE WHEN answered_at IS NOT NULL THEN 1 ELSE 0 END) AS answered").
		Where("state = ? AND ended_at >= ? AND ended_at < ? AND caller_id <> ''", store.AttemptFinished, since, until).
		Group("caller_id").Scan(&rows).Error
	out := map[string]rate{}
	for _, r := range rows {
		out[r.CallerID] = rate{r.Calls, r.Answered}
	}
	return out, err
}

// FlagFallingCallerIDs flags enabled caller IDs whose answer rate over the
// last two days fell below half of their rate over the 14 days before (with
// at least minCalls calls in each window): a number marked as spam by the
// carriers' apps stops being answered, and flagged numbers rotate out of use.
func (s *Service) FlagFallingCallerIDs(ctx context.Context, minCalls int64) (int, error) {
	now := s.opt.Now()
	recent, err := s.callerRates(ctx, now.Add(-48*time.Hour), now)
	if err != nil {
		return 0, err
	}
	before, err := s.callerRates(ctx, now.Add(-16*24*time.Hour), now.Add(-48*time.Hour))
	if err != nil {
		return 0, err
	}
	flagged := 0
	for num, r := range recent {
		b := before[num]
		if r.calls < minCalls || b.calls < minCalls || b.answered == 0 {
			continue
		}
		rNow, rBefore := float64(r.answered)/float64(r.calls), float64(b.answered)/float64(b.calls)
		if rNow >= rBefore/2 {
			continue
		}
		reason := fmt.Sprintf("answer rate fell from %.0f%% to %.0f%%", rBefore*100, rNow*100)
		res := s.db.With(store.AsPlatform(ctx)).Model(&store.CallerIDNumber{}).Where("number = ? AND flagged = ?", num, false).
			Updates(map[string]any{"flagged": true, "flag_reason": reason})
		if res.Error != nil {
			return flagged, res.Error
		}
		if res.RowsAffected > 0 {
			flagged++
			_ = s.accounts.Audit(ctx, tenant.Entry{Action: "caller_id.flagged", Target: "caller_id:" + num, Detail: map[string]any{"reason": reason},
				Actor: &tenant.Principal{Kind: tenant.ActorSystem, Name: "caller id monitor"}})
		}
	}
	return flagged, nil
}
