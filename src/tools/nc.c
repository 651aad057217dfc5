/*
 * tools/nc.c — `tern nc`: netcat on a tern host, UDP only for now, with
 * OpenBSD nc's options and behaviour:
 *
 *   tern nc -u [-s ADDR] [-p PORT] HOST PORT    send each read() of stdin as one
 *                                               datagram to HOST:PORT, print every
 *                                               datagram that comes back
 *   tern nc -u -l [-s ADDR] -p PORT | PORT      print datagrams to PORT; after the
 *                                               first, "connect" to its sender so
 *                                               stdin goes back to it and only its
 *                                               datagrams are accepted
 *
 * stdin is one more fd in the runner's wait (tern_rt_add_fd); the socket
 * reports through its callback. EOF on stdin: with -q N quit N seconds
 * later, without -q keep receiving. -w N: quit after N idle seconds (in
 * listen mode only once a peer is known, as nc).
 *
 * Errors: a connected UDP socket gets ICMP errors (port unreachable →
 * ECONNREFUSED) on its next call. OpenBSD nc on Linux then exits 0 without
 * a word; tern nc says what happened, "tern nc: read: Connection refused"
 * (or "write: ..." if sending found it), and exits 1.
 *
 * Leaving: a datagram may still wait in ARP's queue when nc decides to
 * quit (-q 0 right after the first datagram to a new neighbour); the
 * kernel would send it after nc exited, but here the stack goes with the
 * process, so nc lingers (at most ARP's give-up time) until every datagram
 * it sent has left as a frame.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tern/err.h"
#include "tern/rt.h"
#include "tern/socket.h"
#include "tools/common.h"

#define CMD "nc"
#define STDIN_CHUNK 16384            /* OpenBSD nc's buffer: one read, one datagram */
#define LINGER_MAX TERN_MSEC(3500)   /* ARP gives up after 3 requests, 1 s apart */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tern nc -u [options] --tap IFNAME --addr ADDR/PREFIX HOST PORT\n"
		"       tern nc -u -l [options] --tap IFNAME --addr ADDR/PREFIX [-p] PORT\n"
		"\n"
		"netcat on a tern host, as OpenBSD nc does it for UDP: each read of stdin is\n"
		"sent as one datagram and every datagram received is written to stdout. With\n"
		"-l it waits for a datagram on PORT, then answers its sender only.\n"
		"\n"
		"Options:\n"
		"  -u                 UDP (required: TCP is not implemented yet)\n"
		"  -l                 listen for a datagram instead of sending first\n"
		"  -p PORT            source port (with -l: the port to listen on)\n"
		"  -s ADDR            source address (one of the tern host's)\n"
		"  -q SECS            after EOF on stdin, quit SECS seconds later (default:\n"
		"                     keep receiving until Ctrl-C)\n"
		"  -w SECS            quit after SECS seconds without traffic (with -l: once a\n"
		"                     peer is known)\n"
		"  -v                 with -l, report \"Bound on ADDR PORT\" and \"Connection\n"
		"                     received on ADDR PORT\" on stderr\n"
		"  -n                 numeric addresses only (always the case)\n"
		"  -h, --help         show this help\n"
		"\n"
		"%s"
		"  --pcap FILE        write every frame of that interface to FILE (pcap)\n"
		"\n"
		"Exit status: 0; 1 when the peer is unreachable (e.g. \"tern nc: read:\n"
		"Connection refused\" after an ICMP port unreachable) or on a socket error;\n"
		"2 on usage errors.\n"
		"\n"
		"Examples:\n"
		"  tern nc -u -l -p 5000 --tap tap0 --addr 10.0.0.2/24\n"
		"  echo hello | tern nc -u -q 1 --tap tap0 --addr 10.0.0.2/24 10.0.0.1 5000\n",
		cli_net_usage);
}

struct nc_args {
	struct cli_net net;
	bool udp, listen, verbose, help;
	long port;                 /* -p; -1: none */
	tern_ip4_t src;            /* -s */
	bool has_src;
	tern_time_t quit_after;    /* -q; < 0: never */
	tern_time_t idle;          /* -w; 0: none */
	tern_ip4_t host;           /* HOST, or the listen address */
	bool has_host;
	uint16_t dport;            /* PORT (client) or positional listen port */
};

