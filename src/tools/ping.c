/*
 * tools/ping.c — `tern ping`: iputils ping's options and output, from a
 * tern host brought up on a TAP device. The ping engine (src/app/ping.c)
 * does the protocol work; this file parses options, builds the host with
 * the real-time runner and drives both until done or Ctrl-C.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tern/apps.h"
#include "tern/err.h"
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
		"  -c COUNT           stop after sending COUNT requests (default: until Ctrl-C)\n"
		"  -i INTERVAL        seconds between requests (default 1)\n"
		"  -I ADDRESS         source address (one of the tern host's)\n"
		"  -M do|dont|want    path MTU discovery: 'do' sets Don't Fragment, so a too-big\n"
		"                     request is refused rather than fragmented; 'dont' and\n"
		"                     'want' (default) let the datagram be fragmented\n"
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
		"Exit status: 0 if any reply came back, 1 if none did, 2 on errors.\n"
		"Ctrl-C stops and prints the statistics.\n"
		"\n"
		"Example:\n"
		"  tern ping --tap tap0 --addr 10.0.0.2/24 --gw 10.0.0.1 -c 3 10.0.0.1\n",
		cli_net_usage);
}

struct ping_args {
	struct tern_ping_opts o;
	struct cli_net net;
	bool help;
};

/* -M do|dont|want. Without a path-MTU cache in the stack, 'want' sends
 * like 'dont': the stack fragments what does not fit. */
static int parse_pmtudisc(const char *arg, bool *df)
{
	if (strcmp(arg, "do") == 0)
		*df = true;
	else if (strcmp(arg, "dont") == 0 || strcmp(arg, "want") == 0)
		*df = false;
	else
		return cli_usage_error(CMD, "invalid value '%s' for -M: expected do, dont or want",
				       arg);
	return 0;
}

/* One short option's value into the engine options. Returns 0 or exit 2. */
/* One option for cli_parse_options(); ctx is the struct ping_args. */
static int take_option(void *ctx, int c, const char *arg)
{
	struct ping_args *a = ctx;
	unsigned long v;
	int bad = CLI_EXIT_USAGE;
	switch (c) {
	case 'c':
		if (cli_parse_uint(CMD, "-c", arg, 1, 0xffffffffu, &v) < 0)
			return bad;
		a->o.count = (unsigned)v;
		return 0;
	case 'i':
		return cli_parse_seconds(CMD, "-i", arg, 0, TERN_SEC(3600 * 24), &a->o.interval)
			       < 0 ? bad : 0;
	case 'I':
		return cli_parse_ip(CMD, "-I", arg, &a->o.src) < 0 ? bad : 0;
	case 'M':
		return parse_pmtudisc(arg, &a->o.df);
	case 'q':
		a->o.quiet = true;
		return 0;
	case 's':
		if (cli_parse_uint(CMD, "-s", arg, 0, 65507, &v) < 0)
			return bad;
		a->o.size = v;
		return 0;
	case 't':
		if (cli_parse_uint(CMD, "-t", arg, 1, 255, &v) < 0)
			return bad;
		a->o.ttl = (uint8_t)v;
		return 0;
	case 'W':
		return cli_parse_seconds(CMD, "-W", arg, 0, TERN_SEC(3600 * 24), &a->o.timeout)
			       < 0 ? bad : 0;
	case 'w':
		/* iputils takes whole seconds here. */
		if (cli_parse_uint(CMD, "-w", arg, 0, 2147483647, &v) < 0)
			return bad;
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
	int rc = cli_parse_options(CMD, argc, argv, ":c:i:I:M:qs:t:W:w:h", longopts, &a->net,
				   take_option, a, &a->help);
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
	return 0;
}

static void log_to_stderr(void *ctx, struct tern_stack *s, const char *msg)
{
	cli_error(CMD, "%s", msg);
}

/* Why tern_ping_start refused, in ping's words where it has them. */
static void start_error(const struct ping_args *a, int err)
{
	char ip[TERN_IP4_STRLEN];
	if (err == TERN_ENETUNREACH)
		cli_error(CMD, "connect: Network is unreachable (no route to %s; try --gw)",
			  a->o.dst_name);
	else if (err == TERN_EADDRNOTAVAIL)
		cli_error(CMD, "-I %s: not an address of this host", tern_ip4_str(a->o.src, ip));
	else
		cli_error(CMD, "cannot start: %s", tern_strerror(err));
}

static bool app_done(const void *app)
{
	return tern_ping_done(app);
}

static int run(struct ping_args *a)
{
	struct tern_stack_config cfg;
	cli_stack_config(&cfg, "tern-ping");
	cfg.log = log_to_stderr;

	cli_catch_signals();
	struct tern_rt *rt = cli_net_up(&a->net, CMD, &cfg);
	if (!rt)
		return CLI_EXIT_USAGE;
	int err;
	struct tern_ping *p = tern_ping_start(tern_rt_stack(rt), &a->o, stdout, tern_rt_now(rt),
					      &err);
	if (!p) {
		start_error(a, err);
		tern_rt_destroy(rt);
		return CLI_EXIT_USAGE;
	}
	int fatal = cli_run_app(rt, CMD, app_done, p);
	int status = tern_ping_finish(p, tern_rt_now(rt));
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
