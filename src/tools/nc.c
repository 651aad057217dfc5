/*
 * tools/nc.c — `tern nc`: netcat on a tern host, TCP or UDP, with OpenBSD
 * nc's options and behaviour (as Debian's netcat-openbsd 1.219 shows it):
 *
 *   tern nc [-N] [-q S] [-w S] HOST PORT        connect; stdin to the connection,
 *                                               the connection to stdout
 *   tern nc -z [-v] [-u] HOST PORT[-PORT]...    see which ports answer
 *   tern nc -l [-k] -p PORT | PORT              accept one connection (-k: one
 *                                               after another) and do the same
 *   tern nc -u [-s ADDR] [-p PORT] HOST PORT    send each read() of stdin as one
 *                                               datagram to HOST:PORT, print every
 *                                               datagram that comes back
 *   tern nc -u -l [-s ADDR] -p PORT | PORT      print datagrams to PORT; after the
 *                                               first, "connect" to its sender so
 *                                               stdin goes back to it and only its
 *                                               datagrams are accepted
 *
 * This is the library's nc engine (tern_nc_* in tern/apps.h, the same one
 * the simulator runs) on one TAP device with the real clock: stdin is one
 * more fd in the runner's wait (tern_rt_add_fd), fed to the engine while
 * it wants input (over TCP: while what it was given last has gone into
 * the send buffer, so a fast stdin waits for a slow peer); the engine
 * does -k, -N, -q and -w, -v's reports and the error messages.
 *
 * Several ports (PORT, LO-HI ranges, /etc/services names) are tried one
 * after another, each by its own engine on the same host, as nc's port
 * list: the exit status is 0 once one of them connected (and, UDP with
 * -v/-z, passed the probe), unless a later probe failed.
 *
 * Errors: a connected UDP socket gets ICMP errors (port unreachable →
 * ECONNREFUSED) on its next call; as Debian's nc, tern nc then ends
 * without a word and with status 0 (-q N: N seconds later).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tern/apps.h"
#include "tern/err.h"
#include "tern/rt.h"
#include "tern/socket.h"
#include "tools/cmdline.h"
#include "tools/common.h"

#define CMD "nc"
#define STDIN_CHUNK 16384            /* OpenBSD nc's buffer: one read, one datagram */
#define LINGER_MAX TERN_MSEC(3500)   /* ARP gives up after 3 requests, 1 s apart */
/* After a TCP session the stack keeps running this long, so the last ACK
 * (or the FIN of a close) leaves and its answer is taken in, as the
 * kernel would do after nc exited. */
#define TCP_GRACE TERN_MSEC(200)

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tern nc [options] --tap IFNAME --addr ADDR/PREFIX HOST PORT\n"
		"       tern nc -l [-k] [options] --tap IFNAME --addr ADDR/PREFIX [-p] PORT\n"
		"       tern nc -u [-l] [options] --tap IFNAME --addr ADDR/PREFIX ...\n"
		"       tern nc -z [-uv] [options] --tap IFNAME --addr ADDR/PREFIX HOST PORT...\n"
		"\n"
		"netcat on a tern host, as OpenBSD nc (Debian's netcat-openbsd) does it. TCP:\n"
		"connect to HOST PORT (with -l: accept one connection on PORT), copy stdin to\n"
		"the connection and the connection to stdout. UDP (-u): each read of stdin is\n"
		"sent as one datagram and every datagram received is written to stdout; with\n"
		"-l it waits for a datagram on PORT, then answers its sender only.\n"
		"\n"
		"Options:\n"
		"  -u                 UDP instead of TCP\n"
		"  -l                 listen: accept a connection (UDP: wait for a datagram)\n"
		"  -k                 with -l (TCP): accept the next connection after one ends\n"
		"  -N                 (TCP) shut down the write side (send FIN) after EOF on stdin\n"
		"  -p PORT            source port (with -l: the port to listen on)\n"
		"  -s ADDR            source address (one of the tern host's)\n"
		"  -q SECS            after EOF on stdin: UDP, read no more and quit SECS seconds\n"
		"                     later; TCP, shut down the write side (FIN) and quit SECS\n"
		"                     seconds after the peer has closed too (with -l: read no\n"
		"                     more, quit SECS seconds later, and -k ends); default: UDP\n"
		"                     keeps receiving until Ctrl-C, TCP sends no FIN at EOF and\n"
		"                     ends when the peer closes\n"
		"  -w SECS            quit after SECS seconds without traffic (with -l: once a\n"
		"                     peer is known); TCP: also give up connecting after SECS\n"
		"  -v                 UDP client: first probe the port as nc does (\"X\" twice,\n"
		"                     then once a second for 3 s, or -w's; a port unreachable\n"
		"                     ends tern nc silently with status 1). Report on stderr:\n"
		"                     \"Connection to HOST PORT port [tcp/NAME] succeeded!\"\n"
		"                     ([udp/NAME] after the probe), \"connect to HOST port\n"
		"                     PORT (tcp) failed: REASON\", \"Listening on ADDR PORT\",\n"
		"                     \"Connection received on ADDR PORT\"; UDP with -l \"Bound\n"
		"                     on ADDR PORT\" and \"Connection received on ADDR PORT\"\n"
		"  -n                 numeric addresses only (always the case); -v names no\n"
		"                     service: [tcp/*]\n"
		"  -z                 only see whether each PORT answers (TCP: connect and\n"
		"                     close; UDP: connect, and with -v probe), sending\n"
		"                     nothing from stdin; PORT may be a list, LO-HI ranges\n"
		"                     and /etc/services names\n"
		"  -h, --help         show this help\n"
		"\n"
		"%s%s"
		"  --pcap FILE        write every frame of that interface to FILE (pcap)\n"
		"\n"
		"Exit status, as Debian's nc: 0; 1 when no PORT could be connected to (refused,\n"
		"timed out, network unreachable; said only with -v), when a UDP probe (-u -v)\n"
		"met a closed port (silently), or on a socket error. A TCP reset once\n"
		"connected, or a UDP port unreachable later, ends tern nc silently with 0 (-q N:\n"
		"N seconds later). 2 on usage errors.\n"
		"\n"
		"Examples:\n"
		"  tern nc -l -p 5000 --tap tap0 --addr 10.0.0.2/24 > received\n"
		"  tern nc -N --tap tap0 --addr 10.0.0.2/24 10.0.0.1 5000 < file\n"
		"  tern nc -u -l -p 5000 --tap tap0 --addr 10.0.0.2/24\n"
		"  echo hello | tern nc -u -q 1 --tap tap0 --addr 10.0.0.2/24 10.0.0.1 5000\n"
		"  tern nc -z -v --tap tap0 --addr 10.0.0.2/24 10.0.0.1 20-25 80\n",
		cli_net_usage, cli_ctl_usage);
}

