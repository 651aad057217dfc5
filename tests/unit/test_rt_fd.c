/*
 * tests/unit/test_rt_fd.c — the real-time runner's program fds
 * (tern_rt_add_fd) and its blocking socket conveniences
 * (tern_rt_recvfrom, tern_rt_sendto, tern_rt_recv with MSG_WAITALL and
 * MSG_PEEK, tern_rt_send, SO_RCVTIMEO / SO_SNDTIMEO), on a runner without
 * devices: pipes and timerfds stand for stdin, control sockets and a
 * slow peer, and UDP and TCP go over loopback.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "harness.h"
#include "tern/rt.h"
#include "tern/socket.h"

#define LO TERN_IP4(127, 0, 0, 1)

struct counter {
	int calls;
	short revents;
	int remove_fd;   /* >= 0: tern_rt_del_fd this one from the callback */
};

static void on_ready(void *ctx, struct tern_rt *rt, int fd, short revents)
{
	struct counter *c = ctx;
	char buf[16];
	c->calls++;
	c->revents = revents;
	(void)!read(fd, buf, sizeof(buf));
	if (c->remove_fd >= 0)
		tern_rt_del_fd(rt, c->remove_fd);
}

TEST(fd_callback_runs_and_removes_itself)
{
	struct tern_rt *rt = tern_rt_create(NULL);
	int p[2];
	REQUIRE(rt && pipe(p) == 0);
	struct counter c = {.remove_fd = p[0]};
	REQUIRE_EQ(tern_rt_add_fd(rt, p[0], POLLIN, on_ready, &c), 0);
	REQUIRE_EQ(tern_rt_run_once(rt, TERN_MSEC(10)), 0);
	CHECK_EQ(c.calls, 0); /* nothing to read yet */
	REQUIRE_EQ(write(p[1], "x", 1), 1);
	REQUIRE_EQ(tern_rt_run_once(rt, TERN_SEC(1)), 0);
	CHECK_EQ(c.calls, 1);
	CHECK(c.revents & POLLIN);
	REQUIRE_EQ(write(p[1], "y", 1), 1);
	REQUIRE_EQ(tern_rt_run_once(rt, TERN_MSEC(10)), 0);
	CHECK_EQ(c.calls, 1); /* removed itself */
	CHECK_EQ(tern_rt_del_fd(rt, p[0]), TERN_ENOENT);
	close(p[0]);
	close(p[1]);
	tern_rt_destroy(rt);
}

TEST(fd_registration_errors)
{
	struct tern_rt *rt = tern_rt_create(NULL);
	struct counter c = {.remove_fd = -1};
	REQUIRE(rt);
	CHECK_EQ(tern_rt_add_fd(rt, -1, POLLIN, on_ready, &c), TERN_EINVAL);
	CHECK_EQ(tern_rt_add_fd(rt, 0, POLLIN, NULL, &c), TERN_EINVAL);
	for (int fd = 100; fd < 100 + TERN_RT_MAX_FDS; fd++)
		REQUIRE_EQ(tern_rt_add_fd(rt, fd, POLLIN, on_ready, &c), 0);
	CHECK_EQ(tern_rt_add_fd(rt, 100, POLLIN, on_ready, &c), TERN_EEXIST);
	CHECK_EQ(tern_rt_add_fd(rt, 99, POLLIN, on_ready, &c), TERN_ENOSPC);
	CHECK_EQ(tern_rt_set_fd_events(rt, 101, 0), 0);
	CHECK_EQ(tern_rt_set_fd_events(rt, 99, 0), TERN_ENOENT);
	for (int fd = 100; fd < 100 + TERN_RT_MAX_FDS; fd++)
		CHECK_EQ(tern_rt_del_fd(rt, fd), 0);
	tern_rt_destroy(rt);
}

/* Two fds ready in one round; the first callback removes the other, whose
 * callback must then not run with the stale readiness. */
