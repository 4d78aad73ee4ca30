package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex/oauth"
)

// repoFile is the path of a file at the repository's root.
func repoFile(name string) string { return filepath.Join("..", "..", name) }

// dockerfile is what the final stage of a Dockerfile declares.
type dockerfile struct {
	env         map[string]string
	expose      []string
	volumes     []string
	entrypoint  []string
	healthcheck []string // the CMD of HEALTHCHECK, exec form
	copied      []string // the destinations of COPY
}

// readDockerfile reads the instructions of the Dockerfile's last stage that
// the deploy depends on. Only the forms the file uses are understood: a
// line it cannot read fails the test instead of being skipped.
func readDockerfile(t *testing.T, path string) dockerfile {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var d dockerfile
	execForm := func(line, s string) []string {
		var args []string
		require.NoErrorf(t, json.Unmarshal([]byte(s), &args), "%s: want the exec form, a JSON list", line)
		return args
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		switch strings.ToUpper(instr) {
		case "FROM":
			d = dockerfile{env: map[string]string{}}
		case "ENV":
			for _, kv := range strings.Fields(rest) {
				k, v, ok := strings.Cut(kv, "=")
				require.Truef(t, ok, "%s: want KEY=value", line)
				d.env[k] = v
			}
		case "EXPOSE":
			d.expose = append(d.expose, strings.Fields(rest)...)
		case "VOLUME":
			d.volumes = append(d.volumes, strings.Fields(rest)...)
		case "ENTRYPOINT":
			d.entrypoint = execForm(line, rest)
		case "COPY":
			f := strings.Fields(rest)
			d.copied = append(d.copied, f[len(f)-1])
		case "HEALTHCHECK":
			_, cmd, ok := strings.Cut(rest, "CMD ")
			require.Truef(t, ok, "%s: want CMD", line)
			d.healthcheck = execForm(line, cmd)
		}
	}
	return d
}

// readTOML reads the subset of TOML fly.toml is written in: [table] and
// [[array.of.tables]] headers, key = value lines with strings, numbers and
// booleans. It returns each table's instances, their values as written
// (strings unquoted).
func readTOML(t *testing.T, path string) map[string][]map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	out := map[string][]map[string]string{"": {{}}}
	cur := out[""][0]
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[[") && strings.HasSuffix(line, "]]"):
			name := strings.TrimSpace(line[2 : len(line)-2])
			cur = map[string]string{}
			out[name] = append(out[name], cur)
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			name := strings.TrimSpace(line[1 : len(line)-1])
			require.NotContainsf(t, out, name, "table [%s] given twice", name)
			cur = map[string]string{}
			out[name] = []map[string]string{cur}
		default:
			k, v, ok := strings.Cut(line, "=")
			require.Truef(t, ok, "%s: want key = value", line)
			v = strings.TrimSpace(v)
			if strings.HasPrefix(v, `"`) {
				uq, err := strconv.Unquote(v)
				require.NoErrorf(t, err, "%s", line)
				v = uq
			}
			cur[strings.TrimSpace(k)] = v
		}
	}
	require.NoError(t, sc.Err())
	return out
}

// only returns the single instance of a TOML table.
func only(t *testing.T, tables map[string][]map[string]string, name string) map[string]string {
	t.Helper()
	require.Lenf(t, tables[name], 1, "fly.toml: want one [%s]", name)
	return tables[name][0]
}

// envOf is getenv over layers of variables, later layers winning.
func envOf(layers ...map[string]string) func(string) string {
	return func(k string) string {
		v := ""
		for _, l := range layers {
			if x, ok := l[k]; ok {
				v = x
			}
		}
		return v
	}
}

func portOf(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	return port
}

// freePort is a port nothing listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return portOf(t, ln.Addr().String())
}

// startMain runs the server as main does, on cfg, until the test ends or
// the returned stop is called; it returns the address it listens on.
func startMain(t *testing.T, cfg Config) (addr string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, silent, ready) }()
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("the server did not start: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("the server did not start in 30s")
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			require.NoError(t, <-done)
		}
	}
	t.Cleanup(stop)
	return addr, stop
}

func wantHealthy(t *testing.T, addr, path string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equalf(t, http.StatusOK, resp.StatusCode, "GET %s", path)
}

