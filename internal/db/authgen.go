package db

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// The authentication generation lets internal/auth cache sessions in
// process: a cached answer is good while the generation it was read at is
// still the current one, and anything that could change an answer moves
// the generation on. It moves
//
//   - in this process, right after the commit of a write that touched one of
//     the tables a session's answer is read from (authTables), before the
//     writer answers its request: exact on SQLite, which one process serves;
//   - on PostgreSQL also when a notification on channel liaison_auth
//     arrives for this DB's schema: migration 00040's triggers send one
//     when such a change commits in any process (naming the schema since
//     00062, heard). PostgreSQL signals the listening sessions as
//     part of the commit, before the writer's COMMIT returns, so the other
//     processes hear of it within a fraction of a millisecond;
//   - whenever the listener loses its connection, and while it has none the
//     generation reports itself unusable (every request reads the database).
//
// A reader takes the generation before it reads the database and stores
// its answer under it, so an answer read before a change commits is never
// used after the change is announced.
type authGen struct {
	n      atomic.Uint64
	usable atomic.Bool
	// list is the client list's generation on PostgreSQL (listgen.go),
	// listed the commits of this DB that changed the list's state.
	list, listed atomic.Uint64
	// writes counts the writes committed through this process's DBs on
	// the file (WriteGeneration); unused on PostgreSQL.
	writes atomic.Uint64
	// schema is the schema this DB's tables live in on PostgreSQL, read by
	// the listener when it connects: it hears only its own schema's
	// notifications (heard).
	schema atomic.Pointer[string]
	// waiters are the writers waiting for acknowledgements (announce).
	mu      sync.Mutex
	waiters map[string]*ackWaiter
	stop    context.CancelFunc
	done    chan struct{}
}

// sqliteGens shares one generation among the DBs a process opens on one
// SQLite file (tests run several servers on one file in one process).
var sqliteGens sync.Map // absolute path → *authGen

func sqliteAuthGen(path string) *authGen {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	g := &authGen{}
	g.usable.Store(true)
	v, _ := sqliteGens.LoadOrStore(path, g)
	return v.(*authGen)
}

// AuthGeneration returns the current generation and whether cached
// answers may be used at all (false while PostgreSQL's listener is down).
func (d *DB) AuthGeneration() (uint64, bool) {
	return d.auth.n.Load(), d.auth.usable.Load()
}

// WriteGeneration returns a number that moves after every write this
// process commits on its SQLite file (a write transaction or a statement of
// Exec, before the writer answers), and false on PostgreSQL, whose other
// processes write unseen. A reader that took it before reading may keep
// what it read while it stays the same: on SQLite, which one process
// serves (as the session cache assumes), nothing else changes the data.
// The client list uses it to skip its freshness statement (issue 23).
func (d *DB) WriteGeneration() (uint64, bool) {
	if d.dialect != SQLite {
		return 0, false
	}
	return d.auth.writes.Load(), true
}

// authTables are the tables a session's answer comes from (auth.Service's
// session statement, authz.MembershipsSQL and authz.ClientClosed).
var authTables = []string{"sessions", "users", "memberships", "accounts", "agency_clients", "links"}

// touchesAuth reports whether a write statement may change a cached
// session's answer. Two writes to sessions cannot: a new session (nobody
// has its token yet) and the last-seen time, which the cache keeps itself.
func touchesAuth(q string) bool {
	s := strings.TrimSpace(q)
	if len(s) < 6 || strings.EqualFold(s[:6], "SELECT") {
		return false
	}
	if strings.HasPrefix(s, "INSERT INTO sessions ") || strings.HasPrefix(s, "UPDATE sessions SET last_seen_at = ?") {
		return false
	}
	for _, t := range authTables {
		if containsWord(s, t) {
			return true
		}
	}
	return false
}

// containsWord reports whether w occurs in s as a whole word (so that
// billing_accounts is not accounts).
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(w)
		if (j == 0 || !wordByte(s[j-1])) && (end == len(s) || !wordByte(s[end])) {
			return true
		}
		i = j + 1
	}
}

