/*
 * app/ss.c — iproute2 ss's table of sockets for a tern stack
 * (tern_ss_print in tern/apps.h).
 *
 * Which sockets: as ss. -t and -u pick tables (neither: all of them); each
 * table shows its default states unless -a (all) or -l (listening, which
 * for UDP means unconnected) says otherwise. Defaults: TCP shows
 * connection states, UDP only connected (ESTAB) sockets, and with neither
 * -t nor -u every table shows connection states. The Netid column appears
 * when more than one table is shown, the State column when more than one
 * state can be.
 *
 * Layout: as ss, each column is as wide as its widest cell (header
 * included), plus a one-space delimiter before every column but the
 * first, the two port columns and Process. Addresses ("10.0.0.2:") are
 * right-aligned, everything else left-aligned, and every cell padded, so
 * rows carry trailing spaces. ss does not measure the Process cell of the
 * last socket (it is still being written when the table is laid out);
 * neither does this, so the bytes match. On a terminal (screen_width) the
 * spare width is handed out over the columns, right to left, and columns
 * that do not fit start a new line.
 *
 * TCP rows come from tern_tcp_conns: listeners, then every connection in
 * the connection table's order (as Linux's inet_diag walks its hashes),
 * TIME-WAIT and orphans included. What ss appends to a socket's line
 * (-p's users, -o's timer, -e's ino/sk/shutdown, and after "\n\t" -m's
 * skmem and -i's tcp_info) is, as in ss, part of the Process cell, so it
 * counts in that column's width: rows before the last are padded to it.
 */
#define _GNU_SOURCE /* getservbyport in <netdb.h> */
#include "tern/apps.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "tern/err.h"
#include "tern/socket.h"
#include "tern/stack.h"
#include "tern/tcp.h"

/* ---- states, numbered as ss numbers them ---------------------------------- */

enum {
	SS_ESTAB = 1, SS_SYN_SENT, SS_SYN_RECV, SS_FIN_WAIT1, SS_FIN_WAIT2, SS_TIME_WAIT,
	SS_CLOSE, SS_CLOSE_WAIT, SS_LAST_ACK, SS_LISTEN, SS_CLOSING, SS_NSTATES
};
#define SS_BIT(st) (1u << (st))
#define SS_ALL (SS_BIT(SS_NSTATES) - 1)
/* Connection states: everything but listening, unconnected, TIME-WAIT and
 * SYN-RECV (ss's SS_CONN). */
#define SS_CONN (SS_ALL & ~(SS_BIT(SS_LISTEN) | SS_BIT(SS_CLOSE) | SS_BIT(SS_TIME_WAIT) | \
			    SS_BIT(SS_SYN_RECV)))

static const char *const state_names[SS_NSTATES] = {
	"UNKNOWN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2",
	"TIME-WAIT", "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING",
};

static unsigned state_of(const char *name)
{
	for (int i = 1; i < SS_NSTATES; i++)
		if (name && strcmp(name, state_names[i]) == 0)
			return i;
	return 0;
}

/* ---- the table ----------------------------------------------------------------- */

enum { COL_NETID, COL_STATE, COL_RECVQ, COL_SENDQ, COL_LADDR, COL_LPORT, COL_RADDR,
       COL_RPORT, COL_PROC, NCOLS };

static const struct {
	const char *header;
	bool right;     /* right-aligned */
	int delim;      /* spaces before it, unless it starts the line */
} cols[NCOLS] = {
	{"Netid", false, 0},          {"State", false, 1},
	{"Recv-Q", false, 1},         {"Send-Q", false, 1},
	{"Local Address:", true, 1},  {"Port", false, 0},
	{"Peer Address:", true, 1},   {"Port", false, 0},
	{"Process", false, 0},
};

#define CELL_LEN 96
#define PROC_LEN 1536

struct row {
	char cell[NCOLS][CELL_LEN]; /* cell[COL_PROC] unused: proc */
	char proc[PROC_LEN];        /* the Process cell and what ss appends to it */
	char info[192];             /* UDP -i: the second line, "" if none */
	uint16_t port;              /* UDP: the local port and the socket's id, its order */
	uint64_t id;
};

static char *cell(struct row *r, int c)
{
	return c == COL_PROC ? r->proc : r->cell[c];
}
static const char *ccell(const struct row *r, int c)
{
	return c == COL_PROC ? r->proc : r->cell[c];
}
static size_t cell_len(int c)
{
	return c == COL_PROC ? PROC_LEN : CELL_LEN;
}

struct table {
	struct row *rows;
	size_t n, cap;
	bool on[NCOLS];
	int width[NCOLS];
	size_t first_data;  /* rows before it are the header */
};

