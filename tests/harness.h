/*
 * tests/harness.h — a small named-test registry for tern's C tests.
 *
 * A test file defines cases with TEST(name) { ... } and ends with
 * TEST_MAIN(). The binary runs every case, or only those named on the
 * command line; `--list` prints the names. CHECK* macros record a failure
 * with file:line and the values, and continue; REQUIRE* stop the case.
 * The exit status is non-zero if any case failed.
 */
#ifndef TERN_TEST_HARNESS_H
#define TERN_TEST_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
struct test_case {
	const char *name;
	test_fn fn;
};

#define TEST_MAX_CASES 512
static struct test_case test_cases_[TEST_MAX_CASES];
static int test_ncases_;
static int test_failed_;      /* failures in the current case */
static const char *test_current_;

static inline void test_register_(const char *name, test_fn fn)
{
	if (test_ncases_ < TEST_MAX_CASES)
		test_cases_[test_ncases_++] = (struct test_case){name, fn};
}

#define TEST(name)                                                          \
	static void test_##name(void);                                      \
	__attribute__((constructor)) static void test_reg_##name(void)      \
	{                                                                   \
		test_register_(#name, test_##name);                         \
	}                                                                   \
	static void test_##name(void)

#define TEST_FAIL_(...)                                                     \
	do {                                                                \
		fprintf(stderr, "  FAIL %s (%s:%d): ", test_current_, __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);                               \
		fputc('\n', stderr);                                        \
		test_failed_++;                                             \
	} while (0)

#define CHECK(cond) do { if (!(cond)) TEST_FAIL_("%s", #cond); } while (0)
#define CHECK_EQ(a, b)                                                      \
	do {                                                                \
		long long a_ = (long long)(a), b_ = (long long)(b);         \
		if (a_ != b_)                                               \
			TEST_FAIL_("%s == %s: %lld != %lld", #a, #b, a_, b_); \
	} while (0)
#define CHECK_MEM(a, b, n)                                                  \
	do {                                                                \
		if (memcmp((a), (b), (n)) != 0)                             \
			TEST_FAIL_("memory %s != %s (%zu bytes)", #a, #b, (size_t)(n)); \
	} while (0)
#define CHECK_STR(a, b)                                                     \
	do {                                                                \
		const char *a_ = (a), *b_ = (b);                            \
		if (strcmp(a_, b_) != 0)                                    \
			TEST_FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b, a_, b_); \
	} while (0)
#define REQUIRE(cond) do { if (!(cond)) { TEST_FAIL_("%s", #cond); return; } } while (0)
#define REQUIRE_EQ(a, b)                                                    \
	do {                                                                \
		long long a_ = (long long)(a), b_ = (long long)(b);         \
		if (a_ != b_) {                                             \
			TEST_FAIL_("%s == %s: %lld != %lld", #a, #b, a_, b_); \
			return;                                             \
		}                                                           \
	} while (0)

/* Directory for files a test writes (captures); made by the caller. */
static inline const char *test_out_dir(void)
{
	const char *d = getenv("TERN_TEST_OUT");
	return d && *d ? d : "/tmp";
}

static inline int test_main_(int argc, char **argv)
{
	int ran = 0, failed = 0;
	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		for (int i = 0; i < test_ncases_; i++)
			printf("%s\n", test_cases_[i].name);
		return 0;
	}
	for (int i = 0; i < test_ncases_; i++) {
		int selected = argc <= 1;
		for (int j = 1; j < argc; j++)
			if (strcmp(argv[j], test_cases_[i].name) == 0)
				selected = 1;
		if (!selected)
			continue;
		test_current_ = test_cases_[i].name;
		test_failed_ = 0;
		test_cases_[i].fn();
		ran++;
		if (test_failed_) {
			failed++;
			printf("not ok %d - %s\n", ran, test_current_);
		} else {
			printf("ok %d - %s\n", ran, test_current_);
		}
	}
	printf("%d passed, %d failed\n", ran - failed, failed);
	return failed || ran == 0 ? 1 : 0;
}

#define TEST_MAIN() \
	int main(int argc, char **argv) { return test_main_(argc, argv); }

#endif
