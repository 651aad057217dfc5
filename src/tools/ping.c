/*
 * tools/ping.c — `tern ping`: iputils ping's options and output, from a
 * tern host brought up on a TAP device. The ping engine (src/app/ping.c)
 * does the protocol work; this file parses options, builds the host with
 * the real-time runner and drives both until done or a signal.
 *
 * Where iputils 20221126 has its own words for a refusal (a count or TTL
 * out of range, a broadcast without -b, an unknown -I device), tern ping
 * prints them, on the same stream and with the same exit status; errors
 * that are tern's own (no --tap, ...) keep the "tern ping:" convention.
 * Signals as iputils: SIGINT ends with the statistics, SIGTERM kills
 * without them (status 143), SIGQUIT prints the one-line status on stderr.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tern/apps.h"
#include "tern/err.h"
#include "tern/netdev.h"
#include "tern/socket.h"
#include "tools/cmdline.h"
#include "tools/common.h"

#define CMD "ping"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tern ping [options] --tap IFNAME --addr ADDR/PREFIX DESTINATION\n"
		"\n"
		"Send ICMP echo requests from a tern host to DESTINATION (an IPv4 address)\n"
		"and print the replies and errors, as iputils ping does.\n"
		"\n"
		"Options:\n"
		"  -b                 allow pinging a broadcast address\n"
		"  -c COUNT           stop after sending COUNT requests (default: until Ctrl-C)\n"
		"  -f                 flood: '.' per request, a backspace per reply, 'E' per\n"
		"                     error; without -i, as -i 0\n"
		"  -i INTERVAL        seconds between requests (default 1; whole milliseconds);\n"
		"                     0: the next as soon as the last is answered, else 10 ms\n"
		"                     later (one in flight); below 2 ms for root only\n"
		"  -I IFACE|ADDRESS   source interface (tap0, lo) or address (the tern host's)\n"
		"  -M do|dont|want    path MTU discovery, as Linux's IP_MTU_DISCOVER:\n"
		"                     'want' (default): Don't Fragment set while the request fits\n"
		"                     the path MTU learnt from \"Frag needed\", fragmented here\n"
		"                     beyond; 'do': DF, a request larger than the path MTU is a\n"
		"                     local error; 'dont': no DF, fragmented to the path MTU\n"
		"  -q                 quiet: print only the first line and the statistics\n"
		"  -s SIZE            data bytes per request, 0..65507 (default 56)\n"
		"  -t TTL             IP time to live, 1..255 (default 64)\n"
		"  -W TIMEOUT         seconds to wait for replies after the last request when\n"
		"                     none came back yet (default 10)\n"
		"  -w DEADLINE        stop after DEADLINE seconds, whatever was sent or received\n"
		"  -h, --help         show this help\n"
		"\n"
		"%s"
		"  --pcap FILE        write every frame of that interface to FILE (pcap)\n"
		"\n"
		"Exit status: 0 if any reply came back, 1 if none did (or a count, size,\n"
		"TTL or deadline out of range, as iputils), 2 on other errors.\n"
		"Ctrl-C stops and prints the statistics; SIGTERM ends without them\n"
		"(status 143); SIGQUIT prints a status line on stderr and goes on.\n"
		"\n"
		"Example:\n"
		"  tern ping --tap tap0 --addr 10.0.0.2/24 --gw 10.0.0.1 -c 3 10.0.0.1\n",
		cli_net_usage);
}

struct ping_args {
	struct tern_ping_opts o;
	struct cli_net net;
	bool help;
	bool interval_set;       /* -i given (else -f floods with interval 0) */
	bool pmtu_set;           /* -M given (else -b sets DF, as iputils) */
	bool ttl_set;
	long ttl;                /* -t as typed: iputils refuses 0 only later */
	int status;              /* exit status of a refusal in iputils' words */
};

/* Where refusals go: stderr, or the lab's stream (cli_set_error_stream). */
static FILE *err_stream(void)
{
	FILE *f = cli_set_error_stream(NULL);
	cli_set_error_stream(f);
	return f ? f : stderr;
}