static struct row *add_row(struct table *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct row *r = realloc(t->rows, cap * sizeof(*r));
		if (!r)
			return NULL;
		t->rows = r;
		t->cap = cap;
	}
	struct row *r = &t->rows[t->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

/* A port as ss shows it: '*' for none; a service name unless -n (not for
 * ports in tern's ephemeral range, 49152-65535, where /etc/services
 * names would only mislead, as ss skips the kernel's range). */
static void port_str(char *buf, size_t len, uint16_t port, const char *proto, bool numeric)
{
	if (port == 0) {
		snprintf(buf, len, "*");
		return;
	}
	if (!numeric && port < 49152) {
		struct servent *se = getservbyport(htons(port), proto);
		if (se) {
			snprintf(buf, len, "%s", se->s_name);
			return;
		}
	}
	snprintf(buf, len, "%u", port);
}

static void put(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fill_row(struct row *r, const struct tern_sock_info *si, const char *proto,
		     const struct tern_ss_opts *o)
{
	char ip[TERN_IP4_STRLEN];
	snprintf(r->cell[COL_NETID], CELL_LEN, "%s", proto);
	snprintf(r->cell[COL_STATE], CELL_LEN, "%s", si->state);
	snprintf(r->cell[COL_RECVQ], CELL_LEN, "%-6u", si->rx_queue);
	snprintf(r->cell[COL_SENDQ], CELL_LEN, "%-6u", si->tx_queue);
	snprintf(r->cell[COL_LADDR], CELL_LEN, "%s:", tern_ip4_str(si->local.addr, ip));
	port_str(r->cell[COL_LPORT], CELL_LEN, si->local.port, proto, o->numeric);
	snprintf(r->cell[COL_RADDR], CELL_LEN, "%s:", tern_ip4_str(si->peer.addr, ip));
	port_str(r->cell[COL_RPORT], CELL_LEN, si->peer.port, proto, o->numeric);
	/* The socket's owner tag stands for the process name; the process
	 * is the tern host and the socket descriptor stands for the fd. */
	if (o->processes)
		snprintf(r->proc, PROC_LEN, " users:((\"%s\",pid=%ld,fd=%d))",
			 si->owner[0] ? si->owner : "tern", o->pid, si->sd);
	/* As for TCP (fill_tcp_row): -e's ino/sk and shutdown marks, -m's
	 * skmem after a newline (UDP has no tcp_info; tern's -i counters
	 * stay a line of their own). */
	if (o->extended)
		put(r->proc, PROC_LEN, " ino:0 sk:%llx %c-%c", (unsigned long long)si->id,
		    (si->shutdown & 1) ? '-' : '<', (si->shutdown & 2) ? '-' : '>');
	if (o->memory)
		put(r->proc, PROC_LEN, "\n\t skmem:(r%u,rb%d,t0,tb%d,f0,w0,o0,bl0,d%llu)", si->rx_queue,
		    si->rcvbuf, si->sndbuf, (unsigned long long)si->drops);
	if (o->info)
		snprintf(r->info, sizeof(r->info),
			 "\t queued:%u in:%llu out:%llu drops:%llu rcvbuf:%d sndbuf:%d",
			 si->rx_datagrams, (unsigned long long)si->in_datagrams,
			 (unsigned long long)si->out_datagrams, (unsigned long long)si->drops,
			 si->rcvbuf, si->sndbuf);
}

/* Widths: content, then (on a terminal) the spare room spread out. */
static void layout(struct table *t, int screen)
{
	int limit = screen > 0 ? screen : 1 << 30;
	bool first = true;
	for (int c = 0; c < NCOLS; c++) {
		int max = 0;
		for (size_t i = 0; t->on[c] && i < t->n; i++) {
			if (i == t->n - 1 && i >= t->first_data && c == COL_PROC)
				continue; /* as ss: the last socket's last cell goes unmeasured */
			int len = (int)strlen(ccell(&t->rows[i], c));
			max = len > max ? len : max;
		}
		t->width[c] = max && !first ? max + cols[c].delim : max;
		if (t->width[c] > limit)
			t->width[c] = limit;
		if (t->width[c])
			first = false;
	}
	if (screen <= 0)
		return;
	/* Fill screen lines left to right. A line ends at the last column,
	 * when it is exactly full, or before the column that overflows it
	 * (which then starts the next line); the room left on a line that
	 * is not full is shared among its columns, the remainder one space
	 * each to the rightmost ones. */
	int line_end = -1; /* the last column of the previous line */
	int used = 0, ncols = 0;
	for (int c = 0; c < NCOLS; c++) {
		if (!t->width[c])
			continue;
		ncols++;
		used += t->width[c];
		bool last = true;
		for (int k = c + 1; k < NCOLS; k++)
			last = last && !t->width[k];
		if (!last && used < screen)
			continue;
		if (used > screen) {
			used -= t->width[c];
			ncols--;
			c--; /* the line ends before c; c is seen again next */
		}
		if (used < screen) {
			int each = (screen - used) / ncols, extra = (screen - used) % ncols;
			for (int k = c; k > line_end; k--) {
				if (!t->width[k])
					continue;
				t->width[k] += each + (extra > 0);
				extra -= extra > 0;
			}
		}
		line_end = c;
		used = ncols = 0;
	}
}

static void print_row(FILE *out, const struct table *t, const struct row *r)
{
	bool started = false;
	for (int c = 0; c < NCOLS; c++) {
		if (!t->on[c])
			continue;
		int printed = 0, len = (int)strlen(ccell(r, c));
		if (started)
			printed += fprintf(out, "%*s", cols[c].delim, "");
		started = true;
		if (cols[c].right && t->width[c] - len - printed > 0)
			printed += fprintf(out, "%*s", t->width[c] - len - printed, "");
		printed += fprintf(out, "%s", ccell(r, c));
		if (!cols[c].right && t->width[c] - printed > 0)
			fprintf(out, "%*s", t->width[c] - printed, "");
	}
	fputc('\n', out);
	if (r->info[0])
		fprintf(out, "%s\n", r->info);
}

/* ---- the filter: state names, and ss's expression over ports and addresses ---- */

static const char *const state_long[SS_NSTATES] = {
	"unknown", "established", "syn-sent", "syn-recv", "fin-wait-1", "fin-wait-2",
	"time-wait", "unconnected", "close-wait", "last-ack", "listening", "closing",
};

/* ss's scan_state: a state's long name or one of its groups; 0: none. */
static unsigned scan_state(const char *w)
{
	unsigned bucket = SS_BIT(SS_SYN_RECV) | SS_BIT(SS_TIME_WAIT);
	unsigned connected = SS_ALL & ~(SS_BIT(SS_LISTEN) | SS_BIT(SS_CLOSE));
	if (strcasecmp(w, "all") == 0)
		return SS_ALL & ~1u;
	if (strcasecmp(w, "connected") == 0)
		return connected & ~1u;
	if (strcasecmp(w, "synchronized") == 0)
		return connected & ~(SS_BIT(SS_SYN_SENT) | 1u);
	if (strcasecmp(w, "bucket") == 0)
		return bucket;
	if (strcasecmp(w, "big") == 0)
		return SS_ALL & ~(bucket | 1u);
	for (int i = 1; i < SS_NSTATES; i++)
		if (strcasecmp(w, state_long[i]) == 0 || strcasecmp(w, state_names[i]) == 0)
			return SS_BIT(i);
	if (strcasecmp(w, "closed") == 0 || strcasecmp(w, "close") == 0)
		return SS_BIT(SS_CLOSE);
	return 0;
}

/* The expression, compiled: a tree of nodes in one array. */
enum { F_SPORT, F_DPORT, F_SRC, F_DST, F_AND, F_OR, F_NOT };
enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };
#define FILTER_NODES 64
struct fnode {
	int kind, op, a, b;       /* a, b: operands of AND/OR/NOT (node indexes) */
	tern_ip4_t addr;          /* SRC/DST: address, prefix length (-1: any address) */
	int plen;
	int port;                 /* -1: any */
};
struct filter {
	struct fnode n[FILTER_NODES];
	int count, root;
	const char *tok[128];     /* the words while compiling */
	int ntok, pos;
	char *err;
	size_t errlen;
};

#define FILTER_WORDS 128

/* Words split at spaces; parentheses are words of their own (ss takes
 * "(sport = :80)" as well as "( sport = :80 )"). The words point into
 * text, which lex cuts up. */
static bool lex(struct filter *f, char *text)
{
	int n = 0;
	for (char *p = text; *p;) {
		if (*p == ' ' || *p == '\t') {
			*p++ = '\0';
			continue;
		}
		if (n == FILTER_WORDS)
			return false;
		if (*p == '(' || *p == ')') {
			f->tok[n++] = *p == '(' ? "(" : ")";
			*p++ = '\0';
			continue;
		}
		f->tok[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '(' && *p != ')')
			p++;
		if (*p == '(' || *p == ')') {
			if (n == FILTER_WORDS)
				return false;
			f->tok[n++] = *p == '(' ? "(" : ")";
			*p++ = '\0';
		}
	}
	f->ntok = n;
	f->pos = 0;
	return true;
}

static const char *peek(const struct filter *f)
{
	return f->pos < f->ntok ? f->tok[f->pos] : NULL;
}

static int new_node(struct filter *f, int kind)
{
	if (f->count == FILTER_NODES)
		return -1;
	f->n[f->count] = (struct fnode){.kind = kind, .plen = -1, .port = -1};
	return f->count++;
}

/* ":80", ":http", "*:80", "80" → port; -1 with ss's message. */
static int parse_port(struct filter *f, const char *w)
{
	const char *p = strrchr(w, ':');
	p = p ? p + 1 : w;
	if (*p == '*')
		return -2; /* any */
	char *end;
	long v = strtol(p, &end, 10);
	if (*p && !*end && v >= 0 && v <= 65535)
		return (int)v;
	struct servent *se = *p ? getservbyname(p, "tcp") : NULL;
	if (se)
		return ntohs((uint16_t)se->s_port);
	snprintf(f->err, f->errlen, "Error: \"%s\" does not look like a port.", p);
	return -1;
}

/* "10.0.0.1", "10.0.0.0/24", "10.0.0.1:80", "*:80", "*" */
static bool parse_host(struct filter *f, const char *w, struct fnode *nd)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", w);
	char *colon = strchr(buf, ':');
	if (colon) {
		*colon = '\0';
		int port = parse_port(f, colon + 1);
		if (port == -1)
			return false;
		nd->port = port == -2 ? -1 : port;
	}
	if (!buf[0] || strcmp(buf, "*") == 0)
		return true;
	char *slash = strchr(buf, '/');
	nd->plen = 32;
	if (slash) {
		*slash = '\0';
		char *end;
		long pl = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || pl < 0 || pl > 32)
			goto bad;
		nd->plen = (int)pl;
	}
	struct in_addr ia;
	if (inet_pton(AF_INET, buf, &ia) != 1)
		goto bad;
	nd->addr = ntohl(ia.s_addr);
	return true;
