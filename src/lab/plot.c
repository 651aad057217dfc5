/*
 * lab/plot.c — bounded time series and their SVG plots (lab/plot.h).
 *
 * The SVG is plain text made here: axes with ticks at 1, 2 or 5 times a
 * power of ten, one <path> per series (so a plot of thousands of points is
 * a few elements), coordinates printed to a tenth of a pixel. Everything is
 * a function of the points, so the bytes are the same for the same run.
 */
#include "lab/plot.h"

#include <stdlib.h>
#include <string.h>

int lab_series_init(struct lab_series *s, size_t cap)
{
	memset(s, 0, sizeof(*s));
	if (cap < 2)
		cap = 2;
	s->pt = malloc(cap * sizeof(*s->pt));
	if (!s->pt)
		return -1;
	s->cap = cap;
	s->width = TERN_USEC(1);
	return 0;
}

void lab_series_fini(struct lab_series *s)
{
	free(s->pt);
	memset(s, 0, sizeof(*s));
}

static void merge(struct lab_pt *a, const struct lab_pt *b)
{
	a->last = b->last;
	if (b->lo < a->lo)
		a->lo = b->lo;
	if (b->hi > a->hi)
		a->hi = b->hi;
}

/* Double the bucket width until a quarter of the room is free again. */
static void coarsen(struct lab_series *s)
{
	while (s->n > s->cap * 3 / 4) {
		s->width *= 2;
		size_t out = 0;
		for (size_t i = 0; i < s->n; i++) {
			struct lab_pt p = s->pt[i];
			p.t -= p.t % s->width;
			if (out && s->pt[out - 1].t == p.t)
				merge(&s->pt[out - 1], &p);
			else
				s->pt[out++] = p;
		}
		s->n = out;
	}
}

void lab_series_add_span(struct lab_series *s, tern_time_t t, double v, double lo, double hi)
{
	if (!s->pt)
		return;
	if (t < 0)
		t = 0;
	if (s->n && t < s->pt[s->n - 1].t)
		t = s->pt[s->n - 1].t;
	struct lab_pt p = {.t = t - t % s->width, .first = v, .last = v, .lo = lo, .hi = hi};
	if (p.lo > v)
		p.lo = v;
	if (p.hi < v)
		p.hi = v;
	s->added++;
	if (s->n && s->pt[s->n - 1].t == p.t) {
		merge(&s->pt[s->n - 1], &p);
		return;
	}
	s->pt[s->n++] = p;
	if (s->n == s->cap)
		coarsen(s);
}

void lab_html_escape(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(s[i], f); break;
		}
	}
}

static void esc(FILE *f, const char *s)
{
	if (s)
		lab_html_escape(f, s, strlen(s));
}

/* floor, ceil and |x| for the moderate values of a plot, without libm */
static double flr(double x)
{
	double t = (double)(long long)x;
	return t > x ? t - 1 : t;
}

static double cel(double x)
{
	return -flr(-x);
}

static double absd(double x)
{
	return x < 0 ? -x : x;
}

/* A tick step of 1, 2 or 5 times a power of ten giving about n ticks. */
static double nice_step(double span, int n)
{
	if (!(span > 0) || span > 1e15)
		return 1;
	double raw = span / n, mag = 1;
	while (mag > raw)
		mag /= 10;
	while (mag * 10 <= raw)
		mag *= 10;
	double r = raw / mag;
	return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
}

/* A tick label: as many decimals as the step needs. */
static void tick_label(char *buf, size_t len, double v, double step)
{
	int dec = 0;
	for (double m = step; dec < 6 && absd(m - flr(m + 0.5)) > 1e-9 * (m > 1 ? m : 1); m *= 10)
		dec++;
	if (absd(v) < step * 1e-9)
		v = 0;
	snprintf(buf, len, "%.*f", dec, v);
}

struct frame {
	double L, T, W, H;       /* the data area */
	double t0, t1;           /* seconds */
	double y0, y1;           /* axis units */
	double yscale;
};

