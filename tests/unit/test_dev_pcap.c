/*
 * tests/unit/test_dev_pcap.c — the pcap capture wrapper (src/dev/pcap.c):
 * frames in both directions are written with their nanosecond times and
 * read back intact by libpcap, identical runs give identical files, and
 * the wrapper otherwise behaves as the device it wraps.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <sys/stat.h>

#include "harness.h"
#include "unit/dev_probe.h"

/* mkdir -p: create each missing directory along path. */
static void mkdir_p(const char *path)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	}
	mkdir(buf, 0755);
}

static void out_path(char *buf, size_t size, const char *name)
{
	mkdir_p(test_out_dir());
	snprintf(buf, size, "%s/%s", test_out_dir(), name);
}

struct sample {
	int up;         /* 1: delivered by the inner device; 0: transmitted */
	size_t len;
	tern_time_t t;
};

static const struct sample samples[] = {
	{0, 60, 0},
	{1, 1514, TERN_USEC(1500)},
	{0, 100, TERN_SEC(2) + 123456789},
	{1, 18, TERN_SEC(2) + 999999999},
	{0, 9014, TERN_SEC(3)},
};
#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

/* Pass the samples through a pcap wrapper over a probe; returns 0 or the
 * wrap error. The frames must also reach their destinations unchanged. */
static int write_capture(const char *path, tern_time_t offset)
{
	static uint8_t buf[9014];
	struct probe *inner = probe_new("eth0", 1, 9000);
	struct probe_log up = {0};
	struct tern_mac a = test_mac(1), b = test_mac(2);
	int err = 0;
	struct tern_netdev *dev = tern_pcap_wrap(&inner->dev, path, offset, &err);
	if (!dev) {
		tern_netdev_destroy(&inner->dev);
		return err;
	}
	tern_netdev_set_rx(dev, log_rx, &up);
	for (uint32_t i = 0; i < NSAMPLES; i++) {
		const struct sample *s = &samples[i];
		if (s->up) {
			make_frame(buf, s->len, &a, &b, i);
			tern_netdev_deliver(&inner->dev, buf, s->len, s->t);
		} else {
			make_frame(buf, s->len, &b, &a, i);
			CHECK_EQ(tern_netdev_transmit(dev, buf, s->len, s->t), 0);
		}
	}
	CHECK_EQ(up.n, 2);
	CHECK_EQ(inner->tx.n, 3);
	if (inner->tx.n == 3)
		CHECK_EQ(inner->tx.r[2].len, 9014);
	tern_netdev_destroy(dev);
	log_clear(&up);
	return 0;
}

TEST(frames_and_times_read_back)
{
	char path[1100];
	char errbuf[PCAP_ERRBUF_SIZE];
	static uint8_t want[9014];
	struct tern_mac a = test_mac(1), b = test_mac(2);
	tern_time_t offset = TERN_SEC(1000);

	out_path(path, sizeof(path), "dev_pcap_readback.pcap");
	REQUIRE_EQ(write_capture(path, offset), 0);

	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	REQUIRE(p != NULL);
	CHECK_EQ(pcap_datalink(p), DLT_EN10MB);
	CHECK_EQ(pcap_snapshot(p), 65535);
	for (uint32_t i = 0; i < NSAMPLES; i++) {
		const struct sample *s = &samples[i];
		struct pcap_pkthdr *h;
		const u_char *data;
		REQUIRE_EQ(pcap_next_ex(p, &h, &data), 1);
		tern_time_t t = s->t + offset;
		CHECK_EQ(h->len, s->len);
		CHECK_EQ(h->caplen, s->len);
		CHECK_EQ(h->ts.tv_sec, t / TERN_SEC(1));
		CHECK_EQ(h->ts.tv_usec, t % TERN_SEC(1));
		if (s->up)
			make_frame(want, s->len, &a, &b, i);
		else
			make_frame(want, s->len, &b, &a, i);
		CHECK_MEM(data, want, s->len);
	}
	struct pcap_pkthdr *h;
	const u_char *data;
	CHECK_EQ(pcap_next_ex(p, &h, &data), PCAP_ERROR_BREAK); /* end of file */
	pcap_close(p);
}

static long read_file(const char *path, uint8_t *buf, size_t size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	long n = (long)fread(buf, 1, size, f);
	fclose(f);
	return n;
}

