/*-------------------------------------------------------------------------
 * fuzz_topk.c
 *		libFuzzer harness for the pkt_topk counter.
 *
 * Input: byte 0 picks the capacity (mostly 1..16, sometimes up to 116 to
 * pass pkt_topk_top()'s 64-item limit; 0xFF gives 0, taken as 1), byte 1 the hash seed and the
 * top-n size, then one byte per packet: the key (256 possible keys,
 * spread over the IPv4/IPv6 key bytes so the seeded hash sees real
 * variety).  The bytes counted for a packet are the key byte + 1.  When
 * byte 1 is odd, each byte stands for 1 to 5 packets at once (key byte
 * % 5 + 1), added with pkt_topk_add_n() as a file load adds its sums.
 * After every packet (or every 64th for long inputs) the counter is
 * checked against exact reference counts with topk_check().
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "topk_check.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
make_key(uint8_t k, uint8_t *key)
{
	memset(key, 0, PKT_TOPK_KEYLEN);
	if (k & 0x80)
	{
		key[0] = 6;
		key[1] = 0x20;
		key[2] = 0x01;
		key[16] = k;
		key[9] = k ^ 0x55;
	}
	else
	{
		key[0] = 4;
		key[1] = 10;
		key[4] = k;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FuzzTrueCount truth[256];
	uint32_t	capacity;
	uint64_t	seed;
	int			topn;
	bool		weighted;
	void	   *mem;
	PktTopK    *tk;
	size_t		every;

	if (size < 2)
		return 0;
	if (data[0] == 0xFF)
		capacity = 0;			/* pkt_topk treats 0 as 1 */
	else
		capacity = data[0] < 0xF0 ? 1 + data[0] % 16 : 17 + data[0] % 100;
	seed = (uint64_t) data[1] * UINT64_C(0x9E3779B97F4A7C15);
	topn = 1 + data[1] % 70;
	weighted = data[1] & 1;
	data += 2;
	size -= 2;

	/* exactly sized, so ASan sees any write past the block */
	mem = malloc(pkt_topk_size(capacity));
	if (mem == NULL)
		abort();
	tk = pkt_topk_init(mem, capacity, seed);

	memset(truth, 0, sizeof(truth));
	for (int k = 0; k < 256; k++)
		make_key((uint8_t) k, truth[k].key);

	topk_check(tk, capacity, truth, 256, topn);
	every = size <= 1024 ? 1 : 64;
	for (size_t i = 0; i < size; i++)
	{
		uint8_t		key[PKT_TOPK_KEYLEN];

		make_key(data[i], key);
		if (weighted)
		{
			uint64_t	packets = data[i] % 5 + 1;

			pkt_topk_add_n(tk, key, packets, packets * ((uint64_t) data[i] + 1));
			truth[data[i]].packets += packets;
			truth[data[i]].bytes += packets * ((uint64_t) data[i] + 1);
		}
		else
		{
			pkt_topk_add(tk, key, (uint64_t) data[i] + 1);
			truth[data[i]].packets++;
			truth[data[i]].bytes += (uint64_t) data[i] + 1;
		}
		if (i % every == 0 || i + 1 == size)
			topk_check(tk, capacity, truth, 256, topn);
	}
	free(mem);
	return 0;
}