func wordByte(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// listenAuth keeps a connection listening on liaison_auth until Close.
func (d *DB) listenAuth(cfg *pgx.ConnConfig) {
	ctx, cancel := context.WithCancel(context.Background())
	d.auth.stop, d.auth.done = cancel, make(chan struct{})
	ready := make(chan struct{})
	go func() {
		defer close(d.auth.done)
		backoff := 100 * time.Millisecond
		first := true
		for ctx.Err() == nil {
			err := d.listenOnce(ctx, cfg, ready, &first)
			d.auth.usable.Store(false)
			d.auth.n.Add(1)
			d.auth.list.Add(1)
			if ctx.Err() != nil {
				return
			}
			_ = err // the next attempt says whether the database is back
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
		}
	}()
	// Open answers once the first LISTEN is in place (or failed), so a
	// server does not start with its cache off for no reason.
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
	}
}

func (d *DB) listenOnce(ctx context.Context, cfg *pgx.ConnConfig, ready chan struct{}, first *bool) error {
	defer func() {
		if *first {
			*first = false
			close(ready)
		}
	}()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	var schema string
	if err := c.QueryRow(ctx, schemaSQL).Scan(&schema); err != nil {
		return err
	}
	d.auth.schema.Store(&schema)
	// The name writers find it by once it listens, not before: a writer
	// that counted it earlier would wait for an answer to a notification
	// sent before the LISTEN, which never comes. (The name is hex: no
	// quoting to get wrong in the script.)
	if _, err := c.Exec(ctx, `LISTEN liaison_auth; LISTEN liaison_auth_ack; LISTEN liaison_list;
		SELECT set_config('application_name', '`+listenerNameIn(schema)+`', false)`); err != nil {
		return err
	}
	// What was cached before the LISTEN may have missed a notification.
	d.auth.n.Add(1)
	d.auth.list.Add(1)
	d.auth.usable.Store(true)
	if *first {
		*first = false
		close(ready)
	}
	for {
		n, err := c.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Channel == "liaison_auth_ack" {
			d.auth.acked(n.Payload, n.PID)
			continue
		}
		if d.auth.heard(n.Channel, n.Payload) {
			// A writer waits for every listener to have moved on.
			if _, err := c.Exec(ctx, `SELECT pg_notify('liaison_auth_ack', $1)`, n.Payload); err != nil {
				return err
			}
		}
	}
}

// listenerName is the application_name the listening connections of an
// earlier version go by, which a writer waits for too (they hear every
// schema); listenerNameIn names this version's, by which a writer finds
// the processes of its own schema, the only ones it waits for. A listener
// connects as listenerConnecting and takes its name once it listens.
const (
	listenerName       = "liaison-auth-listener"
	listenerConnecting = "liaison-listener-connecting"
)

// listenerNameIn is the application_name of the listeners of a schema: the
// schema's name may be as long as an application_name (63 bytes), so it
// is a digest of it.
func listenerNameIn(schema string) string {
	sum := sha256.Sum256([]byte(schema))
	return listenerName + "@" + hex.EncodeToString(sum[:8])
}

// schemaSQL finds the schema of the tables this DB's statements name: that
// of sessions once the migrations have made it, and before that the one
// they will make it in (the first of the search_path that exists, where
// CREATE TABLE puts a table without a schema).
const schemaSQL = `SELECT COALESCE((SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE c.oid = to_regclass('sessions')), current_schema()::text, '')`

// schemaName is the schema the listener found, "" before it connected.
func (g *authGen) schemaName() string {
	if s := g.schema.Load(); s != nil {
		return *s
	}
	return ""
}

