/*
 * tools/curl.c — `tern curl`: fetch http:// URLs from a tern host on a TAP
 * device, with curl's options, -v lines, -w variables, messages and exit
 * codes (as curl 7.88 on Debian 12 prints them):
 *
 *   tern curl [-v] [-s] [-S] [-I] [-f] [-o FILE] [-w FMT] [-m SECS] [--tcp-fastopen]
 *             --tap IF --addr A/P URL...
 *
 * The client is the library's engine (tern_curl_* in tern/apps.h, the one
 * the simulator runs); this file parses options and drives it with the
 * real clock. Hosts are numeric IPv4 addresses: there is no resolver yet,
 * so a name fails as curl's "(6) Could not resolve host".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tern/apps.h"
#include "tern/err.h"
#include "tern/rt.h"
#include "tools/cmdline.h"
#include "tools/common.h"

#define CMD "curl"
/* After the last transfer the stack keeps running this long, so the FIN
 * of a close (or the last ACK) leaves, as the kernel would after curl
 * exited. */
#define TCP_GRACE TERN_MSEC(200)

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tern curl [options] --tap IFNAME --addr ADDR/PREFIX URL...\n"
		"\n"
		"Fetch each URL (http://HOST[:PORT][/PATH], HOST an IPv4 address) from a tern\n"
		"host over HTTP/1.1, as curl does, and write the body to stdout. Several URLs\n"
		"to one server share a connection while the server keeps it alive.\n"
		"\n"
		"Options (curl's):\n"
		"  -v, --verbose          curl's \"*\", \">\" and \"<\" lines on stderr\n"
		"  -s, --silent           no error messages\n"
		"  -S, --show-error       error messages even with -s\n"
		"  -I, --head             HEAD request; print the response headers\n"
		"  -f, --fail             HTTP errors (>= 400) fail with exit 22, no body\n"
		"  -o, --output FILE      write the body to FILE instead of stdout\n"
		"  -w, --write-out FMT    after each transfer print FMT to stdout, with\n"
		"                         %%{http_code} %%{time_total} %%{time_connect}\n"
		"                         %%{time_starttransfer} %%{size_download} %%{size_header}\n"
		"                         %%{size_request} %%{speed_download} %%{num_connects}\n"
		"                         %%{remote_ip} %%{remote_port} %%{url_effective}\n"
		"                         %%{content_type} %%{http_version} %%{exitcode}, \\n \\t\n"
		"  -m, --max-time SECS    give up after SECS seconds per transfer (exit 28)\n"
		"  -A, --user-agent NAME  User-Agent (default tern-curl/%s)\n"
		"  --tcp-fastopen         TCP Fast Open (RFC 7413; TCP_FASTOPEN_CONNECT): the\n"
		"                         first connection to a server asks for a cookie; the\n"
		"                         next ones (later URLs, once the server closed the\n"
		"                         first) send the request on the SYN with it; needs\n"
		"                         net.ipv4.tcp_fastopen's bit 1 (on by default; off with\n"
		"                         --sysctl net.ipv4.tcp_fastopen=0: plain connections)\n"
		"  -h, --help             show this help\n"
		"\n"
		"%s%s"
		"  --pcap FILE            write every frame of that interface to FILE (pcap)\n"
		"\n"
		"Exit status, as curl's: 0; 1 unsupported protocol; 3 malformed URL; 6 host\n"
		"not an IPv4 address (\"Could not resolve host\"); 7 could not connect; 18\n"
		"partial transfer; 22 HTTP error with -f; 23 write error; 28 timeout (-m);\n"
		"52 empty reply; 56 receive failure (reset); 2 on usage errors.\n"
		"\n"
		"Example:\n"
		"  tern curl -v --tap tap0 --addr 10.0.0.2/24 http://10.0.0.1:8000/file\n",
		TERN_VERSION_STRING, cli_net_usage, cli_ctl_usage);
}

struct curl_args {
	struct cli_net net;
	bool help, verbose, silent, show_error, head, fail, tcp_fastopen;
	const char *output, *write_out, *user_agent;
	tern_time_t max_time;
};

enum { OPT_TCP_FASTOPEN = 2000 }; /* beyond CLI_OPT_* */

static int take_option(void *ctx, int c, const char *arg)
{
	struct curl_args *a = ctx;
	switch (c) {
	case 'v': a->verbose = true; return 0;
	case 's': a->silent = true; return 0;
	case 'S': a->show_error = true; return 0;
	case 'I': a->head = true; return 0;
	case 'f': a->fail = true; return 0;
	case 'o': a->output = arg; return 0;
	case 'w': a->write_out = arg; return 0;
	case 'A': a->user_agent = arg; return 0;
	case OPT_TCP_FASTOPEN: a->tcp_fastopen = true; return 0;
	case 'm':
		return cli_parse_seconds(CMD, "-m", arg, TERN_MSEC(1), TERN_SEC(86400 * 365),
					 &a->max_time) < 0 ? CLI_EXIT_USAGE : 0;
	default:
		return CLI_EXIT_USAGE;
	}
}

