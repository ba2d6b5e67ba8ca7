package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// Migrations are versioned and run in order, once, on both engines; the
// table waihu_migrations records which ran. Rules for adding one:
//   - append, never edit or reorder a migration that has shipped;
//   - create tables from the current models only when they do not exist yet,
//     and add later columns and indexes in their own migration guarded by
//     HasColumn/HasIndex, so a fresh database (whose first CreateTable already
//     has the newest columns) and an old one end up identical;
//   - data changes are explicit statements in their migration.
var migrations []*gormigrate.Migration

// register is called from the init of each migrations_*.go file, so each
// domain's tables live beside their models.
func register(ms ...*gormigrate.Migration) { migrations = append(migrations, ms...) }

// createTables is the first step of a migration that introduces tables.
func createTables(tx *gorm.DB, models ...any) error {
	for _, m := range models {
		if tx.Migrator().HasTable(m) {
			continue
		}
		if err := tx.Migrator().CreateTable(m); err != nil {
			return fmt.Errorf("create table for %T: %w", m, err)
		}
	}
	return nil
}

func init() {
	register(&gormigrate.Migration{
		ID: "0001_foundation",
		Migrate: func(tx *gorm.DB) error {
			return createTables(tx, &Tenant{}, &User{}, &Staff{}, &Session{}, &APIKey{},
				&AuditLog{}, &Notification{}, &OutboxTask{}, &Setting{})
		},
	})
}

// Migrate brings the schema up to date. Several waihu processes may start at
// once against one MySQL; an advisory lock makes them take turns.
func (db *DB) Migrate(ctx context.Context) error {
	unlock, err := db.migrationLock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	// Files register in file-name order; IDs decide the run order.
	ordered := append([]*gormigrate.Migration(nil), migrations...)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].ID < ordered[j].ID })
	m := gormigrate.New(db.gorm.WithContext(AsPlatform(ctx)), &gormigrate.Options{
		TableName:                 "waihu_migrations",
		IDColumnName:              "id",
		IDColumnSize:              191,
		UseTransaction:            db.Dialect == SQLite, // MySQL DDL commits implicitly anyway
		ValidateUnknownMigrations: true,
	}, ordered)
	if err := m.Migrate(); err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	return nil
}

// MigrationIDs lists the migrations this binary knows, in order.
func MigrationIDs() []string {
	ids := make([]string, len(migrations))
	for i, m := range migrations {
		ids[i] = m.ID
	}
	sort.Strings(ids)
	return ids
}

// AppliedMigrations lists the migrations recorded in the database.
func (db *DB) AppliedMigrations(ctx context.Context) ([]string, error) {
	var ids []string
	err := db.gorm.WithContext(ctx).Table("waihu_migrations").Order("id").Pluck("id", &ids).Error
	return ids, err
}

func (db *DB) migrationLock(ctx context.Context) (func(), error) {
	if db.Dialect != MySQL {
		return func() {}, nil
	}
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return nil, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	var got int
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK('waihu_migrate', 120)").Scan(&got); err != nil || got != 1 {
		_ = conn.Close()
		return nil, fmt.Errorf("migration lock: another process held it for 120s (%v)", err)
	}
	return func() {
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(rctx, "SELECT RELEASE_LOCK('waihu_migrate')")
		_ = conn.Close()
	}, nil
}
