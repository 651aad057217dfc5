/*
 * lab/topo.c — reading a lab file (YAML, through libyaml's document API)
 * into the plain model of lab/topo.h, then checking that the model makes
 * sense as a network: names resolve, addresses sit inside their network's
 * prefix and are unique, gateways and routes lead somewhere reachable.
 *
 * Every mistake is recorded with the position of the YAML node it is
 * about and reading goes on, so one `tern lab check` lists them all. A key
 * the format does not know gets the closest known key as a suggestion
 * (edit distance), since a typo is the usual reason.
 */
#include "lab/topo.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "tern/err.h"
#include "tern/stack.h"

#define LAB_MAX_ERRORS 50
#define LAB_MAX_FILE (4u << 20)

/* ---- errors ----------------------------------------------------------------- */

void lab_topo_error(struct lab_topo *t, struct lab_pos pos, const char *fmt, ...)
{
	if (t->nerrs >= LAB_MAX_ERRORS)
		return;
	struct lab_error *e = realloc(t->errs, (t->nerrs + 1) * sizeof(*e));
	if (!e)
		return;
	t->errs = e;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	e[t->nerrs].pos = pos;
	e[t->nerrs].msg = strdup(buf);
	if (e[t->nerrs].msg)
		t->nerrs++;
}

static int cmp_err(const void *a, const void *b)
{
	const struct lab_error *x = a, *y = b;
	if (x->pos.line != y->pos.line)
		return x->pos.line < y->pos.line ? -1 : 1;
	if (x->pos.col != y->pos.col)
		return x->pos.col < y->pos.col ? -1 : 1;
	return 0;
}

void lab_topo_print_errors(const struct lab_topo *t, FILE *f)
{
	if (t->nerrs == 0)
		return;
	struct lab_error *sorted = malloc(t->nerrs * sizeof(*sorted));
	if (!sorted)
		return;
	memcpy(sorted, t->errs, t->nerrs * sizeof(*sorted));
	/* stable enough: equal positions keep discovery order in glibc's merge sort */
	qsort(sorted, t->nerrs, sizeof(*sorted), cmp_err);
	for (size_t i = 0; i < t->nerrs; i++)
		if (sorted[i].pos.line)
			fprintf(f, "%s:%u:%u: %s\n", t->file, sorted[i].pos.line,
				sorted[i].pos.col, sorted[i].msg);
		else /* about the whole file */
			fprintf(f, "%s: %s\n", t->file, sorted[i].msg);
	if (t->nerrs >= LAB_MAX_ERRORS)
		fprintf(f, "%s: too many errors, stopped after %d\n", t->file, LAB_MAX_ERRORS);
	free(sorted);
}

/* ---- values ----------------------------------------------------------------- */

/* A decimal number and what follows it. */
static int number_unit(const char *s, double *v, const char **unit)
{
	char *end;
	if (!*s || !(s[0] == '.' || (s[0] >= '0' && s[0] <= '9')))
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || !isfinite(*v))
		return -1;
	while (*end == ' ')
		end++;
	*unit = end;
	return 0;
}

struct unit {
	const char *u;
	double mul;
};
#define NUNITS(a) (sizeof(a) / sizeof((a)[0]))

/* s as a number followed by one of units: the number times its unit's
 * multiplier. */
static int scaled(const char *s, const struct unit *units, size_t n, double *out)
{
	double v;
	const char *unit;
	if (number_unit(s, &v, &unit) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(unit, units[i].u) == 0) {
			*out = v * units[i].mul;
			return 0;
		}
	return -1;
}

int lab_parse_rate(const char *s, uint64_t *bps, char *why, size_t len)
{
	static const struct unit units[] = {
		{"bit", 1}, {"kbit", 1e3}, {"Kbit", 1e3}, {"Mbit", 1e6}, {"Gbit", 1e9},
		{"bps", 1}, {"kbps", 1e3}, {"Mbps", 1e6}, {"Gbps", 1e9},
	};
	double r;
	if (scaled(s, units, NUNITS(units), &r) < 0) {
		snprintf(why, len, "bad bandwidth '%s': expected a number and a unit, such as "
			 "10Mbit (bit, kbit, Mbit, Gbit)", s);
		return -1;
	}
	if (r < 1 || r > 1e12) {
		snprintf(why, len, "bandwidth '%s' is out of range (1bit to 1000Gbit)", s);
		return -1;
	}
	*bps = (uint64_t)(r + 0.5);
	return 0;
}

int lab_parse_duration(const char *s, tern_time_t *t, char *why, size_t len)
{
	static const struct unit units[] = {
		{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"min", 60e9},
	};
	double v, ns;
	const char *unit;
	if (number_unit(s, &v, &unit) == 0 && v == 0 && !*unit) {
		*t = 0;
		return 0;
	}
	if (scaled(s, units, NUNITS(units), &ns) < 0) {
		snprintf(why, len, "bad time '%s': expected a number and a unit, such as 5ms "
			 "(ns, us, ms, s, min)", s);
		return -1;
	}
	if (ns > 86400e9 * 365) {
		snprintf(why, len, "time '%s' is too long (at most a year)", s);
		return -1;
	}
	*t = (tern_time_t)(ns + 0.5);
	return 0;
}

int lab_parse_probability(const char *s, double *p, char *why, size_t len)
{
	double v;
	const char *unit;
	if (number_unit(s, &v, &unit) == 0) {
		if (strcmp(unit, "%") == 0)
			v /= 100;
		else if (*unit)
			goto bad;
		if (v > 1) {
			snprintf(why, len, "probability '%s' is above 100%%", s);
			return -1;
		}
		*p = v;
		return 0;
	}
bad:
	snprintf(why, len, "bad probability '%s': expected a percentage such as 1%% or a "
		 "fraction such as 0.01", s);
	return -1;
}

int lab_parse_bytes(const char *s, uint32_t *bytes, char *why, size_t len)
{
	static const struct unit units[] = {
		{"", 1}, {"B", 1}, {"KB", 1e3}, {"kB", 1e3}, {"KiB", 1024}, {"MB", 1e6},
		{"MiB", 1048576},
	};
	double b;
	if (scaled(s, units, NUNITS(units), &b) < 0) {
		snprintf(why, len, "bad size '%s': expected bytes, such as 64KB (B, KB, KiB, MB, "
			 "MiB)", s);
		return -1;
	}
	if (b < 1500 || b > 1e9) {
		snprintf(why, len, "queue '%s' is out of range (1500 bytes to 1GB)", s);
		return -1;
	}
	*bytes = (uint32_t)b;
	return 0;
}

/* ---- YAML helpers ------------------------------------------------------------ */

struct reader {
	struct lab_topo *t;
	yaml_document_t doc;
};

static struct lab_pos pos_of(const yaml_node_t *n)
{
	return (struct lab_pos){(unsigned)n->start_mark.line + 1,
				(unsigned)n->start_mark.column + 1};
}

static yaml_node_t *node(struct reader *r, int id)
{
	return yaml_document_get_node(&r->doc, id);
}

/* The text of a scalar node, or NULL after reporting what it is instead. */
static const char *scalar(struct reader *r, const yaml_node_t *n, const char *what)
{
	if (n->type == YAML_SCALAR_NODE)
		return (const char *)n->data.scalar.value;
	lab_topo_error(r->t, pos_of(n), "%s must be a single value, not a %s", what,
		       n->type == YAML_MAPPING_NODE ? "mapping" : "list");
	return NULL;
}

