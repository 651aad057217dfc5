/*
 * tools/traceroute.c — `tern traceroute`: the Linux traceroute's options
 * and output, from a tern host brought up on a TAP device. The engine
 * (src/app/traceroute.c) sends the probes and prints; this file parses
 * options, builds the host with the real-time runner and drives it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tern/apps.h"
#include "tern/err.h"
#include "tools/cmdline.h"
#include "tools/common.h"

#define CMD "traceroute"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tern traceroute [options] --tap IFNAME --addr ADDR/PREFIX HOST [PACKETLEN]\n"
		"\n"
		"Print the routers on the way from a tern host to HOST (an IPv4 address), as\n"
		"traceroute does: probes with TTL 1, 2, 3 ... each make the router where the\n"
		"TTL runs out answer with an ICMP time-exceeded message. PACKETLEN is the\n"
		"probes' total IP length (default 60).\n"
		"\n"
		"Options:\n"
		"  -F                 do not fragment probes (DF set): a router whose next hop\n"
		"                     is too small answers !F-MTU instead of fragmenting\n"
		"  -I                 probe with ICMP echo requests instead of UDP datagrams\n"
		"  -f FIRST_TTL       start at hop FIRST_TTL (default 1)\n"
		"  -m MAX_TTL         give up after MAX_TTL hops, 1..255 (default 30)\n"
		"  -N SQUERIES        probes in flight at once, 1..1000 (default 16)\n"
		"  -n                 print addresses only (tern has no resolver, so the default\n"
		"                     repeats the address where a name would go)\n"
		"  -p PORT            UDP: destination port of the first probe (default 33434),\n"
		"                     one more for each further probe\n"
		"  -q NQUERIES        probes per hop, 1..10 (default 3)\n"
		"  -w MAX[,HERE[,NEAR]]\n"
		"                     wait for an answer at most MAX seconds (default 5), or HERE\n"
		"                     times the round trip of an answered probe of the same hop\n"
		"                     (default 3), or NEAR times that of a later probe (default\n"
		"                     10); 0 turns HERE or NEAR off\n"
		"  -h, --help         show this help\n"
		"\n"
		"%s"
		"  --pcap FILE        write every frame of that interface to FILE (pcap)\n"
		"\n"
		"Each line: hop number, the address that answered, the round-trip time of each\n"
		"probe ('*' for no answer), and a note when a router refused: !H host, !N\n"
		"network, !P protocol unreachable, !X prohibited, !F-MTU fragmentation needed.\n"
		"\n"
		"Exit status: 0, whether or not HOST answered (as traceroute); 2 on errors.\n"
		"\n"
		"Example:\n"
		"  tern traceroute --tap tap0 --addr 10.0.0.2/24 --gw 10.0.0.1 -n 10.9.9.9\n",
		cli_net_usage);
}

struct tr_args {
	struct tern_traceroute_opts o;
	struct cli_net net;
	bool help;
};

static int parse_double(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (!*s || *end || !(v >= 0) || v > 1e6)
		return -1;
	*out = v;
	return 0;
}

/* -w MAX[,HERE[,NEAR]], as traceroute takes it. */
static int parse_wait(struct tr_args *a, const char *arg)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", arg);
	char *here = strchr(buf, ',');
	char *near = NULL;
	if (here) {
		*here++ = '\0';
		near = strchr(here, ',');
		if (near)
			*near++ = '\0';
	}
	if (cli_parse_seconds(CMD, "-w", buf, 0, TERN_SEC(86400), &a->o.wait) < 0)
		return CLI_EXIT_USAGE;
	if ((here && parse_double(here, &a->o.wait_here) < 0) ||
	    (near && parse_double(near, &a->o.wait_near) < 0))
		return cli_usage_error(CMD, "invalid value '%s' for -w: expected MAX[,HERE[,NEAR]] "
				       "(non-negative numbers, e.g. 5,3,10)", arg);
	return 0;
}

static int take_uint(const char *opt, const char *arg, unsigned long min, unsigned long max,
		     unsigned long *v)
{
	return cli_parse_uint(CMD, opt, arg, min, max, v) < 0 ? CLI_EXIT_USAGE : 0;
}

