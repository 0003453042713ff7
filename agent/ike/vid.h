/* SPDX-License-Identifier: GPL-2.0 */
/* Vendor ID recognition. */
#ifndef ESPTUND_IKE_VID_H
#define ESPTUND_IKE_VID_H

#include <stddef.h>
#include <stdint.h>

struct p1sa;
struct isakmp_msg;

/* Name of a known vendor ID, or NULL. */
const char *vid_name(const uint8_t *d, size_t len);
/* Debug-log the peer's vendor IDs in message m. */
void vid_log(const struct p1sa *sa, const char *msg,
	     const struct isakmp_msg *m);

#endif
