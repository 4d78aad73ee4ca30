package main

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/routex/routex"
)

// Config is everything the server is told at start. Flags win over
// environment variables, which win over the config file.
type Config struct {
	Addr string `json:"addr"` // -addr, ROUTEX_ADDR; default ":8080"
	Data string `json:"data"` // -data, ROUTEX_DATA; default "data"

	// AdminToken authenticates scripts on /api (Authorization: Bearer).
	AdminToken string `json:"adminToken"` // -admin-token, ROUTEX_ADMIN_TOKEN
	// AdminUser and AdminPassword create the administrator without the
	// wizard, for servers set up over SSH. An existing administrator's
	// password is replaced.
	AdminUser     string `json:"adminUser"`     // -admin-user, ROUTEX_ADMIN_USER
	AdminPassword string `json:"adminPassword"` // ROUTEX_ADMIN_PASSWORD (no flag: flags show in ps)
	// SetupToken is the one-time token the setup wizard asks for, for
	// deploys that set it themselves. Without it, a server that needs
	// setup makes one at start and prints it in the log.
	SetupToken string `json:"setupToken"` // ROUTEX_SETUP_TOKEN (no flag: flags show in ps)
	// EncryptionKey encrypts channel keys and tokens at rest: 32 bytes,
	// hex or base64. Without it the server keeps a random key in
	// <data>/secret.key.
	EncryptionKey string `json:"encryptionKey"` // ROUTEX_ENCRYPTION_KEY

	// Channels, Rules and Strategy are written to the database at start
	// (channels and rules by ID, replacing what is there).
	Channels []routex.Channel `json:"channels"`
	Rules    []routex.Rule    `json:"rules"`
	Strategy string           `json:"strategy"`

	// Passthrough replaces the endpoints, besides those routex reads,
	// that proxy callers may reach on a channel of their format
	// (routex.DefaultPassthrough), e.g. ["/v1/embeddings", "/v1/files/"].
	Passthrough []string `json:"passthrough"`

	MetricsPublic   bool          `json:"metricsPublic"`   // -metrics-public: /metrics without auth
	MaxBodyBytes    int64         `json:"maxBodyBytes"`    // request body bound; default 32 MiB
	ShutdownTimeout time.Duration `json:"shutdownTimeout"` // -shutdown-timeout; default 30s
	// BodyReadTimeout bounds how long a caller may take to send a request
	// body, on the proxy and the management API alike; responses, streams
	// included, are not bounded by it.
	BodyReadTimeout time.Duration `json:"bodyReadTimeout"` // -body-read-timeout; default 30s
	RetentionDays   int           `json:"retentionDays"`   // -retention-days; default 90, 0 keeps all
	// PprofAddr serves net/http/pprof on a loopback address of its own,
	// for profiling under load; "" (the default) serves nothing.
	PprofAddr string `json:"pprofAddr"` // -pprof, ROUTEX_PPROF
	// ModelsRefresh is how often channels with syncModels set take their
	// model list from their provider again; 0 never syncs them.
	ModelsRefresh time.Duration `json:"modelsRefresh"` // -models-refresh; default 6h
}

