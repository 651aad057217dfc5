/*
 * app/format.h — the number formatting and statistics arithmetic that ping
 * and traceroute share, kept apart from their protocol logic so unit tests
 * can pin the exact text iputils and traceroute print.
 *
 * Every function is pure: no stack, no I/O beyond the buffer it is given.
 */
#ifndef TERN_APP_FORMAT_H
#define TERN_APP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tern/types.h"

/* An RTT as iputils prints it after "time=": about three significant digits
 * ("0.045", "2.04", "13.0", "124"), from a value in microseconds. Returns
 * buf. */
char *tern_app_fmt_rtt(char *buf, size_t n, int64_t us);

/* "2.034": microseconds as milliseconds with three decimals (truncated, as
 * iputils' summary line does). Returns buf. */
char *tern_app_fmt_ms3(char *buf, size_t n, int64_t us);

/* floor(sqrt(v)) for v >= 0 (0 for negative v). */
int64_t tern_app_isqrt(int64_t v);

/* Round-trip statistics in microseconds, accumulated the way iputils does
 * so the summary line matches to the last digit. */
struct tern_app_rtt {
	int64_t n;          /* samples (replies and duplicates) */
	int64_t sum, sum2;  /* sum of rtt and of rtt squared */
	int64_t min, max;
};
void tern_app_rtt_init(struct tern_app_rtt *r);
void tern_app_rtt_add(struct tern_app_rtt *r, int64_t us);
/* Mean and mean deviation (population standard deviation, which iputils
 * calls mdev); both 0 without samples. */
void tern_app_rtt_result(const struct tern_app_rtt *r, int64_t *avg, int64_t *mdev);

/* Packet loss as iputils prints it with "%g": a float percentage, so 1 of 3
 * lost reads "33.3333". Returns buf. */
char *tern_app_fmt_loss(char *buf, size_t n, unsigned transmitted, unsigned received);

/* Milliseconds from nanoseconds, rounded to nearest, as the "time Nms" of
 * ping's summary. */
int64_t tern_app_ms_round(tern_time_t ns);

/* An amount as iperf3 prints it in its Transfer, Bitrate and Cwnd columns:
 * bytes scaled by 1024 ("952 MByte", "1.85 GByte", "1023 KByte") or, with
 * bits, bits per second scaled by 1000 ("7.99 Gbit", "15.9 Gbit"); the
 * number takes four columns with three significant figures (two
 * decimals below 9.995, one below 99.95, none above). The caller
 * appends "s" or "s/sec", as iperf3's formats do. Returns buf. */
char *tern_app_fmt_iperf_unit(char *buf, size_t n, double value, bool bits);

#endif
