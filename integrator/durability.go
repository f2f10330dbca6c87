package integrator

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Durability policies (Config.RedisDurability, --redis-durability).
const (
	// DurabilityRequired refuses to start on a Redis that can lose or evict what the
	// ingress acknowledged: AOF off, appendfsync no, or an eviction policy other than
	// noeviction under a memory limit.
	DurabilityRequired = "required"
	// DurabilityVolatileOK starts anyway, logging what is at risk: for tests, demos and
	// scenario runs on a throw-away Redis.
	DurabilityVolatileOK = "volatile-ok"
)

// RedisDurability is what a Redis says about how it keeps data.
type RedisDurability struct {
	// Nodes is how many Redis nodes (cluster masters) were read.
	Nodes int
	// AOF is true when every node has appendonly yes.
	AOF bool
	// AppendFsync is the nodes' appendfsync ("always", "everysec", "no"), or "" when
	// CONFIG is disabled (managed Redis services rename it).
	AppendFsync string
	// EvictionPolicy and MaxMemory are the nodes' maxmemory-policy and maxmemory (0: no
	// limit).
	EvictionPolicy string
	MaxMemory      int64
	// Replicas is the smallest number of replicas connected to a node.
	Replicas int
	// Problems make the Redis volatile or evicting; each says what to set. Warnings are
	// risks the integrator cannot judge.
	Problems []string
	Warnings []string
}

// Volatile reports whether acknowledged webhooks can be lost or evicted.
func (d RedisDurability) Volatile() bool { return len(d.Problems) > 0 }

// CheckRedisDurability reads the persistence, eviction and replication settings of every
// node (each master of a Redis Cluster) through INFO, which managed services keep, and
// appendfsync through CONFIG GET where it is allowed.
func CheckRedisDurability(ctx context.Context, rdb redis.UniversalClient) (RedisDurability, error) {
	var mu sync.Mutex
	d := RedisDurability{AOF: true, Replicas: -1}
	check := func(ctx context.Context, c *redis.Client) error {
		info, err := c.Info(ctx, "persistence", "memory", "replication").Result()
		if err != nil {
			return fmt.Errorf("redis INFO: %w", err)
		}
		f := parseInfo(info)
		fsync := ""
		if v, err := c.ConfigGet(ctx, "appendfsync").Result(); err == nil {
			fsync = v["appendfsync"]
		}
		maxmem, _ := strconv.ParseInt(f["maxmemory"], 10, 64)
		replicas, _ := strconv.Atoi(f["connected_slaves"])
		mu.Lock()
		defer mu.Unlock()
		d.Nodes++
		if f["aof_enabled"] != "1" {
			d.AOF = false
		}
		if fsync != "" && (d.AppendFsync == "" || fsyncRank(fsync) < fsyncRank(d.AppendFsync)) {
			d.AppendFsync = fsync
		}
		if maxmem > 0 && (d.MaxMemory == 0 || maxmem < d.MaxMemory) {
			d.MaxMemory = maxmem
		}
		if p := f["maxmemory_policy"]; p != "" && (d.EvictionPolicy == "" || p != "noeviction") {
			d.EvictionPolicy = p
		}
		if d.Replicas < 0 || replicas < d.Replicas {
			d.Replicas = replicas
		}
		return nil
	}
	var err error
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, check)
	} else if c, ok := rdb.(*redis.Client); ok {
		err = check(ctx, c)
	} else {
		return d, errors.New("redis durability: unsupported client type")
	}
	if err != nil {
		return d, err
	}
	d.judge()
	return d, nil
}

// judge fills Problems and Warnings.
func (d *RedisDurability) judge() {
	if !d.AOF {
		d.Problems = append(d.Problems, "appendonly is off: a restart loses every message queued since the last snapshot (set appendonly yes and appendfsync everysec)")
	}
	switch d.AppendFsync {
	case "no":
		d.Problems = append(d.Problems, "appendfsync is no: the operating system decides when writes reach the disk, and a crash can lose tens of seconds of acknowledged webhooks (set appendfsync everysec, or always)")
	case "":
		d.Warnings = append(d.Warnings, "CONFIG is disabled, so appendfsync could not be read: make sure the service writes its append-only file at least every second")
	}
	if d.MaxMemory > 0 && d.EvictionPolicy != "noeviction" {
		d.Problems = append(d.Problems, fmt.Sprintf("maxmemory-policy is %s with maxmemory %d: under memory pressure Redis deletes keys, queued messages among them (set maxmemory-policy noeviction, and size maxmemory for the peak backlog)", d.EvictionPolicy, d.MaxMemory))
	}
	if d.Replicas == 0 {
		d.Warnings = append(d.Warnings, "no replica is connected: losing the Redis host loses its data, even with AOF")
	}
}

// fsyncRank orders appendfsync from least to most durable.
func fsyncRank(s string) int {
	switch s {
	case "always":
		return 2
	case "everysec":
		return 1
	}
	return 0
}

// parseInfo reads INFO's "key:value" lines.
func parseInfo(info string) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = v
		}
	}
	return out
}

// epoch detects a Redis that lost its data while the integrator ran (a restart without
// persistence, a FLUSHALL, a failover to an empty replica): a random marker written at
// start must still be there.
type epoch struct {
	rdb redis.UniversalClient
	key string

	mu    sync.Mutex
	value string
}

func newEpoch(rdb redis.UniversalClient, prefix string) *epoch {
	return &epoch{rdb: rdb, key: prefix + ":epoch"}
}

// claim reads the marker, writing a new one if there is none, and remembers it.
func (e *epoch) claim(ctx context.Context) error {
	if err := e.rdb.SetNX(ctx, e.key, randomHex(), 0).Err(); err != nil {
		return err
	}
	v, err := e.rdb.Get(ctx, e.key).Result()
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.value = v
	e.mu.Unlock()
	return nil
}

// adopt remembers v as the marker (one an operator's acknowledgment wrote).
func (e *epoch) adopt(v string) {
	e.mu.Lock()
	e.value = v
	e.mu.Unlock()
}

// lost reports whether the marker this replica remembers is gone or replaced.
func (e *epoch) lost(ctx context.Context) (bool, error) {
	e.mu.Lock()
	want := e.value
	e.mu.Unlock()
	if want == "" {
		return false, nil
	}
	v, err := e.rdb.Get(ctx, e.key).Result()
	if errors.Is(err, redis.Nil) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return v != want, nil
}