/* iputils' strtol_or_err: "ping: invalid argument: 'X'" (not a number),
 * ": Numerical result out of range" (overflow) or ": out of range: MIN <=
 * value <= MAX", on stderr, exit status 1. */
static int ip_strtol(struct ping_args *a, const char *arg, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	if (errno == ERANGE) {
		fprintf(err_stream(), "ping: invalid argument: '%s': %s\n", arg, strerror(ERANGE));
	} else if (end == arg || *end) {
		fprintf(err_stream(), "ping: invalid argument: '%s'\n", arg);
	} else if (v < min || v > max) {
		fprintf(err_stream(), "ping: invalid argument: '%s': out of range: %ld <= value <= %ld\n",
			arg, min, max);
	} else {
		*out = v;
		return 0;
	}
	a->status = CLI_EXIT_FAIL;
	return -1;
}

/* -M do|dont|want, as iputils 20221126: Linux's IP_MTU_DISCOVER modes
 * (tern/stack.h's enum tern_ip_pmtu). Its ping knows no 'probe' (Linux's
 * IP_PMTUDISC_PROBE; tracepath's): refused with iputils' message. */
static int parse_pmtudisc(const char *arg, uint8_t *mode)
{
	if (strcmp(arg, "do") == 0)
		*mode = TERN_IP_PMTU_DO;
	else if (strcmp(arg, "dont") == 0)
		*mode = TERN_IP_PMTU_DONT;
	else if (strcmp(arg, "want") == 0)
		*mode = TERN_IP_PMTU_WANT;
	else {
		fprintf(err_stream(), "ping: invalid -M argument: %s\n", arg);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* One short option's value into the engine options. Returns 0 or exit 2. */
/* One option for cli_parse_options(); ctx is the struct ping_args. */
static int take_option(void *ctx, int c, const char *arg)
{
	struct ping_args *a = ctx;
	long v;
	int bad = CLI_EXIT_USAGE;
	switch (c) {
	case 'b':
		a->o.broadcast = true;
		return 0;
	case 'c':
		if (ip_strtol(a, arg, 1, LONG_MAX, &v) < 0)
			return a->status;
		a->o.count = v > (long)UINT_MAX ? UINT_MAX : (unsigned)v;
		return 0;
	case 'f':
		a->o.flood = true;
		return 0;
	case 'i':
		if (cli_parse_seconds(CMD, "-i", arg, 0, TERN_SEC(3600 * 24), &a->o.interval) < 0)
			return bad;
		/* iputils keeps whole milliseconds: -i 0.0005 is -i 0. */
		a->o.interval -= a->o.interval % TERN_MSEC(1);
		a->interval_set = true;
		return 0;
	case 'I':
		/* An address, else an interface name (iputils' rule). */
		if (tern_ip4_parse(arg, &a->o.src) < 0) {
			a->o.src = 0;
			a->o.device = arg;
		}
		return 0;
	case 'M':
		a->pmtu_set = true;
		return parse_pmtudisc(arg, &a->o.pmtudisc);
	case 'q':
		a->o.quiet = true;
		return 0;
	case 's':
		if (ip_strtol(a, arg, 0, INT_MAX, &v) < 0)
			return a->status;
		if (v > 65507)
			return cli_usage_error(CMD, "invalid value '%s' for -s: at most 65507 "
					       "(an IPv4 datagram holds 65535 bytes)", arg);
		a->o.size = (size_t)v;
		return 0;
	case 't':
		if (ip_strtol(a, arg, 0, 255, &v) < 0)
			return a->status;
		a->ttl = v;
		a->ttl_set = true;
		return 0;
	case 'W':
		return cli_parse_seconds(CMD, "-W", arg, 0, TERN_SEC(3600 * 24), &a->o.timeout)
			       < 0 ? bad : 0;
	case 'w':
		/* iputils takes whole seconds here. */
		if (ip_strtol(a, arg, 0, INT_MAX, &v) < 0)
			return a->status;
		a->o.deadline = TERN_SEC(v);
		return 0;
	default:
		return bad;
	}
}

static int parse_args(struct ping_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		CLI_NET_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	int rc = cli_parse_options(CMD, argc, argv, ":bc:fi:I:M:qs:t:W:w:h", longopts, &a->net,
				   take_option, a, &a->help);
	if (rc && a->status)
		return a->status; /* refused in iputils' words, with its status */
	if (rc || a->help)
		return rc;
	if (optind >= argc)
		return cli_usage_error(CMD, "missing DESTINATION");
	if (optind + 1 < argc)
		return cli_usage_error(CMD, "unexpected argument '%s' after DESTINATION",
				       argv[optind + 1]);
	a->o.dst_name = argv[optind];
	if (tern_ip4_parse(argv[optind], &a->o.dst) < 0)
		return cli_usage_error(CMD, "invalid DESTINATION '%s': expected an IPv4 address "
				       "(tern ping does not resolve names)", argv[optind]);
	if (a->o.flood && !a->interval_set)
		a->o.interval = 0;
	/* iputils: -b (or a multicast destination) sets Don't Fragment
	 * unless -M said otherwise. */
	if (a->o.broadcast && !a->pmtu_set)
		a->o.pmtudisc = TERN_IP_PMTU_DO;
	/* else a Linux socket's default (net.ipv4.ip_no_pmtu_disc 0) */
	if (!a->o.pmtudisc)
		a->o.pmtudisc = TERN_IP_PMTU_WANT;
	a->o.ttl = (uint8_t)a->ttl; /* 0 (not given): the stack's default */
	return 0;
}

static void log_to_stderr(void *ctx, struct tern_stack *s, const char *msg)
{
	cli_error(CMD, "%s", msg);
}

/* Why tern_ping_start refused, in ping's words where it has them. */
static void start_error(const struct ping_args *a, int err)
{
	if (err == TERN_ENETUNREACH)
		fprintf(stderr, "ping: connect: Network is unreachable\n");
	else if (err == TERN_EADDRNOTAVAIL)
		fprintf(stderr, "ping: bind: Cannot assign requested address\n");
	else
		cli_error(CMD, "cannot start: %s", tern_strerror(err));
}

/* What iputils learns before its first request, with a UDP socket it
 * connects to the destination: whether there is a route (else "connect:
 * Network is unreachable"), whether the destination is a broadcast
 * (EACCES without SO_BROADCAST: refused unless -b). An explicit -I ADDR
 * skips the probe, as in iputils.
 * Returns 0 or the exit status. */
static int probe_route(struct ping_args *a, struct tern_stack *s)
{
	if (a->o.device && tern_stack_iface_find(s, a->o.device) < 0) {
		fprintf(stderr, "ping: SO_BINDTODEVICE %s: No such device\n", a->o.device);
		return CLI_EXIT_USAGE;
	}
	if (a->o.src)
		return 0;
	int sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	if (sd < 0) {
		cli_error(CMD, "socket: %s", tern_strerror(sd));
		return CLI_EXIT_USAGE;
	}
	struct tern_sockaddr_in to = {.addr = a->o.dst, .port = 1025};
	int rc = tern_connect(s, sd, &to);
	if (rc == TERN_EACCES) {
		if (!a->o.broadcast) {
			tern_close(s, sd);
			fprintf(stderr, "ping: Do you want to ping broadcast? Then -b. If not, "
				"check your local firewall rules\n");
			return CLI_EXIT_USAGE;
		}
		fprintf(stderr, "WARNING: pinging broadcast address\n");
		int on = 1;
		tern_setsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_BROADCAST, &on, sizeof(on));
		rc = tern_connect(s, sd, &to);
	}
	tern_close(s, sd);
	/* With -I IFACE the engine binds the requests to the device
	 * (tern_ping_start): its routes, else its link, and its source. */
	if (a->o.device && (rc == TERN_ENETUNREACH || rc == TERN_EHOSTUNREACH || rc == 0))
		return 0;
	if (rc == TERN_ENETUNREACH || rc == TERN_EHOSTUNREACH) {
		fprintf(stderr, "ping: connect: %s\n", tern_strerror(rc));
		return CLI_EXIT_USAGE;
	}
	if (rc < 0) {
		cli_error(CMD, "connect: %s", tern_strerror(rc));
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static volatile sig_atomic_t got_term, got_quit;

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
	cli_stop = 1;
}

static void on_quit(int sig)
{
	(void)sig;
	got_quit = 1;
}

/* SIGINT stops with the statistics (cli_catch_signals); SIGTERM and
 * SIGQUIT as iputils, which leaves SIGTERM to its default action and
 * prints a status line on SIGQUIT. No SA_RESTART: the runner must wake. */
static void catch_signals(void)
{
	cli_catch_signals();
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_quit;
	sigaction(SIGQUIT, &sa, NULL);
}

/* Drive the runner until the ping is done or a signal stops it. */
static int run_ping(struct tern_rt *rt, struct tern_ping *p)
{
	while (!cli_stop && !tern_ping_done(p)) {
		if (got_quit) {
			got_quit = 0;
			tern_ping_status(p);
		}
		int fatal = tern_rt_run_once(rt, TERN_SEC(1));
		if (fatal < 0) {
			cli_error(CMD, "device error: %s", tern_strerror(fatal));
			return fatal;
		}
	}
	return 0;
}

static int run(struct ping_args *a)
{
	struct tern_stack_config cfg;
	cli_stack_config(&cfg, "tern-ping");
	cfg.log = log_to_stderr;

	catch_signals();
	struct tern_rt *rt = cli_net_up(&a->net, CMD, &cfg);
	if (!rt)
		return CLI_EXIT_USAGE;
	int status = probe_route(a, tern_rt_stack(rt));
	if (status == 0 && a->ttl_set && a->ttl == 0) {
		/* iputils takes -t 0, then IP_TTL refuses it. */
		fprintf(stderr, "ping: cannot set unicast time-to-live: Invalid argument\n");
		status = CLI_EXIT_USAGE;
	}
	if (status == 0 && getuid() != 0 && a->o.interval < TERN_MSEC(2)) {
		fprintf(stderr, "ping: cannot flood; minimal interval allowed for user is 2ms\n");
		status = CLI_EXIT_USAGE;
	}
	if (status) {
		tern_rt_destroy(rt);
		return status;
	}
	a->o.err = stderr;
	int err;
	struct tern_ping *p = tern_ping_start(tern_rt_stack(rt), &a->o, stdout, tern_rt_now(rt),
					      &err);
	if (!p) {
		start_error(a, err);
		tern_rt_destroy(rt);
		return CLI_EXIT_USAGE;
	}
	int fatal = run_ping(rt, p);
	if (got_term) {
		/* iputils dies of SIGTERM: no statistics, status 128 + 15. The
		 * host goes first, so its captures are complete. */
		tern_ping_free(p);
		tern_rt_destroy(rt);
		fflush(stdout);
		signal(SIGTERM, SIG_DFL);
		raise(SIGTERM);
		return 128 + SIGTERM;
	}
	status = tern_ping_finish(p, tern_rt_now(rt));
	if (fatal < 0)
		status = CLI_EXIT_USAGE;
	tern_rt_destroy(rt);
	return status;
}

int ping_cmdline(int argc, char **argv, struct tern_ping_opts *o)
{
	struct ping_args a;
	memset(&a, 0, sizeof(a));
	tern_ping_opts_init(&a.o);
	a.net.max_taps = 1;
	int rc = parse_args(&a, argc, argv);
	if (rc == 0)
		rc = cli_net_unused(&a.net, CMD, a.help);
	*o = a.o;
	return rc;
}

int cmd_ping(int argc, char **argv)
{
	struct ping_args a;
	memset(&a, 0, sizeof(a));
	tern_ping_opts_init(&a.o);
	a.o.ident = (uint16_t)(getpid() & 0xffff);
	a.net.max_taps = 1;

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
