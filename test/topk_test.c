/*-------------------------------------------------------------------------
 * topk_test.c
 *		Bounded top talkers under hostile traffic, outside the server.
 *
 * Ten million packets from random source addresses (a new address almost
 * every packet, as a spoofed flood looks) mixed with five heavy hitters
 * of known weights.  Checks, against counts kept by this program:
 *	- the counter's memory is fixed by its capacity, whatever arrives,
 *	  and stays under 64 MiB at the server's default capacity;
 *	- the five heavy hitters are the top 5, in order, and since they
 *	  appear from the start their counts are exact (error 0);
 *	- the reported error bound holds (it is at most N / capacity).
 * Prints "topk: N passed, M failed".
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkt_topk.h"

static int	passed;
static int	failed;

static void
check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (ok)
		passed++;
	else
		failed++;
}

/* xorshift64*: a deterministic stream of "random" addresses */
static uint64_t
next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

int
main(int argc, char **argv)
{
	const uint32_t capacity = 65536;	/* pktcapture.top_capacity default */
	const uint64_t total = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
	/* heavy hitters: one packet in 10, 20, 40, 80, 160 of all traffic */
	const uint64_t period[5] = {10, 20, 40, 80, 160};
	uint64_t	heavy_count[5] = {0};
	size_t		size = pkt_topk_size(capacity);
	void	   *mem = malloc(size);
	PktTopK    *tk = pkt_topk_init(mem, capacity, 12345);
	uint64_t	rnd = 88172645463325252ULL;
	PktTopKItem top[5];
	int			n;
	clock_t		t0 = clock();
	double		secs;
	char		msg[256];

	for (uint64_t i = 0; i < total; i++)
	{
		uint8_t		key[PKT_TOPK_KEYLEN] = {4};
		int			h = -1;

		for (int k = 0; k < 5; k++)
		{
			if (i % period[k] == (uint64_t) k)
			{
				h = k;
				break;
			}
		}
		if (h >= 0)
		{
			key[1] = 10;
			key[4] = (uint8_t) (h + 1);	/* 10.0.0.h+1 */
			heavy_count[h]++;
		}
		else
		{
			uint64_t	r = next_random(&rnd);

			key[0] = (r & 1) ? 4 : 6;
			memcpy(key + 1, &r, 8);
			if (key[0] == 6)
				memcpy(key + 9, &i, 8);
			else
				key[1] = (uint8_t) (11 + (r >> 60));	/* never 10.x */
		}
		pkt_topk_add(tk, key, 100);
	}
	secs = (double) (clock() - t0) / CLOCKS_PER_SEC;

	snprintf(msg, sizeof(msg), "memory fixed at %zu bytes (%.1f MiB) for capacity %u, under 64 MiB",
			 size, size / 1048576.0, capacity);
	check(size < 64u * 1024 * 1024, msg);
	check(pkt_topk_is_approximate(tk), "random sources made the counts approximate");
	check(pkt_topk_count(tk) == capacity, "the table never grows past its capacity");

	n = pkt_topk_top(tk, top, 5);
	check(n == 5, "five top talkers");
	for (int k = 0; k < 5 && k < n; k++)
	{
		snprintf(msg, sizeof(msg),
				 "top %d is heavy hitter 10.0.0.%d with its exact count %llu (got 10.0.0.%d: %llu, error %llu)",
				 k + 1, k + 1, (unsigned long long) heavy_count[k], top[k].key[4],
				 (unsigned long long) top[k].packets, (unsigned long long) top[k].error);
		check(top[k].key[0] == 4 && top[k].key[1] == 10 && top[k].key[4] == k + 1 &&
			  top[k].packets == heavy_count[k] && top[k].error == 0, msg);
	}
	snprintf(msg, sizeof(msg), "error bound %llu <= packets / capacity = %llu",
			 (unsigned long long) pkt_topk_error_bound(tk),
			 (unsigned long long) (total / capacity));
	check(pkt_topk_error_bound(tk) <= total / capacity, msg);
	printf("# %llu packets in %.2f s: %.1f M adds/s\n", (unsigned long long) total, secs,
		   total / secs / 1e6);
	free(mem);
	printf("topk: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