static bool is_type(struct reader *r, const yaml_node_t *n, yaml_node_type_t type,
		    const char *what)
{
	if (n->type == type)
		return true;
	static const char *names[] = {"nothing", "single value", "list", "mapping"};
	lab_topo_error(r->t, pos_of(n), "%s must be a %s, not a %s", what, names[type],
		       names[n->type]);
	return false;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return 99;
	size_t d[41][41];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
			d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
	return d[la][lb];
}

/* The known key closest to `key`, if close enough to be a typo. */
static const char *suggest(const char *key, const char *const *known)
{
	const char *best = NULL;
	size_t bestd = 99;
	for (size_t i = 0; known[i]; i++) {
		size_t dist = edit_distance(key, known[i]);
		if (dist < bestd) {
			bestd = dist;
			best = known[i];
		}
	}
	size_t klen = strlen(key);
	return best && bestd <= (klen <= 4 ? 1u : 2u) ? best : NULL;
}

/* Walk a mapping: every key must be a scalar from `known` (else an
 * error, with a suggestion) and appear once; visit(key, value) for each
 * good one. */
typedef void (*visit_fn)(struct reader *r, void *ctx, const char *key, yaml_node_t *k,
			 yaml_node_t *v);
static void each_pair(struct reader *r, yaml_node_t *map, const char *what,
		      const char *const *known, visit_fn visit, void *ctx)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(r, p->key), *v = node(r, p->value);
		if (!k || !v)
			continue;
		if (k->type != YAML_SCALAR_NODE) {
			lab_topo_error(r->t, pos_of(k), "a key in %s must be a name", what);
			continue;
		}
		const char *key = (const char *)k->data.scalar.value;
		bool dup = false;
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = node(r, q->key);
			if (k2 && k2->type == YAML_SCALAR_NODE &&
			    strcmp((const char *)k2->data.scalar.value, key) == 0) {
				lab_topo_error(r->t, pos_of(k), "'%s' appears twice in %s (first at "
					       "line %u)", key, what, pos_of(k2).line);
				dup = true;
				break;
			}
		}
		if (dup)
			continue;
		if (known) {
			bool ok = false;
			for (size_t i = 0; known[i]; i++)
				ok = ok || strcmp(known[i], key) == 0;
			if (!ok) {
				const char *s = suggest(key, known);
				if (s)
					lab_topo_error(r->t, pos_of(k), "unknown key '%s' in %s; did "
						       "you mean '%s'?", key, what, s);
				else
					lab_topo_error(r->t, pos_of(k), "unknown key '%s' in %s", key,
						       what);
				continue;
			}
		}
		visit(r, ctx, key, k, v);
	}
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		abort(); /* a lab file is small; out of memory here is not recoverable */
	return d;
}

static void *grow(void *arr, size_t n, size_t elem)
{
	void *p = realloc(arr, (n + 1) * elem);
	if (!p)
		abort();
	memset((char *)p + n * elem, 0, elem);
	return p;
}

/* A name for a host, router or network: letters, digits, '-', '_' (it
 * becomes part of capture file names). */
static bool good_name(const char *s)
{
	if (!*s || strlen(s) > 32)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	return true;
}

/* ---- link properties ---------------------------------------------------------- */

static const char *const prop_keys[] = {"bandwidth", "delay", "jitter", "loss", "duplicate",
					"reorder", "corrupt", "mtu", "queue", NULL};

/* loss: {model: gilbert-elliott, p: 2%, r: 25%, loss-bad: 100%, loss-good: 0%} */
static const char *const burst_keys[] = {"model", "p", "r", "loss-bad", "loss-good", NULL};

struct burst_ctx {
	struct tern_burst_loss b;
	bool model, has_p, has_r, bad;
};

static void burst_pair(struct reader *r, void *ctx, const char *key, yaml_node_t *k,
		       yaml_node_t *v)
{
	struct burst_ctx *c = ctx;
	char why[256];
	const char *s = scalar(r, v, key);
	if (!s) {
		c->bad = true;
		return;
	}
	if (strcmp(key, "model") == 0) {
		c->model = true;
		if (strcmp(s, "gilbert-elliott") != 0) {
			lab_topo_error(r->t, pos_of(v), "unknown loss model '%s': expected "
				       "gilbert-elliott", s);
			c->bad = true;
		}
		return;
	}
	double *dst = strcmp(key, "p") == 0 ? &c->b.p : strcmp(key, "r") == 0 ? &c->b.r
		      : strcmp(key, "loss-bad") == 0 ? &c->b.loss_bad : &c->b.loss_good;
	if (lab_parse_probability(s, dst, why, sizeof(why)) < 0) {
		lab_topo_error(r->t, pos_of(v), "%s", why);
		c->bad = true;
		return;
	}
	if ((dst == &c->b.p || dst == &c->b.r) && *dst == 0) {
		lab_topo_error(r->t, pos_of(v), "%s must be above 0%%: %s", key,
			       dst == &c->b.p ? "else no burst ever starts"
					      : "else the first burst never ends");
		c->bad = true;
	}
	c->has_p = c->has_p || dst == &c->b.p;
	c->has_r = c->has_r || dst == &c->b.r;
}

static int read_burst(struct reader *r, yaml_node_t *v, struct tern_burst_loss *out)
{
	struct burst_ctx c = {.b = {.loss_bad = 1.0}};
	size_t errs = r->t->nerrs;
	each_pair(r, v, "a loss model", burst_keys, burst_pair, &c);
	if (r->t->nerrs > errs || c.bad)
		return -1;
	if (!c.model || !c.has_p || !c.has_r) {
		lab_topo_error(r->t, pos_of(v), "bursty loss needs model: gilbert-elliott, p (good "
			       "to bad, per frame) and r (bad to good)");
		return -1;
	}
	*out = c.b;
	return 0;
}

/* queue: {discipline: red, limit: 256KiB, min: 30KiB, max: 90KiB,
 * probability: 10%, weight: 0.2%, ecn: true} or {discipline: droptail,
 * limit: 64KB}. */
static const char *const queue_keys[] = {"discipline", "limit", "min", "max", "probability",
					 "weight", "ecn", NULL};

struct queue_ctx {
	struct lab_props q;
	bool has_min, has_max, has_p, has_disc, has_red_key, bad;
	struct lab_pos red_key_pos;
};

