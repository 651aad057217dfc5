/*
 * tools/host.c — `tern host`: a long-lived tern host (or router, with
 * --forward) on one or more TAP devices. It answers ARP and ping (the
 * stack does that by itself), and UDP echo on the --udp-echo ports, until
 * SIGINT or SIGTERM, then prints the counters that moved. Tests and
 * scripts wait for the "... up" lines it prints when ready.
 *
 * It also serves its control socket, DIR/NAME.sock (DIR /run/tern or
 * $TERN_RUN_DIR), from the same event loop: `tern ss --host NAME` and
 * anyone with socat ask it for its sockets, counters and routes (the
 * protocol is described in tools/ss.c). A socket file left by a host that
 * died is replaced; one another live host answers on is left alone, with
 * a warning, and this host runs without a control socket.
 */
#define _GNU_SOURCE /* accept4, open_memstream */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "tern/err.h"
#include "tern/rt.h"
#include "tern/socket.h"
#include "tools/common.h"
#include "tools/ss_opts.h"

#define CMD "host"
#define PROBE_LIMIT TERN_SEC(30) /* RFC 5227 probing takes under 10 s */
#define MAX_ECHO_PORTS 8
#define OPT_UDP_ECHO 2000
#define OPT_TCP_ECHO 2001

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tern host --tap IFNAME --addr ADDR/PREFIX [--tap IFNAME --addr ADDR/PREFIX ...]\n"
		"                 [--route PREFIX,NEXTHOP ...] [--gw GATEWAY] [--forward]\n"
		"                 [--mtu N] [--pcap DIR] [--name NAME] [--probe]\n"
		"                 [--arp strict] [--arp static,IP,MAC ...]\n"
		"                 [--loss PCT] [--delay MS] [--jitter MS] [--duplicate PCT]\n"
		"                 [--corrupt PCT] [--reorder PCT] [--rate BITS] [--fault-seed N]\n"
		"                 [--fault-dir in|out|both]\n"
		"                 [--udp-echo PORT ...] [--tcp-echo PORT ...]\n"
		"                 [--sysctl NAME=VALUE ...]\n"
		"\n"
		"Run a tern host on TAP devices until Ctrl-C (SIGINT) or SIGTERM: it answers\n"
		"ARP and ping, and with --forward routes between its interfaces. When every\n"
		"interface is ready it prints one line per interface, e.g.\n"
		"  tern host NAME: tap0 10.0.0.2/24 up\n"
		"and on exit the counters that moved. While it runs, `tern ss --host NAME`\n"
		"shows its sockets, through its control socket %s/NAME.sock\n"
		"($TERN_RUN_DIR changes the directory).\n"
		"\n"
		"Options:\n"
		"  --tap IFNAME             a TAP device (created if missing; needs CAP_NET_ADMIN);\n"
		"                           repeat for more interfaces\n"
		"  --addr ADDR/PREFIX       the address of the --tap before it, e.g. 10.0.0.2/24\n"
		"  --route PREFIX,NEXTHOP   a static route, e.g. 10.2.0.0/16,10.0.0.1; repeatable\n"
		"  --gw GATEWAY             default gateway\n"
		"  --forward                forward datagrams between interfaces (be a router)\n"
		"  --mtu N                  interface MTU, 68..9000 (default 1500): after a --tap,\n"
		"                           that interface's; before any, every interface's\n"
		"  --pcap DIR               capture each interface to DIR/NAME-IFNAME.pcap\n"
		"  --name NAME              the host's name in messages, captures and its control\n"
		"                           socket (default: the first --tap's name)\n"
		"  --udp-echo PORT          answer UDP datagrams to PORT with their copy (RFC 862\n"
		"                           echo; on any address); repeatable\n"
		"  --tcp-echo PORT          listen on TCP PORT and echo what each connection sends\n"
		"                           (RFC 862), closing after the peer does; repeatable\n"
		"  --probe                  check that each address is free first (RFC 5227 ARP\n"
		"                           probes); exit 1 if another host has it\n"
		"  --arp strict             learn neighbours only from answers to the host's own\n"
		"                           ARP requests (requests to it are answered, not learned)\n"
		"  --arp static,IP,MAC      IP is always at MAC: a static entry no ARP packet\n"
		"                           changes; repeatable\n"
		"  --loss/--duplicate/--corrupt/--reorder PCT   impair every frame, both\n"
		"                           directions, with tern's seeded fault injector\n"
		"  --delay MS, --jitter MS  add delay (and uniform jitter) to every frame\n"
		"  --rate BITS              serialize at this rate (bits per second)\n"
		"  --fault-seed N           seed for the impairments (default 1)\n"
		"  --fault-dir in|out|both  impair only the frames the host receives (in) or\n"
		"                           sends (out); default both\n"
		"  --sysctl NAME=VALUE      set a tunable by its Linux name before the host\n"
		"                           starts (net.ipv4.tcp_timestamps=0); repeatable;\n"
		"                           `sysctl` on the control socket reads and sets them\n"
		"                           while it runs\n"
		"  -h, --help               show this help\n"
		"\n"
		"Exit status: 0 after a signal, 1 on an address conflict, 2 on errors.\n",
		ss_run_dir());
}

