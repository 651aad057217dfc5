/*
 * app/httpd.c — a static-file HTTP/1.1 server (RFC 9110, RFC 9112) as an
 * application on a tern host: `tern http`, and the simulator's.
 *
 * Sans-I/O like nc: the listener's and the connections' callbacks run
 * inside the stack's input, the keep-alive timeout is a stack timer per
 * connection, the access log goes to a FILE *. Files are read from disk
 * as the send buffer takes them (16 KiB at a time), so a slow client
 * holds one buffer, not the file.
 *
 * Per connection: read a request into a fixed 8 KiB buffer (a request
 * line that does not fit is 414, headers that do not are 431), answer
 * GET and HEAD for files under the root (405 for other methods, 400 for
 * malformed requests, 403 for paths with a ".." segment or outside the
 * tree, 404 for missing files, 301 to add a directory's "/", a listing
 * for a directory without index.html, 206/416 for one "Range: bytes="
 * range), then read the next request (keep-alive, pipelined requests
 * included), unless the request was HTTP/1.0 or said "Connection:
 * close", or was malformed: then the response ends with Connection:
 * close, a FIN, and a lingering read of what the client still sends
 * (closing with unread data would reset the response away).
 */
#define _GNU_SOURCE /* asprintf */
#include "tern/apps.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tern/err.h"
#include "tern/socket.h"
#include "tern/tcp.h"

#include "app/http_util.h"

#define REQ_MAX 8192           /* request line and headers */
#define OUT_MAX 16384          /* what is sent from at a time */
#define LINGER_TIME TERN_SEC(2)

enum conn_state {
	C_READ,      /* waiting for (the rest of) a request */
	C_WRITE,     /* sending a response */
	C_LINGER,    /* FIN sent; reading what still comes, then closing */
};

struct conn {
	struct tern_httpd *h;
	struct conn *next;
	int sd;
	struct tern_sockaddr_in peer;
	enum conn_state state;
	bool close_after;          /* this response ends the connection */
	bool peer_eof;             /* the client's FIN came: answer what was read, then close */
	bool pumping, again, dead;
	tern_time_t last_activity;
	struct tern_timer idle;
	/* the request being read; bytes past it are the next (pipelined) one */
	char req[REQ_MAX];
	size_t req_len, req_used;
	/* the response: out[] holds headers and then file data */
	uint8_t out[OUT_MAX];
	size_t out_off, out_len;
	int fd;                    /* the file whose body is sent, -1 if none */
	uint64_t file_off, body_left; /* from fd */
	uint8_t *mem;              /* a generated body (listing, error page), or NULL */
	size_t mem_off, mem_len;
	/* for the log line */
	char logreq[256];
	int status;
	uint64_t body_sent;
};

#define REFUSE_MAX 32

struct tern_httpd {
	struct tern_stack *s;
	struct tern_httpd_opts o;
	int lsd;
	/* accepted beyond max_conns, answered 503 by a timer: a send and
	 * shutdown from inside the accept callback loses the first byte
	 * (a TCP bug, reported; tests/sim/test_sim_http.c checks the 503) */
	int refused[REFUSE_MAX];
	unsigned nrefused;
	struct tern_timer refuse_timer;
	struct conn *conns;
	struct tern_httpd_stats st;
};

void tern_httpd_opts_init(struct tern_httpd_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->port = 80;
	o->max_conns = 64;
	o->idle_timeout = TERN_SEC(5);
}

