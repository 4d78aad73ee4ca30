package main

import (
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// TestComposeFile reads docker-compose.yml and deploy/nginx.conf: three
// instances built from the Dockerfile, configured alike on the compose
// file's PostgreSQL and Redis, and a balancer over all three on the port
// the image listens on. No Docker daemon runs here, so nothing is started.
func TestComposeFile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(repoFile("docker-compose.yml"))
	require.NoError(t, err)
	var compose struct {
		Services map[string]struct {
			Build       any               `json:"build"`
			Image       string            `json:"image"`
			Environment map[string]string `json:"environment"`
			DependsOn   any               `json:"depends_on"`
		} `json:"services"`
	}
	require.NoError(t, yaml.Unmarshal(b, &compose))
	image := readDockerfile(t, repoFile("Dockerfile"))

	// ${NAME:?message} as compose substitutes it, from .env.
	dotenv := map[string]string{"ROUTEX_ENCRYPTION_KEY": strings.Repeat("ab", 32), "ROUTEX_ADMIN_PASSWORD": "a-long-enough-password"}
	subst := regexp.MustCompile(`\$\{([A-Z_]+)(:\?[^}]*)?\}`)

	var instances []string
	var first Config
	for name, svc := range compose.Services {
		if svc.Build != "." {
			continue
		}
		instances = append(instances, name)
		env := map[string]string{}
		for k, v := range svc.Environment {
			env[k] = subst.ReplaceAllStringFunc(v, func(m string) string { return dotenv[subst.FindStringSubmatch(m)[1]] })
		}
		cfg, err := loadConfig(nil, envOf(image.env, env))
		require.NoError(t, err, name)
		require.NotEmpty(t, cfg.Postgres, "%s keeps its database in PostgreSQL", name)
		require.NotEmpty(t, cfg.Redis, "%s shares its state through Redis", name)
		_, err = encryptionKey(cfg)
		require.NoError(t, err, "%s has the shared encryption key", name)
		for _, raw := range []string{cfg.Postgres, cfg.Redis} {
			u, err := url.Parse(raw)
			require.NoError(t, err)
			_, ok := compose.Services[u.Hostname()]
			assert.True(t, ok, "%s reaches %s, a service of the file", name, u.Hostname())
		}
		if first.Postgres == "" {
			first = cfg
		}
		assert.Equal(t, first.Postgres, cfg.Postgres, "every instance on one database")
		assert.Equal(t, first.Redis, cfg.Redis, "every instance on one Redis")
		assert.Equal(t, first.EncryptionKey, cfg.EncryptionKey, "every instance with one key")
		assert.Equal(t, ":"+image.expose[0], cfg.Addr, "%s listens on the image's port", name)
	}
	require.Len(t, instances, 3, "instances built from the Dockerfile")

	conf, err := os.ReadFile(repoFile("deploy/nginx.conf"))
	require.NoError(t, err)
	upstreams := regexp.MustCompile(`(?m)^\s*server\s+([a-z0-9-]+):(\d+)`).FindAllStringSubmatch(string(conf), -1)
	var balanced []string
	for _, m := range upstreams {
		balanced = append(balanced, m[1])
		assert.Equal(t, image.expose[0], m[2], "the balancer reaches %s on the port it listens on", m[1])
	}
	assert.ElementsMatch(t, instances, balanced, "the balancer spreads over every instance")
	assert.Contains(t, string(conf), "proxy_buffering off", "streams pass event by event")
}