struct host_args {
	struct cli_net net;
	uint16_t echo_ports[MAX_ECHO_PORTS];
	unsigned necho;
	uint16_t tcp_echo_ports[MAX_ECHO_PORTS];
	unsigned ntcp_echo;
	bool help;
};

/* One --udp-echo or --tcp-echo PORT into ports[*n]. */
static int take_echo_port(const char *opt, uint16_t *ports, unsigned *n, const char *arg)
{
	unsigned long v;
	if (cli_parse_uint(CMD, opt, arg, 1, 65535, &v) < 0)
		return CLI_EXIT_USAGE;
	for (unsigned i = 0; i < *n; i++)
		if (ports[i] == v)
			return cli_usage_error(CMD, "%s %lu given twice", opt, v);
	if (*n >= MAX_ECHO_PORTS)
		return cli_usage_error(CMD, "too many %s options (at most %d)", opt, MAX_ECHO_PORTS);
	ports[(*n)++] = (uint16_t)v;
	return 0;
}

/* One option for cli_parse_options(); ctx is the struct host_args. */
static int take_option(void *ctx, int c, const char *arg)
{
	struct host_args *a = ctx;
	switch (c) {
	case CLI_OPT_FORWARD:
		a->net.forward = true;
		return 0;
	case CLI_OPT_PROBE:
		a->net.probe = true;
		return 0;
	case CLI_OPT_NAME:
		if (!*arg || strlen(arg) > 31 || strchr(arg, '/'))
			return cli_usage_error(CMD, "invalid value '%s' for --name: expected 1 to 31 "
					       "characters, no '/'", arg);
		a->net.name = arg;
		return 0;
	case OPT_UDP_ECHO:
		return take_echo_port("--udp-echo", a->echo_ports, &a->necho, arg);
	case OPT_TCP_ECHO:
		return take_echo_port("--tcp-echo", a->tcp_echo_ports, &a->ntcp_echo, arg);
	default:
		return CLI_EXIT_USAGE;
	}
}

static int parse_args(struct host_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		CLI_NET_LONGOPTS,
		{"route", required_argument, NULL, CLI_OPT_ROUTE},
		{"forward", no_argument, NULL, CLI_OPT_FORWARD},
		{"name", required_argument, NULL, CLI_OPT_NAME},
		{"probe", no_argument, NULL, CLI_OPT_PROBE},
		{"udp-echo", required_argument, NULL, OPT_UDP_ECHO},
		{"tcp-echo", required_argument, NULL, OPT_TCP_ECHO},
		{NULL, 0, NULL, 0},
	};
	int rc = cli_parse_options(CMD, argc, argv, ":h", longopts, &a->net,
				   take_option, a, &a->help);
	if (rc || a->help)
		return rc;
	if (optind < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	return 0;
}

static void log_to_stderr(void *ctx, struct tern_stack *s, const char *msg)
{
	const char *name = ctx;
	fflush(stdout);
	fprintf(stderr, "tern host %s: %s\n", name, msg);
}

/* Wait for RFC 5227 probing to settle. Returns 0 when every address is
 * usable, 1 after reporting a conflict, 2 on a device error, or -1 when
 * interrupted. */