bad:
	snprintf(f->err, f->errlen, "Error: an inet prefix is expected rather than \"%s\".", w);
	return false;
}

static int parse_or(struct filter *f);

static int parse_primary(struct filter *f)
{
	const char *w = peek(f);
	if (!w) {
		snprintf(f->err, f->errlen, "Error: the filter ends too early");
		return -1;
	}
	f->pos++;
	if (strcmp(w, "(") == 0) {
		int e = parse_or(f);
		if (e < 0)
			return -1;
		if (!peek(f) || strcmp(peek(f), ")") != 0) {
			snprintf(f->err, f->errlen, "Error: a ')' is missing");
			return -1;
		}
		f->pos++;
		return e;
	}
	if (strcmp(w, "not") == 0 || strcmp(w, "!") == 0) {
		int e = parse_primary(f), k = e < 0 ? -1 : new_node(f, F_NOT);
		if (k >= 0)
			f->n[k].a = e;
		return k;
	}
	int kind = strcmp(w, "sport") == 0 ? F_SPORT : strcmp(w, "dport") == 0 ? F_DPORT
		 : strcmp(w, "src") == 0 ? F_SRC : strcmp(w, "dst") == 0 ? F_DST : -1;
	if (kind < 0) {
		snprintf(f->err, f->errlen, "Error: \"%s\" is not a filter word (sport, dport, src, "
			 "dst, state, exclude, and, or, not)", w);
		return -1;
	}
	static const struct { const char *w; int op; } ops[] = {
		{"=", OP_EQ},  {"==", OP_EQ}, {"eq", OP_EQ}, {"!=", OP_NE}, {"ne", OP_NE},
		{"neq", OP_NE}, {"<", OP_LT},  {"lt", OP_LT}, {"<=", OP_LE}, {"le", OP_LE},
		{">", OP_GT},  {"gt", OP_GT}, {">=", OP_GE}, {"ge", OP_GE},
	};
	int op = OP_EQ;
	const char *o = peek(f);
	for (size_t i = 0; o && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(o, ops[i].w) == 0) {
			op = ops[i].op;
			f->pos++;
			break;
		}
	const char *v = peek(f);
	if (!v) {
		snprintf(f->err, f->errlen, "Error: \"%s\" needs a value", w);
		return -1;
	}
	f->pos++;
	int k = new_node(f, kind);
	if (k < 0) {
		snprintf(f->err, f->errlen, "Error: the filter is too long");
		return -1;
	}
	f->n[k].op = op;
	if (kind == F_SPORT || kind == F_DPORT) {
		int port = parse_port(f, v);
		if (port == -1)
			return -1;
		f->n[k].port = port == -2 ? -1 : port;
	} else {
		if ((op != OP_EQ && op != OP_NE) || !parse_host(f, v, &f->n[k])) {
			if (!f->err[0])
				snprintf(f->err, f->errlen, "Error: %s takes = or != an address", w);
			return -1;
		}
	}
	return k;
}

