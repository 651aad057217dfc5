/*
 * tests/sim/test_sim_tcp_nc.c — the nc engine's TCP mode (tern/apps.h,
 * opts.tcp) in the simulator: A 10.0.0.1 and B 10.0.0.2 on a 1 ms link,
 * B running `nc -l -p 5000`, A `nc 10.0.0.2 5000`. Lines both ways and
 * -v's lines as Debian's nc prints them; 1 MiB with -N, byte-exact, and
 * both sides ending on the FIN exchange; a refused connect (status 1,
 * "connect to ... failed: Connection refused"); -w as a connect timeout
 * and as an idle timeout; -q's rules (no FIN at EOF without -q/-N; with
 * -q N, done N s after the peer closed); -k accepting one connection
 * after another; a reset ending nc silently with status 0.
 *
 * Every case starts nc with opts.tcp, so each needs SOCK_STREAM; where
 * the stack has no TCP, peer_open's check reports tern_nc_start's error
 * (TERN_EPROTONOSUPPORT, -93) and the case stops there.
 */
#include "harness.h"
#include "sim_pair.h"

#include "tern/apps.h"
#include "tern/socket.h"

#define LIMIT TERN_SEC(10)
#define A_ADDR TERN_IP4(10, 0, 0, 1)
#define B_ADDR TERN_IP4(10, 0, 0, 2)

/* An nc writing into a memory stream, its messages into another. */
struct peer {
	struct tern_nc *nc;
	FILE *f, *diag;
	char *buf, *dbuf;
	size_t len, dlen;
};

static void opts(struct tern_nc_opts *o, bool listen)
{
	tern_nc_opts_init(o);
	o->tcp = true;
	o->numeric = true; /* -n: the port named "*" in -v lines, no /etc/services */
	o->listen = listen;
	if (listen)
		o->port = 5000;
	else {
		o->dst = B_ADDR;
		o->dst_port = 5000;
	}
}

static int peer_open(struct peer *p, struct tern_sim *sim, struct tern_stack *s,
		     struct tern_nc_opts *o)
{
	int err = 0;
	p->f = open_memstream(&p->buf, &p->len);
	p->diag = open_memstream(&p->dbuf, &p->dlen);
	if (!p->f || !p->diag)
		return TERN_ENOMEM;
	o->diag = p->diag;
	o->prog = "tern nc";
	p->nc = tern_nc_start(s, o, p->f, tern_sim_now(sim), &err);
	return p->nc ? 0 : err;
}
/* Starting must work; if it does not, say with which error and stop. */
#define OPEN(p, sim, s, o) REQUIRE_EQ(peer_open((p), (sim), (s), (o)), 0)

static const char *out_of(struct peer *p)
{
	fflush(p->f);
	return p->buf ? p->buf : "";
}

static const char *diag_of(struct peer *p)
{
	fflush(p->diag);
	return p->dbuf ? p->dbuf : "";
}

/* Finish the nc, close its streams; returns nc's exit status. */
static int peer_close(struct peer *p)
{
	int rc = p->nc ? tern_nc_finish(p->nc) : -1;
	p->nc = NULL;
	if (p->f)
		fclose(p->f);
	if (p->diag)
		fclose(p->diag);
	free(p->buf);
	free(p->dbuf);
	memset(p, 0, sizeof(*p));
	return rc;
}

static bool has_peer(void *ctx)
{
	return tern_nc_has_peer(ctx);
}

static bool nc_done(void *ctx)
{
	return tern_nc_done(ctx);
}

struct want {
	struct tern_nc *nc;
	uint64_t bytes;
};

static bool got_bytes(void *ctx)
{
	const struct want *w = ctx;
	return tern_nc_received_bytes(w->nc) >= w->bytes;
}

struct both {
	struct tern_nc *a, *b;
};

static bool both_done(void *ctx)
{
	const struct both *w = ctx;
	return tern_nc_done(w->a) && tern_nc_done(w->b);
}

/* Feed `len` bytes as the CLI does: a chunk whenever nc wants input. */
static bool feed(struct tern_sim *sim, struct tern_nc *nc, const uint8_t *data, size_t len)
{
	size_t off = 0;
	tern_time_t end = tern_sim_now(sim) + LIMIT;
	while (off < len && tern_sim_now(sim) < end) {
		if (tern_nc_wants_input(nc)) {
			size_t n = len - off < 16384 ? len - off : 16384;
			if (tern_nc_send(nc, data + off, n, tern_sim_now(sim)) != (int)n)
				return false;
			off += n;
			continue;
		}
		if (tern_nc_done(nc))
			return false;
		tern_sim_run_for(sim, TERN_USEC(100));
	}
	return off == len;
}