static int settle_addresses(struct tern_rt *rt, const struct cli_net *n, const char *name)
{
	struct tern_stack *s = tern_rt_stack(rt);
	tern_time_t limit = tern_rt_now(rt) + PROBE_LIMIT;
	while (!cli_stop && tern_rt_now(rt) < limit) {
		bool tentative = false;
		for (unsigned i = 0; i < n->ntaps; i++) {
			tern_ip4_t a;
			unsigned plen;
			enum tern_addr_state st;
			tern_ip4_parse_prefix(n->taps[i].addr, &a, &plen);
			if (tern_stack_addr_state(s, a, &st) < 0)
				continue;
			if (st == TERN_ADDR_CONFLICT) {
				char ip[TERN_IP4_STRLEN];
				fprintf(stderr, "tern host %s: giving up: %s on %s belongs to another "
					"host\n", name, tern_ip4_str(a, ip), n->taps[i].ifname);
				return CLI_EXIT_FAIL;
			}
			tentative |= st == TERN_ADDR_TENTATIVE;
		}
		if (!tentative)
			return 0;
		int rc = tern_rt_run_once(rt, TERN_MSEC(100));
		if (rc < 0) {
			cli_error(CMD, "device error: %s", tern_strerror(rc));
			return CLI_EXIT_USAGE;
		}
	}
	return cli_stop ? -1 : 0;
}

/* ---- UDP echo (RFC 862) ------------------------------------------------------ */

struct echo {
	int sd[MAX_ECHO_PORTS];
	unsigned n;
	uint8_t buf[TERN_UDP_MAX_PAYLOAD];
};

/* Runs inside the stack's input: answer everything queued. */
static void on_echo(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	struct echo *e = ctx;
	for (;;) {
		struct tern_sockaddr_in from;
		int n = tern_recvfrom(s, sd, e->buf, sizeof(e->buf), 0, &from);
		if (n == TERN_EAGAIN)
			return;
		if (n >= 0)
			tern_sendto(s, sd, e->buf, (size_t)n, 0, &from);
		/* else a pending error, reported once: carry on */
	}
}

static int echo_start(struct echo *e, struct tern_stack *s, const struct host_args *a)
{
	for (unsigned i = 0; i < a->necho; i++) {
		struct tern_sockaddr_in any = {.addr = 0, .port = a->echo_ports[i]};
		int sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
		int rc = sd < 0 ? sd : tern_bind(s, sd, &any);
		if (rc < 0) {
			cli_error(CMD, "--udp-echo %u: %s", a->echo_ports[i], tern_strerror(rc));
			return -1;
		}
		tern_socket_set_owner(s, sd, "udp-echo");
		tern_socket_set_callback(s, sd, on_echo, e);
		e->sd[e->n++] = sd;
	}
	return 0;
}

/* ---- TCP echo (RFC 862) ------------------------------------------------------ */

#define TCP_ECHO_CONNS 256

struct tcp_echo_conn {
	bool used;
	size_t len;    /* received, not yet sent back */
	uint8_t buf[16384];
};

struct tcp_echo {
	struct tcp_echo_conn *conns[TCP_ECHO_CONNS];
};

/* Send back what waits, then read more; close once the peer has closed
 * and everything is echoed (the FIN follows the data). */
static void on_tcp_conn(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	struct tcp_echo_conn *c = ctx;
	(void)events;
	bool eof = false;
	for (;;) {
		if (c->len) {
			int w = tern_send(s, sd, c->buf, c->len, 0);
			if (w <= 0)
				break;
			memmove(c->buf, c->buf + w, c->len - (size_t)w);
			c->len -= (size_t)w;
			continue;
		}
		int r = tern_recv(s, sd, c->buf, sizeof(c->buf), 0);
		if (r <= 0) {
			eof = r != TERN_EAGAIN;
			break;
		}
		c->len = (size_t)r;
	}
	if (eof && c->len == 0) {
		tern_close(s, sd);
		c->used = false;
	}
}

static void on_tcp_listener(void *ctx, struct tern_stack *s, int lsd, unsigned events)
{
	struct tcp_echo *e = ctx;
	(void)events;
	int sd;
	while ((sd = tern_accept(s, lsd, NULL)) >= 0) {
		struct tcp_echo_conn *c = NULL;
		for (int i = 0; i < TCP_ECHO_CONNS && !c; i++) {
			if (!e->conns[i])
				e->conns[i] = calloc(1, sizeof(*e->conns[i]));
			if (e->conns[i] && !e->conns[i]->used)
				c = e->conns[i];
		}
		if (!c) {
			tern_close(s, sd); /* full (or no memory): the peer sees the close */
			continue;
		}
		c->used = true;
		c->len = 0;
		tern_socket_set_owner(s, sd, "tcp-echo");
		tern_socket_set_callback(s, sd, on_tcp_conn, c);
		on_tcp_conn(c, s, sd, 0);
	}
}