TEST(identical_runs_identical_files)
{
	char p1[1100], p2[1100];
	static uint8_t b1[65536], b2[65536];

	out_path(p1, sizeof(p1), "dev_pcap_run1.pcap");
	out_path(p2, sizeof(p2), "dev_pcap_run2.pcap");
	REQUIRE_EQ(write_capture(p1, 0), 0);
	REQUIRE_EQ(write_capture(p2, 0), 0);
	long n1 = read_file(p1, b1, sizeof(b1)), n2 = read_file(p2, b2, sizeof(b2));
	/* 24-byte file header, 16 bytes per record header, the frames. */
	CHECK_EQ(n1, 24 + 16 * 5 + 60 + 1514 + 100 + 18 + 9014);
	REQUIRE_EQ(n1, n2);
	CHECK_MEM(b1, b2, (size_t)n1);
	/* The nanosecond-precision magic, written in host byte order. */
	uint32_t magic;
	memcpy(&magic, b1, 4);
	CHECK_EQ(magic, 0xa1b23c4d);
}

/* Times before the epoch are written as 0. */
TEST(negative_time_clamped)
{
	char path[1100], errbuf[PCAP_ERRBUF_SIZE];
	out_path(path, sizeof(path), "dev_pcap_negative.pcap");
	REQUIRE_EQ(write_capture(path, -TERN_SEC(2) - 500000000), 0);

	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	REQUIRE(p != NULL);
	tern_time_t want[NSAMPLES] = {0, 0, 0, 499999999, 500000000};
	for (size_t i = 0; i < NSAMPLES; i++) {
		struct pcap_pkthdr *h;
		const u_char *data;
		REQUIRE_EQ(pcap_next_ex(p, &h, &data), 1);
		CHECK_EQ((tern_time_t)h->ts.tv_sec * TERN_SEC(1) + h->ts.tv_usec, want[i]);
	}
	pcap_close(p);
}

/* A frame beyond the snap length is cut to it; the original length stays. */
TEST(huge_frame_truncated)
{
	char path[1100], errbuf[PCAP_ERRBUF_SIZE];
	static uint8_t big[70000];
	struct probe *inner = probe_new("eth0", 1, 9000);
	int err = 0;

	out_path(path, sizeof(path), "dev_pcap_huge.pcap");
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	struct tern_netdev *dev = tern_pcap_wrap(&inner->dev, path, 0, &err);
	REQUIRE(dev != NULL);
	tern_netdev_transmit(dev, big, sizeof(big), 5);
	tern_netdev_destroy(dev);

	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	REQUIRE(p != NULL);
	struct pcap_pkthdr *h;
	const u_char *data;
	REQUIRE_EQ(pcap_next_ex(p, &h, &data), 1);
	CHECK_EQ(h->len, 70000);
	CHECK_EQ(h->caplen, 65535);
	CHECK_MEM(data, big, 65535);
	pcap_close(p);
}

TEST(open_failure_leaves_inner)
{
	struct probe *inner = probe_new("eth0", 1, 1500);
	int destroyed = 0, err = 0;
	inner->destroyed = &destroyed;
	struct tern_netdev *dev = tern_pcap_wrap(&inner->dev, "/nonexistent-dir/x/y.pcap", 0, &err);
	CHECK(dev == NULL);
	CHECK_EQ(err, -ENOENT);
	CHECK(!destroyed);
	tern_netdev_destroy(&inner->dev);
	CHECK(destroyed);
}

/* poll_at and poll reach the inner device: a link end under the wrapper. */
TEST(passes_through_a_link)
{
	char path[1100], errbuf[PCAP_ERRBUF_SIZE];
	struct tern_link_params lp = {.delay = TERN_MSEC(3)};
	struct tern_mac ma = test_mac(1), mb = test_mac(2);
	struct tern_link *l = tern_link_create(&lp, "a", &ma, "b", &mb);
	struct probe_log at_a = {0};
	uint8_t buf[64];
	int err = 0;

	out_path(path, sizeof(path), "dev_pcap_link.pcap");
	struct tern_netdev *a = tern_pcap_wrap(tern_link_end(l, 0), path, 0, &err);
	REQUIRE(a != NULL);
	CHECK_STR(a->name, "a");
	CHECK_EQ(a->mtu, 1500);
	CHECK_EQ(tern_netdev_fd(a), -1);
	tern_netdev_set_rx(a, log_rx, &at_a);

	make_frame(buf, sizeof(buf), &ma, &mb, 9);
	tern_netdev_transmit(tern_link_end(l, 1), buf, sizeof(buf), 0);
	CHECK_EQ(tern_netdev_poll_at(a), TERN_MSEC(3));
	tern_netdev_poll(a, TERN_MSEC(3));
	CHECK_EQ(at_a.n, 1);
	tern_netdev_destroy(a);
	tern_link_destroy(l);
	log_clear(&at_a);

	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	REQUIRE(p != NULL);
	struct pcap_pkthdr *h;
	const u_char *data;
	REQUIRE_EQ(pcap_next_ex(p, &h, &data), 1);
	CHECK_EQ(h->ts.tv_usec, TERN_MSEC(3));
	CHECK_MEM(data, buf, sizeof(buf));
	pcap_close(p);
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Read every record of a capture: their times into t[], how many (or -1
 * if libpcap will not open it, -2 on a bad record). */
static int read_times(const char *path, tern_time_t *t, int max)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p)
		return -1;
	struct pcap_pkthdr *h;
	const u_char *data;
	int n = 0, r;
	while ((r = pcap_next_ex(p, &h, &data)) == 1) {
		if (n < max)
			t[n] = (tern_time_t)h->ts.tv_sec * TERN_SEC(1) + h->ts.tv_usec;
		n++;
	}
	pcap_close(p);
	return r == PCAP_ERROR_BREAK ? n : -2;
}