TEST(tcp_nc_lines_and_verbose)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(21, &a, &b);
	REQUIRE(sim);
	struct tern_nc_opts ob, oa;
	opts(&ob, true);
	ob.verbose = true;
	opts(&oa, false);
	oa.verbose = true;
	oa.src = A_ADDR;
	oa.port = 40000;
	struct peer pb = {0}, pa = {0};
	OPEN(&pb, sim, b, &ob);
	CHECK_STR(diag_of(&pb), "Listening on 0.0.0.0 5000\n");
	OPEN(&pa, sim, a, &oa);
	CHECK(!tern_nc_has_peer(pa.nc));
	CHECK(!tern_nc_wants_input(pa.nc));
	CHECK_EQ(tern_nc_send(pa.nc, "x", 1, tern_sim_now(sim)), TERN_ENOTCONN);
	CHECK(tern_sim_run_while(sim, has_peer, pa.nc, tern_sim_now(sim) + LIMIT));
	CHECK(tern_sim_run_while(sim, has_peer, pb.nc, tern_sim_now(sim) + LIMIT));
	CHECK_STR(diag_of(&pa), "Connection to 10.0.0.2 5000 port [tcp/*] succeeded!\n");
	CHECK_STR(diag_of(&pb), "Listening on 0.0.0.0 5000\n"
				"Connection received on 10.0.0.1 40000\n");
	CHECK(tern_nc_wants_input(pa.nc));

	CHECK_EQ(tern_nc_send(pa.nc, "hello\n", 6, tern_sim_now(sim)), 6);
	struct want w = {pb.nc, 6};
	CHECK(tern_sim_run_while(sim, got_bytes, &w, tern_sim_now(sim) + LIMIT));
	CHECK_STR(out_of(&pb), "hello\n");
	CHECK_EQ(tern_nc_send(pb.nc, "back\n", 5, tern_sim_now(sim)), 5);
	w = (struct want){pa.nc, 5};
	CHECK(tern_sim_run_while(sim, got_bytes, &w, tern_sim_now(sim) + LIMIT));
	CHECK_STR(out_of(&pa), "back\n");
	CHECK_EQ(tern_nc_connections(pa.nc), 1);
	CHECK_EQ(tern_nc_connections(pb.nc), 1);

	/* Without -q or -N, EOF sends nothing: B sees no end of stream. */
	tern_nc_eof(pa.nc, tern_sim_now(sim));
	tern_sim_run_for(sim, TERN_SEC(5));
	CHECK(!tern_nc_done(pa.nc));
	CHECK(!tern_nc_done(pb.nc));
	tern_nc_eof(pb.nc, tern_sim_now(sim));
	tern_sim_run_for(sim, TERN_SEC(5));
	CHECK(!tern_nc_done(pa.nc));
	CHECK(!tern_nc_done(pb.nc));
	/* A goes (Ctrl-C): its close is B's end of stream, which ends the
	 * listener. */
	CHECK_EQ(peer_close(&pa), 0);
	CHECK(tern_sim_run_while(sim, nc_done, pb.nc, tern_sim_now(sim) + LIMIT));
	CHECK_EQ(tern_nc_error(pb.nc), 0);
	CHECK_EQ(peer_close(&pb), 0);
	tern_sim_destroy(sim);
}