static int take_option(struct nc_args *a, int c, const char *arg)
{
	unsigned long v;
	switch (c) {
	case 'u': a->udp = true; return 0;
	case 'l': a->listen = true; return 0;
	case 'v': a->verbose = true; return 0;
	case 'n': return 0;
	case 'p':
		if (cli_parse_uint(CMD, "-p", arg, 1, 65535, &v) < 0)
			return CLI_EXIT_USAGE;
		a->port = (long)v;
		return 0;
	case 's':
		if (cli_parse_ip(CMD, "-s", arg, &a->src) < 0)
			return CLI_EXIT_USAGE;
		a->has_src = true;
		return 0;
	case 'q':
		return cli_parse_seconds(CMD, "-q", arg, 0, TERN_SEC(86400 * 365), &a->quit_after) < 0
			       ? CLI_EXIT_USAGE : 0;
	case 'w':
		return cli_parse_seconds(CMD, "-w", arg, TERN_MSEC(1), TERN_SEC(86400 * 365),
					 &a->idle) < 0 ? CLI_EXIT_USAGE : 0;
	default:
		return CLI_EXIT_USAGE;
	}
}

static int parse_port(const char *arg, uint16_t *out)
{
	unsigned long v;
	if (cli_parse_uint(CMD, "PORT", arg, 1, 65535, &v) < 0)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static int parse_host(const char *arg, tern_ip4_t *out)
{
	if (tern_ip4_parse(arg, out) < 0) {
		cli_usage_error(CMD, "invalid HOST '%s': expected an IPv4 address (tern nc does not "
				"resolve names)", arg);
		return -1;
	}
	return 0;
}

/* The positional arguments: HOST PORT, or with -l [ADDR] [PORT]. */
static int parse_operands(struct nc_args *a, int n, char **v)
{
	if (!a->listen) {
		if (n < 2)
			return cli_usage_error(CMD, n ? "missing PORT after HOST" : "missing HOST and PORT");
		if (n > 2)
			return cli_usage_error(CMD, "unexpected argument '%s' after PORT", v[2]);
		if (parse_host(v[0], &a->host) < 0 || parse_port(v[1], &a->dport) < 0)
			return CLI_EXIT_USAGE;
		a->has_host = true;
		return 0;
	}
	if (n > 2)
		return cli_usage_error(CMD, "unexpected argument '%s'", v[2]);
	if (n == 2) {
		if (parse_host(v[0], &a->host) < 0)
			return CLI_EXIT_USAGE;
		a->has_host = true;
	}
	if (n >= 1) {
		uint16_t p;
		if (parse_port(v[n - 1], &p) < 0)
			return CLI_EXIT_USAGE;
		if (a->port >= 0 && a->port != p)
			return cli_usage_error(CMD, "two ports to listen on: -p %ld and %u", a->port, p);
		a->port = p;
	}
	if (a->port < 0)
		return cli_usage_error(CMD, "missing the PORT to listen on (-l -p PORT, or -l PORT)");
	return 0;
}

/* take_option with the signature cli_parse_options() calls. */
static int take(void *a, int c, const char *arg)
{
	return take_option(a, c, arg);
}

static int parse_args(struct nc_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		CLI_NET_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	int rc = cli_parse_options(CMD, argc, argv, ":ulvnp:s:q:w:h", longopts, &a->net, take, a,
				   &a->help);
	if (rc || a->help)
		return rc;
	if (!a->udp) {
		cli_error(CMD, "TCP is not implemented yet (UDP only: -u)");
		return CLI_EXIT_USAGE;
	}
	return parse_operands(a, argc - optind, argv + optind);
}

/* ---- running ------------------------------------------------------------------ */

struct nc {
	struct tern_rt *rt;
	struct tern_stack *s;
	const struct nc_args *a;
	int sd;
	struct tern_sockaddr_in local;
	bool connected;
	bool stdin_watched;
	bool stdin_eof;
	tern_time_t eof_at;
	tern_time_t last_activity;
	bool done;
	int status;
	uint64_t sent, left;       /* datagrams sent; first frames of them seen leaving */
	bool tracing;              /* on_trace counts `left` */
	uint8_t buf[65536];
};

static void finish(struct nc *nc, int status)
{
	nc->done = true;
	if (status > nc->status)
		nc->status = status;
}

static void fail_io(struct nc *nc, const char *op, int err)
{
	cli_error(CMD, "%s: %s", op, tern_strerror(err));
	finish(nc, CLI_EXIT_FAIL);
}

static void write_stdout(struct nc *nc, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			cli_error(CMD, "write to stdout: %s", strerror(errno));
			finish(nc, CLI_EXIT_FAIL);
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void on_stdin(void *ctx, struct tern_rt *rt, int fd, short revents)
{
	struct nc *nc = ctx;
	ssize_t n = read(fd, nc->buf, STDIN_CHUNK);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) { /* EOF (or an unreadable stdin, taken as one) */
		tern_rt_del_fd(rt, fd);
		nc->stdin_watched = false;
		nc->stdin_eof = true;
		nc->eof_at = tern_rt_now(rt);
		return;
	}
	nc->last_activity = tern_rt_now(rt);
	/* The runner polled the stack just now: send at once. */
	int rc = tern_send(nc->s, nc->sd, nc->buf, (size_t)n, 0);
	if (rc < 0)
		fail_io(nc, "write", rc);
	else
		nc->sent++;
}

static void watch_stdin(struct nc *nc)
{
	if (nc->stdin_watched || nc->stdin_eof)
		return;
	int rc = tern_rt_add_fd(nc->rt, STDIN_FILENO, POLLIN, on_stdin, nc);
	if (rc < 0)
		fail_io(nc, "stdin", rc);
	else
		nc->stdin_watched = true;
}

/* Listen mode, first datagram: from now on, talk to its sender only. */
static void take_peer(struct nc *nc, const struct tern_sockaddr_in *from)
{
	char ip[TERN_IP4_STRLEN];
	int rc = tern_connect(nc->s, nc->sd, from);
	if (rc < 0) {
		fail_io(nc, "connect", rc);
		return;
	}
	nc->connected = true;
	if (nc->a->verbose) {
		fflush(stdout);
		fprintf(stderr, "Connection received on %s %u\n", tern_ip4_str(from->addr, ip),
			from->port);
	}
	watch_stdin(nc);
}

/* Runs inside the stack's input: print everything queued. */
static void on_socket(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	struct nc *nc = ctx;
	while (!nc->done) {
		struct tern_sockaddr_in from;
		int n = tern_recvfrom(s, sd, nc->buf, sizeof(nc->buf), 0, &from);
		if (n == TERN_EAGAIN)
			return;
		if (n < 0) {
			fail_io(nc, "read", n);
			return;
		}
		nc->last_activity = tern_stack_now(s);
		if (nc->a->listen && !nc->connected)
			take_peer(nc, &from);
		write_stdout(nc, nc->buf, (size_t)n);
	}
}

static uint16_t rd16be(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Count the frames that carry the start of one of our datagrams out (an
 * unfragmented datagram or its first fragment), to know when all left. */
static void on_trace(void *ctx, struct tern_stack *s, const struct tern_trace_event *ev)
{
	struct nc *nc = ctx;
	const uint8_t *f = ev->data;
	if (ev->kind != TERN_TRACE_TX || ev->layer != TERN_LAYER_LINK || ev->len < 14 + 20 + 8)
		return;
	const uint8_t *ip = f + 14;
	size_t hl = (size_t)(ip[0] & 0x0f) * 4;
	if (rd16be(f + 12) != 0x0800 || ip[9] != TERN_IPPROTO_UDP || ev->len < 14 + hl + 8 ||
	    (rd16be(ip + 6) & 0x1fff) != 0)
		return;
	uint32_t src = (uint32_t)ip[12] << 24 | (uint32_t)ip[13] << 16 | (uint32_t)ip[14] << 8 |
		       ip[15];
	if (rd16be(ip + hl) == nc->local.port && (nc->local.addr == 0 || src == nc->local.addr))
		nc->left++;
}

static int open_socket(struct nc *nc)
{
	const struct nc_args *a = nc->a;
	struct tern_stack *s = nc->s;
	char ip[TERN_IP4_STRLEN];
	int sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	if (sd < 0) {
		cli_error(CMD, "socket: %s", tern_strerror(sd));
		return -1;
	}
	nc->sd = sd;
	tern_socket_set_owner(s, sd, "nc");
	tern_socket_set_callback(s, sd, on_socket, nc);
	tern_ip4_t laddr = a->has_src ? a->src : a->listen && a->has_host ? a->host : 0;
	if (laddr || a->port >= 0) {
		struct tern_sockaddr_in b = {laddr, a->port >= 0 ? (uint16_t)a->port : 0};
		int rc = tern_bind(s, sd, &b);
		if (rc < 0) {
			cli_error(CMD, "bind %s:%u: %s", tern_ip4_str(laddr, ip), b.port,
				  tern_strerror(rc));
			return -1;
		}
	}
	if (!a->listen) {
		struct tern_sockaddr_in peer = {a->host, a->dport};
		int rc = tern_connect(s, sd, &peer);
		if (rc < 0) {
			cli_error(CMD, "connect to %s port %u (udp) failed: %s",
				  tern_ip4_str(a->host, ip), a->dport, tern_strerror(rc));
			return -1;
		}
		nc->connected = true;
	}
	tern_getsockname(s, sd, &nc->local);
	if (a->listen && a->verbose) {
		fprintf(stderr, "Bound on %s %u\n", tern_ip4_str(nc->local.addr, ip), nc->local.port);
		fflush(stderr);
	}
	return 0;
}

/* When nc must next look at the clock: -q after EOF, -w after silence. */
static tern_time_t own_deadline(const struct nc *nc)
{
	tern_time_t t = TERN_TIME_NEVER;
	if (nc->stdin_eof && nc->a->quit_after >= 0)
		t = nc->eof_at + nc->a->quit_after;
	if (nc->a->idle > 0 && nc->connected && nc->last_activity + nc->a->idle < t)
		t = nc->last_activity + nc->a->idle;
	return t;
}

static int loop(struct nc *nc)
{
	while (!cli_stop && !nc->done) {
		tern_time_t now = tern_rt_now(nc->rt);
		tern_time_t t = own_deadline(nc);
		if (now >= t) {
			finish(nc, CLI_EXIT_OK);
			break;
		}
		tern_time_t wait = t == TERN_TIME_NEVER ? TERN_SEC(1) : t - now;
		int rc = tern_rt_run_once(nc->rt, wait < TERN_SEC(1) ? wait : TERN_SEC(1));
		if (rc < 0) {
			cli_error(CMD, "device error: %s", tern_strerror(rc));
			return CLI_EXIT_USAGE;
		}
	}
	/* Let what is still waiting for ARP leave, unless stopped by a
	 * signal or an error. */
	tern_time_t end = tern_rt_now(nc->rt) + LINGER_MAX;
	while (!cli_stop && nc->tracing && nc->status == 0 && nc->left < nc->sent &&
	       tern_rt_now(nc->rt) < end)
		if (tern_rt_run_once(nc->rt, TERN_MSEC(50)) < 0)
			break;
	return nc->status;
}

static int run(const struct nc_args *a)
{
	struct tern_stack_config cfg;
	cli_stack_config(&cfg, "tern-nc");
	cli_catch_signals();
	struct tern_rt *rt = cli_net_up(&a->net, CMD, &cfg);
	if (!rt)
		return CLI_EXIT_USAGE;
	struct nc *nc = calloc(1, sizeof(*nc));
	if (!nc) {
		cli_error(CMD, "out of memory");
		tern_rt_destroy(rt);
		return CLI_EXIT_USAGE;
	}
	nc->rt = rt;
	nc->s = tern_rt_stack(rt);
	nc->a = a;
	nc->sd = -1;
	nc->last_activity = tern_rt_now(rt);
	int status = CLI_EXIT_USAGE;
	int handle = tern_stack_trace_subscribe(nc->s, on_trace, nc);
	nc->tracing = handle >= 0;
	if (open_socket(nc) == 0) {
		if (!a->listen)
			watch_stdin(nc);
		status = loop(nc);
	}
	if (handle >= 0)
		tern_stack_trace_unsubscribe(nc->s, handle);
	tern_rt_destroy(rt);
	free(nc);
	return status;
}

int cmd_nc(int argc, char **argv)
{
	struct nc_args a;
	memset(&a, 0, sizeof(a));
	a.net.max_taps = 1;
	a.port = -1;
	a.quit_after = -1;

	int rc = parse_args(&a, argc, argv);
	if (rc != 0)
		return rc;
	if (a.help) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (cli_net_check(&a.net, CMD, true) < 0)
		return CLI_EXIT_USAGE;
	return run(&a);
}