/* A node joining l and r (-1 if either failed). */
static int join(struct filter *f, int kind, int l, int r)
{
	int k = l < 0 || r < 0 ? -1 : new_node(f, kind);
	if (k >= 0) {
		f->n[k].a = l;
		f->n[k].b = r;
	}
	return k;
}

static int parse_and(struct filter *f)
{
	int l = parse_primary(f);
	while (l >= 0 && peek(f) && strcmp(peek(f), "or") != 0 && strcmp(peek(f), "||") != 0 &&
	       strcmp(peek(f), ")") != 0) {
		if (strcmp(peek(f), "and") == 0 || strcmp(peek(f), "&&") == 0)
			f->pos++;
		l = join(f, F_AND, l, parse_primary(f));
	}
	return l;
}

static int parse_or(struct filter *f)
{
	int l = parse_and(f);
	while (l >= 0 && peek(f) && (strcmp(peek(f), "or") == 0 || strcmp(peek(f), "||") == 0)) {
		f->pos++;
		l = join(f, F_OR, l, parse_and(f));
	}
	return l;
}

/* Compile o->filter's text; false with the message in err. */
static bool filter_compile(struct filter *f, const char *text, char *err, size_t errlen)
{
	char buf[1024];
	memset(f, 0, sizeof(*f));
	f->err = err;
	f->errlen = errlen;
	f->root = -1;
	err[0] = '\0';
	if (!text || !*text)
		return true;
	if (strlen(text) >= sizeof(buf) || (snprintf(buf, sizeof(buf), "%s", text), !lex(f, buf))) {
		snprintf(err, errlen, "Error: the filter is too long");
		return false;
	}
	if (f->ntok == 0)
		return true;
	f->root = parse_or(f);
	if (f->root >= 0 && f->pos < f->ntok) {
		snprintf(err, errlen, "Error: unexpected \"%s\" in the filter", f->tok[f->pos]);
		f->root = -1;
	}
	return f->root >= 0;
}

static bool cmp(int op, int a, int b)
{
	switch (op) {
	case OP_EQ: return a == b;
	case OP_NE: return a != b;
	case OP_LT: return a < b;
	case OP_LE: return a <= b;
	case OP_GT: return a > b;
	default: return a >= b;
	}
}

static bool host_match(const struct fnode *nd, const struct tern_sockaddr_in *a)
{
	bool ok = nd->port < 0 || nd->port == a->port;
	if (nd->plen >= 0) {
		uint32_t mask = nd->plen ? ~0u << (32 - nd->plen) : 0;
		ok = ok && (a->addr & mask) == (nd->addr & mask);
	}
	return nd->op == OP_NE ? !ok : ok;
}

static bool filter_run(const struct filter *f, int k, const struct tern_sockaddr_in *local,
		       const struct tern_sockaddr_in *peer)
{
	const struct fnode *nd = &f->n[k];
	switch (nd->kind) {
	case F_SPORT: return nd->port < 0 ? nd->op != OP_NE : cmp(nd->op, local->port, nd->port);
	case F_DPORT: return nd->port < 0 ? nd->op != OP_NE : cmp(nd->op, peer->port, nd->port);
	case F_SRC: return host_match(nd, local);
	case F_DST: return host_match(nd, peer);
	case F_AND: return filter_run(f, nd->a, local, peer) && filter_run(f, nd->b, local, peer);
	case F_OR: return filter_run(f, nd->a, local, peer) || filter_run(f, nd->b, local, peer);
	default: return !filter_run(f, nd->a, local, peer);
	}
}

