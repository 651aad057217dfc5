/*
 * tests/fuzz/fuzz_lab.c — libFuzzer target for the lab file reader
 * (src/lab/topo.c): any bytes as a lab file, parsed and checked, then its
 * steps' command lines split (lab_split) and checked with a stand-in for
 * the tools' parsers, which live above the library. Whatever the input,
 * the reader must not crash, leak or read out of bounds, every error must
 * carry a message, and a file without errors must have resolved every
 * name it uses. Seeds: tests/fuzz/corpus/lab/ (the example labs and the
 * malformed files of tests/lab/bad).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lab.h"

/* The tools' parsers are not in the library: accept any known tool name. */
static int parse_stub(void *ctx, int argc, char **argv, struct lab_cmd *cmd, char *err,
		      size_t errlen)
{
	(void)ctx;
	static const char *const tools[] = {"ping", "traceroute", "nc", "ss", "curl", NULL};
	for (int i = 0; tools[i]; i++)
		if (strcmp(argv[0], tools[i]) == 0) {
			cmd->app = (enum lab_app)i;
			return 0;
		}
	(void)argc;
	snprintf(err, errlen, "unknown command '%s'", argv[0]);
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lab_topo *t = lab_topo_parse("fuzz.yaml", (const char *)data, size);
	if (!t)
		return 0;
	if (t->nerrs == 0) {
		struct lab_tools tools = {.parse = parse_stub};
		lab_check_scenario(t, &tools);
	}
	for (size_t i = 0; i < t->nerrs; i++)
		if (!t->errs[i].msg || !t->errs[i].msg[0])
			abort();
	if (t->nerrs == 0) {
		for (size_t n = 0; n < t->nnodes; n++)
			for (size_t i = 0; i < t->nodes[n].nifaces; i++)
				if (t->nodes[n].ifaces[i].net >= t->nnets)
					abort();
		for (size_t i = 0; i < t->nsteps; i++) {
			const struct lab_step *s = &t->steps[i];
			if ((s->kind == LAB_STEP_RUN && s->node >= t->nnodes) ||
			    ((s->kind == LAB_STEP_CUT || s->kind == LAB_STEP_RESTORE ||
			      s->kind == LAB_STEP_SET) &&
			     s->net >= t->nnets))
				abort();
		}
	}
	FILE *devnull = fopen("/dev/null", "w");
	if (devnull) {
		lab_topo_print_errors(t, devnull);
		fclose(devnull);
	}
	lab_topo_free(t);
	return 0;
}
