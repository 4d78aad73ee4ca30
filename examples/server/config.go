package main

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
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
	// Addr is the listen address: -addr, ROUTEX_ADDR or the file's addr;
	// without any, ":$PORT" when the platform sets PORT, else ":8080".
	Addr string `json:"addr"`
	Data string `json:"data"` // -data, ROUTEX_DATA; default "data"

	// AdminToken authenticates scripts on /api (Authorization: Bearer).
	AdminToken string `json:"adminToken"` // -admin-token, ROUTEX_ADMIN_TOKEN
	// AdminUser and AdminPassword create the administrator without the
	// wizard, for servers set up over SSH. They are applied at every start,
	// an existing administrator's password replaced: what sets the password
	// owns it, and the dashboard cannot change it (PUT
	// /api/settings/password answers 409).
	AdminUser     string `json:"adminUser"`     // -admin-user, ROUTEX_ADMIN_USER
	AdminPassword string `json:"adminPassword"` // ROUTEX_ADMIN_PASSWORD (no flag: flags show in ps)
	// PasswordFrom names where AdminPassword came from: passwordEnv, or the
	// config file's path. Set by loadConfig; "" with a password is taken
	// for the environment.
	PasswordFrom string `json:"-"`
	// File is the config file read, "" when none.
	File string `json:"-"`
	// SetupToken is the one-time token the setup wizard asks for, for
	// deploys that set it themselves. Without it, a server that needs
	// setup makes one at start and prints it in the log.
	SetupToken string `json:"setupToken"` // ROUTEX_SETUP_TOKEN (no flag: flags show in ps)
	// EncryptionKey encrypts channel keys and tokens at rest: 32 bytes,
	// hex or base64. Without it the server keeps a random key in
	// <data>/secret.key.
	EncryptionKey string `json:"encryptionKey"` // ROUTEX_ENCRYPTION_KEY

	// Channels, Rules and Strategy are written to the database at start
	// (channels and rules by ID, replacing what is there). The file owns
	// them: the management API shows them with "source": "config" and
	// refuses to change or delete them (409 managed_by_config).
	Channels []channelDoc  `json:"channels"`
	Rules    []routex.Rule `json:"rules"`
	Strategy string        `json:"strategy"`

	// Passthrough replaces the endpoints, besides those routex reads,
	// that proxy callers may reach on a channel of their format
	// (routex.DefaultPassthrough), e.g. ["/v1/embeddings", "/v1/files/"].
	Passthrough []string `json:"passthrough"`

	MetricsPublic   bool          `json:"metricsPublic"` // -metrics-public: /metrics without auth
	MaxBodyBytes    int64         `json:"maxBodyBytes"`  // request body bound; default 32 MiB
	ShutdownTimeout time.Duration `json:"-"`             // -shutdown-timeout; default 30s
	// BodyReadTimeout bounds how long a caller may take to send a request
	// body, on the proxy and the management API alike; responses, streams
	// included, are not bounded by it.
	BodyReadTimeout time.Duration `json:"-"`             // -body-read-timeout; default 30s
	RetentionDays   int           `json:"retentionDays"` // -retention-days; default 90, 0 keeps all
	// PprofAddr serves net/http/pprof on a loopback address of its own,
	// for profiling under load; "" (the default) serves nothing.
	PprofAddr string `json:"pprofAddr"` // -pprof, ROUTEX_PPROF
	// ModelsRefresh is how often channels with syncModels set take their
	// model list from their provider again; 0 never syncs them.
	ModelsRefresh time.Duration `json:"-"` // -models-refresh; default 6h

	// Postgres keeps the Store in PostgreSQL instead of SQLite in Data, so
	// that several instances share channels, rules, keys, tokens and
	// usage; a change made through any of them reaches all. Redis shares
	// what they learn on the request path: breakers, cool-downs, quotas,
	// sessions, and one OAuth refresh at a time. Both are URLs, which may
	// hold a password: give them in the environment rather than as flags,
	// which show in ps.
	Postgres string `json:"postgres"` // -postgres, ROUTEX_POSTGRES
	Redis    string `json:"redis"`    // -redis, ROUTEX_REDIS
}

// flagValues are the server's flags, as newFlags defines them.
type flagValues struct {
	configPath, addr, data, adminToken, adminUser, pprofAddr *string
	postgres, redis                                          *string
	metrics                                                  *bool
	shutdown, bodyRead, refresh                              *time.Duration
	retention                                                *int
}