/* One option for cli_parse_options(); ctx is the struct tr_args. */
static int take_option(void *ctx, int c, const char *arg)
{
	struct tr_args *a = ctx;
	unsigned long v = 0;
	int rc = 0;
	switch (c) {
	case 'F':
		a->o.dont_fragment = true;
		break;
	case 'I':
		a->o.icmp = true;
		break;
	case 'n':
		a->o.numeric = true;
		break;
	case 'f':
		if (!(rc = take_uint("-f", arg, 1, 255, &v)))
			a->o.first_ttl = (uint8_t)v;
		break;
	case 'm':
		if (!(rc = take_uint("-m", arg, 1, 255, &v)))
			a->o.max_ttl = (uint8_t)v;
		break;
	case 'N':
		if (!(rc = take_uint("-N", arg, 1, 1000, &v)))
			a->o.sim_queries = (unsigned)v;
		break;
	case 'p':
		if (!(rc = take_uint("-p", arg, 1, 65535, &v)))
			a->o.port = (uint16_t)v;
		break;
	case 'q':
		if (!(rc = take_uint("-q", arg, 1, 10, &v)))
			a->o.nqueries = (unsigned)v;
		break;
	case 'w':
		rc = parse_wait(a, arg);
		break;
	default:
		rc = CLI_EXIT_USAGE;
	}
	return rc;
}

static int take_operands(struct tr_args *a, int argc, char **argv)
{
	if (optind >= argc)
		return cli_usage_error(CMD, "missing HOST");
	a->o.dst_name = argv[optind];
	if (tern_ip4_parse(argv[optind], &a->o.dst) < 0)
		return cli_usage_error(CMD, "invalid HOST '%s': expected an IPv4 address "
				       "(tern traceroute does not resolve names)", argv[optind]);
	if (optind + 1 < argc) {
		unsigned long v;
		if (cli_parse_uint(CMD, "PACKETLEN", argv[optind + 1], 0, 65000, &v) < 0)
			return CLI_EXIT_USAGE;
		a->o.packetlen = v;
	}
	if (optind + 2 < argc)
		return cli_usage_error(CMD, "unexpected argument '%s' after PACKETLEN",
				       argv[optind + 2]);
	if (a->o.first_ttl > a->o.max_ttl)
		return cli_usage_error(CMD, "invalid value '%u' for -f: first hop beyond -m %u",
				       a->o.first_ttl, a->o.max_ttl);
	return 0;
}

static int parse_args(struct tr_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		CLI_NET_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	int rc = cli_parse_options(CMD, argc, argv, ":FIf:m:N:np:q:w:h", longopts, &a->net,
				   take_option, a, &a->help);
	if (rc || a->help)
		return rc;
	return take_operands(a, argc, argv);
}

static void log_to_stderr(void *ctx, struct tern_stack *s, const char *msg)
{
	cli_error(CMD, "%s", msg);
}

static bool app_done(const void *app)
{
	return tern_traceroute_done(app);
}

static int run(struct tr_args *a)
{
	struct tern_stack_config cfg;
	cli_stack_config(&cfg, "tern-traceroute");
	cfg.log = log_to_stderr;

	cli_catch_signals();
	struct tern_rt *rt = cli_net_up(&a->net, CMD, &cfg);
	if (!rt)
		return CLI_EXIT_USAGE;
	int err;
	struct tern_traceroute *t = tern_traceroute_start(tern_rt_stack(rt), &a->o, stdout,
							  tern_rt_now(rt), &err);
	if (!t) {
		if (err == TERN_ENETUNREACH)
			cli_error(CMD, "connect: Network is unreachable (no route to %s; try --gw)",
				  a->o.dst_name);
		else
			cli_error(CMD, "cannot start: %s", tern_strerror(err));
		tern_rt_destroy(rt);
		return CLI_EXIT_USAGE;
	}
	int fatal = cli_run_app(rt, CMD, app_done, t);
	/* As traceroute: 0 whether or not HOST answered (the lines say it). */
	tern_traceroute_finish(t, tern_rt_now(rt));
	int status = fatal < 0 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	tern_rt_destroy(rt);
	return status;
}

int traceroute_cmdline(int argc, char **argv, struct tern_traceroute_opts *o)
{
	struct tr_args a;
	memset(&a, 0, sizeof(a));
	tern_traceroute_opts_init(&a.o);
	a.net.max_taps = 1;
	int rc = parse_args(&a, argc, argv);
	if (rc == 0)
		rc = cli_net_unused(&a.net, CMD, a.help);
	*o = a.o;
	return rc;
}

int cmd_traceroute(int argc, char **argv)
{
	struct tr_args a;
	memset(&a, 0, sizeof(a));
	tern_traceroute_opts_init(&a.o);
	/* The ICMP id and the UDP probes' source port: an ephemeral port, as
	 * Linux's traceroute gets from the kernel, here from the dynamic
	 * range tern's sockets use (49152 + pid mod 16384). getpid() & 0xffff
	 * could be a well-known port, which tshark then decodes the probes as
	 * (rwho on 513 ...). */
	a.o.ident = (uint16_t)(49152 + getpid() % 16384);
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
