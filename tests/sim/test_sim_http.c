/*
 * tests/sim/test_sim_http.c — the HTTP server and client engines
 * (tern_httpd_*, tern_curl_* in tern/apps.h) on two simulated hosts: A
 * 10.0.0.1 runs curl, B 10.0.0.2 serves a temporary directory on port 80
 * over a 1 ms link.
 *
 * Files byte-exact (a small one and 4 MiB) with the access log's Common
 * Log Format lines; several URLs over one kept-alive connection; 404
 * with and without -f; HEAD (-I); 50 clients at once; the connection
 * bound (503 beyond it); malformed, unsupported and over-long requests
 * (400, 405, 414, 431), "..", HTTP/1.0, pipelining, Range, the idle
 * timeout; and curl's failures against a scripted server: refused (7),
 * a name (6), -m (28), an empty reply (52), a reset (56), chunked bodies.
 */
#include "harness.h"
#include "sim_pair.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tern/apps.h"
#include "tern/socket.h"

#define LIMIT TERN_SEC(30)
#define B_ADDR TERN_IP4(10, 0, 0, 2)
#define BIG_LEN (4u << 20)

/* ---- fixtures ----------------------------------------------------------------- */

struct site {
	char dir[64];
	uint8_t *big;
};

static bool write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return false;
	bool ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok;
}

static bool site_make(struct site *st)
{
	snprintf(st->dir, sizeof(st->dir), "/tmp/tern-sim-http.XXXXXX");
	if (!mkdtemp(st->dir))
		return false;
	st->big = malloc(BIG_LEN);
	if (!st->big)
		return false;
	uint32_t x = 12345;
	for (size_t i = 0; i < BIG_LEN; i++) {
		x = x * 1103515245u + 12345u;
		st->big[i] = (uint8_t)(x >> 16);
	}
	char mid[65536];
	for (size_t i = 0; i < sizeof(mid); i++)
		mid[i] = (char)('a' + i % 26);
	char sub[128];
	snprintf(sub, sizeof(sub), "%s/sub", st->dir);
	return write_file(st->dir, "small.txt", "hello, tern\n", 12) &&
	       write_file(st->dir, "big.bin", st->big, BIG_LEN) &&
	       write_file(st->dir, "mid.txt", mid, sizeof(mid)) && mkdir(sub, 0755) == 0 &&
	       write_file(sub, "index.html", "<p>sub</p>\n", 11);
}

static void site_free(struct site *st)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", st->dir);
	if (st->dir[0] && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", st->dir);
	free(st->big);
}

/* A memory stream and its buffer. */
struct mem {
	FILE *f;
	char *buf;
	size_t len;
};

static bool mem_open(struct mem *m)
{
	memset(m, 0, sizeof(*m));
	m->f = open_memstream(&m->buf, &m->len);
	return m->f != NULL;
}

static const char *mem_str(struct mem *m)
{
	fflush(m->f);
	return m->buf ? m->buf : "";
}

static void mem_close(struct mem *m)
{
	if (m->f)
		fclose(m->f);
	free(m->buf);
	memset(m, 0, sizeof(*m));
}

struct env {
	struct tern_sim *sim;
	struct tern_stack *a, *b;
	struct site site;
	struct tern_httpd *h;
	struct mem log;
};

static bool env_up(struct env *e, uint64_t seed, unsigned max_conns)
{
	memset(e, 0, sizeof(*e));
	e->sim = sim_pair(seed, &e->a, &e->b);
	if (!e->sim || !site_make(&e->site) || !mem_open(&e->log))
		return false;
	struct tern_httpd_opts o;
	tern_httpd_opts_init(&o);
	o.root = e->site.dir;
	o.log = e->log.f;
	o.diag = stderr;
	if (max_conns)
		o.max_conns = max_conns;
	int err;
	e->h = tern_httpd_start(e->b, &o, tern_sim_now(e->sim), &err);
	return e->h != NULL;
}

static void env_down(struct env *e)
{
	if (e->h)
		tern_httpd_finish(e->h);
	if (e->sim)
		tern_sim_destroy(e->sim);
	site_free(&e->site);
	mem_close(&e->log);
}

/* A curl on A writing its body and messages to memory. */
struct client {
	struct tern_curl *c;
	struct mem out, diag;
};