// newFlags defines the server's flags. Each default shown is the one that
// applies when neither the flag, its environment twin nor the config file
// gives a value; loadConfig tells a flag given from one left out.
func newFlags() (*flag.FlagSet, *flagValues) {
	fs := flag.NewFlagSet("routex", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs, &flagValues{
		configPath: fs.String("config", "", "config file, JSON or YAML (env ROUTEX_CONFIG)"),
		addr:       fs.String("addr", "", "listen address (env ROUTEX_ADDR; default :$PORT when PORT is set, else :8080)"),
		data:       fs.String("data", "", "data directory (env ROUTEX_DATA; default ./data)"),
		adminToken: fs.String("admin-token", "", "token for the management API (env ROUTEX_ADMIN_TOKEN)"),
		adminUser:  fs.String("admin-user", "", "administrator name for headless setup (env ROUTEX_ADMIN_USER; password in ROUTEX_ADMIN_PASSWORD)"),
		metrics:    fs.Bool("metrics-public", false, "serve /metrics without authentication"),
		shutdown:   fs.Duration("shutdown-timeout", 30*time.Second, "how long shutdown waits for requests in flight"),
		bodyRead:   fs.Duration("body-read-timeout", 30*time.Second, "how long a caller may take to send a request body"),
		retention:  fs.Int("retention-days", 90, "days of usage records to keep, 0 keeps all (env ROUTEX_RETENTION_DAYS)"),
		pprofAddr:  fs.String("pprof", "", "serve net/http/pprof on this loopback address, e.g. 127.0.0.1:6060 (env ROUTEX_PPROF)"),
		refresh:    fs.Duration("models-refresh", 6*time.Hour, "how often channels with syncModels list their provider's models again; 0 never"),
		postgres:   fs.String("postgres", "", "keep the database in PostgreSQL at this URL, shared by several instances (env ROUTEX_POSTGRES)"),
		redis:      fs.String("redis", "", "share breakers, quotas and sessions with other instances through Redis at this URL (env ROUTEX_REDIS)"),
	}
}

// usage is what -h prints.
func usage(fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString("usage: routex [flags]              serve the proxy, the management API and the dashboard\n" +
		"       routex signin -channel ID   sign an account in from a terminal\n" +
		"       routex healthcheck [flags]  ask the running server's " + healthPath + ", exit 0 when it answers 200\n\nflags:\n")
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	return b.String()
}

// errHelp is loadConfig's answer to -h: not a failure, the usage was asked
// for. Its message is the usage.
type errHelp struct{ usage string }

func (e *errHelp) Error() string { return e.usage }

// configExit reports an error of loadConfig and returns the exit status:
// 0 for -h, whose usage goes to stdout, 2 for the rest.
func configExit(err error, stdout, stderr io.Writer) int {
	var help *errHelp
	if errors.As(err, &help) {
		fmt.Fprint(stdout, help.usage)
		return 0
	}
	fmt.Fprintln(stderr, "routex:", err)
	return 2
}

// configFile is the config file's shape: Config, its durations in
// milliseconds as the management API gives them.
type configFile struct {
	Config
	ShutdownTimeoutMs *float64 `json:"shutdownTimeoutMs"`
	BodyReadTimeoutMs *float64 `json:"bodyReadTimeoutMs"`
	ModelsRefreshMs   *float64 `json:"modelsRefreshMs"`
}

// config is the Config the file gives.
func (f configFile) config() Config {
	c := f.Config
	for _, d := range []struct {
		ms  *float64
		dst *time.Duration
	}{{f.ShutdownTimeoutMs, &c.ShutdownTimeout}, {f.BodyReadTimeoutMs, &c.BodyReadTimeout}, {f.ModelsRefreshMs, &c.ModelsRefresh}} {
		if d.ms != nil {
			*d.dst = fromMs(*d.ms)
		}
	}
	return c
}

// loadConfig reads the flags in args, then the environment through getenv,
// then the file named by -config / ROUTEX_CONFIG (JSON or YAML).
func loadConfig(args []string, getenv func(string) string) (Config, error) {
	fs, f := newFlags()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, &errHelp{usage(fs)}
		}
		return Config{}, fmt.Errorf("%w\n\n%s", err, usage(fs))
	}
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })

	// Defaults a file may override, even with a zero value.
	cfg := Config{RetentionDays: 90, ModelsRefresh: 6 * time.Hour}
	path := first(*f.configPath, getenv("ROUTEX_CONFIG"))
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config file: %w", err)
		}
		// YAML is a superset of JSON; sigs.k8s.io/yaml turns it into JSON
		// first, so the library's JSON field names apply in both.
		file := configFile{Config: cfg}
		if err := yaml.UnmarshalStrict(b, &file); err != nil {
			return Config{}, fmt.Errorf("config file %s: %w", path, err)
		}
		cfg = file.config()
		cfg.File = path
	}
	port, err := portAddr(getenv("PORT"))
	if err != nil {
		return Config{}, err
	}
	cfg.Addr = first(*f.addr, getenv("ROUTEX_ADDR"), cfg.Addr, port, ":8080")
	cfg.Data = first(*f.data, getenv("ROUTEX_DATA"), cfg.Data, "data")
	cfg.AdminToken = first(*f.adminToken, getenv("ROUTEX_ADMIN_TOKEN"), cfg.AdminToken)
	cfg.AdminUser = first(*f.adminUser, getenv("ROUTEX_ADMIN_USER"), cfg.AdminUser)
	switch {
	case getenv(passwordEnv) != "":
		cfg.AdminPassword, cfg.PasswordFrom = getenv(passwordEnv), passwordEnv
	case cfg.AdminPassword != "":
		cfg.PasswordFrom = path
	}
	cfg.EncryptionKey = first(getenv("ROUTEX_ENCRYPTION_KEY"), cfg.EncryptionKey)
	cfg.SetupToken = first(getenv("ROUTEX_SETUP_TOKEN"), cfg.SetupToken)
	if cfg.SetupToken != "" && len(cfg.SetupToken) < minSetupToken {
		return Config{}, fmt.Errorf("the setup token must have at least %d characters; leave it unset and the server makes one", minSetupToken)
	}
	cfg.MetricsPublic = cfg.MetricsPublic || *f.metrics
	cfg.PprofAddr = first(*f.pprofAddr, getenv("ROUTEX_PPROF"), cfg.PprofAddr)
	if cfg.PprofAddr != "" {
		host, _, err := net.SplitHostPort(cfg.PprofAddr)
		if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return Config{}, fmt.Errorf("-pprof %q: give a loopback address such as 127.0.0.1:6060; profiles are not for the network", cfg.PprofAddr)
		}
	}
	cfg.Postgres = first(*f.postgres, getenv("ROUTEX_POSTGRES"), cfg.Postgres)
	cfg.Redis = first(*f.redis, getenv("ROUTEX_REDIS"), cfg.Redis)
	if given["models-refresh"] {
		cfg.ModelsRefresh = *f.refresh // 0 never refreshes
	}
	// A duration of 0 means the default, whoever gives it.
	if given["shutdown-timeout"] || cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = *f.shutdown
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	if given["body-read-timeout"] || cfg.BodyReadTimeout <= 0 {
		cfg.BodyReadTimeout = *f.bodyRead
	}
	if cfg.BodyReadTimeout <= 0 {
		cfg.BodyReadTimeout = 30 * time.Second
	}
	if given["retention-days"] {
		if *f.retention < 0 {
			return Config{}, fmt.Errorf("-retention-days %d: want a whole number of days, 0 keeps all", *f.retention)
		}
		cfg.RetentionDays = *f.retention
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

// passwordEnv is the variable that sets the administrator's password.
const passwordEnv = "ROUTEX_ADMIN_PASSWORD"

// portAddr is the listen address for the port a platform gives in $PORT
// (Fly.io, Railway, Render, Cloud Run, Heroku), or "" when none is given.
func portAddr(port string) (string, error) {
	if port == "" {
		return "", nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("PORT=%q: want a port number (1-65535)", port)
	}
	return ":" + port, nil
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
	if cfg.Postgres != "" {
		// Each instance would make a key of its own in its data
		// directory, and none could read the others' secrets.
		return nil, errors.New("-postgres needs ROUTEX_ENCRYPTION_KEY, the same on every instance: channel keys and tokens are encrypted with it")
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

// configured is what the config file defines, and so owns: the server
// writes it at every start, and the management API shows it read-only.
type configured struct {
	file     string          // the file's path, for the messages
	channels map[string]bool // by ID
	rules    map[string]bool // by ID
}

func newConfigured(cfg Config) configured {
	c := configured{file: first(cfg.File, "the config file"), channels: map[string]bool{}, rules: map[string]bool{}}
	for _, ch := range cfg.Channels {
		c.channels[ch.ID] = true
	}
	for _, r := range cfg.Rules {
		c.rules[r.ID] = true
	}
	return c
}

// source is the "source" of a channel or rule's view: "config" when the
// file defines it, else "".
func (c configured) source(kind, id string) string {
	if c.owns(kind, id) {
		return "config"
	}
	return ""
}

func (c configured) owns(kind, id string) bool {
	switch kind {
	case "channel":
		return c.channels[id]
	case "rule":
		return c.rules[id]
	}
	return false
}

// refuseConfigured answers 409 managed_by_config when the config file
// defines the channel or rule (kind) id, and reports whether it did: a
// change made here would be undone at the next start.
func (s *Server) refuseConfigured(w http.ResponseWriter, kind, id string) bool {
	if !s.configured.owns(kind, id) {
		return false
	}
	apiError(w, http.StatusConflict, "managed_by_config",
		fmt.Sprintf("%s %q is defined in %s; edit that file and restart", kind, id, s.configured.file))
	return true
}

// passwordFromEnv reports whether ROUTEX_ADMIN_PASSWORD sets the
// administrator's password.
func (s *Server) passwordFromEnv() bool {
	return s.cfg.AdminPassword != "" && (s.cfg.PasswordFrom == "" || s.cfg.PasswordFrom == passwordEnv)
}

// refusePasswordChange answers 409 when the administrator's password is set
// outside the dashboard (the environment or the config file), which would
// set it back at the next start, and reports whether it did.
func (s *Server) refusePasswordChange(w http.ResponseWriter) bool {
	switch {
	case s.cfg.AdminPassword == "":
		return false
	case s.passwordFromEnv():
		apiError(w, http.StatusConflict, "managed_by_env",
			"the administrator's password is set by "+passwordEnv+"; change that variable and restart")
	default:
		apiError(w, http.StatusConflict, "managed_by_config",
			fmt.Sprintf("the administrator's password is set in %s; edit that file and restart", s.cfg.PasswordFrom))
	}
	return true
}
