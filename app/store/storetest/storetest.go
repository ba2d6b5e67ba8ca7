// Package storetest gives tests a migrated database on every engine waihu
// supports: a fresh SQLite file and a fresh MySQL/MariaDB database. MySQL is
// not optional: when it cannot be reached the test fails (CI's .ci/run starts
// MariaDB), so the MySQL half never silently disappears.
//
// WAIHU_TEST_MYSQL overrides the server DSN (default root@tcp(127.0.0.1:3306)/).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/waihu/waihu/app/store"
)

// Engines are the database engines every store test runs on.
var Engines = []store.Dialect{store.SQLite, store.MySQL}

// ServerDSN is the MySQL server the tests create their databases on.
func ServerDSN() string {
	if v := os.Getenv("WAIHU_TEST_MYSQL"); v != "" {
		return v
	}
	return "root@tcp(127.0.0.1:3306)/"
}

// Each runs fn once per engine as a subtest, with a fresh migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range Engines {
		t.Run(string(e), func(t *testing.T) { fn(t, Open(t, e)) })
	}
}

// Open returns a fresh, migrated database of the given engine, removed when
// the test ends.
func Open(t testing.TB, e store.Dialect) *store.DB {
	t.Helper()
	spec := Spec(t, e)
	db, err := store.Open(context.Background(), spec, "", Logger())
	if err != nil {
		t.Fatalf("open %s test database: %v", e, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s test database: %v", e, err)
	}
	return db
}

// Spec creates an empty database of the engine and returns its --db value.
// The database is dropped when the test ends.
func Spec(t testing.TB, e store.Dialect) string {
	t.Helper()
	switch e {
	case store.SQLite:
		return "sqlite://" + filepath.Join(t.TempDir(), "waihu.db")
	case store.MySQL:
		name := "waihu_t_" + randomHex(6)
		server, err := sql.Open("mysql", ServerDSN())
		if err != nil {
			t.Fatalf("MySQL test server DSN %q: %v", ServerDSN(), err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := server.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
			_ = server.Close()
			t.Fatalf("MySQL/MariaDB is required for store tests and is not reachable at %s (start it: start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd): %v", ServerDSN(), err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, _ = server.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name)
			_ = server.Close()
		})
		return serverDSNWithDB(name)
	}
	t.Fatalf("unknown engine %q", e)
	return ""
}

func serverDSNWithDB(name string) string {
	dsn := ServerDSN()
	// The server DSN ends in "/" (optionally followed by ?params).
	for i := len(dsn) - 1; i >= 0; i-- {
		if dsn[i] == '/' {
			return dsn[:i+1] + name + dsn[i+1:]
		}
	}
	return fmt.Sprintf("%s/%s", dsn, name)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Logger is a quiet logger for tests; WAIHU_TEST_LOG=1 shows the output.
func Logger() *slog.Logger {
	if os.Getenv("WAIHU_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