static bool curl_done(void *ctx)
{
	return tern_curl_done(ctx);
}

static bool client_start(struct client *cl, struct env *e, struct tern_curl_opts *o)
{
	int err;
	if (!mem_open(&cl->out) || !mem_open(&cl->diag))
		return false;
	o->diag = cl->diag.f;
	cl->c = tern_curl_start(e->a, o, cl->out.f, tern_sim_now(e->sim), &err);
	return cl->c != NULL;
}

/* Run one curl to its end; its exit code. */
static int fetch(struct client *cl, struct env *e, struct tern_curl_opts *o)
{
	if (!client_start(cl, e, o))
		return -1;
	if (!tern_sim_run_while(e->sim, curl_done, cl->c, tern_sim_now(e->sim) + LIMIT))
		return -2;
	fflush(cl->out.f);
	fflush(cl->diag.f);
	return 0;
}

static int client_finish(struct client *cl)
{
	int rc = cl->c ? tern_curl_finish(cl->c) : -1;
	cl->c = NULL;
	mem_close(&cl->out);
	mem_close(&cl->diag);
	return rc;
}

static void url_opts(struct tern_curl_opts *o, const char *url)
{
	tern_curl_opts_init(o);
	o->urls[0] = url;
	o->nurls = 1;
}

/* ---- server and client together ---------------------------------------------- */

TEST(http_files_byte_exact_and_logged)
{
	struct env e;
	REQUIRE(env_up(&e, 1, 0));
	struct tern_curl_opts o;
	struct client cl = {0};
	url_opts(&o, "http://10.0.0.2/small.txt");
	REQUIRE_EQ(fetch(&cl, &e, &o), 0);
	CHECK_EQ(cl.out.len, 12);
	CHECK_STR(mem_str(&cl.out), "hello, tern\n");
	CHECK_EQ(tern_curl_http_code(cl.c), 200);
	CHECK_EQ(client_finish(&cl), 0);

	url_opts(&o, "http://10.0.0.2:80/big.bin");
	REQUIRE_EQ(fetch(&cl, &e, &o), 0);
	CHECK_EQ(cl.out.len, BIG_LEN);
	if (cl.out.len == BIG_LEN)
		CHECK_MEM(cl.out.buf, e.site.big, BIG_LEN);
	CHECK_EQ(tern_curl_size_download(cl.c), BIG_LEN);
	CHECK_EQ(client_finish(&cl), 0);

	/* a directory: its index.html; without the slash, a redirect */
	url_opts(&o, "http://10.0.0.2/sub/");
	REQUIRE_EQ(fetch(&cl, &e, &o), 0);
	CHECK_STR(mem_str(&cl.out), "<p>sub</p>\n");
	CHECK_EQ(client_finish(&cl), 0);
	url_opts(&o, "http://10.0.0.2/sub");
	REQUIRE_EQ(fetch(&cl, &e, &o), 0);
	CHECK_EQ(tern_curl_http_code(cl.c), 301);
	CHECK_EQ(client_finish(&cl), 0);
	/* the root has no index.html: a listing */
	url_opts(&o, "http://10.0.0.2/");
	REQUIRE_EQ(fetch(&cl, &e, &o), 0);
	CHECK(strstr(mem_str(&cl.out), "<a href=\"big.bin\">big.bin</a>") != NULL);
	CHECK(strstr(mem_str(&cl.out), "<a href=\"sub/\">sub/</a>") != NULL);
	CHECK_EQ(client_finish(&cl), 0);

	/* Common Log Format, dates from the stack's clock counted from the epoch */
	const char *log = mem_str(&e.log);
	CHECK(strncmp(log, "10.0.0.1 - - [01/Jan/1970:00:00:00 +0000] \"GET /small.txt HTTP/1.1\" "
			   "200 12\n", 70) == 0);
	CHECK(strstr(log, "\"GET /big.bin HTTP/1.1\" 200 4194304\n") != NULL);
	CHECK(strstr(log, "\"GET /sub HTTP/1.1\" 301 ") != NULL);
	struct tern_httpd_stats st;
	tern_httpd_get_stats(e.h, &st);
	CHECK_EQ(st.requests, 5);
	CHECK_EQ(st.connections, 5);
	env_down(&e);
}

