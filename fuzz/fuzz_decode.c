/*-------------------------------------------------------------------------
 * fuzz_decode.c
 *		libFuzzer harness for pkt_decode().
 *
 * Input: a 2-byte little-endian link selector (taken modulo FUZZ_NDLTS
 * to index fuzz_dlts[] in fuzz_common.h), then the frame.  The frame is
 * decoded from an exactly-sized heap copy, the result is checked against
 * the invariants in fuzz_common.h, and three shorter cuts of the same
 * frame must agree with it.
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	PktInfo		info;
	int			dlt;

	if (size < 2)
		return 0;
	dlt = fuzz_dlts[(data[0] | (data[1] << 8)) % FUZZ_NDLTS];
	fuzz_decode_frame(dlt, data + 2, size - 2, &info);
	return 0;
}