static int tcp_echo_start(struct tcp_echo *e, struct tern_stack *s, const struct host_args *a)
{
	for (unsigned i = 0; i < a->ntcp_echo; i++) {
		struct tern_sockaddr_in any = {.addr = 0, .port = a->tcp_echo_ports[i]};
		int sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
		int rc = sd < 0 ? sd : tern_bind(s, sd, &any);
		if (rc == 0)
			rc = tern_listen(s, sd, 128);
		if (rc < 0) {
			cli_error(CMD, "--tcp-echo %u: %s", a->tcp_echo_ports[i], tern_strerror(rc));
			return -1;
		}
		tern_socket_set_owner(s, sd, "tcp-echo");
		tern_socket_set_callback(s, sd, on_tcp_listener, e);
	}
	return 0;
}

static void tcp_echo_free(struct tcp_echo *e)
{
	for (int i = 0; i < TCP_ECHO_CONNS; i++)
		free(e->conns[i]);
}

/* ---- the control socket ------------------------------------------------------ */

#define CTL_MAX_CONNS 8
#define CTL_LINE_MAX 512

struct ctl;
struct ctl_conn {
	struct ctl *ctl;
	int fd;                  /* -1: free */
	size_t len;
	char line[CTL_LINE_MAX];
};

struct ctl {
	struct tern_rt *rt;
	int lfd;                 /* -1: no control socket */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;               /* the file we bound, so exit removes only ours */
	ino_t ino;
	struct ctl_conn conns[CTL_MAX_CONNS];
};

static void ctl_help(FILE *out)
{
	fprintf(out, "commands (one line; the answer follows, then the connection closes):\n"
		     "  ss [-tulanpiH]   the sockets, as iproute2 ss (see tern ss --help)\n"
		     "  stats [-a]       the counters that moved (-a: all of them)\n"
		     "  nstat            the counters Linux has too, by nstat's names\n"
		     "  mem              the packet pool and each memory budget, in bytes\n"
		     "  routes           the routing table\n"
		     "  sysctl [-a] [-n|-N] [-q] [-w] [NAME[=VALUE]]...\n"
		     "                   tunables by Linux's names, read and set as\n"
		     "                   sysctl(8) does (net.ipv4.tcp_sack = 1)\n"
		     "  help             this list\n");
}

