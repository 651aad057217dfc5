/*
 * tests/unit/dev_probe.h — helpers shared by the device driver tests
 * (test_dev_*.c): a frame log, a receive callback that fills it, a frame
 * builder, and a "probe" device whose transmit logs frames instead of
 * sending them, so a test can see exactly what a switch or wrapper sent
 * down and can inject frames upward with tern_netdev_deliver().
 */
#ifndef TERN_TEST_DEV_PROBE_H
#define TERN_TEST_DEV_PROBE_H

#include <stdlib.h>
#include <string.h>

#include "tern/err.h"
#include "tern/netdev.h"

struct probe_rec {
	tern_time_t t;
	size_t len;
	uint8_t *data;
};

struct probe_log {
	size_t n, cap;
	struct probe_rec *r;
};

static inline void log_add(struct probe_log *log, const uint8_t *frame, size_t len, tern_time_t t)
{
	if (log->n == log->cap) {
		log->cap = log->cap ? log->cap * 2 : 16;
		log->r = realloc(log->r, log->cap * sizeof(*log->r));
		if (!log->r)
			abort();
	}
	struct probe_rec *r = &log->r[log->n++];
	r->t = t;
	r->len = len;
	r->data = malloc(len ? len : 1);
	if (!r->data)
		abort();
	if (len)
		memcpy(r->data, frame, len);
}

static inline void log_clear(struct probe_log *log)
{
	for (size_t i = 0; i < log->n; i++)
		free(log->r[i].data);
	free(log->r);
	memset(log, 0, sizeof(*log));
}

/* A tern_netdev_rx_fn whose ctx is a struct probe_log. */
static inline void log_rx(void *ctx, struct tern_netdev *dev, const uint8_t *frame, size_t len,
			  tern_time_t now)
{
	log_add(ctx, frame, len, now);
}

/* The 32-bit tag make_frame() put in a frame, or -1 if it is too short. */
static inline long long frame_tag(const uint8_t *f, size_t len)
{
	if (len < 18)
		return -1;
	return (long long)((uint32_t)f[14] << 24 | (uint32_t)f[15] << 16 |
			   (uint32_t)f[16] << 8 | f[17]);
}

static inline struct tern_mac test_mac(uint8_t last)
{
	struct tern_mac m = {{0x02, 0x00, 0x00, 0x00, 0x00, last}};
	return m;
}

/* An Ethernet frame of len bytes (len >= 18) from src to dst, ethertype
 * 0x88b5 (local experimental), carrying `tag` and a fill pattern. */
static inline void make_frame(uint8_t *buf, size_t len, const struct tern_mac *dst,
			      const struct tern_mac *src, uint32_t tag)
{
	memcpy(buf, dst->b, 6);
	memcpy(buf + 6, src->b, 6);
	buf[12] = 0x88;
	buf[13] = 0xb5;
	buf[14] = (uint8_t)(tag >> 24);
	buf[15] = (uint8_t)(tag >> 16);
	buf[16] = (uint8_t)(tag >> 8);
	buf[17] = (uint8_t)tag;
	for (size_t i = 18; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + tag);
}

struct probe {
	struct tern_netdev dev;
	struct probe_log tx;   /* what was transmitted on the probe */
	int tx_ret;            /* what transmit returns */
	int *destroyed;        /* set to 1 on destroy, if not NULL */
};

static inline int probe_transmit(struct tern_netdev *dev, const uint8_t *frame, size_t len,
				 tern_time_t now)
{
	struct probe *p = (struct probe *)dev;
	log_add(&p->tx, frame, len, now);
	return p->tx_ret;
}

static inline void probe_destroy(struct tern_netdev *dev)
{
	struct probe *p = (struct probe *)dev;
	if (p->destroyed)
		*p->destroyed = 1;
	log_clear(&p->tx);
	free(p);
}

static const struct tern_netdev_ops probe_ops = {
	.transmit = probe_transmit,
	.destroy = probe_destroy,
};

static inline struct probe *probe_new(const char *name, uint8_t mac_last, uint32_t mtu)
{
	struct probe *p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	struct tern_mac mac = test_mac(mac_last);
	tern_netdev_init(&p->dev, &probe_ops, name, &mac, mtu);
	return p;
}

#endif