static void queue_pair(struct reader *r, void *ctx, const char *key, yaml_node_t *k,
		       yaml_node_t *v)
{
	struct queue_ctx *c = ctx;
	char why[256];
	const char *s = scalar(r, v, key);
	int rc = 0;
	if (!s) {
		c->bad = true;
		return;
	}
	if (strcmp(key, "discipline") == 0) {
		c->has_disc = true;
		if (strcmp(s, "red") == 0)
			c->q.qdisc = TERN_QDISC_RED;
		else if (strcmp(s, "droptail") == 0 || strcmp(s, "drop-tail") == 0)
			c->q.qdisc = TERN_QDISC_DROPTAIL;
		else {
			lab_topo_error(r->t, pos_of(v), "unknown queue discipline '%s': expected "
				       "droptail or red", s);
			c->bad = true;
		}
		return;
	}
	if (strcmp(key, "limit") == 0) {
		rc = lab_parse_bytes(s, &c->q.queue_bytes, why, sizeof(why));
	} else {
		if (!c->has_red_key)
			c->red_key_pos = pos_of(k);
		c->has_red_key = true;
		if (strcmp(key, "min") == 0) {
			rc = lab_parse_bytes(s, &c->q.red.min_bytes, why, sizeof(why));
			c->has_min = true;
		} else if (strcmp(key, "max") == 0) {
			rc = lab_parse_bytes(s, &c->q.red.max_bytes, why, sizeof(why));
			c->has_max = true;
		} else if (strcmp(key, "probability") == 0) {
			rc = lab_parse_probability(s, &c->q.red.max_p, why, sizeof(why));
			if (rc == 0 && c->q.red.max_p == 0) {
				snprintf(why, sizeof(why), "probability must be above 0%%");
				rc = -1;
			}
			c->has_p = true;
		} else if (strcmp(key, "weight") == 0) {
			rc = lab_parse_probability(s, &c->q.red.weight, why, sizeof(why));
			if (rc == 0 && c->q.red.weight == 0) {
				snprintf(why, sizeof(why), "weight must be above 0%%");
				rc = -1;
			}
		} else if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0) {
			c->q.red.ecn = true;
		} else if (strcmp(s, "false") != 0 && strcmp(s, "no") != 0) {
			snprintf(why, sizeof(why), "ecn must be true or false, not '%s'", s);
			rc = -1;
		}
	}
	if (rc < 0) {
		lab_topo_error(r->t, pos_of(v), "%s", why);
		c->bad = true;
	}
}

static void read_queue(struct reader *r, yaml_node_t *v, struct lab_props *p)
{
	struct queue_ctx c = {0};
	size_t errs = r->t->nerrs;
	each_pair(r, v, "a queue", queue_keys, queue_pair, &c);
	if (r->t->nerrs > errs || c.bad)
		return;
	if (!c.has_disc) {
		lab_topo_error(r->t, pos_of(v), "a queue needs a discipline: droptail or red");
		return;
	}
	if (c.q.qdisc == TERN_QDISC_DROPTAIL && c.has_red_key) {
		lab_topo_error(r->t, c.red_key_pos, "min, max, probability, weight and ecn are "
			       "RED's: a droptail queue only has a limit");
		return;
	}
	uint32_t limit = c.q.queue_bytes ? c.q.queue_bytes : 256u * 1024;
	if (c.q.qdisc == TERN_QDISC_RED) {
		if (!c.has_min || !c.has_max || !c.has_p) {
			lab_topo_error(r->t, pos_of(v), "a red queue needs min and max (average "
				       "queue thresholds) and probability (at max)");
			return;
		}
		if (c.q.red.min_bytes >= c.q.red.max_bytes || c.q.red.max_bytes > limit) {
			lab_topo_error(r->t, pos_of(v), "a red queue needs min < max <= limit (%u, "
				       "%u and %u bytes here)", c.q.red.min_bytes,
				       c.q.red.max_bytes, limit);
			return;
		}
	}
	p->queue_bytes = c.q.queue_bytes;
	p->qdisc = c.q.qdisc;
	p->red = c.q.red;
	p->qdisc_pos = pos_of(v);
	p->given |= LAB_P_QUEUE;
}

/* One link property; returns true if key was one. */
static bool take_prop(struct reader *r, struct lab_props *p, const char *key, yaml_node_t *v)
{
	char why[256];
	const char *s;
	int rc = 0;
	if (strcmp(key, "loss") == 0 && v->type == YAML_MAPPING_NODE) {
		if (read_burst(r, v, &p->burst) == 0) {
			p->loss = 0;
			p->given |= LAB_P_LOSS;
		}
		return true;
	}
	if (strcmp(key, "queue") == 0 && v->type == YAML_MAPPING_NODE) {
		read_queue(r, v, p);
		return true;
	}
	size_t i;
	for (i = 0; prop_keys[i] && strcmp(prop_keys[i], key) != 0; i++)
		;
	if (!prop_keys[i])
		return false;
	if (!(s = scalar(r, v, key)))
		return true;
	switch (i) {
	case 0: rc = lab_parse_rate(s, &p->rate_bps, why, sizeof(why)); break;
	case 1: rc = lab_parse_duration(s, &p->delay, why, sizeof(why)); break;
	case 2: rc = lab_parse_duration(s, &p->jitter, why, sizeof(why)); break;
	case 3:
		rc = lab_parse_probability(s, &p->loss, why, sizeof(why));
		memset(&p->burst, 0, sizeof(p->burst));
		break;
	case 4: rc = lab_parse_probability(s, &p->duplicate, why, sizeof(why)); break;
	case 5: rc = lab_parse_probability(s, &p->reorder, why, sizeof(why)); break;
	case 6: rc = lab_parse_probability(s, &p->corrupt, why, sizeof(why)); break;
	case 7: {
		char *end;
		errno = 0;
		unsigned long m = strtoul(s, &end, 10);
		if (errno || *end || end == s || m < 576 || m > 9000) {
			/* 576: every IPv4 host must take datagrams this big (RFC 791 §3.1),
			 * and a smaller MTU would starve ICMP's quoted headers */
			snprintf(why, sizeof(why), "bad mtu '%s': expected bytes from 576 to 9000",
				 s);
			rc = -1;
		} else {
			p->mtu = (uint32_t)m;
		}
		break;
	}
	case 8: rc = lab_parse_bytes(s, &p->queue_bytes, why, sizeof(why)); break;
	}
	if (rc < 0)
		lab_topo_error(r->t, pos_of(v), "%s", why);
	else
		p->given |= 1u << i;
	return true;
}

/* ---- networks ------------------------------------------------------------------ */

static const char *const net_keys[] = {"kind", "prefix", "bandwidth", "delay", "jitter", "loss",
				       "duplicate", "reorder", "corrupt", "mtu", "queue", "tap",
				       NULL};

/* A Linux interface name: 1 to 15 characters (IFNAMSIZ), none of them
 * '/', ':' or white space, and not "." or "..", as the kernel's
 * dev_valid_name() wants. */