/* Answer one command line into out. */
static void ctl_command(struct ctl *c, char *line, FILE *out)
{
	struct tern_stack *s = tern_rt_stack(c->rt);
	char *argv[33], *save = NULL;
	int argc = 0;
	for (char *w = strtok_r(line, " \t\r\n", &save); w && argc < 32;
	     w = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	if (argc == 0) {
		fprintf(out, "error: empty command (try: help)\n");
	} else if (strcmp(argv[0], "ss") == 0) {
		struct ss_opts o;
		char err[256];
		if (ss_parse(&o, argc, argv, err, sizeof(err)) < 0)
			fprintf(out, "error: %s\n", err);
		else if (o.host)
			fprintf(out, "error: --host is for tern ss, not for the host itself\n");
		else if (o.help)
			ctl_help(out);
		else
			{
			o.ss.pid = (long)getpid();
			if (tern_ss_print(s, &o.ss, out) < 0)
				fprintf(out, "error: out of memory\n");
		}
	} else if (strcmp(argv[0], "stats") == 0 && argc <= 2 &&
		   (argc == 1 || strcmp(argv[1], "-a") == 0)) {
		tern_stack_stats_print(s, out, argc == 1);
	} else if (strcmp(argv[0], "nstat") == 0 && argc == 1) {
		/* As `nstat -a -z` prints them: name, value (no rate column). */
		for (int st = 1; st < TERN_STAT__COUNT; st++) {
			const char *n = tern_stat_nstat_name((enum tern_stat)st);
			if (n)
				fprintf(out, "%-32s%llu\n", n,
					(unsigned long long)tern_stack_stat(s, (enum tern_stat)st));
		}
	} else if (strcmp(argv[0], "mem") == 0 && argc == 1) {
		tern_stack_mem_print(s, out);
	} else if (strcmp(argv[0], "routes") == 0 && argc == 1) {
		tern_route_print(s, out);
	} else if (strcmp(argv[0], "sysctl") == 0) {
		cli_sysctl(s, argc, argv, out, out);
	} else if (strcmp(argv[0], "help") == 0 && argc == 1) {
		ctl_help(out);
	} else {
		fprintf(out, "error: unknown command '%s'%s (try: help)\n", argv[0],
			argc > 1 ? " or arguments" : "");
	}
}

static void ctl_conn_close(struct ctl_conn *cn)
{
	tern_rt_del_fd(cn->ctl->rt, cn->fd);
	close(cn->fd);
	cn->fd = -1;
}

/* The whole line is in: answer, then close. The answer is written in
 * blocking mode with a send timeout: it is small, and a client that does
 * not read stalls the host for at most that long. */
static void ctl_answer(struct ctl_conn *cn)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (out) {
		cn->line[cn->len < CTL_LINE_MAX ? cn->len : CTL_LINE_MAX - 1] = '\0';
		cn->line[strcspn(cn->line, "\n")] = '\0';
		ctl_command(cn->ctl, cn->line, out);
		fclose(out);
	}
	int fl = fcntl(cn->fd, F_GETFL);
	if (fl >= 0)
		fcntl(cn->fd, F_SETFL, fl & ~O_NONBLOCK);
	struct timeval tv = {.tv_sec = 2};
	setsockopt(cn->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (size_t off = 0; text && off < len;) {
		ssize_t n = send(cn->fd, text + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(text);
	ctl_conn_close(cn);
}

static void on_ctl_conn(void *ctx, struct tern_rt *rt, int fd, short revents)
{
	struct ctl_conn *cn = ctx;
	for (;;) {
		ssize_t n = recv(fd, cn->line + cn->len, CTL_LINE_MAX - 1 - cn->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			ctl_conn_close(cn);
			return;
		}
		cn->len += (size_t)n;
		/* A line, end of input or a full buffer: answer what came. */
		if (n == 0 || memchr(cn->line, '\n', cn->len) || cn->len == CTL_LINE_MAX - 1) {
			ctl_answer(cn);
			return;
		}
	}
}

static void on_ctl_accept(void *ctx, struct tern_rt *rt, int fd, short revents)
{
	struct ctl *c = ctx;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return; /* EAGAIN, or an aborted connection: nothing to do */
		struct ctl_conn *cn = NULL;
		for (unsigned i = 0; i < CTL_MAX_CONNS && !cn; i++)
			if (c->conns[i].fd < 0)
				cn = &c->conns[i];
		if (!cn || tern_rt_add_fd(rt, cfd, POLLIN, on_ctl_conn, cn) < 0) {
			static const char busy[] = "error: busy, try again\n";
			(void)!send(cfd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(cfd);
			continue;
		}
		cn->fd = cfd;
		cn->len = 0;
	}
}

static int mkdir_p(const char *dir)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* Is someone answering on the socket file at path? */
static bool socket_is_live(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool live = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return live;
}

/* Listen on DIR/NAME.sock. Failing is not fatal: the host runs without
 * a control socket, after a warning. */
static void ctl_open(struct ctl *c, struct tern_rt *rt, const char *name)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct stat st;
	memset(c, 0, sizeof(*c));
	c->rt = rt;
	c->lfd = -1;
	for (unsigned i = 0; i < CTL_MAX_CONNS; i++)
		c->conns[i] = (struct ctl_conn){.ctl = c, .fd = -1};
	const char *why = NULL;
	if (ss_ctl_path(name, sun.sun_path, sizeof(sun.sun_path)) < 0) {
		why = "the path is too long";
	} else if (mkdir_p(ss_run_dir()) < 0) {
		why = strerror(errno);
	} else if (lstat(sun.sun_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			why = "a file that is not a socket is in the way";
		else if (socket_is_live(&sun))
			why = "another tern host by that name answers on it (give this one "
			      "another --name)";
		else if (unlink(sun.sun_path) < 0) /* stale: its host died */
			why = strerror(errno);
	}
	snprintf(c->path, sizeof(c->path), "%s", sun.sun_path);
	if (!why) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
		    listen(fd, CTL_MAX_CONNS) < 0 || stat(sun.sun_path, &st) < 0) {
			why = strerror(errno);
			if (fd >= 0)
				close(fd);
		} else if (tern_rt_add_fd(rt, fd, POLLIN, on_ctl_accept, c) < 0) {
			why = "too many descriptors";
			unlink(sun.sun_path);
			close(fd);
		} else {
			c->lfd = fd;
			c->dev = st.st_dev;
			c->ino = st.st_ino;
		}
	}
	if (why) {
		fflush(stdout);
		fprintf(stderr, "tern host %s: warning: no control socket %s: %s; tern ss --host %s "
			"will not see this host\n", name, c->path, why, name);
	}
}

static void ctl_close(struct ctl *c)
{
	struct stat st;
	if (c->lfd < 0)
		return;
	for (unsigned i = 0; i < CTL_MAX_CONNS; i++)
		if (c->conns[i].fd >= 0)
			ctl_conn_close(&c->conns[i]);
	tern_rt_del_fd(c->rt, c->lfd);
	close(c->lfd);
	c->lfd = -1;
	/* Only if it is still the file we made (not a successor's). */
	if (stat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
}

/* ---- running ------------------------------------------------------------------ */

static void print_ready(const struct cli_net *n, const char *name)
{
	for (unsigned i = 0; i < n->ntaps; i++)
		printf("tern host %s: %s %s up%s\n", name, n->taps[i].ifname, n->taps[i].addr,
		       n->forward ? " (forwarding)" : "");
	fflush(stdout);
}

static int make_pcap_dir(const char *dir)
{
	if (mkdir(dir, 0777) == 0 || errno == EEXIST)
		return 0;
	cli_error(CMD, "cannot create capture directory %s: %s", dir, strerror(errno));
	return -1;
}

static int run(struct host_args *a)
{
	const char *name = a->net.name ? a->net.name : a->net.taps[0].ifname;
	a->net.name = name; /* captures are named after it too */
	struct tern_stack_config cfg;
	cli_stack_config(&cfg, name);
	cfg.forwarding = a->net.forward;
	cfg.log = log_to_stderr;
	cfg.log_ctx = (void *)name;

	if (a->net.pcap && make_pcap_dir(a->net.pcap) < 0)
		return CLI_EXIT_USAGE;
	cli_catch_signals();
	struct tern_rt *rt = cli_net_up(&a->net, CMD, &cfg);
	if (!rt)
		return CLI_EXIT_USAGE;

	struct echo *echo = calloc(1, sizeof(*echo));
	struct tcp_echo *techo = calloc(1, sizeof(*techo));
	struct ctl *ctl = calloc(1, sizeof(*ctl));
	if (!echo || !ctl || !techo) {
		cli_error(CMD, "out of memory");
		free(echo);
		free(techo);
		free(ctl);
		tern_rt_destroy(rt);
		return CLI_EXIT_USAGE;
	}
	ctl->lfd = -1;
	int status = a->net.probe ? settle_addresses(rt, &a->net, name) : 0;
	if (status == 0 && (echo_start(echo, tern_rt_stack(rt), a) < 0 ||
			    tcp_echo_start(techo, tern_rt_stack(rt), a) < 0))
		status = CLI_EXIT_USAGE;
	if (status == 0) {
		ctl_open(ctl, rt, name);
		for (unsigned i = 0; i < a->necho; i++)
			printf("tern host %s: udp echo on port %u\n", name, a->echo_ports[i]);
		for (unsigned i = 0; i < a->ntcp_echo; i++)
			printf("tern host %s: tcp echo on port %u\n", name, a->tcp_echo_ports[i]);
		if (ctl->lfd >= 0)
			printf("tern host %s: control socket %s\n", name, ctl->path);
		print_ready(&a->net, name);
		while (!cli_stop) {
			int rc = tern_rt_run_once(rt, TERN_SEC(1));
			if (rc < 0) {
				cli_error(CMD, "device error: %s", tern_strerror(rc));
				status = CLI_EXIT_USAGE;
				break;
			}
		}
	}
	ctl_close(ctl);
	if (status <= 0) {
		tern_stack_stats_print(tern_rt_stack(rt), stdout, true);
		fflush(stdout);
		status = status < 0 ? CLI_EXIT_OK : status;
	}
	tern_rt_destroy(rt);
	tcp_echo_free(techo);
	free(techo);
	free(ctl);
	free(echo);
	return status;
}

int cmd_host(int argc, char **argv)
{
	struct host_args a;
	memset(&a, 0, sizeof(a));
	a.net.max_taps = CLI_MAX_TAPS;
	a.net.allow_routes = true;
	a.net.pcap_is_dir = true;

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
