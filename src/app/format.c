/*
 * app/format.c — number formatting and RTT statistics for ping and
 * traceroute (see format.h). The rules mirror what iputils ping prints, as
 * observed against a real `ping`; derivations sit beside each one.
 */
#include "app/format.h"

#include <stdio.h>

char *tern_app_fmt_rtt(char *buf, size_t n, int64_t us)
{
	if (us < 0)
		us = 0;
	/*
	 * iputils shows fewer decimals as the value grows, rounding to the
	 * digit it keeps (the three-decimal form is exact). Each threshold
	 * sits half a kept unit below its decade, so a value that would round
	 * up into the next decade takes that decade's form: 9.995 ms prints
	 * "10.0", never "10.00"; 99.95 ms prints "100".
	 */
	if (us >= 100000 - 50)
		snprintf(buf, n, "%lld", (long long)((us + 500) / 1000));
	else if (us >= 10000 - 5)
		snprintf(buf, n, "%lld.%01lld", (long long)((us + 50) / 1000),
			 (long long)(((us + 50) % 1000) / 100));
	else if (us >= 1000)
		snprintf(buf, n, "%lld.%02lld", (long long)((us + 5) / 1000),
			 (long long)(((us + 5) % 1000) / 10));
	else
		snprintf(buf, n, "0.%03lld", (long long)us);
	return buf;
}

char *tern_app_fmt_ms3(char *buf, size_t n, int64_t us)
{
	if (us < 0)
		us = 0;
	snprintf(buf, n, "%lld.%03lld", (long long)(us / 1000), (long long)(us % 1000));
	return buf;
}

int64_t tern_app_isqrt(int64_t v)
{
	if (v <= 0)
		return 0;
	/* Newton's method from above: x_{k+1} = (x_k + v/x_k) / 2 decreases
	 * monotonically to floor(sqrt(v)) and stops there. Starting at v/2+1
	 * (>= sqrt(v) for every v >= 1) avoids overflow in x + v/x. */
	int64_t x = v / 2 + 1;
	int64_t y = (x + v / x) / 2;
	while (y < x) {
		x = y;
		y = (x + v / x) / 2;
	}
	return x;
}

void tern_app_rtt_init(struct tern_app_rtt *r)
{
	r->n = 0;
	r->sum = r->sum2 = 0;
	r->min = INT64_MAX;
	r->max = 0;
}

void tern_app_rtt_add(struct tern_app_rtt *r, int64_t us)
{
	if (us < 0)
		us = 0;
	r->n++;
	r->sum += us;
	r->sum2 += us * us;
	if (us < r->min)
		r->min = us;
	if (us > r->max)
		r->max = us;
}

void tern_app_rtt_result(const struct tern_app_rtt *r, int64_t *avg, int64_t *mdev)
{
	if (r->n == 0) {
		*avg = *mdev = 0;
		return;
	}
	*avg = r->sum / r->n;
	/*
	 * variance = E[x^2] - E[x]^2. In integers, dividing sum by n before
	 * squaring loses up to 2*avg of precision, which matters for RTTs of
	 * a few microseconds; so while sum^2 cannot overflow, compute
	 * (sum2 - sum*sum/n) / n instead, as iputils does.
	 */
	int64_t var;
	if (r->sum < INT32_MAX)
		var = (r->sum2 - (r->sum * r->sum) / r->n) / r->n;
	else
		var = r->sum2 / r->n - *avg * *avg;
	*mdev = tern_app_isqrt(var);
}

char *tern_app_fmt_loss(char *buf, size_t n, unsigned transmitted, unsigned received)
{
	if (transmitted == 0) {
		snprintf(buf, n, "0");
		return buf;
	}
	/* iputils computes in double, stores to float, prints with %g. */
	float loss = (float)(((long long)transmitted - (long long)received) * 100.0 /
			     transmitted);
	snprintf(buf, n, "%g", (double)loss);
	return buf;
}

int64_t tern_app_ms_round(tern_time_t ns)
{
	if (ns < 0)
		return 0;
	/* iputils rounds the microsecond value: (usec + 500) / 1000. */
	return (ns / 1000 + 500) / 1000;
}

char *tern_app_fmt_iperf_unit(char *buf, size_t n, double value, bool bits)
{
	static const char *const byte_units[] = {"Byte", "KByte", "MByte", "GByte", "TByte"};
	static const char *const bit_units[] = {"bit", "Kbit", "Mbit", "Gbit", "Tbit"};
	double v = bits ? value * 8.0 : value;
	double base = bits ? 1000.0 : 1024.0;
	unsigned u = 0;
	if (v < 0)
		v = 0;
	while (v >= base && u < 4) {
		v /= base;
		u++;
	}
	const char *unit = bits ? bit_units[u] : byte_units[u];
	/* the thresholds sit half a kept digit below the next decade, so a
	 * value that rounds up takes the shorter form: 9.996 prints "10.0" */
	if (v < 9.995)
		snprintf(buf, n, "%4.2f %s", v, unit);
	else if (v < 99.95)
		snprintf(buf, n, "%4.1f %s", v, unit);
	else
		snprintf(buf, n, "%4.0f %s", v, unit);
	return buf;
}
