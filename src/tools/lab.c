/*
 * tools/lab.c — `tern lab check FILE` and `tern lab run FILE`: a virtual
 * internetwork from a topology file, its scenario run in virtual time.
 * The lab layer (src/lab/) reads, checks, builds and runs; this file
 * parses the command line and lends the lab the tools' own option parsers
 * (tools/cmdline.h), so a step's "ping -c 3 10.0.0.2" means exactly what
 * `tern ping -c 3 10.0.0.2` does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lab/lab.h"
#include "tools/cmdline.h"
#include "tools/common.h"
#include "tools/ss_opts.h"

#define CMD "lab"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tern lab check FILE [--realtime]\n"
		"       tern lab run FILE [--out DIR] [--seed N] [--quiet] [--json] [--no-report]\n"
		"                         [--realtime]\n"
		"\n"
		"A lab file (YAML) describes an internetwork — networks (Ethernet segments and\n"
		"point-to-point links with bandwidth, delay, loss ...), hosts and routers with\n"
		"their addresses and routes — and a scenario: tern tools (ping, traceroute,\n"
		"nc, ss, http, curl, iperf, hping, rr) run on named hosts at virtual times, and\n"
		"link events (cut, restore, set). The format is in examples/labs/README.md.\n"
		"\n"
		"  check        validate FILE; every mistake is printed as FILE:LINE:COLUMN:\n"
		"               what is wrong; exit status 2 if there is any\n"
		"  run          check, then build the network in the simulator and run the\n"
		"               scenario in virtual time. Every line a tool prints goes to\n"
		"               stdout and DIR/transcript.txt as\n"
		"                 [   1.000123] alice: 64 bytes from 10.0.2.2: ...\n"
		"               (virtual time, host), and every interface is captured to\n"
		"               DIR/HOST-IFACE.pcap. DIR/report.html shows it all in a\n"
		"               browser: the topology (drawn by Graphviz's dot, if\n"
		"               installed), each link's counters, for each TCP connection\n"
		"               its cwnd, ssthresh and RTT and a time-sequence graph, and\n"
		"               the transcript. The same file and seed give the same\n"
		"               bytes.\n"
		"\n"
		"Options for run:\n"
		"  --out DIR    output directory (default ./NAME.out, NAME the file's name\n"
		"               without its extension)\n"
		"  --seed N     seed for every random choice (default: the file's seed:, or 1)\n"
		"  --quiet      print only what the tools write to stderr (errors, curl -v)\n"
		"               and the summary (DIR/transcript.txt still has everything)\n"
		"  --json       print the transcript as one JSON object per line: time (s),\n"
		"               host, stream (stdout, stderr, command, event, info, summary),\n"
		"               text\n"
		"  --no-report  write no report.html (nor topology.dot, topology.svg)\n"
		"  --realtime   pace virtual time to the wall clock (as 'realtime: true' in\n"
		"               FILE): each event waits for its time; a lab that falls\n"
		"               behind runs as fast as it can and the summary says how far\n"
		"               behind it fell (\"realtime: max lag N ms\"). Only then may a\n"
		"               network be bridged to a Linux TAP device ('tap: IFNAME'), so\n"
		"               that real programs reach the lab's hosts\n"
		"  -h, --help   show this help\n"
		"\n"
		"Exit status: 0 when the scenario ran to its end (the commands' own statuses\n"
		"are in its summary), 2 for a mistake in FILE or the options, 1 otherwise.\n");
}

/* ---- the tools' parsers, for the lab ---------------------------------------------- */