static bool good_ifname(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (const char *p = s; *p; p++)
		if (*p == '/' || *p == ':' || *p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static void net_pair(struct reader *r, void *ctx, const char *key, yaml_node_t *k,
		     yaml_node_t *v)
{
	struct lab_net *n = ctx;
	const char *s;
	if (take_prop(r, &n->props, key, v))
		return;
	if (!(s = scalar(r, v, key)))
		return;
	if (strcmp(key, "kind") == 0) {
		if (strcmp(s, "switch") == 0)
			n->kind = LAB_NET_SWITCH;
		else if (strcmp(s, "link") == 0)
			n->kind = LAB_NET_LINK;
		else
			lab_topo_error(r->t, pos_of(v), "bad kind '%s': expected switch (an "
				       "Ethernet segment) or link (point-to-point)", s);
	} else if (strcmp(key, "tap") == 0) {
		n->tap_pos = pos_of(v);
		if (!good_ifname(s))
			lab_topo_error(r->t, pos_of(v), "bad tap '%s': expected a Linux interface "
				       "name (1 to 15 characters, no '/', ':' or spaces)", s);
		else
			n->tap = xstrdup(s);
	} else if (strcmp(key, "prefix") == 0) {
		n->prefix_pos = pos_of(v);
		if (tern_ip4_parse_prefix(s, &n->prefix, &n->plen) < 0)
			lab_topo_error(r->t, pos_of(v), "bad prefix '%s': expected ADDRESS/LENGTH "
				       "such as 10.0.1.0/24", s);
		else if (n->prefix & ~tern_ip4_mask(n->plen))
			lab_topo_error(r->t, pos_of(v), "prefix '%s' has host bits set", s);
		else
			n->has_prefix = true;
	}
}

static void read_networks(struct reader *r, yaml_node_t *v)
{
	if (!is_type(r, v, YAML_MAPPING_NODE, "networks"))
		return;
	struct lab_topo *t = r->t;
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(r, p->key), *nv = node(r, p->value);
		const char *name;
		if (!k || !nv || !(name = scalar(r, k, "a network's name")))
			continue;
		if (!good_name(name)) {
			lab_topo_error(t, pos_of(k), "bad network name '%s': use letters, digits, "
				       "'-' and '_' (at most 32)", name);
			continue;
		}
		if (lab_topo_find_net(t, name) >= 0) {
			lab_topo_error(t, pos_of(k), "network '%s' is defined twice", name);
			continue;
		}
		t->nets = grow(t->nets, t->nnets, sizeof(*t->nets));
		struct lab_net *n = &t->nets[t->nnets++];
		n->name = xstrdup(name);
		n->pos = pos_of(k);
		if (nv->type == YAML_SCALAR_NODE && !*nv->data.scalar.value)
			continue; /* "lan:" with nothing: a switch with defaults */
		if (is_type(r, nv, YAML_MAPPING_NODE, "a network"))
			each_pair(r, nv, "a network", net_keys, net_pair, n);
		/* An infinitely fast link never queues: RED would never act. */
		if (n->props.qdisc == TERN_QDISC_RED && !n->props.rate_bps)
			lab_topo_error(t, n->props.qdisc_pos, "a red queue needs the network's "
				       "bandwidth (an infinitely fast link never queues)");
	}
}

/* ---- hosts and routers ------------------------------------------------------------ */

static const char *const iface_keys[] = {"network", "address", NULL};
static const char *const route_keys[] = {"to", "via", NULL};
static const char *const node_keys[] = {"interfaces", "gateway", "routes", "sysctl",
					"icmp_frag_needed", NULL};

static void iface_pair(struct reader *r, void *ctx, const char *key, yaml_node_t *k,
		       yaml_node_t *v)
{
	struct lab_iface *i = ctx;
	const char *s = scalar(r, v, key);
	if (!s)
		return;
	if (strcmp(key, "network") == 0) {
		i->net_name = xstrdup(s);
		i->net_pos = pos_of(v);
	} else {
		i->addr_pos = pos_of(v);
		if (!strchr(s, '/'))
			lab_topo_error(r->t, pos_of(v), "address '%s' needs a prefix length, such "
				       "as %s/24", s, s);
		else if (tern_ip4_parse_prefix(s, &i->addr, &i->plen) < 0 || i->plen > 32)
			lab_topo_error(r->t, pos_of(v), "bad address '%s': expected ADDRESS/LENGTH "
				       "such as 10.0.1.2/24", s);
		else
			i->has_addr = true;
	}
}

static void route_pair(struct reader *r, void *ctx, const char *key, yaml_node_t *k,
		       yaml_node_t *v)
{
	struct lab_route *rt = ctx;
	const char *s = scalar(r, v, key);
	if (!s)
		return;
	if (strcmp(key, "to") == 0) {
		rt->to_pos = pos_of(v);
		if (strcmp(s, "default") == 0) {
			rt->to = 0;
			rt->plen = 0;
		} else if (tern_ip4_parse_prefix(s, &rt->to, &rt->plen) < 0) {
			lab_topo_error(r->t, pos_of(v), "bad destination '%s': expected "
				       "ADDRESS/LENGTH such as 10.0.2.0/24, or default", s);
			rt->to_pos.line = 0;
		} else if (rt->to & ~tern_ip4_mask(rt->plen)) {
			lab_topo_error(r->t, pos_of(v), "destination '%s' has host bits set", s);
			rt->to_pos.line = 0;
		}
	} else {
		rt->via_pos = pos_of(v);
		if (tern_ip4_parse(s, &rt->via) < 0) {
			lab_topo_error(r->t, pos_of(v), "bad gateway '%s': expected an IPv4 "
				       "address", s);
			rt->via_pos.line = 0;
		}
	}
}

/* sysctl: {NAME: VALUE, ...}: each set on a scratch stack now, so a wrong
 * name or value is the file's mistake, at its place. */
static void read_sysctls(struct reader *r, struct lab_node *n, yaml_node_t *v)
{
	if (!is_type(r, v, YAML_MAPPING_NODE, "sysctl"))
		return;
	struct tern_stack_config cfg;
	tern_stack_config_init(&cfg);
	struct tern_stack *s = tern_stack_create(&cfg);
	if (!s)
		return;
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(r, p->key), *val = node(r, p->value);
		const char *name, *value;
		if (!k || !val || !(name = scalar(r, k, "a tunable's name")) ||
		    !(value = scalar(r, val, name)))
			continue;
		int rc = tern_sysctl_set(s, name, value);
		if (rc == TERN_ENOENT) {
			const char *names[128];
			size_t nn = 0;
			for (const char *x; nn < 127 && (x = tern_sysctl_name((unsigned)nn));)
				names[nn++] = x;
			names[nn] = NULL;
			const char *hint = suggest(name, names);
			if (hint)
				lab_topo_error(r->t, pos_of(k), "unknown tunable '%s'; did you mean "
					       "'%s'?", name, hint);
			else
				lab_topo_error(r->t, pos_of(k), "unknown tunable '%s' (tern has "
					       "those README.md lists)", name);
			continue;
		}
		if (rc < 0) {
			lab_topo_error(r->t, pos_of(val), "bad value '%s' for %s", value, name);
			continue;
		}
		n->sysctls = grow(n->sysctls, n->nsysctls, sizeof(*n->sysctls));
		n->sysctls[n->nsysctls++] = (struct lab_sysctl){xstrdup(name), xstrdup(value)};
	}
	tern_stack_destroy(s);
}

struct node_ctx {
	struct lab_node *n;
	yaml_node_t *gw, *routes;
};

static void node_pair(struct reader *r, void *ctx, const char *key, yaml_node_t *k,
		      yaml_node_t *v)
{
	struct node_ctx *c = ctx;
	struct lab_node *n = c->n;
	if (strcmp(key, "interfaces") == 0) {
		if (!is_type(r, v, YAML_SEQUENCE_NODE, "interfaces"))
			return;
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			yaml_node_t *in = node(r, *it);
			if (!in || !is_type(r, in, YAML_MAPPING_NODE, "an interface"))
				continue;
			n->ifaces = grow(n->ifaces, n->nifaces, sizeof(*n->ifaces));
			struct lab_iface *i = &n->ifaces[n->nifaces++];
			i->pos = pos_of(in);
			size_t errs = r->t->nerrs;
			each_pair(r, in, "an interface", iface_keys, iface_pair, i);
			if (!i->net_name)
				lab_topo_error(r->t, i->pos, "interface without a network");
			if (r->t->nerrs > errs)
				n->bad = true; /* its routes would only echo the mistake */
		}
	} else if (strcmp(key, "gateway") == 0) {
		c->gw = v;
	} else if (strcmp(key, "sysctl") == 0) {
		read_sysctls(r, n, v);
	} else if (strcmp(key, "icmp_frag_needed") == 0) {
		/* A router that drops a DF datagram too big for the next hop
		 * without a word: an ICMP black hole (RFC 2923 §2.1). */
		const char *s = scalar(r, v, key);
		if (!s)
			return;
		if (!n->router)
			lab_topo_error(r->t, pos_of(k), "icmp_frag_needed is a router's setting "
				       "(hosts forward nothing)");
		else if (strcmp(s, "false") == 0)
			n->no_frag_needed = true;
		else if (strcmp(s, "true") != 0)
			lab_topo_error(r->t, pos_of(v), "bad icmp_frag_needed '%s': expected true "
				       "or false", s);
	} else {
		c->routes = v;
	}
}