int tern_ss_parse_filter(struct tern_ss_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	int i = 0;
	bool saw = false;
	unsigned states = 0;
	/* As ss: leading "state X" / "exclude X" words, then the expression. */
	while (i < argc && (strcmp(argv[i], "state") == 0 || strcmp(argv[i], "exclude") == 0 ||
			    strcmp(argv[i], "excl") == 0)) {
		bool excl = argv[i][0] == 'e';
		if (i + 1 >= argc) {
			snprintf(err, errlen, "wrong state name: (none after '%s')", argv[i]);
			return -1;
		}
		unsigned m = scan_state(argv[i + 1]);
		if (!m) {
			snprintf(err, errlen, "wrong state name: %s", argv[i + 1]);
			return -1;
		}
		if (!saw)
			states = excl ? (SS_ALL & ~1u) : 0;
		states = excl ? states & ~m : states | m;
		saw = true;
		i += 2;
	}
	if (saw)
		o->states = states ? states : SS_BIT(0); /* nothing: shows nothing */
	size_t len = 1;
	for (int k = i; k < argc; k++)
		len += strlen(argv[k]) + 1;
	o->filter = NULL;
	if (i == argc)
		return 0;
	char *text = malloc(len);
	if (!text) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	text[0] = '\0';
	for (int k = i; k < argc; k++) {
		strcat(text, argv[k]);
		if (k + 1 < argc)
			strcat(text, " ");
	}
	struct filter *f = malloc(sizeof(*f));
	bool ok = f && filter_compile(f, text, err, errlen);
	free(f);
	if (!ok) {
		if (!err[0])
			snprintf(err, errlen, "out of memory");
		free(text);
		return -1;
	}
	o->filter = text;
	return 0;
}

/* ---- what the rows hold ---- */

/* The states shown, as a mask of SS_BIT()s; *tcp and *udp become the
 * tables shown. */
static unsigned select_states(const struct tern_ss_opts *o, bool *tcp, bool *udp)
{
	bool neither = !o->tcp && !o->udp;
	*tcp = o->tcp || neither;
	*udp = o->udp || neither;
	if (o->states)
		return o->states & SS_ALL & ~1u;
	if (o->select == TERN_SS_ALL)
		return SS_ALL;
	if (o->select == TERN_SS_LISTENING)
		return SS_BIT(SS_LISTEN) | SS_BIT(SS_CLOSE);
	if (neither)
		return SS_CONN;
	return (*tcp ? SS_CONN : 0) | (*udp ? SS_BIT(SS_ESTAB) : 0);
}

struct walk {
	struct table *t;
	const struct tern_ss_opts *o;
	const struct filter *f;
	unsigned states;
	int rc;
};

static bool wanted(const struct walk *w, const char *state, const struct tern_sockaddr_in *local,
		   const struct tern_sockaddr_in *peer)
{
	if (w->o->ipv6 || !(w->states & SS_BIT(state_of(state))))
		return false;
	return !w->f || w->f->root < 0 || filter_run(w->f, w->f->root, local, peer);
}

/* Linux's udp_diag walks its table slot by slot, a slot being the local
 * port (plus a per-namespace random offset: a rotation of this order),
 * newest socket first within one. */
static int udp_order(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->id > y->id ? -1 : x->id < y->id;
}

/* UDP rows: the sockets, in Linux's order (udp_order). */
static int add_udp(struct walk *w, struct tern_stack *s)
{
	size_t first = w->t->n;
	for (int sd = tern_socket_next(s, -1); sd >= 0; sd = tern_socket_next(s, sd)) {
		struct tern_sock_info si;
		if (tern_socket_info(s, sd, &si) < 0 || si.protocol != TERN_IPPROTO_UDP)
			continue;
		if (!wanted(w, si.state, &si.local, &si.peer))
			continue;
		struct row *r = add_row(w->t);
		if (!r)
			return TERN_ENOMEM;
		fill_row(r, &si, "udp", w->o);
		r->port = si.local.port;
		r->id = si.id;
	}
	if (w->t->n - first > 1) /* (rows may still be NULL) */
		qsort(w->t->rows + first, w->t->n - first, sizeof(struct row), udp_order);
	return 0;
}

