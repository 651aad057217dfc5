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
 */
#define _GNU_SOURCE /* getservbyport in <netdb.h> */
#include "tern/apps.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "tern/err.h"
#include "tern/socket.h"

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

struct row {
	char cell[NCOLS][CELL_LEN];
	char info[192];  /* -i: the second line, "" if none */
};

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
		snprintf(r->cell[COL_PROC], CELL_LEN, " users:((\"%s\",pid=%ld,fd=%d))",
			 si->owner[0] ? si->owner : "tern", o->pid, si->sd);
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
			int len = (int)strlen(t->rows[i].cell[c]);
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
		int printed = 0, len = (int)strlen(r->cell[c]);
		if (started)
			printed += fprintf(out, "%*s", cols[c].delim, "");
		started = true;
		if (cols[c].right && t->width[c] - len - printed > 0)
			printed += fprintf(out, "%*s", t->width[c] - len - printed, "");
		printed += fprintf(out, "%s", r->cell[c]);
		if (!cols[c].right && t->width[c] - printed > 0)
			fprintf(out, "%*s", t->width[c] - printed, "");
	}
	fputc('\n', out);
	if (r->info[0])
		fprintf(out, "%s\n", r->info);
}

/* The states shown, as a mask of SS_BIT()s; *tcp and *udp become the
 * tables shown. */
static unsigned select_states(const struct tern_ss_opts *o, bool *tcp, bool *udp)
{
	bool neither = !o->tcp && !o->udp;
	*tcp = o->tcp || neither;
	*udp = o->udp || neither;
	if (o->select == TERN_SS_ALL)
		return SS_ALL;
	if (o->select == TERN_SS_LISTENING)
		return SS_BIT(SS_LISTEN) | SS_BIT(SS_CLOSE);
	if (neither)
		return SS_CONN;
	return (*tcp ? SS_CONN : 0) | (*udp ? SS_BIT(SS_ESTAB) : 0);
}

/* One table's rows: the sockets of `protocol` in one of `states`. */
static int add_sockets(struct table *t, struct tern_stack *s, const struct tern_ss_opts *o,
		       int protocol, unsigned states)
{
	const char *proto = protocol == TERN_IPPROTO_UDP ? "udp" : "tcp";
	for (int sd = tern_socket_next(s, -1); sd >= 0; sd = tern_socket_next(s, sd)) {
		struct tern_sock_info si;
		if (tern_socket_info(s, sd, &si) < 0 || si.protocol != protocol)
			continue;
		if (!(states & SS_BIT(state_of(si.state))))
			continue;
		struct row *r = add_row(t);
		if (!r)
			return TERN_ENOMEM;
		fill_row(r, &si, proto, o);
	}
	return 0;
}

int tern_ss_print(struct tern_stack *s, const struct tern_ss_opts *o, FILE *out)
{
	bool tcp, udp;
	unsigned states = select_states(o, &tcp, &udp);
	struct table t = {0};
	for (int c = 0; c < NCOLS; c++)
		t.on[c] = true;
	t.on[COL_NETID] = tcp && udp;
	t.on[COL_STATE] = (states & (states - 1)) != 0;
	int rc = 0;
	if (!o->no_header) {
		struct row *h = add_row(&t);
		if (!h) {
			rc = TERN_ENOMEM;
			goto out;
		}
		for (int c = 0; c < NCOLS; c++)
			snprintf(h->cell[c], CELL_LEN, "%s", cols[c].header);
		t.first_data = 1;
	}
	/* ss prints the UDP table before the TCP one. */
	if (udp)
		rc = add_sockets(&t, s, o, TERN_IPPROTO_UDP, states);
	if (tcp && rc == 0)
		rc = add_sockets(&t, s, o, TERN_IPPROTO_TCP, states);
	if (rc == 0) {
		layout(&t, o->screen_width);
		for (size_t i = 0; i < t.n; i++)
			print_row(out, &t, &t.rows[i]);
	}
out:
	free(t.rows);
	return rc;
}
