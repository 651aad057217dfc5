/*
 * lab/scenario.c — running a lab's scenario in virtual time and writing
 * its transcript.
 *
 * Steps run in file order. A step with `at:` starts at that virtual time;
 * one without starts when the step before it has ended (a command in the
 * foreground ends when its tool does, `wait:` after its time, the others
 * at once), like lines of a shell script. Commands in the background
 * (`&`) run until they end or the scenario does. The scenario ends when
 * every step has started and every foreground command has ended, or at
 * `duration:`; background commands are stopped then, as if by Ctrl-C.
 *
 * Every tool writes to its own stdio streams, which cut what they get
 * into lines and stamp each with the virtual time it was written at and
 * the host: the transcript reads like the terminals of every host side by
 * side. Nothing here reads a clock, so the same file and seed give the
 * same transcript byte for byte.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lab/lab.h"
#include "lab/report.h"
#include "tern/err.h"

#define LAB_DEFAULT_DURATION TERN_SEC(3600)
#define LAB_LINE_MAX 4096
#define LAB_PING_IDENT 0x7465

/* ---- command lines ------------------------------------------------------------ */

int lab_split(const char *line, struct lab_cmd *cmd, char *err, size_t errlen)
{
	memset(cmd, 0, sizeof(*cmd));
	size_t n = strlen(line);
	cmd->words = malloc(n + 1);
	if (!cmd->words) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	char *w = cmd->words;
	const char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (cmd->argc == LAB_MAX_ARGS) {
			snprintf(err, errlen, "more than %d words in the command", LAB_MAX_ARGS);
			return -1;
		}
		cmd->argv[cmd->argc++] = w;
		while (*p && *p != ' ' && *p != '\t') {
			char q = *p;
			if (q == '\'' || q == '"') {
				p++;
				while (*p && *p != q) {
					if (q == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
						p++;
					*w++ = *p++;
				}
				if (!*p) {
					snprintf(err, errlen, "unterminated %c quote in the command",
						 q);
					return -1;
				}
				p++;
			} else if (strchr("|;<>&$`", q)) {
				snprintf(err, errlen, "'%c' is for shells: a step runs one tool (use "
					 "'input:' for its stdin, '&' only at the end)", q);
				return -1;
			} else {
				*w++ = *p++;
			}
		}
		*w++ = '\0';
	}
	cmd->argv[cmd->argc] = NULL;
	if (cmd->argc == 0) {
		snprintf(err, errlen, "empty command");
		return -1;
	}
	return 0;
}

void lab_cmd_free(struct lab_cmd *cmd)
{
	free(cmd->words);
	cmd->words = NULL;
}