static void add_route(struct reader *r, struct lab_node *n, yaml_node_t *rn)
{
	n->routes = grow(n->routes, n->nroutes, sizeof(*n->routes));
	struct lab_route *rt = &n->routes[n->nroutes++];
	rt->pos = pos_of(rn);
	rt->to_pos = rt->via_pos = (struct lab_pos){0, 0};
	each_pair(r, rn, "a route", route_keys, route_pair, rt);
	bool has_to = false, has_via = false;
	for (yaml_node_pair_t *p = rn->data.mapping.pairs.start; p < rn->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(r, p->key);
		if (k && k->type == YAML_SCALAR_NODE) {
			has_to = has_to || strcmp((char *)k->data.scalar.value, "to") == 0;
			has_via = has_via || strcmp((char *)k->data.scalar.value, "via") == 0;
		}
	}
	if (!has_to || !has_via) {
		lab_topo_error(r->t, rt->pos, "a route needs both 'to' and 'via'");
		n->nroutes--;
	} else if (!rt->to_pos.line || !rt->via_pos.line) {
		n->nroutes--; /* already reported */
	}
}

static void read_nodes(struct reader *r, yaml_node_t *v, bool router)
{
	const char *what = router ? "routers" : "hosts";
	if (v->type == YAML_SCALAR_NODE && !*v->data.scalar.value)
		return;
	if (!is_type(r, v, YAML_MAPPING_NODE, what))
		return;
	struct lab_topo *t = r->t;
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(r, p->key), *nv = node(r, p->value);
		const char *name;
		if (!k || !nv || !(name = scalar(r, k, "a name")))
			continue;
		if (!good_name(name)) {
			lab_topo_error(t, pos_of(k), "bad name '%s': use letters, digits, '-' and "
				       "'_' (at most 32)", name);
			continue;
		}
		if (strcmp(name, "lab") == 0) {
			lab_topo_error(t, pos_of(k), "'lab' is reserved (the transcript's own "
				       "lines); choose another name");
			continue;
		}
		long prev = lab_topo_find_node(t, name);
		if (prev >= 0) {
			lab_topo_error(t, pos_of(k), "'%s' is defined twice (first at line %u)", name,
				       t->nodes[prev].pos.line);
			continue;
		}
		t->nodes = grow(t->nodes, t->nnodes, sizeof(*t->nodes));
		struct lab_node *n = &t->nodes[t->nnodes++];
		n->name = xstrdup(name);
		n->pos = pos_of(k);
		n->router = router;
		if (!is_type(r, nv, YAML_MAPPING_NODE, router ? "a router" : "a host"))
			continue;
		struct node_ctx c = {.n = n};
		each_pair(r, nv, router ? "a router" : "a host", node_keys, node_pair, &c);
		if (c.routes && is_type(r, c.routes, YAML_SEQUENCE_NODE, "routes"))
			for (yaml_node_item_t *it = c.routes->data.sequence.items.start;
			     it < c.routes->data.sequence.items.top; it++) {
				yaml_node_t *rn = node(r, *it);
				if (rn && is_type(r, rn, YAML_MAPPING_NODE, "a route"))
					add_route(r, n, rn);
			}
		const char *gs;
		if (c.gw && (gs = scalar(r, c.gw, "gateway"))) {
			tern_ip4_t gw;
			if (tern_ip4_parse(gs, &gw) < 0) {
				lab_topo_error(t, pos_of(c.gw), "bad gateway '%s': expected an IPv4 "
					       "address", gs);
			} else {
				n->routes = grow(n->routes, n->nroutes, sizeof(*n->routes));
				struct lab_route *rt = &n->routes[n->nroutes++];
				rt->pos = rt->to_pos = rt->via_pos = pos_of(c.gw);
				rt->via = gw;
			}
		}
	}
}

/* ---- the scenario ------------------------------------------------------------------ */

static const char *const step_keys[] = {"at", "on", "run", "input", "background", "wait", "cut",
					"restore", "set", "bandwidth", "delay", "jitter", "loss",
					"duplicate", "reorder", "corrupt", "mtu", "queue", NULL};

struct step_ctx {
	struct lab_step *s;
	unsigned actions;    /* run, wait, cut, restore, set seen */
	bool has_props;
	struct lab_pos props_pos;
	bool has_on, has_bg, has_input_key;
	struct lab_pos bg_pos, input_pos, on_pos;
};

static void step_pair(struct reader *r, void *ctx, const char *key, yaml_node_t *k,
		      yaml_node_t *v)
{
	struct step_ctx *c = ctx;
	struct lab_step *s = c->s;
	char why[256];
	if (strcmp(key, "mtu") == 0) {
		lab_topo_error(r->t, pos_of(k), "a link's mtu cannot change during a run");
		return;
	}
	if (strcmp(key, "queue") == 0 && v->type == YAML_MAPPING_NODE) {
		lab_topo_error(r->t, pos_of(v), "a queue's discipline is fixed when the lab starts "
			       "(set: may change its size: queue: 64KB)");
		return;
	}
	if (take_prop(r, &s->props, key, v)) {
		if (!c->has_props)
			c->props_pos = pos_of(k);
		c->has_props = true;
		return;
	}
	const char *val = scalar(r, v, key);
	if (!val)
		return;
	if (strcmp(key, "at") == 0) {
		s->at_pos = pos_of(v);
		if (lab_parse_duration(val, &s->at, why, sizeof(why)) < 0)
			lab_topo_error(r->t, pos_of(v), "%s", why);
		else
			s->has_at = true;
	} else if (strcmp(key, "on") == 0) {
		s->node_name = xstrdup(val);
		s->node_pos = pos_of(v);
		c->has_on = true;
	} else if (strcmp(key, "run") == 0) {
		c->actions++;
		s->kind = LAB_STEP_RUN;
		s->cmd_pos = pos_of(v);
		size_t n = strlen(val);
		while (n && (val[n - 1] == ' ' || val[n - 1] == '\n'))
			n--;
		if (n && val[n - 1] == '&') {
			s->background = true;
			n--;
			while (n && val[n - 1] == ' ')
				n--;
		}
		free(s->cmd);
		s->cmd = xstrdup(val);
		s->cmd[n] = '\0';
	} else if (strcmp(key, "input") == 0) {
		free(s->input);
		s->input_len = v->data.scalar.length;
		s->input = malloc(s->input_len + 1);
		if (!s->input)
			abort();
		memcpy(s->input, val, s->input_len + 1);
		s->has_input = true;
		c->has_input_key = true;
		c->input_pos = pos_of(k);
	} else if (strcmp(key, "background") == 0) {
		c->has_bg = true;
		c->bg_pos = pos_of(k);
		if (strcmp(val, "true") == 0 || strcmp(val, "yes") == 0)
			s->background = true;
		else if (strcmp(val, "false") != 0 && strcmp(val, "no") != 0)
			lab_topo_error(r->t, pos_of(v), "background must be true or false, not '%s'",
				       val);
	} else if (strcmp(key, "wait") == 0) {
		c->actions++;
		s->kind = LAB_STEP_WAIT;
		if (lab_parse_duration(val, &s->wait, why, sizeof(why)) < 0)
			lab_topo_error(r->t, pos_of(v), "%s", why);
	} else {
		c->actions++;
		s->kind = strcmp(key, "cut") == 0       ? LAB_STEP_CUT
			  : strcmp(key, "restore") == 0 ? LAB_STEP_RESTORE
							: LAB_STEP_SET;
		free(s->net_name); /* (cut and restore in one step: reported later) */
		s->net_name = xstrdup(val);
		s->net_pos = pos_of(v);
	}
}

