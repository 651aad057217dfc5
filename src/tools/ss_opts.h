/*
 * tools/ss_opts.h — `tern ss`'s command line, shared by the two sides of
 * the control socket: ss.c parses the options (to report mistakes locally)
 * and sends them; host.c parses them again and prints its own sockets with
 * tern_ss_print (see ss.c for the protocol).
 */
#ifndef TERN_TOOLS_SS_OPTS_H
#define TERN_TOOLS_SS_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "tern/apps.h"

struct ss_opts {
	struct tern_ss_opts ss; /* the table's options (-t -u -l -a -n -p -i -m -e -o -s
				 * -4 -6 -H, --screen-width N, sent by tern ss on a
				 * terminal) and ss's FILTER words */
	bool help;              /* -h */
	bool ipv4;              /* -4 (every tern socket is IPv4) */
	bool refused;           /* -x: a table tern does not have (exit 1, not 2) */
	bool bad_filter;        /* the FILTER words were wrong (ss's message in err) */
	const char *host;       /* --host NAME (tern ss only) */
	char **words;           /* the FILTER words, in argv */
	int nwords;
};

/* Parse ss's options; argv[0] is the command name. Returns 0, or -1 with a
 * message ("unknown option '-x'") in err. -l and -a: the last one wins. */
int ss_parse(struct ss_opts *o, int argc, char **argv, char *err, size_t errlen);
/* What ss_parse allocated (the compiled filter's text). */
void ss_opts_free(struct ss_opts *o);

/* The same options as one command line for the control socket:
 * "ss -u -a -n ... -- FILTER WORDS" (no --host). */
void ss_unparse(const struct ss_opts *o, char *buf, size_t len);

/* Control sockets live in $TERN_RUN_DIR, /run/tern by default; tern host
 * NAME listens on DIR/NAME.sock. ss_ctl_path returns 0, or -1 if the path
 * does not fit a Unix socket address. */
const char *ss_run_dir(void);
int ss_ctl_path(const char *name, char *buf, size_t len);

#endif