static double fx(const struct frame *fr, tern_time_t t)
{
	double x = fr->L + ((double)t / TERN_SEC(1) - fr->t0) / (fr->t1 - fr->t0) * fr->W;
	return x < fr->L ? fr->L : x > fr->L + fr->W ? fr->L + fr->W : x;
}

static double fy(const struct frame *fr, double v)
{
	double y = fr->T + fr->H - (v / fr->yscale - fr->y0) / (fr->y1 - fr->y0) * fr->H;
	if (!(y == y)) /* NaN */
		y = fr->T + fr->H;
	return y < fr->T ? fr->T : y > fr->T + fr->H ? fr->T + fr->H : y;
}

static void draw_series(FILE *f, const struct frame *fr, const struct lab_plot_series *ps,
			double xend)
{
	const struct lab_series *s = ps->s;
	if (!s || !s->n)
		return;
	fprintf(f, "<path class=\"s\" stroke=\"%s\" stroke-width=\"%s\" d=\"", ps->color,
		ps->draw == LAB_DRAW_BARS ? "1" : "1.5");
	for (size_t i = 0; i < s->n; i++) {
		const struct lab_pt *p = &s->pt[i];
		double x = fx(fr, p->t);
		double yf = fy(fr, p->first), yl = fy(fr, p->last), ylo = fy(fr, p->lo),
		       yhi = fy(fr, p->hi);
		switch (ps->draw) {
		case LAB_DRAW_STEP:
			if (i == 0)
				fprintf(f, "M%.1f %.1f", x, yf);
			else
				fprintf(f, "H%.1fV%.1f", x, yf);
			if (yhi != yf || ylo != yf || yl != yf)
				fprintf(f, "V%.1fV%.1fV%.1f", yhi, ylo, yl);
			break;
		case LAB_DRAW_LINE:
			fprintf(f, "%c%.1f %.1f", i == 0 ? 'M' : 'L', x, yf);
			if (yhi != yf || ylo != yf || yl != yf)
				fprintf(f, "V%.1fV%.1fV%.1f", yhi, ylo, yl);
			break;
		case LAB_DRAW_BARS:
			fprintf(f, "M%.1f %.1fV%.1f", x, ylo, yhi < ylo - 1 ? yhi : ylo - 1);
			break;
		case LAB_DRAW_MARKS:
			fprintf(f, "M%.1f %.1fl5 5m0 -5l-5 5", x - 2.5, ylo - 2.5);
			if (yhi < ylo - 1)
				fprintf(f, "M%.1f %.1fV%.1f", x, ylo, yhi);
			break;
		}
	}
	if (ps->draw == LAB_DRAW_STEP)
		fprintf(f, "H%.1f", xend);
	fputs("\"/>\n", f);
}

