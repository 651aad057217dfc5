/*
 * tests/unit/test_dev_tap.c — the Linux TAP driver (src/dev/tap.c): open
 * a fresh interface, check the device and the kernel's view of it (up,
 * MTU), transmit, drain, see frames read in one batch each stamped with
 * the time it was read, and see the interface go away on destroy.
 *
 * Needs root and /dev/net/tun, and fails without them (CI runs as root
 * and must notice a missing device); TERN_ALLOW_SKIP=1 turns that into a
 * skip for unprivileged builds. The test first moves into a network
 * namespace of its own (unshare), so its interfaces and frames never
 * touch the machine's real network.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "unit/dev_probe.h"

static bool can_tap(void)
{
	static int in_own_netns;
	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0) {
		const char *skip = getenv("TERN_ALLOW_SKIP");
		if (skip && strcmp(skip, "1") == 0) {
			printf("# skipped %s: needs root and /dev/net/tun\n", test_current_);
			return false;
		}
		TEST_FAIL_("needs root and /dev/net/tun (TERN_ALLOW_SKIP=1 to skip)");
		return false;
	}
	if (!in_own_netns) {
		if (unshare(CLONE_NEWNET) != 0) {
			TEST_FAIL_("unshare(CLONE_NEWNET) failed: %s", strerror(errno));
			return false;
		}
		in_own_netns = 1;
	}
	return true;
}

/* The kernel's flags and MTU for ifname; 0 or -1. */
static int kernel_view(const char *ifname, short *flags, int *mtu)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	int ret = -1;
	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		*flags = ifr.ifr_flags;
		if (ioctl(s, SIOCGIFMTU, &ifr) == 0) {
			*mtu = ifr.ifr_mtu;
			ret = 0;
		}
	}
	close(s);
	return ret;
}

TEST(open_configure_destroy)
{
	if (!can_tap())
		return;
	struct tern_mac mac = test_mac(0x42);
	int err = 0;
	/* The kernel fills in %d with a free number: no clash with a
	 * concurrent run. */
	struct tern_netdev *dev = tern_tap_open("terntst%d", &mac, 1400, &err);
	REQUIRE(dev != NULL);
	char name[TERN_NETDEV_NAMELEN];
	memcpy(name, dev->name, sizeof(name));

	CHECK(tern_netdev_fd(dev) >= 0);
	CHECK(strncmp(name, "terntst", 7) == 0 && name[7] >= '0' && name[7] <= '9');
	CHECK_EQ(dev->mtu, 1400);
	CHECK_MEM(dev->mac.b, mac.b, 6);
	CHECK_EQ(tern_netdev_poll_at(dev), TERN_TIME_NEVER);
	CHECK(fcntl(tern_netdev_fd(dev), F_GETFL) & O_NONBLOCK);

	short flags = 0;
	int mtu = 0;
	REQUIRE_EQ(kernel_view(name, &flags, &mtu), 0);
	CHECK(flags & IFF_UP);
	CHECK_EQ(mtu, 1400);

	/* A frame to the kernel (broadcast, unknown ethertype: it drops it). */
	uint8_t buf[60];
	struct tern_mac bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	make_frame(buf, sizeof(buf), &bcast, &mac, 1);
	CHECK_EQ(tern_netdev_transmit(dev, buf, sizeof(buf), 0), 0);

	/* Draining must return, whatever the kernel has sent (IPv6 router
	 * solicitations and the like may be there); every frame it delivers
	 * is at least an Ethernet header. */
	struct probe_log rx = {0};
	tern_netdev_set_rx(dev, log_rx, &rx);
	tern_netdev_read_ready(dev, 0);
	for (size_t i = 0; i < rx.n; i++)
		CHECK(rx.r[i].len >= 14);
	log_clear(&rx);

	tern_netdev_destroy(dev);
	CHECK_EQ(if_nametoindex(name), 0); /* not persistent: gone with the fd */
}

static tern_time_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (tern_time_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Until the kernel reports the interface operationally up (its link
 * watcher activates the transmit queue up to a second after the carrier
 * comes): before that, what the kernel sends on it is dropped. */
static bool wait_running(const char *ifname)
{
	for (int i = 0; i < 300; i++) {
		short flags = 0;
		int mtu = 0;
		if (kernel_view(ifname, &flags, &mtu) == 0 && (flags & IFF_RUNNING))
			return true;
		usleep(10000);
	}
	return false;
}

/* Issue 10 item 1: frames the kernel queued together, read in one
 * read_ready, are not one instant: each is delivered with CLOCK_MONOTONIC
 * as it was read (the runner's clock), increasing, never before the floor
 * the caller passed. */
TEST(frames_stamped_as_read)
{
	if (!can_tap())
		return;
	struct tern_mac mac = test_mac(0x43), peer = test_mac(0x44);
	int err = 0;
	struct tern_netdev *dev = tern_tap_open("terntst%d", &mac, 1500, &err);
	REQUIRE(dev != NULL);
	REQUIRE(wait_running(dev->name));
	int ps = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	REQUIRE(ps >= 0);
	struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(dev->name),
				 .sll_halen = 6};
	memcpy(ll.sll_addr, mac.b, 6);

	/* Four frames the kernel sends out of the TAP, queued before we read. */
	enum { N = 4 };
	uint8_t buf[60];
	for (uint32_t i = 0; i < N; i++) {
		make_frame(buf, sizeof(buf), &mac, &peer, 100 + i);
		CHECK_EQ(sendto(ps, buf, sizeof(buf), 0, (struct sockaddr *)&ll, sizeof(ll)),
			 (ssize_t)sizeof(buf));
	}
	close(ps);
	usleep(20000);

	struct probe_log rx = {0};
	tern_netdev_set_rx(dev, log_rx, &rx);
	tern_time_t before = mono_ns();
	tern_netdev_read_ready(dev, before - TERN_SEC(1)); /* a stale floor */
	tern_time_t after = mono_ns();
	tern_time_t prev = 0;
	unsigned ours = 0;
	for (size_t i = 0; i < rx.n; i++) {
		CHECK(rx.r[i].t >= before && rx.r[i].t <= after);
		CHECK(rx.r[i].t > prev); /* one clock read per frame */
		prev = rx.r[i].t;
		long long tag = frame_tag(rx.r[i].data, rx.r[i].len);
		if (tag >= 100 && tag < 100 + N)
			CHECK_EQ(tag, 100 + ours++);
	}
	CHECK_EQ(ours, N);
	log_clear(&rx);

	/* A floor later than the clock wins: the stack's time never goes back. */
	ps = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	REQUIRE(ps >= 0);
	make_frame(buf, sizeof(buf), &mac, &peer, 200);
	CHECK_EQ(sendto(ps, buf, sizeof(buf), 0, (struct sockaddr *)&ll, sizeof(ll)),
		 (ssize_t)sizeof(buf));
	close(ps);
	usleep(20000);
	tern_time_t floor = mono_ns() + TERN_SEC(100);
	tern_netdev_read_ready(dev, floor);
	REQUIRE(rx.n >= 1);
	for (size_t i = 0; i < rx.n; i++)
		CHECK_EQ(rx.r[i].t, floor);
	log_clear(&rx);
	tern_netdev_destroy(dev);
}

TEST(rejects_bad_mtu)
{
	if (!can_tap())
		return;
	int err = 0;
	struct tern_netdev *dev = tern_tap_open("terntst%d", NULL, TERN_ETH_MAX_MTU + 1, &err);
	CHECK(dev == NULL);
	CHECK_EQ(err, TERN_EINVAL);
}

TEST_MAIN()
