/* SPDX-License-Identifier: MIT */
#ifndef TESTS_TSAN_CRITERION_SHIM_H
#define TESTS_TSAN_CRITERION_SHIM_H

/*
 * Just enough of Criterion's API for the race tests to build as plain
 * programs under ThreadSanitizer (Criterion's own process arena cannot
 * be mapped where TSan keeps its shadow memory). Each Test() registers
 * itself; main() runs them in order, with the suite's init and fini,
 * and a failed assertion ends the program with status 1.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct shim_suite {
	void (*init)(void);
	void (*fini)(void);
	int timeout;
};

struct shim_test {
	const char *name;
	void (*fn)(void);
};

extern struct shim_test shim_tests[64];
extern unsigned int shim_ntests;
extern struct shim_suite shim_suite_cfg;

#define TestSuite(name, ...) \
	struct shim_suite shim_suite_cfg = { __VA_ARGS__ }

#define Test(suite, name, ...)                                           \
	static void suite##_##name(void);                                \
	__attribute__((constructor)) static void reg_##suite##_##name(void) \
	{                                                                \
		shim_tests[shim_ntests++] = (struct shim_test){          \
			#suite "::" #name, suite##_##name };             \
	}                                                                \
	static void suite##_##name(void)

#define cr_assert_fail(...) do {                                         \
	fprintf(stderr, "%s:%d: assertion failed\n", __FILE__, __LINE__); \
	exit(1);                                                         \
} while (0)
#define cr_assert(c, ...) do { if (!(c)) cr_assert_fail(); } while (0)
#define cr_assert_not(c, ...) cr_assert(!(c))
#define cr_assert_eq(a, b, ...) cr_assert((a) == (b))
#define cr_assert_neq(a, b, ...) cr_assert((a) != (b))
#define cr_assert_gt(a, b, ...) cr_assert((a) > (b))
#define cr_assert_geq(a, b, ...) cr_assert((a) >= (b))
#define cr_assert_lt(a, b, ...) cr_assert((a) < (b))
#define cr_assert_leq(a, b, ...) cr_assert((a) <= (b))
#define cr_assert_null(p, ...) cr_assert((p) == NULL)
#define cr_assert_not_null(p, ...) cr_assert((p) != NULL)
#define cr_assert_str_eq(a, b, ...) cr_assert(!strcmp((a), (b)))
#define cr_skip_test(...) return

#endif