TEST(http_keepalive_one_connection)
{
	struct env e;
	REQUIRE(env_up(&e, 2, 0));
	struct tern_curl_opts o;
	struct client cl = {0};
	url_opts(&o, "http://10.0.0.2/small.txt");
	o.urls[1] = "http://10.0.0.2/mid.txt";
	o.urls[2] = "http://10.0.0.2/nope";
	o.urls[3] = "http://10.0.0.2/small.txt";
	o.nurls = 4;
	o.verbose = true;
	o.write_out = "%{http_code} %{size_download} %{num_connects}\\n";
	REQUIRE_EQ(fetch(&cl, &e, &o), 0);
	CHECK_EQ(tern_curl_connects(cl.c), 1);
	const char *d = mem_str(&cl.diag), *out = mem_str(&cl.out);
	CHECK(strstr(d, "*   Trying 10.0.0.2:80...\n* Connected to 10.0.0.2 (10.0.0.2) port 80 (#0)\n"
			"> GET /small.txt HTTP/1.1\r\n> Host: 10.0.0.2\r\n> User-Agent: tern-curl\r\n"
			"> Accept: */*\r\n> \r\n< HTTP/1.1 200 OK\r\n< Server: tern\r\n") == d);
	CHECK(strstr(d, "* Re-using existing connection #0 with host 10.0.0.2\n"
			"> GET /mid.txt HTTP/1.1\r\n") != NULL);
	CHECK(strstr(d, "< HTTP/1.1 404 Not Found\r\n") != NULL);
	CHECK(strstr(d, "* Connection #0 to host 10.0.0.2 left intact\n") != NULL);
	CHECK(strstr(d, "Closing connection") == NULL);
	CHECK(strstr(out, "hello, tern\n200 12 1\nabcdefghij") == out);
	CHECK(strstr(out, "200 65536 1\n<!DOCTYPE html>") != NULL);
	CHECK(strstr(out, "404 ") != NULL);
	CHECK(strstr(out, "\nhello, tern\n200 12 1\n") != NULL);
	CHECK_EQ(client_finish(&cl), 0);
	struct tern_httpd_stats st;
	tern_httpd_get_stats(e.h, &st);
	CHECK_EQ(st.connections, 1);
	CHECK_EQ(st.requests, 4);
	env_down(&e);
}

TEST(http_404_with_and_without_fail)
{
	struct env e;
	REQUIRE(env_up(&e, 3, 0));
	struct tern_curl_opts o;
	struct client cl = {0};
	url_opts(&o, "http://10.0.0.2/missing.txt");
	REQUIRE_EQ(fetch(&cl, &e, &o), 0);
	CHECK_EQ(tern_curl_http_code(cl.c), 404);
	CHECK(strstr(mem_str(&cl.out), "404 Not Found") != NULL);
	CHECK_EQ(client_finish(&cl), 0);
	url_opts(&o, "http://10.0.0.2/missing.txt");
	o.fail = true;
	o.verbose = true;
	REQUIRE_EQ(fetch(&cl, &e, &o), 0);
	CHECK_STR(mem_str(&cl.out), "");
	const char *d = mem_str(&cl.diag);
	CHECK(strstr(d, "< Content-Length: 107\r\n* The requested URL returned error: 404\n"
			"* Closing connection 0\ncurl: (22) The requested URL returned error: 404\n") !=
	      NULL);
	CHECK_EQ(client_finish(&cl), 22);
	/* -s hides the message, -S brings it back */
	url_opts(&o, "http://10.0.0.2/missing.txt");
	o.fail = o.silent = true;
	REQUIRE_EQ(fetch(&cl, &e, &o), 0);
	CHECK_STR(mem_str(&cl.diag), "");
	CHECK_EQ(client_finish(&cl), 22);
	env_down(&e);
}

