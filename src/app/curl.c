/*
 * app/curl.c — an HTTP/1.1 client (RFC 9110, RFC 9112) as an application
 * on a tern host, with curl's options, -v lines, -w variables, messages
 * and exit codes as curl 7.88 (Debian 12) prints them: `tern curl`, and
 * the simulator's.
 *
 * Sans-I/O like nc: the socket's callback runs inside the stack's input,
 * -m is a stack timer, bodies go to a FILE *. One transfer per URL, one
 * after another; a connection the server keeps alive (HTTP/1.1, a body
 * delimited by Content-Length or chunked, no "Connection: close") is
 * reused for the next URL to the same host and port, as curl does
 * ("Re-using existing connection #0 with host ..."). The first failure
 * ends the run with its exit code.
 *
 * What curl prints with -v and this prints the same way: "*   Trying
 * H:P...", "* Connected to H (H) port P (#N)", "> " request lines, "* HTTP
 * 1.0, assume close after body", "< " response lines, "{ [N bytes data]"
 * (when stdout is not a terminal: data_trace), "* Connection #N to host H
 * left intact" or "* Closing connection N", and each failure as "* MSG"
 * then "curl: (CODE) MSG". curl's progress meter is not drawn.
 */
#define _GNU_SOURCE /* asprintf */
#include "tern/apps.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tern/err.h"
#include "tern/socket.h"
#include "tern/tcp.h"

#include "app/http_util.h"
#include "app/sock_util.h"

#define HEAD_MAX 65536

/* curl's exit codes (CURLcode) */
enum {
	CE_OK = 0,
	CE_UNSUPPORTED_PROTOCOL = 1,
	CE_URL_MALFORMAT = 3,
	CE_COULDNT_RESOLVE_HOST = 6,
	CE_COULDNT_CONNECT = 7,
	CE_PARTIAL_FILE = 18,
	CE_HTTP_RETURNED_ERROR = 22,
	CE_WRITE_ERROR = 23,
	CE_OPERATION_TIMEDOUT = 28,
	CE_GOT_NOTHING = 52,
	CE_RECV_ERROR = 56,
};

enum phase {
	P_IDLE,        /* between transfers */
	P_CONNECTING,
	P_SENDING,     /* the request */
	P_HEAD,        /* reading the response head */
	P_BODY,
	P_DONE,        /* all transfers over (or one failed) */
};

enum body_mode {
	B_NONE,        /* HEAD, 204, 304 */
	B_LENGTH,      /* Content-Length */
	B_CHUNKED,
	B_CLOSE,       /* until the server closes */
};

enum chunk_state {
	CH_SIZE, CH_DATA, CH_DATA_END, CH_TRAILER, CH_END,
};

struct tern_curl {
	struct tern_stack *s;
	struct tern_curl_opts o;
	FILE *out, *wout;
	unsigned url_index;
	enum phase phase;
	int exit_code;
	bool pumping, again;
	struct tern_timer timeout;
	/* the connection, kept across transfers while the server allows */
	int sd;
	unsigned conn_id, connects;
	tern_ip4_t conn_addr;
	uint16_t conn_port;
	/* the transfer */
	tern_ip4_t addr;
	uint16_t port;
	char host[256];            /* as in the URL, for Host: and the messages */
	char *path;
	tern_time_t t_start, t_connect, t_first_byte, t_end;
	char *req;
	size_t req_len, req_off;
	char head[HEAD_MAX];
	size_t head_len;
	bool got_any;              /* a response byte came */
	int http_code;
	int http_major, http_minor;
	bool conn_close;           /* the connection ends after this response */
	enum body_mode body;
	uint64_t body_left;        /* B_LENGTH */
	int64_t content_length;    /* -1 if none */
	char content_type[128];
	enum chunk_state ch;
	uint64_t ch_left;
	char ch_line[128];
	size_t ch_line_len;
	uint64_t size_download, size_header, size_request;
	bool suppress_body;        /* -f with an error status */
	uint8_t buf[65536];
};

