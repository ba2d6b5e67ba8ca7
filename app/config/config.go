// Package config holds waihu's one configuration struct and fills it from
// command-line flags, WAIHU_* environment variables and an optional YAML
// config file, in that order of precedence (flags win).
//
// Every option is declared once, in Options, with its flag name, environment
// variable, file key, default and help text, so that `waihu serve --help`,
// the README and the loader can never disagree.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is everything a waihu process needs to start.
type Config struct {
	// Listen is the HTTP address for the website, console, API and FreeSWITCH callbacks.
	Listen string
	// PublicURL is how browsers and FreeSWITCH reach this server (used in links,
	// xml_curl/xml_cdr URLs and prompt URLs). Empty means derived from Listen.
	PublicURL string
	// Data is the directory for the embedded SQLite database, recordings and caches.
	Data string
	// DB selects the database: empty or "sqlite" for the embedded SQLite file under
	// Data, "sqlite:///path/file.db", or "mysql://user:pass@host:3306/db" (a plain
	// go-sql-driver DSN such as "user:pass@tcp(host:3306)/db" works too).
	DB string
	// Redis is the Redis address for asynq ("redis://[:pass@]host:6379/0" or
	// "host:6379"). Empty starts an in-process Redis (miniredis) so one binary runs alone.
	Redis string
	// Demo seeds a demo operator and tenant and runs the switch simulator in-process.
	Demo bool
	// ESLOutboundListen is where FreeSWITCH's `socket` application connects back to waihu.
	ESLOutboundListen string
	// ESLOutboundAdvertise is host:port as FreeSWITCH reaches that listener
	// (put into each originate's socket application); empty = the listen
	// address, with 127.0.0.1 for an unspecified host.
	ESLOutboundAdvertise string
	// ReconcileAfter is how long a call nobody follows may stay open before
	// reconciliation settles it with FreeSWITCH.
	ReconcileAfter time.Duration
	// FSURL is waihu's base URL as FreeSWITCH reaches it (prompt fetches).
	FSURL string
	// FSSecret is the shared secret FreeSWITCH presents on xml_curl, xml_cdr and
	// prompt fetches.
	FSSecret string
	// FSAllow lists the client networks (CIDR) allowed to call the FreeSWITCH
	// endpoints; empty allows loopback and private networks only.
	FSAllow []string
	// RecordingsDir is where FreeSWITCH writes recordings (a volume shared with waihu).
	RecordingsDir string
	// LogLevel is debug, info, warn or error; LogFormat is text or json.
	LogLevel  string
	LogFormat string
	// SecureCookies forces the Secure cookie flag; "auto" sets it when the request came over TLS.
	SecureCookies string
	// MaxBodyBytes caps JSON request bodies (uploads have their own limits).
	MaxBodyBytes int64
	// SessionTTL is how long a login session lives without activity.
	SessionTTL time.Duration
	// Workers is the asynq worker concurrency of this process.
	Workers int
	// ConfigFile is the YAML file the other values may come from.
	ConfigFile string
	// S3 is where answered calls' recordings are uploaded when Bucket is
	// set (any S3-compatible store: AWS S3, MinIO, Aliyun OSS, Tencent COS).
	S3 S3
}

// S3 configures recording uploads (app/recordings).
type S3 struct {
	// Endpoint is the service URL (https://s3.us-east-1.amazonaws.com,
	// https://oss-cn-hangzhou.aliyuncs.com, http://minio:9000).
	Endpoint  string
	Bucket    string
	Region    string
	AccessKey string
	SecretKey string
	// PathStyle puts the bucket in the path (MinIO) instead of the host.
	PathStyle bool
	// Prefix is put before every object key ("waihu/").
	Prefix string
	// DeleteLocal removes the local file after a verified upload.
	DeleteLocal bool
	// URLTTL is how long a presigned playback URL is valid.
	URLTTL time.Duration
}

// Enabled reports whether uploads are configured.
func (s S3) Enabled() bool { return s.Bucket != "" }

// Option describes one configuration value in every form it can be given.
type Option struct {
	Flag    string // flag name without dashes, also the YAML key
	Env     string // environment variable
	Default string
	Usage   string
	set     func(c *Config, v string) error
}

// isBool reports whether the option is a switch (--demo rather than --demo=true).
func (o Option) isBool() bool { return o.Default == "false" || o.Default == "true" }

// flagValue collects a flag's raw text; bool options accept being given bare.
type flagValue struct {
	s    string
	bool bool
}

func (f *flagValue) String() string     { return f.s }
func (f *flagValue) Set(v string) error { f.s = v; return nil }
func (f *flagValue) IsBoolFlag() bool   { return f.bool }

func str(dst func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *dst(c) = v; return nil }
}

