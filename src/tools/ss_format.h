/*
 * tools/ss_format.h — `tern ss`'s options and its table, shared by the two
 * sides of the control socket: ss.c parses the options (to report mistakes
 * locally) and sends them; host.c parses them again and renders the table
 * for its own sockets (see ss.c for the protocol).
 */
#ifndef TERN_TOOLS_SS_FORMAT_H
#define TERN_TOOLS_SS_FORMAT_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct tern_stack;

struct ss_opts {
	bool tcp, udp;        /* -t, -u; neither: every table (as ss) */
	unsigned states;      /* -a / -l as a mask of SS_STATE_* bits; 0: each table's default */
	bool numeric;         /* -n */
	bool processes;       /* -p */
	bool info;            /* -i */
	bool header;          /* false with -H */
	bool help;            /* -h */
	int screen_width;     /* --screen-width N (sent by tern ss on a terminal); 0: compact */
	const char *host;     /* --host NAME (tern ss only) */
};

/* Parse ss's options; argv[0] is the command name. Returns 0, or -1 with a
 * message ("unknown option '-x'") in err. */
int ss_parse(struct ss_opts *o, int argc, char **argv, char *err, size_t errlen);

/* The same options as one command line for the control socket:
 * "ss -u -a -n ..." (no --host). */
void ss_unparse(const struct ss_opts *o, char *buf, size_t len);

/* Control sockets live in $TERN_RUN_DIR, /run/tern by default; tern host
 * NAME listens on DIR/NAME.sock. ss_ctl_path returns 0, or -1 if the path
 * does not fit a Unix socket address. */
const char *ss_run_dir(void);
int ss_ctl_path(const char *name, char *buf, size_t len);

/* Print the socket table of stack s as ss would with these options.
 * pid is the process the sockets live in (for -p). */
void ss_render(FILE *out, struct tern_stack *s, const struct ss_opts *o, pid_t pid);

#endif