static void read_scenario(struct reader *r, yaml_node_t *v)
{
	if (v->type == YAML_SCALAR_NODE && !*v->data.scalar.value)
		return;
	if (!is_type(r, v, YAML_SEQUENCE_NODE, "scenario"))
		return;
	struct lab_topo *t = r->t;
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *sn = node(r, *it);
		if (!sn || !is_type(r, sn, YAML_MAPPING_NODE, "a step"))
			continue;
		t->steps = grow(t->steps, t->nsteps, sizeof(*t->steps));
		struct lab_step *s = &t->steps[t->nsteps++];
		s->pos = pos_of(sn);
		struct step_ctx c = {.s = s};
		each_pair(r, sn, "a step", step_keys, step_pair, &c);
		if (c.actions != 1) {
			lab_topo_error(t, s->pos, c.actions ? "a step does one thing: run, wait, cut, "
				       "restore or set" : "a step needs one of run, wait, cut, "
				       "restore or set");
			free(s->node_name);
			free(s->cmd);
			free(s->input);
			free(s->net_name);
			t->nsteps--;
			continue;
		}
		if (s->kind == LAB_STEP_RUN && !c.has_on)
			lab_topo_error(t, s->cmd_pos, "'run' needs 'on: HOST' (where it runs)");
		if (s->kind != LAB_STEP_RUN && c.has_on)
			lab_topo_error(t, s->node_pos, "'on' is for 'run' steps");
		if (s->kind != LAB_STEP_RUN && (c.has_bg || c.has_input_key))
			lab_topo_error(t, c.has_bg ? c.bg_pos : c.input_pos,
				       "'%s' is for 'run' steps", c.has_bg ? "background" : "input");
		if (s->kind != LAB_STEP_SET && c.has_props)
			lab_topo_error(t, c.props_pos, "link properties in a step go with 'set: "
				       "NETWORK'");
		if (s->kind == LAB_STEP_SET && !c.has_props)
			lab_topo_error(t, s->net_pos, "'set' needs a link property to change "
				       "(bandwidth, delay, jitter, loss, ...)");
		if (s->kind == LAB_STEP_RUN && !*s->cmd)
			lab_topo_error(t, s->cmd_pos, "'run' needs a command");
	}
}

/* ---- the whole file --------------------------------------------------------------- */

static const char *const top_keys[] = {"name", "seed", "duration", "realtime", "networks",
				       "hosts", "routers", "scenario", NULL};

struct top_ctx {
	yaml_node_t *networks, *hosts, *routers, *scenario;
};

static void top_pair(struct reader *r, void *ctx, const char *key, yaml_node_t *k,
		     yaml_node_t *v)
{
	struct top_ctx *c = ctx;
	struct lab_topo *t = r->t;
	const char *s;
	char why[256];
	if (strcmp(key, "networks") == 0) {
		c->networks = v;
	} else if (strcmp(key, "hosts") == 0) {
		c->hosts = v;
	} else if (strcmp(key, "routers") == 0) {
		c->routers = v;
	} else if (strcmp(key, "scenario") == 0) {
		c->scenario = v;
	} else if (!(s = scalar(r, v, key))) {
		return;
	} else if (strcmp(key, "name") == 0) {
		if (!good_name(s)) {
			lab_topo_error(t, pos_of(v), "bad name '%s': use letters, digits, '-' and "
				       "'_' (at most 32)", s);
			return;
		}
		free(t->name);
		t->name = xstrdup(s);
	} else if (strcmp(key, "realtime") == 0) {
		t->realtime_pos = pos_of(v);
		if (strcmp(s, "true") == 0)
			t->realtime = true;
		else if (strcmp(s, "false") != 0)
			lab_topo_error(t, pos_of(v), "bad realtime '%s': expected true or false", s);
	} else if (strcmp(key, "seed") == 0) {
		char *end;
		errno = 0;
		unsigned long long seed = strtoull(s, &end, 10);
		if (errno || *end || end == s || s[0] == '-')
			lab_topo_error(t, pos_of(v), "bad seed '%s': expected a whole number", s);
		t->seed = seed;
		t->has_seed = true;
	} else {
		if (lab_parse_duration(s, &t->duration, why, sizeof(why)) < 0)
			lab_topo_error(t, pos_of(v), "%s", why);
		else if (t->duration == 0)
			lab_topo_error(t, pos_of(v), "duration must be more than 0");
	}
}

static void read_document(struct reader *r)
{
	yaml_node_t *root = yaml_document_get_root_node(&r->doc);
	struct lab_topo *t = r->t;
	if (!root || (root->type == YAML_SCALAR_NODE && !*root->data.scalar.value)) {
		lab_topo_error(t, (struct lab_pos){1, 1}, "empty lab file: expected networks, "
			       "hosts, routers and a scenario");
		return;
	}
	if (!is_type(r, root, YAML_MAPPING_NODE, "a lab file"))
		return;
	struct top_ctx c = {0};
	each_pair(r, root, "the lab file", top_keys, top_pair, &c);
	if (c.networks) {
		read_networks(r, c.networks);
	} else {
		lab_topo_error(t, pos_of(root), "no 'networks': a lab needs at least one");
		return;
	}
	if (c.hosts)
		read_nodes(r, c.hosts, false);
	if (c.routers)
		read_nodes(r, c.routers, true);
	if (c.scenario)
		read_scenario(r, c.scenario);
}

/* ---- consistency --------------------------------------------------------------------- */

static bool in_subnet(tern_ip4_t a, tern_ip4_t net, unsigned plen)
{
	return ((a ^ net) & tern_ip4_mask(plen)) == 0;
}

/* Which node has address a (and on which interface), or -1. */
static long owner_of(const struct lab_topo *t, tern_ip4_t a, size_t *ifi)
{
	for (size_t n = 0; n < t->nnodes; n++)
		for (size_t i = 0; i < t->nodes[n].nifaces; i++)
			if (t->nodes[n].ifaces[i].has_addr && t->nodes[n].ifaces[i].addr == a) {
				if (ifi)
					*ifi = i;
				return (long)n;
			}
	return -1;
}

