package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrNoTenantScope is returned for a query on a tenant-owned table made with a
// context that names neither a tenant nor platform access. It is a
// programming error surfaced loudly rather than a query that leaks rows.
var ErrNoTenantScope = errors.New("store: query on a tenant-owned table without a tenant in the context")

// ErrReadOnly is returned for a write made under a read-only tenant view
// (an operator's support view of a tenant's console).
var ErrReadOnly = errors.New("store: this view of the tenant is read-only")

type ctxKey int

const (
	tenantKey ctxKey = iota
	platformKey
	readOnlyKey
)

// WithTenant returns a context whose queries on tenant-owned tables see only
// tenantID's rows and whose inserts are stamped with tenantID.
func WithTenant(ctx context.Context, tenantID uint64) context.Context {
	return context.WithValue(ctx, tenantKey, tenantID)
}

// WithReadOnlyTenant is WithTenant for the operator's support view: reads are
// scoped to the tenant and every write is refused.
func WithReadOnlyTenant(ctx context.Context, tenantID uint64) context.Context {
	return context.WithValue(WithTenant(ctx, tenantID), readOnlyKey, true)
}

// TenantFrom returns the tenant the context is scoped to.
func TenantFrom(ctx context.Context) (uint64, bool) {
	id, ok := ctx.Value(tenantKey).(uint64)
	return id, ok && id != 0
}

// AsPlatform marks a context as acting for the platform itself (the operator's
// back office, the scheduler, billing reconciliation): queries on tenant-owned
// tables are not filtered. Only code that must see every tenant uses it, and
// never with a request's tenant: a tenant in the context still wins.
func AsPlatform(ctx context.Context) context.Context {
	return context.WithValue(ctx, platformKey, true)
}

func isPlatform(ctx context.Context) bool {
	v, _ := ctx.Value(platformKey).(bool)
	return v
}

func isReadOnly(ctx context.Context) bool {
	v, _ := ctx.Value(readOnlyKey).(bool)
	return v
}

// TenantOwned is embedded by every model whose rows belong to one tenant.
// Embedding it is what puts a table under the automatic tenant scope.
type TenantOwned struct {
	TenantID uint64 `gorm:"not null;index" json:"-"`
}

func (TenantOwned) tenantOwned() {}

type tenantOwner interface{ tenantOwned() }

var tenantTables sync.Map // table name -> true

// isTenantModel reports whether a model type embeds TenantOwned.
func isTenantModel(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		t = t.Elem()
	}
	return reflect.PointerTo(t).Implements(reflect.TypeFor[tenantOwner]())
}

// installTenantScope registers callbacks that make the tenant filter
// impossible to forget: every query, update, delete and row scan on a
// tenant-owned table gets `tenant_id = <ctx tenant>`, every insert is stamped
// with it, and a context with no tenant and no platform access is an error.
func installTenantScope(g *gorm.DB) error {
	cb := g.Callback()
	steps := []struct {
		name string
		reg  func(string, func(*gorm.DB)) error
	}{
		{"query", func(n string, f func(*gorm.DB)) error { return cb.Query().Before("gorm:query").Register(n, f) }},
		{"update", func(n string, f func(*gorm.DB)) error { return cb.Update().Before("gorm:update").Register(n, f) }},
		{"delete", func(n string, f func(*gorm.DB)) error { return cb.Delete().Before("gorm:delete").Register(n, f) }},
		{"row", func(n string, f func(*gorm.DB)) error { return cb.Row().Before("gorm:row").Register(n, f) }},
	}
	for _, s := range steps {
		write := s.name == "update" || s.name == "delete"
		if err := s.reg("waihu:tenant_scope_"+s.name, func(db *gorm.DB) { scopeStatement(db, write) }); err != nil {
			return fmt.Errorf("install tenant scope: %w", err)
		}
	}
	if err := cb.Create().Before("gorm:create").Register("waihu:tenant_stamp", stampCreate); err != nil {
		return fmt.Errorf("install tenant scope: %w", err)
	}
	return nil
}

func statementIsTenantOwned(db *gorm.DB) bool {
	st := db.Statement
	if st.Schema == nil {
		if st.Model == nil && st.Dest == nil {
			return false
		}
		target := st.Model
		if target == nil {
			target = st.Dest
		}
		if err := st.Parse(target); err != nil || st.Schema == nil {
			return false
		}
	}
	if v, ok := tenantTables.Load(st.Schema.Table); ok {
		return v.(bool)
	}
	owned := isTenantModel(st.Schema.ModelType)
	tenantTables.Store(st.Schema.Table, owned)
	return owned
}

func scopeStatement(db *gorm.DB, write bool) {
	if db.Error != nil || !statementIsTenantOwned(db) {
		return
	}
	ctx := db.Statement.Context
	if write && isReadOnly(ctx) {
		_ = db.AddError(ErrReadOnly)
		return
	}
	if tid, ok := TenantFrom(ctx); ok {
		db.Statement.AddClause(clause.Where{Exprs: []clause.Expression{
			clause.Eq{Column: clause.Column{Table: db.Statement.Table, Name: "tenant_id"}, Value: tid},
		}})
		return
	}
	if isPlatform(ctx) {
		return
	}
	_ = db.AddError(fmt.Errorf("%w (table %s)", ErrNoTenantScope, db.Statement.Table))
}

func stampCreate(db *gorm.DB) {
	if db.Error != nil || !statementIsTenantOwned(db) {
		return
	}
	ctx := db.Statement.Context
	if isReadOnly(ctx) {
		_ = db.AddError(ErrReadOnly)
		return
	}
	tid, scoped := TenantFrom(ctx)
	if !scoped && !isPlatform(ctx) {
		_ = db.AddError(fmt.Errorf("%w (insert into %s)", ErrNoTenantScope, db.Statement.Table))
		return
	}
	field := db.Statement.Schema.LookUpField("TenantID")
	if field == nil {
		return
	}
	rv := db.Statement.ReflectValue
	check := func(v reflect.Value) {
		cur, zero := field.ValueOf(ctx, v)
		switch {
		case scoped && zero:
			_ = field.Set(ctx, v, tid)
		case scoped && cur.(uint64) != tid:
			_ = db.AddError(fmt.Errorf("store: insert into %s for tenant %d under tenant %d's scope", db.Statement.Table, cur, tid))
		case !scoped && zero:
			_ = db.AddError(fmt.Errorf("store: platform insert into %s without a tenant_id", db.Statement.Table))
		}
	}
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			check(reflect.Indirect(rv.Index(i)))
		}
	case reflect.Struct:
		check(rv)
	}
}
