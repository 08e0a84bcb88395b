/*-------------------------------------------------------------------------
 * pkt_capture.h
 *		Starting and stopping live captures (pkt_capture.c).
 *-------------------------------------------------------------------------
 */
#ifndef PKT_CAPTURE_H
#define PKT_CAPTURE_H

#include "postmaster/bgworker.h"

#include "pkt_shmem.h"

extern PktSlotRef pkt_capture_launch(const char *ifname, const char *filter,
									 bool autostart, BackgroundWorkerHandle **handle,
									 pid_t *pid);
extern int	pkt_capture_start(const char *ifname, const char *filter);
extern int	pkt_capture_stop(const char *ifname);

#endif							/* PKT_CAPTURE_H */
