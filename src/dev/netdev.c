/*
 * dev/netdev.c — the device vtable's common part (see tern/netdev.h).
 *
 * Drivers call tern_netdev_init() to fill in the shared fields; everyone
 * else reaches a device through the tern_netdev_* wrappers below, which
 * give the optional ops their "nothing to do" meaning when a driver leaves
 * them NULL, so callers never test for NULL themselves.
 */
#include <string.h>

#include "tern/err.h"
#include "tern/netdev.h"

void tern_netdev_init(struct tern_netdev *dev, const struct tern_netdev_ops *ops,
		      const char *name, const struct tern_mac *mac, uint32_t mtu)
{
	memset(dev, 0, sizeof(*dev));
	dev->ops = ops;
	if (name) {
		/* Truncate like IFNAMSIZ does; the name is for people. */
		strncpy(dev->name, name, sizeof(dev->name) - 1);
	}
	if (mac)
		dev->mac = *mac;
	dev->mtu = mtu;
}

int tern_netdev_transmit(struct tern_netdev *dev, const uint8_t *frame, size_t len, tern_time_t now)
{
	if (!dev->ops->transmit)
		return TERN_EOPNOTSUPP;
	return dev->ops->transmit(dev, frame, len, now);
}

tern_time_t tern_netdev_poll_at(const struct tern_netdev *dev)
{
	if (!dev->ops->poll_at)
		return TERN_TIME_NEVER;
	return dev->ops->poll_at(dev);
}

void tern_netdev_poll(struct tern_netdev *dev, tern_time_t now)
{
	if (dev->ops->poll)
		dev->ops->poll(dev, now);
}

int tern_netdev_fd(const struct tern_netdev *dev)
{
	if (!dev->ops->fd)
		return -1;
	return dev->ops->fd(dev);
}

void tern_netdev_read_ready(struct tern_netdev *dev, tern_time_t now)
{
	if (dev->ops->read_ready)
		dev->ops->read_ready(dev, now);
}

void tern_netdev_destroy(struct tern_netdev *dev)
{
	if (dev && dev->ops->destroy)
		dev->ops->destroy(dev);
}
