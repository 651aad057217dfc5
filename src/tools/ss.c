/*
 * tools/ss.c — `tern ss`: iproute2 ss for the sockets of running tern
 * programs.
 *
 * A tern program's sockets live in its process, so `tern ss` asks it over
 * its control socket: every tern program with sockets (host, nc, http,
 * curl, iperf) listens on /run/tern/NAME.sock (a Unix stream socket;
 * $TERN_RUN_DIR overrides the directory; NAME is --name, tern host's first
 * --tap, or COMMAND-PID), served from its event loop (cli_ctl_open in
 * tools/common.c). `tern ss --host NAME` asks one; without --host it asks
 * every one in the directory, in name order, and prints one table, as ss
 * prints all of a machine's sockets.
 *
 * The protocol is one line each way and then some text:
 *
 *   client:  COMMAND [ARG...]\n        words separated by spaces
 *   host:    the answer as text, then it closes the connection;
 *            a failed command answers one line "error: MESSAGE\n".
 *
 *   ss [OPTIONS] [-- FILTER]
 *                  the socket table, ss's options and filter words as
 *                  below (plus --screen-width N; --raw: records for
 *                  tern_ss_render, which is what tern ss asks for, so it
 *                  can lay out the rows of several programs as one table)
 *   stats [-a]     the counters that moved (-a: all), netstat -s style
 *   routes         the routing table, as `ip route` prints it
 *   help           the list of commands
 *
 * so `echo stats | socat - UNIX-CONNECT:/run/tern/NAME.sock` works too.
 * Each program describes its own sockets (tern_ss_print, src/app/ss.c);
 * this side checks the options first (mistakes: exit status 2; a bad
 * filter or -x: 1), sends them in a canonical form, gathers the records
 * and lays out the one table (tern_ss_render): ss's layout needs every
 * row at once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include "tools/common.h"
#include "tools/ss_opts.h"

#define CMD "ss"
#define IO_TIMEOUT_SEC 5

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tern ss [options] [--host NAME] [FILTER]\n"
		"\n"
		"Show the sockets of running tern programs (tern host, nc, http, curl, iperf:\n"
		"each answers on its control socket), with the options, columns, row order and\n"
		"filters of iproute2 ss 6.1:\n"
		"  State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
		"\n"
		"Options:\n"
		"  -t, --tcp          TCP sockets, TIME-WAIT and orphaned connections included\n"
		"  -u, --udp          UDP sockets (alone: only connected ones, as ss -u)\n"
		"  -l, --listening    listening sockets (for UDP: unconnected, UNCONN)\n"
		"  -a, --all          sockets in every state\n"
		"  -n, --numeric      do not resolve service names\n"
		"  -p, --processes    users:((\"OWNER\",pid=PID,fd=SD)): OWNER is the tag of the\n"
		"                     code that opened the socket (\"tern\" if none), PID the tern\n"
		"                     program's process, SD its tern socket descriptor\n"
		"  -i, --info         TCP: the tcp_info line as ss prints it (ts sack reno\n"
		"                     wscale:10,10 rto:204 rtt:... cwnd:10 bytes_sent:... send\n"
		"                     ...bps lastsnd:... rcv_space:... snd_wnd:...); UDP: tern's\n"
		"                     counters (queued, in, out, drops, buffer sizes)\n"
		"  -m, --memory       TCP: skmem:(r,rb,t,tb,f,w,o,bl,d)\n"
		"  -e, --extended     ino:0 sk:ID (the connection's id) and the shutdown marks\n"
		"                     (<->); implies -o\n"
		"  -o, --options      timer:(on|keepalive|timewait|persist,TIME,N)\n"
		"  -s, --summary      the summary (alone: only the summary)\n"
		"  -4, --ipv4         IPv4 sockets (all of tern's); -6: IPv6 (none yet)\n"
		"  -H, --no-header    do not print the header line\n"
		"  -x, --unix         refused: tern has no Unix domain sockets\n"
		"  --host NAME        ask only this program (its control socket is\n"
		"                     %s/NAME.sock; $TERN_RUN_DIR changes the directory)\n"
		"  -h, --help         show this help\n"
		"\n"
		"FILTER: [state NAME]... [exclude NAME]... [EXPRESSION], as ss: NAME is\n"
		"established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait, close-wait,\n"
		"last-ack, listening, closing, or all, connected, synchronized, bucket, big;\n"
		"EXPRESSION compares sport, dport (= == != < <= > >=, ports as :80 or :http)\n"
		"and src, dst (ADDR, ADDR/PREFIX, ADDR:PORT) with and, or, not and ( ).\n"
		"\n"
		"Neither -t nor -u: both tables, a Netid column, connected sockets only.\n"
		"Exit status: 0; 1 if a program cannot be asked, for a bad FILTER or -x;\n"
		"2 on usage errors.\n"
		"\n"
		"Examples:\n"
		"  tern host --name h1 --tap tap0 --addr 10.0.0.2/24 --tcp-echo 7 &\n"
		"  tern ss -tan --host h1\n"
		"  tern ss -ti state established '( dport = :5201 or sport = :5201 )'\n",
		ss_run_dir());
}

/* The control sockets in the run directory, sorted by name: names[i]
 * point into one allocation (free(*names) then free(names)). */
