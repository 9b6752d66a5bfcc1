package dev.quark.lease;

/**
 * Told by a {@link LeaseKeeper} when it gives up a lease it did not release, so that the work done under the
 * lease can stop (a job handler interrupted, an orchestration step abandoned).
 */
@FunctionalInterface
public interface LeaseListener {

    /**
     * Called once per lease lost, on a thread of the keeper's scheduler or executor, as soon as the keeper knows.
     * Must return quickly; an exception it throws is logged and otherwise ignored.
     * @param lease the lease, as the keeper last held it
     * @param loss why it was lost
     */
    void leaseLost(Lease lease, LeaseLoss loss);
}