// announce makes a committed change of authentication data (or of the
// client list's state, listgen.go) exact across processes on PostgreSQL:
// the triggers' notification reaches every listener as part of the commit,
// but a process may read it a moment later, while a request that followed
// the writer's answer is already there (TestSessionCacheAcrossProcesses
// saw it on a loaded machine). So the writer, before it answers, sends a
// notification of its own (its payload starting with prefix, ending with
// its schema) and waits until every listening process of its schema (found
// by application_name, listenerNameIn, with those of an earlier version)
// has acknowledged it — each has then moved its generation on. Not the
// processes of other schemas, other installations sharing the database,
// which its change does not concern: one of them closing its listener
// would keep the writer waiting for an answer that never comes, and in
// CI, where every test has a schema, tests ending kept writers of others
// waiting two seconds. A process that
// does not answer within two seconds is not waited for longer. One
// statement finds the listeners and sends the notification.
//
// Acknowledgements are matched to listeners by the backend that sent them
// (a notification carries its sender's PID, and a listener acknowledges on
// its own connection), not counted: a count of acknowledgements could be
// made up by ones from a listener that was not counted (it connected
// between the count and the commit, as a listener that reconnects does),
// or twice by one listener (two writers' tokens alike), while a counted
// process had not yet moved on (TestAnnounceWaitsForEachListener).
func (d *DB) announce(ctx context.Context, prefix string) {
	if d.dialect != Postgres || !d.auth.usable.Load() {
		return
	}
	schema := d.auth.schemaName()
	token := prefix + announceID + "." + strconv.FormatUint(announceSeq.Add(1), 36) + "@" + schema
	// Waiting before the notification leaves: the acknowledgements may
	// come back before the statement does.
	w := d.auth.wait(token)
	defer d.auth.unwait(token)
	var listeners sql.NullString
	if err := d.write.GetContext(ctx, &listeners, `SELECT (SELECT string_agg(pid::text, ',') FROM pg_stat_activity
		WHERE application_name IN ($1, $2) AND datname = current_database()) FROM pg_notify('liaison_auth', $3)`,
		listenerNameIn(schema), listenerName, token); err != nil || !listeners.Valid {
		return
	}
	pending := map[uint32]bool{}
	for _, f := range strings.Split(listeners.String, ",") {
		if pid, err := strconv.ParseUint(f, 10, 32); err == nil {
			pending[uint32(pid)] = true
		}
	}
	deadline := time.After(2 * time.Second)
	recheck := time.NewTimer(listenerRecheck)
	defer recheck.Stop()
	for {
		w.mu.Lock()
		for pid := range w.acked {
			delete(pending, pid)
		}
		w.mu.Unlock()
		if len(pending) == 0 {
			return
		}
		select {
		case <-w.more:
		case <-recheck.C:
			d.forgetGoneListeners(ctx, pending)
			recheck.Reset(listenerRecheck)
		case <-deadline:
			return
		case <-ctx.Done():
			return
		}
	}
}

// listenerRecheck is how long a writer waits for acknowledgements before
// it looks whether the listeners it still waits for are there at all.
const listenerRecheck = 100 * time.Millisecond

// forgetGoneListeners drops from pending the listeners whose backend has
// gone: a process that stopped (or lost its connection) after the writer
// found it never answers, and the writer waited the full two seconds for
// it (TestAnnounceForgetsAListenerThatLeft). A process that is there but
// does not answer is still waited for until the deadline.
func (d *DB) forgetGoneListeners(ctx context.Context, pending map[uint32]bool) {
	pids := make([]string, 0, len(pending))
	for pid := range pending {
		pids = append(pids, strconv.FormatUint(uint64(pid), 10))
	}
	var alive sql.NullString
	if err := d.read.GetContext(ctx, &alive, `SELECT string_agg(pid::text, ',') FROM pg_stat_activity
		WHERE pid::text = ANY(string_to_array($1, ','))`, strings.Join(pids, ",")); err != nil {
		return
	}
	there := strings.Split(alive.String, ",")
	for pid := range pending {
		if !slices.Contains(there, strconv.FormatUint(uint64(pid), 10)) {
			delete(pending, pid)
		}
	}
}

var announceSeq atomic.Uint64

// announceID makes this process's tokens its own: two processes' sequences
// alike would otherwise give two writers one token, whose acknowledgements
// each would take for its own.
var announceID = func() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}()

// ackWaiter collects the listeners (backend PIDs) that acknowledged one
// announcement; more is signalled after each.
type ackWaiter struct {
	mu    sync.Mutex
	acked map[uint32]bool
	more  chan struct{}
}

func (g *authGen) wait(token string) *ackWaiter {
	w := &ackWaiter{acked: map[uint32]bool{}, more: make(chan struct{}, 1)}
	g.mu.Lock()
	if g.waiters == nil {
		g.waiters = map[string]*ackWaiter{}
	}
	g.waiters[token] = w
	g.mu.Unlock()
	return w
}

func (g *authGen) unwait(token string) {
	g.mu.Lock()
	delete(g.waiters, token)
	g.mu.Unlock()
}

// acked records that the listener on backend pid acknowledged token.
func (g *authGen) acked(token string, pid uint32) {
	g.mu.Lock()
	w := g.waiters[token]
	g.mu.Unlock()
	if w == nil {
		return
	}
	w.mu.Lock()
	w.acked[pid] = true
	w.mu.Unlock()
	select {
	case w.more <- struct{}{}:
	default:
	}
}

func (d *DB) stopListening() {
	if d.auth.stop != nil {
		d.auth.stop()
		<-d.auth.done
	}
}
