// Package store owns waihu's database: the gorm models, the versioned
// migrations, and the tenant-scoped query layer every domain package goes
// through. It runs on an embedded SQLite file (the default) and on MySQL or
// MariaDB; the same migrations and tests run on both.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	mysqldrv "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the database engine behind a DB.
type Dialect string

const (
	SQLite Dialect = "sqlite"
	MySQL  Dialect = "mysql"
)

// DB is the store handle: a gorm connection with waihu's tenant scope installed.
type DB struct {
	gorm    *gorm.DB
	Dialect Dialect
	// Target is the database location with any password removed, for logs.
	Target string
	// writeGate queues SQLite's write transactions in Go (see Tx); nil on MySQL.
	writeGate chan struct{}
}

// Open connects to the database named by spec (see config.Config.DB), with
// dataDir holding the embedded SQLite file when spec is empty.
func Open(ctx context.Context, spec, dataDir string, log *slog.Logger) (*DB, error) {
	dialect, dsn, target, err := ParseSpec(spec, dataDir)
	if err != nil {
		return nil, err
	}
	gcfg := &gorm.Config{
		NowFunc:                  func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		Logger:                   newGormLogger(log),
		TranslateError:           true,
		DisableNestedTransaction: false,
	}
	var dial gorm.Dialector
	switch dialect {
	case SQLite:
		if err := os.MkdirAll(filepath.Dir(dsnPath(dsn)), 0o750); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		dial = sqlite.Open(dsn)
	case MySQL:
		dial = mysql.New(mysql.Config{DSN: dsn, DefaultStringSize: 191})
	}
	g, err := gorm.Open(dial, gcfg)
	if err != nil {
		return nil, fmt.Errorf("open %s database %s: %w", dialect, target, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	switch dialect {
	case SQLite:
		// SQLite has one writer; BEGIN IMMEDIATE (set in the DSN) plus a busy
		// timeout queues writers instead of failing them, and a small pool keeps
		// readers concurrent under WAL.
		sqlDB.SetMaxOpenConns(8)
		sqlDB.SetMaxIdleConns(8)
	case MySQL:
		sqlDB.SetMaxOpenConns(64)
		sqlDB.SetMaxIdleConns(32)
		sqlDB.SetConnMaxLifetime(30 * time.Minute)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database %s: %w", dialect, target, err)
	}
	if err := installTenantScope(g); err != nil {
		return nil, err
	}
	db := &DB{gorm: g, Dialect: dialect, Target: target}
	if dialect == SQLite {
		db.writeGate = make(chan struct{}, 1)
	}
	return db, nil
}

// ParseSpec turns the --db value into a driver DSN.
func ParseSpec(spec, dataDir string) (Dialect, string, string, error) {
	spec = strings.TrimSpace(spec)
	switch {
	case spec == "" || spec == "sqlite":
		if dataDir == "" {
			dataDir = "./data"
		}
		p := filepath.Join(dataDir, "waihu.db")
		return SQLite, sqliteDSN(p), p, nil
	case strings.HasPrefix(spec, "sqlite://"):
		p := strings.TrimPrefix(spec, "sqlite://")
		if p == "" {
			return "", "", "", errors.New("--db sqlite:// needs a file path, like sqlite:///var/lib/waihu/waihu.db")
		}
		return SQLite, sqliteDSN(p), p, nil
	case strings.HasPrefix(spec, "mysql://"):
		u, err := url.Parse(spec)
		if err != nil {
			return "", "", "", fmt.Errorf("--db: not a valid mysql:// URL: %w", err)
		}
		cfg := mysqldrv.NewConfig()
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
		cfg.Net = "tcp"
		cfg.Addr = u.Host
		if u.Port() == "" {
			cfg.Addr = u.Host + ":3306"
		}
		cfg.DBName = strings.TrimPrefix(u.Path, "/")
		if cfg.DBName == "" {
			return "", "", "", errors.New("--db: the mysql:// URL needs a database name, like mysql://waihu:secret@db:3306/waihu")
		}
		for k, v := range u.Query() {
			if cfg.Params == nil {
				cfg.Params = map[string]string{}
			}
			cfg.Params[k] = v[0]
		}
		return MySQL, finishMySQL(cfg), cfg.User + "@" + cfg.Addr + "/" + cfg.DBName, nil
	default:
		cfg, err := mysqldrv.ParseDSN(spec)
		if err != nil {
			return "", "", "", fmt.Errorf("--db: neither sqlite, a mysql:// URL nor a MySQL DSN: %w", err)
		}
		return MySQL, finishMySQL(cfg), cfg.User + "@" + cfg.Addr + "/" + cfg.DBName, nil
	}
}

func finishMySQL(cfg *mysqldrv.Config) string {
	// Times are stored and read as UTC; utf8mb4 so Chinese names and emoji fit.
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	if _, ok := cfg.Params["charset"]; !ok {
		cfg.Params["charset"] = "utf8mb4"
	}
	cfg.Params["time_zone"] = "'+00:00'"
	cfg.MultiStatements = false
	cfg.Timeout = 10 * time.Second
	cfg.ReadTimeout = 60 * time.Second
	cfg.WriteTimeout = 60 * time.Second
	return cfg.FormatDSN()
}

func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

func dsnPath(dsn string) string {
	p := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

// Close releases the connection pool.
func (db *DB) Close() error {
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks the database answers; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error {
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// With returns the gorm handle bound to ctx. Queries on tenant-owned tables
// are filtered to the context's tenant, or refused when the context carries
// neither a tenant nor platform access (see WithTenant, AsPlatform).
func (db *DB) With(ctx context.Context) *gorm.DB {
	return db.gorm.WithContext(ctx)
}

// Tx runs fn in a transaction bound to ctx.
//
// On SQLite every transaction takes the single write lock at BEGIN, and a
// writer that finds it taken sleeps in SQLite's busy handler (1 ms, 2 ms, 5
// ms … 100 ms) while the lock may already be free again: under many
// concurrent writers (dial jobs, finished calls) the database then sits
// idle. Queueing the transactions of this process on a channel hands the
// lock over at once. After writeGateWait the transaction goes ahead anyway
// and SQLite's own busy timeout decides, so a caller that opens a
// transaction inside another one is slowed, never deadlocked.
func (db *DB) Tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if db.writeGate != nil {
		t := time.NewTimer(writeGateWait)
		select {
		case db.writeGate <- struct{}{}:
			t.Stop()
			defer func() { <-db.writeGate }()
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	return db.gorm.WithContext(ctx).Transaction(fn)
}

// writeGateWait is how long a SQLite transaction waits for the others of
// this process before it leaves the wait to SQLite's busy timeout.
const writeGateWait = 2 * time.Second

type gormLogger struct {
	log  *slog.Logger
	slow time.Duration
}

func newGormLogger(log *slog.Logger) logger.Interface {
	if log == nil {
		log = slog.Default()
	}
	return &gormLogger{log: log, slow: 500 * time.Millisecond}
}

func (l *gormLogger) LogMode(logger.LogLevel) logger.Interface { return l }
func (l *gormLogger) Info(ctx context.Context, msg string, args ...any) {
	l.log.InfoContext(ctx, fmt.Sprintf(msg, args...))
}
func (l *gormLogger) Warn(ctx context.Context, msg string, args ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(msg, args...))
}
func (l *gormLogger) Error(ctx context.Context, msg string, args ...any) {
	l.log.ErrorContext(ctx, fmt.Sprintf(msg, args...))
}

// Trace logs slow statements and unexpected errors. It never logs bound
// values: they may hold phone numbers and passwords.
func (l *gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	switch {
	case err != nil && !errors.Is(err, gorm.ErrRecordNotFound) && !errors.Is(err, gorm.ErrDuplicatedKey) && !errors.Is(err, context.Canceled):
		sql, _ := fc()
		l.log.WarnContext(ctx, "database statement failed", "err", err, "sql", redactSQL(sql), "ms", elapsed.Milliseconds())
	case elapsed > l.slow:
		sql, rows := fc()
		l.log.WarnContext(ctx, "slow database statement", "sql", redactSQL(sql), "rows", rows, "ms", elapsed.Milliseconds())
	}
}

// redactSQL keeps the statement's shape and drops literals, which gorm has
// already interpolated for logging.
func redactSQL(sql string) string {
	var b strings.Builder
	inStr := false
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		if c == '\'' || c == '"' {
			if !inStr {
				b.WriteString("?")
			}
			inStr = !inStr
			continue
		}
		if !inStr {
			b.WriteByte(c)
		}
	}
	s := b.String()
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}