static void join(char *buf, size_t len, const char *dir, const char *path)
{
	if (path[0] == '/' || !dir || !*dir)
		snprintf(buf, len, "%s", path);
	else
		snprintf(buf, len, "%s/%s", dir, path);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

void lab_check_scenario(struct lab_topo *t, const struct lab_tools *tools)
{
	for (size_t i = 0; i < t->nsteps; i++) {
		struct lab_step *s = &t->steps[i];
		if (s->kind != LAB_STEP_RUN || !*s->cmd)
			continue;
		struct lab_cmd cmd;
		char err[512];
		if (lab_split(s->cmd, &cmd, err, sizeof(err)) < 0 ||
		    tools->parse(tools->ctx, cmd.argc, cmd.argv, &cmd, err, sizeof(err)) < 0) {
			lab_topo_error(t, s->cmd_pos, "%s", err);
			lab_cmd_free(&cmd);
			continue;
		}
		if (cmd.app == LAB_APP_HTTP) {
			char dir[4096];
			join(dir, sizeof(dir), t->dir, cmd.path ? cmd.path : ".");
			if (!is_dir(dir))
				lab_topo_error(t, s->cmd_pos, "http: '%s' is not a directory (paths "
					       "start from the lab file's directory)",
					       cmd.path ? cmd.path : ".");
			if (!s->background)
				lab_topo_error(t, s->cmd_pos, "http serves until the lab ends: run "
					       "it in the background (put '&' at the end)");
		}
		if (cmd.app == LAB_APP_CURL && cmd.path &&
		    (cmd.path[0] == '/' || strstr(cmd.path, "..")))
			lab_topo_error(t, s->cmd_pos, "curl: -o writes into the run's output "
				       "directory: give a plain file name");
		if (s->has_input && cmd.app != LAB_APP_NC)
			lab_topo_error(t, s->cmd_pos, "'input' is for nc: %s reads no input",
				       cmd.argv[0]);
		lab_cmd_free(&cmd);
	}
}

/* ---- the transcript --------------------------------------------------------------- */

struct run;

/* One output stream of one command: text cut into stamped lines. */
struct stream {
	struct run *run;
	const char *host;
	const char *name;        /* "stdout", "stderr" */
	char buf[LAB_LINE_MAX];
	size_t len;
};

enum proc_kind { PROC_APP, PROC_WAIT };

struct proc {
	enum proc_kind kind;
	size_t step;
	bool background, ended;
	bool quit;               /* ended at its start (its status is set) */
	int status;
	tern_time_t until;       /* WAIT */
	struct lab_cmd cmd;
	struct tern_stack *stack;
	void *app;               /* tern_ping, tern_traceroute, ... */
	struct stream *so, *se;
	FILE *out, *err, *body;  /* body: curl -o */
	char *root;              /* http: the directory served (the server points at it) */
	const char *input;
	size_t input_len, input_off;
	bool eof;
};

struct run {
	const struct lab_topo *t;
	const struct lab_tools *tools;
	const struct lab_run_opts *o;
	struct lab_world w;
	FILE *file;              /* DIR/transcript.txt */
	struct proc **procs;
	size_t nprocs;
	struct lab_props *props; /* each network's properties now */
	unsigned failed;
	bool io_error;
};

static tern_time_t now_of(const struct run *r)
{
	return tern_sim_now(r->w.sim);
}

static void json_string(FILE *f, const char *s, size_t len)
{
	fputc('"', f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* One line of the transcript. host "lab" is the lab's own voice; stream
 * "command" is a prompt line, "summary" the closing lines. */
static void emit(struct run *r, const char *host, const char *stream, const char *text,
		 size_t len)
{
	tern_time_t now = now_of(r);
	long long sec = (long long)(now / TERN_SEC(1)), us = (long long)(now % TERN_SEC(1) / 1000);
	char clean[LAB_LINE_MAX];
	if (len >= sizeof(clean))
		len = sizeof(clean) - 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		clean[i] = c == '\t' || (c >= 0x20 && c != 0x7f) ? (char)c : '.';
	}
	clean[len] = '\0';
	bool prompt = strcmp(stream, "command") == 0;
	FILE *outs[2] = {r->file, r->o->out};
	for (int k = 0; k < 2; k++) {
		FILE *f = outs[k];
		if (!f)
			continue;
		if (k == 1 && r->o->quiet && strcmp(stream, "stderr") != 0 &&
		    strcmp(stream, "summary") != 0)
			continue;
		if (k == 1 && r->o->json) {
			fprintf(f, "{\"time\":%lld.%06lld,\"host\":", sec, us);
			json_string(f, host, strlen(host));
			fprintf(f, ",\"stream\":\"%s\",\"text\":", stream);
			json_string(f, text, len);
			fputs("}\n", f);
		} else {
			fprintf(f, "[%4lld.%06lld] %s%s%s%s\n", sec, us, host, prompt ? "$" : ":",
				len ? " " : "", clean);
		}
		if (ferror(f))
			r->io_error = true;
	}
}

static void emitf(struct run *r, const char *stream, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void emitf(struct run *r, const char *stream, const char *fmt, ...)
{
	char buf[LAB_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	emit(r, "lab", stream, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static ssize_t stream_write(void *cookie, const char *data, size_t size)
{
	struct stream *s = cookie;
	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\n' || s->len == sizeof(s->buf)) {
			emit(s->run, s->host, s->name, s->buf, s->len);
			s->len = 0;
			if (data[i] == '\n')
				continue;
		}
		if (data[i] != '\r')
			s->buf[s->len++] = data[i];
	}
	return (ssize_t)size;
}

static int stream_close(void *cookie)
{
	struct stream *s = cookie;
	if (s->len)
		emit(s->run, s->host, s->name, s->buf, s->len);
	free(s);
	return 0;
}

static FILE *open_stream(struct run *r, const char *host, const char *name, struct stream **sp)
{
	struct stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->run = r;
	s->host = host;
	s->name = name;
	cookie_io_functions_t io = {.write = stream_write, .close = stream_close};
	FILE *f = fopencookie(s, "w", io);
	if (!f) {
		free(s);
		return NULL;
	}
	setvbuf(f, NULL, _IONBF, 0); /* each write is stamped when it happens */
	*sp = s;
	return f;
}

/* ---- commands --------------------------------------------------------------------- */

static int start_app(struct run *r, struct proc *p, char *why, size_t len)
{
	struct lab_cmd *c = &p->cmd;
	tern_time_t now = now_of(r);
	int err = 0;
	switch (c->app) {
	case LAB_APP_PING:
		c->o.ping.ident = (uint16_t)(LAB_PING_IDENT + p->step);
		p->app = tern_ping_start(p->stack, &c->o.ping, p->out, now, &err);
		break;
	case LAB_APP_TRACEROUTE:
		/* an ephemeral port, as traceroute gets from the kernel */
		c->o.traceroute.ident = (uint16_t)(49152 + (p->step * 977) % 16384);
		p->app = tern_traceroute_start(p->stack, &c->o.traceroute, p->out, now, &err);
		break;
	case LAB_APP_NC:
		c->o.nc.diag = p->err;
		p->app = tern_nc_start(p->stack, &c->o.nc, p->out, now, &err);
		if (!p->app) {
			/* nc said why on diag; its exit status is 1 */
			p->status = 1;
			p->quit = true;
			return 0;
		}
		break;
	case LAB_APP_SS:
		err = tern_ss_print(p->stack, &c->o.ss, p->out);
		p->quit = true;
		p->status = err < 0 ? 1 : 0;
		return 0;
	case LAB_APP_HTTP: {
		char dir[4096];
		join(dir, sizeof(dir), r->t->dir, c->path ? c->path : ".");
		char *root = realpath(dir, NULL);
		if (!root) {
			snprintf(why, len, "http: %.300s: %s", dir, strerror(errno));
			return -1;
		}
		c->o.http.root = root;
		c->o.http.epoch_mtime = true; /* the same bytes from any checkout */
		if (c->o.http.log) /* NULL: -q */
			c->o.http.log = p->out;
		c->o.http.diag = p->err;
		p->root = root;
		p->app = tern_httpd_start(p->stack, &c->o.http, now, &err);
		if (p->app) {
			char ip[TERN_IP4_STRLEN];
			fprintf(p->err, "tern http: serving %s on %s port %u\n",
				c->path ? c->path : ".", tern_ip4_str(c->o.http.addr, ip),
				c->o.http.port);
		}
		break;
	}
	case LAB_APP_IPERF:
		c->o.iperf.cookie_seed = r->o->seed * 1000003u + p->step; /* deterministic */
		c->o.iperf.diag = p->err;
		c->o.iperf.prog = "tern iperf";
		p->app = tern_iperf_start(p->stack, &c->o.iperf, p->out, now, &err);
		break;
	case LAB_APP_RR:
		c->o.rr.diag = p->err;
		p->app = tern_rr_start(p->stack, &c->o.rr, p->out, now, &err);
		break;
	case LAB_APP_HPING:
		c->o.hping.diag = p->err;
		c->o.hping.seed = r->o->seed * 1000003u + p->step; /* deterministic */
		p->app = tern_hping_start(p->stack, &c->o.hping, p->out, now, &err);
		break;
	case LAB_APP_CURL: {
		FILE *body = p->out;
		if (c->path) {
			char file[4096];
			join(file, sizeof(file), r->o->out_dir, c->path);
			p->body = fopen(file, "wb");
			if (!p->body) {
				fprintf(p->err, "curl: (23) Failure writing output to destination\n");
				p->status = 23;
				p->quit = true;
				return 0;
			}
			body = p->body;
		}
		c->o.curl.diag = p->err;
		c->o.curl.write_out_to = p->out;
		c->o.curl.data_trace = true; /* stdout is not a terminal */
		if (!c->o.curl.user_agent)
			c->o.curl.user_agent = "tern-curl";
		c->o.curl.prog = "curl";
		p->app = tern_curl_start(p->stack, &c->o.curl, body, now, &err);
		break;
	}
	}
	if (!p->app) {
		snprintf(why, len, "%s: cannot start: %s", c->argv[0], tern_strerror(err));
		return -1;
	}
	return 0;
}

static bool app_done(const struct proc *p)
{
	if (p->ended || p->quit)
		return true;
	switch (p->cmd.app) {
	case LAB_APP_PING: return tern_ping_done(p->app);
	case LAB_APP_TRACEROUTE: return tern_traceroute_done(p->app);
	case LAB_APP_NC: return tern_nc_done(p->app);
	case LAB_APP_CURL: return tern_curl_done(p->app);
	case LAB_APP_IPERF: return tern_iperf_done(p->app);
	case LAB_APP_HPING: return tern_hping_done(p->app);
	case LAB_APP_RR: return tern_rr_done(p->app);
	case LAB_APP_HTTP: return false;
	case LAB_APP_SS: return true;
	}
	return true;
}

/* End a command (done, or stopped): its closing output, exit status. */
static void finish(struct run *r, struct proc *p)
{
	if (p->kind == PROC_APP && p->app) {
		tern_time_t now = now_of(r);
		switch (p->cmd.app) {
		case LAB_APP_PING: p->status = tern_ping_finish(p->app, now); break;
		case LAB_APP_TRACEROUTE: p->status = tern_traceroute_finish(p->app, now) < 0; break;
		case LAB_APP_NC: p->status = tern_nc_finish(p->app); break;
		case LAB_APP_CURL: p->status = tern_curl_finish(p->app); break;
		case LAB_APP_HPING: p->status = tern_hping_finish(p->app, now); break;
		case LAB_APP_RR: p->status = tern_rr_finish(p->app); break;
		case LAB_APP_IPERF:
			if (!tern_iperf_done(p->app))
				tern_iperf_interrupt(p->app); /* as on Ctrl-C */
			p->status = tern_iperf_finish(p->app);
			break;
		case LAB_APP_HTTP: {
			struct tern_httpd_stats st;
			tern_httpd_get_stats(p->app, &st);
			fprintf(p->err, "tern http: %llu connections (%u at most at once, %llu "
				"refused), %llu requests, %llu body bytes\n",
				(unsigned long long)st.connections, st.max_active,
				(unsigned long long)st.refused, (unsigned long long)st.requests,
				(unsigned long long)st.bytes);
			tern_httpd_finish(p->app);
			free(p->root);
			p->root = NULL;
			p->status = 0;
			break;
		}
		case LAB_APP_SS: break;
		}
		p->app = NULL;
	}
	if (p->body && fclose(p->body) != 0 && p->status == 0)
		p->status = 23;
	p->body = NULL;
	if (p->out)
		fclose(p->out);
	if (p->err)
		fclose(p->err);
	p->out = p->err = NULL;
	p->ended = true;
	if (p->kind == PROC_APP && p->status != 0)
		r->failed++;
}

/* Feed nc its input as it takes it, then EOF. */
static bool feed(struct run *r, struct proc *p)
{
	if (p->kind != PROC_APP || p->cmd.app != LAB_APP_NC || !p->app || p->eof ||
	    !r->t->steps[p->step].has_input)
		return false;
	if (!tern_nc_wants_input(p->app))
		return false;
	tern_time_t now = now_of(r);
	if (p->input_off < p->input_len) {
		size_t chunk = p->input_len - p->input_off;
		if (chunk > 16384)
			chunk = 16384;
		int rc = tern_nc_send(p->app, p->input + p->input_off, chunk, now);
		if (rc < 0)
			return false;
		p->input_off += chunk;
		if (p->input_off < p->input_len)
			return true;
	}
	tern_nc_eof(p->app, now);
	p->eof = true;
	return true;
}

/* Something to do now: a command ended, or nc takes input. */
static bool attention(void *ctx)
{
	struct run *r = ctx;
	for (size_t i = 0; i < r->nprocs; i++) {
		struct proc *p = r->procs[i];
		if (p->ended)
			continue;
		if (p->kind == PROC_WAIT ? now_of(r) >= p->until : app_done(p))
			return true;
		if (p->kind == PROC_APP && p->cmd.app == LAB_APP_NC && p->app && !p->eof &&
		    r->t->steps[p->step].has_input && tern_nc_wants_input(p->app))
			return true;
	}
	return false;
}

static void reap(struct run *r)
{
	bool again = true;
	while (again) {
		again = false;
		for (size_t i = 0; i < r->nprocs; i++) {
			struct proc *p = r->procs[i];
			if (p->ended)
				continue;
			if (feed(r, p))
				again = true;
			if (p->kind == PROC_WAIT ? now_of(r) >= p->until : app_done(p))
				finish(r, p);
		}
	}
}

static struct proc *new_proc(struct run *r, size_t step, enum proc_kind kind)
{
	struct proc **a = realloc(r->procs, (r->nprocs + 1) * sizeof(*a));
	if (!a)
		return NULL;
	r->procs = a;
	struct proc *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->kind = kind;
	p->step = step;
	r->procs[r->nprocs++] = p;
	return p;
}

static void apply_props(struct lab_props *cur, const struct lab_props *set)
{
	unsigned g = set->given;
	if (g & LAB_P_BANDWIDTH) cur->rate_bps = set->rate_bps;
	if (g & LAB_P_DELAY) cur->delay = set->delay;
	if (g & LAB_P_JITTER) cur->jitter = set->jitter;
	if (g & LAB_P_LOSS) {
		cur->loss = set->loss;
		cur->burst = set->burst;
	}
	if (g & LAB_P_DUPLICATE) cur->duplicate = set->duplicate;
	if (g & LAB_P_REORDER) cur->reorder = set->reorder;
	if (g & LAB_P_CORRUPT) cur->corrupt = set->corrupt;
	if (g & LAB_P_QUEUE) cur->queue_bytes = set->queue_bytes;
}

/* The properties in a `set:` step as the user wrote them. */
static void describe_props(const struct lab_props *p, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
#define ADD(...) (n += (size_t)snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__))
	if (p->given & LAB_P_BANDWIDTH) ADD(" bandwidth %.6g Mbit/s", (double)p->rate_bps / 1e6);
	if (p->given & LAB_P_DELAY) ADD(" delay %.6g ms", (double)p->delay / 1e6);
	if (p->given & LAB_P_JITTER) ADD(" jitter %.6g ms", (double)p->jitter / 1e6);
	if ((p->given & LAB_P_LOSS) && p->burst.p > 0)
		ADD(" loss gilbert-elliott p %.6g%% r %.6g%% loss-bad %.6g%% loss-good %.6g%%",
		    p->burst.p * 100, p->burst.r * 100, p->burst.loss_bad * 100,
		    p->burst.loss_good * 100);
	else if (p->given & LAB_P_LOSS)
		ADD(" loss %.6g%%", p->loss * 100);
	if (p->given & LAB_P_DUPLICATE) ADD(" duplicate %.6g%%", p->duplicate * 100);
	if (p->given & LAB_P_REORDER) ADD(" reorder %.6g%%", p->reorder * 100);
	if (p->given & LAB_P_CORRUPT) ADD(" corrupt %.6g%%", p->corrupt * 100);
	if (p->given & LAB_P_QUEUE) ADD(" queue %u bytes", p->queue_bytes);
#undef ADD
}

/* Start step i now. Returns 0, or -1 after saying why on diag. */
static int start_step(struct run *r, size_t i, struct proc **fg, FILE *diag)
{
	const struct lab_topo *t = r->t;
	const struct lab_step *st = &t->steps[i];
	char why[512];
	*fg = NULL;
	switch (st->kind) {
	case LAB_STEP_WAIT: {
		struct proc *p = new_proc(r, i, PROC_WAIT);
		if (!p)
			goto nomem;
		p->until = now_of(r) + st->wait;
		*fg = p;
		return 0;
	}
	case LAB_STEP_CUT:
	case LAB_STEP_RESTORE:
		for (size_t k = 0; k < r->w.net_nlinks[st->net]; k++)
			tern_sim_link_set_up(r->w.sim, r->w.net_links[st->net][k],
					     st->kind == LAB_STEP_RESTORE);
		emitf(r, "event", "%s %s", st->kind == LAB_STEP_CUT ? "cut" : "restore",
		      t->nets[st->net].name);
		return 0;
	case LAB_STEP_SET: {
		struct lab_props *cur = &r->props[st->net];
		apply_props(cur, &st->props);
		struct tern_sim_link_opts o;
		lab_link_opts(cur, &o);
		for (size_t k = 0; k < r->w.net_nlinks[st->net]; k++)
			tern_sim_link_update(r->w.sim, r->w.net_links[st->net][k], &o);
		describe_props(&st->props, why, sizeof(why));
		emitf(r, "event", "set %s:%s", t->nets[st->net].name, why);
		return 0;
	}
	case LAB_STEP_RUN:
		break;
	}
	struct proc *p = new_proc(r, i, PROC_APP);
	if (!p)
		goto nomem;
	const char *host = t->nodes[st->node].name;
	p->background = st->background;
	p->stack = r->w.stacks[st->node];
	p->input = st->input;
	p->input_len = st->input_len;
	emit(r, host, "command", st->cmd, strlen(st->cmd));
	if (lab_split(st->cmd, &p->cmd, why, sizeof(why)) < 0 ||
	    r->tools->parse(r->tools->ctx, p->cmd.argc, p->cmd.argv, &p->cmd, why, sizeof(why)) <
		    0) {
		fprintf(diag, "%s:%u:%u: %s\n", t->file, st->cmd_pos.line, st->cmd_pos.col, why);
		return -1;
	}
	p->out = open_stream(r, host, "stdout", &p->so);
	p->err = open_stream(r, host, "stderr", &p->se);
	if (!p->out || !p->err)
		goto nomem;
	if (start_app(r, p, why, sizeof(why)) < 0) {
		fprintf(diag, "%s:%u:%u: %s\n", t->file, st->cmd_pos.line, st->cmd_pos.col, why);
		return -1;
	}
	if (!st->background)
		*fg = p;
	return 0;
nomem:
	fprintf(diag, "tern lab: out of memory\n");
	return -1;
}

static bool fg_running(const struct run *r)
{
	for (size_t i = 0; i < r->nprocs; i++)
		if (!r->procs[i]->ended && !r->procs[i]->background)
			return true;
	return false;
}

static int scenario(struct run *r, FILE *diag)
{
	const struct lab_topo *t = r->t;
	tern_time_t limit = t->duration ? t->duration : LAB_DEFAULT_DURATION;
	struct proc *prev = NULL; /* the foreground command or wait of the step before */
	size_t next = 0;
	for (;;) {
		reap(r);
		if (next < t->nsteps) {
			const struct lab_step *st = &t->steps[next];
			bool ready = st->has_at ? now_of(r) >= st->at : !prev || prev->ended;
			if (ready) {
				if (start_step(r, next, &prev, diag) < 0)
					return -1;
				next++;
				continue;
			}
		} else if (!fg_running(r)) {
			break;
		}
		tern_time_t until = limit;
		if (next < t->nsteps && t->steps[next].has_at && t->steps[next].at < until)
			until = t->steps[next].at;
		for (size_t i = 0; i < r->nprocs; i++)
			if (!r->procs[i]->ended && r->procs[i]->kind == PROC_WAIT &&
			    r->procs[i]->until < until)
				until = r->procs[i]->until;
		if (now_of(r) >= limit) {
			emitf(r, "summary", "stopped at the lab's duration (%lld s)",
			      (long long)(limit / TERN_SEC(1)));
			break;
		}
		if (!tern_sim_run_while(r->w.sim, attention, r, until) && now_of(r) < until)
			tern_sim_run_until(r->w.sim, until);
	}
	/* background commands end with the scenario, as on Ctrl-C */
	for (size_t i = 0; i < r->nprocs; i++)
		if (!r->procs[i]->ended)
			finish(r, r->procs[i]);
	return 0;
}

/* Per network, what its links delivered and lost, both directions summed. */
static void link_summary(struct run *r)
{
	for (size_t n = 0; n < r->t->nnets; n++) {
		struct tern_link_stats sum = {0};
		struct tern_fault_stats fsum = {0};
		for (size_t k = 0; k < r->w.net_nlinks[n]; k++)
			for (int side = 0; side < 2; side++) {
				struct tern_link_stats ls;
				struct tern_fault_stats fs;
				size_t l = r->w.net_links[n][k];
				if (tern_sim_link_stats(r->w.sim, l, side, &ls) < 0 ||
				    tern_sim_link_fault_stats(r->w.sim, l, side, &fs) < 0)
					continue;
				/* a switch's links: end 0 is the interface, end 1 the
				 * switch port; count what reached interfaces */
				if (r->t->nets[n].kind == LAB_NET_LINK || side == 1)
					sum.rx_frames += ls.rx_frames;
				sum.drop_down += ls.drop_down;
				sum.drop_queue_full += ls.drop_queue_full;
				sum.ecn_marked += ls.ecn_marked;
				sum.drop_early += ls.drop_early;
				sum.drop_forced += ls.drop_forced;
				sum.drop_too_big += ls.drop_too_big;
				fsum.dropped += fs.dropped;
				fsum.duplicated += fs.duplicated;
				fsum.corrupted += fs.corrupted;
				fsum.reordered += fs.reordered;
			}
		char buf[512];
		size_t len = 0;
#define ADD(...) (len += (size_t)snprintf(buf + len, len < sizeof(buf) ? sizeof(buf) - len : 0, \
					  __VA_ARGS__))
		ADD("network %s: %llu frames delivered to interfaces", r->t->nets[n].name,
		    (unsigned long long)sum.rx_frames);
		if (fsum.dropped)
			ADD(", %llu lost (loss)", (unsigned long long)fsum.dropped);
		if (sum.drop_down)
			ADD(", %llu lost while cut", (unsigned long long)sum.drop_down);
		if (sum.drop_queue_full)
			ADD(", %llu dropped at a full queue", (unsigned long long)sum.drop_queue_full);
		if (sum.ecn_marked)
			ADD(", %llu marked CE (RED)", (unsigned long long)sum.ecn_marked);
		if (sum.drop_early)
			ADD(", %llu dropped early (RED)", (unsigned long long)sum.drop_early);
		if (sum.drop_forced)
			ADD(", %llu dropped above RED's max", (unsigned long long)sum.drop_forced);
		if (sum.drop_too_big)
			ADD(", %llu too big for the MTU", (unsigned long long)sum.drop_too_big);
		if (fsum.duplicated)
			ADD(", %llu duplicated", (unsigned long long)fsum.duplicated);
		if (fsum.corrupted)
			ADD(", %llu corrupted", (unsigned long long)fsum.corrupted);
		if (fsum.reordered)
			ADD(", %llu reordered", (unsigned long long)fsum.reordered);
#undef ADD
		emitf(r, "summary", "%s", buf);
	}
}

/* Realtime: what is paced and bridged, before the scenario starts. */
static void realtime_info(struct run *r)
{
	emitf(r, "info", "realtime: virtual time follows the wall clock");
	for (size_t n = 0; n < r->t->nnets; n++)
		if (r->t->nets[n].tap)
			emitf(r, "info", "network %s bridged to TAP %s", r->t->nets[n].name,
			      r->t->nets[n].tap);
}

/* Realtime: how far behind the clock the lab fell, and what crossed
 * each bridge. Only realtime runs print these (they differ run to run). */
static void realtime_summary(struct run *r)
{
	struct tern_simrt_stats st;
	tern_simrt_get_stats(r->w.rt, &st);
	emitf(r, "summary", "realtime: max lag %.3f ms, %llu instant%s late by more than 1 ms",
	      (double)st.max_lag / 1e6, (unsigned long long)st.late, st.late == 1 ? "" : "s");
	unsigned b = 0;
	for (size_t n = 0; n < r->t->nnets; n++) {
		struct tern_simrt_bridge_stats bs;
		if (!r->t->nets[n].tap || tern_simrt_bridge_get_stats(r->w.rt, b++, &bs) < 0)
			continue;
		emitf(r, "summary", "bridge %s <-> TAP %s: %llu frames to Linux, %llu from it%s%s",
		      r->t->nets[n].name, r->t->nets[n].tap, (unsigned long long)bs.to_tap,
		      (unsigned long long)bs.from_tap, bs.tap_errors ? ", some refused" : "",
		      bs.dead ? ", the TAP went away" : "");
	}
}

int lab_run(const struct lab_topo *t, const struct lab_tools *tools,
	    const struct lab_run_opts *o, FILE *diag)
{
	struct run r = {.t = t, .tools = tools, .o = o};
	struct lab_report *rep = NULL;
	char why[512], path[4096];
	int rc = -1;
	bool *impairable = calloc(t->nnets + 1, sizeof(*impairable));
	r.props = calloc(t->nnets + 1, sizeof(*r.props));
	if (!impairable || !r.props) {
		fprintf(diag, "tern lab: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < t->nsteps; i++)
		if (t->steps[i].kind == LAB_STEP_SET)
			impairable[t->steps[i].net] = true;
	for (size_t n = 0; n < t->nnets; n++)
		r.props[n] = t->nets[n].props;
	snprintf(path, sizeof(path), "%s/transcript.txt", o->out_dir);
	r.file = fopen(path, "w");
	if (!r.file) {
		fprintf(diag, "tern lab: cannot write %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (lab_build(t, o->seed, o->out_dir, impairable, &r.w, why, sizeof(why)) < 0) {
		fprintf(diag, "tern lab: %s\n", why);
		goto out;
	}
	if (!o->no_report && !(rep = lab_report_create(t, &r.w))) {
		fprintf(diag, "tern lab: out of memory\n");
		goto out;
	}
	size_t nifs = 0;
	for (size_t n = 0; n < t->nnodes; n++)
		nifs += t->nodes[n].nifaces;
	emitf(&r, "summary", "%s: %zu hosts and routers, %zu networks, %zu interfaces, seed %llu",
	      t->name, t->nnodes, t->nnets, nifs, (unsigned long long)o->seed);
	/* which interface is where: the captures are named after them */
	for (size_t n = 0; n < t->nnodes; n++)
		for (size_t i = 0; i < t->nodes[n].nifaces; i++) {
			const struct lab_iface *f = &t->nodes[n].ifaces[i];
			char ip[TERN_IP4_STRLEN];
			if (f->has_addr)
				emitf(&r, "info", "%s %s %s/%u on %s", t->nodes[n].name, f->ifname,
				      tern_ip4_str(f->addr, ip), f->plen, t->nets[f->net].name);
			else
				emitf(&r, "info", "%s %s on %s", t->nodes[n].name, f->ifname,
				      t->nets[f->net].name);
		}
	if (r.w.rt)
		realtime_info(&r);
	rc = scenario(&r, diag);
	if (rc == 0) {
		size_t cmds = 0;
		for (size_t i = 0; i < r.nprocs; i++)
			cmds += r.procs[i]->kind == PROC_APP;
		emitf(&r, "summary", "end: %zu command%s, %u exited with a non-zero status", cmds,
		      cmds == 1 ? "" : "s", r.failed);
		for (size_t i = 0; i < r.nprocs; i++) {
			struct proc *p = r.procs[i];
			if (p->kind == PROC_APP && p->status != 0)
				emitf(&r, "summary", "  %s: '%s' exited %d",
				      t->nodes[t->steps[p->step].node].name, t->steps[p->step].cmd,
				      p->status);
		}
		link_summary(&r);
		if (r.w.rt)
			realtime_summary(&r);
		if (rep) {
			fflush(r.file);
			if (lab_report_write(rep, o->out_dir, path, o->seed, now_of(&r), why,
					     sizeof(why)) < 0) {
				fprintf(diag, "tern lab: %s\n", why);
				rc = -1;
			}
		}
	}
out:
	for (size_t i = 0; i < r.nprocs; i++) {
		if (!r.procs[i]->ended)
			finish(&r, r.procs[i]);
		lab_cmd_free(&r.procs[i]->cmd);
		free(r.procs[i]->root);
		free(r.procs[i]);
	}
	free(r.procs);
	lab_world_free(&r.w); /* closes (and so completes) the captures */
	lab_report_free(rep); /* after the world: its stacks trace into it */
	if (r.file && fclose(r.file) != 0)
		r.io_error = true;
	if (rc == 0 && r.io_error) {
		fprintf(diag, "tern lab: error writing the transcript\n");
		rc = -1;
	}
	free(impairable);
	free(r.props);
	return rc;
}
