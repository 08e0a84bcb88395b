/*
 * fuzz_check.h: FUZZ_CHECK, the invariant check of every harness: report
 * the broken condition and abort, so libFuzzer and the replay stop there.
 */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond, ...) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "INVARIANT VIOLATED at %s:%d: %s\n  ", \
					__FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fprintf(stderr, "\n"); \
			abort(); \
		} \
	} while (0)

#endif							/* FUZZ_CHECK_H */