// Each deploy file agrees with the server: the port it sends traffic to is
// the one the server listens on, with $PORT or without, its volume holds
// the server's data directory, and its health check answers 200.
func TestDeployFiles(t *testing.T) {
	t.Parallel()
	docker := readDockerfile(t, repoFile("Dockerfile"))
	fly := readTOML(t, repoFile("fly.toml"))
	var railway struct {
		Build struct {
			Builder        string `json:"builder"`
			DockerfilePath string `json:"dockerfilePath"`
		} `json:"build"`
		Deploy struct {
			StartCommand      string `json:"startCommand"`
			HealthcheckPath   string `json:"healthcheckPath"`
			RequiredMountPath string `json:"requiredMountPath"`
		} `json:"deploy"`
	}
	b, err := os.ReadFile(repoFile("railway.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &railway))

	// The image's configuration, as the server reads it.
	image, err := loadConfig(nil, envOf(docker.env))
	require.NoError(t, err)

	// One server, started as the image starts it but on a free $PORT and a
	// temporary data directory, answers every file's health check.
	port := freePort(t)
	platform := map[string]string{"PORT": port, "ROUTEX_DATA": t.TempDir()}
	cfg, err := loadConfig(nil, envOf(docker.env, platform))
	require.NoError(t, err)
	require.Equal(t, ":"+port, cfg.Addr, "the image listens on $PORT")
	addr, stop := startMain(t, cfg)
	require.Equal(t, port, portOf(t, addr))
	local := net.JoinHostPort("127.0.0.1", port)

	t.Run("Dockerfile", func(t *testing.T) {
		require.Len(t, docker.expose, 1)
		assert.Equal(t, docker.expose[0], portOf(t, image.Addr), "EXPOSE is the port the server listens on without $PORT")
		assert.Equal(t, []string{image.Data}, docker.volumes, "VOLUME is the data directory")
		require.NotEmpty(t, docker.entrypoint)
		assert.Contains(t, docker.copied, docker.entrypoint[0], "the ENTRYPOINT is the binary copied in")
		require.GreaterOrEqual(t, len(docker.healthcheck), 2)
		assert.Equal(t, docker.entrypoint[0], docker.healthcheck[0], "HEALTHCHECK runs the server's binary")
		require.Equal(t, "healthcheck", docker.healthcheck[1])
		// The HEALTHCHECK command, in the container's environment, finds
		// the server and says it is healthy; once it stops, that it is not.
		var out bytes.Buffer
		require.Equalf(t, 0, healthcheck(docker.healthcheck[2:], envOf(docker.env, platform), &out), "output: %s", &out)
		wantHealthy(t, local, healthPath)
	})

	t.Run("fly.toml", func(t *testing.T) {
		assert.Equal(t, "Dockerfile", only(t, fly, "build")["dockerfile"])
		flyCfg, err := loadConfig(nil, envOf(docker.env, only(t, fly, "env")))
		require.NoError(t, err)
		svc := only(t, fly, "http_service")
		assert.Equal(t, portOf(t, flyCfg.Addr), svc["internal_port"], "internal_port is the port the server listens on")
		mount := only(t, fly, "mounts")
		assert.Equal(t, flyCfg.Data, mount["destination"], "the volume is mounted on the data directory")
		assert.NotEmpty(t, mount["source"])
		check := only(t, fly, "http_service.checks")
		assert.Equal(t, "GET", check["method"])
		assert.Equal(t, healthPath, check["path"])
		wantHealthy(t, local, check["path"])
	})

	t.Run("railway.json", func(t *testing.T) {
		assert.Equal(t, "DOCKERFILE", railway.Build.Builder)
		assert.Equal(t, "Dockerfile", railway.Build.DockerfilePath)
		assert.Equal(t, docker.entrypoint[0], railway.Deploy.StartCommand)
		// Railway sets PORT and checks health on it: the server above
		// listens there.
		assert.Equal(t, image.Data, railway.Deploy.RequiredMountPath, "the deploy needs a volume on the data directory")
		assert.Equal(t, healthPath, railway.Deploy.HealthcheckPath)
		wantHealthy(t, local, railway.Deploy.HealthcheckPath)
	})

	t.Run("healthcheck fails without a server", func(t *testing.T) {
		stop()
		var out bytes.Buffer
		assert.Equal(t, 1, healthcheck(docker.healthcheck[2:], envOf(docker.env, platform), &out))
		assert.Contains(t, out.String(), "healthcheck")
	})

	t.Run("docker build", func(t *testing.T) {
		if _, err := exec.LookPath("docker"); err != nil {
			t.Skip("docker is not on PATH")
		}
		if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
			t.Skipf("docker cannot reach a daemon: %s", bytes.TrimSpace(out))
		}
		ctx, cancel := context.WithTimeout(t.Context(), 15*time.Minute)
		defer cancel()
		tag := "routex-deploy-test:" + strconv.FormatInt(time.Now().UnixNano(), 36)
		build := exec.CommandContext(ctx, "docker", "build", "-t", tag, "-f", repoFile("Dockerfile"), repoFile(""))
		out, err := build.CombinedOutput()
		require.NoErrorf(t, err, "docker build:\n%s", out)
		t.Cleanup(func() { exec.Command("docker", "image", "rm", "-f", tag).Run() })
		// The image's binary is the server's: -h lists its flags and exits 0.
		help, err := exec.CommandContext(ctx, "docker", "run", "--rm", tag, "-h").CombinedOutput()
		require.NoErrorf(t, err, "docker run -h:\n%s", help)
		assert.Contains(t, string(help), "-retention-days")
	})
}

func TestListenAddress(t *testing.T) {
	t.Parallel()
	file := writeConfigFile(t, map[string]any{"addr": ":1111"})
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "default", want: ":8080"},
		{name: "PORT", env: map[string]string{"PORT": "4321"}, want: ":4321"},
		{name: "ROUTEX_ADDR over PORT", env: map[string]string{"PORT": "4321", "ROUTEX_ADDR": "127.0.0.1:9999"}, want: "127.0.0.1:9999"},
		{name: "flag over PORT", args: []string{"-addr", ":7777"}, env: map[string]string{"PORT": "4321"}, want: ":7777"},
		{name: "file over PORT", args: []string{"-config", file}, env: map[string]string{"PORT": "4321"}, want: ":1111"},
		{name: "not a port", env: map[string]string{"PORT": "http"}, wantErr: `PORT="http"`},
		{name: "out of range", env: map[string]string{"PORT": "70000"}, wantErr: "PORT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig(tt.args, envOf(tt.env))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg.Addr)
		})
	}
}

