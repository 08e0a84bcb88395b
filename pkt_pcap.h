/*-------------------------------------------------------------------------
 * pkt_pcap.h
 *		Opening live captures with libpcap, and saying why one failed
 *		(pkt_pcap.c).
 *-------------------------------------------------------------------------
 */
#ifndef PKT_PCAP_H
#define PKT_PCAP_H

#include <pcap/pcap.h>

#include "pkt_shmem.h"

typedef enum PktOpenError
{
	PKT_OPEN_OK = 0,
	PKT_OPEN_NO_DEVICE,
	PKT_OPEN_PERM,
	PKT_OPEN_FILTER,
	PKT_OPEN_SETUP,				/* the worker could not prepare its writes */
	PKT_OPEN_OTHER
} PktOpenError;

#define PKT_PCAP_TIMEOUT_MS		100 /* longest a packet waits in the kernel */

extern pcap_t *pkt_open_live(const PktCaptureConfig *cfg, PktOpenError *err,
							 char *msg, size_t msglen);
extern void pkt_report_open_error(PktOpenError err, const char *ifname,
								  const char *filter, const char *msg);
extern char *pkt_interface_list(void);

#endif							/* PKT_PCAP_H */