struct nc_args {
	struct cli_net net;
	bool udp, listen, keep, shut_eof, numeric, verbose, zero, help;
	long port;                 /* -p; -1: none */
	tern_ip4_t src;            /* -s */
	bool has_src;
	tern_time_t quit_after;    /* -q; < 0: never */
	tern_time_t idle;          /* -w; 0: none */
	tern_ip4_t host;           /* HOST, or the listen address */
	bool has_host;
	uint16_t dport;            /* PORT (client) or positional listen port */
	uint16_t *ports;           /* client: every PORT given, ranges expanded */
	size_t nports;
};

/* One option for cli_parse_options(); ctx is the struct nc_args. */
static int take_option(void *ctx, int c, const char *arg)
{
	struct nc_args *a = ctx;
	unsigned long v;
	switch (c) {
	case 'u': a->udp = true; return 0;
	case 'l': a->listen = true; return 0;
	case 'v': a->verbose = true; return 0;
	case 'n': a->numeric = true; return 0;
	case 'k': a->keep = true; return 0;
	case 'N': a->shut_eof = true; return 0;
	case 'z': a->zero = true; return 0;
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

/* A client's port: a number, a LO-HI range (either order, as nc) or an
 * /etc/services name; appended to a->ports. */
static int add_ports(struct nc_args *a, const char *arg)
{
	unsigned long lo, hi;
	const char *dash = strchr(arg, '-');
	if (arg[0] >= '0' && arg[0] <= '9' && dash) {
		char first[16];
		size_t n = (size_t)(dash - arg);
		if (n >= sizeof(first))
			return cli_usage_error(CMD, "invalid PORT range '%s'", arg);
		memcpy(first, arg, n);
		first[n] = 0;
		if (cli_parse_uint(CMD, "PORT", first, 1, 65535, &lo) < 0 ||
		    cli_parse_uint(CMD, "PORT", dash + 1, 1, 65535, &hi) < 0)
			return CLI_EXIT_USAGE;
		if (lo > hi) {
			unsigned long t = lo;
			lo = hi;
			hi = t;
		}
	} else if (arg[0] >= '0' && arg[0] <= '9') {
		if (cli_parse_uint(CMD, "PORT", arg, 1, 65535, &lo) < 0)
			return CLI_EXIT_USAGE;
		hi = lo;
	} else {
		struct servent *se = getservbyname(arg, a->udp ? "udp" : "tcp");
		if (!se)
			return cli_usage_error(CMD, "service \"%s\" unknown", arg);
		lo = hi = ntohs((uint16_t)se->s_port);
	}
	uint16_t *p = realloc(a->ports, (a->nports + (hi - lo + 1)) * sizeof(*p));
	if (!p)
		return cli_usage_error(CMD, "out of memory");
	a->ports = p;
	for (unsigned long v = lo; v <= hi; v++)
		a->ports[a->nports++] = (uint16_t)v;
	return 0;
}

/* The positional arguments: HOST PORT..., or with -l [ADDR] [PORT]. */
static int parse_operands(struct nc_args *a, int n, char **v)
{
	if (!a->listen) {
		if (n < 2)
			return cli_usage_error(CMD, n ? "missing PORT after HOST" : "missing HOST and PORT");
		if (parse_host(v[0], &a->host) < 0)
			return CLI_EXIT_USAGE;
		for (int i = 1; i < n; i++)
			if (add_ports(a, v[i]) != 0)
				return CLI_EXIT_USAGE;
		a->dport = a->ports[0];
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

static int parse_args(struct nc_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		CLI_NET_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	int rc = cli_parse_options(CMD, argc, argv, ":ulvnkNzp:s:q:w:h", longopts, &a->net,
				   take_option, a, &a->help);
	if (rc || a->help)
		return rc;
	if (a->keep && !a->listen)
		return cli_usage_error(CMD, "-k needs -l (it keeps listening for connections)");
	if (a->zero && a->listen)
		return cli_usage_error(CMD, "-z is for a client: it only sees whether HOST's ports "
				       "answer");
	if (a->keep && a->udp)
		return cli_usage_error(CMD, "-k is for TCP: a UDP listener (-u -l) talks to one "
				       "sender");
	return parse_operands(a, argc - optind, argv + optind);
}

/* ---- running ------------------------------------------------------------------ */

/* The nc engine (tern_nc_*, src/app/nc.c) does the protocol and -q/-w;
 * this side feeds it stdin and drives the stack with the real clock. */
struct nc {
	struct tern_rt *rt;
	struct tern_nc *nc;
	bool stdin_watched, stdin_eof;
	uint8_t buf[STDIN_CHUNK];
};

static void on_stdin(void *ctx, struct tern_rt *rt, int fd, short revents)
{
	struct nc *c = ctx;
	(void)revents;
	ssize_t n = read(fd, c->buf, sizeof(c->buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) { /* EOF (or an unreadable stdin, taken as one) */
		tern_rt_del_fd(rt, fd);
		c->stdin_watched = false;
		c->stdin_eof = true;
		tern_nc_eof(c->nc, tern_rt_now(rt));
		return;
	}
	/* Errors end the engine, which reports them ("write: ..."). */
	tern_nc_send(c->nc, c->buf, (size_t)n, tern_rt_now(rt));
}

/* stdin is read while the engine takes input: once there is someone to
 * send it to (with -l: after the first datagram, or the connection), and
 * over TCP while what it read last has gone into the send buffer. */
static int watch_stdin(struct nc *c)
{
	bool want = !c->stdin_eof && tern_nc_wants_input(c->nc);
	if (c->stdin_watched && !want) {
		tern_rt_del_fd(c->rt, STDIN_FILENO);
		c->stdin_watched = false;
		return 0;
	}
	if (c->stdin_watched || !want)
		return 0;
	int rc = tern_rt_add_fd(c->rt, STDIN_FILENO, POLLIN, on_stdin, c);
	if (rc < 0) {
		cli_error(CMD, "stdin: %s", tern_strerror(rc));
		return -1;
	}
	c->stdin_watched = true;
	return 0;
}

static int loop(struct nc *c, bool tcp)
{
	while (!cli_stop && !tern_nc_done(c->nc)) {
		if (watch_stdin(c) < 0)
			return CLI_EXIT_FAIL;
		int rc = tern_rt_run_once(c->rt, TERN_SEC(1));
		if (rc < 0) {
			cli_error(CMD, "device error: %s", tern_strerror(rc));
			return CLI_EXIT_USAGE;
		}
	}
	/* A datagram may still wait for ARP (-q 0 right after the first one
	 * to a new neighbour) or in a --delay line: the kernel would send it
	 * after nc exited, but here the stack goes with the process, so
	 * linger (at most ARP's give-up time) until it has left, unless
	 * stopped or failed. */
	tern_time_t end = tern_rt_now(c->rt) + LINGER_MAX;
	while (!cli_stop && tern_nc_error(c->nc) == 0 && tern_rt_tx_pending(c->rt) &&
	       tern_rt_now(c->rt) < end)
		if (tern_rt_run_once(c->rt, TERN_MSEC(50)) < 0)
			break;
	if (tcp && tern_nc_connections(c->nc) > 0) {
		end = tern_rt_now(c->rt) + TCP_GRACE;
		while (!cli_stop && tern_rt_now(c->rt) < end)
			if (tern_rt_run_once(c->rt, end - tern_rt_now(c->rt)) < 0)
				break;
	}
	return CLI_EXIT_OK;
}

static void engine_opts(const struct nc_args *a, struct tern_nc_opts *o)
{
	tern_nc_opts_init(o);
	o->tcp = !a->udp;
	o->listen = a->listen;
	o->keep = a->keep;
	o->shutdown_on_eof = a->shut_eof;
	o->numeric = a->numeric;
	o->zero = a->zero;
	o->src = a->has_src ? a->src : a->listen && a->has_host ? a->host : 0;
	o->port = a->port >= 0 ? (uint16_t)a->port : 0;
	o->dst = a->listen ? 0 : a->host;
	o->dst_port = a->listen ? 0 : a->dport;
	o->quit_after = a->quit_after;
	o->idle = a->idle;
	o->verbose = a->verbose;
	o->diag = stderr;
	o->prog = "tern " CMD;
}

static int run(const struct nc_args *a)
{
	struct tern_stack_config cfg;
	cli_stack_config(&cfg, "tern-nc");
	cli_catch_signals();
	struct tern_rt *rt = cli_net_up(&a->net, CMD, &cfg);
	if (!rt)
		return CLI_EXIT_USAGE;
	/* tern ss sees this program's sockets through its control socket. */
	char ctl_name[48];
	struct cli_ctl *ctl = cli_ctl_open(rt, cli_ctl_name(&a->net, CMD, ctl_name, sizeof(ctl_name)),
					   "tern " CMD, a->net.name != NULL);
	struct nc *c = calloc(1, sizeof(*c));
	if (!c) {
		cli_error(CMD, "out of memory");
		cli_ctl_close(ctl);
		tern_rt_destroy(rt);
		return CLI_EXIT_USAGE;
	}
	c->rt = rt;
	struct tern_nc_opts o;
	engine_opts(a, &o);
	int err, status = CLI_EXIT_USAGE;
	/* One engine per PORT, in order, as nc's port list: a port that
	 * could not be connected to leaves the status as it was (1 until
	 * one connects); one that connected sets it to its own. */
	size_t nports = a->listen || a->nports == 0 ? 1 : a->nports;
	int ret = CLI_EXIT_FAIL;
	for (size_t i = 0; i < nports && !cli_stop; i++) {
		if (!a->listen && a->nports)
			o.dst_port = a->ports[i];
		c->nc = tern_nc_start(tern_rt_stack(rt), &o, stdout, tern_rt_now(rt), &err);
		if (!c->nc) {
			status = CLI_EXIT_USAGE;
			break;
		}
		if (c->stdin_eof)
			tern_nc_eof(c->nc, tern_rt_now(rt));
		status = loop(c, o.tcp);
		bool connected = tern_nc_connections(c->nc) > 0;
		int rc = tern_nc_finish(c->nc);
		c->nc = NULL;
		if (status)
			break;
		if (connected || a->listen)
			ret = rc ? CLI_EXIT_FAIL : CLI_EXIT_OK;
		status = ret;
	}
	if (o.tcp)
		cli_tcp_linger(rt);
	if (c->stdin_watched)
		tern_rt_del_fd(rt, STDIN_FILENO);
	cli_ctl_close(ctl);
	tern_rt_destroy(rt);
	free(c);
	return status;
}

/* No option given yet: one TAP at most, no port, no -q. */
static void args_init(struct nc_args *a)
{
	memset(a, 0, sizeof(*a));
	a->net.max_taps = 1;
	a->port = -1;
	a->quit_after = -1;
}

int nc_cmdline(int argc, char **argv, struct tern_nc_opts *o)
{
	struct nc_args a;
	args_init(&a);
	int rc = parse_args(&a, argc, argv);
	if (rc == 0)
		rc = cli_net_unused(&a.net, CMD, a.help);
	if (rc == 0 && a.nports > 1)
		rc = cli_usage_error(CMD, "one PORT only in a lab (no port lists or ranges)");
	engine_opts(&a, o);
	o->prog = "nc";
	free(a.ports);
	return rc;
}

int cmd_nc(int argc, char **argv)
{
	struct nc_args a;
	args_init(&a);

	int rc = parse_args(&a, argc, argv);
	if (rc != 0) {
		free(a.ports);
		return rc;
	}
	if (a.help) {
		usage(stdout);
		free(a.ports);
		return CLI_EXIT_OK;
	}
	if (cli_net_check(&a.net, CMD, true) < 0) {
		free(a.ports);
		return CLI_EXIT_USAGE;
	}
	rc = run(&a);
	free(a.ports);
	return rc;
}
