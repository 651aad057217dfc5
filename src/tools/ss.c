/*
 * tools/ss.c — `tern ss`: iproute2 ss for the sockets of a running tern host.
 *
 * A tern host's sockets live in its process, so `tern ss` asks it, over
 * the host's control socket (the only data source for now):
 *
 *   tern host --name NAME ...   listens on /run/tern/NAME.sock (a Unix
 *                               stream socket; $TERN_RUN_DIR overrides
 *                               the directory), served from its event loop.
 *
 * The protocol is one line each way and then some text:
 *
 *   client:  COMMAND [ARG...]\n        words separated by spaces
 *   host:    the answer as text, then it closes the connection;
 *            a failed command answers one line "error: MESSAGE\n".
 *
 *   ss [OPTIONS]   the socket table, ss's options as below (plus
 *                  --screen-width N, which tern ss adds on a terminal)
 *   stats [-a]     the counters that moved (-a: all), netstat -s style
 *   routes         the routing table, as `ip route` prints it
 *   help           the list of commands
 *
 * so `echo stats | socat - UNIX-CONNECT:/run/tern/NAME.sock` works too.
 * The host renders the table (tern_ss_print, src/app/ss.c): it owns the sockets and
 * ss's layout needs all rows at once. This side checks the options first,
 * so mistakes are reported here with exit status 2, then sends them in a
 * canonical form and copies the answer to stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <dirent.h>
#include <unistd.h>

#include "tools/common.h"
#include "tools/ss_opts.h"

#define CMD "ss"
#define IO_TIMEOUT_SEC 5

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tern ss [options] --host NAME\n"
		"\n"
		"Show the sockets of a running tern host (tern host --name NAME), with the\n"
		"options, columns and selection rules of iproute2 ss:\n"
		"  State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
		"\n"
		"Options:\n"
		"  -t, --tcp          TCP sockets\n"
		"  -u, --udp          UDP sockets (alone: only connected ones, as ss -u)\n"
		"  -l, --listening    listening sockets (for UDP: unconnected, UNCONN)\n"
		"  -a, --all          sockets in every state\n"
		"  -n, --numeric      do not resolve service names\n"
		"  -p, --processes    the owner of each socket: users:((\"OWNER\",pid=PID,fd=SD)),\n"
		"                     OWNER being the tag of the program on the host that opened\n"
		"                     it (\"tern\" if none) and SD its tern socket descriptor\n"
		"  -i, --info         a second line per socket: datagrams queued, received\n"
		"                     (in), sent (out) and dropped on a full receive buffer,\n"
		"                     and the buffer sizes\n"
		"  -H, --no-header    do not print the header line\n"
		"  --host NAME        the tern host to ask (its control socket is\n"
		"                     %s/NAME.sock; $TERN_RUN_DIR changes the directory)\n"
		"  -h, --help         show this help\n"
		"\n"
		"Neither -t nor -u: both tables, a Netid column, connected sockets only.\n"
		"Exit status: 0, 1 if the host cannot be asked, 2 on usage errors.\n"
		"\n"
		"Example:\n"
		"  tern host --name h1 --tap tap0 --addr 10.0.0.2/24 --udp-echo 7 &\n"
		"  tern ss -u -a -n --host h1\n",
		ss_run_dir());
}

/* "a, b" — the names of the control sockets in the run directory, to help
 * the user who got a name wrong. */
static void list_hosts(char *buf, size_t len)
{
	buf[0] = '\0';
	DIR *d = opendir(ss_run_dir());
	if (!d)
		return;
	struct dirent *e;
	size_t used = 0;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n <= 5 || strcmp(e->d_name + n - 5, ".sock") != 0)
			continue;
		int w = snprintf(buf + used, len - used, "%s%.*s", used ? ", " : "", (int)(n - 5),
				 e->d_name);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	closedir(d);
}

static int connect_host(const char *name)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (ss_ctl_path(name, sun.sun_path, sizeof(sun.sun_path)) < 0) {
		cli_error(CMD, "control socket path for host '%s' is too long", name);
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

/* Send the request, copy the answer to stdout (an "error: " answer to
 * stderr). Returns the exit status. */
static int ask(int fd, const char *name, const char *request)
{
	if (write_all(fd, request, strlen(request)) < 0 || write_all(fd, "\n", 1) < 0) {
		cli_error(CMD, "cannot send to tern host %s: %s", name, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	shutdown(fd, SHUT_WR);
	char buf[4096];
	size_t total = 0; /* an empty answer is fine: -H and no sockets */
	bool error = false;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_error(CMD, "no answer from tern host %s: %s", name,
				  errno == EAGAIN ? "timed out" : strerror(errno));
			return CLI_EXIT_FAIL;
		}
		if (n == 0)
			break;
		if (total == 0 && n >= 7 && memcmp(buf, "error: ", 7) == 0)
			error = true;
		if (error) {
			fprintf(stderr, "tern %s: %s: %.*s", CMD, name, (int)(n - (total ? 0 : 7)),
				buf + (total ? 0 : 7));
		} else {
			fwrite(buf, 1, (size_t)n, stdout);
		}
		total += (size_t)n;
	}
	return error ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cmd_ss(int argc, char **argv)
{
	struct ss_opts o;
	char err[256];
	if (ss_parse(&o, argc, argv, err, sizeof(err)) < 0)
		return cli_usage_error(CMD, "%s", err);
	if (o.help) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (!o.host) {
		char others[512];
		list_hosts(others, sizeof(others));
		cli_error(CMD, "--host NAME is required: tern ss reads a running tern host's "
			  "sockets (%s%s)", others[0] ? "running: " : "none is running", others);
		return CLI_EXIT_USAGE;
	}
	/* As ss: on a terminal, spread the columns over its width. */
	struct winsize ws;
	if (o.ss.screen_width == 0 && isatty(STDOUT_FILENO) &&
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		o.ss.screen_width = ws.ws_col;

	int fd = connect_host(o.host);
	if (fd < 0)
		return CLI_EXIT_FAIL;
	char request[256];
	ss_unparse(&o, request, sizeof(request));
	int status = ask(fd, o.host, request);
	close(fd);
	fflush(stdout);
	return status;
}
