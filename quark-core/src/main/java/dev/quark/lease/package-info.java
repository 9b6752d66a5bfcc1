/**
 * Leases with fencing tokens: work that one owner must hold for a while (a job, an orchestration's next step,
 * an outbox partition) is claimed with a {@link dev.quark.lease.Lease} from a {@link dev.quark.lease.LeaseStore},
 * kept alive by a {@link dev.quark.lease.LeaseKeeper}, and every write made for it carries its
 * {@link dev.quark.lease.FencingToken}, so that an owner that lost its lease cannot overwrite its successor.
 */
@NullMarked
package dev.quark.lease;

import org.jspecify.annotations.NullMarked;
