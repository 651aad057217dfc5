/*
 * dev/tap.c — a Linux TAP interface as a tern device, the bridge between a
 * tern stack and the kernel's network.
 *
 * It sits under a stack run in real time: the runner waits on the fd
 * (tern_netdev_fd) and calls read_ready, which reads what the kernel has
 * queued, at most TAP_RX_BUDGET frames, and delivers each upward; transmit writes one frame to
 * the kernel. The fd is non-blocking, so neither call ever waits. The
 * kernel interface has its own MAC; `mac` is the tern host's, carried in
 * the device for the stack, never written to the kernel. Everything the
 * kernel sends out the interface reaches us, whoever it is addressed to.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tern/err.h"
#include "tern/netdev.h"

#define TAP_DEFAULT_MTU 1500
#define TAP_READ_BUF 65536
/* Frames read per read_ready, as NAPI's budget: a peer that keeps the
 * queue full (a bulk sender answered by our ACKs at once) would otherwise
 * hold the runner in one call for ever, at one `now`, with no timer run.
 * The fd stays readable, so the runner comes straight back. */
#define TAP_RX_BUDGET 256

struct tap {
	struct tern_netdev dev; /* first, so a device pointer is a tap pointer */
	int fd;
	uint64_t tx_dropped; /* kernel queue full */
};

static int tap_transmit(struct tern_netdev *dev, const uint8_t *frame, size_t len,
			tern_time_t now)
{
	struct tap *t = (struct tap *)dev;
	if (write(t->fd, frame, len) >= 0)
		return 0;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		t->tx_dropped++;
		return TERN_ENOBUFS;
	}
	return -errno;
}

static int tap_fd(const struct tern_netdev *dev)
{
	return ((const struct tap *)dev)->fd;
}

/* Each read() on a TAP fd returns exactly one frame. A read error other
 * than EAGAIN (the interface went away) also ends the drain; the next
 * write reports it. */
static void tap_read_ready(struct tern_netdev *dev, tern_time_t now)
{
	struct tap *t = (struct tap *)dev;
	uint8_t buf[TAP_READ_BUF];
	ssize_t n;

	for (unsigned i = 0; i < TAP_RX_BUDGET && (n = read(t->fd, buf, sizeof(buf))) >= 0; i++)
		tern_netdev_deliver(dev, buf, (size_t)n, now);
}

static void tap_destroy(struct tern_netdev *dev)
{
	struct tap *t = (struct tap *)dev;
	close(t->fd);
	free(t);
}

static const struct tern_netdev_ops tap_ops = {
	.transmit = tap_transmit,
	.fd = tap_fd,
	.read_ready = tap_read_ready,
	.destroy = tap_destroy,
};

/* Set the kernel interface's MTU and bring it up, through an ordinary
 * socket as ip(8) does. Returns 0 or a negative tern_err. */
static int configure_if(const char ifname[IFNAMSIZ], uint32_t mtu)
{
	struct ifreq ifr;
	int err = 0;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, IFNAMSIZ);
	ifr.ifr_mtu = (int)mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		err = -errno;
	} else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			err = -errno;
	}
	close(s);
	return err;
}

/* Wait (at most TAP_OPER_WAIT_MS in all) until the kernel reports the
 * interface, and the bridge it is a port of if any, operationally up
 * (IFF_RUNNING). Attaching raises the carrier, but the kernel activates
 * the device's transmit queue only when its link watcher runs, a moment
 * later (a workqueue; later still on a busy machine), and a bridge whose
 * only port this is gets its own carrier, and its own link-watcher round,
 * only after that; until then what the kernel sends us, such as the answer
 * to our first ARP request, is dropped. Not up in time: go on (the ARP
 * request is retried a second later). */
#define TAP_OPER_WAIT_MS 2000
static int wait_running(int sock, const char *ifname, int budget_ms)
{
	int waited = 0;
	for (; waited < budget_ms; waited++) {
		struct ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, IFNAMSIZ, "%.*s", IFNAMSIZ - 1, ifname);
		if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0 || (ifr.ifr_flags & IFF_RUNNING))
			break;
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
	return waited;
}

static void wait_oper_up(const char ifname[IFNAMSIZ])
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	int waited = wait_running(s, ifname, TAP_OPER_WAIT_MS);
	char path[64], master[256];
	snprintf(path, sizeof(path), "/sys/class/net/%s/master", ifname);
	ssize_t n = readlink(path, master, sizeof(master) - 1);
	if (n > 0) {
		master[n] = '\0';
		const char *br = strrchr(master, '/');
		wait_running(s, br ? br + 1 : master, TAP_OPER_WAIT_MS - waited);
	}
	close(s);
}

/* Create (or attach to) the TAP interface; on success *fd is open and
 * `name` holds the kernel's name for it (a "%d" in ifname is filled in). */
static int open_tun(const char *ifname, char name[IFNAMSIZ], int *fd)
{
	struct ifreq ifr;
	int f = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (f < 0)
		return -errno;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ifname)
		strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	if (ioctl(f, TUNSETIFF, &ifr) < 0) {
		int err = -errno;
		close(f);
		return err;
	}
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	name[IFNAMSIZ - 1] = '\0';
	*fd = f;
	return 0;
}

struct tern_netdev *tern_tap_open(const char *ifname, const struct tern_mac *mac,
				  uint32_t mtu, int *err)
{
	char name[IFNAMSIZ];
	int fd = -1, e;
	struct tap *t;

	if (mtu == 0)
		mtu = TAP_DEFAULT_MTU;
	if (mtu > TERN_ETH_MAX_MTU) {
		e = TERN_EINVAL;
		goto fail;
	}
	e = open_tun(ifname, name, &fd);
	if (e < 0)
		goto fail;
	e = configure_if(name, mtu);
	if (e < 0)
		goto fail;
	wait_oper_up(name);
	t = calloc(1, sizeof(*t));
	if (!t) {
		e = TERN_ENOMEM;
		goto fail;
	}
	tern_netdev_init(&t->dev, &tap_ops, name, mac, mtu);
	t->fd = fd;
	return &t->dev;
fail:
	if (fd >= 0)
		close(fd);
	if (err)
		*err = e;
	return NULL;
}