/* 1 MiB each way at once, -N on both: byte-exact, both end on the FINs. */
TEST(tcp_nc_bulk_half_close)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(22, &a, &b);
	REQUIRE(sim);
	static uint8_t up[1 << 20], down[1 << 20];
	for (size_t i = 0; i < sizeof(up); i++) {
		up[i] = (uint8_t)(i * 31 + (i >> 11));
		down[i] = (uint8_t)(i * 7 + 5 + (i >> 13));
	}
	struct tern_nc_opts ob, oa;
	opts(&ob, true);
	ob.shutdown_on_eof = true;
	opts(&oa, false);
	oa.shutdown_on_eof = true;
	struct peer pb = {0}, pa = {0};
	OPEN(&pb, sim, b, &ob);
	OPEN(&pa, sim, a, &oa);
	CHECK(tern_sim_run_while(sim, has_peer, pb.nc, tern_sim_now(sim) + LIMIT));
	CHECK(tern_sim_run_while(sim, has_peer, pa.nc, tern_sim_now(sim) + LIMIT));
	/* interleave the two feeds, as two stdins would */
	size_t oa_off = 0, ob_off = 0;
	tern_time_t end = tern_sim_now(sim) + TERN_SEC(60);
	while ((oa_off < sizeof(up) || ob_off < sizeof(down)) && tern_sim_now(sim) < end) {
		if (oa_off < sizeof(up) && tern_nc_wants_input(pa.nc)) {
			size_t n = sizeof(up) - oa_off < 16384 ? sizeof(up) - oa_off : 16384;
			REQUIRE_EQ(tern_nc_send(pa.nc, up + oa_off, n, tern_sim_now(sim)), n);
			if ((oa_off += n) == sizeof(up))
				tern_nc_eof(pa.nc, tern_sim_now(sim));
		}
		if (ob_off < sizeof(down) && tern_nc_wants_input(pb.nc)) {
			size_t n = sizeof(down) - ob_off < 16384 ? sizeof(down) - ob_off : 16384;
			REQUIRE_EQ(tern_nc_send(pb.nc, down + ob_off, n, tern_sim_now(sim)), n);
			if ((ob_off += n) == sizeof(down))
				tern_nc_eof(pb.nc, tern_sim_now(sim));
		}
		tern_sim_run_for(sim, TERN_USEC(200));
	}
	CHECK_EQ(oa_off, sizeof(up));
	CHECK_EQ(ob_off, sizeof(down));
	struct both w = {pa.nc, pb.nc};
	CHECK(tern_sim_run_while(sim, both_done, &w, tern_sim_now(sim) + TERN_SEC(60)));
	CHECK_EQ(tern_nc_received_bytes(pb.nc), sizeof(up));
	CHECK_EQ(tern_nc_received_bytes(pa.nc), sizeof(down));
	REQUIRE_EQ(pb.len, sizeof(up));
	CHECK_MEM(pb.buf, up, sizeof(up));
	fflush(pa.f);
	REQUIRE_EQ(pa.len, sizeof(down));
	CHECK_MEM(pa.buf, down, sizeof(down));
	CHECK_EQ(tern_nc_error(pa.nc), 0);
	CHECK_EQ(tern_nc_error(pb.nc), 0);
	CHECK_EQ(peer_close(&pa), 0);
	CHECK_EQ(peer_close(&pb), 0);
	tern_sim_destroy(sim);
}

/* Nobody on 5001: B resets the SYN. Silent without -v, nc's line with
 * it; both exit 1. */
TEST(tcp_nc_refused)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(23, &a, &b);
	REQUIRE(sim);
	struct tern_nc_opts o;
	opts(&o, false);
	o.dst_port = 5001;
	struct peer quiet = {0}, loud = {0};
	OPEN(&quiet, sim, a, &o);
	o.verbose = true;
	OPEN(&loud, sim, a, &o);
	struct both w = {quiet.nc, loud.nc};
	CHECK(tern_sim_run_while(sim, both_done, &w, tern_sim_now(sim) + LIMIT));
	CHECK_EQ(tern_nc_error(quiet.nc), TERN_ECONNREFUSED);
	CHECK_EQ(tern_nc_error(loud.nc), TERN_ECONNREFUSED);
	CHECK(!tern_nc_has_peer(loud.nc));
	CHECK_EQ(tern_nc_connections(loud.nc), 0);
	CHECK_STR(diag_of(&quiet), "");
	CHECK_STR(diag_of(&loud), "tern nc: connect to 10.0.0.2 port 5001 (tcp) failed: "
				  "Connection refused\n");
	CHECK_EQ(peer_close(&quiet), 1);
	CHECK_EQ(peer_close(&loud), 1);
	tern_sim_destroy(sim);
}

/* -w 1 to an address nobody answers ARP for: "timed out: Operation now
 * in progress" exactly 1 s after the start, status 1. */
TEST(tcp_nc_connect_timeout)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(24, &a, &b);
	REQUIRE(sim);
	struct tern_nc_opts o;
	opts(&o, false);
	o.dst = TERN_IP4(10, 0, 0, 9);
	o.idle = TERN_SEC(1);
	o.verbose = true;
	struct peer p = {0};
	tern_time_t t0 = tern_sim_now(sim);
	OPEN(&p, sim, a, &o);
	CHECK(tern_sim_run_while(sim, nc_done, p.nc, t0 + LIMIT));
	CHECK_EQ(tern_sim_now(sim), t0 + TERN_SEC(1));
	CHECK_STR(diag_of(&p), "tern nc: connect to 10.0.0.9 port 5000 (tcp) timed out: "
			       "Operation now in progress\n");
	CHECK_EQ(peer_close(&p), 1);
	tern_sim_destroy(sim);
}