static void diag(const struct tern_httpd *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void diag(const struct tern_httpd *h, const char *fmt, ...)
{
	if (!h->o.diag)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(h->o.diag, fmt, ap);
	va_end(ap);
	fflush(h->o.diag);
}

static int64_t wall_now(const struct tern_httpd *h)
{
	if (h->o.wall_clock)
		return h->o.wall_clock(h->o.wall_ctx);
	return tern_stack_now(h->s) / TERN_SEC(1);
}

/* RFC 9110 §5.6.7's IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT". */
static void http_date(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* ---- connections ------------------------------------------------------------ */

static void conn_pump(struct conn *c);

static void on_conn(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	(void)s;
	(void)sd;
	(void)events;
	conn_pump(ctx);
}

static void on_idle(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct conn *c = TERN_CONTAINER_OF(t, struct conn, idle);
	tern_time_t limit = c->state == C_LINGER ? LINGER_TIME : c->h->o.idle_timeout;
	if (c->state == C_WRITE || now < c->last_activity + limit) {
		/* a response under way is bounded by TCP's own timeouts */
		tern_timer_arm(s, t, (c->state == C_WRITE ? now : c->last_activity) + limit);
		return;
	}
	c->dead = true;
	conn_pump(c);
}

static void end_body(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->mem);
	c->mem = NULL;
	c->mem_off = c->mem_len = 0;
	c->body_left = 0;
}

static void conn_free(struct conn *c)
{
	struct tern_httpd *h = c->h;
	for (struct conn **pp = &h->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	tern_timer_cancel(h->s, &c->idle);
	if (c->sd >= 0) {
		tern_socket_set_callback(h->s, c->sd, NULL, NULL);
		tern_close(h->s, c->sd);
	}
	end_body(c);
	h->st.active--;
	free(c);
}

/* ---- responses -------------------------------------------------------------- */

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

static const char *content_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".html", "text/html"}, {".htm", "text/html"}, {".txt", "text/plain"},
		{".css", "text/css"}, {".js", "text/javascript"}, {".json", "application/json"},
		{".png", "image/png"}, {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"},
		{".gif", "image/gif"}, {".svg", "image/svg+xml"}, {".pdf", "application/pdf"},
		{".pcap", "application/vnd.tcpdump.pcap"},
	};
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	if (dot && (!slash || dot > slash))
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

/* Append to the response headers; false if they do not fit. */
static bool out_printf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool out_printf(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = sizeof(c->out) - c->out_len;
	int n = vsnprintf((char *)c->out + c->out_len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return false;
	c->out_len += (size_t)n;
	return true;
}

/* Status line and the headers every response has. */
static void begin_response(struct conn *c, int status)
{
	char date[64];
	http_date(wall_now(c->h), date, sizeof(date));
	c->status = status;
	c->out_off = c->out_len = 0;
	c->body_sent = 0;
	out_printf(c, "HTTP/1.1 %d %s\r\nServer: tern\r\nDate: %s\r\n", status, reason(status), date);
}

static void finish_headers(struct conn *c)
{
	if (c->close_after)
		out_printf(c, "Connection: close\r\n");
	out_printf(c, "\r\n");
	c->state = C_WRITE;
}

/* A response whose body is generated (an error page, a listing). */
static void respond_mem(struct conn *c, int status, const char *type, char *body, size_t len,
			bool head, const char *extra)
{
	begin_response(c, status);
	out_printf(c, "Content-Type: %s\r\nContent-Length: %zu\r\n%s", type, len, extra ? extra : "");
	finish_headers(c);
	if (head || !body) {
		free(body);
		return;
	}
	c->mem = (uint8_t *)body;
	c->mem_len = len;
}

/* An error page (or a redirect's); whether the connection stays is the
 * caller's choice, made before (close_after). */
static void respond_error(struct conn *c, int status, bool head, const char *extra)
{
	char *body = NULL;
	int n = asprintf(&body, "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>\n"
				"<body><h1>%d %s</h1></body></html>\n",
			 status, reason(status), status, reason(status));
	if (n < 0) {
		body = NULL;
		n = 0;
	}
	respond_mem(c, status, "text/html", body, (size_t)n, head, extra);
}

/* ---- the request ------------------------------------------------------------ */

struct request {
	char *method, *target, *version;
	bool http10, close, has_host, has_body, bad;
	const char *range;         /* the Range header's value, or NULL */
};

static bool is_tchar(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* Split the request head (NUL-terminated, lines ending in CRLF or LF) in place. */
static void parse_head(char *head, struct request *r)
{
	memset(r, 0, sizeof(*r));
	char *save = NULL;
	char *line = strtok_r(head, "\n", &save);
	if (!line) {
		r->bad = true;
		return;
	}
	size_t n = strlen(line);
	if (n && line[n - 1] == '\r')
		line[--n] = '\0';
	/* request-line = method SP request-target SP HTTP-version */
	char *sp1 = strchr(line, ' ');
	char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strchr(sp2 + 1, ' ') || sp1 == line || sp2 == sp1 + 1) {
		r->bad = true;
		return;
	}
	*sp1 = *sp2 = '\0';
	r->method = line;
	r->target = sp1 + 1;
	r->version = sp2 + 1;
	for (char *p = r->method; *p; p++)
		if (!is_tchar((unsigned char)*p))
			r->bad = true;
	const char *v = r->version;
	if (strncmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' || v[7] < '0' ||
	    v[7] > '9' || v[8]) {
		r->bad = true;
		return;
	}
	r->http10 = v[5] == '1' && v[7] == '0';
	for (char *p = r->target; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			r->bad = true;
	while ((line = strtok_r(NULL, "\n", &save))) {
		n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n == 0)
			break;
		char *colon = strchr(line, ':');
		if (!colon || colon == line) {
			r->bad = true;
			return;
		}
		*colon = '\0';
		for (char *p = line; *p; p++)
			if (!is_tchar((unsigned char)*p)) /* no space before the colon (RFC 9112 §5.1) */
				r->bad = true;
		char *val = trim(colon + 1);
		if (strcasecmp(line, "Host") == 0) {
			if (r->has_host)
				r->bad = true; /* RFC 9112 §3.2: more than one Host */
			r->has_host = true;
		} else if (strcasecmp(line, "Connection") == 0) {
			if (tern_http_has_token(val, "close"))
				r->close = true;
		} else if (strcasecmp(line, "Range") == 0) {
			r->range = val;
		} else if (strcasecmp(line, "Transfer-Encoding") == 0) {
			r->has_body = true;
		} else if (strcasecmp(line, "Content-Length") == 0) {
			char *end;
			errno = 0;
			unsigned long long cl = strtoull(val, &end, 10);
			if (!*val || *end || errno || val[0] == '-')
				r->bad = true;
			else if (cl > 0)
				r->has_body = true;
		}
	}
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* The target's path, percent-decoded into out. 400 for a malformed
 * target, 403 for a ".." segment, else 0. */
static int decode_path(const char *target, char *out, size_t len)
{
	if (target[0] != '/')
		return 400;
	size_t o = 0;
	for (const char *p = target; *p && *p != '?' && *p != '#'; p++) {
		char ch = *p;
		if (ch == '%') {
			int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
			if (hi < 0 || lo < 0)
				return 400;
			ch = (char)(hi * 16 + lo);
			p += 2;
			if (ch == '\0')
				return 400;
		}
		if (o + 1 >= len)
			return 414;
		out[o++] = ch;
	}
	out[o] = '\0';
	/* a ".." segment anywhere (after decoding, so %2e%2e too) */
	for (const char *seg = out; seg; seg = strchr(seg, '/')) {
		seg++;
		if (seg[0] == '.' && seg[1] == '.' && (seg[2] == '/' || seg[2] == '\0'))
			return 403;
	}
	return 0;
}

/* One "bytes=a-b" range of a body of `size` bytes: 1 and [*first, *last]
 * if satisfiable, 0 if the header is to be ignored (not bytes, several
 * ranges, malformed), -1 if unsatisfiable (416). */
static int parse_range(const char *v, uint64_t size, uint64_t *first, uint64_t *last)
{
	if (strncasecmp(v, "bytes=", 6) != 0 || strchr(v, ','))
		return 0;
	v += 6;
	char *end;
	if (*v == '-') { /* the last N bytes */
		if (v[1] < '0' || v[1] > '9')
			return 0;
		unsigned long long n = strtoull(v + 1, &end, 10);
		if (*end)
			return 0;
		if (n == 0 || size == 0)
			return -1;
		*first = n >= size ? 0 : size - n;
		*last = size - 1;
		return 1;
	}
	if (*v < '0' || *v > '9')
		return 0;
	unsigned long long a = strtoull(v, &end, 10), b;
	if (*end != '-')
		return 0;
	if (end[1] == '\0') {
		b = size ? size - 1 : 0;
	} else {
		if (end[1] < '0' || end[1] > '9')
			return 0;
		b = strtoull(end + 1, &end, 10);
		if (*end)
			return 0;
		if (b < a)
			return 0;
	}
	if (a >= size)
		return -1;
	*first = a;
	*last = b >= size ? size - 1 : b;
	return 1;
}

/* Append HTML-escaped text to a growing buffer. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_html(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': sb_str(b, "&lt;"); break;
		case '>': sb_str(b, "&gt;"); break;
		case '&': sb_str(b, "&amp;"); break;
		case '"': sb_str(b, "&quot;"); break;
		default: sb_add(b, s, 1);
		}
	}
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory listing, names sorted, dot-files left out. */
static void respond_listing(struct conn *c, const char *fspath, const char *urlpath, bool head)
{
	DIR *d = opendir(fspath);
	if (!d) {
		respond_error(c, errno == ENOENT ? 404 : 403, head, NULL);
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			char **p = realloc(names, cap * sizeof(*names));
			if (!p)
				break;
			names = p;
		}
		char full[4096];
		struct stat st;
		int fl = snprintf(full, sizeof(full), "%s/%s", fspath, e->d_name);
		bool dir = fl > 0 && (size_t)fl < sizeof(full) && stat(full, &st) == 0 &&
			   S_ISDIR(st.st_mode);
		if (asprintf(&names[n], "%s%s", e->d_name, dir ? "/" : "") >= 0)
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	struct sbuf b = {0};
	sb_str(&b, "<!DOCTYPE html>\n<html><head><title>Index of ");
	sb_html(&b, urlpath);
	sb_str(&b, "</title></head>\n<body><h1>Index of ");
	sb_html(&b, urlpath);
	sb_str(&b, "</h1>\n<ul>\n");
	for (size_t i = 0; i < n; i++) {
		sb_str(&b, "<li><a href=\"");
		sb_html(&b, names[i]);
		sb_str(&b, "\">");
		sb_html(&b, names[i]);
		sb_str(&b, "</a></li>\n");
		free(names[i]);
	}
	free(names);
	sb_str(&b, "</ul></body></html>\n");
	if (b.oom) {
		free(b.p);
		respond_error(c, 503, head, NULL);
		return;
	}
	respond_mem(c, 200, "text/html; charset=utf-8", b.p, b.len, head, NULL);
}

static void respond_file(struct conn *c, int fd, const struct stat *st, const char *path,
			 const struct request *r, bool head)
{
	char lm[64];
	http_date(c->h->o.epoch_mtime ? 0 : (int64_t)st->st_mtime, lm, sizeof(lm));
	uint64_t size = (uint64_t)st->st_size, first = 0, last = size ? size - 1 : 0;
	int range = r->range ? parse_range(r->range, size, &first, &last) : 0;
	if (range < 0) {
		char extra[64];
		snprintf(extra, sizeof(extra), "Content-Range: bytes */%llu\r\n",
			 (unsigned long long)size);
		close(fd);
		respond_error(c, 416, head, extra);
		return;
	}
	uint64_t len = range > 0 ? last - first + 1 : size;
	begin_response(c, range > 0 ? 206 : 200);
	out_printf(c, "Content-Type: %s\r\nContent-Length: %llu\r\nLast-Modified: %s\r\n"
		      "Accept-Ranges: bytes\r\n",
		   content_type(path), (unsigned long long)len, lm);
	if (range > 0)
		out_printf(c, "Content-Range: bytes %llu-%llu/%llu\r\n", (unsigned long long)first,
			   (unsigned long long)last, (unsigned long long)size);
	finish_headers(c);
	if (head || len == 0) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->file_off = first;
	c->body_left = len;
}

/* Copy the request line into the log's field, printable ASCII only. */
static void note_request_line(struct conn *c, const char *head)
{
	size_t i = 0;
	for (; head[i] && head[i] != '\r' && head[i] != '\n' && i + 1 < sizeof(c->logreq); i++) {
		unsigned char ch = (unsigned char)head[i];
		c->logreq[i] = ch < ' ' || ch >= 0x7f || ch == '"' ? '_' : (char)ch;
	}
	c->logreq[i] = '\0';
}

/* Answer the request whose head is req[0, len) (NUL-terminated in place). */
static void handle(struct conn *c, char *head)
{
	struct tern_httpd *h = c->h;
	struct request r;
	note_request_line(c, head);
	parse_head(head, &r);
	h->st.requests++;
	c->close_after = false;
	if (r.bad || (!r.http10 && r.version && !r.has_host && r.version[5] == '1')) {
		c->close_after = true;
		respond_error(c, 400, false, NULL);
		return;
	}
	if (r.version[5] != '1') {
		c->close_after = true;
		respond_error(c, 505, false, NULL);
		return;
	}
	c->close_after = r.http10 || r.close || r.has_body;
	bool get = strcmp(r.method, "GET") == 0, head_only = strcmp(r.method, "HEAD") == 0;
	if (!get && !head_only) {
		c->close_after = true; /* a body may follow, unread */
		respond_error(c, 405, false, "Allow: GET, HEAD\r\n");
		return;
	}
	char path[4096];
	int bad = decode_path(r.target, path, sizeof(path));
	if (bad) {
		if (bad != 403)
			c->close_after = true; /* a malformed target: trust nothing after it */
		respond_error(c, bad, head_only, NULL);
		return;
	}
	char fspath[8192];
	int fl = snprintf(fspath, sizeof(fspath), "%s%s", h->o.root, path);
	if (fl < 0 || (size_t)fl >= sizeof(fspath) - sizeof("index.html")) {
		c->close_after = true;
		respond_error(c, 414, head_only, NULL);
		return;
	}
	struct stat st;
	if (stat(fspath, &st) < 0) {
		respond_error(c, errno == EACCES ? 403 : 404, head_only, NULL);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		size_t pl = strlen(path);
		if (path[pl - 1] != '/') {
			char loc[4200];
			snprintf(loc, sizeof(loc), "Location: %s/\r\n", path);
			respond_error(c, 301, head_only, loc);
			return;
		}
		char idx[sizeof(fspath)];
		int il = snprintf(idx, sizeof(idx), "%sindex.html", fspath);
		if (il > 0 && (size_t)il < sizeof(idx) && stat(idx, &st) == 0 && S_ISREG(st.st_mode)) {
			memcpy(fspath, idx, (size_t)il + 1);
		} else {
			if (h->o.no_index)
				respond_error(c, 403, head_only, NULL);
			else
				respond_listing(c, fspath, path, head_only);
			return;
		}
	}
	if (!S_ISREG(st.st_mode)) {
		respond_error(c, 403, head_only, NULL);
		return;
	}
	int fd = open(fspath, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		respond_error(c, errno == ENOENT ? 404 : 403, head_only, NULL);
		return;
	}
	respond_file(c, fd, &st, fspath, &r, head_only);
}

/* The request buffer filled up before its head ended. */
static void too_long(struct conn *c)
{
	bool line_fits = memchr(c->req, '\n', c->req_len) != NULL;
	c->req[c->req_len - 1] = '\0';
	note_request_line(c, c->req);
	c->h->st.requests++;
	c->close_after = true;
	respond_error(c, line_fits ? 431 : 414, false, NULL);
}

/* Is a whole request head in req[]? Its length (through the blank line), or 0. */
static size_t head_length(const struct conn *c)
{
	/* Leading empty lines before a request are ignored (RFC 9112 §2.2). */
	for (size_t i = 0; i < c->req_len; i++) {
		if (c->req[i] != '\n')
			continue;
		if (i + 1 < c->req_len && c->req[i + 1] == '\n')
			return i + 2;
		if (i + 2 < c->req_len && c->req[i + 1] == '\r' && c->req[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static void skip_leading_crlf(struct conn *c)
{
	size_t k = 0;
	while (k < c->req_len && (c->req[k] == '\r' || c->req[k] == '\n'))
		k++;
	if (k) {
		memmove(c->req, c->req + k, c->req_len - k);
		c->req_len -= k;
	}
}

/* Is there a request to answer in what was read? */
static void try_request(struct conn *c)
{
	skip_leading_crlf(c);
	size_t n = head_length(c);
	if (n) {
		c->req[n - 1] = '\0'; /* the last LF: the head is a string now */
		c->req_used = n;
		handle(c, c->req);
		return;
	}
	if (c->req_len == sizeof(c->req)) {
		c->req_used = c->req_len;
		too_long(c);
	}
}

static void log_request(struct conn *c)
{
	struct tern_httpd *h = c->h;
	if (!h->o.log)
		return;
	char ip[TERN_IP4_STRLEN], when[64];
	time_t t = (time_t)wall_now(h);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
	char bytes[24];
	if (c->body_sent)
		snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)c->body_sent);
	else
		snprintf(bytes, sizeof(bytes), "-");
	fprintf(h->o.log, "%s - - [%s] \"%s\" %d %s\n", tern_ip4_str(c->peer.addr, ip), when,
		c->logreq, c->status, bytes);
	fflush(h->o.log);
}

/* Top out[] up from the body behind what it still holds (the headers
 * and the body's first bytes then go in one write, one segment: a second
 * small write would wait a round trip for Nagle). True if out[] has
 * something to send. */
static bool refill(struct conn *c)
{
	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	size_t room = sizeof(c->out) - c->out_len;
	if (room && c->mem && c->mem_off < c->mem_len) {
		size_t n = c->mem_len - c->mem_off;
		if (n > room)
			n = room;
		memcpy(c->out + c->out_len, c->mem + c->mem_off, n);
		c->mem_off += n;
		c->out_len += n;
		return true;
	}
	if (room && c->fd >= 0 && c->body_left > 0) {
		size_t want = c->body_left < room ? (size_t)c->body_left : room;
		ssize_t n = pread(c->fd, c->out + c->out_len, want, (off_t)c->file_off);
		if (n <= 0) {
			/* the file shrank or failed: the length promised cannot be kept */
			diag(c->h, "tern http: read: %s\n", n < 0 ? strerror(errno) : "file shrank");
			c->dead = true;
			return false;
		}
		c->file_off += (uint64_t)n;
		c->body_left -= (uint64_t)n;
		c->out_len += (size_t)n;
		return true;
	}
	return c->out_len > 0;
}

/* Send what the send buffer takes; true once the response has all gone. */
static bool write_response(struct conn *c, bool *progress)
{
	for (;;) {
		if (!refill(c))
			return !c->dead;
		int n = tern_send(c->h->s, c->sd, c->out + c->out_off, c->out_len - c->out_off, 0);
		if (n == TERN_EAGAIN)
			return false;
		if (n < 0) {
			c->dead = true;
			return false;
		}
		*progress = true;
		c->out_off += (size_t)n;
		c->last_activity = tern_stack_now(c->h->s);
	}
}

/* Read into req[]; 0, or the client's FIN (peer_eof), or a reset (dead). */
static void read_more(struct conn *c, bool *progress)
{
	while (!c->peer_eof && c->req_len < sizeof(c->req)) {
		int n = tern_recv(c->h->s, c->sd, c->req + c->req_len, sizeof(c->req) - c->req_len, 0);
		if (n == TERN_EAGAIN)
			return;
		if (n == 0) {
			c->peer_eof = true;
			return;
		}
		if (n < 0) {
			c->dead = true;
			return;
		}
		c->req_len += (size_t)n;
		c->last_activity = tern_stack_now(c->h->s);
		*progress = true;
	}
}

static void start_linger(struct conn *c)
{
	c->state = C_LINGER;
	c->req_len = c->req_used = 0;
	tern_shutdown(c->h->s, c->sd, TERN_SHUT_WR);
	c->last_activity = tern_stack_now(c->h->s);
	tern_timer_cancel(c->h->s, &c->idle);
	tern_timer_arm(c->h->s, &c->idle, c->last_activity + LINGER_TIME);
}

static void conn_step(struct conn *c)
{
	bool progress = true;
	while (progress && !c->dead) {
		progress = false;
		switch (c->state) {
		case C_READ:
			read_more(c, &progress);
			if (c->dead)
				break;
			try_request(c);
			if (c->state == C_READ && c->peer_eof) {
				c->dead = true; /* the client closed between requests */
				break;
			}
			if (c->state == C_WRITE) {
				progress = true;
				/* the body's length, for the log (sent in full or the
				 * connection dies unlogged) */
				c->body_sent = c->mem ? c->mem_len : c->body_left;
			}
			break;
		case C_WRITE:
			if (!write_response(c, &progress))
				break;
			end_body(c);
			c->h->st.bytes += c->body_sent;
			log_request(c);
			/* the next request, already read or not */
			memmove(c->req, c->req + c->req_used, c->req_len - c->req_used);
			c->req_len -= c->req_used;
			c->req_used = 0;
			if (c->close_after && c->peer_eof) {
				c->dead = true; /* both sides done: close sends our FIN */
			} else if (c->close_after) {
				start_linger(c);
			} else {
				c->state = C_READ;
				c->last_activity = tern_stack_now(c->h->s);
			}
			progress = true;
			break;
		case C_LINGER: {
			char junk[2048];
			int n;
			while ((n = tern_recv(c->h->s, c->sd, junk, sizeof(junk), 0)) > 0)
				c->last_activity = tern_stack_now(c->h->s);
			if (n != TERN_EAGAIN)
				c->dead = true; /* the client's FIN (or a reset): done */
			break;
		}
		}
	}
}

/* Everything a connection does happens here; a callback run from inside
 * (send, shutdown) only asks for another round. */
static void conn_pump(struct conn *c)
{
	if (c->pumping) {
		c->again = true;
		return;
	}
	c->pumping = true;
	do {
		c->again = false;
		conn_step(c);
	} while (c->again && !c->dead);
	c->pumping = false;
	if (c->dead)
		conn_free(c);
}

/* ---- the listener ----------------------------------------------------------- */

/* Over the bound: a 503 and a FIN, nothing read. */
static void refuse_now(struct tern_httpd *h, int sd)
{
	char date[64], msg[256];
	http_date(wall_now(h), date, sizeof(date));
	int n = snprintf(msg, sizeof(msg),
			 "HTTP/1.1 503 Service Unavailable\r\nServer: tern\r\nDate: %s\r\n"
			 "Content-Length: 0\r\nConnection: close\r\nRetry-After: 1\r\n\r\n",
			 date);
	tern_send(h->s, sd, msg, (size_t)n, 0);
	tern_shutdown(h->s, sd, TERN_SHUT_WR);
	tern_close(h->s, sd);
	h->st.refused++;
}

static void on_refuse_timer(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_httpd *h = TERN_CONTAINER_OF(t, struct tern_httpd, refuse_timer);
	(void)s;
	(void)now;
	for (unsigned i = 0; i < h->nrefused; i++)
		refuse_now(h, h->refused[i]);
	h->nrefused = 0;
}

static void refuse(struct tern_httpd *h, int sd)
{
	if (h->nrefused == REFUSE_MAX) { /* a flood: no answer, just the FIN */
		tern_close(h->s, sd);
		h->st.refused++;
		return;
	}
	h->refused[h->nrefused++] = sd;
	if (!tern_timer_armed(&h->refuse_timer))
		tern_timer_arm(h->s, &h->refuse_timer, tern_stack_now(h->s));
}

static void on_listener(void *ctx, struct tern_stack *s, int lsd, unsigned events)
{
	struct tern_httpd *h = ctx;
	(void)events;
	for (;;) {
		struct tern_sockaddr_in peer;
		int sd = tern_accept(s, lsd, &peer);
		if (sd < 0) {
			if (sd != TERN_EAGAIN)
				diag(h, "tern http: accept: %s\n", tern_strerror(sd));
			return;
		}
		if (h->st.active >= h->o.max_conns) {
			refuse(h, sd);
			continue;
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (!c) {
			tern_close(s, sd);
			continue;
		}
		/* As nginx's tcp_nodelay (on by default): a response's last
		 * partial segment goes without waiting for the ACK of the rest. */
		int one = 1;
		tern_setsockopt(s, sd, TERN_IPPROTO_TCP, TERN_TCP_NODELAY, &one, sizeof(one));
		c->h = h;
		c->sd = sd;
		c->peer = peer;
		c->fd = -1;
		c->state = C_READ;
		c->last_activity = tern_stack_now(s);
		c->next = h->conns;
		h->conns = c;
		h->st.connections++;
		if (++h->st.active > h->st.max_active)
			h->st.max_active = h->st.active;
		tern_timer_init(&c->idle, on_idle);
		tern_timer_arm(s, &c->idle, c->last_activity + h->o.idle_timeout);
		tern_socket_set_owner(s, sd, "http");
		tern_socket_set_callback(s, sd, on_conn, c);
		conn_pump(c); /* the request may be here already */
	}
}

struct tern_httpd *tern_httpd_start(struct tern_stack *s, const struct tern_httpd_opts *o,
				    tern_time_t now, int *err)
{
	if (!o->root || !o->root[0] || o->port == 0 || o->max_conns == 0) {
		*err = TERN_EINVAL;
		return NULL;
	}
	struct tern_httpd *h = calloc(1, sizeof(*h));
	if (!h) {
		*err = TERN_ENOMEM;
		return NULL;
	}
	h->s = s;
	h->o = *o;
	tern_timer_init(&h->refuse_timer, on_refuse_timer);
	if (h->o.idle_timeout <= 0)
		h->o.idle_timeout = TERN_SEC(5);
	if (now > tern_stack_now(s))
		tern_stack_poll(s, now);
	char ip[TERN_IP4_STRLEN];
	int one = 1, rc;
	h->lsd = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	if (h->lsd < 0) {
		rc = h->lsd;
		diag(h, "tern http: socket: %s\n", tern_strerror(rc));
		goto fail;
	}
	tern_socket_set_owner(s, h->lsd, "http");
	tern_setsockopt(s, h->lsd, TERN_SOL_SOCKET, TERN_SO_REUSEADDR, &one, sizeof(one));
	struct tern_sockaddr_in b = {o->addr, o->port};
	rc = tern_bind(s, h->lsd, &b);
	if (rc < 0) {
		diag(h, "tern http: bind %s:%u: %s\n", tern_ip4_str(o->addr, ip), o->port,
		     tern_strerror(rc));
		goto fail;
	}
	/* TCP Fast Open (RFC 7413): a request on the SYN is served in the
	 * SYN-ACK's round trip, up to 256 such connections still opening
	 * (nginx's fastopen=256); only where net.ipv4.tcp_fastopen has 0x2. */
	int fastopen_qlen = 256;
	tern_setsockopt(s, h->lsd, TERN_IPPROTO_TCP, TERN_TCP_FASTOPEN, &fastopen_qlen,
			sizeof(fastopen_qlen));
	rc = tern_listen(s, h->lsd, 128);
	if (rc < 0) {
		diag(h, "tern http: listen: %s\n", tern_strerror(rc));
		goto fail;
	}
	tern_socket_set_callback(s, h->lsd, on_listener, h);
	*err = 0;
	return h;
fail:
	if (h->lsd >= 0)
		tern_close(s, h->lsd);
	free(h);
	*err = rc;
	return NULL;
}

void tern_httpd_get_stats(const struct tern_httpd *h, struct tern_httpd_stats *st)
{
	*st = h->st;
}

void tern_httpd_finish(struct tern_httpd *h)
{
	while (h->conns) {
		struct conn *c = h->conns;
		if (c->state == C_WRITE) {
			struct tern_linger l = {1, 0};
			tern_setsockopt(h->s, c->sd, TERN_SOL_SOCKET, TERN_SO_LINGER, &l, sizeof(l));
		}
		conn_free(c);
	}
	tern_timer_cancel(h->s, &h->refuse_timer);
	for (unsigned i = 0; i < h->nrefused; i++)
		tern_close(h->s, h->refused[i]);
	tern_socket_set_callback(h->s, h->lsd, NULL, NULL);
	tern_close(h->s, h->lsd);
	free(h);
}
