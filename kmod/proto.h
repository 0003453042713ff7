/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptun ESP input hooks: see datapath.h for esptun_proto_init/exit.
 */
#ifndef _ESPTUN_PROTO_H
#define _ESPTUN_PROTO_H

#include "datapath.h"

/*
 * Our place among the ESP handlers of xfrm4/xfrm6_protocol: they run in
 * descending priority and the first that does not return -EINVAL owns the
 * packet. esp4/esp6 hold 0, xfrm_interface 10 (it hands every packet to
 * xfrm_input, which consumes it even without a state), vti 100. We must
 * run before xfrm_interface and esp4 and, as vti gives back what it does
 * not know, after vti is fine. Should the place be taken, proto.c tries
 * a few others in the same range.
 */
#define ESPTUN_PROTO_PRIORITY	50

#endif /* _ESPTUN_PROTO_H */