// Options is the single table of waihu's configuration.
var Options = []Option{
	{"listen", "WAIHU_LISTEN", ":8080", "HTTP listen address (website, console, API, FreeSWITCH callbacks)", str(func(c *Config) *string { return &c.Listen })},
	{"public-url", "WAIHU_PUBLIC_URL", "", "URL browsers and FreeSWITCH use to reach this server (default derived from --listen)", str(func(c *Config) *string { return &c.PublicURL })},
	{"data", "WAIHU_DATA", "./data", "data directory (embedded database, recordings, caches)", str(func(c *Config) *string { return &c.Data })},
	{"db", "WAIHU_DB", "", "database: empty for embedded SQLite under --data, sqlite:///file.db, or mysql://user:pass@host:3306/db", str(func(c *Config) *string { return &c.DB })},
	{"redis", "WAIHU_REDIS", "", "Redis for the job queue (redis://host:6379/0); empty runs an in-process Redis", str(func(c *Config) *string { return &c.Redis })},
	{"demo", "WAIHU_DEMO", "false", "seed a demo operator and tenant and run the switch simulator in-process", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		c.Demo = b
		return err
	}},
	{"esl-outbound-listen", "WAIHU_ESL_OUTBOUND_LISTEN", ":8084", "address FreeSWITCH's socket application connects back to", str(func(c *Config) *string { return &c.ESLOutboundListen })},
	{"esl-outbound-advertise", "WAIHU_ESL_OUTBOUND_ADVERTISE", "", "host:port FreeSWITCH dials for the socket application (default: the listen address)", str(func(c *Config) *string { return &c.ESLOutboundAdvertise })},
	{"reconcile-after", "WAIHU_RECONCILE_AFTER", "2m", "how long a call that no process follows (after a crash) may stay open before it is reconciled with FreeSWITCH", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return fmt.Errorf("must be a duration of at least 1s, like 2m")
		}
		c.ReconcileAfter = d
		return nil
	}},
	{"fs-url", "WAIHU_FS_URL", "", "base URL FreeSWITCH uses to reach waihu for prompts (default: the public URL)", str(func(c *Config) *string { return &c.FSURL })},
	{"fs-secret", "WAIHU_FS_SECRET", "", "shared secret FreeSWITCH uses on xml_curl, xml_cdr and prompt URLs (generated once and kept in the database when empty)", str(func(c *Config) *string { return &c.FSSecret })},
	{"fs-allow", "WAIHU_FS_ALLOW", "", "comma-separated CIDRs allowed to call FreeSWITCH endpoints (default loopback and private networks)", func(c *Config, v string) error {
		c.FSAllow = splitList(v)
		return nil
	}},
	{"recordings-dir", "WAIHU_RECORDINGS_DIR", "", "directory FreeSWITCH records into, shared with waihu (default <data>/recordings)", str(func(c *Config) *string { return &c.RecordingsDir })},
	{"log-level", "WAIHU_LOG_LEVEL", "info", "log level: debug, info, warn, error", func(c *Config, v string) error {
		switch v {
		case "debug", "info", "warn", "error":
			c.LogLevel = v
			return nil
		}
		return errors.New("must be debug, info, warn or error")
	}},
	{"log-format", "WAIHU_LOG_FORMAT", "text", "log format: text or json", func(c *Config, v string) error {
		if v != "text" && v != "json" {
			return errors.New("must be text or json")
		}
		c.LogFormat = v
		return nil
	}},
	{"secure-cookies", "WAIHU_SECURE_COOKIES", "auto", "Secure flag on cookies: auto (when served over TLS), true, false", func(c *Config, v string) error {
		if v != "auto" && v != "true" && v != "false" {
			return errors.New("must be auto, true or false")
		}
		c.SecureCookies = v
		return nil
	}},
	{"max-body", "WAIHU_MAX_BODY", "1048576", "maximum JSON request body in bytes", func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1024 {
			return errors.New("must be an integer of at least 1024")
		}
		c.MaxBodyBytes = n
		return nil
	}},
	{"session-ttl", "WAIHU_SESSION_TTL", "12h", "login session lifetime without activity", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			return errors.New("must be a duration of at least 1m, like 12h")
		}
		c.SessionTTL = d
		return nil
	}},
	{"s3-endpoint", "WAIHU_S3_ENDPOINT", "", "S3-compatible endpoint URL for recordings (empty with a bucket: AWS S3 of the region)", func(c *Config, v string) error {
		if v != "" {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errors.New("must be an http(s) URL like https://s3.us-east-1.amazonaws.com")
			}
		}
		c.S3.Endpoint = strings.TrimRight(v, "/")
		return nil
	}},
	{"s3-bucket", "WAIHU_S3_BUCKET", "", "bucket for recordings; empty keeps recordings on local disk only", str(func(c *Config) *string { return &c.S3.Bucket })},
	{"s3-region", "WAIHU_S3_REGION", "us-east-1", "region of the S3 bucket (signing scope)", str(func(c *Config) *string { return &c.S3.Region })},
	{"s3-access-key", "WAIHU_S3_ACCESS_KEY", "", "S3 access key ID", str(func(c *Config) *string { return &c.S3.AccessKey })},
	{"s3-secret-key", "WAIHU_S3_SECRET_KEY", "", "S3 secret access key", str(func(c *Config) *string { return &c.S3.SecretKey })},
	{"s3-path-style", "WAIHU_S3_PATH_STYLE", "false", "address the bucket in the path (MinIO) instead of the host name", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		c.S3.PathStyle = b
		return err
	}},
	{"s3-prefix", "WAIHU_S3_PREFIX", "", "prefix of recording object keys", str(func(c *Config) *string { return &c.S3.Prefix })},
	{"s3-delete-local", "WAIHU_S3_DELETE_LOCAL", "false", "delete the local recording after a verified upload", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		c.S3.DeleteLocal = b
		return err
	}},
	{"s3-url-ttl", "WAIHU_S3_URL_TTL", "5m", "lifetime of the presigned URL the results page plays a recording through", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Second || d > 7*24*time.Hour {
			return errors.New("must be a duration between 10s and 168h, like 5m")
		}
		c.S3.URLTTL = d
		return nil
	}},
	{"workers", "WAIHU_WORKERS", "20", "job worker concurrency in this process", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return errors.New("must be an integer between 1 and 10000")
		}
		c.Workers = n
		return nil
	}},
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// FieldError names the option and the source whose value is wrong.
type FieldError struct {
	Option string
	Source string // "flag", "environment", "config file" or "default"
	Value  string
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("config %s from %s (%q): %s", e.Option, e.Source, e.Value, e.Reason)
}