static int list_programs(char ***out)
{
	*out = NULL;
	DIR *d = opendir(ss_run_dir());
	if (!d)
		return 0;
	size_t cap = 16, n = 0;
	char **names = malloc(cap * sizeof(*names));
	struct dirent *e;
	while (names && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len <= 5 || strcmp(e->d_name + len - 5, ".sock") != 0)
			continue;
		if (n == cap) {
			char **m = realloc(names, (cap *= 2) * sizeof(*names));
			if (!m)
				break;
			names = m;
		}
		names[n] = malloc(len - 4);
		if (names[n]) {
			memcpy(names[n], e->d_name, len - 5);
			names[n++][len - 5] = '\0';
		}
	}
	closedir(d);
	if (!names)
		return 0;
	for (size_t i = 1; i < n; i++) /* insertion sort: a handful of names */
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	*out = names;
	return (int)n;
}

static void free_programs(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* "a, b" — the programs that answer, to help the user who got a name wrong. */
static void list_hosts(char *buf, size_t len)
{
	char **names;
	int n = list_programs(&names);
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", names[i]);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	free_programs(names, n);
}

/* Connect to NAME's control socket; -1 (quietly, unless loud) if none. */
static int connect_host(const char *name, bool loud)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (ss_ctl_path(name, sun.sun_path, sizeof(sun.sun_path)) < 0) {
		if (loud)
			cli_error(CMD, "control socket path for '%s' is too long", name);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		cli_error(CMD, "socket: %s", strerror(errno));
		return -1;
	}
	struct timeval tv = {.tv_sec = IO_TIMEOUT_SEC};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	int err = errno;
	close(fd);
	if (!loud)
		return -1;
	char others[512];
	list_hosts(others, sizeof(others));
	if (err == ENOENT)
		cli_error(CMD, "no tern host named %s (no %s)%s%s", name, sun.sun_path,
			  others[0] ? "; running: " : "", others);
	else if (err == ECONNREFUSED)
		cli_error(CMD, "no tern host named %s (%s is stale: nothing listens on it)", name,
			  sun.sun_path);
	else
		cli_error(CMD, "cannot connect to %s: %s", sun.sun_path, strerror(err));
	return -1;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Send the request and append the answer to *buf. An "error: " answer
 * goes to stderr. Returns the exit status. */
static int ask(int fd, const char *name, const char *request, char **buf, size_t *len)
{
	if (write_all(fd, request, strlen(request)) < 0 || write_all(fd, "\n", 1) < 0) {
		cli_error(CMD, "cannot send to tern program %s: %s", name, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	shutdown(fd, SHUT_WR);
	size_t start = *len, cap = *len + 65536;
	char *b = realloc(*buf, cap);
	if (!b)
		return CLI_EXIT_FAIL;
	for (;;) {
		if (cap - *len < 4096) {
			char *m = realloc(b, cap * 2);
			if (!m)
				break;
			b = m;
			cap *= 2;
		}
		ssize_t n = recv(fd, b + *len, cap - *len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*buf = b;
			*len = start;
			cli_error(CMD, "no answer from tern program %s: %s", name,
				  errno == EAGAIN ? "timed out" : strerror(errno));
			return CLI_EXIT_FAIL;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	*buf = b;
	if (*len - start >= 7 && memcmp(b + start, "error: ", 7) == 0) {
		fprintf(stderr, "tern %s: %s: %.*s", CMD, name, (int)(*len - start - 7),
			b + start + 7);
		*len = start;
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

int cmd_ss(int argc, char **argv)
{
	struct ss_opts o;
	char err[256];
	if (ss_parse(&o, argc, argv, err, sizeof(err)) < 0) {
		if (o.refused || o.bad_filter) {
			cli_error(CMD, "%s", err);
			ss_opts_free(&o);
			return CLI_EXIT_FAIL;
		}
		return cli_usage_error(CMD, "%s", err);
	}
	if (o.help) {
		usage(stdout);
		ss_opts_free(&o);
		return CLI_EXIT_OK;
	}
	/* As ss: on a terminal, spread the columns over its width. */
	struct winsize ws;
	if (o.ss.screen_width == 0 && isatty(STDOUT_FILENO) &&
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		o.ss.screen_width = ws.ws_col;

	char **names = NULL;
	int n = 0;
	char *one = (char *)o.host;
	if (o.host) {
		names = &one;
		n = 1;
	} else {
		n = list_programs(&names);
	}
	struct ss_opts req = o;
	req.ss.raw = true;
	char request[2000]; /* the control socket takes lines of up to 2 KiB */
	ss_unparse(&req, request, sizeof(request));
	if (strlen(request) >= sizeof(request) - 1) {
		ss_opts_free(&o);
		return cli_usage_error(CMD, "the filter is too long (at most about %zu characters)",
				       sizeof(request) - 100);
	}
	char *records = NULL;
	size_t len = 0;
	int status = CLI_EXIT_OK;
	for (int i = 0; i < n; i++) {
		/* Without --host, a stale socket file (its program died) is
		 * not an error: ss lists what is there. */
		int fd = connect_host(names[i], o.host != NULL);
		if (fd < 0) {
			if (o.host)
				status = CLI_EXIT_FAIL;
			continue;
		}
		int rc = ask(fd, names[i], request, &records, &len);
		close(fd);
		if (rc != CLI_EXIT_OK)
			status = rc;
	}
	if (!o.host)
		free_programs(names, n);
	if (status == CLI_EXIT_OK || !o.host) {
		int rc = tern_ss_render(records ? records : "", len, &o.ss, stdout);
		if (rc < 0) {
			cli_error(CMD, "cannot lay out the answers: %s", tern_strerror(rc));
			status = CLI_EXIT_FAIL;
		}
	}
	free(records);
	ss_opts_free(&o);
	fflush(stdout);
	return status;
}