static int parse_args(struct curl_args *a, int argc, char **argv, struct tern_curl_opts *o)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"verbose", no_argument, NULL, 'v'},
		{"silent", no_argument, NULL, 's'},
		{"show-error", no_argument, NULL, 'S'},
		{"head", no_argument, NULL, 'I'},
		{"fail", no_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"write-out", required_argument, NULL, 'w'},
		{"max-time", required_argument, NULL, 'm'},
		{"user-agent", required_argument, NULL, 'A'},
		{"tcp-fastopen", no_argument, NULL, OPT_TCP_FASTOPEN},
		CLI_NET_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	int rc = cli_parse_options(CMD, argc, argv, ":vsSIfo:w:m:A:h", longopts, &a->net,
				   take_option, a, &a->help);
	if (rc || a->help)
		return rc;
	int n = argc - optind;
	if (n == 0)
		return cli_usage_error(CMD, "no URL specified");
	if (n > TERN_CURL_MAX_URLS)
		return cli_usage_error(CMD, "at most %d URLs", TERN_CURL_MAX_URLS);
	for (int i = 0; i < n; i++)
		o->urls[i] = argv[optind + i];
	o->nurls = (unsigned)n;
	return 0;
}

static bool curl_done(const void *c)
{
	return tern_curl_done(c);
}

static int run(const struct curl_args *a, struct tern_curl_opts *o)
{
	struct tern_stack_config cfg;
	cli_stack_config(&cfg, "tern-curl");
	cli_catch_signals();
	FILE *out = stdout;
	if (a->output) {
		out = fopen(a->output, "wb");
		if (!out) {
			fprintf(stderr, "curl: (23) Failure writing output to destination\n");
			return 23;
		}
	}
	struct tern_rt *rt = cli_net_up(&a->net, CMD, &cfg);
	if (!rt) {
		if (out != stdout)
			fclose(out);
		return CLI_EXIT_USAGE;
	}
	/* tern ss sees this program's sockets through its control socket. */
	char ctl_name[48];
	struct cli_ctl *ctl = cli_ctl_open(rt, cli_ctl_name(&a->net, CMD, ctl_name, sizeof(ctl_name)),
					   "tern " CMD, a->net.name != NULL);
	static char ua[64];
	snprintf(ua, sizeof(ua), "tern-curl/%s", TERN_VERSION_STRING);
	o->head = a->head;
	o->fail = a->fail;
	o->tcp_fastopen = a->tcp_fastopen;
	o->verbose = a->verbose;
	o->data_trace = !isatty(STDOUT_FILENO);
	o->silent = a->silent;
	o->show_error = a->show_error;
	o->write_out = a->write_out;
	o->write_out_to = stdout;
	o->max_time = a->max_time;
	o->user_agent = a->user_agent ? a->user_agent : ua;
	o->diag = stderr;
	o->prog = "curl";
	int err, status = CLI_EXIT_USAGE;
	struct tern_curl *c = tern_curl_start(tern_rt_stack(rt), o, out, tern_rt_now(rt), &err);
	if (c) {
		int rc = cli_run_app(rt, CMD, curl_done, c);
		tern_time_t end = tern_rt_now(rt) + TCP_GRACE;
		status = tern_curl_finish(c);
		if (rc < 0)
			status = CLI_EXIT_USAGE;
		else if (cli_stop && status == 0)
			status = 130;
		while (!cli_stop && tern_rt_now(rt) < end)
			if (tern_rt_run_once(rt, end - tern_rt_now(rt)) < 0)
				break;
	} else {
		cli_error(CMD, "%s", tern_strerror(err));
	}
	cli_ctl_close(ctl);
	tern_rt_destroy(rt);
	if (out != stdout && fclose(out) != 0 && status == 0)
		status = 23;
	return status;
}

int curl_cmdline(int argc, char **argv, struct tern_curl_opts *o, const char **output)
{
	static char ua[64];
	struct curl_args a;
	memset(&a, 0, sizeof(a));
	tern_curl_opts_init(o);
	a.net.max_taps = 1;
	int rc = parse_args(&a, argc, argv, o);
	if (rc == 0)
		rc = cli_net_unused(&a.net, CMD, a.help);
	snprintf(ua, sizeof(ua), "tern-curl/%s", TERN_VERSION_STRING);
	o->head = a.head;
	o->fail = a.fail;
	o->tcp_fastopen = a.tcp_fastopen;
	o->verbose = a.verbose;
	o->silent = a.silent;
	o->show_error = a.show_error;
	o->write_out = a.write_out;
	o->max_time = a.max_time;
	o->user_agent = a.user_agent ? a.user_agent : ua;
	*output = a.output;
	return rc;
}

int cmd_curl(int argc, char **argv)
{
	struct curl_args a;
	struct tern_curl_opts o;
	memset(&a, 0, sizeof(a));
	tern_curl_opts_init(&o);
	a.net.max_taps = 1;
	int rc = parse_args(&a, argc, argv, &o);
	if (rc != 0)
		return rc;
	if (a.help) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (cli_net_check(&a.net, CMD, true) < 0)
		return CLI_EXIT_USAGE;
	return run(&a, &o);
}