// loadConfig reads the flags in args, then the environment through getenv,
// then the file named by -config / ROUTEX_CONFIG (JSON or YAML).
func loadConfig(args []string, getenv func(string) string) (Config, error) {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		configPath = fs.String("config", "", "config file, JSON or YAML (env ROUTEX_CONFIG)")
		addr       = fs.String("addr", "", "listen address (env ROUTEX_ADDR; default :8080)")
		data       = fs.String("data", "", "data directory (env ROUTEX_DATA; default ./data)")
		adminToken = fs.String("admin-token", "", "token for the management API (env ROUTEX_ADMIN_TOKEN)")
		adminUser  = fs.String("admin-user", "", "administrator name for headless setup (env ROUTEX_ADMIN_USER; password in ROUTEX_ADMIN_PASSWORD)")
		metrics    = fs.Bool("metrics-public", false, "serve /metrics without authentication")
		shutdown   = fs.Duration("shutdown-timeout", 0, "how long shutdown waits for requests in flight (default 30s)")
		bodyRead   = fs.Duration("body-read-timeout", 0, "how long a caller may take to send a request body (default 30s)")
		retention  = fs.Int("retention-days", -1, "days of usage records to keep; 0 keeps all (default 90)")
		pprofAddr  = fs.String("pprof", "", "serve net/http/pprof on this loopback address, e.g. 127.0.0.1:6060 (env ROUTEX_PPROF)")
		refresh    = fs.Duration("models-refresh", 6*time.Hour, "how often channels that keep their models in sync list them again; 0 never")
	)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		var b strings.Builder
		fs.SetOutput(&b)
		fs.PrintDefaults()
		return Config{}, fmt.Errorf("%w\n\nflags:\n%s", err, b.String())
	}

	// Defaults a file may override, even with a zero value.
	cfg := Config{RetentionDays: 90, ModelsRefresh: 6 * time.Hour}
	path := first(*configPath, getenv("ROUTEX_CONFIG"))
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config file: %w", err)
		}
		// YAML is a superset of JSON; sigs.k8s.io/yaml turns it into JSON
		// first, so the library's JSON field names apply in both.
		if err := yaml.UnmarshalStrict(b, &cfg); err != nil {
			return Config{}, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	cfg.Addr = first(*addr, getenv("ROUTEX_ADDR"), cfg.Addr, ":8080")
	cfg.Data = first(*data, getenv("ROUTEX_DATA"), cfg.Data, "data")
	cfg.AdminToken = first(*adminToken, getenv("ROUTEX_ADMIN_TOKEN"), cfg.AdminToken)
	cfg.AdminUser = first(*adminUser, getenv("ROUTEX_ADMIN_USER"), cfg.AdminUser)
	cfg.AdminPassword = first(getenv("ROUTEX_ADMIN_PASSWORD"), cfg.AdminPassword)
	cfg.EncryptionKey = first(getenv("ROUTEX_ENCRYPTION_KEY"), cfg.EncryptionKey)
	cfg.SetupToken = first(getenv("ROUTEX_SETUP_TOKEN"), cfg.SetupToken)
	if cfg.SetupToken != "" && len(cfg.SetupToken) < minSetupToken {
		return Config{}, fmt.Errorf("the setup token must have at least %d characters; leave it unset and the server makes one", minSetupToken)
	}
	cfg.MetricsPublic = cfg.MetricsPublic || *metrics
	cfg.PprofAddr = first(*pprofAddr, getenv("ROUTEX_PPROF"), cfg.PprofAddr)
	if cfg.PprofAddr != "" {
		host, _, err := net.SplitHostPort(cfg.PprofAddr)
		if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return Config{}, fmt.Errorf("-pprof %q: give a loopback address such as 127.0.0.1:6060; profiles are not for the network", cfg.PprofAddr)
		}
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "models-refresh" {
			cfg.ModelsRefresh = *refresh
		}
	})
	if *shutdown > 0 {
		cfg.ShutdownTimeout = *shutdown
	} else if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	if *bodyRead > 0 {
		cfg.BodyReadTimeout = *bodyRead
	} else if cfg.BodyReadTimeout == 0 {
		cfg.BodyReadTimeout = 30 * time.Second
	}
	if *retention >= 0 {
		cfg.RetentionDays = *retention
	} else if v := getenv("ROUTEX_RETENTION_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return Config{}, fmt.Errorf("ROUTEX_RETENTION_DAYS=%q: want a whole number of days", v)
		}
		cfg.RetentionDays = n
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 32 << 20
	}
	if (cfg.AdminUser == "") != (cfg.AdminPassword == "") {
		return Config{}, errors.New("headless setup needs both the administrator's name (-admin-user) and password (ROUTEX_ADMIN_PASSWORD)")
	}
	if cfg.AdminPassword != "" && len(cfg.AdminPassword) < minPassword {
		return Config{}, fmt.Errorf("the administrator's password must have at least %d characters", minPassword)
	}
	return cfg, nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// encryptionKey returns the key that encrypts secrets at rest: the one
// configured, or the one kept in the data directory, made on first run.
func encryptionKey(cfg Config) ([]byte, error) {
	if cfg.EncryptionKey != "" {
		return decodeKey(cfg.EncryptionKey)
	}
	path := filepath.Join(cfg.Data, "secret.key")
	b, err := os.ReadFile(path)
	if err == nil {
		return decodeKey(strings.TrimSpace(string(b)))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading the encryption key: %w", err)
	}
	key := randomBytes(32)
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("writing the encryption key: %w", err)
	}
	return key, nil
}

func decodeKey(s string) ([]byte, error) {
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, errors.New("the encryption key must be 32 bytes, written in hex or base64")
}