static int parse_tool(int argc, char **argv, struct lab_cmd *cmd, char *err, size_t errlen)
{
	const char *tool = argv[0];
	if (strcmp(tool, "ping") == 0) {
		cmd->app = LAB_APP_PING;
		return ping_cmdline(argc, argv, &cmd->o.ping);
	}
	if (strcmp(tool, "traceroute") == 0) {
		cmd->app = LAB_APP_TRACEROUTE;
		return traceroute_cmdline(argc, argv, &cmd->o.traceroute);
	}
	if (strcmp(tool, "nc") == 0) {
		cmd->app = LAB_APP_NC;
		return nc_cmdline(argc, argv, &cmd->o.nc);
	}
	if (strcmp(tool, "http") == 0) {
		cmd->app = LAB_APP_HTTP;
		return http_cmdline(argc, argv, &cmd->o.http, &cmd->path);
	}
	if (strcmp(tool, "curl") == 0) {
		cmd->app = LAB_APP_CURL;
		return curl_cmdline(argc, argv, &cmd->o.curl, &cmd->path);
	}
	if (strcmp(tool, "iperf") == 0) {
		cmd->app = LAB_APP_IPERF;
		return iperf_cmdline(argc, argv, &cmd->o.iperf);
	}
	if (strcmp(tool, "hping") == 0) {
		cmd->app = LAB_APP_HPING;
		return hping_cmdline(argc, argv, &cmd->o.hping);
	}
	if (strcmp(tool, "rr") == 0) {
		cmd->app = LAB_APP_RR;
		return rr_cmdline(argc, argv, &cmd->o.rr);
	}
	if (strcmp(tool, "ss") == 0) {
		struct ss_opts so;
		char why[256];
		cmd->app = LAB_APP_SS;
		if (ss_parse(&so, argc, argv, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "ss: %s", why);
			return -1;
		}
		if (so.help || so.host) {
			snprintf(err, errlen, "ss: %s has no place in a lab: ss shows the sockets "
				 "of the host the step runs on", so.help ? "-h" : "--host");
			return -1;
		}
		cmd->o.ss = so.ss;
		return 0;
	}
	snprintf(err, errlen, "unknown command '%s': a step runs ping, traceroute, nc, ss, "
		 "http, curl, iperf, hping or rr", tool);
	return -1;
}

/* The lab's parser: the tool's own, its first complaint captured as
 * "TOOL: message". */
static int parse_cmd(void *ctx, int argc, char **argv, struct lab_cmd *cmd, char *err,
		     size_t errlen)
{
	(void)ctx;
	char *buf = NULL;
	size_t len = 0;
	FILE *ms = open_memstream(&buf, &len);
	if (!ms) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	err[0] = '\0';
	FILE *old = cli_set_error_stream(ms);
	int rc = parse_tool(argc, argv, cmd, err, errlen);
	cli_set_error_stream(old);
	fclose(ms);
	if (rc != 0 && !err[0]) {
		const char *msg = buf && *buf ? buf : "invalid command line";
		if (strncmp(msg, "tern ", 5) == 0)
			msg += 5;
		snprintf(err, errlen, "%.*s", (int)strcspn(msg, "\n"), msg);
	}
	free(buf);
	return rc ? -1 : 0;
}

/* ---- commands ------------------------------------------------------------------------- */


/* Load and check FILE; print the mistakes. NULL if there were any. */
static struct lab_topo *load(const char *file, const struct lab_tools *lt, bool realtime)
{
	struct lab_topo *t = lab_topo_load(file);
	if (!t) {
		cli_error(CMD, "out of memory");
		return NULL;
	}
	if (realtime)
		t->realtime = true;
	lab_topo_check_realtime(t);
	if (t->nerrs == 0)
		lab_check_scenario(t, lt);
	if (t->nerrs) {
		fflush(stdout);
		lab_topo_print_errors(t, stderr);
		lab_topo_free(t);
		return NULL;
	}
	return t;
}

static int do_check(const char *file, const struct lab_tools *lt, bool realtime)
{
	struct lab_topo *t = load(file, lt, realtime);
	if (!t)
		return CLI_EXIT_USAGE;
	size_t nifs = 0;
	for (size_t i = 0; i < t->nnodes; i++)
		nifs += t->nodes[i].nifaces;
	printf("%s: ok: %zu hosts and routers, %zu networks, %zu interfaces, %zu steps\n", file,
	       t->nnodes, t->nnets, nifs, t->nsteps);
	lab_topo_free(t);
	return CLI_EXIT_OK;
}

