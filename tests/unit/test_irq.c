// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>

#include "kvm/kvm.h"

/*
 * Shared INTx lines: the line KVM sees is the OR of its sources, and only
 * its changes reach KVM (here a VM fd of -1, so a change shows as
 * -EBADF and "no change" as 0).
 */

Test(irq_router, shared_line_is_the_or_of_its_sources)
{
	struct kvm kvm = { .sys_fd = -1, .vm_fd = -1 };
	struct kvm_irq_router r;

	kvm_irq_router_init(&r);
	cr_assert_eq(kvm_irq_router_set_line(&kvm, &r, 17, 1, 1), -EBADF, "rises");
	cr_assert_eq(kvm_irq_router_set_line(&kvm, &r, 17, 9, 1), 0, "already high");
	cr_assert_eq(kvm_irq_router_set_line(&kvm, &r, 17, 1, 0), 0, "9 holds it");
	cr_assert_eq(kvm_irq_router_set_line(&kvm, &r, 17, 1, 0), 0, "idempotent");
	cr_assert_eq(kvm_irq_router_set_line(&kvm, &r, 17, 9, 0), -EBADF, "falls");
	cr_assert_eq(kvm_irq_router_set_line(&kvm, &r, 24, 1, 1), -EINVAL);
	cr_assert_eq(kvm_irq_router_set_line(&kvm, &r, 17, 32, 1), -EINVAL);
}
