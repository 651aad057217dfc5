/*
 * tools/ss_opts.c — `tern ss`'s command line (see ss_opts.h); the table
 * itself is the library's tern_ss_print (src/app/ss.c).
 */
#include "tools/ss_opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "tools/common.h"

/* ---- options ----------------------------------------------------------------- */

enum { OPT_HOST = 1000, OPT_SCREEN_WIDTH };

int ss_parse(struct ss_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{"tcp", no_argument, NULL, 't'},
		{"udp", no_argument, NULL, 'u'},
		{"listening", no_argument, NULL, 'l'},
		{"all", no_argument, NULL, 'a'},
		{"numeric", no_argument, NULL, 'n'},
		{"processes", no_argument, NULL, 'p'},
		{"info", no_argument, NULL, 'i'},
		{"no-header", no_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{"host", required_argument, NULL, OPT_HOST},
		{"screen-width", required_argument, NULL, OPT_SCREEN_WIDTH},
		{NULL, 0, NULL, 0},
	};
	int c;
	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":tulanpiHh", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o->ss.tcp = true; break;
		case 'u': o->ss.udp = true; break;
		case 'l': o->ss.select = TERN_SS_LISTENING; break;
		case 'a': o->ss.select = TERN_SS_ALL; break;
		case 'n': o->ss.numeric = true; break;
		case 'p': o->ss.processes = true; break;
		case 'i': o->ss.info = true; break;
		case 'H': o->ss.no_header = true; break;
		case 'h': o->help = true; return 0;
		case OPT_HOST:
			if (!*optarg || strlen(optarg) > 31 || strchr(optarg, '/')) {
				snprintf(err, errlen, "invalid value '%s' for --host: expected a tern host's "
				     "name (1 to 31 characters, no '/')", optarg);
				return -1;
			}
			o->host = optarg;
			break;
		case OPT_SCREEN_WIDTH: {
			char *end;
			errno = 0;
			long w = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || w < 1 || w > 100000) {
				snprintf(err, errlen, "invalid value '%s' for --screen-width: expected "
				     "1 to 100000 columns", optarg);
				return -1;
			}
			o->ss.screen_width = (int)w;
			break;
		}
		default:
			cli_bad_option_text(c, argv, err, errlen);
			return -1;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (tern ss takes no filter expressions "
		     "yet)", argv[optind]);
		return -1;
	}
	return 0;
}

void ss_unparse(const struct ss_opts *o, char *buf, size_t len)
{
	snprintf(buf, len, "ss%s%s%s%s%s%s%s%s",
		 o->ss.tcp ? " -t" : "", o->ss.udp ? " -u" : "",
		 o->ss.select == TERN_SS_ALL ? " -a" : o->ss.select == TERN_SS_LISTENING ? " -l" : "",
		 o->ss.numeric ? " -n" : "", o->ss.processes ? " -p" : "", o->ss.info ? " -i" : "",
		 o->ss.no_header ? " -H" : "", o->help ? " -h" : "");
	if (o->ss.screen_width > 0) {
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, " --screen-width %d", o->ss.screen_width);
	}
}

const char *ss_run_dir(void)
{
	const char *d = getenv("TERN_RUN_DIR");
	return d && *d ? d : "/run/tern";
}

int ss_ctl_path(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s.sock", ss_run_dir(), name);
	return n < 0 || (size_t)n >= len || (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path)
		       ? -1 : 0;
}