/* ./NAME.out for FILE = .../NAME.EXT */
static void default_out(const char *file, char *buf, size_t len)
{
	const char *slash = strrchr(file, '/');
	const char *base = slash ? slash + 1 : file;
	size_t n = strlen(base);
	const char *dot = strrchr(base, '.');
	if (dot && dot != base)
		n = (size_t)(dot - base);
	snprintf(buf, len, "%.*s.out", (int)n, base);
}

static int do_run(const char *file, const char *out, bool has_seed, uint64_t seed, bool quiet,
		  bool json, bool no_report, bool realtime, const struct lab_tools *lt)
{
	struct lab_topo *t = load(file, lt, realtime);
	if (!t)
		return CLI_EXIT_USAGE;
	char dir[4096];
	if (out)
		snprintf(dir, sizeof(dir), "%s", out);
	else
		default_out(file, dir, sizeof(dir));
	if (cli_make_dirs(dir) < 0) {
		cli_error(CMD, "cannot create directory %s: %s", dir, strerror(errno));
		lab_topo_free(t);
		return CLI_EXIT_USAGE;
	}
	struct lab_run_opts o = {
		.seed = has_seed ? seed : t->has_seed ? t->seed : 1,
		.out_dir = dir,
		.quiet = quiet,
		.json = json,
		.out = stdout,
		.no_report = no_report,
	};
	int rc = lab_run(t, lt, &o, stderr);
	fflush(stdout);
	if (rc == 0 && !quiet && !json)
		fprintf(stderr, "tern lab: transcript, captures%s in %s/\n",
			no_report ? "" : " and report.html", dir);
	lab_topo_free(t);
	return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int cmd_lab(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"out", required_argument, NULL, 'o'},
		{"seed", required_argument, NULL, 's'},
		{"quiet", no_argument, NULL, 'q'},
		{"json", no_argument, NULL, 'j'},
		{"no-report", no_argument, NULL, 'R'},
		{"realtime", no_argument, NULL, 'T'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL;
	bool has_seed = false, quiet = false, json = false, no_report = false, realtime = false;
	uint64_t seed = 0;
	unsigned long v;
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case 'o':
			if (!*optarg)
				return cli_usage_error(CMD, "invalid value '' for --out: expected a "
						       "directory");
			out = optarg;
			break;
		case 's':
			if (cli_parse_uint(CMD, "--seed", optarg, 0, 0xffffffffUL, &v) < 0)
				return CLI_EXIT_USAGE;
			seed = v;
			has_seed = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'j':
			json = true;
			break;
		case 'R':
			no_report = true;
			break;
		case 'T':
			realtime = true;
			break;
		default:
			return cli_bad_option(CMD, c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error(CMD, "missing a command: check or run");
	const char *sub = argv[optind];
	bool run = strcmp(sub, "run") == 0;
	if (!run && strcmp(sub, "check") != 0)
		return cli_usage_error(CMD, "unknown command '%s': expected check or run", sub);
	if (optind + 1 >= argc)
		return cli_usage_error(CMD, "missing FILE after %s", sub);
	if (optind + 2 < argc)
		return cli_usage_error(CMD, "unexpected argument '%s' after FILE", argv[optind + 2]);
	if (!run && (out || has_seed || quiet || json || no_report))
		return cli_usage_error(CMD, "--out, --seed, --quiet, --json and --no-report are for "
				       "run");
	struct lab_tools lt = {.parse = parse_cmd};
	const char *file = argv[optind + 1];
	return run ? do_run(file, out, has_seed, seed, quiet, json, no_report, realtime, &lt)
		   : do_check(file, &lt, realtime);
}
