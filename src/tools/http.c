/*
 * tools/http.c — `tern http`: serve a directory over HTTP/1.1 from a tern
 * host on a TAP device until Ctrl-C (or SIGTERM):
 *
 *   tern http [-p PORT] [-b ADDR] [options] --tap IF --addr A/P [DIR]
 *
 * The server is the library's engine (tern_httpd_* in tern/apps.h, the
 * one the simulator runs); this file parses options and drives it with
 * the real clock. The access log (Common Log Format) goes to stdout,
 * messages to stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tern/apps.h"
#include "tern/err.h"
#include "tern/rt.h"
#include "tools/cmdline.h"
#include "tools/common.h"

#define CMD "http"

enum { OPT_MAX_CONNS = 2000, OPT_IDLE, OPT_NO_INDEX, OPT_QUIET };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tern http [-p PORT] [-b ADDR] [options] --tap IFNAME --addr ADDR/PREFIX [DIR]\n"
		"\n"
		"Serve the files under DIR (default: the current directory) over HTTP/1.1 from a\n"
		"tern host until Ctrl-C: GET and HEAD, keep-alive, one \"Range: bytes=A-B\", a\n"
		"listing for a directory without index.html. One line per request goes to\n"
		"stdout in Common Log Format. The listener takes TCP Fast Open clients (a\n"
		"request on the SYN, answered in the SYN-ACK's round trip; at most 256 such\n"
		"connections still opening) when the host has --sysctl net.ipv4.tcp_fastopen=3.\n"
		"\n"
		"Options:\n"
		"  -p, --port PORT    port to listen on (default 80)\n"
		"  -b, --bind ADDR    local address to listen on (default: all of the host's)\n"
		"  --max-conns N      connections served at once (default 64); beyond that a\n"
		"                     connection is answered 503 and closed\n"
		"  --idle-timeout S   close a keep-alive connection idle this long (default 5)\n"
		"  --no-index         a directory without index.html is 403, not a listing\n"
		"  -q, --quiet        no access log\n"
		"  -h, --help         show this help\n"
		"\n"
		"%s%s"
		"  --pcap FILE        write every frame of that interface to FILE (pcap)\n"
		"\n"
		"Exit status: 0 when stopped; 1 if the port cannot be listened on; 2 on\n"
		"usage errors.\n"
		"\n"
		"Example:\n"
		"  tern http -p 8080 --tap tap0 --addr 10.0.0.2/24 /srv/www\n"
		"  curl http://10.0.0.2:8080/     (from the Linux side of tap0)\n",
		cli_net_usage, cli_ctl_usage);
}

struct http_args {
	struct cli_net net;
	bool help, quiet, no_index;
	uint16_t port;
	tern_ip4_t bind;
	unsigned max_conns;
	tern_time_t idle;
	const char *dir;
};

static int take_option(void *ctx, int c, const char *arg)
{
	struct http_args *a = ctx;
	unsigned long v;
	switch (c) {
	case 'p':
		if (cli_parse_uint(CMD, "-p", arg, 1, 65535, &v) < 0)
			return CLI_EXIT_USAGE;
		a->port = (uint16_t)v;
		return 0;
	case 'b':
		return cli_parse_ip(CMD, "-b", arg, &a->bind) < 0 ? CLI_EXIT_USAGE : 0;
	case 'q': a->quiet = true; return 0;
	case OPT_NO_INDEX: a->no_index = true; return 0;
	case OPT_MAX_CONNS:
		if (cli_parse_uint(CMD, "--max-conns", arg, 1, 100000, &v) < 0)
			return CLI_EXIT_USAGE;
		a->max_conns = (unsigned)v;
		return 0;
	case OPT_IDLE:
		return cli_parse_seconds(CMD, "--idle-timeout", arg, TERN_MSEC(1), TERN_SEC(86400),
					 &a->idle) < 0 ? CLI_EXIT_USAGE : 0;
	default:
		return CLI_EXIT_USAGE;
	}
}

static int parse_args(struct http_args *a, int argc, char **argv, bool check_dir)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"port", required_argument, NULL, 'p'},
		{"bind", required_argument, NULL, 'b'},
		{"quiet", no_argument, NULL, 'q'},
		{"max-conns", required_argument, NULL, OPT_MAX_CONNS},
		{"idle-timeout", required_argument, NULL, OPT_IDLE},
		{"no-index", no_argument, NULL, OPT_NO_INDEX},
		CLI_NET_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	int rc = cli_parse_options(CMD, argc, argv, ":p:b:qh", longopts, &a->net, take_option, a,
				   &a->help);
	if (rc || a->help)
		return rc;
	int n = argc - optind;
	if (n > 1)
		return cli_usage_error(CMD, "unexpected argument '%s' after DIR", argv[optind + 1]);
	if (n == 1)
		a->dir = argv[optind];
	struct stat st;
	if (check_dir && (stat(a->dir, &st) < 0 || !S_ISDIR(st.st_mode)))
		return cli_usage_error(CMD, "'%s' is not a directory", a->dir);
	return 0;
}

static int64_t wall_clock(void *ctx)
{
	(void)ctx;
	return (int64_t)time(NULL);
}

static int run(const struct http_args *a)
{
	struct tern_stack_config cfg;
	cli_stack_config(&cfg, "tern-http");
	cli_catch_signals();
	struct tern_rt *rt = cli_net_up(&a->net, CMD, &cfg);
	if (!rt)
		return CLI_EXIT_USAGE;
	/* tern ss sees this program's sockets through its control socket. */
	char ctl_name[48];
	struct cli_ctl *ctl = cli_ctl_open(rt, cli_ctl_name(&a->net, CMD, ctl_name, sizeof(ctl_name)),
					   "tern " CMD, a->net.name != NULL);
	char *root = realpath(a->dir, NULL);
	if (!root) {
		cli_error(CMD, "%s: cannot resolve the directory", a->dir);
		cli_ctl_close(ctl);
		tern_rt_destroy(rt);
		return CLI_EXIT_USAGE;
	}
	/* "/" as the root: paths are appended to it, so no trailing slash */
	if (strcmp(root, "/") == 0)
		root[0] = '\0';
	struct tern_httpd_opts o;
	tern_httpd_opts_init(&o);
	o.port = a->port;
	o.addr = a->bind;
	o.root = root[0] ? root : "/.";
	if (a->max_conns)
		o.max_conns = a->max_conns;
	if (a->idle)
		o.idle_timeout = a->idle;
	o.no_index = a->no_index;
	o.log = a->quiet ? NULL : stdout;
	o.diag = stderr;
	o.wall_clock = wall_clock;
	int err, status = CLI_EXIT_OK;
	struct tern_httpd *h = tern_httpd_start(tern_rt_stack(rt), &o, tern_rt_now(rt), &err);
	if (!h) {
		status = CLI_EXIT_FAIL;
	} else {
		char ip[TERN_IP4_STRLEN];
		fprintf(stderr, "tern http: serving %s on %s port %u\n", a->dir,
			tern_ip4_str(a->bind, ip), a->port);
		while (!cli_stop) {
			int rc = tern_rt_run_once(rt, TERN_SEC(1));
			if (rc < 0) {
				cli_error(CMD, "device error: %s", tern_strerror(rc));
				status = CLI_EXIT_USAGE;
				break;
			}
		}
		struct tern_httpd_stats st;
		tern_httpd_get_stats(h, &st);
		fprintf(stderr,
			"tern http: %llu connections (%u at most at once, %llu refused), %llu "
			"requests, %llu body bytes\n",
			(unsigned long long)st.connections, st.max_active,
			(unsigned long long)st.refused, (unsigned long long)st.requests,
			(unsigned long long)st.bytes);
		tern_httpd_finish(h);
	}
	cli_ctl_close(ctl);
	tern_rt_destroy(rt);
	free(root);
	return status;
}

int http_cmdline(int argc, char **argv, struct tern_httpd_opts *o, const char **dir)
{
	struct http_args a;
	memset(&a, 0, sizeof(a));
	a.net.max_taps = 1;
	a.port = 80;
	int rc = parse_args(&a, argc, argv, false);
	if (rc == 0)
		rc = cli_net_unused(&a.net, CMD, a.help);
	tern_httpd_opts_init(o);
	o->port = a.port;
	o->addr = a.bind;
	if (a.max_conns)
		o->max_conns = a.max_conns;
	if (a.idle)
		o->idle_timeout = a.idle;
	o->no_index = a.no_index;
	o->log = a.quiet ? NULL : stdout; /* the lab gives it the host's stdout */
	*dir = a.dir;
	return rc;
}

int cmd_http(int argc, char **argv)
{
	struct http_args a;
	memset(&a, 0, sizeof(a));
	a.net.max_taps = 1;
	a.port = 80;
	a.dir = ".";
	int rc = parse_args(&a, argc, argv, true);
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