// Load parses args (without the subcommand name) for the named command,
// reading the environment through getenv. It returns flag.ErrHelp after
// printing usage to out when -h/--help is given.
func Load(command string, args []string, getenv func(string) string, out io.Writer) (*Config, error) {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.SetOutput(out)
	values := map[string]*flagValue{}
	for _, o := range Options {
		v := &flagValue{bool: o.isBool()}
		values[o.Flag] = v
		fs.Var(v, o.Flag, "")
	}
	configFile := fs.String("config", "", "")
	fs.Usage = func() { PrintUsage(out, command) }
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (see %s --help)", fs.Arg(0), command)
	}
	setByFlag := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { setByFlag[f.Name] = true })
	if *configFile == "" {
		*configFile = getenv("WAIHU_CONFIG")
	}
	fileValues := map[string]string{}
	if *configFile != "" {
		var err error
		if fileValues, err = readFile(*configFile); err != nil {
			return nil, err
		}
	}
	c := &Config{ConfigFile: *configFile}
	for _, o := range Options {
		v, src := o.Default, "default"
		if fv, ok := fileValues[o.Flag]; ok {
			v, src = fv, "config file"
		}
		if ev, ok := lookup(getenv, o.Env); ok {
			v, src = ev, "environment"
		}
		if setByFlag[o.Flag] {
			v, src = values[o.Flag].s, "flag"
		}
		if err := o.set(c, v); err != nil {
			name := "--" + o.Flag
			if src == "environment" {
				name = o.Env
			}
			return nil, &FieldError{Option: name, Source: src, Value: v, Reason: err.Error()}
		}
	}
	return c, nil
}

func lookup(getenv func(string) string, key string) (string, bool) {
	v := getenv(key)
	return v, v != ""
}

// readFile reads a flat YAML map whose keys are the flag names.
func readFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	raw := map[string]any{}
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("parse config file %s: %w", path, err)
	}
	known := map[string]bool{}
	for _, o := range Options {
		known[o.Flag] = true
	}
	out := map[string]string{}
	for k, v := range raw {
		if !known[k] {
			return nil, fmt.Errorf("config file %s: unknown key %q", path, k)
		}
		switch t := v.(type) {
		case []any:
			parts := make([]string, len(t))
			for i, p := range t {
				parts[i] = fmt.Sprint(p)
			}
			out[k] = strings.Join(parts, ",")
		case nil:
			out[k] = ""
		default:
			out[k] = fmt.Sprint(t)
		}
	}
	return out, nil
}

// PrintUsage writes the option table: flag, environment variable, default, help.
func PrintUsage(w io.Writer, command string) {
	fmt.Fprintf(w, "Usage: %s [options]\n\nOptions (precedence: flag > environment > config file > default):\n", command)
	opts := append([]Option(nil), Options...)
	sort.SliceStable(opts, func(i, j int) bool { return opts[i].Flag < opts[j].Flag })
	for _, o := range append(opts, Option{Flag: "config", Env: "WAIHU_CONFIG", Usage: "YAML file whose keys are the option names above"}) {
		def := ""
		if o.Default != "" {
			def = fmt.Sprintf(" (default %q)", o.Default)
		}
		fmt.Fprintf(w, "  --%-22s %-28s %s%s\n", o.Flag, "$"+o.Env, o.Usage, def)
	}
}
