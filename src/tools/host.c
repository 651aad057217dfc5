/*
 * tools/host.c — `tern host`: a long-lived tern host (or router, with
 * --forward) on one or more TAP devices. It answers ARP and ping (the
 * stack does that by itself), and UDP echo on the --udp-echo ports, until
 * SIGINT or SIGTERM, then prints the counters that moved. Tests and
 * scripts wait for the "... up" lines it prints when ready.
 *
 * It also serves its control socket, DIR/NAME.sock (DIR /run/tern or
 * $TERN_RUN_DIR), from the same event loop (cli_ctl_open, tools/common.c,
 * as every tern program with sockets does): `tern ss --host NAME` and
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
#include "tern/tcp.h"
#include "tools/common.h"
#include "tools/ss_opts.h"

#define CMD "host"
#define PROBE_LIMIT TERN_SEC(30) /* RFC 5227 probing takes under 10 s */
#define MAX_ECHO_PORTS 8
#define OPT_UDP_ECHO 2000
#define OPT_TCP_ECHO 2001
#define OPT_TCP_TRACE 2002

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tern host --tap IFNAME --addr ADDR/PREFIX [--tap IFNAME --addr ADDR/PREFIX ...]\n"
		"                 [--route PREFIX,NEXTHOP ...] [--gw GATEWAY] [--forward]\n"
		"                 [--mtu N] [--pcap DIR] [--name NAME] [--probe]\n"
		"                 [--arp strict] [--arp static,IP,MAC ...]\n"
		"                 [--loss PCT] [--delay MS] [--jitter MS] [--duplicate PCT]\n"
		"                 [--corrupt PCT] [--reorder PCT] [--ce PCT] [--rate BITS]\n"
		"                 [--queue BYTES|red,...] [--fault-seed N]\n"
		"                 [--fault-dir in|out|both]\n"
		"                 [--udp-echo PORT ...] [--tcp-echo PORT ...] [--tcp-trace FILE]\n"
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
		"  --tcp-trace FILE         a line per TCP event of every connection (segment sent\n"
		"                           or resent, ACK received, state, cwnd, ssthresh and srtt\n"
		"                           changes) to FILE (\"-\": stdout), for plotting; the\n"
		"                           first line names the columns\n"
		"  --probe                  check that each address is free first (RFC 5227 ARP\n"
		"                           probes); exit 1 if another host has it\n"
		"  --arp strict             learn neighbours only from answers to the host's own\n"
		"                           ARP requests (requests to it are answered, not learned)\n"
		"  --arp static,IP,MAC      IP is always at MAC: a static entry no ARP packet\n"
		"                           changes; repeatable\n"
		"  --loss/--duplicate/--corrupt/--reorder PCT   impair every frame, both\n"
		"                           directions, with tern's seeded fault injector\n"
		"  --ce PCT                 mark CE on this share of ECN-capable IPv4 packets\n"
		"                           (RFC 3168 §5), as a congested ECN router does\n"
		"  --queue BYTES|red,min=BYTES,max=BYTES,p=PCT[,limit=BYTES][,weight=PCT][,ecn]\n"
		"                           the queue behind --rate: drop-tail, or RED that\n"
		"                           marks CE (ecn) or drops early\n"
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
	const char *tcp_trace;   /* --tcp-trace FILE ("-": stdout) */
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
	case OPT_UDP_ECHO:
		return take_echo_port("--udp-echo", a->echo_ports, &a->necho, arg);
	case OPT_TCP_ECHO:
		return take_echo_port("--tcp-echo", a->tcp_echo_ports, &a->ntcp_echo, arg);
	case OPT_TCP_TRACE:
		a->tcp_trace = arg;
		return 0;
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
		{"probe", no_argument, NULL, CLI_OPT_PROBE},
		{"udp-echo", required_argument, NULL, OPT_UDP_ECHO},
		{"tcp-echo", required_argument, NULL, OPT_TCP_ECHO},
		{"tcp-trace", required_argument, NULL, OPT_TCP_TRACE},
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

/* --tcp-trace: one line per event. */
static void trace_line(void *ctx, struct tern_stack *s, const struct tern_tcp_trace_event *ev)
{
	(void)s;
	char line[256];
	tern_tcp_trace_format(ev, line, sizeof(line));
	fprintf(ctx, "%s\n", line);
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
	FILE *trace = NULL;
	if (a->tcp_trace) {
		trace = strcmp(a->tcp_trace, "-") == 0 ? stdout : fopen(a->tcp_trace, "w");
		if (!trace) {
			cli_error(CMD, "--tcp-trace %s: %s", a->tcp_trace, strerror(errno));
			return CLI_EXIT_USAGE;
		}
		setvbuf(trace, NULL, _IOLBF, 0); /* readable while the host runs */
		fprintf(trace, "# %s\n", TERN_TCP_TRACE_COLUMNS);
	}
	cli_catch_signals();
	struct tern_rt *rt = cli_net_up(&a->net, CMD, &cfg);
	if (!rt) {
		if (trace && trace != stdout)
			fclose(trace);
		return CLI_EXIT_USAGE;
	}
	if (trace)
		tern_tcp_set_trace(tern_rt_stack(rt), -1, trace_line, trace);

	struct echo *echo = calloc(1, sizeof(*echo));
	struct tcp_echo *techo = calloc(1, sizeof(*techo));
	struct cli_ctl *ctl = NULL;
	if (!echo || !techo) {
		cli_error(CMD, "out of memory");
		free(echo);
		free(techo);
		tern_rt_destroy(rt);
		if (trace && trace != stdout)
			fclose(trace);
		return CLI_EXIT_USAGE;
	}
	int status = a->net.probe ? settle_addresses(rt, &a->net, name) : 0;
	if (status == 0 && (echo_start(echo, tern_rt_stack(rt), a) < 0 ||
			    tcp_echo_start(techo, tern_rt_stack(rt), a) < 0))
		status = CLI_EXIT_USAGE;
	if (status == 0) {
		ctl = cli_ctl_open(rt, name, "tern host", true);
		for (unsigned i = 0; i < a->necho; i++)
			printf("tern host %s: udp echo on port %u\n", name, a->echo_ports[i]);
		for (unsigned i = 0; i < a->ntcp_echo; i++)
			printf("tern host %s: tcp echo on port %u\n", name, a->tcp_echo_ports[i]);
		if (ctl)
			printf("tern host %s: control socket %s\n", name, cli_ctl_path(ctl));
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
	cli_ctl_close(ctl);
	if (status <= 0) {
		tern_stack_stats_print(tern_rt_stack(rt), stdout, true);
		fflush(stdout);
		status = status < 0 ? CLI_EXIT_OK : status;
	}
	tern_rt_destroy(rt);
	if (trace && trace != stdout)
		fclose(trace);
	tcp_echo_free(techo);
	free(techo);
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