static const char *name_hint(const struct lab_topo *t, const char *name, bool nets, char *buf,
			     size_t len);

static void check_ifaces(struct lab_topo *t)
{
	char ip[TERN_IP4_STRLEN], pfx[TERN_IP4_STRLEN], hint[80];
	/* The subnet each network carries: its prefix, or its first address's. */
	struct lab_iface **first = calloc(t->nnets + 1, sizeof(*first));
	bool unknown_net = false;
	if (!first)
		abort();
	for (size_t n = 0; n < t->nnodes; n++) {
		struct lab_node *nd = &t->nodes[n];
		for (size_t i = 0; i < nd->nifaces; i++) {
			struct lab_iface *f = &nd->ifaces[i];
			if (!f->net_name)
				continue;
			long ni = lab_topo_find_net(t, f->net_name);
			if (ni < 0) {
				lab_topo_error(t, f->net_pos, "unknown network '%s'%s", f->net_name,
					       name_hint(t, f->net_name, true, hint, sizeof(hint)));
				f->has_addr = false;
				nd->bad = true;
				unknown_net = true;
				f->net = (size_t)-1;
				continue;
			}
			f->net = (size_t)ni;
			struct lab_net *net = &t->nets[ni];
			for (size_t j = 0; j < i; j++)
				if (nd->ifaces[j].net == f->net)
					lab_topo_error(t, f->net_pos, "%s has two interfaces on "
						       "network '%s'", nd->name, net->name);
			net->nifaces++;
			if (net->kind == LAB_NET_LINK && net->nifaces == 3)
				lab_topo_error(t, f->net_pos, "'%s' is a point-to-point link and "
					       "already joins two interfaces; make it 'kind: "
					       "switch' to attach more", net->name);
			if (!f->has_addr)
				continue;
			tern_ip4_str(f->addr, ip);
			if (f->plen > 30 && !(f->plen == 31 && net->kind == LAB_NET_LINK)) {
				lab_topo_error(t, f->addr_pos, "/%u leaves no room for a neighbour on "
					       "%s (a /31 is for point-to-point links only)", f->plen,
					       net->name);
				f->has_addr = false;
				nd->bad = true;
				continue;
			}
			if (net->has_prefix && (f->plen != net->plen ||
						!in_subnet(f->addr, net->prefix, net->plen))) {
				lab_topo_error(t, f->addr_pos, "address %s/%u is outside network "
					       "'%s' (%s/%u)", ip, f->plen, net->name,
					       tern_ip4_str(net->prefix, pfx), net->plen);
				f->has_addr = false;
				nd->bad = true;
				continue;
			}
			if (!net->has_prefix && first[ni] &&
			    (f->plen != first[ni]->plen ||
			     !in_subnet(f->addr, first[ni]->addr, first[ni]->plen))) {
				lab_topo_error(t, f->addr_pos, "address %s/%u is not in the subnet "
					       "of network '%s' (%s/%u, from line %u)", ip, f->plen,
					       net->name,
					       tern_ip4_str(first[ni]->addr &
							    tern_ip4_mask(first[ni]->plen), pfx),
					       first[ni]->plen, first[ni]->addr_pos.line);
				f->has_addr = false;
				nd->bad = true;
				continue;
			}
			tern_ip4_t host = f->addr & ~tern_ip4_mask(f->plen);
			if (f->plen < 31 && (host == 0 || host == ~tern_ip4_mask(f->plen))) {
				lab_topo_error(t, f->addr_pos, "%s is the %s address of %s/%u, not "
					       "a host's", ip, host ? "broadcast" : "network",
					       tern_ip4_str(f->addr & tern_ip4_mask(f->plen), pfx),
					       f->plen);
				f->has_addr = false;
				nd->bad = true;
				continue;
			}
			size_t oi;
			long other = owner_of(t, f->addr, &oi);
			if (other >= 0 && !(other == (long)n && oi == i)) {
				lab_topo_error(t, f->addr_pos, "duplicate address %s (also on %s, "
					       "line %u)", ip, t->nodes[other].name,
					       t->nodes[other].ifaces[oi].addr_pos.line);
				f->has_addr = false;
				nd->bad = true;
				continue;
			}
			if (!first[ni])
				first[ni] = f;
		}
	}
	free(first);
	if (unknown_net || t->nerrs)
		return; /* counting ends would only echo an earlier mistake */
	for (size_t n = 0; n < t->nnets; n++) {
		struct lab_net *net = &t->nets[n];
		if (net->kind == LAB_NET_LINK && net->nifaces < 2)
			lab_topo_error(t, net->pos, "point-to-point link '%s' joins %u interface%s; "
				       "it needs two", net->name, net->nifaces,
				       net->nifaces == 1 ? "" : "s");
		else if (net->nifaces == 0)
			lab_topo_error(t, net->pos, "no interface is on network '%s'", net->name);
	}
}

static void check_routes(struct lab_topo *t)
{
	char ip[TERN_IP4_STRLEN];
	for (size_t n = 0; n < t->nnodes; n++) {
		struct lab_node *nd = &t->nodes[n];
		if (nd->nifaces == 0)
			lab_topo_error(t, nd->pos, "%s has no interfaces", nd->name);
		for (size_t r = 0; r < nd->nroutes && !nd->bad; r++) {
			struct lab_route *rt = &nd->routes[r];
			bool is_gw = rt->pos.line == rt->to_pos.line && rt->pos.col == rt->to_pos.col;
			const char *what = is_gw ? "gateway" : "route's gateway";
			tern_ip4_str(rt->via, ip);
			const struct lab_iface *on = NULL;
			for (size_t i = 0; i < nd->nifaces && !on; i++)
				if (nd->ifaces[i].has_addr &&
				    in_subnet(rt->via, nd->ifaces[i].addr, nd->ifaces[i].plen))
					on = &nd->ifaces[i];
			if (!on) {
				lab_topo_error(t, rt->via_pos, "%s %s is not on a network %s is "
					       "connected to", what, ip, nd->name);
				continue;
			}
			size_t oi;
			long owner = owner_of(t, rt->via, &oi);
			if (owner == (long)n) {
				lab_topo_error(t, rt->via_pos, "%s %s is %s's own address", what, ip,
					       nd->name);
			} else if (owner < 0 || t->nodes[owner].ifaces[oi].net != on->net) {
				lab_topo_error(t, rt->via_pos, "%s %s leads nowhere: no interface on "
					       "network '%s' has that address", what, ip,
					       t->nets[on->net].name);
			}
			for (size_t q = 0; q < r; q++)
				if (nd->routes[q].to == rt->to && nd->routes[q].plen == rt->plen) {
					lab_topo_error(t, rt->to_pos, "a second route to %s/%u on %s",
						       tern_ip4_str(rt->to, ip), rt->plen, nd->name);
					break;
				}
		}
	}
}

static void check_steps(struct lab_topo *t)
{
	tern_time_t last_at = 0;
	char hint[80];
	for (size_t i = 0; i < t->nsteps; i++) {
		struct lab_step *s = &t->steps[i];
		if (s->has_at) {
			if (s->at < last_at)
				lab_topo_error(t, s->at_pos, "steps go in time order: this one is "
					       "earlier than the step before it");
			last_at = s->at;
		}
		if (s->node_name) {
			long n = lab_topo_find_node(t, s->node_name);
			if (n < 0)
				lab_topo_error(t, s->node_pos, "unknown host '%s'%s", s->node_name,
					       name_hint(t, s->node_name, false, hint, sizeof(hint)));
			else
				s->node = (size_t)n;
		}
		if (s->net_name) {
			long n = lab_topo_find_net(t, s->net_name);
			if (n < 0)
				lab_topo_error(t, s->net_pos, "unknown network '%s'%s", s->net_name,
					       name_hint(t, s->net_name, true, hint, sizeof(hint)));
			else
				s->net = (size_t)n;
		}
	}
}