func TestHealthURL(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		":8080":          "http://127.0.0.1:8080/health",
		"0.0.0.0:8080":   "http://127.0.0.1:8080/health",
		"[::]:8080":      "http://[::1]:8080/health",
		"10.0.0.5:9000":  "http://10.0.0.5:9000/health",
		"localhost:8080": "http://localhost:8080/health",
	} {
		got, err := healthURL(addr)
		require.NoError(t, err, addr)
		assert.Equal(t, want, got, addr)
	}
	_, err := healthURL("8080")
	assert.Error(t, err)
}

// TestMainHelp runs main as a program when the parent test asks; it is not
// a test of its own.
func TestMainHelp(t *testing.T) {
	if args := os.Getenv("ROUTEX_TEST_MAIN_ARGS"); args != "" {
		if tokenURL := os.Getenv("ROUTEX_TEST_TOKEN_URL"); tokenURL != "" {
			// A fleet's instances (fleet_test.go) sign in at a local
			// authorization server.
			signInModes["subscription"] = func() oauth.Provider {
				p := oauth.AnthropicSubscription()
				p.TokenURL = tokenURL
				return p
			}
		}
		os.Args = append([]string{"routex"}, strings.Fields(args)...)
		main()
		os.Exit(3) // main returned without serving: not what it does
	}
	t.Parallel()
	fs, _ := newFlags()
	tests := []struct {
		args       string
		wantStatus int
		wantOut    bool // the usage on stdout
	}{
		{"-h", 0, true},
		{"-help", 0, true},
		{"--help", 0, true},
		{"-no-such-flag", 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMainHelp$")
			cmd.Env = append(os.Environ(), "ROUTEX_TEST_MAIN_ARGS="+tt.args)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			status := 0
			if ee, ok := err.(*exec.ExitError); ok {
				status = ee.ExitCode()
			} else {
				require.NoError(t, err)
			}
			require.Equalf(t, tt.wantStatus, status, "stdout: %s\nstderr: %s", &stdout, &stderr)
			text := stderr.String()
			if tt.wantOut {
				text = stdout.String()
			} else {
				assert.Contains(t, text, tt.args)
			}
			// Every flag, each with its default said once at most.
			fs.VisitAll(func(f *flag.Flag) {
				assert.Regexp(t, "(?m)^  -"+regexp.QuoteMeta(f.Name)+"( |$)", text)
			})
			for _, help := range strings.Split(text, "\n  -")[1:] {
				assert.LessOrEqualf(t, strings.Count(help, "default"), 1, "two defaults in -%s", help)
			}
		})
	}
	// The defaults it shows are those that apply.
	cfg, err := loadConfig(nil, envOf())
	require.NoError(t, err)
	for name, want := range map[string]string{"retention-days": strconv.Itoa(cfg.RetentionDays),
		"shutdown-timeout": cfg.ShutdownTimeout.String(), "body-read-timeout": cfg.BodyReadTimeout.String()} {
		assert.Equal(t, want, fs.Lookup(name).DefValue, name)
	}
}

// README's table of flags lists every flag the server defines, and no other.
func TestReadmeFlags(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(repoFile("README.md"))
	require.NoError(t, err)
	row := regexp.MustCompile("(?m)^\\| `-([a-z-]+)` \\|")
	var listed []string
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		listed = append(listed, m[1])
	}
	var defined []string
	fs, _ := newFlags()
	fs.VisitAll(func(f *flag.Flag) { defined = append(defined, f.Name) })
	slices.Sort(listed)
	assert.Equal(t, defined, listed, "README.md's flag table")
	// And each row names the flag's environment twin when it has one.
	fs.VisitAll(func(f *flag.Flag) {
		env := regexp.MustCompile(`env (ROUTEX_[A-Z_]+)`).FindStringSubmatch(f.Usage)
		if env == nil {
			return
		}
		line := regexp.MustCompile("(?m)^\\| `-" + regexp.QuoteMeta(f.Name) + "` \\|.*$").FindString(string(b))
		assert.Contains(t, line, "`"+env[1]+"`", fmt.Sprintf("README.md's row for -%s", f.Name))
	})
}