/* -q 2 on the client: EOF shuts the write side down at once; the
 * listener ends on that FIN and closes; the client is done exactly 2 s
 * after the listener's FIN reached it (1 ms link). */
TEST(tcp_nc_quit_after_peer_closed)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(25, &a, &b);
	REQUIRE(sim);
	struct tern_nc_opts ob, oa;
	opts(&ob, true);
	opts(&oa, false);
	oa.quit_after = TERN_SEC(2);
	struct peer pb = {0}, pa = {0};
	OPEN(&pb, sim, b, &ob);
	OPEN(&pa, sim, a, &oa);
	CHECK(tern_sim_run_while(sim, has_peer, pa.nc, tern_sim_now(sim) + LIMIT));
	CHECK(tern_sim_run_while(sim, has_peer, pb.nc, tern_sim_now(sim) + LIMIT));
	CHECK(feed(sim, pa.nc, (const uint8_t *)"bye\n", 4));
	tern_nc_eof(pa.nc, tern_sim_now(sim));
	CHECK(tern_sim_run_while(sim, nc_done, pb.nc, tern_sim_now(sim) + LIMIT));
	tern_time_t b_closed = tern_sim_now(sim);
	CHECK_STR(out_of(&pb), "bye\n");
	CHECK(!tern_nc_done(pa.nc));
	CHECK(tern_sim_run_while(sim, nc_done, pa.nc, b_closed + LIMIT));
	CHECK_EQ(tern_sim_now(sim), b_closed + TERN_MSEC(1) + TERN_SEC(2));
	CHECK_EQ(peer_close(&pb), 0);
	CHECK_EQ(peer_close(&pa), 0);
	tern_sim_destroy(sim);
}

/* -q 0: the same FIN at EOF, done as soon as the peer has closed. */
TEST(tcp_nc_quit_zero_waits_for_peer)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(26, &a, &b);
	REQUIRE(sim);
	struct tern_nc_opts ob, oa;
	opts(&ob, true);
	opts(&oa, false);
	oa.quit_after = 0;
	struct peer pb = {0}, pa = {0};
	OPEN(&pb, sim, b, &ob);
	OPEN(&pa, sim, a, &oa);
	CHECK(tern_sim_run_while(sim, has_peer, pb.nc, tern_sim_now(sim) + LIMIT));
	tern_nc_eof(pa.nc, tern_sim_now(sim));
	CHECK(!tern_nc_done(pa.nc));
	struct both w = {pa.nc, pb.nc};
	tern_time_t t0 = tern_sim_now(sim);
	CHECK(tern_sim_run_while(sim, both_done, &w, t0 + LIMIT));
	CHECK(tern_sim_now(sim) < t0 + TERN_MSEC(100));
	CHECK_EQ(peer_close(&pb), 0);
	CHECK_EQ(peer_close(&pa), 0);
	tern_sim_destroy(sim);
}

/* -w 3 once connected: done 3 s after the last byte either way. */
TEST(tcp_nc_idle_timeout)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(27, &a, &b);
	REQUIRE(sim);
	struct tern_nc_opts ob, oa;
	opts(&ob, true);
	ob.idle = TERN_SEC(3);
	opts(&oa, false);
	struct peer pb = {0}, pa = {0};
	OPEN(&pb, sim, b, &ob);
	tern_sim_run_for(sim, TERN_SEC(10));
	CHECK(!tern_nc_done(pb.nc)); /* -w does not bound the wait for a connection */
	OPEN(&pa, sim, a, &oa);
	CHECK(tern_sim_run_while(sim, has_peer, pb.nc, tern_sim_now(sim) + LIMIT));
	tern_sim_run_for(sim, TERN_SEC(2));
	CHECK(feed(sim, pa.nc, (const uint8_t *)"1\n", 2));
	struct want w = {pb.nc, 2};
	CHECK(tern_sim_run_while(sim, got_bytes, &w, tern_sim_now(sim) + LIMIT));
	tern_time_t last = tern_sim_now(sim);
	CHECK(tern_sim_run_while(sim, nc_done, pb.nc, last + LIMIT));
	CHECK_EQ(tern_sim_now(sim), last + TERN_SEC(3));
	/* B's close is A's end of stream, but A's input is still open */
	tern_sim_run_for(sim, TERN_SEC(1));
	CHECK(!tern_nc_done(pa.nc));
	tern_nc_eof(pa.nc, tern_sim_now(sim));
	CHECK(tern_nc_done(pa.nc));
	CHECK_EQ(peer_close(&pb), 0);
	CHECK_EQ(peer_close(&pa), 0);
	tern_sim_destroy(sim);
}

