/*
 * tests/unit/test_rt_fd.c — the real-time runner's program fds
 * (tern_rt_add_fd) and its blocking socket conveniences
 * (tern_rt_recvfrom, tern_rt_sendto), on a runner without devices: pipes
 * stand for stdin and control sockets, and UDP goes over loopback.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/time.h>
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

TEST_MAIN()