void tern_curl_opts_init(struct tern_curl_opts *o)
{
	memset(o, 0, sizeof(*o));
}

static void info(const struct tern_curl *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void info(const struct tern_curl *c, const char *fmt, ...)
{
	if (!c->o.verbose || !c->o.diag)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(c->o.diag, fmt, ap);
	va_end(ap);
	fflush(c->o.diag);
}

static tern_time_t now_of(const struct tern_curl *c)
{
	return tern_stack_now(c->s);
}

static void close_conn(struct tern_curl *c, bool say)
{
	if (c->sd < 0)
		return;
	tern_socket_set_callback(c->s, c->sd, NULL, NULL);
	tern_close(c->s, c->sd);
	c->sd = -1;
	if (say)
		info(c, "* Closing connection %u\n", c->conn_id);
}

static void write_out(struct tern_curl *c);

/* The transfer failed: curl's "* MSG" (-v), the connection closed,
 * "curl: (CODE) MSG" unless -s (without -S), and the run ends. */
static void fail(struct tern_curl *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(struct tern_curl *c, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	info(c, "* %s\n", msg);
	if (c->sd >= 0) {
		close_conn(c, true);
	} else if (code == CE_COULDNT_RESOLVE_HOST || code == CE_COULDNT_CONNECT ||
		   code == CE_OPERATION_TIMEDOUT) {
		info(c, "* Closing connection %u\n", c->conn_id);
	}
	c->exit_code = code;
	c->t_end = now_of(c);
	tern_timer_cancel(c->s, &c->timeout);
	c->phase = P_DONE;
	write_out(c);
	if (c->o.diag && (!c->o.silent || c->o.show_error)) {
		fprintf(c->o.diag, "%s: (%d) %s\n", c->o.prog ? c->o.prog : "curl", code, msg);
		fflush(c->o.diag);
	}
}

/* ---- -w -------------------------------------------------------------------- */

static double secs(tern_time_t t)
{
	return t > 0 ? (double)t / (double)TERN_SEC(1) : 0.0;
}

static void write_var(struct tern_curl *c, FILE *f, const char *name, size_t len)
{
	char ip[TERN_IP4_STRLEN];
	tern_time_t end = c->t_end ? c->t_end : now_of(c);
#define IS(v) (len == sizeof(v) - 1 && strncmp(name, v, len) == 0)
	if (IS("http_code") || IS("response_code"))
		fprintf(f, "%03d", c->http_code);
	else if (IS("time_total"))
		fprintf(f, "%.6f", secs(end - c->t_start));
	else if (IS("time_connect") || IS("time_pretransfer") || IS("time_appconnect"))
		fprintf(f, "%.6f", IS("time_appconnect") || !c->t_connect ? 0.0
									  : secs(c->t_connect - c->t_start));
	else if (IS("time_namelookup"))
		fprintf(f, "%.6f", 0.0);
	else if (IS("time_starttransfer"))
		fprintf(f, "%.6f", c->t_first_byte ? secs(c->t_first_byte - c->t_start) : 0.0);
	else if (IS("size_download"))
		fprintf(f, "%llu", (unsigned long long)c->size_download);
	else if (IS("size_header"))
		fprintf(f, "%llu", (unsigned long long)c->size_header);
	else if (IS("size_request"))
		fprintf(f, "%llu", (unsigned long long)c->size_request);
	else if (IS("speed_download")) {
		double t = secs(end - c->t_start);
		fprintf(f, "%llu", (unsigned long long)(t > 0 ? (double)c->size_download / t : 0));
	} else if (IS("num_connects"))
		fprintf(f, "%u", c->connects);
	else if (IS("remote_ip"))
		fprintf(f, "%s", c->t_connect ? tern_ip4_str(c->addr, ip) : "");
	else if (IS("remote_port"))
		fprintf(f, "%u", c->t_connect ? c->port : 0);
	else if (IS("url_effective") || IS("url"))
		fprintf(f, "%s", c->o.urls[c->url_index]);
	else if (IS("exitcode"))
		fprintf(f, "%d", c->exit_code);
	else if (IS("http_version"))
		fprintf(f, c->http_code ? "%d.%d" : "0", c->http_major, c->http_minor);
	else if (IS("content_type"))
		fprintf(f, "%s", c->content_type);
	else if (c->o.diag)
		fprintf(c->o.diag, "%s: unknown --write-out variable: '%.*s'\n",
			c->o.prog ? c->o.prog : "curl", (int)len, name);
#undef IS
}

static void write_out(struct tern_curl *c)
{
	const char *p = c->o.write_out;
	if (!p)
		return;
	FILE *f = c->wout;
	while (*p) {
		if (p[0] == '%' && p[1] == '%') {
			fputc('%', f);
			p += 2;
		} else if (p[0] == '%' && p[1] == '{' && strchr(p, '}')) {
			const char *e = strchr(p, '}');
			write_var(c, f, p + 2, (size_t)(e - p - 2));
			p = e + 1;
		} else if (p[0] == '\\' && p[1]) {
			switch (p[1]) {
			case 'n': fputc('\n', f); break;
			case 'r': fputc('\r', f); break;
			case 't': fputc('\t', f); break;
			default: fputc('\\', f); fputc(p[1], f); break;
			}
			p += 2;
		} else {
			fputc(*p++, f);
		}
	}
	fflush(f);
}

/* ---- the URL ----------------------------------------------------------------- */

/* http://HOST[:PORT][/PATH]; a missing scheme is http, as curl guesses. */
static bool parse_url(struct tern_curl *c, const char *url)
{
	const char *p = url, *sep = strstr(url, "://");
	if (sep) {
		size_t n = (size_t)(sep - url);
		if (n != 4 || strncasecmp(url, "http", 4) != 0) {
			fail(c, CE_UNSUPPORTED_PROTOCOL,
			     "Protocol \"%.*s\" not supported or disabled in libcurl", (int)n, url);
			return false;
		}
		p = sep + 3;
	}
	size_t alen = strcspn(p, "/?#");
	const char *rest = p + alen;
	const char *at = memchr(p, '@', alen);
	if (at) { /* user:password@ is not used: no authentication here */
		alen -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	const char *colon = memchr(p, ':', alen);
	size_t hlen = colon ? (size_t)(colon - p) : alen;
	if (hlen == 0 || hlen >= sizeof(c->host)) {
		fail(c, CE_URL_MALFORMAT, "URL using bad/illegal format or missing URL");
		return false;
	}
	memcpy(c->host, p, hlen);
	c->host[hlen] = '\0';
	c->port = 80;
	if (colon && colon + 1 < p + alen) {
		unsigned long v = 0;
		for (const char *q = colon + 1; q < p + alen; q++) {
			if (!isdigit((unsigned char)*q) || v > 65535) {
				v = 65536;
				break;
			}
			v = v * 10 + (unsigned long)(*q - '0');
		}
		if (v == 0 || v > 65535) {
			fail(c, CE_URL_MALFORMAT, "Port number was not a decimal number between 0 and "
						  "65535");
			return false;
		}
		c->port = (uint16_t)v;
	}
	size_t plen = strcspn(rest, "#");
	free(c->path);
	if (plen == 0 || rest[0] != '/') {
		if (asprintf(&c->path, "/%.*s", (int)plen, rest) < 0)
			c->path = NULL;
	} else {
		c->path = strndup(rest, plen);
	}
	if (!c->path) {
		fail(c, CE_URL_MALFORMAT, "Out of memory");
		return false;
	}
	if (tern_ip4_parse(c->host, &c->addr) < 0) {
		/* no resolver yet: only numeric IPv4 hosts */
		fail(c, CE_COULDNT_RESOLVE_HOST, "Could not resolve host: %s", c->host);
		return false;
	}
	return true;
}

/* ---- a transfer ------------------------------------------------------------- */

static void pump(struct tern_curl *c);

static void on_socket(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	(void)s;
	(void)sd;
	(void)events;
	pump(ctx);
}

static void on_timeout(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_curl *c = TERN_CONTAINER_OF(t, struct tern_curl, timeout);
	(void)s;
	long long ms = (long long)((now - c->t_start) / TERN_MSEC(1));
	if (c->phase == P_CONNECTING)
		fail(c, CE_OPERATION_TIMEDOUT, "Connection timed out after %lld milliseconds", ms);
	else if (c->body == B_LENGTH && c->phase == P_BODY)
		fail(c, CE_OPERATION_TIMEDOUT,
		     "Operation timed out after %lld milliseconds with %llu out of %lld bytes received",
		     ms, (unsigned long long)c->size_download, (long long)c->content_length);
	else
		fail(c, CE_OPERATION_TIMEDOUT,
		     "Operation timed out after %lld milliseconds with %llu bytes received", ms,
		     (unsigned long long)c->size_download);
}

static void build_request(struct tern_curl *c)
{
	char hosthdr[300];
	if (c->port == 80)
		snprintf(hosthdr, sizeof(hosthdr), "%s", c->host);
	else
		snprintf(hosthdr, sizeof(hosthdr), "%s:%u", c->host, c->port);
	free(c->req);
	int n = asprintf(&c->req, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n\r\n",
			 c->o.head ? "HEAD" : "GET", c->path, hosthdr,
			 c->o.user_agent ? c->o.user_agent : "tern-curl");
	if (n < 0) {
		c->req = NULL;
		n = 0;
	}
	c->req_len = (size_t)n;
	c->req_off = 0;
	c->size_request = (uint64_t)n;
	/* -v shows the request line by line, as curl: "> " and the line with its CRLF */
	if (c->o.verbose && c->req) {
		const char *p = c->req;
		while (*p) {
			const char *e = strstr(p, "\r\n");
			if (!e)
				break;
			info(c, "> %.*s\r\n", (int)(e - p), p);
			p = e + 2;
		}
	}
	c->phase = P_SENDING;
}

static void connected(struct tern_curl *c)
{
	char ip[TERN_IP4_STRLEN];
	c->t_connect = now_of(c);
	info(c, "* Connected to %s (%s) port %u (#%u)\n", c->host, tern_ip4_str(c->addr, ip),
	     c->port, c->conn_id);
	build_request(c);
}

/* A kept connection still open (nothing to read, no FIN, no error)? */
static bool conn_alive(struct tern_curl *c)
{
	struct tern_pollfd p = {c->sd, TERN_POLLIN, 0};
	tern_poll(c->s, &p, 1);
	return p.revents == 0;
}

static void begin_transfer(struct tern_curl *c)
{
	char ip[TERN_IP4_STRLEN];
	const char *url = c->o.urls[c->url_index];
	c->t_start = now_of(c);
	c->t_connect = c->t_first_byte = c->t_end = 0;
	c->head_len = 0;
	c->got_any = false;
	c->http_code = c->http_major = c->http_minor = 0;
	c->conn_close = false;
	c->body = B_NONE;
	c->content_length = -1;
	c->content_type[0] = '\0';
	c->size_download = c->size_header = c->size_request = 0;
	c->suppress_body = false;
	if (c->o.max_time > 0)
		tern_timer_arm(c->s, &c->timeout, c->t_start + c->o.max_time);
	if (!parse_url(c, url))
		return;
	if (c->sd >= 0 && c->conn_addr == c->addr && c->conn_port == c->port) {
		if (conn_alive(c)) {
			info(c, "* Found bundle for host: %p [serially]\n", (void *)c);
			info(c, "* Can not multiplex, even if we wanted to\n");
			info(c, "* Re-using existing connection #%u with host %s\n", c->conn_id, c->host);
			c->t_connect = c->t_start;
			build_request(c);
			return;
		}
		close_conn(c, true);
	} else if (c->sd >= 0) {
		close_conn(c, true);
	}
	if (c->connects > 0)
		c->conn_id++;
	info(c, "*   Trying %s:%u...\n", tern_ip4_str(c->addr, ip), c->port);
	c->sd = tern_socket(c->s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	if (c->sd < 0) {
		int e = c->sd;
		c->sd = -1;
		fail(c, CE_COULDNT_CONNECT, "socket: %s", tern_strerror(e));
		return;
	}
	c->connects++;
	c->conn_addr = c->addr;
	c->conn_port = c->port;
	/* --tcp-fastopen: as curl on Linux, TCP_FASTOPEN_CONNECT, and on
	 * without it if refused. */
	int one = 1;
	if (c->o.tcp_fastopen && tern_setsockopt(c->s, c->sd, TERN_IPPROTO_TCP,
						 TERN_TCP_FASTOPEN_CONNECT, &one, sizeof(one)) < 0)
		info(c, "* Failed to enable TCP Fast Open on fd %d\n", c->sd);
	tern_socket_set_owner(c->s, c->sd, "curl");
	tern_socket_set_callback(c->s, c->sd, on_socket, c);
	struct tern_sockaddr_in dst = {c->addr, c->port};
	int rc = tern_connect(c->s, c->sd, &dst);
	if (rc == 0) {
		connected(c);
	} else if (rc == TERN_EINPROGRESS) {
		c->phase = P_CONNECTING;
	} else {
		info(c, "* connect to %s port %u failed: %s\n", tern_ip4_str(c->addr, ip), c->port,
		     tern_strerror(rc));
		close_conn(c, false);
		fail(c, CE_COULDNT_CONNECT, "Failed to connect to %s port %u after %lld ms: "
		     "Couldn't connect to server", c->host, c->port,
		     (long long)((now_of(c) - c->t_start) / TERN_MSEC(1)));
	}
}

/* This transfer is over and went well: the next URL, or the end. */
static void transfer_done(struct tern_curl *c)
{
	tern_timer_cancel(c->s, &c->timeout);
	c->t_end = now_of(c);
	if (c->sd < 0)
		; /* closed already (the body ended with the connection) */
	else if (c->conn_close || c->body == B_CLOSE)
		close_conn(c, true);
	else
		info(c, "* Connection #%u to host %s left intact\n", c->conn_id, c->host);
	write_out(c);
	c->phase = P_IDLE;
	if (++c->url_index >= c->o.nurls) {
		c->phase = P_DONE;
		c->url_index = c->o.nurls - 1;
		return;
	}
	begin_transfer(c);
	c->again = true; /* inside pump: one more round sends the request */
}

static bool check_connect(struct tern_curl *c)
{
	char ip[TERN_IP4_STRLEN];
	int soerr = tern_app_connect_result(c->s, c->sd);
	if (soerr == 0)
		return false;
	if (soerr < 0) {
		info(c, "* connect to %s port %u failed: %s\n", tern_ip4_str(c->addr, ip), c->port,
		     tern_strerror(soerr));
		close_conn(c, false);
		fail(c, CE_COULDNT_CONNECT, "Failed to connect to %s port %u after %lld ms: "
		     "Couldn't connect to server", c->host, c->port,
		     (long long)((now_of(c) - c->t_start) / TERN_MSEC(1)));
		return false;
	}
	connected(c);
	return true;
}

static bool emit(struct tern_curl *c, FILE *f, const void *p, size_t n)
{
	if (n == 0)
		return true;
	if (fwrite(p, 1, n, f) != n || fflush(f) != 0) {
		fail(c, CE_WRITE_ERROR, "Failure writing output to destination");
		return false;
	}
	return true;
}

static bool body_bytes(struct tern_curl *c, const uint8_t *p, size_t n)
{
	c->size_download += n;
	if (c->suppress_body)
		return true;
	return emit(c, c->out, p, n);
}

/* Chunked transfer coding (RFC 9112 §7.1): sizes in hex, extensions and
 * trailers read and dropped. Returns false on an error (reported). */
static bool dechunk(struct tern_curl *c, const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n && c->ch != CH_END) {
		if (c->ch == CH_DATA) {
			size_t take = n - i < c->ch_left ? n - i : (size_t)c->ch_left;
			if (!body_bytes(c, p + i, take))
				return false;
			i += take;
			c->ch_left -= take;
			if (c->ch_left == 0) {
				c->ch = CH_DATA_END;
				c->ch_line_len = 0;
			}
			continue;
		}
		char ch = (char)p[i++];
		if (ch != '\n') {
			if (ch != '\r' && c->ch_line_len + 1 < sizeof(c->ch_line))
				c->ch_line[c->ch_line_len++] = ch;
			continue;
		}
		c->ch_line[c->ch_line_len] = '\0';
		size_t len = c->ch_line_len;
		c->ch_line_len = 0;
		switch (c->ch) {
		case CH_SIZE: {
			char *end;
			if (!isxdigit((unsigned char)c->ch_line[0])) {
				fail(c, CE_RECV_ERROR, "Illegal or missing hexadecimal sequence in "
						       "chunked-encoding");
				return false;
			}
			errno = 0;
			unsigned long long v = strtoull(c->ch_line, &end, 16);
			if (errno || (*end && *end != ';' && *end != ' ' && *end != '\t')) {
				fail(c, CE_RECV_ERROR, "Illegal or missing hexadecimal sequence in "
						       "chunked-encoding");
				return false;
			}
			c->ch_left = v;
			c->ch = v ? CH_DATA : CH_TRAILER;
			break;
		}
		case CH_DATA_END:
			if (len) {
				fail(c, CE_RECV_ERROR, "Illegal or missing hexadecimal sequence in "
						       "chunked-encoding");
				return false;
			}
			c->ch = CH_SIZE;
			break;
		case CH_TRAILER:
			if (len == 0)
				c->ch = CH_END;
			break;
		default:
			break;
		}
	}
	return true;
}

/* Response body bytes as they come; transfer_done once the body ended. */
static void take_body(struct tern_curl *c, const uint8_t *p, size_t n)
{
	if (n && c->o.verbose && c->o.data_trace)
		info(c, "{ [%zu bytes data]\n", n);
	switch (c->body) {
	case B_LENGTH: {
		size_t take = n < c->body_left ? n : (size_t)c->body_left;
		if (!body_bytes(c, p, take))
			return;
		c->body_left -= take;
		if (c->body_left == 0)
			transfer_done(c);
		return;
	}
	case B_CHUNKED:
		if (!dechunk(c, p, n))
			return;
		if (c->ch == CH_END)
			transfer_done(c);
		return;
	case B_CLOSE:
		body_bytes(c, p, n);
		return;
	case B_NONE:
		transfer_done(c);
		return;
	}
}

static char *header_value(char *line, const char *name)
{
	size_t n = strlen(name);
	if (strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	char *v = line + n + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	size_t l = strlen(v);
	while (l && (v[l - 1] == ' ' || v[l - 1] == '\t'))
		v[--l] = '\0';
	return v;
}

/* The response head is in head[0, len): status, headers, body framing.
 * Returns false if the transfer ended (error, or -f). */
static bool take_head(struct tern_curl *c, size_t len)
{
	char *h = c->head;
	c->size_header += len;
	if (c->o.head && !emit(c, c->out, c->head, len))
		return false;
	h[len - 1] = '\0';
	char *save = NULL, *line = strtok_r(h, "\n", &save);
	int major, minor, code;
	char sp;
	if (!line || sscanf(line, "HTTP/%d.%d %3d%c", &major, &minor, &code, &sp) < 3 ||
	    code < 100 || code > 999) {
		fail(c, CE_UNSUPPORTED_PROTOCOL, "Received HTTP/0.9 when not allowed");
		return false;
	}
	/* -v echoes each line with its own ending, CRLF or LF, as curl does */
	size_t ll = strlen(line);
	const char *eol = ll && line[ll - 1] == '\r' ? "\r\n" : "\n";
	if (ll && line[ll - 1] == '\r')
		line[--ll] = '\0';
	if (major == 1 && minor == 0)
		info(c, "* HTTP 1.0, assume close after body\n");
	info(c, "< %s%s", line, eol);
	c->http_major = major;
	c->http_minor = minor;
	c->http_code = code;
	c->conn_close = major < 1 || (major == 1 && minor == 0);
	bool chunked = false;
	int64_t cl = -1;
	while ((line = strtok_r(NULL, "\n", &save))) {
		ll = strlen(line);
		eol = ll && line[ll - 1] == '\r' ? "\r\n" : "\n";
		if (ll && line[ll - 1] == '\r')
			line[--ll] = '\0';
		if (ll == 0)
			break;
		info(c, "< %s%s", line, eol);
		char *v;
		if ((v = header_value(line, "Content-Length"))) {
			char *end;
			long long n = strtoll(v, &end, 10);
			if (*end || n < 0) {
				fail(c, CE_RECV_ERROR, "Invalid Content-Length: value");
				return false;
			}
			cl = n;
		} else if ((v = header_value(line, "Transfer-Encoding"))) {
			chunked = tern_http_has_token(v, "chunked");
		} else if ((v = header_value(line, "Connection"))) {
			if (tern_http_has_token(v, "close"))
				c->conn_close = true;
			else if (tern_http_has_token(v, "keep-alive") && major == 1 && minor == 0)
				c->conn_close = false;
		} else if ((v = header_value(line, "Content-Type"))) {
			snprintf(c->content_type, sizeof(c->content_type), "%s", v);
		}
	}
	if (code >= 100 && code < 200)
		return true; /* 100 Continue and the like: the real head follows */
	if (c->o.fail && code >= 400) {
		fail(c, CE_HTTP_RETURNED_ERROR, "The requested URL returned error: %d", code);
		return false;
	}
	info(c, "< %s", eol);
	c->content_length = chunked ? -1 : cl;
	if (c->o.head || code == 204 || code == 304) {
		c->body = B_NONE;
	} else if (chunked) {
		c->body = B_CHUNKED;
		c->ch = CH_SIZE;
		c->ch_line_len = 0;
	} else if (cl >= 0) {
		c->body = cl ? B_LENGTH : B_NONE;
		c->body_left = (uint64_t)cl;
	} else {
		c->body = B_CLOSE;
		if (!c->conn_close)
			info(c, "* no chunk, no close, no size. Assume close to signal end\n");
	}
	return true;
}

/* Bytes of the response: the head first, then the body. */
static void take_bytes(struct tern_curl *c, const uint8_t *p, size_t n)
{
	while (n && c->phase == P_HEAD) {
		size_t i = 0, end = 0;
		for (; i < n; i++) {
			if (c->head_len >= sizeof(c->head)) {
				fail(c, CE_RECV_ERROR, "Too large response headers: %zu > %zu",
				     c->head_len, sizeof(c->head));
				return;
			}
			c->head[c->head_len++] = (char)p[i];
			size_t L = c->head_len;
			if (c->head[L - 1] == '\n' &&
			    ((L >= 2 && c->head[L - 2] == '\n') ||
			     (L >= 3 && c->head[L - 2] == '\r' && c->head[L - 3] == '\n'))) {
				end = i + 1;
				break;
			}
		}
		if (!end)
			return;
		p += end;
		n -= end;
		size_t hl = c->head_len;
		c->head_len = 0;
		if (!take_head(c, hl))
			return;
		if (c->http_code >= 200 || c->http_code < 100) {
			c->phase = P_BODY;
			if (c->body == B_NONE) {
				if (n && c->o.verbose && c->o.data_trace && !c->o.head)
					info(c, "{ [%zu bytes data]\n", n);
				transfer_done(c);
				return;
			}
		}
	}
	if (n && c->phase == P_BODY)
		take_body(c, p, n);
}

/* The server closed (or reset) the connection. */
static void peer_closed(struct tern_curl *c, int err)
{
	if (err < 0) {
		fail(c, CE_RECV_ERROR, "Recv failure: %s", tern_strerror(err));
		return;
	}
	if (!c->got_any) {
		fail(c, CE_GOT_NOTHING, "Empty reply from server");
		return;
	}
	if (c->phase == P_BODY && c->body == B_CLOSE) {
		close_conn(c, true);
		transfer_done(c);
		return;
	}
	if (c->phase == P_BODY && c->body == B_LENGTH) {
		fail(c, CE_PARTIAL_FILE, "transfer closed with %llu bytes remaining to read",
		     (unsigned long long)c->body_left);
		return;
	}
	fail(c, CE_PARTIAL_FILE, "transfer closed with outstanding read data remaining");
}

static void step(struct tern_curl *c)
{
	if (c->phase == P_CONNECTING && !check_connect(c))
		return;
	if (c->phase == P_SENDING) {
		while (c->req_off < c->req_len) {
			int n = tern_send(c->s, c->sd, c->req + c->req_off, c->req_len - c->req_off, 0);
			/* EINPROGRESS: a Fast Open write whose SYN went without
			 * data (no cookie after all): again once connected. */
			if (n == TERN_EAGAIN || n == TERN_EINPROGRESS)
				return;
			if (n < 0) {
				fail(c, CE_RECV_ERROR, "Send failure: %s", tern_strerror(n));
				return;
			}
			c->req_off += (size_t)n;
		}
		c->phase = P_HEAD;
	}
	while (c->phase == P_HEAD || c->phase == P_BODY) {
		int n = tern_recv(c->s, c->sd, c->buf, sizeof(c->buf), 0);
		if (n == TERN_EAGAIN)
			return;
		if (n <= 0) {
			peer_closed(c, n);
			return;
		}
		if (!c->got_any)
			c->t_first_byte = now_of(c);
		c->got_any = true;
		take_bytes(c, c->buf, (size_t)n);
	}
}

static void pump(struct tern_curl *c)
{
	if (c->pumping) {
		c->again = true;
		return;
	}
	c->pumping = true;
	do {
		c->again = false;
		step(c);
	} while (c->again && c->phase != P_DONE);
	c->pumping = false;
}

struct tern_curl *tern_curl_start(struct tern_stack *s, const struct tern_curl_opts *o,
				  FILE *out, tern_time_t now, int *err)
{
	if (o->nurls == 0 || o->nurls > TERN_CURL_MAX_URLS) {
		*err = TERN_EINVAL;
		return NULL;
	}
	struct tern_curl *c = calloc(1, sizeof(*c));
	if (!c) {
		*err = TERN_ENOMEM;
		return NULL;
	}
	c->s = s;
	c->o = *o;
	c->out = out;
	c->wout = o->write_out_to ? o->write_out_to : out;
	c->sd = -1;
	tern_timer_init(&c->timeout, on_timeout);
	if (now > tern_stack_now(s))
		tern_stack_poll(s, now);
	begin_transfer(c);
	if (c->phase != P_DONE)
		pump(c);
	*err = 0;
	return c;
}

bool tern_curl_done(const struct tern_curl *c)
{
	return c->phase == P_DONE;
}

int tern_curl_http_code(const struct tern_curl *c)
{
	return c->http_code;
}

uint64_t tern_curl_size_download(const struct tern_curl *c)
{
	return c->size_download;
}

unsigned tern_curl_connects(const struct tern_curl *c)
{
	return c->connects;
}

int tern_curl_finish(struct tern_curl *c)
{
	int code = c->exit_code;
	tern_timer_cancel(c->s, &c->timeout);
	close_conn(c, false);
	free(c->path);
	free(c->req);
	free(c);
	return code;
}
