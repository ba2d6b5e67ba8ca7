package config

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestPrecedenceFlagOverEnvOverFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "waihu.yaml")
	if err := os.WriteFile(file, []byte("listen: \":7000\"\ndata: /from/file\nredis: file:6379\nfs-allow: [10.0.0.0/8, 192.168.0.0/16]\nsession-ttl: 2h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	c, err := Load("waihu serve", []string{"--config", file, "--listen", ":9000", "--demo"}, env(map[string]string{
		"WAIHU_LISTEN": ":8000", "WAIHU_DATA": "/from/env",
	}), &out)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != ":9000" {
		t.Errorf("listen %q: flag must win", c.Listen)
	}
	if c.Data != "/from/env" {
		t.Errorf("data %q: environment must beat the file", c.Data)
	}
	if c.Redis != "file:6379" || c.SessionTTL != 2*time.Hour || len(c.FSAllow) != 2 {
		t.Errorf("file values not applied: %+v", c)
	}
	if !c.Demo {
		t.Error("bare --demo did not switch demo on")
	}
	if c.Workers != 20 || c.ESLOutboundListen != ":8084" {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestConfigFileFromEnvironment(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	_ = os.WriteFile(file, []byte("workers: 7\n"), 0o600)
	c, err := Load("x", nil, env(map[string]string{"WAIHU_CONFIG": file}), &bytes.Buffer{})
	if err != nil || c.Workers != 7 {
		t.Fatalf("%v %+v", err, c)
	}
}

func TestBadValuesNameTheOptionAndSource(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		file string
		want string
	}{
		{args: []string{"--workers", "0"}, want: "--workers from flag"},
		{env: map[string]string{"WAIHU_LOG_LEVEL": "loud"}, want: "WAIHU_LOG_LEVEL from environment"},
		{file: "session-ttl: soon\n", want: "--session-ttl from config file"},
		{file: "bogus: 1\n", want: `unknown key "bogus"`},
		{file: "listen: [\n", want: "parse config file"},
		{args: []string{"extra"}, want: "unexpected argument"},
		{args: []string{"--nope"}, want: "flag provided but not defined"},
	}
	for _, c := range cases {
		args := c.args
		if c.file != "" {
			f := filepath.Join(t.TempDir(), "c.yaml")
			_ = os.WriteFile(f, []byte(c.file), 0o600)
			args = append([]string{"--config", f}, args...)
		}
		_, err := Load("waihu serve", args, env(c.env), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %v %q: got %v, want %q", c.args, c.env, c.file, err, c.want)
		}
	}
}

func TestHelpListsEveryOptionWithItsEnvironmentVariable(t *testing.T) {
	var out bytes.Buffer
	_, err := Load("waihu serve", []string{"--help"}, env(nil), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, o := range Options {
		if !strings.Contains(out.String(), "--"+o.Flag) || !strings.Contains(out.String(), "$"+o.Env) {
			t.Errorf("help lacks %s / %s", o.Flag, o.Env)
		}
	}
}