TEST(http_head)
{
	struct env e;
	REQUIRE(env_up(&e, 4, 0));
	struct tern_curl_opts o;
	struct client cl = {0};
	url_opts(&o, "http://10.0.0.2/big.bin");
	o.head = true;
	REQUIRE_EQ(fetch(&cl, &e, &o), 0);
	const char *out = mem_str(&cl.out);
	CHECK(strncmp(out, "HTTP/1.1 200 OK\r\nServer: tern\r\n", 31) == 0);
	CHECK(strstr(out, "\r\nContent-Length: 4194304\r\n") != NULL);
	CHECK(strstr(out, "\r\nContent-Type: application/octet-stream\r\n") != NULL);
	CHECK(strstr(out, "\r\nAccept-Ranges: bytes\r\n") != NULL);
	CHECK(cl.out.len > 4 && strcmp(out + cl.out.len - 4, "\r\n\r\n") == 0);
	CHECK_EQ(tern_curl_size_download(cl.c), 0);
	CHECK_EQ(client_finish(&cl), 0);
	CHECK(strstr(mem_str(&e.log), "\"HEAD /big.bin HTTP/1.1\" 200 -\n") != NULL);
	env_down(&e);
}

struct many {
	struct client *cl;
	unsigned n;
};

static bool all_done(void *ctx)
{
	struct many *m = ctx;
	for (unsigned i = 0; i < m->n; i++)
		if (!tern_curl_done(m->cl[i].c))
			return false;
	return true;
}

TEST(http_50_clients_at_once)
{
	struct env e;
	REQUIRE(env_up(&e, 5, 0));
	struct client cl[50];
	memset(cl, 0, sizeof(cl));
	struct tern_curl_opts o;
	url_opts(&o, "http://10.0.0.2/mid.txt");
	for (unsigned i = 0; i < 50; i++)
		REQUIRE(client_start(&cl[i], &e, &o));
	struct many m = {cl, 50};
	CHECK(tern_sim_run_while(e.sim, all_done, &m, tern_sim_now(e.sim) + LIMIT));
	for (unsigned i = 0; i < 50; i++) {
		fflush(cl[i].out.f);
		CHECK_EQ(cl[i].out.len, 65536);
		if (cl[i].out.len == 65536)
			CHECK(cl[i].out.buf[0] == 'a' && cl[i].out.buf[65535] == 'a' + 65535 % 26);
		CHECK_EQ(client_finish(&cl[i]), 0);
	}
	struct tern_httpd_stats st;
	tern_httpd_get_stats(e.h, &st);
	CHECK_EQ(st.connections, 50);
	CHECK_EQ(st.requests, 50);
	CHECK_EQ(st.refused, 0);
	CHECK(st.max_active > 10); /* they really were served at once */
	env_down(&e);
}

/* ---- raw requests --------------------------------------------------------------- */

/* A TCP connection from A to B:80, driven by hand. */
struct raw {
	struct env *e;
	int sd;
	char got[65536];
	size_t len;
	bool eof;
};

static bool raw_connected(void *ctx)
{
	struct raw *r = ctx;
	struct tern_pollfd p = {r->sd, TERN_POLLOUT, 0};
	tern_poll(r->e->a, &p, 1);
	return p.revents != 0;
}