/* As tcpdump -U: the header is on disk at open and each record as it is
 * written, so another program reads a whole capture while the writer
 * still has it open (and a writer killed now leaves a valid file). */
TEST(readable_while_open)
{
	char path[1100];
	uint8_t buf[100];
	struct tern_mac a = test_mac(1), b = test_mac(2);
	struct probe *inner = probe_new("eth0", 1, 1500);
	int err = 0;
	tern_time_t t[4];

	out_path(path, sizeof(path), "dev_pcap_open.pcap");
	struct tern_netdev *dev = tern_pcap_wrap(&inner->dev, path, 0, &err);
	REQUIRE(dev != NULL);
	CHECK_EQ(file_size(path), 24);
	CHECK_EQ(read_times(path, t, 4), 0);
	make_frame(buf, sizeof(buf), &b, &a, 1);
	tern_netdev_transmit(dev, buf, sizeof(buf), TERN_MSEC(1));
	CHECK_EQ(file_size(path), 24 + 16 + 100);
	tern_netdev_deliver(&inner->dev, buf, 60, TERN_MSEC(2));
	CHECK_EQ(file_size(path), 24 + 2 * 16 + 100 + 60);
	REQUIRE_EQ(read_times(path, t, 4), 2);
	CHECK_EQ(t[0], TERN_MSEC(1));
	CHECK_EQ(t[1], TERN_MSEC(2));
	tern_netdev_destroy(dev);
	CHECK_EQ(read_times(path, t, 4), 2);
}

static tern_time_t fake_clock(void *ctx)
{
	return *(const tern_time_t *)ctx;
}

/* A clock stamps transmitted frames when they are handed over (never
 * before their `now`); received frames keep the time they carry; and no
 * record is stamped before the one before it. */
TEST(clock_and_order)
{
	char path[1100];
	uint8_t buf[60];
	struct tern_mac a = test_mac(1), b = test_mac(2);
	struct probe *inner = probe_new("eth0", 1, 1500);
	int err = 0;
	tern_time_t clk = TERN_USEC(150), t[8];

	out_path(path, sizeof(path), "dev_pcap_clock.pcap");
	struct tern_netdev *dev = tern_pcap_wrap(&inner->dev, path, TERN_SEC(10), &err);
	REQUIRE(dev != NULL);
	make_frame(buf, sizeof(buf), &a, &b, 1);
	tern_netdev_deliver(&inner->dev, buf, sizeof(buf), TERN_USEC(100)); /* a request */
	tern_pcap_set_clock(dev, fake_clock, &clk);
	tern_netdev_transmit(dev, buf, sizeof(buf), TERN_USEC(100)); /* its reply, sent later */
	clk = TERN_USEC(120);                                         /* a clock behind `now` */
	tern_netdev_transmit(dev, buf, sizeof(buf), TERN_USEC(200));
	tern_netdev_deliver(&inner->dev, buf, sizeof(buf), TERN_USEC(180)); /* due before the last */
	tern_pcap_set_clock(dev, NULL, NULL);
	tern_netdev_transmit(dev, buf, sizeof(buf), TERN_USEC(300));
	tern_pcap_set_clock(&inner->dev, fake_clock, &clk); /* not a pcap: no-op */
	tern_netdev_destroy(dev);

	REQUIRE_EQ(read_times(path, t, 8), 5);
	CHECK_EQ(t[0], TERN_SEC(10) + TERN_USEC(100));
	CHECK_EQ(t[1], TERN_SEC(10) + TERN_USEC(150));
	CHECK_EQ(t[2], TERN_SEC(10) + TERN_USEC(200));
	CHECK_EQ(t[3], TERN_SEC(10) + TERN_USEC(200));
	CHECK_EQ(t[4], TERN_SEC(10) + TERN_USEC(300));
}

TEST_MAIN()
