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

enum { OPT_HOST = 1000, OPT_SCREEN_WIDTH, OPT_RAW };

int ss_parse(struct ss_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{"tcp", no_argument, NULL, 't'},
		{"udp", no_argument, NULL, 'u'},
		{"unix", no_argument, NULL, 'x'},
		{"listening", no_argument, NULL, 'l'},
		{"all", no_argument, NULL, 'a'},
		{"numeric", no_argument, NULL, 'n'},
		{"processes", no_argument, NULL, 'p'},
		{"info", no_argument, NULL, 'i'},
		{"memory", no_argument, NULL, 'm'},
		{"extended", no_argument, NULL, 'e'},
		{"options", no_argument, NULL, 'o'},
		{"summary", no_argument, NULL, 's'},
		{"ipv4", no_argument, NULL, '4'},
		{"ipv6", no_argument, NULL, '6'},
		{"no-header", no_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{"host", required_argument, NULL, OPT_HOST},
		{"screen-width", required_argument, NULL, OPT_SCREEN_WIDTH},
		{"raw", no_argument, NULL, OPT_RAW},
		{NULL, 0, NULL, 0},
	};
	int c;
	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":tuxlanpimeos46Hh", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o->ss.tcp = true; break;
		case 'u': o->ss.udp = true; break;
		case 'x':
			/* tern's programs have no Unix domain sockets to show;
			 * the words are ss's for a selection left empty. */
			o->refused = true;
			snprintf(err, errlen, "no socket tables to show with such filter. (tern has no "
				 "Unix domain sockets: ss -x lists the kernel's)");
			return -1;
		case 'l': o->ss.select = TERN_SS_LISTENING; break;
		case 'a': o->ss.select = TERN_SS_ALL; break;
		case 'n': o->ss.numeric = true; break;
		case 'p': o->ss.processes = true; break;
		case 'i': o->ss.info = true; break;
		case 'm': o->ss.memory = true; break;
		case 'e': o->ss.extended = true; break;
		case 'o': o->ss.timers = true; break;
		case 's': o->ss.summary = true; break;
		case '4': o->ss.ipv6 = false; o->ipv4 = true; break;
		case '6': o->ss.ipv6 = true; o->ipv4 = false; break;
		case 'H': o->ss.no_header = true; break;
		case 'h': o->help = true; return 0;
		case OPT_HOST:
			if (!*optarg || strlen(optarg) > 31 || strchr(optarg, '/')) {
				snprintf(err, errlen, "invalid value '%s' for --host: expected a tern "
					 "program's name (1 to 31 characters, no '/')", optarg);
				return -1;
			}
			o->host = optarg;
			break;
		case OPT_RAW: o->ss.raw = true; break;
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
	o->words = argv + optind;
	o->nwords = argc - optind;
	if (tern_ss_parse_filter(&o->ss, o->nwords, o->words, err, errlen) < 0) {
		o->bad_filter = true;
		return -1;
	}
	/* As ss: -s alone (no table, no filter) prints only the summary. */
	o->ss.summary_only = o->ss.summary && !o->ss.tcp && !o->ss.udp && o->nwords == 0;
	return 0;
}

void ss_opts_free(struct ss_opts *o)
{
	free((void *)o->ss.filter);
	o->ss.filter = NULL;
}

void ss_unparse(const struct ss_opts *o, char *buf, size_t len)
{
	snprintf(buf, len, "ss%s%s%s%s%s%s%s%s%s%s%s%s%s%s",
		 o->ss.tcp ? " -t" : "", o->ss.udp ? " -u" : "",
		 o->ss.select == TERN_SS_ALL ? " -a" : o->ss.select == TERN_SS_LISTENING ? " -l" : "",
		 o->ss.numeric ? " -n" : "", o->ss.processes ? " -p" : "", o->ss.info ? " -i" : "",
		 o->ss.memory ? " -m" : "", o->ss.extended ? " -e" : "", o->ss.timers ? " -o" : "",
		 o->ss.summary ? " -s" : "", o->ss.ipv6 ? " -6" : o->ipv4 ? " -4" : "",
		 o->ss.no_header ? " -H" : "", o->help ? " -h" : "", o->ss.raw ? " --raw" : "");
	size_t used = strlen(buf);
	if (o->ss.screen_width > 0 && used < len)
		used += (size_t)snprintf(buf + used, len - used, " --screen-width %d",
					 o->ss.screen_width);
	if (o->nwords > 0 && used < len)
		used += (size_t)snprintf(buf + used, len - used, " --");
	for (int i = 0; i < o->nwords && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, " %s", o->words[i]);
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