TEST(fd_removed_by_another_callback_is_not_called)
{
	struct tern_rt *rt = tern_rt_create(NULL);
	int a[2], b[2];
	REQUIRE(rt && pipe(a) == 0 && pipe(b) == 0);
	struct counter ca = {.remove_fd = b[0]}, cb = {.remove_fd = a[0]};
	REQUIRE_EQ(tern_rt_add_fd(rt, a[0], POLLIN, on_ready, &ca), 0);
	REQUIRE_EQ(tern_rt_add_fd(rt, b[0], POLLIN, on_ready, &cb), 0);
	REQUIRE_EQ(write(a[1], "x", 1), 1);
	REQUIRE_EQ(write(b[1], "x", 1), 1);
	REQUIRE_EQ(tern_rt_run_once(rt, TERN_SEC(1)), 0);
	CHECK_EQ(ca.calls + cb.calls, 1);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	tern_rt_destroy(rt);
}

static int bound_socket(struct tern_stack *s, uint16_t port)
{
	struct tern_sockaddr_in a = {LO, port};
	int sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	if (sd >= 0 && tern_bind(s, sd, &a) < 0)
		return -1;
	return sd;
}

TEST(recvfrom_gets_a_loopback_datagram)
{
	struct tern_rt *rt = tern_rt_create(NULL);
	REQUIRE(rt);
	struct tern_stack *s = tern_rt_stack(rt);
	int rx = bound_socket(s, 9000), tx = bound_socket(s, 9001);
	REQUIRE(rx >= 0 && tx >= 0);
	struct tern_sockaddr_in to = {LO, 9000}, from = {0, 0};
	REQUIRE_EQ(tern_rt_sendto(rt, tx, "hello", 5, 0, &to), 5);
	char buf[16];
	CHECK_EQ(tern_rt_recvfrom(rt, rx, buf, sizeof(buf), 0, &from, TERN_SEC(2)), 5);
	CHECK_MEM(buf, "hello", 5);
	CHECK_EQ(from.addr, LO);
	CHECK_EQ(from.port, 9001);
	tern_rt_destroy(rt);
}

TEST(recvfrom_times_out)
{
	struct tern_rt *rt = tern_rt_create(NULL);
	REQUIRE(rt);
	int rx = bound_socket(tern_rt_stack(rt), 9000);
	REQUIRE(rx >= 0);
	char buf[16];
	tern_time_t t0 = tern_rt_now(rt);
	CHECK_EQ(tern_rt_recvfrom(rt, rx, buf, sizeof(buf), 0, NULL, TERN_MSEC(50)), TERN_EAGAIN);
	tern_time_t took = tern_rt_now(rt) - t0;
	CHECK(took >= TERN_MSEC(50));
	CHECK(took < TERN_SEC(2));
	CHECK_EQ(tern_rt_recvfrom(rt, rx, buf, sizeof(buf), 0, NULL, 0), TERN_EAGAIN);
	CHECK_EQ(tern_rt_recvfrom(rt, 4242, buf, sizeof(buf), 0, NULL, 0), TERN_EBADF);
	tern_rt_destroy(rt);
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST(recvfrom_is_interrupted_by_a_signal)
{
	struct tern_rt *rt = tern_rt_create(NULL);
	REQUIRE(rt);
	int rx = bound_socket(tern_rt_stack(rt), 9000);
	REQUIRE(rx >= 0);
	struct sigaction sa = {.sa_handler = on_alarm}, old;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old); /* no SA_RESTART */
	struct itimerval it = {.it_value = {.tv_usec = 50000}};
	setitimer(ITIMER_REAL, &it, NULL);
	char buf[16];
	CHECK_EQ(tern_rt_recvfrom(rt, rx, buf, sizeof(buf), 0, NULL, TERN_SEC(5)), -EINTR);
	sigaction(SIGALRM, &old, NULL);
	tern_rt_destroy(rt);
}

/* ---- TCP over loopback: MSG_WAITALL, SO_RCVTIMEO, SO_SNDTIMEO ---- */

struct tcp_pair {
	struct tern_rt *rt;
	struct tern_stack *s;
	int lsd, cli, srv;
};