/* Append to a cell, as ss's out() appends to its field. */
static void put(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	if (used + 1 >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* ss's print_ms_timer. */
static void ms_timer(char *buf, size_t len, uint32_t ms)
{
	unsigned secs = ms / 1000, minutes = secs / 60, msecs = ms % 1000;
	secs %= 60;
	buf[0] = '\0';
	if (minutes) {
		msecs = 0;
		put(buf, len, "%umin", minutes);
		if (minutes > 9)
			secs = 0;
	}
	if (secs) {
		if (secs > 9)
			msecs = 0;
		put(buf, len, "%u%s", secs, msecs ? "." : "sec");
	}
	if (msecs)
		put(buf, len, "%03ums", msecs);
}

/* ss's sprint_bw: bits per second. */
static void bw(char *buf, size_t len, double bps, bool numeric)
{
	if (numeric)
		snprintf(buf, len, "%.0f", bps);
	else if (bps > 1e9)
		snprintf(buf, len, "%.1fG", bps / 1e9);
	else if (bps > 1e6)
		snprintf(buf, len, "%.1fM", bps / 1e6);
	else if (bps > 1e3)
		snprintf(buf, len, "%.1fK", bps / 1e3);
	else
		snprintf(buf, len, "%g", bps);
}

/* iproute2 6.1's tcp_stats_print: the fields tern fills, in its order
 * (ss prints pacing_rate when it is neither 0 nor ~0, and its cap after a
 * slash when one is set). */
static void tcp_info_line(char *p, size_t len, const struct tern_tcp_conn *c, bool numeric,
			  bool options)
{
	const struct tern_tcp_info *i = &c->info;
	if (strcmp(c->state, "LISTEN") == 0) {
		/* Linux's tcp_get_info stops early for a listener: its
		 * congestion control, the initial window, the accept queue. */
		put(p, len, " %s cwnd:10", c->cc);
		if (i->tcpi_unacked)
			put(p, len, " unacked:%u", i->tcpi_unacked);
		return;
	}
	if (options && (i->tcpi_options & 1)) /* ss: the options only with -o (or -e) */
		put(p, len, " ts");
	if (options && (i->tcpi_options & 2))
		put(p, len, " sack");
	put(p, len, " %s", c->cc);
	if (i->tcpi_options & 4)
		put(p, len, " wscale:%u,%u", i->tcpi_snd_wscale, i->tcpi_rcv_wscale);
	if (i->tcpi_rto && i->tcpi_rto != 3000000)
		put(p, len, " rto:%g", i->tcpi_rto / 1000.0);
	if (i->tcpi_backoff)
		put(p, len, " backoff:%u", i->tcpi_backoff);
	if (i->tcpi_rtt)
		put(p, len, " rtt:%g/%g", i->tcpi_rtt / 1000.0, i->tcpi_rttvar / 1000.0);
	if (i->tcpi_ato)
		put(p, len, " ato:%g", i->tcpi_ato / 1000.0);
	/* Shown when non-zero, in ss's order. */
	const struct {
		const char *name;
		uint64_t v;
	} counts[] = {
		{"mss", i->tcpi_snd_mss},
		{"pmtu", i->tcpi_pmtu},
		{"rcvmss", i->tcpi_rcv_mss},
		{"advmss", i->tcpi_advmss},
		{"cwnd", i->tcpi_snd_cwnd},
		{"ssthresh", i->tcpi_snd_ssthresh < 0xFFFF ? i->tcpi_snd_ssthresh : 0},
		{"bytes_sent", i->tcpi_bytes_sent},
		{"bytes_retrans", i->tcpi_bytes_retrans},
		{"bytes_acked", i->tcpi_bytes_acked},
		{"bytes_received", i->tcpi_bytes_received},
		{"segs_out", i->tcpi_segs_out},
		{"segs_in", i->tcpi_segs_in},
		{"data_segs_out", i->tcpi_data_segs_out},
		{"data_segs_in", i->tcpi_data_segs_in},
	};
	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++)
		if (counts[k].v)
			put(p, len, " %s:%llu", counts[k].name, (unsigned long long)counts[k].v);
	if (i->tcpi_rtt && i->tcpi_snd_mss && i->tcpi_snd_cwnd) {
		char b[48];
		bw(b, sizeof(b), (double)i->tcpi_snd_cwnd * i->tcpi_snd_mss * 8000000.0 / i->tcpi_rtt,
		   numeric);
		put(p, len, " send %sbps", b);
	}
	if (i->tcpi_last_data_sent)
		put(p, len, " lastsnd:%u", i->tcpi_last_data_sent);
	if (i->tcpi_last_data_recv)
		put(p, len, " lastrcv:%u", i->tcpi_last_data_recv);
	if (i->tcpi_last_ack_recv)
		put(p, len, " lastack:%u", i->tcpi_last_ack_recv);
	if (i->tcpi_pacing_rate && i->tcpi_pacing_rate != UINT64_MAX) {
		char b[48];
		bw(b, sizeof(b), (double)i->tcpi_pacing_rate * 8.0, numeric);
		put(p, len, " pacing_rate %sbps", b);
		if (i->tcpi_max_pacing_rate && i->tcpi_max_pacing_rate != UINT64_MAX) {
			bw(b, sizeof(b), (double)i->tcpi_max_pacing_rate * 8.0, numeric);
			put(p, len, "/%sbps", b);
		}
	}
	if (i->tcpi_delivery_rate) {
		char b[48];
		bw(b, sizeof(b), (double)i->tcpi_delivery_rate * 8.0, numeric);
		put(p, len, " delivery_rate %sbps", b);
	}
	if (i->tcpi_delivered)
		put(p, len, " delivered:%u", i->tcpi_delivered);
	if (i->tcpi_delivery_rate_app_limited)
		put(p, len, " app_limited");
	if (i->tcpi_busy_time)
		put(p, len, " busy:%llums", (unsigned long long)(i->tcpi_busy_time / 1000));
	if (i->tcpi_unacked)
		put(p, len, " unacked:%u", i->tcpi_unacked);
	if (i->tcpi_retrans || i->tcpi_total_retrans)
		put(p, len, " retrans:%u/%u", i->tcpi_retrans, i->tcpi_total_retrans);
	if (i->tcpi_dsack_dups)
		put(p, len, " dsack_dups:%u", i->tcpi_dsack_dups);
	if (i->tcpi_lost)
		put(p, len, " lost:%u", i->tcpi_lost);
	if (i->tcpi_sacked)
		put(p, len, " sacked:%u", i->tcpi_sacked);
	if (i->tcpi_reordering != 3)
		put(p, len, " reordering:%u", i->tcpi_reordering);
	if (i->tcpi_rcv_rtt)
		put(p, len, " rcv_rtt:%g", i->tcpi_rcv_rtt / 1000.0);
	if (i->tcpi_rcv_space)
		put(p, len, " rcv_space:%u", i->tcpi_rcv_space);
	if (i->tcpi_rcv_ssthresh)
		put(p, len, " rcv_ssthresh:%u", i->tcpi_rcv_ssthresh);
	if (i->tcpi_notsent_bytes)
		put(p, len, " notsent:%u", i->tcpi_notsent_bytes);
	if (i->tcpi_min_rtt && i->tcpi_min_rtt != ~0u)
		put(p, len, " minrtt:%g", i->tcpi_min_rtt / 1000.0);
	if (i->tcpi_rcv_ooopack)
		put(p, len, " rcv_ooopack:%u", i->tcpi_rcv_ooopack);
	if (i->tcpi_snd_wnd)
		put(p, len, " snd_wnd:%u", i->tcpi_snd_wnd);
}

static void fill_tcp_row(struct row *r, const struct tern_tcp_conn *c, const struct tern_ss_opts *o)
{
	char ip[TERN_IP4_STRLEN];
	snprintf(r->cell[COL_NETID], CELL_LEN, "tcp");
	snprintf(r->cell[COL_STATE], CELL_LEN, "%s", c->state);
	snprintf(r->cell[COL_RECVQ], CELL_LEN, "%-6u", c->rx_queue);
	snprintf(r->cell[COL_SENDQ], CELL_LEN, "%-6u", c->tx_queue);
	snprintf(r->cell[COL_LADDR], CELL_LEN, "%s:", tern_ip4_str(c->local.addr, ip));
	port_str(r->cell[COL_LPORT], CELL_LEN, c->local.port, "tcp", o->numeric);
	snprintf(r->cell[COL_RADDR], CELL_LEN, "%s:", tern_ip4_str(c->peer.addr, ip));
	port_str(r->cell[COL_RPORT], CELL_LEN, c->peer.port, "tcp", o->numeric);
	char *p = r->proc;
	if (o->processes && c->sd >= 0)
		put(p, PROC_LEN, " users:((\"%s\",pid=%ld,fd=%d))", c->owner[0] ? c->owner : "tern",
		    o->pid, c->sd);
	if ((o->timers || o->extended) && c->timer) {
		static const char *const names[] = {"off", "on", "keepalive", "timewait", "persist"};
		char t[32];
		ms_timer(t, sizeof(t), c->timer_ms);
		put(p, PROC_LEN, " timer:(%s,%s,%u)", names[c->timer < 5 ? c->timer : 0], t,
		    c->timer_retrans);
	}
	if (o->extended) {
		/* uid 0 is not shown; no inode numbers in tern; sk: the
		 * connection's id; the shutdown marks for full sockets. */
		put(p, PROC_LEN, " ino:0 sk:%llx", (unsigned long long)c->id);
		if (c->full)
			put(p, PROC_LEN, " %c-%c", (c->shutdown & 1) ? '-' : '<',
			    (c->shutdown & 2) ? '-' : '>');
	}
	if (o->memory || o->info) {
		put(p, PROC_LEN, "\n\t");
		if (o->memory && c->full)
			put(p, PROC_LEN, " skmem:(r%u,rb%u,t%u,tb%u,f%u,w%u,o%u,bl%u,d%u)", c->rmem_alloc,
			    c->rcvbuf, c->wmem_alloc, c->sndbuf, c->fwd_alloc, c->wmem_queued, c->optmem,
			    c->backlog, c->drops);
		if (o->info && c->full)
			tcp_info_line(p, PROC_LEN, c, o->numeric, o->timers || o->extended);
	}
}

static int on_conn(void *ctx, const struct tern_tcp_conn *c)
{
	struct walk *w = ctx;
	if (!wanted(w, c->state, &c->local, &c->peer))
		return 0;
	struct row *r = add_row(w->t);
	if (!r)
		return w->rc = TERN_ENOMEM;
	fill_tcp_row(r, c, w->o);
	return 0;
}

/* ---- -s ---- */

struct counts {
	unsigned socks, udp, tcp_alloc, tcp_inuse, estab, orphans, tw, frag;
};

static int count_conn(void *ctx, const struct tern_tcp_conn *c)
{
	struct counts *n = ctx;
	if (strcmp(c->state, "TIME-WAIT") == 0) {
		n->tw++;
		return 0;
	}
	if (!c->full)
		return 0; /* SYN-RECV: a request, not a socket */
	n->tcp_inuse++;
	if (c->sd < 0)
		n->tcp_alloc++; /* orphans and not yet accepted: sockets Linux holds */
	if (c->sd < 0 && strcmp(c->state, "ESTAB") != 0 && strcmp(c->state, "CLOSE-WAIT") != 0)
		n->orphans++;
	if (strcmp(c->state, "ESTAB") == 0 || strcmp(c->state, "CLOSE-WAIT") == 0)
		n->estab++;
	return 0;
}

static void count_stack(struct tern_stack *s, struct counts *n)
{
	for (int sd = tern_socket_next(s, -1); sd >= 0; sd = tern_socket_next(s, sd)) {
		struct tern_sock_info si;
		if (tern_socket_info(s, sd, &si) < 0)
			continue;
		n->socks++;
		if (si.protocol == TERN_IPPROTO_UDP)
			n->udp++;
		if (si.protocol == TERN_IPPROTO_TCP)
			n->tcp_alloc++;
	}
	tern_tcp_conns(s, count_conn, n);
	struct tern_stack_mem m;
	tern_stack_mem_get(s, &m);
	n->frag = m.reasm_datagrams; /* sockstat's FRAG inuse: the queues */
}

/* As ss -s prints /proc/net/sockstat's figures: TCP's total is the
 * allocated sockets plus TIME-WAIT, "closed" is allocated less those in
 * the tables plus TIME-WAIT (ss's own arithmetic). */
static void summary(const struct counts *n, FILE *out)
{
	fprintf(out, "Total: %u\n", n->socks);
	fprintf(out, "TCP:   %u (estab %u, closed %u, orphaned %u, timewait %u)\n",
		n->tcp_alloc + n->tw, n->estab, n->tcp_alloc - n->tcp_inuse + n->tw, n->orphans, n->tw);
	fprintf(out, "\nTransport Total     IP        IPv6\n");
	fprintf(out, "RAW\t  %-9d %-9d %-9d\n", 0, 0, 0);
	fprintf(out, "UDP\t  %-9u %-9u %-9d\n", n->udp, n->udp, 0);
	fprintf(out, "TCP\t  %-9u %-9u %-9d\n", n->tcp_inuse, n->tcp_inuse, 0);
	fprintf(out, "INET\t  %-9u %-9u %-9d\n", n->udp + n->tcp_inuse, n->udp + n->tcp_inuse, 0);
	fprintf(out, "FRAG\t  %-9u %-9u %-9d\n\n", n->frag, n->frag, 0);
}

/* ---- records, for tables over several programs ---- */
/* A summary record: "S socks udp tcp_alloc tcp_inuse estab orphans tw frag" then
 * RS; a row: "R" then each cell after a US, the UDP -i line as the last,
 * then RS. Cells hold no US or RS (addresses, numbers, names, "\n\t"). */
#define US '\x1f'
#define RS '\x1e'

static void write_records(const struct table *t, const struct counts *n, FILE *out)
{
	if (n)
		fprintf(out, "S %u %u %u %u %u %u %u %u%c", n->socks, n->udp, n->tcp_alloc,
			n->tcp_inuse, n->estab, n->orphans, n->tw, n->frag, RS);
	for (size_t i = t->first_data; i < t->n; i++) {
		struct row *r = &t->rows[i];
		fputc('R', out);
		for (int c = 0; c < NCOLS; c++)
			fprintf(out, "%c%s", US, ccell(r, c));
		fprintf(out, "%c%s%c", US, r->info, RS);
	}
}

/* The table's frame: columns shown and the header row. */
static int table_start(struct table *t, const struct tern_ss_opts *o)
{
	bool tcp, udp;
	unsigned states = select_states(o, &tcp, &udp);
	for (int c = 0; c < NCOLS; c++)
		t->on[c] = true;
	t->on[COL_NETID] = tcp && udp;
	t->on[COL_STATE] = (states & (states - 1)) != 0;
	if (o->no_header || o->raw)
		return 0;
	struct row *h = add_row(t);
	if (!h)
		return TERN_ENOMEM;
	for (int c = 0; c < NCOLS; c++)
		snprintf(cell(h, c), cell_len(c), "%s", cols[c].header);
	t->first_data = 1;
	return 0;
}

static void table_print(struct table *t, const struct tern_ss_opts *o, FILE *out)
{
	layout(t, o->screen_width);
	for (size_t i = 0; i < t->n; i++)
		print_row(out, t, &t->rows[i]);
}

int tern_ss_render(const char *rec, size_t len, const struct tern_ss_opts *o, FILE *out)
{
	struct table t = {0};
	struct counts sum = {0};
	bool have_sum = false;
	int rc = table_start(&t, o);
	for (size_t i = 0; rc == 0 && i < len;) {
		const char *end = memchr(rec + i, RS, len - i);
		if (!end) {
			rc = TERN_EINVAL;
			break;
		}
		size_t n = (size_t)(end - (rec + i));
		if (rec[i] == 'S') {
			struct counts c;
			char buf[128];
			snprintf(buf, sizeof(buf), "%.*s", (int)(n < 127 ? n : 127), rec + i);
			if (sscanf(buf, "S %u %u %u %u %u %u %u %u", &c.socks, &c.udp, &c.tcp_alloc,
				   &c.tcp_inuse, &c.estab, &c.orphans, &c.tw, &c.frag) != 8) {
				rc = TERN_EINVAL;
				break;
			}
			sum.socks += c.socks;
			sum.udp += c.udp;
			sum.tcp_alloc += c.tcp_alloc;
			sum.tcp_inuse += c.tcp_inuse;
			sum.estab += c.estab;
			sum.orphans += c.orphans;
			sum.tw += c.tw;
			sum.frag += c.frag;
			have_sum = true;
		} else if (rec[i] == 'R') {
			struct row *r = add_row(&t);
			if (!r) {
				rc = TERN_ENOMEM;
				break;
			}
			const char *p = rec + i + 1;
			for (int c = 0; c <= NCOLS; c++) {
				if (p >= end || *p != US) {
					rc = TERN_EINVAL;
					break;
				}
				p++;
				const char *q = memchr(p, US, (size_t)(end - p));
				size_t k = (size_t)((q ? q : end) - p);
				char *dst = c < NCOLS ? cell(r, c) : r->info;
				size_t cap = c < NCOLS ? cell_len(c) : sizeof(r->info);
				snprintf(dst, cap, "%.*s", (int)(k < cap - 1 ? k : cap - 1), p);
				p += k;
			}
		} else {
			rc = TERN_EINVAL;
		}
		i += n + 1;
	}
	if (rc == 0) {
		if (o->summary && have_sum)
			summary(&sum, out);
		if (!o->summary_only)
			table_print(&t, o, out);
	}
	free(t.rows);
	return rc;
}

int tern_ss_print(struct tern_stack *s, const struct tern_ss_opts *o, FILE *out)
{
	struct counts n = {0};
	if (o->summary)
		count_stack(s, &n);
	if (o->summary && !o->raw) {
		summary(&n, out);
		if (o->summary_only)
			return 0;
	}
	struct filter *f = NULL;
	char err[128];
	if (o->filter) {
		f = malloc(sizeof(*f));
		if (!f)
			return TERN_ENOMEM;
		if (!filter_compile(f, o->filter, err, sizeof(err))) {
			free(f);
			return TERN_EINVAL;
		}
	}
	bool tcp, udp;
	unsigned states = select_states(o, &tcp, &udp);
	struct table t = {0};
	struct walk w = {.t = &t, .o = o, .f = f, .states = states};
	int rc = table_start(&t, o);
	/* ss prints the UDP table before the TCP one. */
	if (rc == 0 && udp && !(o->raw && o->summary_only))
		rc = add_udp(&w, s);
	if (rc == 0 && tcp && !(o->raw && o->summary_only)) {
		tern_tcp_conns(s, on_conn, &w);
		rc = w.rc;
	}
	if (rc == 0 && o->raw)
		write_records(&t, o->summary ? &n : NULL, out);
	else if (rc == 0)
		table_print(&t, o, out);
	free(t.rows);
	free(f);
	return rc;
}