/* -k: one connection after another, each announced; nc never ends. */
TEST(tcp_nc_keep_listening)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(28, &a, &b);
	REQUIRE(sim);
	struct tern_nc_opts ob, oa;
	opts(&ob, true);
	ob.keep = true;
	ob.verbose = true;
	opts(&oa, false);
	oa.shutdown_on_eof = true;
	oa.src = A_ADDR;
	struct peer pb = {0};
	OPEN(&pb, sim, b, &ob);
	const char *lines[] = {"one\n", "two\n", "three\n"};
	for (unsigned i = 0; i < 3; i++) {
		struct peer pa = {0};
		oa.port = (uint16_t)(41000 + i);
		OPEN(&pa, sim, a, &oa);
		CHECK(tern_sim_run_while(sim, has_peer, pa.nc, tern_sim_now(sim) + LIMIT));
		CHECK(feed(sim, pa.nc, (const uint8_t *)lines[i], strlen(lines[i])));
		tern_nc_eof(pa.nc, tern_sim_now(sim));
		CHECK(tern_sim_run_while(sim, nc_done, pa.nc, tern_sim_now(sim) + LIMIT));
		CHECK_EQ(peer_close(&pa), 0);
		tern_sim_run_for(sim, TERN_MSEC(10));
		CHECK(!tern_nc_done(pb.nc));
		CHECK(!tern_nc_has_peer(pb.nc));
	}
	CHECK_EQ(tern_nc_connections(pb.nc), 3);
	CHECK_STR(out_of(&pb), "one\ntwo\nthree\n");
	CHECK_STR(diag_of(&pb), "Listening on 0.0.0.0 5000\n"
				"Connection received on 10.0.0.1 41000\n"
				"Connection received on 10.0.0.1 41001\n"
				"Connection received on 10.0.0.1 41002\n");
	CHECK_EQ(peer_close(&pb), 0);
	tern_sim_destroy(sim);
}

static void on_raw(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	int *conn = ctx;
	(void)events;
	if (*conn < 0)
		*conn = tern_accept(s, sd, NULL);
}

/* B's plain socket closes with A's data unread: a reset, which ends A's
 * nc without a word and with status 0, as Debian's nc. */
TEST(tcp_nc_reset_is_silent)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(29, &a, &b);
	REQUIRE(sim);
	int lsd = tern_socket(b, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	REQUIRE_EQ(lsd < 0 ? lsd : 0, 0);
	struct tern_sockaddr_in addr = {0, 5000};
	REQUIRE_EQ(tern_bind(b, lsd, &addr), 0);
	REQUIRE_EQ(tern_listen(b, lsd, 1), 0);
	int conn = -1;
	tern_socket_set_callback(b, lsd, on_raw, &conn);
	struct tern_nc_opts oa;
	opts(&oa, false);
	oa.verbose = true;
	struct peer pa = {0};
	OPEN(&pa, sim, a, &oa);
	CHECK(tern_sim_run_while(sim, has_peer, pa.nc, tern_sim_now(sim) + LIMIT));
	CHECK(feed(sim, pa.nc, (const uint8_t *)"unread\n", 7));
	tern_sim_run_for(sim, TERN_MSEC(20));
	REQUIRE(conn >= 0);
	CHECK_EQ(tern_close(b, conn), 0);
	CHECK(tern_sim_run_while(sim, nc_done, pa.nc, tern_sim_now(sim) + LIMIT));
	CHECK_EQ(tern_nc_error(pa.nc), TERN_ECONNRESET);
	CHECK_STR(diag_of(&pa), "Connection to 10.0.0.2 5000 port [tcp/*] succeeded!\n");
	CHECK_EQ(peer_close(&pa), 0);
	tern_close(b, lsd);
	tern_sim_destroy(sim);
}

TEST_MAIN()
