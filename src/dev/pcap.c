/*
 * dev/pcap.c — a capture wrapper: every frame that crosses it, in either
 * direction, is appended to a pcap file, then passed on unchanged.
 *
 * It sits between a device's owner and the device, like the fault
 * injector, and otherwise behaves exactly as the inner device. The file is
 * DLT_EN10MB with nanosecond timestamps; a frame's timestamp is the `now`
 * it travelled with plus `time_offset`, so a simulated run (time from 0)
 * can be shifted to a real epoch. Without a clock (tern_pcap_set_clock)
 * no clock enters the file: the same frames at the same times give the
 * same bytes. With one (the real-time runner's), a transmitted frame is
 * stamped when it is handed to the device rather than with the stack's
 * `now`, so a reply is not stamped with its request's arrival time.
 * Stamps never go backwards in a file (a frame that a delay line releases
 * at its due time may carry a time before the last record's: it is
 * written at the last record's).
 *
 * Every record is flushed as it is written, as `tcpdump -U`: the file is
 * readable while the program runs and valid whenever it dies, SIGKILL
 * included. The stream's buffer holds the largest record, so each flush
 * is one write(2) of whole records.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

#include "tern/err.h"
#include "tern/netdev.h"

#define PCAP_SNAPLEN 65535

struct pcapdev {
	struct tern_netdev dev; /* first, so a device pointer is a pcapdev */
	struct tern_netdev *inner;
	pcap_t *pcap;
	pcap_dumper_t *dumper;
	tern_time_t time_offset;
	tern_time_t last;            /* the last record's stamp (before the offset) */
	tern_pcap_clock_fn clock;    /* stamps transmitted frames; NULL: their `now` */
	void *clock_ctx;
};

/* A record's header and its largest frame, so one flush writes it whole. */
#define PCAP_STREAM_BUF (16 + PCAP_SNAPLEN + 4096)

/* Append one record. Times before the epoch would wrap in the unsigned
 * header fields, so they are written as 0. */
static void record(struct pcapdev *pd, const uint8_t *frame, size_t len, tern_time_t now)
{
	struct pcap_pkthdr h = {0};

	if (now < pd->last)
		now = pd->last;
	pd->last = now;
	tern_time_t t = now + pd->time_offset;

	if (t < 0)
		t = 0;
	h.ts.tv_sec = (time_t)(t / TERN_SEC(1));
	h.ts.tv_usec = (suseconds_t)(t % TERN_SEC(1)); /* nanoseconds: NANO precision */
	h.len = (bpf_u_int32)len;
	h.caplen = (bpf_u_int32)(len < PCAP_SNAPLEN ? len : PCAP_SNAPLEN);
	pcap_dump((u_char *)pd->dumper, &h, frame);
	pcap_dump_flush(pd->dumper); /* as tcpdump -U: readable now, valid if we die */
}

static int pcap_transmit(struct tern_netdev *dev, const uint8_t *frame, size_t len,
			 tern_time_t now)
{
	struct pcapdev *pd = (struct pcapdev *)dev;

	if (pd->clock) {
		tern_time_t handed = pd->clock(pd->clock_ctx);
		record(pd, frame, len, handed > now ? handed : now);
	} else {
		record(pd, frame, len, now);
	}
	return tern_netdev_transmit(pd->inner, frame, len, now);
}

/* Receive callback installed on the inner device. */
static void pcap_rx(void *ctx, struct tern_netdev *inner, const uint8_t *frame, size_t len,
		    tern_time_t now)
{
	struct pcapdev *pd = ctx;

	record(pd, frame, len, now);
	tern_netdev_deliver(&pd->dev, frame, len, now);
}

static void pcap_inner_wake(void *ctx, struct tern_netdev *inner)
{
	(void)inner;
	tern_netdev_wake(&((struct pcapdev *)ctx)->dev);
}

static tern_time_t pcap_poll_at(const struct tern_netdev *dev)
{
	return tern_netdev_poll_at(((const struct pcapdev *)dev)->inner);
}

static void pcap_poll(struct tern_netdev *dev, tern_time_t now)
{
	tern_netdev_poll(((struct pcapdev *)dev)->inner, now);
}

static int pcap_fd(const struct tern_netdev *dev)
{
	return tern_netdev_fd(((const struct pcapdev *)dev)->inner);
}

static void pcap_read_ready(struct tern_netdev *dev, tern_time_t now)
{
	tern_netdev_read_ready(((struct pcapdev *)dev)->inner, now);
}

static void pcap_destroy(struct tern_netdev *dev)
{
	struct pcapdev *pd = (struct pcapdev *)dev;

	pcap_dump_close(pd->dumper); /* flushes */
	pcap_close(pd->pcap);
	tern_netdev_destroy(pd->inner);
	free(pd);
}

static const struct tern_netdev_ops pcap_ops = {
	.transmit = pcap_transmit,
	.poll_at = pcap_poll_at,
	.poll = pcap_poll,
	.fd = pcap_fd,
	.read_ready = pcap_read_ready,
	.destroy = pcap_destroy,
};

/* Open the capture file. Returns 0 or a negative tern_err. */
static int open_dump(struct pcapdev *pd, const char *path)
{
	pd->pcap = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, PCAP_SNAPLEN,
							PCAP_TSTAMP_PRECISION_NANO);
	if (!pd->pcap)
		return TERN_ENOMEM;
	FILE *f = fopen(path, "wbe");
	if (!f) {
		int err = errno ? -errno : TERN_EIO;
		pcap_close(pd->pcap);
		return err;
	}
	setvbuf(f, NULL, _IOFBF, PCAP_STREAM_BUF);
	errno = 0;
	pd->dumper = pcap_dump_fopen(pd->pcap, f); /* writes the file header */
	if (!pd->dumper || pcap_dump_flush(pd->dumper) < 0) {
		int err = errno ? -errno : TERN_EIO;
		if (pd->dumper)
			pcap_dump_close(pd->dumper);
		else
			fclose(f);
		pcap_close(pd->pcap);
		return err;
	}
	return 0;
}

/* On failure the inner device stays the caller's. */
struct tern_netdev *tern_pcap_wrap(struct tern_netdev *inner, const char *path,
				   tern_time_t time_offset, int *err)
{
	struct pcapdev *pd = NULL;
	int e = TERN_EINVAL;

	if (!inner || !path)
		goto fail;
	e = TERN_ENOMEM;
	pd = calloc(1, sizeof(*pd));
	if (!pd)
		goto fail;
	e = open_dump(pd, path);
	if (e < 0)
		goto fail;
	tern_netdev_init(&pd->dev, &pcap_ops, inner->name, &inner->mac, inner->mtu);
	pd->inner = inner;
	pd->time_offset = time_offset;
	pd->last = INT64_MIN;
	tern_netdev_set_rx(inner, pcap_rx, pd);
	tern_netdev_set_wake(inner, pcap_inner_wake, pd);
	return &pd->dev;
fail:
	free(pd);
	if (err)
		*err = e;
	return NULL;
}

void tern_pcap_set_clock(struct tern_netdev *dev, tern_pcap_clock_fn clock, void *ctx)
{
	struct pcapdev *pd = (struct pcapdev *)dev;

	if (dev && dev->ops == &pcap_ops) {
		pd->clock = clock;
		pd->clock_ctx = ctx;
	}
}