static bool tcp_pair_open(struct tcp_pair *p, uint16_t port)
{
	p->rt = tern_rt_create(NULL);
	if (!p->rt)
		return false;
	p->s = tern_rt_stack(p->rt);
	struct tern_sockaddr_in a = {LO, port};
	p->lsd = tern_socket(p->s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	p->cli = tern_socket(p->s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	if (tern_bind(p->s, p->lsd, &a) < 0 || tern_listen(p->s, p->lsd, 8) < 0)
		return false;
	if (tern_rt_connect(p->rt, p->cli, &a, TERN_SEC(2)) != 0)
		return false;
	p->srv = tern_rt_accept(p->rt, p->lsd, NULL, TERN_SEC(2));
	return p->srv >= 0;
}

static void set_timeo(struct tern_stack *s, int sd, int name, tern_time_t t)
{
	struct tern_timeval tv = {(long)(t / TERN_SEC(1)), (long)(t % TERN_SEC(1) / TERN_USEC(1))};
	tern_setsockopt(s, sd, TERN_SOL_SOCKET, name, &tv, sizeof(tv));
}

/* A slow peer: every 10 ms a timerfd fires and the client sends a chunk. */
struct drip {
	struct tcp_pair *p;
	int tfd, left;
	bool fin;      /* shut down writing after the last chunk */
};

static void on_drip(void *ctx, struct tern_rt *rt, int fd, short revents)
{
	struct drip *d = ctx;
	uint64_t n;
	(void)revents;
	(void)!read(fd, &n, sizeof(n));
	if (d->left > 0) {
		tern_send(d->p->s, d->p->cli, "0123456789", 10, 0);
		d->left--;
	}
	if (d->left == 0) {
		if (d->fin)
			tern_shutdown(d->p->s, d->p->cli, TERN_SHUT_WR);
		tern_rt_del_fd(rt, fd);
	}
}

static int drip_start(struct drip *d, struct tcp_pair *p, int chunks, bool fin)
{
	*d = (struct drip){.p = p, .left = chunks, .fin = fin};
	d->tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec its = {{0, 10000000}, {0, 10000000}};
	if (d->tfd < 0 || timerfd_settime(d->tfd, 0, &its, NULL) < 0)
		return -1;
	return tern_rt_add_fd(p->rt, d->tfd, POLLIN, on_drip, d);
}

TEST(rt_recv_waitall_waits_for_every_byte)
{
	struct tcp_pair p;
	REQUIRE(tcp_pair_open(&p, 6000));
	struct drip d;
	REQUIRE_EQ(drip_start(&d, &p, 3, false), 0);
	char buf[64];
	/* Without WAITALL the first chunk is enough; with it, all 30 bytes. */
	CHECK_EQ(tern_rt_recv(p.rt, p.srv, buf, sizeof(buf), 0, TERN_SEC(2)), 10);
	CHECK_EQ(tern_rt_recv(p.rt, p.srv, buf, 20, TERN_MSG_WAITALL, TERN_SEC(2)), 20);
	CHECK(memcmp(buf, "01234567890123456789", 20) == 0);
	close(d.tfd);
	tern_rt_destroy(p.rt);
}

TEST(rt_recv_waitall_stops_at_the_end_of_the_stream)
{
	struct tcp_pair p;
	REQUIRE(tcp_pair_open(&p, 6001));
	struct drip d;
	REQUIRE_EQ(drip_start(&d, &p, 2, true), 0);
	char buf[64];
	/* PEEK | WAITALL: waits, sees the FIN, returns what is there. */
	CHECK_EQ(tern_rt_recv(p.rt, p.srv, buf, 30, TERN_MSG_WAITALL | TERN_MSG_PEEK, TERN_SEC(2)), 20);
	CHECK_EQ(tern_rt_recv(p.rt, p.srv, buf, 30, TERN_MSG_WAITALL, TERN_SEC(2)), 20);
	CHECK_EQ(tern_rt_recv(p.rt, p.srv, buf, 30, TERN_MSG_WAITALL, TERN_SEC(2)), 0);
	close(d.tfd);
	tern_rt_destroy(p.rt);
}

TEST(rt_so_rcvtimeo_ends_recv_and_accept_with_eagain)
{
	struct tcp_pair p;
	REQUIRE(tcp_pair_open(&p, 6002));
	set_timeo(p.s, p.srv, TERN_SO_RCVTIMEO, TERN_MSEC(50));
	char buf[64];
	tern_time_t t0 = tern_rt_now(p.rt);
	CHECK_EQ(tern_rt_recv(p.rt, p.srv, buf, sizeof(buf), 0, TERN_TIME_NEVER), TERN_EAGAIN);
	tern_time_t dt = tern_rt_now(p.rt) - t0;
	CHECK(dt >= TERN_MSEC(50) && dt < TERN_SEC(2));
	/* MSG_WAITALL with part of it there: the part, after the timeout. */
	CHECK_EQ(tern_send(p.s, p.cli, "abcde", 5, 0), 5);
	CHECK_EQ(tern_rt_recv(p.rt, p.srv, buf, 30, TERN_MSG_WAITALL, TERN_TIME_NEVER), 5);
	/* MSG_DONTWAIT: no wait at all; the helper's own, shorter, limit
	 * still counts (bounds far from the 5 s: a loaded machine is slow). */
	set_timeo(p.s, p.srv, TERN_SO_RCVTIMEO, TERN_SEC(5));
	t0 = tern_rt_now(p.rt);
	CHECK_EQ(tern_rt_recv(p.rt, p.srv, buf, 30, TERN_MSG_DONTWAIT, TERN_TIME_NEVER), TERN_EAGAIN);
	CHECK(tern_rt_now(p.rt) - t0 < TERN_SEC(2));
	t0 = tern_rt_now(p.rt);
	CHECK_EQ(tern_rt_recv(p.rt, p.srv, buf, 30, 0, TERN_MSEC(10)), TERN_EAGAIN);
	dt = tern_rt_now(p.rt) - t0;
	CHECK(dt >= TERN_MSEC(10) && dt < TERN_SEC(2));
	set_timeo(p.s, p.lsd, TERN_SO_RCVTIMEO, TERN_MSEC(30));
	t0 = tern_rt_now(p.rt);
	CHECK_EQ(tern_rt_accept(p.rt, p.lsd, NULL, TERN_TIME_NEVER), TERN_EAGAIN);
	CHECK(tern_rt_now(p.rt) - t0 >= TERN_MSEC(30));
	tern_rt_destroy(p.rt);
}

TEST(rt_so_sndtimeo_ends_connect_with_einprogress_and_send_partly)
{
	struct tcp_pair p;
	REQUIRE(tcp_pair_open(&p, 6003));
	/* The peer never reads: a big send fills both buffers, then waits.
	 * (Over loopback's 64 KiB segments the send buffer grows to two
	 * initial windows, 1.3 MB, as Linux's tcp_sndbuf_expand: 4 MiB fills
	 * it.) */
	static char big[4 << 20];
	set_timeo(p.s, p.cli, TERN_SO_SNDTIMEO, TERN_MSEC(50));
	int n = tern_rt_send(p.rt, p.cli, big, sizeof(big), 0, TERN_TIME_NEVER);
	CHECK(n > 0 && n < (int)sizeof(big));
	CHECK_EQ(tern_rt_send(p.rt, p.cli, big, sizeof(big), TERN_MSG_DONTWAIT, TERN_TIME_NEVER),
		 TERN_EAGAIN);
	/* A listener that drops every SYN: the handshake cannot finish. */
	REQUIRE_EQ(tern_sysctl_set(p.s, "net.ipv4.tcp_syncookies", "0"), 0);
	REQUIRE_EQ(tern_sysctl_set(p.s, "net.ipv4.tcp_max_syn_backlog", "0"), 0);
	int c2 = tern_socket(p.s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	set_timeo(p.s, c2, TERN_SO_SNDTIMEO, TERN_MSEC(50));
	struct tern_sockaddr_in a = {LO, 6003};
	tern_time_t t0 = tern_rt_now(p.rt);
	CHECK_EQ(tern_rt_connect(p.rt, c2, &a, TERN_TIME_NEVER), TERN_EINPROGRESS);
	CHECK(tern_rt_now(p.rt) - t0 >= TERN_MSEC(50));
	int c3 = tern_socket(p.s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	CHECK_EQ(tern_rt_connect(p.rt, c3, &a, TERN_MSEC(50)), TERN_ETIMEDOUT);
	tern_rt_destroy(p.rt);
}

TEST_MAIN()