static bool raw_open(struct raw *r, struct env *e, uint16_t port)
{
	memset(r, 0, sizeof(*r));
	r->e = e;
	r->sd = tern_socket(e->a, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in dst = {B_ADDR, port};
	if (r->sd < 0 || tern_connect(e->a, r->sd, &dst) != TERN_EINPROGRESS)
		return false;
	return tern_sim_run_while(e->sim, raw_connected, r, tern_sim_now(e->sim) + LIMIT);
}

static void raw_send(struct raw *r, const char *s, size_t n)
{
	size_t off = 0;
	while (off < n) {
		int k = tern_send(r->e->a, r->sd, s + off, n - off, 0);
		if (k > 0)
			off += (size_t)k;
		else
			tern_sim_run_for(r->e->sim, TERN_MSEC(1));
	}
}

/* Run for dt, collecting what comes. */
static void raw_run(struct raw *r, tern_time_t dt)
{
	tern_time_t end = tern_sim_now(r->e->sim) + dt;
	while (tern_sim_now(r->e->sim) < end) {
		tern_sim_run_for(r->e->sim, TERN_MSEC(1));
		for (;;) {
			int n = tern_recv(r->e->a, r->sd, r->got + r->len, sizeof(r->got) - 1 - r->len, 0);
			if (n > 0) {
				r->len += (size_t)n;
				continue;
			}
			if (n == 0 || (n < 0 && n != TERN_EAGAIN))
				r->eof = true;
			break;
		}
		r->got[r->len] = '\0';
	}
}

static void raw_close(struct raw *r)
{
	tern_close(r->e->a, r->sd);
}

/* Send one request on a new connection; what came back in 300 ms. */
static void raw_exchange(struct raw *r, struct env *e, const char *req, size_t n)
{
	if (!raw_open(r, e, 80))
		return;
	raw_send(r, req, n);
	raw_run(r, TERN_MSEC(300));
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

TEST(http_bad_requests)
{
	struct env e;
	REQUIRE(env_up(&e, 6, 0));
	struct raw r;
	static const struct {
		const char *req, *status;
		bool closes;
	} cases[] = {
		{"BOGUS\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n", true},
		{"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n", true}, /* no Host */
		{"GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", "HTTP/1.1 400 ", true},
		{"GET nopath HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400 ", true},
		{"GET / HTTP/2.0\r\nHost: x\r\n\r\n", "HTTP/1.1 505 ", true},
		{"POST /small.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi",
		 "HTTP/1.1 405 Method Not Allowed\r\n", true},
		{"DELETE /small.txt HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 405 ", true},
		{"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 403 Forbidden\r\n", false},
		{"GET /sub/%2e%2e/%2E%2E/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 403 ", false},
		{"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 Not Found\r\n", false},
		{"GET /small.txt HTTP/1.0\r\n\r\n", "HTTP/1.1 200 OK\r\n", true},
		{"GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK\r\n",
		 true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		raw_exchange(&r, &e, cases[i].req, strlen(cases[i].req));
		if (strncmp(r.got, cases[i].status, strlen(cases[i].status)) != 0)
			TEST_FAIL_("case %zu: got \"%.60s\"", i, r.got);
		if (r.eof != cases[i].closes)
			TEST_FAIL_("case %zu: eof %d", i, r.eof);
		CHECK_EQ(count(r.got, "Connection: close\r\n"), cases[i].closes ? 1 : 0);
		raw_close(&r);
	}
	/* over-long request line, over-long headers: 414, 431, from the fixed buffer */
	char big[12000];
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	raw_exchange(&r, &e, big, sizeof(big));
	CHECK(strncmp(r.got, "HTTP/1.1 414 URI Too Long\r\n", 27) == 0);
	CHECK(r.eof);
	raw_close(&r);
	memcpy(big, "GET / HTTP/1.1\r\nHost: x\r\nX-Long: ", 33);
	raw_exchange(&r, &e, big, sizeof(big));
	CHECK(strncmp(r.got, "HTTP/1.1 431 Request Header Fields Too Large\r\n", 46) == 0);
	CHECK(r.eof);
	raw_close(&r);
	CHECK(strstr(mem_str(&e.log), "\"BOGUS\" 400 ") != NULL);
	tern_sim_run_for(e.sim, TERN_MSEC(100)); /* the last FIN reaches the server */
	struct tern_httpd_stats st;
	tern_httpd_get_stats(e.h, &st);
	CHECK_EQ(st.active, 0);
	env_down(&e);
}

TEST(http_pipelining_and_ranges)
{
	struct env e;
	REQUIRE(env_up(&e, 7, 0));
	struct raw r;
	const char *two = "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n"
			  "GET /small.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=7-10\r\n\r\n";
	raw_exchange(&r, &e, two, strlen(two));
	CHECK(!r.eof);
	CHECK_EQ(count(r.got, "HTTP/1.1 200 OK\r\n"), 1);
	CHECK(strstr(r.got, "\r\n\r\nhello, tern\nHTTP/1.1 206 Partial Content\r\n") != NULL);
	CHECK(strstr(r.got, "Content-Range: bytes 7-10/12\r\n") != NULL);
	CHECK(r.len > 8 && strcmp(r.got + r.len - 8, "\r\n\r\ntern") == 0);
	/* the last 3 bytes, then one past the end: 416 */
	raw_send(&r, "GET /small.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=-3\r\n\r\n", 53);
	r.len = 0;
	raw_run(&r, TERN_MSEC(200));
	CHECK(strstr(r.got, "Content-Range: bytes 9-11/12\r\n") != NULL);
	CHECK(r.len > 3 && strcmp(r.got + r.len - 3, "rn\n") == 0);
	const char *past = "GET /small.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=12-\r\n\r\n";
	raw_send(&r, past, strlen(past));
	r.len = 0;
	raw_run(&r, TERN_MSEC(200));
	CHECK(strncmp(r.got, "HTTP/1.1 416 Range Not Satisfiable\r\n", 36) == 0);
	CHECK(strstr(r.got, "Content-Range: bytes */12\r\n") != NULL);
	CHECK(!r.eof);
	raw_close(&r);
	struct tern_httpd_stats st;
	tern_httpd_get_stats(e.h, &st);
	CHECK_EQ(st.connections, 1);
	CHECK_EQ(st.requests, 4);
	env_down(&e);
}

TEST(http_idle_timeout_and_bound)
{
	struct env e;
	REQUIRE(env_up(&e, 8, 2));
	struct raw r1, r2, r3;
	REQUIRE(raw_open(&r1, &e, 80));
	REQUIRE(raw_open(&r2, &e, 80));
	REQUIRE(raw_open(&r3, &e, 80));
	raw_run(&r3, TERN_MSEC(100));
	CHECK(strncmp(r3.got, "HTTP/1.1 503 Service Unavailable\r\n", 34) == 0);
	CHECK(r3.eof);
	raw_close(&r3);
	struct tern_httpd_stats st;
	tern_httpd_get_stats(e.h, &st);
	CHECK_EQ(st.refused, 1);
	CHECK_EQ(st.active, 2);
	/* A request on r1 keeps it; r2 stays silent. Both close 5 s after
	 * their last activity, not before. */
	raw_send(&r1, "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n", 36);
	raw_run(&r1, TERN_SEC(4));
	CHECK(!r1.eof);
	CHECK(strstr(r1.got, "hello, tern\n") != NULL);
	raw_run(&r1, TERN_MSEC(1500));
	CHECK(r1.eof);
	raw_run(&r2, TERN_MSEC(100));
	CHECK(r2.eof);
	CHECK_STR(r2.got, "");
	tern_httpd_get_stats(e.h, &st);
	CHECK_EQ(st.active, 0);
	raw_close(&r1);
	raw_close(&r2);
	env_down(&e);
}

/* ---- curl against a scripted server ------------------------------------------- */

enum script { S_SILENT, S_EMPTY, S_RESET, S_CHUNKED, S_CLOSE_DELIMITED, S_SHORT };

struct scripted {
	struct tern_stack *s;
	int lsd, sd;
	enum script mode;
	char req[4096];
	size_t len;
	bool answered;
};

static void on_scripted(void *ctx, struct tern_stack *s, int sd, unsigned ev)
{
	struct scripted *sc = ctx;
	(void)ev;
	if (sd == sc->lsd) {
		int c = tern_accept(s, sd, NULL);
		if (c >= 0) {
			sc->sd = c;
			tern_socket_set_callback(s, c, on_scripted, sc);
		}
		return;
	}
	int n;
	while ((n = tern_recv(s, sd, sc->req + sc->len, sizeof(sc->req) - 1 - sc->len, 0)) > 0)
		sc->len += (size_t)n;
	sc->req[sc->len] = '\0';
	if (sc->answered || !strstr(sc->req, "\r\n\r\n"))
		return;
	sc->answered = true;
	static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";
	static const char by_close[] = "HTTP/1.0 200 OK\r\n\r\nuntil the end";
	static const char short_body[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
	struct tern_linger lg = {1, 0};
	switch (sc->mode) {
	case S_SILENT:
		break;
	case S_EMPTY:
		tern_close(s, sd);
		sc->sd = -1;
		break;
	case S_RESET:
		tern_setsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_LINGER, &lg, sizeof(lg));
		tern_close(s, sd);
		sc->sd = -1;
		break;
	case S_CHUNKED:
		tern_send(s, sd, chunked, sizeof(chunked) - 1, 0);
		break;
	case S_CLOSE_DELIMITED:
		tern_send(s, sd, by_close, sizeof(by_close) - 1, 0);
		tern_close(s, sd);
		sc->sd = -1;
		break;
	case S_SHORT:
		tern_send(s, sd, short_body, sizeof(short_body) - 1, 0);
		tern_close(s, sd);
		sc->sd = -1;
		break;
	}
}

static bool scripted_up(struct scripted *sc, struct tern_stack *s, enum script mode)
{
	memset(sc, 0, sizeof(*sc));
	sc->s = s;
	sc->mode = mode;
	sc->sd = -1;
	sc->lsd = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in b = {0, 8080};
	int one = 1;
	tern_setsockopt(s, sc->lsd, TERN_SOL_SOCKET, TERN_SO_REUSEADDR, &one, sizeof(one));
	return sc->lsd >= 0 && tern_bind(s, sc->lsd, &b) == 0 && tern_listen(s, sc->lsd, 8) == 0 &&
	       tern_socket_set_callback(s, sc->lsd, on_scripted, sc) == 0;
}

static void scripted_down(struct scripted *sc)
{
	if (sc->sd >= 0)
		tern_close(sc->s, sc->sd);
	tern_close(sc->s, sc->lsd);
}

TEST(curl_failures_and_codings)
{
	struct env e;
	REQUIRE(env_up(&e, 9, 0));
	struct tern_curl_opts o;
	struct client cl = {0};
	struct scripted sc;

	/* a closed port: RST to the SYN */
	url_opts(&o, "http://10.0.0.2:81/");
	o.verbose = true;
	o.write_out = "%{http_code}\\n";
	REQUIRE_EQ(fetch(&cl, &e, &o), 0);
	CHECK_STR(mem_str(&cl.diag), "*   Trying 10.0.0.2:81...\n"
				     "* connect to 10.0.0.2 port 81 failed: Connection refused\n"
				     "* Failed to connect to 10.0.0.2 port 81 after 4 ms: Couldn't "
				     "connect to server\n* Closing connection 0\n"
				     "curl: (7) Failed to connect to 10.0.0.2 port 81 after 4 ms: "
				     "Couldn't connect to server\n");
	CHECK_STR(mem_str(&cl.out), "000\n");
	CHECK_EQ(client_finish(&cl), 7);

	/* a name: no resolver */
	url_opts(&o, "http://example.com/");
	REQUIRE_EQ(fetch(&cl, &e, &o), 0);
	CHECK_STR(mem_str(&cl.diag), "curl: (6) Could not resolve host: example.com\n");
	CHECK_EQ(client_finish(&cl), 6);
	url_opts(&o, "https://10.0.0.2/");
	REQUIRE_EQ(fetch(&cl, &e, &o), 0);
	CHECK_EQ(client_finish(&cl), 1);

	/* -m against a server that never answers */
	REQUIRE(scripted_up(&sc, e.b, S_SILENT));
	url_opts(&o, "http://10.0.0.2:8080/");
	o.max_time = TERN_SEC(1);
	REQUIRE_EQ(fetch(&cl, &e, &o), 0);
	CHECK_STR(mem_str(&cl.diag), "curl: (28) Operation timed out after 1000 milliseconds with 0 "
				     "bytes received\n");
	CHECK_EQ(client_finish(&cl), 28);
	scripted_down(&sc);

	static const struct {
		enum script mode;
		int code;
		const char *body, *msg;
	} cases[] = {
		{S_EMPTY, 52, "", "curl: (52) Empty reply from server\n"},
		{S_RESET, 56, "", "curl: (56) Recv failure: Connection reset by peer\n"},
		{S_CHUNKED, 0, "hello world", ""},
		{S_CLOSE_DELIMITED, 0, "until the end", ""},
		{S_SHORT, 18, "abc", "curl: (18) transfer closed with 7 bytes remaining to read\n"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		REQUIRE(scripted_up(&sc, e.b, cases[i].mode));
		url_opts(&o, "http://10.0.0.2:8080/x");
		REQUIRE_EQ(fetch(&cl, &e, &o), 0);
		CHECK_STR(mem_str(&cl.out), cases[i].body);
		CHECK_STR(mem_str(&cl.diag), cases[i].msg);
		CHECK_EQ(client_finish(&cl), cases[i].code);
		CHECK(strncmp(sc.req, "GET /x HTTP/1.1\r\nHost: 10.0.0.2:8080\r\n", 38) == 0);
		scripted_down(&sc);
		tern_sim_run_for(e.sim, TERN_MSEC(100));
	}
	env_down(&e);
}

TEST_MAIN()