/* A bridged network: an Ethernet segment (a TAP is one more station on
 * its switch), one TAP per network and each TAP once, and only in real
 * time: the kernel and the programs behind the TAP run on the wall clock,
 * which a simulation cannot pause or jump (lab_topo_check_realtime, once
 * the command line had its say). */
static void check_taps(struct lab_topo *t)
{
	for (size_t n = 0; n < t->nnets; n++) {
		const struct lab_net *net = &t->nets[n];
		if (!net->tap)
			continue;
		if (net->kind != LAB_NET_SWITCH) {
			lab_topo_error(t, net->tap_pos, "tap needs an Ethernet network (kind: "
				       "switch): a point-to-point link has no place for a third "
				       "station");
			continue;
		}
		bool dup = false;
		for (size_t m = 0; m < n && !dup; m++)
			dup = t->nets[m].tap && strcmp(t->nets[m].tap, net->tap) == 0;
		if (dup) {
			lab_topo_error(t, net->tap_pos, "tap '%s' already bridges another network",
				       net->tap);
			continue;
		}
	}
}

void lab_topo_check_realtime(struct lab_topo *t)
{
	if (t->realtime)
		return;
	for (size_t n = 0; n < t->nnets; n++)
		if (t->nets[n].tap && t->nets[n].kind == LAB_NET_SWITCH)
			lab_topo_error(t, t->nets[n].tap_pos, "tap needs realtime: the real peer's "
				       "clock cannot be paused (add 'realtime: true', or run with "
				       "--realtime)");
}

/* " (did you mean 'x'?)" for a misspelt node or network name, or "". */
static const char *name_hint(const struct lab_topo *t, const char *name, bool nets, char *buf,
			     size_t len)
{
	size_t n = nets ? t->nnets : t->nnodes;
	const char **names = calloc(n + 1, sizeof(*names));
	buf[0] = '\0';
	if (!names)
		return buf;
	for (size_t i = 0; i < n; i++)
		names[i] = nets ? t->nets[i].name : t->nodes[i].name;
	const char *s = suggest(name, names);
	if (s)
		snprintf(buf, len, "; did you mean '%s'?", s);
	free(names);
	return buf;
}

long lab_topo_find_node(const struct lab_topo *t, const char *name)
{
	for (size_t i = 0; i < t->nnodes; i++)
		if (strcmp(t->nodes[i].name, name) == 0)
			return (long)i;
	return -1;
}

long lab_topo_find_net(const struct lab_topo *t, const char *name)
{
	for (size_t i = 0; i < t->nnets; i++)
		if (strcmp(t->nets[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* ---- entry points ----------------------------------------------------------------- */

static void set_names(struct lab_topo *t, const char *path)
{
	t->file = xstrdup(path);
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	t->dir = xstrdup(slash ? path : ".");
	if (slash)
		t->dir[slash - path == 0 ? 1 : slash - path] = '\0';
	t->name = xstrdup(base);
	char *dot = strrchr(t->name, '.');
	if (dot && dot != t->name)
		*dot = '\0';
}

struct lab_topo *lab_topo_parse(const char *path, const char *text, size_t len)
{
	struct lab_topo *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	set_names(t, path);
	struct reader r = {.t = t};
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser)) {
		lab_topo_error(t, (struct lab_pos){0, 0}, "out of memory");
		return t;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &r.doc)) {
		const yaml_mark_t *m = parser.context ? &parser.context_mark : &parser.problem_mark;
		if (parser.problem_mark.line || parser.problem_mark.column)
			m = &parser.problem_mark;
		struct lab_pos p = {(unsigned)m->line + 1, (unsigned)m->column + 1};
		if (parser.context)
			lab_topo_error(t, p, "YAML syntax error: %s %s that starts at line %u, "
				       "column %u", parser.problem, parser.context,
				       (unsigned)parser.context_mark.line + 1,
				       (unsigned)parser.context_mark.column + 1);
		else
			lab_topo_error(t, p, "YAML syntax error: %s",
				       parser.problem ? parser.problem : "unreadable");
		yaml_parser_delete(&parser);
		return t;
	}
	/* a second document in the same file is a mistake too */
	yaml_document_t extra;
	if (yaml_parser_load(&parser, &extra)) {
		if (yaml_document_get_root_node(&extra))
			lab_topo_error(t, (struct lab_pos){(unsigned)extra.start_mark.line + 1,
							   (unsigned)extra.start_mark.column + 1},
				       "a lab file holds one YAML document");
		yaml_document_delete(&extra);
	}
	yaml_parser_delete(&parser);
	read_document(&r);
	yaml_document_delete(&r.doc);
	check_ifaces(t);
	check_routes(t);
	check_steps(t);
	check_taps(t);
	return t;
}

struct lab_topo *lab_topo_load(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		struct lab_topo *t = calloc(1, sizeof(*t));
		if (!t)
			return NULL;
		set_names(t, path);
		lab_topo_error(t, (struct lab_pos){0, 0}, "cannot read: %s", strerror(errno));
		return t;
	}
	char *buf = malloc(LAB_MAX_FILE);
	size_t n = buf ? fread(buf, 1, LAB_MAX_FILE, f) : 0;
	bool too_big = buf && n == LAB_MAX_FILE;
	fclose(f);
	struct lab_topo *t;
	if (too_big || !buf) {
		t = calloc(1, sizeof(*t));
		if (t) {
			set_names(t, path);
			lab_topo_error(t, (struct lab_pos){0, 0}, too_big ? "file too big (4 MiB "
				       "at most)" : "out of memory");
		}
	} else {
		t = lab_topo_parse(path, buf, n);
	}
	free(buf);
	return t;
}

void lab_topo_free(struct lab_topo *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nnets; i++) {
		free(t->nets[i].name);
		free(t->nets[i].tap);
	}
	for (size_t i = 0; i < t->nnodes; i++) {
		for (size_t j = 0; j < t->nodes[i].nifaces; j++)
			free(t->nodes[i].ifaces[j].net_name);
		free(t->nodes[i].ifaces);
		free(t->nodes[i].routes);
		for (size_t j = 0; j < t->nodes[i].nsysctls; j++) {
			free(t->nodes[i].sysctls[j].name);
			free(t->nodes[i].sysctls[j].value);
		}
		free(t->nodes[i].sysctls);
		free(t->nodes[i].name);
	}
	for (size_t i = 0; i < t->nsteps; i++) {
		free(t->steps[i].node_name);
		free(t->steps[i].cmd);
		free(t->steps[i].input);
		free(t->steps[i].net_name);
	}
	for (size_t i = 0; i < t->nerrs; i++)
		free(t->errs[i].msg);
	free(t->nets);
	free(t->nodes);
	free(t->steps);
	free(t->errs);
	free(t->file);
	free(t->dir);
	free(t->name);
	free(t);
}