int lab_plot_svg(FILE *f, const struct lab_plot *p)
{
	unsigned w = p->width ? p->width : 720, h = p->height ? p->height : 300;
	struct frame fr = {.L = 72, .T = 34, .W = w - 72 - 16, .H = h - 34 - 44};
	fr.yscale = p->yscale > 0 ? p->yscale : 1;

	/* the ranges */
	tern_time_t t0 = p->t0, t1 = p->t1;
	double ymin = p->ymin, ymax = p->ymax;
	bool any = false;
	if (t1 <= t0 || ymax <= ymin) {
		tern_time_t lo = 0, hi = 0;
		double vhi = 0;
		for (size_t i = 0; i < p->nseries; i++) {
			const struct lab_series *s = p->series[i].s;
			for (size_t k = 0; s && k < s->n; k++) {
				if (!any || s->pt[k].t < lo)
					lo = s->pt[k].t;
				if (!any || s->pt[k].t + s->width > hi)
					hi = s->pt[k].t + s->width;
				if (!any || s->pt[k].hi > vhi)
					vhi = s->pt[k].hi;
				any = true;
			}
		}
		if (t1 <= t0) {
			t0 = lo;
			t1 = hi;
		}
		if (ymax <= ymin) {
			ymin = 0;
			ymax = vhi;
		}
	}
	if (t1 <= t0)
		t1 = t0 + TERN_MSEC(1);
	fr.t0 = (double)t0 / TERN_SEC(1);
	fr.t1 = (double)t1 / TERN_SEC(1);
	double xstep = nice_step(fr.t1 - fr.t0, 8);
	fr.y0 = ymin / fr.yscale;
	fr.y1 = ymax / fr.yscale;
	if (!(fr.y1 > fr.y0))
		fr.y1 = fr.y0 + 1;
	double ystep = nice_step(fr.y1 - fr.y0, 6);
	fr.y1 = cel(fr.y1 / ystep - 1e-9) * ystep;

	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"%u\" "
		"height=\"%u\" viewBox=\"0 0 %u %u\" role=\"img\" aria-label=\"", w, h, w, h);
	esc(f, p->title);
	fputs("\">\n", f);
	fprintf(f, "<rect class=\"bg\" x=\"0\" y=\"0\" width=\"%u\" height=\"%u\"/>\n", w, h);
	fprintf(f, "<text class=\"title\" x=\"%.1f\" y=\"18\">", fr.L);
	esc(f, p->title);
	fputs("</text>\n", f);

	/* grid and ticks */
	fputs("<g class=\"grid\">\n", f);
	for (double v = cel(fr.t0 / xstep - 1e-9) * xstep; v <= fr.t1 + xstep * 1e-9; v += xstep) {
		double x = fr.L + (v - fr.t0) / (fr.t1 - fr.t0) * fr.W;
		char lab[32];
		tick_label(lab, sizeof(lab), v, xstep);
		fprintf(f, "<path d=\"M%.1f %.1fV%.1f\"/><text class=\"xt\" x=\"%.1f\" y=\"%.1f\">%s"
			"</text>\n", x, fr.T, fr.T + fr.H, x, fr.T + fr.H + 14, lab);
	}
	for (double v = cel(fr.y0 / ystep - 1e-9) * ystep; v <= fr.y1 + ystep * 1e-9; v += ystep) {
		double y = fr.T + fr.H - (v - fr.y0) / (fr.y1 - fr.y0) * fr.H;
		char lab[32];
		tick_label(lab, sizeof(lab), v, ystep);
		fprintf(f, "<path d=\"M%.1f %.1fH%.1f\"/><text class=\"yt\" x=\"%.1f\" y=\"%.1f\">%s"
			"</text>\n", fr.L, y, fr.L + fr.W, fr.L - 4, y + 4, lab);
	}
	fputs("</g>\n", f);
	fprintf(f, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
		fr.L, fr.T, fr.W, fr.H);
	fprintf(f, "<text class=\"xl\" x=\"%.1f\" y=\"%u\">", fr.L + fr.W / 2, h - 6);
	esc(f, p->xlabel);
	fprintf(f, "</text>\n<text class=\"yl\" transform=\"translate(14 %.1f) rotate(-90)\">",
		fr.T + fr.H / 2);
	esc(f, p->ylabel);
	fputs("</text>\n", f);

	double xend = fx(&fr, t1);
	for (size_t i = 0; i < p->nseries; i++)
		draw_series(f, &fr, &p->series[i], xend);

	/* the legend, right-aligned on the title's line */
	double x = w - 16;
	for (size_t i = p->nseries; i-- > 0;) {
		const char *name = p->series[i].name ? p->series[i].name : "";
		x -= 7.0 * (double)strlen(name) + 24;
		fprintf(f, "<rect x=\"%.1f\" y=\"10\" width=\"10\" height=\"10\" fill=\"%s\"/>"
			"<text class=\"lg\" x=\"%.1f\" y=\"19\">", x, p->series[i].color, x + 14);
		esc(f, name);
		fputs("</text>\n", f);
	}
	if (!any && (p->t1 <= p->t0 || p->ymax <= p->ymin)) {
		fprintf(f, "<text class=\"lg\" x=\"%.1f\" y=\"%.1f\">no data</text>\n",
			fr.L + fr.W / 2 - 24, fr.T + fr.H / 2);
	}
	fputs("</svg>\n", f);
	return ferror(f) ? -1 : 0;
}
